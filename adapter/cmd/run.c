/*
 * osdbg run [--profile P] [--gdb SOCK] [--side SOCK] [bootargs...]
 *
 * Boot the OS of a profile (default: the reference kernel) on this
 * terminal, with QEMU's gdbstub and the debug channel (virtio console) on
 * Unix sockets at known paths, so that `osdbg trace`, GDB or a debug
 * adapter's attach can join later.  QEMU replaces this process: the
 * terminal is the OS console (Ctrl-A X quits).
 */
#include "cmd/run.h"
#include "cmd/cli.h"
#include "core/paths.h"
#include "profile/profile.h"

#include <errno.h>
#include <osdbg/dbgchan.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char run_usage[] =
    "usage: osdbg run [--profile P] [--gdb SOCK] [--side SOCK] [bootargs...]\n"
    "  Boots the OS of profile P (default profiles/osdbg-kernel.json) in QEMU on this\n"
    "  terminal, its gdbstub on SOCK (default build/qemu-gdb.sock) and its debug channel\n"
    "  on --side SOCK (default build/dbgchan.sock), for gdb and `osdbg trace`.\n"
    "  bootargs go to the kernel (e.g. run=hello,matrix).  Ctrl-A X quits QEMU.\n";

int run_main(int argc, char **argv)
{
    if (cli_wants_help(argc, argv))
        return cli_help(run_usage);
    char build[PATH_MAX], root[PATH_MAX], def_profile[PATH_MAX + 32], def_gdb[PATH_MAX + 32],
        def_side[PATH_MAX + 32];
    osdbg_locate(build, root, sizeof build);
    snprintf(def_profile, sizeof def_profile, "%s/profiles/osdbg-kernel.json", root);
    snprintf(def_gdb, sizeof def_gdb, "%s/qemu-gdb.sock", build);
    snprintf(def_side, sizeof def_side, "%s/dbgchan.sock", build);
    const char *profile_path = def_profile, *gdb_sock = def_gdb, *side_sock = def_side;
    char bootargs[1024] = "";
    for (int i = 0; i < argc; i++) {
        if ((strcmp(argv[i], "--profile") == 0 || strcmp(argv[i], "--gdb") == 0 ||
             strcmp(argv[i], "--side") == 0) &&
            i + 1 < argc) {
            const char **dst = argv[i][2] == 'p'   ? &profile_path
                               : argv[i][2] == 'g' ? &gdb_sock
                                                   : &side_sock;
            *dst = argv[++i];
        } else if (argv[i][0] == '-') {
            return cli_usage_error("run", run_usage, "%s: unknown or incomplete option", argv[i]);
        } else {
            size_t len = strlen(bootargs);
            snprintf(bootargs + len, sizeof bootargs - len, "%s%s", len ? " " : "", argv[i]);
        }
    }
    char err[512];
    struct profile *p = profile_load(profile_path, err, sizeof err);
    if (!p) {
        fprintf(stderr, "osdbg run: %s\n", err);
        return 1;
    }
    if (p->warnings)
        fprintf(stderr, "osdbg run: profile %s:\n%s", profile_path, p->warnings);
    if (access(p->kernel, R_OK) < 0) {
        fprintf(stderr, "osdbg run: kernel %s: %s (build it first: make)\n", p->kernel,
                strerror(errno));
        return 1;
    }
    /* QEMU runs in the profile's root, as in a debug session, so that its
     * relative paths (a disk image) are the profile's; the sockets the user
     * named keep meaning what they meant here. */
    char cwd[PATH_MAX], gdb_abs[PATH_MAX * 2 + 2], side_abs[PATH_MAX * 2 + 2];
    if (!getcwd(cwd, sizeof cwd)) {
        fprintf(stderr, "osdbg run: getcwd: %s\n", strerror(errno));
        return 1;
    }
    snprintf(gdb_abs, sizeof gdb_abs, "%s%s%s", gdb_sock[0] == '/' ? "" : cwd,
             gdb_sock[0] == '/' ? "" : "/", gdb_sock);
    snprintf(side_abs, sizeof side_abs, "%s%s%s", side_sock[0] == '/' ? "" : cwd,
             side_sock[0] == '/' ? "" : "/", side_sock);
    gdb_sock = gdb_abs;
    side_sock = side_abs;
    if (p->root && chdir(p->root) < 0) {
        fprintf(stderr, "osdbg run: the profile's root %s: %s\n", p->root, strerror(errno));
        return 1;
    }
    /* Stale sockets from an earlier run would make QEMU fail to listen. */
    unlink(gdb_sock);
    unlink(side_sock);
    char gdb_arg[PATH_MAX * 2 + 64], side_arg[PATH_MAX * 2 + 64];
    snprintf(gdb_arg, sizeof gdb_arg, "unix:%s,server=on,wait=off", gdb_sock);
    snprintf(side_arg, sizeof side_arg,
             "socket,id=" DBGCHAN_CHARDEV_ID ",path=%s,server=on,wait=off", side_sock);
    const char *args[96];
    int n = 0;
    args[n++] = p->qemu;
    for (int i = 0; p->qemu_args[i] && n < 64; i++)
        args[n++] = p->qemu_args[i];
    const char *rest[] = {
        "-nographic",           "-kernel",  p->kernel, "-gdb",    gdb_arg,        "-device",
        "virtio-serial-device", "-chardev", side_arg,  "-device", p->debug_device};
    for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++)
        args[n++] = rest[i];
    if (bootargs[0]) {
        args[n++] = "-append";
        args[n++] = bootargs;
    }
    args[n] = 0;
    fprintf(stderr,
            "osdbg run: %s\n  gdbstub:       %s\n  debug channel: %s\n"
            "  the terminal is the OS console; Ctrl-A X quits\n",
            p->name, gdb_sock, side_sock);
    execvp(args[0], (char *const *)args);
    fprintf(stderr, "osdbg run: cannot run %s: %s\n", args[0], strerror(errno));
    return 1;
}
