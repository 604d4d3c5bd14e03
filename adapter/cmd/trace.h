/* `osdbg trace`: kprobes on a running OS from the terminal. */
#ifndef ADAPTER_TRACE_H
#define ADAPTER_TRACE_H

int trace_main(int argc, char **argv);

#endif
