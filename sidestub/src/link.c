/*
 * link.c - acknowledged packets over a byte channel (GDB manual, "Remote
 * Protocol", "Overview": each '$' packet is answered with '+' when its
 * checksum is right, '-' to ask for a retransmission).  The sender keeps its
 * last packet until '+'; a '-' or an overdue ack sends it again, up to
 * max_retries times, then the packet is given up and ops->failed is told.
 * Notifications ('%') are never acknowledged and never retransmitted: a lost
 * event shows up as a gap in the event sequence numbers instead.
 * Time is whatever the embedder's clock counts; the library never reads it.
 */
#include "sidestub_int.h"

void ss_link_init(struct ss_link *link, const struct ss_link_config *cfg)
{
    ss_zero(link, sizeof *link);
    /* Field by field: a struct copy may become a memcpy call. */
    link->cfg.ops = cfg->ops;
    link->cfg.ctx = cfg->ctx;
    link->cfg.rxbuf = cfg->rxbuf;
    link->cfg.txbuf = cfg->txbuf;
    link->cfg.nbuf = cfg->nbuf;
    link->cfg.rxcap = cfg->rxcap;
    link->cfg.txcap = cfg->txcap;
    link->cfg.ncap = cfg->ncap;
    link->cfg.timeout = cfg->timeout;
    link->cfg.max_retries = cfg->max_retries;
    ss_rx_init(&link->rx, cfg->rxbuf, cfg->rxcap);
}

bool ss_link_busy(const struct ss_link *link)
{
    return link->txlen != 0;
}

static void put(struct ss_link *link, const void *data, size_t len)
{
    link->cfg.ops->write(link->cfg.ctx, data, len);
}

/* The packet in flight was refused or its ack is overdue. */
static void resend(struct ss_link *link, uint64_t now)
{
    if (link->retries >= link->cfg.max_retries) {
        link->txlen = 0;
        link->retries = 0;
        link->stats.failed++;
        if (link->cfg.ops->failed)
            link->cfg.ops->failed(link->cfg.ctx, link);
        return;
    }
    link->retries++;
    link->stats.retransmits++;
    link->sent_at = now;
    put(link, link->cfg.txbuf, link->txlen);
}

void ss_link_input(struct ss_link *link, const void *data, size_t len, uint64_t now)
{
    const uint8_t *d = data;
    struct ss_rx_event ev;
    while (len > 0) {
        size_t used = ss_rx_feed(&link->rx, d, len, &ev);
        d += used;
        len -= used;
        if (ev.ack)
            put(link, &ev.ack, 1);
        switch (ev.kind) {
        case SS_RX_PACKET:
            link->cfg.ops->packet(link->cfg.ctx, link, ev.data, ev.len);
            break;
        case SS_RX_NOTIFY:
            if (link->cfg.ops->notify)
                link->cfg.ops->notify(link->cfg.ctx, link, ev.data, ev.len);
            break;
        case SS_RX_ACK:
            if (link->txlen == 0) {
                link->stats.stray_acks++;
                break;
            }
            link->txlen = 0;
            link->retries = 0;
            break;
        case SS_RX_NAK:
            if (link->txlen == 0)
                link->stats.stray_acks++;
            else
                resend(link, now);
            break;
        default:
            break;
        }
    }
}

int ss_link_send(struct ss_link *link, const void *payload, size_t len, uint64_t now)
{
    if (link->txlen != 0)
        return SS_LINK_BUSY;
    size_t n = ss_frame(SS_CH_PACKET, payload, len, link->cfg.txbuf, link->cfg.txcap);
    if (n == 0)
        return SS_LINK_TOOBIG;
    link->txlen = n;
    link->retries = 0;
    link->sent_at = now;
    link->stats.sent++;
    put(link, link->cfg.txbuf, n);
    return SS_LINK_OK;
}

int ss_link_notify(struct ss_link *link, const void *payload, size_t len)
{
    size_t n = ss_frame(SS_CH_NOTIFY, payload, len, link->cfg.nbuf, link->cfg.ncap);
    if (n == 0)
        return SS_LINK_TOOBIG;
    link->stats.notifies_sent++;
    put(link, link->cfg.nbuf, n);
    return SS_LINK_OK;
}

void ss_link_poll(struct ss_link *link, uint64_t now)
{
    if (link->txlen != 0 && link->cfg.timeout != 0 && now - link->sent_at >= link->cfg.timeout)
        resend(link, now);
}
