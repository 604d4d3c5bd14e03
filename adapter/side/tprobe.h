/*
 * One trace probe as `trace` (debug console) and `osdbg trace` (terminal)
 * set it: parse the user's words, attach it through the side-stub with a
 * built-in program or the user's .bpf.c, print its events, read its maps.
 *
 *   kprobe <symbol|address|file:line> [registers|args|count|latency|prog.bpf.c]
 *   kretprobe <symbol|address> [registers|count|prog.bpf.c]
 *   uprobe <program>:<symbol|address|file:line> [registers|args|count|latency|prog.bpf.c]
 */
#ifndef ADAPTER_TPROBE_H
#define ADAPTER_TPROBE_H

#include "bpf/builtins.h"
#include "side/sideclient.h"

#include <stdbool.h>
#include <stdint.h>

struct debuginfo;

/* Debug info of the kernel (program "") or of a user program; 0 if none. */
typedef struct debuginfo *(*tprobe_di_fn)(void *ctx, const char *program);

struct tprobe {
    int kind;                  /* SS_KPROBE, SS_KRETPROBE, SS_UPROBE */
    char program[64];          /* uprobe: the user program */
    char target[192];          /* as written */
    uint64_t addr;             /* resolved */
    char func[128];            /* function at addr, if known */
    enum builtin_kind builtin; /* BUILTIN_NONE: the user's object */
    char path[512];            /* the user's .bpf.c */
    char progname[128];        /* the user's program attached */
    int id;                    /* side-stub probe id, -1 if not attached */
    struct debuginfo *di;      /* of the probed code (not owned) */
};

/* Does this word name a program (a built-in, a .c or a .o file) rather
 * than a probe target? */
bool tprobe_names_program(const char *word);
/* Fill t from the words (kind, target, optional program).  0, or -1 (err). */
int tprobe_parse(struct tprobe *t, const char *kind, const char *target, const char *prog,
                 tprobe_di_fn di_for, void *ctx, char *err, size_t errlen);
/* Attach (upload the program first unless the kernel's own registers
 * program serves).  0, or -1 with the reason. */
int tprobe_attach(struct side_client *c, struct tprobe *t, char *err, size_t errlen);
/* Verify an object here, upload it, attach program prog (and a kretprobe's
 * entry program) at addr of the kernel or of user_program; *id is the probe.
 * 0, or -1 with the reason. */
int tprobe_attach_object(struct side_client *c, int kind, const char *user_program, uint64_t addr,
                         const uint8_t *elf, size_t len, const char *prog, const char *entry,
                         int *id, char *err, size_t errlen);
int tprobe_detach(struct side_client *c, struct tprobe *t, char *err, size_t errlen);
/* One event of this probe as a line (malloc'd, no newline), starting with
 * the seconds since the first event unless secs < 0, or 0 if it says
 * nothing (count and latency probes only fill maps). */
char *tprobe_format(const struct tprobe *t, const struct ss_event *ev, double secs);
/* The latency histogram's buckets (zeros where none).  0 or -1 (err). */
int tprobe_hist(struct side_client *c, const struct tprobe *t,
                uint64_t buckets[BUILTIN_HIST_BUCKETS], char *err, size_t errlen);
/* The probe's map (count: pid -> hits; latency: the histogram; others: raw
 * key=value) as text (malloc'd), or 0 with err. */
char *tprobe_map_text(struct side_client *c, const struct tprobe *t, char *err, size_t errlen);
/* "kprobe sys_write (latency)" */
void tprobe_describe(const struct tprobe *t, char *out, size_t cap);
/* The reason behind an E<nn> reply, in words. */
const char *tprobe_reply_reason(const char *reply);

#endif
