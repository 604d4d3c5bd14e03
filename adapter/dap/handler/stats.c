/*
 * osdbg/stats (custom): counters of the stops the user never saw.
 */
#include "dap/handler/handlers.h"
#include "target/liveness.h"
#include "target/stop.h"

void req_stats(json_t *req, json_t *args)
{
    (void)args;
    const struct stop_counts *c = stop_counts();
    dap_respond(req, json_pack("{s:I, s:I, s:I}", "filteredHits", (json_int_t)c->filtered_hits,
                               "internalStops", (json_int_t)hooks_stop_count(), "userStops",
                               (json_int_t)c->user_stops));
}
