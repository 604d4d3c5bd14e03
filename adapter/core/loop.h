/*
 * A single-threaded event loop over file descriptors and timers, in the
 * manner of Redis's ae.c: callbacks run one at a time, so the adapter's
 * state needs no locks.  The backend is poll(2).
 */
#ifndef ADAPTER_LOOP_H
#define ADAPTER_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef void (*loop_fd_fn)(int fd, void *data);
typedef void (*loop_timer_fn)(void *data);

/* Call fn whenever fd is readable (or has hung up).  One handler per fd. */
int loop_watch(int fd, loop_fd_fn fn, void *data);
void loop_unwatch(int fd);
/* Call fn once, after ms milliseconds.  Returns a timer id (> 0). */
long loop_timer(long ms, loop_timer_fn fn, void *data);
void loop_cancel(long id);
/* Run until loop_stop(); returns the code given to loop_stop. */
int loop_run(void);
void loop_stop(int code);
/* Monotonic milliseconds. */
int64_t loop_now_ms(void);

/* Writing without ever blocking the loop: bytes for fd go out now as far as
 * fd takes them (it is made non-blocking), the rest waits in fd's queue and
 * goes out, in order, when poll says fd is writable.  Returns 0; or -1 if fd
 * is broken (errno), or if its queue would grow past `limit` bytes (0: no
 * limit; errno ENOBUFS), and then nothing of data is queued. */
int loop_send(int fd, const void *data, size_t len, size_t limit);
/* Bytes waiting in fd's queue. */
size_t loop_queued(int fd);
/* Forget fd's queue (call before closing fd). */
void loop_drop_queue(int fd);
/* At exit: write out what the queues hold, for at most ms milliseconds. */
void loop_flush(long ms);

#endif
