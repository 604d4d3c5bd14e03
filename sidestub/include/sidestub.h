/*
 * sidestub.h - the OS-independent side-stub protocol core, used by both ends:
 * the kernel's side-stub server and the host client (osdbg).
 *
 * Freestanding: no libc, no allocation, no clock, no I/O.  The embedder gives
 * every buffer, the current time (in any unit it likes) and a write function.
 * Protocol names and numbers live in <osdbg/sidestub_proto.h>; the packets are
 * described in docs/side-stub-protocol.md.
 *
 * Layers, bottom up:
 *   frame.c    checksum, '}' escaping, framing, the receive state machine
 *   link.c     acknowledgements and retransmission over a byte channel
 *   request.c  request/reply encoding and parsing (the packet table)
 *   listing.c  the paged replies of vTList, vTMap and vTStat
 *   event.c    event notifications and sequence-gap tracking
 * Nothing here is reentrant: one object is used from one context at a time.
 */
#ifndef SIDESTUB_H
#define SIDESTUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "osdbg/sidestub_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A byte string that points into someone else's buffer (not NUL-terminated). */
struct ss_str {
    const char *p;
    size_t n;
};

/* ---- framing (frame.c) ------------------------------------------------------ */

/* Modulo-256 sum of the bytes, as RSP checksums are. */
uint8_t ss_checksum(const void *data, size_t len);
/* Whether a payload byte must be escaped: '#', '$', '}', '*' (RSP), and '%' so
 * a raw '%' or '$' on the wire always starts a frame. */
bool ss_must_escape(uint8_t c);
/* Escapes src into dst; returns the escaped length, or 0 with src non-empty if
 * it does not fit in cap (nothing useful is left in dst then). */
size_t ss_escape(const void *src, size_t len, uint8_t *dst, size_t cap);
/* Undoes ss_escape; returns the decoded length, or (size_t)-1 if src ends in a
 * lone '}' or dst is too small. */
size_t ss_unescape(const void *src, size_t len, uint8_t *dst, size_t cap);
/* Writes start (SS_CH_PACKET or SS_CH_NOTIFY), the escaped payload, '#' and
 * the checksum of the escaped payload; returns the frame length, 0 if it does
 * not fit in cap or the escaped payload exceeds SS_PACKET_SIZE. */
size_t ss_frame(char start, const void *payload, size_t len, uint8_t *out, size_t cap);
/* Worst-case frame length for a payload of len bytes (every byte escaped). */
#define SS_FRAME_MAX(len) (2 * (size_t)(len) + SS_FRAME_OVERHEAD)

/* What ss_rx_feed found. */
enum ss_rx_kind {
    SS_RX_NONE = 0, /* the bytes given were consumed, nothing complete yet */
    SS_RX_PACKET,   /* a '$' packet with a good checksum: reply '+' */
    SS_RX_NOTIFY,   /* a '%' notification with a good checksum: no reply */
    SS_RX_ACK,      /* a '+' between frames */
    SS_RX_NAK,      /* a '-' between frames */
    SS_RX_BAD,      /* a '$' packet with a bad checksum, broken escape or cut off by a new
                       frame: reply '-' (a bad '%' is only counted, ack is 0) */
    SS_RX_OVERSIZE, /* a '$' packet longer than the buffer: reply '-' */
};

struct ss_rx_event {
    enum ss_rx_kind kind;
    char start;          /* '$' or '%' for frames, 0 for '+'/'-' */
    char ack;            /* byte the receiver must send now: '+', '-' or 0 */
    const uint8_t *data; /* decoded payload (PACKET, NOTIFY), valid until the next feed */
    size_t len;
};

struct ss_rx_stats {
    uint64_t packets, notifies, acks, naks;
    uint64_t bad_checksum; /* frames whose checksum did not match */
    uint64_t oversize;     /* frames longer than the buffer */
    uint64_t cut;          /* frames cut off by a new '$'/'%' or a bad escape/digit */
    uint64_t garbage;      /* bytes between frames that are not '$', '%', '+', '-' */
};

