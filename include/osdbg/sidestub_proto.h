/*
 * sidestub_proto.h - the one place for side-stub protocol constants shared by
 * the kernel's side-stub server, the host client (osdbg), the protocol library
 * (sidestub/) and the tests.  docs/side-stub-protocol.md describes every packet.
 *
 * Framing is GDB's Remote Serial Protocol (GDB manual, "Remote Protocol",
 * section "Overview"): $payload#cs packets, %payload#cs notifications, '+'/'-'
 * acknowledgements, '}' escapes.  Only numbers and names live here.
 */
#ifndef OSDBG_SIDESTUB_PROTO_H
#define OSDBG_SIDESTUB_PROTO_H

/* ---- framing (GDB manual, Remote Protocol, Overview) --------------------- */
#define SS_CH_PACKET  '$' /* starts a packet that is acknowledged */
#define SS_CH_NOTIFY  '%' /* starts a notification: never acknowledged */
#define SS_CH_END     '#' /* ends the payload; two hex checksum digits follow */
#define SS_CH_ESCAPE  '}' /* next byte is the original XOR SS_ESCAPE_XOR */
#define SS_CH_RLE     '*' /* run-length marker in GDB; never sent, always escaped */
#define SS_CH_ACK     '+'
#define SS_CH_NAK     '-'
#define SS_ESCAPE_XOR 0x20

/*
 * Largest payload either side accepts, counted on the wire between '$' and '#'
 * (escapes included), so a decoded payload is never longer.  Advertised in the
 * qSupported reply as PacketSize=<hex>, as GDB stubs do.
 */
#define SS_PACKET_SIZE 4096
/* Bytes of framing around a payload: '$' + '#' + two checksum digits. */
#define SS_FRAME_OVERHEAD 4

/* ---- request packets (host -> kernel) ------------------------------------ */
/* Names are matched as prefixes, in the order of the library's table; the
 * ones with a ':' separator never share a prefix with vTR/vTU. */
#define SS_PKT_SUPPORTED "qSupported" /* qSupported[:gdb-features] */
#define SS_PKT_TRACE_K   "vTR"        /* vTR<hexaddr>: kprobe, built-in "registers" program */
#define SS_PKT_TRACE_U   "vTU"        /* vTU<program>:<hexaddr>: uprobe, same program */
#define SS_PKT_OBJ_NEW   "vTObjNew:"  /* vTObjNew:<size> -> OK<obj> */
#define SS_PKT_OBJ_DATA  "vTObjData:" /* vTObjData:<obj>,<offset>:<binary bytes> -> OK */
#define SS_PKT_OBJ_FREE  "vTObjFree:" /* vTObjFree:<obj> -> OK */
#define SS_PKT_ATTACH    "vTAttach:"  /* vTAttach:<obj>,<kind>,<prog>,<target> -> OK<id> */
#define SS_PKT_DETACH    "vTDetach:"  /* vTDetach:<id> -> OK */
#define SS_PKT_LIST      "vTList"     /* vTList[:<after-id>] -> m/l<probe items>;... */
#define SS_PKT_MAP       "vTMap:"     /* vTMap:<id>[,<map>[,<after-key>]] -> m/l<key>=<value>;... */
#define SS_PKT_STAT      "vTStat"     /* vTStat -> <name>=<hex>;... */
/* Optional, the embedder's (the reference kernel's, ktrace/src/sidestub_server.c):
 * the host has attached its probes; a boot held for them goes on. */
#define SS_PKT_GO "vTGo" /* vTGo -> OK */

/* ---- notifications (kernel -> host) -------------------------------------- */
/* %vTE:<probe>,<seq>,<time>,<hart>,<pid>,<comm>;<type><binary payload>#cs */
#define SS_NOTIFY_EVENT "vTE:"
/* Event payload types (one byte after the ';'). */
#define SS_EVT_REGS 'R' /* struct user_regs_struct (Linux riscv layout), little-endian */
#define SS_EVT_TEXT 'T' /* bpf_trace_printk text */
#define SS_EVT_DATA 'D' /* bytes a program output (ringbuf / perf event record) */

