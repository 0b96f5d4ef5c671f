/* SPDX-License-Identifier: MIT */
/*
 * dtmf.c — RFC 4733 telephone-events: the per-leg receiver that turns the
 * packets of an event (start, updates, three ends, duplicates, reordering,
 * loss) into one BEGIN and one END, and the generator of an event's
 * packets.  See sb/dtmf.h for the contract; nothing here allocates.
 */
#include <errno.h>
#include <string.h>

#include "sb/dtmf.h"

enum { RX_IDLE = 0, RX_ACTIVE = 1, RX_ENDED = 2 };

/* a late packet is one that lags by at most this long */
#define REORDER_MS 10000u

static const char dtmf_chars[SB_DTMF_N_EVENTS] = "0123456789*#ABCDX";

char sb_dtmf_char(unsigned event)
{
	return event < SB_DTMF_N_EVENTS ? dtmf_chars[event] : '?';
}

int sb_dtmf_event_of(char c)
{
	if (c >= 'a' && c <= 'd')
		c = (char)(c - 'a' + 'A');
	for (unsigned i = 0; i < SB_DTMF_N_EVENTS; i++)
		if (dtmf_chars[i] == c)
			return (int)i;
	return -EINVAL;
}

static const char *const rx_drop_name[SB_DTMF_RX_DROP_N] = {
#define _(n, d) [SB_DTMF_RX_##n] = #n,
	SB_DTMF_RX_DROPS(_)
#undef _
};
static const char *const rx_drop_desc[SB_DTMF_RX_DROP_N] = {
#define _(n, d) [SB_DTMF_RX_##n] = d,
	SB_DTMF_RX_DROPS(_)
#undef _
};

const char *sb_dtmf_rx_drop_name(enum sb_dtmf_rx_drop d)
{
	return (unsigned)d < SB_DTMF_RX_DROP_N ? rx_drop_name[d] : NULL;
}

const char *sb_dtmf_rx_drop_desc(enum sb_dtmf_rx_drop d)
{
	return (unsigned)d < SB_DTMF_RX_DROP_N ? rx_drop_desc[d] : NULL;
}

int sb_dtmf_rx_init(struct sb_dtmf_rx *rx, uint32_t rate, uint32_t timeout_ms)
{
	if (rate == 0)
		return -EINVAL;
	memset(rx, 0, sizeof(*rx));
	rx->rate = rate;
	rx->timeout_ms = timeout_ms ? timeout_ms : 1000;
	return 0;
}

static void rx_ev(const struct sb_dtmf_rx *rx, struct sb_dtmf_ev *e, unsigned kind,
		  unsigned flags)
{
	uint64_t d = kind == SB_DTMF_END ? (uint64_t)rx->dur + rx->seg_dur : 0;
	uint64_t ms = d * 1000 / rx->rate;

	memset(e, 0, sizeof(*e));
	e->event = rx->event;
	e->kind = (uint8_t)kind;
	e->src = SB_DTMF_FROM_RFC4733;
	e->flags = (uint8_t)flags;
	e->ts = rx->ts;
	e->dur_ts = (uint32_t)(d > UINT32_MAX ? UINT32_MAX : d);
	e->dur_ms = (uint16_t)(ms > UINT16_MAX ? UINT16_MAX : ms);
	e->volume = rx->volume;
}

/* A new timestamp with the same code, no marker, right where a segment
 * that ran to the 16-bit duration limit ends: the next segment of one long
 * event (RFC 4733 2.5.1.3), not a new key press. */
static bool rx_is_next_segment(const struct sb_dtmf_rx *rx, unsigned ev, bool marker, uint32_t ts)
{
	uint32_t slack = rx->rate / 5, delta = ts - rx->seg_ts;

	return ev == rx->event && !marker && rx->seg_dur + slack >= 0xffff &&
	       delta <= 0xffff + slack && delta + slack >= rx->seg_dur;
}