/* The receive state machine: bytes in, frames out, in any chunking. */
struct ss_rx {
    uint8_t *buf; /* decoded payload of the frame being received */
    size_t cap;
    size_t len;
    uint8_t state, start, sum, cs;
    uint8_t spoiled; /* frame already known bad: 1 oversize, 2 broken escape */
    struct ss_rx_stats stats;
};

/* buf/cap hold one decoded payload; cap is clamped to SS_PACKET_SIZE. */
void ss_rx_init(struct ss_rx *rx, void *buf, size_t cap);
/*
 * Consumes bytes from data[0..len) up to and including the end of the first
 * complete item (frame, '+' or '-') and describes it in *ev (kind SS_RX_NONE
 * if there was none).  Returns the number of bytes consumed; call again with
 * the rest.  Never reads past len, never writes past cap.
 */
size_t ss_rx_feed(struct ss_rx *rx, const void *data, size_t len, struct ss_rx_event *ev);

/* ---- acknowledged link with retransmission (link.c) --------------------- */

struct ss_link;
struct ss_link_ops {
    /* Sends bytes on the channel; a frame is always handed over in one call. */
    void (*write)(void *ctx, const void *data, size_t len);
    /* A '$' packet arrived (the '+' has already been written). */
    void (*packet)(void *ctx, struct ss_link *link, const uint8_t *data, size_t len);
    /* A '%' notification arrived (may be 0: notifications are dropped). */
    void (*notify)(void *ctx, struct ss_link *link, const uint8_t *data, size_t len);
    /* The packet in flight was given up after max_retries (may be 0). */
    void (*failed)(void *ctx, struct ss_link *link);
};

struct ss_link_config {
    const struct ss_link_ops *ops;
    void *ctx;
    void *rxbuf, *txbuf, *nbuf; /* receive payload, last sent packet, notification scratch */
    size_t rxcap, txcap, ncap;  /* frames must fit: txcap/ncap >= SS_FRAME_MAX(payload) */
    uint64_t timeout;           /* ack timeout in the embedder's clock unit (0: none) */
    unsigned max_retries;       /* retransmissions before giving up */
};

struct ss_link_stats {
    uint64_t sent, retransmits, failed, notifies_sent, stray_acks;
};

struct ss_link {
    struct ss_rx rx;
    struct ss_link_config cfg;
    size_t txlen;     /* framed packet awaiting '+' (0: none) */
    unsigned retries; /* retransmissions of the packet in flight */
    uint64_t sent_at; /* time of its last transmission */
    struct ss_link_stats stats;
};

/* Return values of ss_link_send / ss_link_notify. */
enum { SS_LINK_OK = 0, SS_LINK_BUSY = -1, SS_LINK_TOOBIG = -2 };

void ss_link_init(struct ss_link *link, const struct ss_link_config *cfg);
/* Feeds received bytes: acks packets, calls ops->packet/notify, handles '+'/'-'. */
void ss_link_input(struct ss_link *link, const void *data, size_t len, uint64_t now);
/* Frames and sends a '$' packet and keeps it until '+'.  BUSY while one is in flight. */
int ss_link_send(struct ss_link *link, const void *payload, size_t len, uint64_t now);
/* Frames and sends a '%' notification (never acknowledged, never kept). */
int ss_link_notify(struct ss_link *link, const void *payload, size_t len);
/* Retransmits the packet in flight if its ack is overdue; call periodically. */
void ss_link_poll(struct ss_link *link, uint64_t now);
bool ss_link_busy(const struct ss_link *link);

/* ---- requests and replies (request.c) ---------------------------------------- */

enum ss_cmd {
    SS_CMD_UNKNOWN = 0, /* not in any table: reply with an empty packet */
    SS_CMD_SUPPORTED,   /* qSupported[:features]        features */
    SS_CMD_TRACE_K,     /* vTR<addr>                    addr */
    SS_CMD_TRACE_U,     /* vTU<prog>:<addr>             name, addr */
    SS_CMD_OBJ_NEW,     /* vTObjNew:<size>              size */
    SS_CMD_OBJ_DATA,    /* vTObjData:<obj>,<off>:<bytes> obj, off, data/len */
    SS_CMD_OBJ_FREE,    /* vTObjFree:<obj>              obj */
    SS_CMD_ATTACH,      /* vTAttach:<obj>,<kind>,<prog>,<target>  obj, kind, prog, name?, addr */
    SS_CMD_DETACH,      /* vTDetach:<id>                id */
    SS_CMD_LIST,        /* vTList[:<after>]             has_after, id */
    SS_CMD_MAP,         /* vTMap:<id>[,<map>[,<key>]]   id, prog (map name), key (hex) */
    SS_CMD_STAT,        /* vTStat */
    SS_CMD_USER = 64,   /* first id for embedder-registered commands */
};

