/*
 * Recording folders (adapter/machine/recording.c, issue 20): what
 * recording_create makes, what recording_finish says, and every reason
 * recording_open refuses a folder.  Works in a temporary copy of the
 * reference profile whose kernel and user program folder are copies, so
 * that an ELF can be changed under a recording.  Build ids expected here
 * come from readelf -n and from this file's own FNV-1a, never from
 * buildid.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "machine/recording.h"

static char tmp[256];         /* the test's folder */
static char parent[PATH_MAX]; /* recordings go here */
static char profile_path[PATH_MAX];

static void sh(const char *fmt, ...)
{
    char cmd[4 * PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc != 0)
        fail_msg("command failed (%d): %s", rc, cmd);
}

/* readelf's word for an ELF's GNU build id. */
static void readelf_build_id(const char *path, char *out, size_t n)
{
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "readelf -n '%s'", path);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    char line[512];
    out[0] = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, " Build ID: %127s", out) == 1 && strlen(out) < n)
            break;
    pclose(f);
    assert_true(out[0]);
}

/* FNV-1a 64 (draft-eastlake-fnv), written here from the spec. */
static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void file_fnv(const char *path, char *out, size_t n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static unsigned char buf[8 << 20];
    size_t k = fread(buf, 1, sizeof buf, f);
    fclose(f);
    snprintf(out, n, "sha:%016llx", (unsigned long long)fnv1a(buf, k));
}

static struct profile *load_profile(void)
{
    char err[512];
    struct profile *p = profile_load(profile_path, err, sizeof err);
    if (!p)
        fail_msg("profile: %s", err);
    return p;
}

static json_t *meta_of(const struct recording *r)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", r->dir, RECORDING_META);
    json_t *j = json_load_file(path, 0, 0);
    assert_non_null(j);
    return j;
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    assert_non_null(s);
    return s;
}

/* A temporary profile: the reference one with its kernel and user folder
 * replaced by copies (hello, matrix, a copy of hello without its build id
 * note, an object file and a text file that are no programs). */
static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/osdbg-recording-XXXXXX");
    assert_non_null(mkdtemp(tmp));
    snprintf(parent, sizeof parent, "%s/recs", tmp);
    sh("mkdir -p %s/user && cp %s/kernel/kernel.elf %s/kernel.elf", tmp, OSDBG_BUILD, tmp);
    sh("cp %s/user/hello %s/user/matrix %s/user/hello.o %s/user/", OSDBG_BUILD, OSDBG_BUILD,
       OSDBG_BUILD, tmp);
    sh("riscv64-unknown-elf-objcopy -R .note.gnu.build-id %s/user/hello %s/user/nobid", tmp, tmp);
    sh("echo not a program >%s/user/notes", tmp);
    char ref[PATH_MAX];
    snprintf(ref, sizeof ref, "%s/profiles/osdbg-kernel.json", OSDBG_TOP);
    json_t *j = json_load_file(ref, 0, 0);
    assert_non_null(j);
    json_object_set_new(j, "root", json_string("."));
    json_object_set_new(j, "kernel", json_string("kernel.elf"));
    json_object_set_new(j, "userPrograms",
                        json_pack("{s:s, s:s}", "dir", "user", "file", "{name}"));
    snprintf(profile_path, sizeof profile_path, "%s/profile.json", tmp);
    assert_int_equal(json_dump_file(j, profile_path, JSON_INDENT(2)), 0);
    json_decref(j);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sh("rm -rf %s", tmp);
    return 0;
}

static void make_log(const struct recording *r)
{
    sh("printf 'a log' >%s/%s", r->dir, RECORDING_LOG);
}

static void test_fnv_of_the_spec(void **state)
{
    (void)state;
    /* The draft's test vectors: this file's hash is the spec's. */
    assert_true(fnv1a((const unsigned char *)"", 0) == 0xcbf29ce484222325ULL);
    assert_true(fnv1a((const unsigned char *)"a", 1) == 0xaf63dc4c8601ec8cULL);
}

