#include "profile/profile.h"

#include <jansson.h>
#include <osdbg/dbgchan.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *absolute(const char *root, const char *path)
{
    char buf[PATH_MAX * 2];
    if (path[0] == '/')
        snprintf(buf, sizeof buf, "%s", path);
    else
        snprintf(buf, sizeof buf, "%s/%s", root, path);
    char real[PATH_MAX];
    /* Resolve "..": the file need not exist yet (not built). */
    if (realpath(buf, real))
        return strdup(real);
    return strdup(buf);
}

static char *get_str(json_t *obj, const char *path, const char *def)
{
    char key[128];
    snprintf(key, sizeof key, "%s", path);
    json_t *v = obj;
    for (char *part = strtok(key, "."); part && v; part = strtok(0, "."))
        v = json_object_get(v, part);
    if (json_is_string(v))
        return strdup(json_string_value(v));
    return def ? strdup(def) : 0;
}

static int get_int(json_t *obj, const char *a, const char *b, int def)
{
    json_t *v = json_object_get(json_object_get(obj, a), b);
    return json_is_integer(v) ? (int)json_integer_value(v) : def;
}

struct profile *profile_load(const char *path, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    if (!j) {
        if (jerr.line > 0) /* a JSON error; -1 when the file could not be read */
            snprintf(err, errlen, "cannot load profile %s: %s (line %d)", path, jerr.text,
                     jerr.line);
        else
            snprintf(err, errlen, "cannot load profile %s: %s", path, jerr.text);
        return 0;
    }
    if (!json_is_object(j)) {
        snprintf(err, errlen, "profile %s: not a JSON object", path);
        json_decref(j);
        return 0;
    }
    struct profile *p = calloc(1, sizeof *p);
    p->path = strdup(path);
    profile_check_keys(p, j);
    char dirbuf[PATH_MAX];
    snprintf(dirbuf, sizeof dirbuf, "%s", path);
    char *pdir = dirname(dirbuf);
    char *root_rel = get_str(j, "root", ".");
    p->root = absolute(pdir, root_rel);
    free(root_rel);
    p->name = get_str(j, "name", path);

    char *kernel = get_str(j, "kernel", 0);
    if (!kernel) {
        snprintf(err, errlen, "profile %s: \"kernel\" (path of the kernel ELF) is required", path);
        json_decref(j);
        profile_free(p);
        return 0;
    }
    p->kernel = absolute(p->root, kernel);
    free(kernel);
    p->gdb = get_str(j, "gdb", "gdb-multiarch");
    p->qemu = get_str(j, "qemu.binary", "qemu-system-riscv64");
    json_t *args = json_object_get(json_object_get(j, "qemu"), "args");
    size_t nargs = json_is_array(args) ? json_array_size(args) : 0;
    p->qemu_args = calloc(nargs + 8, sizeof(char *));
    size_t k = 0;
    if (nargs) {
        for (size_t i = 0; i < nargs; i++)
            if (json_is_string(json_array_get(args, i)))
                p->qemu_args[k++] = strdup(json_string_value(json_array_get(args, i)));
    } else {
        const char *def[] = {"-machine", "virt", "-bios", "default", "-m", "128M", "-smp", "1"};
        for (size_t i = 0; i < 8; i++)
            p->qemu_args[k++] = strdup(def[i]);
    }
    /* The debug channel's port: a flow-controlled serial port unless the
     * OS's driver only knows the console port (osdbg/dbgchan.h). */
    char *chan = get_str(j, "qemu.debugChannel", "virtserialport");
    if (!strcmp(chan, "virtserialport") || !strcmp(chan, "virtconsole")) {
        p->debug_device =
            !strcmp(chan, "virtconsole") ? DBGCHAN_DEVICE_CONSOLE : DBGCHAN_DEVICE_SERIALPORT;
        free(chan);
    } else {
        snprintf(err, errlen,
                 "profile %s: \"qemu.debugChannel\" is \"%s\"; it must be \"virtserialport\" "
                 "(MULTIPORT drivers, flow-controlled) or \"virtconsole\"",
                 path, chan);
        free(chan);
        json_decref(j);
        profile_free(p);
        return 0;
    }
    char *lang = get_str(j, "language", "c");
    if (!strcmp(lang, "c") || !strcmp(lang, "rust")) {
        p->language = !strcmp(lang, "rust") ? PROFILE_LANG_RUST : PROFILE_LANG_C;
        free(lang);
    } else {
        snprintf(err, errlen,
                 "profile %s: \"language\" is \"%s\"; it must be \"c\" or \"rust\" (the language "
                 "of the profile's expressions)",
                 path, lang);
        free(lang);
        json_decref(j);
        profile_free(p);
        return 0;
    }
    char *udir = get_str(j, "userPrograms.dir", 0);
    if (udir) {
        p->user_dir = absolute(p->root, udir);
        free(udir);
    }
    p->user_pattern = get_str(j, "userPrograms.file", "{name}");
    p->proc_name = get_str(j, "process.name", 0);
    p->proc_pid = get_str(j, "process.pid", 0);
    p->proc_pagetable = get_str(j, "process.pageTable", 0);
    json_t *idm = json_object_get(json_object_get(j, "process"), "kernelIdentityMapped");
    p->kernel_identity_mapped = json_is_true(idm);
    /* OS facts, with the reference kernel's as defaults (docs/profiles.md). */
    json_t *base = json_object_get(j, "kernelBase");
    p->kernel_base = json_is_integer(base)  ? (uint64_t)json_integer_value(base)
                     : json_is_string(base) ? strtoull(json_string_value(base), 0, 0)
                                            : 0x80000000ULL;
    p->syscall_dispatch = get_str(j, "trap.dispatch", "syscall");
    p->boot_wait_var = get_str(j, "sideStub.bootWait", "sidestub_wait_ms");
    /* "sideStub": false: an OS without one (logpoints through GDB). */
    p->side_stub = !json_is_false(json_object_get(j, "sideStub"));
    p->procs_table = get_str(j, "processes.table", 0);
    p->procs_live = get_str(j, "processes.live", 0);
    p->procs_name = get_str(j, "processes.name", 0);
    p->procs_pid = get_str(j, "processes.pid", 0);
    p->procs_state = get_str(j, "processes.state", 0);
    p->procs_pagetable = get_str(j, "processes.pageTable", 0);
    p->exec_symbol = get_str(j, "exec.symbol", 0);
    p->exec_name = get_str(j, "exec.name", 0);
    p->exec_satp = get_str(j, "exec.satp", 0);
    p->exec_pid = get_str(j, "exec.pid", 0);
    p->exit_symbol = get_str(j, "exit.symbol", 0);
    p->exit_pid = get_str(j, "exit.pid", 0);
    p->fork_symbol = get_str(j, "fork.symbol", 0);
    p->fork_pid = get_str(j, "fork.pid", 0);
    p->fork_name = get_str(j, "fork.name", 0);
    p->fork_satp = get_str(j, "fork.satp", 0);
    p->fork_parent_satp = get_str(j, "fork.parentSatp", 0);
    p->proc_satp = get_str(j, "process.satp", 0);
    json_t *setup = json_object_get(j, "setup");
    p->setup = calloc(json_array_size(setup) + 1, sizeof *p->setup);
    size_t si;
    json_t *expr;
    int nsetup = 0;
    json_array_foreach(setup, si, expr)
    {
        if (json_is_string(expr))
            p->setup[nsetup++] = strdup(json_string_value(expr));
    }
    /* "powerOff": where the OS ends the machine (a recorded or replayed
     * session stops there: time-travel.md, "The end of the run"). */
    json_t *off = json_object_get(j, "powerOff");
    p->power_off = calloc(json_array_size(off) + 1, sizeof *p->power_off);
    int noff = 0;
    json_array_foreach(off, si, expr)
    {
        if (json_is_string(expr))
            p->power_off[noff++] = strdup(json_string_value(expr));
    }
    p->trap_entry = get_str(j, "trap.entry", 0);
    p->trap_return = get_str(j, "trap.return", 0);
    p->trapframe = get_str(j, "trap.frame", 0);
    p->tf_epc = get_int(j, "trap", "epcOffset", -1);
    p->tf_ra = get_int(j, "trap", "raOffset", -1);
    p->tf_sp = get_int(j, "trap", "spOffset", -1);
    p->tf_fp = get_int(j, "trap", "fpOffset", -1);
    p->uret_trampoline = get_str(j, "uretprobes.trampoline", 0);
    p->uret_instances = get_str(j, "uretprobes.instances", 0);
    p->uret_task = get_str(j, "uretprobes.task", 0);
    json_decref(j);
    return p;
}

