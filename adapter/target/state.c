/*
 * Where the OS is (state.h).  At every stop we read $priv, $satp and the
 * running process: the profile's GDB expressions, read with QEMU's
 * physical-memory mode in user mode because the user page table does not
 * map the kernel.
 */
#include "target/state.h"
#include "gdb/gdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct target T;

#define MAX_SPACES 128

static struct {
    uint64_t satp;
    char program[64];
} spaces[MAX_SPACES];
static int nspaces, next_evict;

void aspace_learn(uint64_t satp, const char *program)
{
    int i = 0;
    while (i < nspaces && spaces[i].satp != satp)
        i++;
    if (i == nspaces) {
        if (nspaces < MAX_SPACES)
            nspaces++;
        else
            i = next_evict++ % MAX_SPACES; /* the oldest: page tables are reused */
    }
    spaces[i].satp = satp;
    snprintf(spaces[i].program, sizeof spaces[i].program, "%s", program);
}

const char *aspace_program(uint64_t satp)
{
    for (int i = 0; i < nspaces; i++)
        if (spaces[i].satp == satp)
            return spaces[i].program;
    return "";
}

void aspace_forget_all(void)
{
    nspaces = 0;
}

enum gdb_lang profile_lang(void)
{
    return T.profile && T.profile->language == PROFILE_LANG_RUST ? GDB_LANG_RUST : GDB_LANG_C;
}

const char *priv_mode(int priv)
{
    return priv == 0 ? "U" : priv == 1 ? "S" : "M";
}

/* GDB prints a char array as "name", '\000' <repeats 11 times>, or with
 * the NULs inline ("ls\000\000..."): take the first quoted string up to
 * its first NUL, decoding C escapes. */
void parse_c_string(const char *v, char *out, size_t n)
{
    out[0] = 0;
    const char *q = strchr(v, '"');
    if (!q)
        return;
    size_t k = 0;
    for (q++; *q && *q != '"' && k + 1 < n; q++) {
        char c = *q;
        if (c == '\\' && q[1] >= '0' && q[1] <= '7') {
            int val = 0, digits = 0;
            while (digits < 3 && q[1] >= '0' && q[1] <= '7') {
                val = val * 8 + (*++q - '0');
                digits++;
            }
            if (val == 0)
                break;
            c = (char)val;
        } else if (c == '\\' && q[1]) {
            c = *++q;
        }
        out[k++] = c;
    }
    out[k] = 0;
}

/* In the context gdb_eval_set_thread() names. */
static struct aspace identify(void)
{
    struct aspace a = {.priv = -1, .pid = -1};
    uint64_t v;
    if (gdb_eval_u64(&v, "$priv"))
        a.priv = (int)v;
    else
        snprintf(a.unknown, sizeof a.unknown, "the privilege level ($priv) cannot be read");
    if (gdb_eval_u64(&v, "$satp"))
        a.satp = v;
    if (gdb_eval_u64(&v, "$pc"))
        a.pc = v;
    /* The kernel's data read from user mode, where the process's page table
     * does not map it, by physical address.  So is another hart's: GDB reads
     * memory through the hart it selected whatever thread an expression is
     * for (it takes threads to share one address space), and that hart may
     * be in user mode. */
    bool phys = T.profile && T.profile->kernel_identity_mapped &&
                (a.priv == 0 || gdb_eval_thread() != 0);
    if (T.profile && T.profile->proc_name) {
        char err[256];
        if (phys)
            gdb_physical_memory(true);
        /* A hart with no process: the process pointer is null (xv6 and
         * ours: cpus[h].proc), and its name field lies in page 0, whatever
         * is there (in xv6 the user program's code, read through a user
         * page table): nothing runs. */
        uint64_t at;
        if (gdb_eval_u64_in(profile_lang(), &at, "&(%s)", T.profile->proc_name) && at < 4096) {
            if (phys)
                gdb_physical_memory(false);
            return a;
        }
        char *name = gdb_eval_in(profile_lang(), err, sizeof err, "%s", T.profile->proc_name);
        if (name) {
            parse_c_string(name, a.program, sizeof a.program);
            free(name);
        } else if (!a.unknown[0]) {
            snprintf(a.unknown, sizeof a.unknown, "process.name \"%.80s\": %.256s",
                     T.profile->proc_name, err);
        }
        if (T.profile->proc_pid && gdb_eval_u64_in(profile_lang(), &v, "%s", T.profile->proc_pid))
            a.pid = (int)v;
        if (phys)
            gdb_physical_memory(false);
    } else if (T.profile && T.profile->exec_satp && T.profile->exec_name) {
        /* No name in the process: its page table says which program runs.
         * In user mode satp is the process's; in the kernel the profile's
         * process.satp reads it (and no process runs if that fails). */
        uint64_t satp = a.satp;
        if (phys)
            gdb_physical_memory(true);
        bool have = a.priv == 0 ||
                    (T.profile->proc_satp &&
                     gdb_eval_u64_in(profile_lang(), &satp, "%s", T.profile->proc_satp));
        if (have) {
            snprintf(a.program, sizeof a.program, "%s", aspace_program(satp));
            if (!a.program[0] && !a.unknown[0])
                snprintf(a.unknown, sizeof a.unknown,
                         "no exec was seen for the page table (satp 0x%llx) that runs",
                         (unsigned long long)satp);
        } else if (!a.unknown[0]) {
            snprintf(a.unknown, sizeof a.unknown, "process.satp does not evaluate here");
        }
        if (have && T.profile->proc_pid &&
            gdb_eval_u64_in(profile_lang(), &v, "%s", T.profile->proc_pid))
            a.pid = (int)v;
        if (phys)
            gdb_physical_memory(false);
    }
    return a;
}

void aspace_identify(void)
{
    T.here = identify();
    if (T.thread >= 1 && T.thread <= MAX_HARTS)
        T.harts[T.thread - 1] = T.here;
}

void aspace_identify_thread(int thread, struct aspace *a)
{
    int before = gdb_eval_thread();
    gdb_eval_set_thread(thread);
    *a = identify();
    gdb_eval_set_thread(before);
}