/* A parsed request.  Strings point into the packet; fields a command does not
 * use are zero. */
struct ss_request {
    int cmd;
    uint64_t addr;       /* probe address */
    uint32_t id;         /* probe id (detach, map, list "after") */
    uint32_t obj;        /* object id */
    uint32_t off, size;  /* chunk offset, object size */
    int kind;            /* SS_KPROBE.. */
    bool has_after;      /* vTList:<after> given */
    struct ss_str name;  /* user program (vTU, u*probe attach) */
    struct ss_str prog;  /* ELF program name (attach) or map name (vTMap) */
    struct ss_str entry; /* kretprobe attach: program run at the function's entry, or empty */
    struct ss_str key;   /* vTMap after-key (hex digits), qSupported features */
    const uint8_t *data; /* vTObjData bytes */
    size_t len;
};

/* A command table entry: the packet's name (matched as a prefix) and the
 * function that parses what follows it into req (returning 0 or -SS_ERR_*). */
struct ss_cmd_desc {
    const char *name;
    int cmd;
    int (*parse)(const char *args, size_t n, struct ss_request *req);
};

/*
 * Parses a request payload.  The embedder's extra table (may be 0) is tried
 * first, then the built-in table.  Returns 0 with req->cmd set (SS_CMD_UNKNOWN
 * if no name matched), or -SS_ERR_* with req->cmd set to the matched command.
 */
int ss_parse_request(const void *payload, size_t len, const struct ss_cmd_desc *extra,
                     size_t nextra, struct ss_request *req);
/* Builds the payload of a built-in request (host side); returns its length or
 * 0 if it does not fit / req is invalid. */
size_t ss_build_request(const struct ss_request *req, char *out, size_t cap);

/* Argument helpers, also for embedder parse functions. */
/* [0x|0X]<1..16 hex digits>, nothing else: 0 or -SS_ERR_ADDR. */
int ss_parse_addr(const char *s, size_t n, uint64_t *out);
/* 1..8 hex digits: 0 or -SS_ERR_SYNTAX. */
int ss_parse_u32(const char *s, size_t n, uint32_t *out);
/* 1..SS_NAME_MAX bytes, each printable, not space, not ':' ',' ';': 0 or -SS_ERR_NAME. */
int ss_check_name(const char *s, size_t n);
/* Probe kind name -> SS_KPROBE.., or -SS_ERR_KIND; and back (0 if out of range). */
int ss_kind_parse(const char *s, size_t n);
const char *ss_kind_name(int kind);

/* Replies.  Each returns the payload length written to out, 0 if it does not fit. */
size_t ss_reply_ok(char *out, size_t cap);                 /* "OK" */
size_t ss_reply_ok_id(char *out, size_t cap, uint32_t id); /* "OK<hex id>" */
size_t ss_reply_err(char *out, size_t cap, int code);      /* "E<nn>" */
/* What qSupported advertises. */
struct ss_features {
    bool trace;           /* osdbg-trace+ */
    uint32_t packet_size; /* PacketSize=<hex> (0: absent) */
    uint64_t time_hz;     /* TimeFreq=<hex>: event timestamp ticks per second (0: absent) */
    uint32_t events;      /* osdbg-events=<hex>: event encoding version (absent: 1) */
};
/* "PacketSize=<hex>;osdbg-trace+;osdbg-events=<SS_EVENTS_VERSION>[;TimeFreq=<hex>]"
 * (TimeFreq only if time_hz != 0). */
size_t ss_reply_supported(char *out, size_t cap, uint32_t packet_size, uint64_t time_hz);

