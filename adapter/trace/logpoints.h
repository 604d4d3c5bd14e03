/*
 * eBPF logpoints (logpoints.c): a breakpoint's log message compiled to eBPF
 * and run as a probe in the OS, never stopping it.
 */
#ifndef ADAPTER_LOGPOINTS_H
#define ADAPTER_LOGPOINTS_H

#include <stdbool.h>
#include <stdint.h>

struct bp;
/* Once at start: listen to the side channel and to the OS resuming.  A
 * logpoint whose program cannot be made or attached is handed to
 * fall_back_to_gdb (the breakpoints' business) with the reason. */
void logpoints_init(void (*fall_back_to_gdb)(int bp_id, const char *why));
/* The breakpoint whose logpoint owns side-stub probe id, or -1. */
int logpoint_of_probe(int probe_id);
/* Compile a logpoint (message, condition, hit condition) to one eBPF
 * program per location.  false, with *why, if part of it needs GDB. */
bool logpoint_compile(struct bp *b, const char **why);
/* Free the compiled programs. */
void logpoint_forget(struct bp *b);
/* Attach an eBPF logpoint's probes now if the OS runs (else when it runs
 * again), and detach them. */
void logpoint_attach(struct bp *b);
void logpoint_detach(struct bp *b);
/* After the first continue: connect to the side-stub (the kernel waits
 * for us at boot when asked), attach pending logpoints, let it go on. */
void logpoints_start(void);
bool logpoints_wanted(void);
/* The OS runs again: attach logpoints set while it was stopped (a
 * target_on_resume observer). */
void logpoints_resumed(void);
/* Before another probe's request: detach removed logpoints and attach the
 * ones set while the OS was stopped. */
void logpoints_catch_up(void);
/* Lines of logpoint hits still buffered go out now (before another
 * output, to keep the order the events came in). */
void logpoints_flush_lines(void);
/* A console trace's line (tracecmd.c), sent with the logpoints' lines: one
 * at a time at the editor's pace, in batches past it (logpoints.c). */
void logpoints_console_line(uint32_t probe, const char *text);

#endif