static void test_create_makes_the_folder_and_its_description(void **state)
{
    (void)state;
    struct profile *p = load_profile();
    struct recording r;
    char err[1024];
    assert_int_equal(recording_create(p, parent, "run=hello", &r, err, sizeof err), 0);
    /* The folder: in parent, named by the time. */
    char real_parent[PATH_MAX];
    assert_non_null(realpath(parent, real_parent));
    assert_int_equal(strncmp(r.dir, real_parent, strlen(real_parent)), 0);
    regex_t re;
    assert_int_equal(regcomp(&re, "/[0-9]{8}-[0-9]{6}(-[0-9]+)?$", REG_EXTENDED), 0);
    assert_int_equal(regexec(&re, r.dir, 0, 0, 0), 0);
    regfree(&re);
    /* The image is a qcow2 (its magic "QFI\xfb", QEMU docs/interop/qcow2.txt). */
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", r.dir, RECORDING_IMAGE);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char magic[4] = {0};
    assert_int_equal(fread(magic, 1, 4, f), 4);
    fclose(f);
    assert_memory_equal(magic, "QFI\xfb", 4);

    json_t *m = meta_of(&r);
    assert_int_equal(json_integer_value(json_object_get(m, "format")), 1);
    assert_string_equal(str(m, "status"), "recording");
    assert_true(json_is_null(json_object_get(m, "qemuStatus")));
    char real_profile[PATH_MAX];
    assert_non_null(realpath(profile_path, real_profile));
    assert_string_equal(str(m, "profile"), real_profile);
    assert_string_equal(str(m, "profileName"), "osdbg reference kernel");
    assert_string_equal(str(m, "bootArgs"), "run=hello");
    assert_int_equal(json_integer_value(json_object_get(m, "harts")), 1);
    regex_t iso;
    assert_int_equal(regcomp(&iso, "^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
                             REG_EXTENDED),
                     0);
    assert_int_equal(regexec(&iso, str(m, "created"), 0, 0, 0), 0);
    regfree(&iso);
    /* The kernel: the profile's, with the id readelf sees. */
    char want[128];
    json_t *k = json_object_get(m, "kernel");
    snprintf(path, sizeof path, "%s/kernel.elf", tmp);
    readelf_build_id(path, want, sizeof want);
    assert_string_equal(str(k, "buildId"), want);
    assert_string_equal(str(k, "path"), p->kernel);
    /* The programs, by name: not the object file nor the text file. */
    json_t *progs = json_object_get(m, "programs");
    assert_int_equal(json_array_size(progs), 3);
    const char *names[] = {"hello", "matrix", "nobid"};
    for (size_t i = 0; i < 3; i++) {
        json_t *e = json_array_get(progs, i);
        assert_string_equal(str(e, "name"), names[i]);
        snprintf(path, sizeof path, "%s/user/%s", tmp, names[i]);
        char *real = realpath(path, 0);
        assert_string_equal(str(e, "path"), real);
        if (i < 2)
            readelf_build_id(path, want, sizeof want);
        else
            file_fnv(path, want, sizeof want); /* no note: the content hash */
        assert_string_equal(str(e, "buildId"), want);
        free(real);
    }
    /* QEMU's arguments: the profile's machine on one hart, recording. */
    json_t *args = json_object_get(m, "qemuArgs");
    bool smp1 = false, icount = false;
    for (size_t i = 0; i + 1 < json_array_size(args); i++) {
        const char *a = json_string_value(json_array_get(args, i)),
                   *b = json_string_value(json_array_get(args, i + 1));
        smp1 |= strcmp(a, "-smp") == 0 && strcmp(b, "1") == 0;
        icount |= strcmp(a, "-icount") == 0 && strstr(b, "rr=record") != 0;
    }
    assert_true(smp1);
    assert_true(icount);
    json_decref(m);
    profile_free(p);
}

