/* `osdbg run`: boot the OS on this terminal with known socket paths. */
#ifndef ADAPTER_RUN_H
#define ADAPTER_RUN_H

int run_main(int argc, char **argv);

#endif
