/*
 * A recording of an OS run (issue 20, time-travel debugging): a folder,
 * build/recordings/<time>/, that holds QEMU's record/replay log, the disk
 * image its replay starts from, and recording.json (what was run: the
 * profile, the boot arguments, the kernel's and the user programs' build
 * ids).  `osdbg record` and the launch key "record" make one; the launch
 * key "replay" opens one (recording.c).
 *
 * QEMU 7.2 (docs/system/replay.rst): -icount shift=auto,rr=record,
 * rrfile=LOG,rrsnapshot=NAME with a snapshot drive
 * -drive file=IMAGE,if=none,id=rr records; rr=replay with the same
 * arguments replays.  It refuses -smp > 1 ("Record/replay feature is not
 * supported for 'smp'"), so a recording runs on one hart.  A virtio-serial
 * port (the debug channel) in a recording that has a snapshot makes its
 * replay hang right after loading the snapshot (measured: the port's
 * post-load timer is not in the log), so a recording has no debug channel:
 * no side-stub, no eBPF while recording or replaying.
 */
#ifndef ADAPTER_MACHINE_RECORDING_H
#define ADAPTER_MACHINE_RECORDING_H

#include "profile/profile.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define RECORDING_LOG      "replay.bin"     /* QEMU's rrfile */
#define RECORDING_IMAGE    "snapshot.qcow2" /* the drive its snapshots go in */
#define RECORDING_META     "recording.json" /* what was run */
#define RECORDING_SNAPSHOT "init"           /* rrsnapshot: taken at the first instruction */
#define RECORDING_HARTS    1                /* QEMU 7.2 records one hart only */

struct recording {
    char dir[PATH_MAX];       /* the folder (absolute) */
    char boot_args[1024];     /* the kernel command line it ran with */
    char profile[PATH_MAX];   /* the profile's path when it was recorded */
    /* recording_qemu_args()'s storage */
    char icount_arg[PATH_MAX + 128];
    char drive_arg[PATH_MAX + 64];
    const char *qemu_args[8];
};

/* The folder recordings go in by default: <osdbg build folder>/recordings. */
void recording_default_parent(char *out, size_t n);

/* A new recording folder in parent (made if missing), named by the local
 * time, YYYYMMDD-HHMMSS (a suffix -2, -3... if that is taken), with its
 * empty snapshot image (qemu-img create -f qcow2) and recording.json
 * saying "recording".  0, or -1 with err. */
int recording_create(const struct profile *p, const char *parent, const char *boot_args,
                     struct recording *r, char *err, size_t errlen);

/* The recorded run is over (QEMU exited with status): recording.json says
 * so.  0, or -1 with err.  status is waitpid()'s: "complete" if QEMU
 * exited 0 (the log is closed), else "incomplete". */
int recording_finish(struct recording *r, int qemu_status, char *err, size_t errlen);

/* Open the recording in dir for replay against profile p: recording.json
 * read, the log and the image present, and the ELFs checked: the kernel's
 * and each recorded user program's build id (or content hash, for an ELF
 * without one) must be what was recorded.  -1 with err naming the first
 * that differs ("build/user/hello changed since the recording ...: rebuild
 * the recorded version or record again"), or what is missing. */
int recording_open(const char *dir, const struct profile *p, struct recording *r, char *err,
                   size_t errlen);

/* recording.json's qemuArgs: the whole QEMU command line that recorded
 * (recording_create writes the profile's machine, -kernel, -append and
 * recording_qemu_args; a recorder that adds more says so here).  0, or -1
 * with err. */
int recording_note_qemu_args(struct recording *r, const char *const *argv, char *err, size_t errlen);

/* The profile's disks made fit for record/replay, in its qemu_args: each
 * -drive ...,if=none,id=X,file=F becomes a qcow2 overlay of F in the
 * recording's folder (made when recording; F itself is only read, and the
 * snapshot at the start holds the disk as it was) behind QEMU's blkreplay
 * driver, which puts the disk's requests in the log.  A profile without
 * disks is left alone; a disk given otherwise is refused.  Recording notes
 * each image's content hash in recording.json; a replay refuses an image
 * that has changed since (the overlay reads it for every block the run did
 * not write).  0, or -1 with err.  (xv6's fs.img: a disk the OS writes.) */
int recording_adapt_disks(struct profile *p, struct recording *r, bool replay, char *err,
                          size_t errlen);

/* The QEMU arguments that record into r (replay false) or replay it (-icount
 * ... and -drive ...), 0-terminated, valid while r is. */
const char *const *recording_qemu_args(struct recording *r, bool replay);

#endif
