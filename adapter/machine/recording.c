/*
 * Recordings of an OS run (recording.h): the folder, its recording.json,
 * and the check that a recording still fits the ELFs it was made with.
 *
 * recording.json (format 1):
 *   format      1
 *   created     ISO 8601 UTC time the recording began
 *   status      "recording" while QEMU runs, then "complete" (QEMU exited
 *               0: the log was closed) or "incomplete" (QEMU was killed or
 *               failed: the log may end mid-event, and its replay can hang)
 *   qemuStatus  how QEMU ended ("exit 0", "signal 9"), null while recording
 *   profile, profileName, bootArgs, harts (always 1), qemuArgs
 *   log, image, snapshot   the file names in the folder, the snapshot's name
 *   kernel      {path, buildId}
 *   programs    [{name, path, buildId}] every ELF executable in the
 *               profile's user program folder that names a program
 *   disks       [{id, path, contentHash}] each disk of the profile: the
 *               image its overlay in the folder reads what the OS has not
 *               written (absent: no disk)
 * A build id is the ELF's GNU build-id note, or a content hash (buildid.h).
 */
#include "machine/recording.h"
#include "core/paths.h"
#include "machine/buildid.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RECORDING_FORMAT     1
#define RECORDING_IMAGE_SIZE "64M" /* room for the one snapshot of a 128M machine's state */

void recording_default_parent(char *out, size_t n)
{
    char build[PATH_MAX], root[PATH_MAX];
    osdbg_locate(build, root, sizeof build);
    snprintf(out, n, "%s/recordings", build);
}

static void path_in(const struct recording *r, const char *file, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", r->dir, file);
}

/* mkdir -p */
static int make_dirs(const char *path, char *err, size_t errlen)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1;; s++) {
        if (*s == '/' || !*s) {
            char c = *s;
            *s = 0;
            if (mkdir(p, 0777) < 0 && errno != EEXIST) {
                snprintf(err, errlen, "cannot make %s: %s", p, strerror(errno));
                return -1;
            }
            *s = c;
            if (!c)
                return 0;
        }
    }
}

/* Run argv (on PATH) to its end, its output kept for a message.  0 if it
 * exited 0. */
