/* `osdbg record`: record a run of the OS on this terminal, for replay. */
#ifndef ADAPTER_RECORD_H
#define ADAPTER_RECORD_H

int record_main(int argc, char **argv);

#endif