int sb_dtmf_rx_packet(struct sb_dtmf_rx *rx, const uint8_t *pl, unsigned len, uint32_t ts,
		      uint16_t seq, bool marker, uint64_t now_ms, struct sb_dtmf_ev out[3])
{
	unsigned ev, vol, n = 0;
	uint32_t dur;
	bool end, newer;

	rx->st.packets++;
	if (len < 4) {
		rx->st.drop[SB_DTMF_RX_SHORT]++;
		return -EBADMSG;
	}
	ev = pl[0];
	end = (pl[1] & 0x80) != 0;
	vol = pl[1] & 0x3f;
	dur = (uint32_t)pl[2] << 8 | pl[3];
	if (ev >= SB_DTMF_N_EVENTS) {
		rx->st.drop[SB_DTMF_RX_EVENT]++;
		return -ENOTSUP;
	}
	/* "older" only within a small window and a short time: between two
	 * digits the audio packets move the sequence number on by any amount */
	newer = !rx->have_seq || (int16_t)(seq - rx->seq) > 0 ||
		(uint16_t)(rx->seq - seq) > SB_DTMF_REORDER || now_ms - rx->last_ms > REORDER_MS;

	if (rx->state != RX_IDLE && ts == rx->seg_ts) {
		if (newer)
			rx->seq = seq;
		if (rx->state == RX_ENDED) {
			rx->st.drop[SB_DTMF_RX_DUP]++;
			return 0;
		}
		if (ev != rx->event) {
			rx->st.drop[SB_DTMF_RX_MIXED]++;
			return 0;
		}
		if (dur > rx->seg_dur)
			rx->seg_dur = dur;
		rx->last_ms = now_ms;
		if (end) {
			rx_ev(rx, &out[n++], SB_DTMF_END, 0);
			rx->state = RX_ENDED;
		}
		return (int)n;
	}
	if (!newer) {
		rx->st.drop[SB_DTMF_RX_STALE]++;
		return 0;
	}
	rx->seq = seq;
	rx->have_seq = 1;
	rx->last_ms = now_ms;
	if (rx->state == RX_ACTIVE) {
		if (rx_is_next_segment(rx, ev, marker, ts)) {
			rx->dur += ts - rx->seg_ts;
			rx->seg_ts = ts;
			rx->seg_dur = dur;
			if (end) {
				rx_ev(rx, &out[n++], SB_DTMF_END, 0);
				rx->state = RX_ENDED;
			}
			return (int)n;
		}
		rx_ev(rx, &out[n++], SB_DTMF_END, SB_DTMF_F_LOST_END);
		rx->st.lost_end++;
	}
	rx->state = RX_ACTIVE;
	rx->event = (uint8_t)ev;
	rx->volume = (uint8_t)vol;
	rx->ts = rx->seg_ts = ts;
	rx->dur = 0;
	rx->seg_dur = dur;
	rx_ev(rx, &out[n++], SB_DTMF_BEGIN, end ? SB_DTMF_F_NO_BEGIN : 0);
	rx->st.digits++;
	if (end) {
		rx_ev(rx, &out[n++], SB_DTMF_END, SB_DTMF_F_NO_BEGIN);
		rx->state = RX_ENDED;
	}
	return (int)n;
}

int sb_dtmf_rx_poll(struct sb_dtmf_rx *rx, uint64_t now_ms, struct sb_dtmf_ev *out)
{
	if (rx->state != RX_ACTIVE || now_ms - rx->last_ms < rx->timeout_ms)
		return 0;
	rx_ev(rx, out, SB_DTMF_END, SB_DTMF_F_LOST_END);
	rx->st.lost_end++;
	rx->state = RX_ENDED;
	return 1;
}

int sb_dtmf_tx_start(struct sb_dtmf_tx *tx, unsigned event, unsigned volume, uint32_t dur,
		     uint32_t step, uint32_t ts)
{
	if (event >= SB_DTMF_N_EVENTS || volume > 63 || step == 0 || dur == 0 || dur > 0xffff)
		return -EINVAL;
	memset(tx, 0, sizeof(*tx));
	tx->ts = ts;
	tx->total = dur;
	tx->step = step;
	tx->event = (uint8_t)event;
	tx->volume = (uint8_t)volume;
	tx->active = 1;
	return 0;
}

int sb_dtmf_tx_next(struct sb_dtmf_tx *tx, struct sb_dtmf_pkt *p)
{
	uint32_t d;

	if (!tx->active)
		return 0;
	p->marker = tx->done == 0;
	if (tx->done < tx->total) {
		d = tx->total - tx->done < tx->step ? tx->total : tx->done + tx->step;
		tx->done = d;
		p->send_at = d;
	} else {
		d = tx->total;
		p->send_at = d + tx->ends * tx->step;  /* ends 1, 2: one interval apart */
	}
	p->end = d == tx->total;
	if (p->end && ++tx->ends == 3)
		tx->active = 0;
	p->ts = tx->ts;
	p->pl[0] = tx->event;
	p->pl[1] = (uint8_t)((p->end ? 0x80 : 0) | tx->volume);
	p->pl[2] = (uint8_t)(d >> 8);
	p->pl[3] = (uint8_t)d;
	return 1;
}