/* A reply as the host sees it. */
enum ss_reply_kind { SS_REPLY_EMPTY, SS_REPLY_IS_OK, SS_REPLY_IS_ERR, SS_REPLY_DATA };
struct ss_reply {
    enum ss_reply_kind kind;
    bool has_id;
    uint32_t id; /* OK<id> */
    int err;     /* E<nn> */
};
void ss_parse_reply(const void *payload, size_t len, struct ss_reply *rep);
/* Reads a qSupported reply (unknown features are skipped); returns f->trace. */
bool ss_supported_parse(const void *payload, size_t len, struct ss_features *f);

/* ---- listing replies: vTList, vTMap, vTStat (listing.c) ---------------------- */
/*
 * vTList and vTMap answer in pages: 'm' + items means more follow (ask again
 * with the last id / key), 'l' + items is the last page.  Items are separated
 * by ';'.  vTStat answers with name=value items and no page letter.
 */

/* One vTList item: <id>,<kind>,<hits>,<prog>,<target>, target being
 * <hexaddr> for kernel probes and <program>:<hexaddr> for user probes. */
struct ss_probe_info {
    uint32_t id;
    int kind;
    uint64_t hits;
    struct ss_str prog; /* ELF program name, "registers" for vTR/vTU probes */
    struct ss_str name; /* user program (uprobe, uretprobe) */
    uint64_t addr;
};
size_t ss_probe_info_format(const struct ss_probe_info *p, char *out, size_t cap);
int ss_probe_info_parse(const char *s, size_t n, struct ss_probe_info *p); /* 0 or -SS_ERR_* */

/* Takes the next item of *rest up to sep (or the end) into *item; false when
 * *rest is empty.  Splits listing bodies on ';' and items on '=' or ','. */
bool ss_next_item(struct ss_str *rest, char sep, struct ss_str *item);
/* The value of counter name in a vTStat reply: true and *value if the
 * reply has that item with a hex value (a name that only ends like it,
 * chan_dropped for dropped, does not count). */
bool ss_stat_value(const char *reply, size_t len, const char *name, uint64_t *value);
/* Lowercase hex of bytes (two digits each): returns 2*len or 0 if it does not fit. */
size_t ss_hex_encode(const void *data, size_t len, char *out, size_t cap);
/* Bytes from an even number of hex digits: returns the byte count, or
 * (size_t)-1 if odd, not hex, or too long for cap. */
size_t ss_hex_decode(const char *hex, size_t n, uint8_t *out, size_t cap);

/* ---- events (event.c) ---------------------------------------------------------- */

struct ss_event {
    uint32_t probe; /* probe id from OK<id> */
    uint64_t seq;   /* one sequence for all events: gaps are drops */
    uint64_t time;  /* timestamp (kernel's clock: rdtime ticks) */
    uint32_t hart, pid;
    char comm[SS_COMM_MAX + 1]; /* NUL-terminated process name */
    char type;                  /* SS_EVT_*: an uppercase letter (0 is sent as SS_EVT_DATA) */
    const uint8_t *data;        /* program output (registers, printk text, ringbuf record) */
    size_t len;
};

/* Writes the notification payload "vTE:..." (unframed); returns its length, or 0. */
size_t ss_event_encode(const struct ss_event *ev, uint8_t *out, size_t cap);
/* Encodes and frames as "%vTE:...#cs" in one go; returns the frame length, or 0. */
size_t ss_event_frame(const struct ss_event *ev, uint8_t *scratch, size_t scap, uint8_t *out,
                      size_t cap);
/* Parses a notification payload; ev->data points into payload.  0 or -SS_ERR_SYNTAX. */
int ss_event_decode(const void *payload, size_t len, struct ss_event *ev);

/* Sequence tracking on the host: the first event sets the baseline. */
struct ss_seq {
    bool started;
    uint64_t next;     /* sequence number expected next */
    uint64_t received; /* events seen */
    uint64_t lost;     /* events missing from gaps */
    uint64_t resets;   /* sequence went backwards (kernel restarted) */
};
void ss_seq_init(struct ss_seq *s);
/* Records seq; returns how many events were lost just before it. */
uint64_t ss_seq_track(struct ss_seq *s, uint64_t seq);

#ifdef __cplusplus
}
#endif

#endif
