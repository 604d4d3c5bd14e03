/*
 * Several harts.  QEMU's gdbstub shows each hart as a thread (thread t is
 * the CPU of index t - 1, whose mhartid on QEMU virt is t - 1 too), and GDB
 * runs them all-stop: every hart stops when one does, and a continue
 * resumes them all.  A step runs only the selected hart (GDB's
 * scheduler-locking "step"), so that it ends in the process it began in.
 *
 * One hart is selected at a time: the one whose stop was reported, or the
 * one a request named (a stack trace or a step of another DAP thread).
 * T.here describes it; T.harts[] every hart, identified at each stop shown.
 */
#ifndef ADAPTER_TARGET_HARTS_H
#define ADAPTER_TARGET_HARTS_H

#include "gdb/mi_parse.h"
#include <stddef.h>

/* Just connected: learn how many harts there are; thread 1 is selected. */
void harts_connected(void);
/* A *stopped record: GDB selected the thread that stopped. */
void harts_on_stop(struct mi_record *rec);
/* Identify every hart's process (once per stop). */
void harts_identify_all(void);
/* Select another thread (a DAP threadId): GDB's selection, T.here and the
 * user program's symbols follow.  0, or -1 with err. */
int harts_select(int thread, char *err, size_t errlen);
/* The DAP name of a thread: "hart 1 · sh/3 U", "hart 0 · kernel S", or
 * "hart 1" while the OS runs. */
void harts_thread_name(int thread, char *out, size_t n);

#endif