static void test_qemu_args_record_and_replay(void **state)
{
    (void)state;
    struct recording r = {0};
    snprintf(r.dir, sizeof r.dir, "/x/a,b");
    const char *const *a = recording_qemu_args(&r, false);
    assert_string_equal(a[0], "-icount");
    /* A comma in the folder is doubled, as QEMU's option syntax wants. */
    assert_string_equal(a[1], "shift=auto,rr=record,rrfile=/x/a,,b/replay.bin,rrsnapshot=init");
    assert_string_equal(a[2], "-drive");
    assert_string_equal(a[3], "file=/x/a,,b/snapshot.qcow2,if=none,id=rr");
    assert_null(a[4]);
    a = recording_qemu_args(&r, true);
    assert_string_equal(a[1], "shift=auto,rr=replay,rrfile=/x/a,,b/replay.bin,rrsnapshot=init");
}

/* A finished recording with a log; its folder in r. */
static void finished(struct recording *r, int status)
{
    struct profile *p = load_profile();
    char err[1024];
    assert_int_equal(recording_create(p, parent, "run=hello", r, err, sizeof err), 0);
    make_log(r);
    assert_int_equal(recording_finish(r, status, err, sizeof err), 0);
    profile_free(p);
}

static void open_fails(const char *dir, const char *want1, const char *want2)
{
    struct profile *p = load_profile();
    struct recording r;
    char err[1024] = "";
    assert_int_equal(recording_open(dir, p, &r, err, sizeof err), -1);
    if (!strstr(err, want1) || (want2 && !strstr(err, want2)))
        fail_msg("error '%s' does not say '%s' and '%s'", err, want1, want2 ? want2 : "");
    profile_free(p);
}

static void test_finish_then_open(void **state)
{
    (void)state;
    struct recording r, o;
    finished(&r, 0); /* waitpid's status of exit(0) */
    json_t *m = meta_of(&r);
    assert_string_equal(str(m, "status"), "complete");
    assert_string_equal(str(m, "qemuStatus"), "exit 0");
    json_decref(m);
    struct profile *p = load_profile();
    char err[1024] = "";
    if (recording_open(r.dir, p, &o, err, sizeof err) != 0)
        fail_msg("open: %s", err);
    assert_string_equal(o.dir, r.dir);
    assert_string_equal(o.boot_args, "run=hello");
    char real_profile[PATH_MAX];
    assert_non_null(realpath(profile_path, real_profile));
    assert_string_equal(o.profile, real_profile);
    profile_free(p);
}

static void test_open_refuses_a_changed_program(void **state)
{
    (void)state;
    struct recording r;
    finished(&r, 0);
    /* matrix rebuilt differently: here, replaced by another program. */
    sh("cp %s/user/matrix %s/matrix.keep && cp %s/user/hello %s/user/matrix", tmp, tmp, tmp, tmp);
    open_fails(r.dir, "user program matrix", "record again");
    sh("mv %s/matrix.keep %s/user/matrix", tmp, tmp);
    /* The program without a build id: one changed byte changes its hash. */
    sh("cp %s/user/nobid %s/nobid.keep && printf x >>%s/user/nobid", tmp, tmp, tmp);
    open_fails(r.dir, "user program nobid", "changed");
    sh("mv %s/nobid.keep %s/user/nobid", tmp, tmp);
    /* A program gone. */
    sh("mv %s/user/hello %s/hello.keep", tmp, tmp);
    open_fails(r.dir, "user program hello", "missing");
    sh("mv %s/hello.keep %s/user/hello", tmp, tmp);
    /* The kernel changed. */
    sh("cp %s/kernel.elf %s/kernel.keep && cp %s/user/hello %s/kernel.elf", tmp, tmp, tmp, tmp);
    open_fails(r.dir, "kernel", "rebuild");
    sh("mv %s/kernel.keep %s/kernel.elf", tmp, tmp);
    /* All back as recorded: it opens again. */
    struct profile *p = load_profile();
    struct recording o;
    char err[1024] = "";
    if (recording_open(r.dir, p, &o, err, sizeof err) != 0)
        fail_msg("open after restoring: %s", err);
    profile_free(p);
}