/* ---- replies -------------------------------------------------------------- */
#define SS_REPLY_OK         "OK" /* OK or OK<hex id> */
#define SS_REPLY_ERR        'E'  /* E<two hex digits>, codes below */
#define SS_REPLY_MORE       'm'  /* a page of a listing; ask again with the last key */
#define SS_REPLY_LAST       'l'  /* the last page of a listing */
#define SS_FEATURE_TRACE    "osdbg-trace+"
#define SS_FEATURE_PKTSIZE  "PacketSize="
#define SS_FEATURE_TIMEFREQ "TimeFreq=" /* event timestamp ticks per second, hex */
/* The event encoding's version (docs/side-stub-protocol.md, "Events"): a
 * kernel lists the one it sends; a host that reads only older ones refuses
 * to trace instead of misreading.  A kernel that does not list it (before
 * the feature) sends version 1. */
#define SS_FEATURE_EVENTS "osdbg-events="
#define SS_EVENTS_VERSION 1

/* Probe kinds, as spelled in vTAttach and in vTList replies. */
#define SS_KIND_KPROBE    "kprobe"
#define SS_KIND_KRETPROBE "kretprobe"
#define SS_KIND_UPROBE    "uprobe"
#define SS_KIND_URETPROBE "uretprobe"
enum { SS_KPROBE = 0, SS_KRETPROBE = 1, SS_UPROBE = 2, SS_URETPROBE = 3, SS_NKINDS = 4 };

/* Counter names in the vTStat reply (values are hex). */
#define SS_STAT_EVENTS      "events"       /* events produced by probes */
#define SS_STAT_DROPPED     "dropped"      /* events lost (ring full, channel stalled) */
#define SS_STAT_BAD_PACKETS "bad_packets"  /* packets received with a wrong checksum */
#define SS_STAT_RETRANSMITS "retransmits"  /* packets the kernel sent again */
#define SS_STAT_CHAN_DROPS  "chan_dropped" /* bytes the channel driver could not queue */
#define SS_STAT_SENT        "sent"         /* events handed to the channel */
#define SS_STAT_SEND_US     "send_us"      /* microseconds harts spent sending them */
/* Added by a relay (osdbg's trace socket) from the host's own counts of the
 * whole channel: the authoritative loss count is host_lost. */
#define SS_STAT_HOST_EVENTS  "host_events"  /* events the host received, all probes */
#define SS_STAT_HOST_LOST    "host_lost"    /* events that never arrived (sequence gaps) */
#define SS_STAT_HOST_DAMAGED "host_damaged" /* frames that arrived with a bad checksum */

/* ---- limits ----------------------------------------------------------------- */
#define SS_NAME_MAX       63  /* program path, ELF program name, map name (bytes) */
#define SS_COMM_MAX       16  /* process name in events, like Linux TASK_COMM_LEN */
#define SS_EVENT_DATA_MAX 256 /* bytes of one event's data: registers, printk text, a record */
#define SS_ADDR_DIGITS    16  /* hex digits in an address, after an optional 0x */
#define SS_NUM_DIGITS     8   /* hex digits in ids, sizes, offsets, pids, harts */

/* ---- error codes: replies E<nn> (two lowercase hex digits) ----------------- */
#define SS_ERR_SYNTAX  0x01 /* malformed packet or argument */
#define SS_ERR_ADDR    0x02 /* address empty, not hex, or more than 16 digits */
#define SS_ERR_NAME    0x03 /* name empty, longer than SS_NAME_MAX or a forbidden byte */
#define SS_ERR_NOENT   0x04 /* no such probe, object, program, map or user program */
#define SS_ERR_REFUSED 0x05 /* address not probeable (tracing path, system instruction) */
#define SS_ERR_NOMEM   0x06 /* no room: probe table, object memory, reply buffer */
#define SS_ERR_BADOBJ  0x07 /* ELF object or eBPF program rejected (loader, verifier) */
#define SS_ERR_RANGE   0x08 /* chunk outside the object, size too large */
#define SS_ERR_BUSY    0x09 /* object incomplete, or still used by a probe */
#define SS_ERR_KIND    0x0a /* unknown probe kind, or kind not supported by this OS */
#define SS_ERR_FAULT   0x0b /* target memory could not be read or patched */

#endif
