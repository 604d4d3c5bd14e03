/*
 * Going backwards in a replayed recording (reverse.c), made of
 * timetravel.h's gotos and scans: DAP's stepBack and reverseContinue.
 */
#ifndef ADAPTER_TARGET_REVERSE_H
#define ADAPTER_TARGET_REVERSE_H

#include <stdbool.h>
#include <stddef.h>

/* stepBack: back one instruction, or (line) to the start of the line
 * executed before this one in this function's frame (GDB's reverse-next:
 * calls made on the way are not entered), or to the call of this function
 * from its first instruction.  The stop is reported when there.  0, or -1
 * with err (nothing moved). */
int reverse_step(bool instruction, char *err, size_t errlen);
/* reverseContinue: back to the last stop before this point that the user
 * would have seen going forwards (a breakpoint of the process and program
 * it belongs to, whose condition holds; a data breakpoint's write, shown
 * at the store), or to the start of the recording. */
int reverse_continue(char *err, size_t errlen);
/* Go to instruction count n (the live recording's point, once replayed),
 * then call then (or report a stop if then is 0). */
int reverse_goto(unsigned long long n, void (*then)(void), char *err, size_t errlen);

#endif
