/*
 * A scripted GDB for unit tests of adapter/target/ (test_target.c): it
 * implements adapter/gdb/gdb.h in the test process, answering every MI
 * command from a small model of the machine that the test sets up, with
 * result and *stopped records shaped as gdb-multiarch 13.1 writes them
 * (tests/adapter/mi_samples/, recorded against QEMU).  The records are
 * text, parsed by the adapter's real MI parser.  No QEMU, no GDB.
 *
 * The model: expression values (what -data-evaluate-expression answers),
 * the breakpoints GDB holds (number, address, enabled), and a queue of
 * stops the machine will reach, one per resume.  Every command the adapter
 * sends is logged, for the test to check.
 */
#ifndef TESTS_SCRIPTED_GDB_H
#define TESTS_SCRIPTED_GDB_H

#include "gdb/mi_parse.h"
#include <stdbool.h>
#include <stdint.h>

/* Forget everything (between tests). */
void sg_reset(void);
/* What -data-evaluate-expression EXPR answers (GDB's value text); an
 * expression without a value answers GDB's "No symbol" error. */
void sg_value(const char *expr, const char *value);
/* Forget expr's value: evaluating it fails as in GDB ("No symbol"). */
void sg_forget(const char *expr);
/* The language of the code the machine stops in from now on ("c",
 * "rust").  GDB takes it as its current language when it selects a stop's
 * frame, lazily, at the first command needing one: an expression parsed
 * then is parsed in it whatever its --language (GDB 13.1's behaviour); later
 * ones in their --language, else the current one.  C's casts and "->" do
 * not parse as Rust, nor "::" as C. */
void sg_language(const char *lang);
/* The machine at the next stop: privilege, pc, and the process the
 * profile's expressions (process.name, process.pid) read. */
void sg_here(int priv, uint64_t pc, const char *program, int pid);
/* Several harts: n threads (GDB's -thread-list-ids); the stop records made
 * from now on name thread t (GDB selects it); a value of one thread's only
 * (its registers, cpus[t-1]), read by the commands for that thread
 * (--thread t, or the selected thread). */
void sg_threads(int n);
void sg_stops_on_thread(int thread);
void sg_thread_value(int thread, const char *expr, const char *value);
/* The address a -break-insert of a named location (not *ADDR) resolves to. */
void sg_location(const char *name, uint64_t addr);
/* A stop the machine reaches, a complete *stopped record as GDB writes it:
 * at once if it runs (resumed with nothing queued), else at the next
 * resume (-exec-continue, a step).  Queued in order. */
void sg_queue_stop(const char *record);
/* The stop -exec-interrupt reports (default: SIGINT at the current $pc). */
void sg_interrupt_with(const char *record);
/* The *stopped record GDB has written and the adapter has not taken (the
 * event loop would hand it to the stop policy): true and *rec filled. */
bool sg_take_stop(struct mi_record *rec);

/* Shapes of the records (GDB 13.1). */
char *sg_stopped_breakpoint(int number, uint64_t pc); /* malloc'd */
char *sg_stopped_step(uint64_t pc);
char *sg_stopped_sigint(uint64_t pc);

/* The breakpoints GDB holds: the number of the one at addr (0 none), and
 * whether it is enabled. */
int sg_breakpoint_at(uint64_t addr);
bool sg_breakpoint_enabled(int number);
/* Commands sent since the last sg_reset, one per line; how many began
 * with prefix. */
const char *sg_commands(void);
int sg_count(const char *prefix);
/* Resumes (-exec-continue and the steps) so far. */
int sg_resumes(void);

#endif
