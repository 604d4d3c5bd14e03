/*
 * The GDB/MI driver: one gdb-multiarch child speaking MI3 on pipes.
 * Every command carries a token; gdb_run() sends one and waits for its
 * result record (GDB answers in about 0.1 ms while the target is stopped,
 * and at once with ^running for -exec-* commands in mi-async mode), with a
 * time limit so that a wedged GDB cannot hang the adapter.  Async and
 * stream records that arrive meanwhile are queued and handed to the
 * handlers from the event loop, in order.
 */
#ifndef ADAPTER_GDB_H
#define ADAPTER_GDB_H

#include "gdb/mi_parse.h"
#include <stdbool.h>
#include <stdint.h>

struct gdb_handlers {
    void (*async)(struct mi_record *rec);  /* *stopped, *running, =notify */
    void (*stream)(struct mi_record *rec); /* ~console, @target, &log */
    void (*exited)(void);                  /* GDB died or closed its output */
    /* A command GDB did not answer within the time limit (may be NULL) */
    void (*unanswered)(const char *command, long ms);
};

int gdb_start(const char *gdb_path, const struct gdb_handlers *h, char *err, size_t errlen);
bool gdb_alive(void);
/* Send an MI command (printf-style, without token or newline) and wait for
 * its result record.  Returns 0 with *rec filled (caller frees with
 * mi_record_free) if the class is done/running/connected, -1 otherwise
 * with GDB's message (or a timeout/transport message) in err. */
int gdb_run(struct mi_record *rec, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same, discarding the record. */
int gdb_cmd(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A GDB CLI command through -interpreter-exec console; its console output
 * is collected into out (malloc'd, may be 0). */
int gdb_console(char **out, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The language GDB parses an expression in.  GDB's current language
 * follows the selected frame (GDB manual, "Automatically": a stop in Rust
 * code makes it Rust), so an expression the adapter writes names its
 * language: MI's --language option parses that one command in it and
 * leaves GDB's current language as it was.  GDB_LANG_CURRENT is for the
 * user's own expressions (Watch, hovers, conditions), read as the user
 * reads the code they stopped in. */
enum gdb_lang { GDB_LANG_CURRENT, GDB_LANG_C, GDB_LANG_RUST };

/* Evaluate an expression in lang; returns a malloc'd value string or 0
 * (err set). */
char *gdb_eval_in(enum gdb_lang lang, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* An expression's value in lang as an unsigned 64-bit number (pointers,
 * negative numbers as two's complement). */
bool gdb_eval_u64_in(enum gdb_lang lang, uint64_t *out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same in C: the adapter's own expressions ($pc, casts) are C. */
char *gdb_eval(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* QEMU's gdbstub reads and writes memory by physical address while on
 * (maint packet Qqemu.PhyMemMode): the kernel's direct map read from user
 * mode, or nothing at a user address. */
void gdb_physical_memory(bool on);
bool gdb_eval_u64(uint64_t *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Wait for the next *stopped record (queued or new); returns 0 with *rec
 * filled (caller frees), or -1 after ms milliseconds. */
int gdb_wait_stopped(struct mi_record *rec, long ms);
/* Whether GDB has reported a stop the event loop has not handled yet
 * (reads what GDB wrote, without waiting).  A wait for the OS to answer
 * something else (the side-stub) gives up then: a stopped OS answers
 * nothing. */
bool gdb_stop_queued(void);
void gdb_stop(void);
/* Has a stop come since the last call (GDB then selects its frame lazily,
 * at the next command that needs one)?  Clears the answer.  eval.c uses it
 * to let GDB settle the frame's language first. */
bool gdb_frame_unsettled_take(void);
/* Several harts (QEMU's gdbstub shows each as a thread, thread t = hart
 * t - 1).  Expressions are evaluated in a thread's context: registers
 * ($pc, $satp, $priv, $tp, $mhartid) are that hart's, and the text
 * "{hart}" in an expression stands for its hart id (a profile's
 * "cpus[{hart}].proc->name").  gdb_eval_set_thread(t) names the thread of
 * the expressions that follow: 0 for GDB's selected one, whose hart id is
 * then the one gdb_eval_set_selected_hart() gave (0 until told). */
void gdb_eval_set_thread(int thread);
int gdb_eval_thread(void);
void gdb_eval_set_selected_hart(int hart);
/* expr with "{hart}" replaced by the context's hart id (malloc'd). */
char *gdb_hart_expr(const char *expr);
/* Milliseconds gdb_run waits for a result (default 10000). */
void gdb_set_timeout(long ms);

#endif
