/*
 * freestanding.c - the kernel build of the side-stub library at work, not just
 * compiled: built with the kernel's flags (riscv64-unknown-elf-gcc
 * -ffreestanding -nostdlib, medany) against build/sidestub/rv64-kernel/
 * libsidestub.a, no libc at all, run under qemu-riscv64.  It plays the
 * kernel's side of a session: a link fed the host's bytes in small chunks,
 * a packet handler that parses requests and answers with the reply builders,
 * and events framed as notifications; the bytes it writes are compared with
 * frames whose checksums are summed in docs/side-stub-protocol.md.
 * Linux is reached through raw ecalls only (write, exit).
 */
#include "sidestub.h"

static long sys3(long n, long a, long b, long c)
{
    register long a0 __asm__("a0") = a, a1 __asm__("a1") = b, a2 __asm__("a2") = c;
    register long a7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

static size_t len_of(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static void say(const char *s)
{
    sys3(64 /* write */, 1, (long)s, (long)len_of(s));
}

static void say_num(unsigned v)
{
    char b[12];
    int i = 11;
    b[i] = 0;
    do
        b[--i] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    say(b + i);
}

static unsigned passed, failed;

static void check(int ok, const char *what)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    say("FAIL: ");
    say(what);
    say("\n");
}

static int same_n(const void *a, size_t an, const char *b, size_t bn)
{
    const uint8_t *p = a;
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++)
        if (p[i] != (uint8_t)b[i])
            return 0;
    return 1;
}

static int same(const void *a, size_t an, const char *b)
{
    return same_n(a, an, b, len_of(b));
}

/* ---- the kernel's side of a session ---------------------------------------- */

static char wire[1024]; /* what the "kernel" wrote */
static size_t wire_len;

static void chan_write(void *ctx, const void *data, size_t len)
{
    const uint8_t *d = data;
    (void)ctx;
    for (size_t i = 0; i < len && wire_len < sizeof wire; i++)
        wire[wire_len++] = (char)d[i];
}

static void on_packet(void *ctx, struct ss_link *link, const uint8_t *data, size_t len)
{
    struct ss_request req;
    char reply[128];
    size_t n;
    static uint32_t next_id = 1;
    (void)ctx;
    int err = ss_parse_request(data, len, 0, 0, &req);
    if (err)
        n = ss_reply_err(reply, sizeof reply, err);
    else if (req.cmd == SS_CMD_SUPPORTED)
        n = ss_reply_supported(reply, sizeof reply, SS_PACKET_SIZE, 10000000);
    else if (req.cmd == SS_CMD_TRACE_K || req.cmd == SS_CMD_TRACE_U)
        n = ss_reply_ok_id(reply, sizeof reply, next_id++);
    else
        n = 0; /* unknown: the empty packet */
    ss_link_send(link, reply, n, 0);
}

static const struct ss_link_ops ops = {chan_write, on_packet, 0, 0};
static uint8_t rxbuf[SS_PACKET_SIZE], txbuf[SS_FRAME_MAX(256)], nbuf[SS_FRAME_MAX(256)];

static void host_sends(struct ss_link *link, const char *bytes)
{
    size_t n = len_of(bytes);
    for (size_t i = 0; i < n; i += 3) /* in chunks, as interrupts deliver them */
        ss_link_input(link, bytes + i, n - i < 3 ? n - i : 3, 0);
}

static void session(void)
{
    struct ss_link link;
    struct ss_link_config cfg = {.ops = &ops,
                                 .rxbuf = rxbuf,
                                 .txbuf = txbuf,
                                 .nbuf = nbuf,
                                 .rxcap = sizeof rxbuf,
                                 .txcap = sizeof txbuf,
                                 .ncap = sizeof nbuf,
                                 .timeout = 0,
                                 .max_retries = 3};
    ss_link_init(&link, &cfg);

    host_sends(&link, "$qSupported#37");
    check(same(wire, wire_len, "+$PacketSize=1000;osdbg-trace+;osdbg-events=1;TimeFreq=989680#f9"),
          "qSupported reply");
    wire_len = 0;
    host_sends(&link, "+$vTUmatrix:0x0001097e#5c");
    check(same(wire, wire_len, "+$OK1#cb"), "vTU reply OK1");
    wire_len = 0;
    host_sends(&link, "-"); /* the host saw a corrupted reply */
    check(same(wire, wire_len, "$OK1#cb"), "retransmission on '-'");
    wire_len = 0;
    host_sends(&link, "+garbage$vTUhello:#ce");
    check(same(wire, wire_len, "-"), "bad checksum gets '-'");
    wire_len = 0;
    host_sends(&link, "$vTUhello:#6d");
    check(same(wire, wire_len, "+$E02#a7"), "vTUhello: gets E02");
    wire_len = 0;
    host_sends(&link, "+$vCont?#49");
    check(same(wire, wire_len, "+$#00"), "unknown packet gets the empty reply");
    wire_len = 0;
    host_sends(&link, "+");
    check(!ss_link_busy(&link), "link idle after the last '+'");

    /* An event as the server drains it from the ring. */
    uint8_t regs[4] = {0x23, 0x24, 0x7d, 0x00}; /* '#', '$', '}', NUL */
    struct ss_event ev = {.probe = 1,
                          .seq = 0x2a,
                          .time = 0x1c9c380,
                          .pid = 3,
                          .type = SS_EVT_DATA,
                          .data = regs,
                          .len = sizeof regs};
    ev.comm[0] = 'h', ev.comm[1] = 'i';
    uint8_t payload[64];
    size_t n = ss_event_encode(&ev, payload, sizeof payload);
    check(n > 0 && ss_link_notify(&link, payload, n) == SS_LINK_OK, "event sent");
    /* vTE:1,2a,1c9c380,0,3,hi;D then }\x03 }\x04 }] and a NUL: the sum is 0x842 -> 42 */
    static const char want[] = "%vTE:1,2a,1c9c380,0,3,hi;D}\x03}\x04}]\0#42";
    check(same_n(wire, wire_len, want, sizeof want - 1), "event notification bytes");

    /* The host's decoder, in the kernel build too. */
    struct ss_rx rx;
    struct ss_rx_event rev;
    struct ss_event back;
    ss_rx_init(&rx, rxbuf, sizeof rxbuf);
    check(ss_rx_feed(&rx, wire, wire_len, &rev) == wire_len && rev.kind == SS_RX_NOTIFY &&
              ss_event_decode(rev.data, rev.len, &back) == 0 && back.seq == 0x2a &&
              back.time == 0x1c9c380 && back.pid == 3 && back.comm[0] == 'h' && back.comm[2] == 0 &&
              back.type == SS_EVT_DATA &&
              same_n(back.data, back.len, (const char *)regs, sizeof regs),
          "event decodes back");
    struct ss_seq seq;
    ss_seq_init(&seq);
    ss_seq_track(&seq, 0x2a);
    check(ss_seq_track(&seq, 0x2e) == 3 && seq.lost == 3, "sequence gap of 3");
}

void _start(void)
{
    session();
    say_num(passed);
    say(" passed, ");
    say_num(failed);
    say(" failed\n");
    sys3(93 /* exit */, failed ? 1 : 0, 0, 0);
    for (;;)
        ;
}
