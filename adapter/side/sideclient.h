/*
 * The host end of the side-stub protocol (docs/side-stub-protocol.md): a
 * connection to the kernel's side-stub over the debug channel's Unix
 * socket, requests with their replies, and events as they come.
 */
#ifndef ADAPTER_SIDECLIENT_H
#define ADAPTER_SIDECLIENT_H

#include <sidestub.h>
#include <stdbool.h>
#include <stddef.h>

struct side_client;
typedef void (*side_event_fn)(const struct ss_event *ev, uint64_t lost_before, void *arg);

/* Connect and check the far end is a side-stub (qSupported: osdbg-trace+,
 * answered within ms).
 * 0 with a message in err on failure. */
struct side_client *side_connect(const char *path, side_event_fn on_event, void *arg, long ms,
                                 char *err, size_t errlen);
/* The same, with the stop check of side_set_stop_check from the start. */
struct side_client *side_connect_checked(const char *path, side_event_fn on_event, void *arg,
                                         bool (*stopped)(void *), void *stopped_arg, long ms,
                                         char *err, size_t errlen);
void side_close(struct side_client *c);
/* The socket, for an event loop to watch. */
int side_fd_of(const struct side_client *c);
/* Send a request, wait (up to ms) for its reply; events meanwhile go to the
 * callback.  Returns the reply length (reply NUL-terminated), or -1 (err).
 *
 * A request given up (no reply in time, or the OS stopped meanwhile: see
 * side_set_stop_check) may still be carried out when the OS runs again.
 * Its reply is then recognised and not taken for a later request's, and
 * what it made in the kernel is undone: a late OK<id> to vTObjNew frees the
 * object, one to vTR, vTU or vTAttach detaches the probe.  Nothing a caller
 * gave up on stays in the kernel. */
long side_request(struct side_client *c, const char *payload, char *reply, size_t cap, long ms,
                  char *err, size_t errlen);
/* The same with a binary payload of len bytes. */
long side_request_bin(struct side_client *c, const void *payload, size_t len, char *reply,
                      size_t cap, long ms, char *err, size_t errlen);
/* A request of the protocol, written by the side-stub library
 * (ss_build_request: the one place the wire format is spelled). */
long side_request_cmd(struct side_client *c, const struct ss_request *req, char *reply, size_t cap,
                      long ms, char *err, size_t errlen);
/* A request whose reply nobody needs (freeing an object, detaching a
 * probe): sent now if the channel is free, else as soon as the replies
 * still owed have come. */
void side_request_later_cmd(struct side_client *c, const struct ss_request *req);
/* An OK<id> reply's id (ss_parse_reply): true and *id. */
bool side_reply_id(const char *reply, uint32_t *id);
/* While a request waits, stopped(arg) is asked every few milliseconds
 * whether the OS has stopped (a breakpoint): the side-stub cannot answer
 * then, so the request is given up at once and side_interrupted says so
 * (the caller tries again when the OS runs). */
void side_set_stop_check(struct side_client *c, bool (*stopped)(void *), void *arg);
/* Whether the last failed request was given up because the OS stopped. */
bool side_interrupted(const struct side_client *c);
/* Send the deferred requests now if the channel is free (from an event
 * loop, when the socket was readable). */
void side_idle(struct side_client *c);
/* Upload an eBPF ELF object (vTObjNew + vTObjData chunks): its id in *id.
 * 0, or -1 with a message (the object is freed on failure). */
int side_upload(struct side_client *c, const void *obj, size_t len, uint32_t *id, char *err,
                size_t errlen);
/* Wait up to ms for events; -1 if the connection ended. */
int side_poll(struct side_client *c, long ms);
/* What arrived and what did not.  lost is the authoritative count of
 * events that never arrived, wherever they were lost (sequence gaps);
 * damaged counts frames that came with a bad checksum (their events are
 * part of lost). */
struct side_counts {
    uint64_t events, lost, damaged;
};
void side_counts(const struct side_client *c, struct side_counts *out);
/* Timer ticks per second of event timestamps (from qSupported), 0 unknown. */
uint64_t side_time_hz(const struct side_client *c);

#endif