static int run_tool(const char *const argv[], char *out, size_t n)
{
    int fds[2];
    out[0] = 0;
    if (pipe2(fds, O_CLOEXEC) < 0) {
        snprintf(out, n, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        snprintf(out, n, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s (Debian: apt install qemu-utils)", argv[0],
                strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    size_t len = 0;
    char sink[256]; /* what does not fit in out is read and dropped */
    for (;;) {
        bool fits = len < n - 1;
        ssize_t k = read(fds[0], fits ? out + len : sink, fits ? n - 1 - len : sizeof sink);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        if (fits)
            len += (size_t)k;
    }
    while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' '))
        len--;
    out[len] = 0;
    close(fds[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* QEMU's option values separate their keys by commas; a comma in a value
 * is written twice (QEMU's docs/system/invocation, "-drive"). */
static void qemu_escape(const char *s, char *out, size_t n)
{
    size_t k = 0;
    for (; *s && k + 2 < n; s++) {
        if (*s == ',')
            out[k++] = ',';
        out[k++] = *s;
    }
    out[k] = 0;
}

static int write_meta(const struct recording *r, json_t *meta, char *err, size_t errlen)
{
    char path[PATH_MAX + 32], tmp[PATH_MAX + 40];
    path_in(r, RECORDING_META, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    /* Written whole then renamed: a reader never sees half a file. */
    if (json_dump_file(meta, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 ||
        rename(tmp, path) < 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static json_t *read_meta(const char *dir, char *err, size_t errlen)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", dir, RECORDING_META);
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is not a folder", dir);
        return 0;
    }
    if (access(path, F_OK) < 0) {
        snprintf(err, errlen, "%s is not a recording (no %s in it; `osdbg record` makes one)", dir,
                 RECORDING_META);
        return 0;
    }
    json_error_t je;
    json_t *meta = json_load_file(path, 0, &je);
    if (!meta || !json_is_object(meta)) {
        snprintf(err, errlen, "%s: not a recording's description: %s", path,
                 meta ? "not an object" : je.text);
        json_decref(meta);
        return 0;
    }
    return meta;
}

static const char *meta_str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static json_t *elf_entry(const char *name, const char *path, char *err, size_t errlen)
{
    char id[BUILDID_MAX];
    if (buildid_of(path, id, sizeof id, err, errlen) < 0)
        return 0;
    json_t *e = json_object();
    if (name)
        json_object_set_new(e, "name", json_string(name));
    json_object_set_new(e, "path", json_string(path));
    json_object_set_new(e, "buildId", json_string(id));
    return e;
}

/* Every ELF executable in the user program folder that names a program,
 * by file name. */
static json_t *user_programs(const struct profile *p, char *err, size_t errlen)
{
    json_t *list = json_array();
    if (!p->user_dir)
        return list;
    struct dirent **names;
    int n = scandir(p->user_dir, &names, 0, alphasort);
    if (n < 0) {
        snprintf(err, errlen, "the user program folder %s: %s", p->user_dir, strerror(errno));
        json_decref(list);
        return 0;
    }
    int bad = 0;
    for (int i = 0; i < n; i++) {
        char name[256], path[PATH_MAX * 2];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", p->user_dir, names[i]->d_name);
        if (!bad && names[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
            profile_user_program_name(p, names[i]->d_name, name, sizeof name) &&
            buildid_is_executable(path)) {
            json_t *e = elf_entry(name, path, err, errlen);
            if (e)
                json_array_append_new(list, e);
            else
                bad = 1;
        }
        free(names[i]);
    }
    free(names);
    if (bad) {
        json_decref(list);
        return 0;
    }
    return list;
}

static json_t *string_array(const char *const *v)
{
    json_t *a = json_array();
    for (size_t i = 0; v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

/* The folder, named by the local time; -2, -3... when two start in the
 * same second. */
static int make_folder(const char *parent, struct recording *r, char *err, size_t errlen)
{
    if (make_dirs(parent, err, errlen) < 0)
        return -1;
    char stamp[32], dir[PATH_MAX];
    time_t now = time(0);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now));
    for (int k = 1; k < 100; k++) {
        if (k == 1)
            snprintf(dir, sizeof dir, "%s/%s", parent, stamp);
        else
            snprintf(dir, sizeof dir, "%s/%s-%d", parent, stamp, k);
        if (mkdir(dir, 0777) == 0) {
            if (!realpath(dir, r->dir))
                snprintf(r->dir, sizeof r->dir, "%s", dir);
            return 0;
        }
        if (errno != EEXIST) {
            snprintf(err, errlen, "cannot make %s: %s", dir, strerror(errno));
            return -1;
        }
    }
    snprintf(err, errlen, "cannot make a new folder in %s: %s-2 to -99 are taken", parent, stamp);
    return -1;
}

static void remove_folder(const struct recording *r)
{
    const char *files[] = {RECORDING_LOG, RECORDING_IMAGE, RECORDING_META};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[PATH_MAX + 32];
        path_in(r, files[i], path, sizeof path);
        unlink(path);
    }
    rmdir(r->dir);
}

/* The machine a recording runs: the profile's, on one hart. */
static json_t *machine_args(const struct profile *p, const char *kernel, const char *boot_args)
{
    json_t *a = json_array();
    json_array_append_new(a, json_string(p->qemu));
    for (size_t i = 0; p->qemu_args[i]; i++) {
        bool smp_value = i > 0 && strcmp(p->qemu_args[i - 1], "-smp") == 0;
        json_array_append_new(a, json_string(smp_value ? "1" : p->qemu_args[i]));
    }
    json_array_append_new(a, json_string("-kernel"));
    json_array_append_new(a, json_string(kernel));
    if (boot_args[0]) {
        json_array_append_new(a, json_string("-append"));
        json_array_append_new(a, json_string(boot_args));
    }
    return a;
}

int recording_create(const struct profile *p, const char *parent, const char *boot_args,
                     struct recording *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    snprintf(r->boot_args, sizeof r->boot_args, "%s", boot_args ? boot_args : "");
    if (!realpath(p->path, r->profile))
        snprintf(r->profile, sizeof r->profile, "%s", p->path);
    /* The ELFs first: a kernel not built is said before a folder is made. */
    json_t *kernel = elf_entry(0, p->kernel, err, errlen);
    if (!kernel)
        return -1;
    json_t *programs = user_programs(p, err, errlen);
    if (!programs) {
        json_decref(kernel);
        return -1;
    }
    if (make_folder(parent, r, err, errlen) < 0) {
        json_decref(kernel);
        json_decref(programs);
        return -1;
    }
    char image[PATH_MAX + 32], out[512];
    path_in(r, RECORDING_IMAGE, image, sizeof image);
    const char *img_argv[] = {"qemu-img",           "create", "-q", "-f", "qcow2", image,
                              RECORDING_IMAGE_SIZE, 0};
    if (run_tool(img_argv, out, sizeof out) < 0) {
        snprintf(err, errlen, "qemu-img cannot make %s: %s", image, out);
        goto fail;
    }
    char created[32];
    time_t now = time(0);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    json_t *args = machine_args(p, p->kernel, r->boot_args);
    const char *const *rr = recording_qemu_args(r, false);
    for (size_t i = 0; rr[i]; i++)
        json_array_append_new(args, json_string(rr[i]));
    json_t *meta = json_pack(
        "{s:i, s:s, s:s, s:n, s:s, s:s, s:s, s:i, s:o, s:s, s:s, s:s, s:o, s:o}", "format",
        RECORDING_FORMAT, "created", created, "status", "recording", "qemuStatus", "profile",
        r->profile, "profileName", p->name ? p->name : "", "bootArgs", r->boot_args, "harts",
        RECORDING_HARTS, "qemuArgs", args, "log", RECORDING_LOG, "image", RECORDING_IMAGE,
        "snapshot", RECORDING_SNAPSHOT, "kernel", kernel, "programs", programs);
    kernel = programs = 0;
    int rc = write_meta(r, meta, err, errlen);
    json_decref(meta);
    if (rc == 0)
        return 0;
fail:
    json_decref(kernel);
    json_decref(programs);
    remove_folder(r);
    return -1;
}

int recording_note_qemu_args(struct recording *r, const char *const *argv, char *err, size_t errlen)
{
    json_t *meta = read_meta(r->dir, err, errlen);
    if (!meta)
        return -1;
    json_object_set_new(meta, "qemuArgs", string_array(argv));
    int rc = write_meta(r, meta, err, errlen);
    json_decref(meta);
    return rc;
}

int recording_finish(struct recording *r, int qemu_status, char *err, size_t errlen)
{
    json_t *meta = read_meta(r->dir, err, errlen);
    if (!meta)
        return -1;
    char how[32];
    if (WIFEXITED(qemu_status))
        snprintf(how, sizeof how, "exit %d", WEXITSTATUS(qemu_status));
    else if (WIFSIGNALED(qemu_status))
        snprintf(how, sizeof how, "signal %d", WTERMSIG(qemu_status));
    else
        snprintf(how, sizeof how, "status %d", qemu_status);
    /* QEMU closes its log on a normal exit (power-off, SIGTERM, Ctrl-A X);
     * anything else may leave a log cut mid-event. */
    bool complete = WIFEXITED(qemu_status) && WEXITSTATUS(qemu_status) == 0;
    json_object_set_new(meta, "status", json_string(complete ? "complete" : "incomplete"));
    json_object_set_new(meta, "qemuStatus", json_string(how));
    int rc = write_meta(r, meta, err, errlen);
    json_decref(meta);
    return rc;
}

/* The ELF at path must have the recorded build id. */
static int check_elf(const char *what, const char *path, const char *recorded, const char *dir,
                     char *err, size_t errlen)
{
    char id[BUILDID_MAX], why[PATH_MAX + 64];
    if (access(path, F_OK) < 0) {
        snprintf(err, errlen,
                 "%s %s is missing; the recording %s was made with it: rebuild it or record again",
                 what, path, dir);
        return -1;
    }
    if (buildid_of(path, id, sizeof id, why, sizeof why) < 0) {
        snprintf(err, errlen, "%s: %s", what, why);
        return -1;
    }
    if (strcmp(id, recorded) != 0) {
        snprintf(err, errlen,
                 "%s %s changed since the recording %s (build id %s, recorded %s): rebuild the "
                 "recorded version or record again",
                 what, path, dir, id, recorded);
        return -1;
    }
    return 0;
}

static int check_files(const char *dir, json_t *meta, char *err, size_t errlen)
{
    long format = (long)json_integer_value(json_object_get(meta, "format"));
    if (format != RECORDING_FORMAT) {
        snprintf(err, errlen, "the recording %s has format %ld; this osdbg reads format %d", dir,
                 format, RECORDING_FORMAT);
        return -1;
    }
    const char *status = meta_str(meta, "status");
    if (strcmp(status, "recording") == 0) {
        snprintf(err, errlen,
                 "the recording %s was not finished (QEMU still runs, or its recorder was killed): "
                 "record again",
                 dir);
        return -1;
    }
    if (strcmp(status, "complete") != 0) {
        /* A log cut short (QEMU killed with SIGKILL) can hang QEMU's replay. */
        snprintf(err, errlen,
                 "the recording %s is %s (QEMU ended with %s), its log may be cut short and replay "
                 "could hang: record again",
                 dir, status, meta_str(meta, "qemuStatus"));
        return -1;
    }
    const char *files[] = {RECORDING_LOG, RECORDING_IMAGE};
    for (size_t i = 0; i < 2; i++) {
        char path[PATH_MAX + 32];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (stat(path, &st) < 0 || st.st_size == 0) {
            snprintf(err, errlen, "the recording %s has no %s (%s): record again", dir, files[i],
                     errno == ENOENT ? "missing" : "empty");
            return -1;
        }
    }
    return 0;
}

int recording_open(const char *dir, const struct profile *p, struct recording *r, char *err,
                   size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (!realpath(dir, r->dir))
        snprintf(r->dir, sizeof r->dir, "%s", dir);
    json_t *meta = read_meta(r->dir, err, errlen);
    if (!meta)
        return -1;
    int rc = check_files(r->dir, meta, err, errlen);
    json_t *kernel = json_object_get(meta, "kernel");
    if (rc == 0)
        rc = check_elf("the kernel", p->kernel, meta_str(kernel, "buildId"), r->dir, err, errlen);
    json_t *prog;
    size_t i;
    json_array_foreach(json_object_get(meta, "programs"), i, prog)
    {
        if (rc < 0)
            break;
        const char *name = meta_str(prog, "name");
        char *elf = profile_user_elf(p, name);
        char what[300];
        snprintf(what, sizeof what, "the user program %s,", name);
        if (!elf) {
            snprintf(err, errlen,
                     "the recording %s has user programs; the profile %s has no userPrograms",
                     r->dir, p->path);
            rc = -1;
            break;
        }
        rc = check_elf(what, elf, meta_str(prog, "buildId"), r->dir, err, errlen);
        free(elf);
    }
    if (rc == 0) {
        snprintf(r->boot_args, sizeof r->boot_args, "%s", meta_str(meta, "bootArgs"));
        snprintf(r->profile, sizeof r->profile, "%s", meta_str(meta, "profile"));
    }
    json_decref(meta);
    return rc;
}

const char *const *recording_qemu_args(struct recording *r, bool replay)
{
    char dir[PATH_MAX]; /* the escaped folder; fits the arguments' storage */
    qemu_escape(r->dir, dir, sizeof dir);
    snprintf(r->icount_arg, sizeof r->icount_arg, "shift=auto,rr=%s,rrfile=%s/%s,rrsnapshot=%s",
             replay ? "replay" : "record", dir, RECORDING_LOG, RECORDING_SNAPSHOT);
    snprintf(r->drive_arg, sizeof r->drive_arg, "file=%s/%s,if=none,id=rr", dir, RECORDING_IMAGE);
    r->qemu_args[0] = "-icount";
    r->qemu_args[1] = r->icount_arg;
    r->qemu_args[2] = "-drive";
    r->qemu_args[3] = r->drive_arg;
    r->qemu_args[4] = 0;
    return r->qemu_args;
}

/* The image a recorded disk's overlay is backed by must be as it was:
 * the overlay holds only what the OS wrote, so every block it did not
 * write is read from the image again in the replay, and a changed block
 * makes the replay diverge from the log (QEMU then stops with an error, or
 * hangs waiting for an event that never comes). */
static int note_disk(struct recording *r, const char *id, const char *image, bool replay,
                     char *err, size_t errlen)
{
    char hash[BUILDID_MAX], why[PATH_MAX + 64];
    json_t *meta = read_meta(r->dir, err, errlen);
    if (!meta)
        return -1;
    json_t *disks = json_object_get(meta, "disks");
    int rc = 0;
    if (!replay) {
        rc = buildid_content_of(image, hash, sizeof hash, why, sizeof why);
        if (rc < 0) {
            snprintf(err, errlen, "the disk %s: %s", id, why);
        } else {
            if (!json_is_array(disks)) {
                disks = json_array();
                json_object_set_new(meta, "disks", disks);
            }
            json_array_append_new(disks, json_pack("{s:s, s:s, s:s}", "id", id, "path", image,
                                                   "contentHash", hash));
            rc = write_meta(r, meta, err, errlen);
        }
        json_decref(meta);
        return rc;
    }
    json_t *d;
    size_t i;
    json_array_foreach(disks, i, d)
    {
        if (strcmp(meta_str(d, "id"), id) != 0)
            continue;
        const char *path = meta_str(d, "path");
        if (buildid_content_of(path, hash, sizeof hash, why, sizeof why) < 0) {
            snprintf(err, errlen,
                     "the disk image %s that the recording %s reads is gone (%s): restore it or "
                     "record again",
                     path, r->dir, why);
            rc = -1;
        } else if (strcmp(hash, meta_str(d, "contentHash")) != 0) {
            snprintf(err, errlen,
                     "the disk image %s changed since the recording %s (content %s, recorded %s): "
                     "the replay would read blocks the recorded run did not; restore the image "
                     "or record again",
                     path, r->dir, hash, meta_str(d, "contentHash"));
            rc = -1;
        }
        break;
    }
    json_decref(meta);
    return rc;
}

/* One -drive spec's key's value ("" if absent), into out. */
static void drive_key(const char *spec, const char *key, char *out, size_t n)
{
    size_t klen = strlen(key);
    out[0] = 0;
    for (const char *s = spec; s && *s;) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        if (len > klen && strncmp(s, key, klen) == 0 && s[klen] == '=') {
            snprintf(out, n, "%.*s", (int)(len - klen - 1), s + klen + 1);
            return;
        }
        s = end ? end + 1 : 0;
    }
}

int recording_adapt_disks(struct profile *p, struct recording *r, bool replay, char *err,
                          size_t errlen)
{
    size_t n = 0;
    while (p->qemu_args[n])
        n++;
    for (size_t i = 0; i + 1 < n; i++) {
        if (strcmp(p->qemu_args[i], "-drive") != 0)
            continue;
        const char *spec = p->qemu_args[i + 1];
        char file[PATH_MAX], id[64], iface[32], format[32], driver[32];
        drive_key(spec, "file", file, sizeof file);
        drive_key(spec, "id", id, sizeof id);
        drive_key(spec, "if", iface, sizeof iface);
        drive_key(spec, "format", format, sizeof format);
        drive_key(spec, "driver", driver, sizeof driver);
        if (!file[0] || strcmp(driver, "blkreplay") == 0 || strstr(spec, "-rr-image"))
            continue; /* no disk, or adapted already */
        if (strcmp(iface, "none") != 0 || !id[0]) {
            snprintf(err, errlen,
                     "the profile's disk \"%s\" cannot be recorded: QEMU's record/replay needs "
                     "it given as -drive ...,if=none,id=NAME with a -device that names it",
                     spec);
            return -1;
        }
        /* The disk's writes go to an overlay in the recording, whose
         * snapshot holds the disk as it was at the start; the image the
         * profile names is only read (its backing file). */
        char overlay[PATH_MAX + 80], base[PATH_MAX * 2];
        snprintf(overlay, sizeof overlay, "%s/disk-%s.qcow2", r->dir, id);
        if (file[0] == '/')
            snprintf(base, sizeof base, "%s", file);
        else
            snprintf(base, sizeof base, "%s/%s", p->root, file);
        if (replay) {
            if (access(overlay, R_OK) != 0) {
                snprintf(err, errlen, "the recording %s has no copy of the disk %s (%s)", r->dir,
                         id, overlay);
                return -1;
            }
            if (note_disk(r, id, base, true, err, errlen) < 0)
                return -1;
        } else {
            char out[512];
            const char *argv[] = {"qemu-img", "create", "-q", "-f", "qcow2", "-F",
                                  format[0] ? format : "raw", "-b", base, overlay, 0};
            if (run_tool(argv, out, sizeof out) < 0) {
                snprintf(err, errlen, "qemu-img cannot make the disk %s's overlay: %s", id, out);
                return -1;
            }
            if (note_disk(r, id, base, false, err, errlen) < 0)
                return -1;
        }
        char esc[PATH_MAX * 2 + 200], image_spec[PATH_MAX * 2 + 300], replay_spec[256];
        qemu_escape(overlay, esc, sizeof esc);
        snprintf(image_spec, sizeof image_spec, "file=%s,if=none,id=%s-rr-image", esc, id);
        /* QEMU's docs/system/replay.rst, "Block devices": a disk's requests
         * are put in the log by the blkreplay driver in front of it. */
        snprintf(replay_spec, sizeof replay_spec, "driver=blkreplay,if=none,image=%s-rr-image,id=%s",
                 id, id);
        char **args = realloc(p->qemu_args, (n + 3) * sizeof *args);
        if (!args) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        p->qemu_args = args;
        free(args[i + 1]);
        args[i + 1] = strdup(image_spec);
        memmove(&args[i + 4], &args[i + 2], (n - i - 2 + 1) * sizeof *args);
        args[i + 2] = strdup("-drive");
        args[i + 3] = strdup(replay_spec);
        n += 2;
        i += 3;
    }
    return 0;
}
