/*
 * The cross-privilege call stack: stopped in the kernel while it serves a
 * trap from user space, the user program's frames continue below the
 * kernel's, unwound from the registers saved in the trap frame with that
 * program's own debug information.
 */
#ifndef ADAPTER_XSTACK_H
#define ADAPTER_XSTACK_H

#include <jansson.h>
#include <stdbool.h>

/* DAP stack frames of the trapped user program (ids from first_id on),
 * or an empty array when the stop is not inside a trap from user mode.
 * kernel_frames is GDB's -stack-list-frames "stack" array. */
json_t *xstack_user_frames(json_t *kernel_frames, int first_id);

/* Stopped in user mode: GDB cannot unwind past a return address a
 * uretprobe replaced by its trampoline.  Returns how many of GDB's frames
 * to keep; *more gets the frames from the trampoline's one on (ids from
 * the kept count + 1), with the real return addresses, or stays 0. */
size_t xstack_after_trampoline(json_t *gdb_frames, json_t **more);

/* The ids the stackTrace response gave the frames of the last call above
 * (in their order). */
void xstack_bind_ids(json_t *frames);

/* For one of those frames: its Locals (from its program's DWARF, read
 * through its page table) or its registers, as DAP variables; 0 if the
 * frame is GDB's. */
json_t *xstack_frame_variables(int frame_id, bool locals);

/* The members or elements of a struct or array listed by the above (its
 * variablesReference, from XSTACK_CHILD_BASE), or 0 if ref is not one. */
#define XSTACK_CHILD_BASE (1 << 25) /* above inspect.c's VAROBJ_BASE */
json_t *xstack_child_variables(int ref);
/* A new stop: the references above are gone. */
void xstack_forget_children(void);

#endif