bool profile_user_program_name(const struct profile *p, const char *file, char *name, size_t n)
{
    const char *pat = p->user_pattern ? p->user_pattern : "{name}";
    const char *at = strstr(pat, "{name}");
    size_t prefix = at ? (size_t)(at - pat) : 0, suffix = at ? strlen(at + 6) : 0;
    size_t len = strlen(file);
    if (!at)
        return false; /* a pattern without {name} names no program */
    if (len <= prefix + suffix || strncmp(file, pat, prefix) != 0 ||
        strcmp(file + len - suffix, at + 6) != 0 || len - prefix - suffix >= n)
        return false;
    snprintf(name, n, "%.*s", (int)(len - prefix - suffix), file + prefix);
    return true;
}

char *profile_user_elf(const struct profile *p, const char *program)
{
    if (!p->user_dir)
        return 0;
    char name[PATH_MAX];
    const char *pat = p->user_pattern, *at = strstr(pat, "{name}");
    if (at)
        snprintf(name, sizeof name, "%.*s%s%s", (int)(at - pat), pat, program, at + 6);
    else
        snprintf(name, sizeof name, "%s", program);
    char full[PATH_MAX * 2];
    snprintf(full, sizeof full, "%s/%s", p->user_dir, name);
    return strdup(full);
}

