/*
 * A single-threaded event loop over file descriptors and timers, in the
 * manner of Redis's ae.c: callbacks run one at a time, so the adapter's
 * state needs no locks.  The backend is poll(2).
 */
#ifndef ADAPTER_LOOP_H
#define ADAPTER_LOOP_H

#include <stdbool.h>
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

#endif
