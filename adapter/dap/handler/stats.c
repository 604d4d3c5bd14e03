/*
 * osdbg/stats (custom): counters of the stops the user never saw; in a
 * recorded or replayed session stopped, QEMU's instruction count
 * (instructionCount: where the run is, docs/time-travel.md).
 */
#include "dap/handler/handlers.h"
#include "target/liveness.h"
#include "target/state.h"
#include "target/stop.h"
#include "target/timetravel.h"

void req_stats(json_t *req, json_t *args)
{
    (void)args;
    const struct stop_counts *c = stop_counts();
    json_t *body = json_pack("{s:I, s:I, s:I}", "filteredHits", (json_int_t)c->filtered_hits,
                             "internalStops", (json_int_t)hooks_stop_count(), "userStops",
                             (json_int_t)c->user_stops);
    uint64_t n;
    char err[256];
    if (tt_deterministic() && T.state == TARGET_STOPPED && !tt_busy() &&
        tt_icount(&n, err, sizeof err))
        json_object_set_new(body, "instructionCount", json_integer((json_int_t)n));
    dap_respond(req, body);
}