/* The profile with one more disk, as xv6's: -drive file=IMG,if=none,... */
static struct profile *profile_with_disk(const char *image)
{
    struct profile *p = load_profile();
    size_t n = 0;
    while (p->qemu_args[n])
        n++;
    p->qemu_args = realloc(p->qemu_args, (n + 3) * sizeof *p->qemu_args);
    assert_non_null(p->qemu_args);
    char spec[PATH_MAX + 64];
    snprintf(spec, sizeof spec, "file=%s,if=none,format=raw,id=x0", image);
    p->qemu_args[n] = strdup("-drive");
    p->qemu_args[n + 1] = strdup(spec);
    p->qemu_args[n + 2] = 0;
    return p;
}

static void disk_replay_fails(struct recording *r, const char *image, const char *want)
{
    struct profile *p = profile_with_disk(image);
    char err[1024] = "";
    assert_int_equal(recording_adapt_disks(p, r, true, err, sizeof err), -1);
    if (!strstr(err, want) || !strstr(err, image))
        fail_msg("error '%s' does not name %s and say '%s'", err, image, want);
    profile_free(p);
}

/* A disk's overlay reads the image for every block the run did not write:
 * the recording keeps the image's content hash, and a replay over a
 * changed image (a student's `make fs.img`) is refused. */
static void test_replay_refuses_a_changed_disk_image(void **state)
{
    (void)state;
    char image[PATH_MAX + 16], want[64], err[1024] = "";
    snprintf(image, sizeof image, "%s/disk.img", tmp);
    sh("head -c 65536 /dev/urandom >%s", image);
    file_fnv(image, want, sizeof want);
    struct profile *p = profile_with_disk(image);
    struct recording r;
    assert_int_equal(recording_create(p, parent, "run=hello", &r, err, sizeof err), 0);
    if (recording_adapt_disks(p, &r, false, err, sizeof err) != 0)
        fail_msg("record: %s", err);
    profile_free(p);
    json_t *m = meta_of(&r);
    json_t *d = json_array_get(json_object_get(m, "disks"), 0);
    assert_non_null(d);
    assert_string_equal(str(d, "id"), "x0");
    assert_string_equal(str(d, "path"), image);
    assert_string_equal(str(d, "contentHash"), want);
    json_decref(m);
    make_log(&r);
    assert_int_equal(recording_finish(&r, 0, err, sizeof err), 0);

    p = profile_with_disk(image);
    if (recording_adapt_disks(p, &r, true, err, sizeof err) != 0)
        fail_msg("replay over the same image: %s", err);
    profile_free(p);
    /* One byte changed in place: same size, other content. */
    sh("cp %s %s.keep && printf Z | dd of=%s bs=1 seek=4000 conv=notrunc status=none && "
       "cmp -s %s %s.keep; test $? = 1",
       image, image, image, image, image);
    disk_replay_fails(&r, image, "changed since the recording");
    sh("rm %s", image);
    disk_replay_fails(&r, image, "gone");
    sh("mv %s.keep %s", image, image);
    p = profile_with_disk(image);
    if (recording_adapt_disks(p, &r, true, err, sizeof err) != 0)
        fail_msg("replay over the restored image: %s", err);
    profile_free(p);
}

