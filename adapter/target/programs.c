/*
 * The user programs (programs.h).  All of them are linked at the same
 * addresses, so GDB holds the symbols of one at a time: the one running at
 * the last user-mode stop.
 */
#include "target/programs.h"
#include "dap/dap.h"
#include "gdb/gdb.h"
#include "target/state.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
    char name[64];
    struct debuginfo *di;
    bool tried;
} programs[64];
static int nprograms = -1;
static const char *program_names[64];

static char seen[32][64]; /* programs seen running (exec'd) */
static int nseen;
static char user_symbols[64]; /* program whose symbols GDB has loaded, "" none */
static char user_symbols_file[PATH_MAX]; /* ...and the file GDB has them from */

static bool is_elf(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    unsigned char m[18] = {0};
    size_t n = fread(m, 1, sizeof m, f);
    fclose(f);
    /* An executable (e_type ET_EXEC, little-endian: System V gABI), not the
     * object files a build leaves beside the programs. */
    return n == sizeof m && m[0] == 0x7f && m[1] == 'E' && m[2] == 'L' && m[3] == 'F' &&
           m[16] == 2 && m[17] == 0;
}

/* Find the user programs: ELF files in the profile's user directory. */
static void scan_programs(void)
{
    if (nprograms >= 0)
        return;
    nprograms = 0;
    if (!T.profile || !T.profile->user_dir)
        return;
    DIR *d = opendir(T.profile->user_dir);
    if (!d) {
        dap_output("stderr", "osdbg: profile: userPrograms.dir %s: %s\n", T.profile->user_dir,
                   strerror(errno));
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) && nprograms < 64) {
        char name[sizeof programs[0].name];
        /* The file is the program the pattern makes of it ("_echo": echo). */
        if (e->d_name[0] == '.' ||
            !profile_user_program_name(T.profile, e->d_name, name, sizeof name))
            continue;
        char *path = profile_user_elf(T.profile, name);
        if (path && is_elf(path)) {
            memcpy(programs[nprograms].name, name, sizeof name);
            program_names[nprograms] = programs[nprograms].name;
            nprograms++;
        }
        free(path);
    }
    closedir(d);
    if (nprograms == 0)
        dap_output("stderr",
                   "osdbg: profile: no user program in %s fits userPrograms.file \"%s\": user "
                   "breakpoints and the stacks below the kernel's cannot find their programs\n",
                   T.profile->user_dir, T.profile->user_pattern ? T.profile->user_pattern : "{name}");
}

int user_programs(const char ***names)
{
    scan_programs();
    *names = program_names;
    return nprograms;
}

struct debuginfo *user_debuginfo(const char *program)
{
    scan_programs();
    for (int i = 0; i < nprograms; i++) {
        if (strcmp(programs[i].name, program) != 0)
            continue;
        if (!programs[i].tried) {
            programs[i].tried = true;
            char err[256];
            char *path = profile_user_elf(T.profile, program);
            programs[i].di = debuginfo_open(path, err, sizeof err);
            if (!programs[i].di)
                dap_log("no debug info for %s: %s", program, err);
            free(path);
        }
        return programs[i].di;
    }
    return 0;
}

bool program_seen(const char *program)
{
    for (int i = 0; i < nseen; i++)
        if (strcmp(seen[i], program) == 0)
            return true;
    return false;
}

bool mark_program_seen(const char *program)
{
    if (!program[0] || program_seen(program) || nseen == 32)
        return false;
    snprintf(seen[nseen++], sizeof seen[0], "%s", program);
    char *path = profile_user_elf(T.profile, program);
    dap_event("module", json_pack("{s:s, s:{s:s, s:s, s:s}}", "reason", "new", "module", "id",
                                  program, "name", program, "path", path ? path : ""));
    free(path);
    return true;
}

void aspace_sync_symbols(void)
{
    char err[256];
    const char *want = T.here.priv == 0 ? T.here.program : "";
    if (strcmp(want, user_symbols) == 0)
        return;
    /* Each symbol file change makes GDB re-create every breakpoint
     * location and check whether the code there is already an ebreak (a
     * "permanent" breakpoint, which it resumes past without running it).
     * It reads the code before it knows the new file's sections, so from
     * the live memory, where an OS probe's ebreak may be: with QEMU's
     * physical-memory mode on, user addresses read nothing instead, and
     * kernel code comes from its file (trust-readonly-sections). */
    gdb_physical_memory(true);
    if (user_symbols[0]) {
        /* By the path GDB recorded: the file itself, not a link to it. */
        if (gdb_console(0, err, sizeof err, "remove-symbol-file %s", user_symbols_file) < 0)
            dap_output("stderr", "osdbg: cannot unload the symbols of %s (%s): %s\n", user_symbols,
                       user_symbols_file, err);
        user_symbols[0] = 0;
    }
    if (want[0] && user_debuginfo(want)) {
        char *path = profile_user_elf(T.profile, want);
        /* GDB records a symbol file by its real path (a program file may be
         * a link, as in a student's build tree). */
        char real[PATH_MAX];
        if (!realpath(path, real))
            snprintf(real, sizeof real, "%s", path);
        if (gdb_console(0, err, sizeof err, "add-symbol-file %s", real) == 0) {
            snprintf(user_symbols, sizeof user_symbols, "%s", want);
            snprintf(user_symbols_file, sizeof user_symbols_file, "%s", real);
        } else {
            dap_log("add-symbol-file %s: %s", real, err);
        }
        free(path);
    }
    gdb_physical_memory(false);
}

void programs_reset(void)
{
    nseen = 0;
    user_symbols[0] = 0;
}