void profile_set_harts(struct profile *p, int n)
{
    char num[16];
    snprintf(num, sizeof num, "%d", n);
    size_t k = 0;
    for (; p->qemu_args[k]; k++) {
        /* -smp N, or -smp cpus=N,... (QEMU's long form): replaced whole. */
        if (strcmp(p->qemu_args[k], "-smp") == 0 && p->qemu_args[k + 1]) {
            free(p->qemu_args[k + 1]);
            p->qemu_args[k + 1] = strdup(num);
            return;
        }
    }
    /* Room for two more: the array was allocated with 8 spare slots. */
    p->qemu_args[k] = strdup("-smp");
    p->qemu_args[k + 1] = strdup(num);
    p->qemu_args[k + 2] = 0;
}

void profile_free(struct profile *p)
{
    if (!p)
        return;
    char **strs[] = {&p->path,
                     &p->name,
                     &p->root,
                     &p->kernel,
                     &p->gdb,
                     &p->qemu,
                     &p->user_dir,
                     &p->user_pattern,
                     &p->proc_name,
                     &p->proc_pid,
                     &p->proc_pagetable,
                     &p->exec_symbol,
                     &p->exec_name,
                     &p->exec_satp,
                     &p->exec_pid,
                     &p->exit_symbol,
                     &p->exit_pid,
                     &p->trap_entry,
                     &p->trap_return,
                     &p->trapframe,
                     &p->uret_trampoline,
                     &p->uret_instances,
                     &p->uret_task,
                     &p->fork_symbol,
                     &p->fork_pid,
                     &p->fork_name,
                     &p->fork_satp,
                     &p->fork_parent_satp,
                     &p->proc_satp,
                     &p->procs_table,
                     &p->procs_live,
                     &p->procs_name,
                     &p->procs_pid,
                     &p->procs_state,
                     &p->procs_pagetable,
                     &p->syscall_dispatch,
                     &p->boot_wait_var,
                     &p->warnings};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(*strs[i]);
    for (char **a = p->qemu_args; a && *a; a++)
        free(*a);
    free(p->qemu_args);
    for (char **a = p->setup; a && *a; a++)
        free(*a);
    free(p->setup);
    for (char **a = p->power_off; a && *a; a++)
        free(*a);
    free(p->power_off);
    free(p);
}