static void test_open_refuses_what_is_no_finished_recording(void **state)
{
    (void)state;
    open_fails(tmp, "not a recording", 0);
    char none[PATH_MAX + 16];
    snprintf(none, sizeof none, "%s/none", tmp);
    open_fails(none, "not a folder", 0);
    /* QEMU killed: its log may be cut. */
    struct recording r;
    finished(&r, SIGKILL); /* waitpid's status of a SIGKILL */
    json_t *m = meta_of(&r);
    assert_string_equal(str(m, "status"), "incomplete");
    assert_string_equal(str(m, "qemuStatus"), "signal 9");
    json_decref(m);
    open_fails(r.dir, "incomplete", "record again");
    /* QEMU failed (exit 1). */
    finished(&r, 1 << 8);
    open_fails(r.dir, "incomplete", "exit 1");
    /* Never finished. */
    struct profile *p = load_profile();
    char err[1024];
    assert_int_equal(recording_create(p, parent, "", &r, err, sizeof err), 0);
    make_log(&r);
    open_fails(r.dir, "not finished", 0);
    profile_free(p);
    /* Finished, but the log or the image is gone. */
    finished(&r, 0);
    sh("rm %s/%s", r.dir, RECORDING_LOG);
    open_fails(r.dir, RECORDING_LOG, "record again");
    finished(&r, 0);
    sh("rm %s/%s", r.dir, RECORDING_IMAGE);
    open_fails(r.dir, RECORDING_IMAGE, 0);
}

static void test_two_recordings_in_one_second(void **state)
{
    (void)state;
    struct profile *p = load_profile();
    struct recording a, b;
    char err[1024];
    assert_int_equal(recording_create(p, parent, "", &a, err, sizeof err), 0);
    assert_int_equal(recording_create(p, parent, "", &b, err, sizeof err), 0);
    assert_string_not_equal(a.dir, b.dir);
    profile_free(p);
}

static void test_create_needs_a_kernel(void **state)
{
    (void)state;
    struct profile *p = load_profile();
    free(p->kernel);
    p->kernel = strdup("/nonexistent/kernel.elf");
    struct recording r;
    char err[1024] = "";
    assert_int_equal(recording_create(p, parent, "", &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/kernel.elf"));
    profile_free(p);
}

static void test_create_without_qemu_img(void **state)
{
    (void)state;
    struct profile *p = load_profile();
    char old_path[4096], empty[PATH_MAX + 16], err[1024] = "";
    snprintf(old_path, sizeof old_path, "%s", getenv("PATH"));
    snprintf(empty, sizeof empty, "%s/empty", tmp);
    mkdir(empty, 0700);
    setenv("PATH", empty, 1);
    struct recording r;
    int rc = recording_create(p, empty, "", &r, err, sizeof err);
    setenv("PATH", old_path, 1);
    assert_int_equal(rc, -1);
    if (!strstr(err, "qemu-img") || !strstr(err, "qemu-utils"))
        fail_msg("error '%s' does not name qemu-img and its package", err);
    /* No half-made folder is left behind. */
    assert_int_equal(access(r.dir, F_OK), -1);
    profile_free(p);
}

static void test_default_parent(void **state)
{
    (void)state;
    char out[PATH_MAX], build[PATH_MAX];
    recording_default_parent(out, sizeof out);
    assert_non_null(realpath(OSDBG_BUILD, build));
    strcat(build, "/recordings");
    assert_string_equal(out, build);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fnv_of_the_spec),
        cmocka_unit_test(test_create_makes_the_folder_and_its_description),
        cmocka_unit_test(test_qemu_args_record_and_replay),
        cmocka_unit_test(test_finish_then_open),
        cmocka_unit_test(test_open_refuses_a_changed_program),
        cmocka_unit_test(test_replay_refuses_a_changed_disk_image),
        cmocka_unit_test(test_open_refuses_what_is_no_finished_recording),
        cmocka_unit_test(test_two_recordings_in_one_second),
        cmocka_unit_test(test_create_needs_a_kernel),
        cmocka_unit_test(test_create_without_qemu_img),
        cmocka_unit_test(test_default_parent),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
