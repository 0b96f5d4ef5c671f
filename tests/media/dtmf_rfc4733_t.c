/* SPDX-License-Identifier: MIT */
/*
 * dtmf_rfc4733_t — sb/dtmf.h, RFC 4733: the generator's packets for all
 * 16 digits and flash, fed to the receiver as a network would deliver
 * them (in order; every packet twice; reordered; marker packet lost; all
 * end packets lost, ended by the next digit or the timeout; only the end
 * packets; sequence numbers far apart), give exactly one BEGIN and one END
 * per key press with the right code, timestamp and duration.  Plus: the
 * generator's wire bytes and schedule, a long event in two segments, non-
 * DTMF codes and short payloads refused and counted, and a telephone-event
 * clock of 48 kHz.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sb/dtmf.h"
#include "test.h"

#define MAXP 64

struct pkt {
	uint8_t pl[4];
	uint32_t ts;
	uint16_t seq;
	bool marker;
	uint64_t at_ms;
};

/* the packets of one event as the worker would send them; seq continues */
static unsigned gen(struct pkt *p, unsigned ev, uint32_t dur, uint32_t ts, uint16_t *seq,
		    uint64_t t0_ms)
{
	struct sb_dtmf_tx tx;
	struct sb_dtmf_pkt k;
	unsigned n = 0;

	T_ASSERT(sb_dtmf_tx_start(&tx, ev, 10, dur, 400, ts) == 0);
	while (sb_dtmf_tx_next(&tx, &k) == 1) {
		T_ASSERT(n < MAXP);
		memcpy(p[n].pl, k.pl, 4);
		p[n].ts = k.ts;
		p[n].marker = k.marker;
		p[n].seq = (*seq)++;
		p[n].at_ms = t0_ms + k.send_at / 8;
		*seq += 2;   /* audio packets in between */
		n++;
	}
	return n;
}

struct got {
	struct sb_dtmf_ev ev[256];
	unsigned n;
};

static void feed(struct sb_dtmf_rx *rx, const struct pkt *p, struct got *g)
{
	struct sb_dtmf_ev e[3];
	int r = sb_dtmf_rx_packet(rx, p->pl, 4, p->ts, p->seq, p->marker, p->at_ms, e);

	T_ASSERT(r >= 0 && r <= 3);
	for (int i = 0; i < r; i++) {
		T_ASSERT(g->n < 256);
		g->ev[g->n++] = e[i];
	}
}

static void poll_at(struct sb_dtmf_rx *rx, uint64_t ms, struct got *g)
{
	struct sb_dtmf_ev e;

	if (sb_dtmf_rx_poll(rx, ms, &e) == 1)
		g->ev[g->n++] = e;
}

/* g holds BEGIN/END pairs for the events ev[0..n) with timestamps ts[] and
 * (when durs != NULL) END durations durs[] in clock units */
static void expect(const struct got *g, const unsigned *ev, const uint32_t *ts, unsigned n,
		   const uint32_t *durs, unsigned lost_end_mask)
{
	if (g->n != 2 * n) {
		fprintf(stderr, "got %u reports, want %u:", g->n, 2 * n);
		for (unsigned i = 0; i < g->n; i++)
			fprintf(stderr, " %c%c", g->ev[i].kind == SB_DTMF_BEGIN ? '+' : '-',
				sb_dtmf_char(g->ev[i].event));
		fprintf(stderr, "\n");
	}
	T_ASSERT_EQ_U64(g->n, 2 * n);
	for (unsigned i = 0; i < n; i++) {
		const struct sb_dtmf_ev *b = &g->ev[2 * i], *e = &g->ev[2 * i + 1];

		T_ASSERT_EQ_U64(b->kind, SB_DTMF_BEGIN);
		T_ASSERT_EQ_U64(e->kind, SB_DTMF_END);
		T_ASSERT_EQ_U64(b->event, ev[i]);
		T_ASSERT_EQ_U64(e->event, ev[i]);
		T_ASSERT_EQ_U64(b->ts, ts[i]);
		T_ASSERT_EQ_U64(e->ts, ts[i]);
		T_ASSERT_EQ_U64(b->src, SB_DTMF_FROM_RFC4733);
		T_ASSERT_EQ_U64(b->volume, 10);
		if (durs) {
			T_ASSERT_EQ_U64(e->dur_ts, durs[i]);
			T_ASSERT_EQ_U64(e->dur_ms, durs[i] / 8);
		}
		T_ASSERT_EQ_U64(!!(e->flags & SB_DTMF_F_LOST_END), (lost_end_mask >> i) & 1);
	}
}

/* the generator: wire bytes and schedule of a 120 ms digit '5' */
static void test_generator(void)
{
	struct sb_dtmf_tx tx;
	struct sb_dtmf_pkt k;
	/* duration so far every 50 ms (400), final 960 with E, three times */
	static const uint32_t durs[] = { 400, 800, 960, 960, 960 };
	static const uint32_t at[] = { 400, 800, 960, 1360, 1760 };
	unsigned i = 0;

	T_ASSERT(sb_dtmf_tx_start(&tx, 5, 10, 960, 400, 123456) == 0);
	while (sb_dtmf_tx_next(&tx, &k) == 1) {
		T_ASSERT(i < 5);
		T_ASSERT_EQ_U64(k.pl[0], 5);
		T_ASSERT_EQ_U64(k.pl[1], (i >= 2 ? 0x80 : 0) | 10);
		T_ASSERT_EQ_U64((uint32_t)k.pl[2] << 8 | k.pl[3], durs[i]);
		T_ASSERT_EQ_U64(k.ts, 123456);
		T_ASSERT_EQ_U64(k.marker, i == 0);
		T_ASSERT_EQ_U64(k.end, i >= 2);
		T_ASSERT_EQ_U64(k.send_at, at[i]);
		i++;
	}
	T_ASSERT_EQ_U64(i, 5);
	T_ASSERT(sb_dtmf_tx_next(&tx, &k) == 0);
	/* shorter than one interval: marker and E on the first packet */
	T_ASSERT(sb_dtmf_tx_start(&tx, 11, 10, 160, 400, 7) == 0);
	T_ASSERT(sb_dtmf_tx_next(&tx, &k) == 1 && k.marker && k.end);
	T_ASSERT(sb_dtmf_tx_start(&tx, 17, 10, 800, 400, 0) == -EINVAL);
	T_ASSERT(sb_dtmf_tx_start(&tx, 1, 64, 800, 400, 0) == -EINVAL);
	T_ASSERT(sb_dtmf_tx_start(&tx, 1, 10, 0x10000, 400, 0) == -EINVAL);
	T_ASSERT(sb_dtmf_tx_start(&tx, 1, 10, 800, 0, 0) == -EINVAL);
	for (unsigned e = 0; e < SB_DTMF_N_EVENTS; e++)
		T_ASSERT_EQ_U64(sb_dtmf_event_of(sb_dtmf_char(e)), e);
	T_ASSERT(sb_dtmf_event_of('b') == 13 && sb_dtmf_event_of('E') == -EINVAL);
}

enum pattern {
	P_CLEAN, P_DOUBLED, P_REORDER, P_NO_MARKER, P_NO_END_NEXT, P_NO_END_TIMEOUT,
	P_ONLY_END, P_FAR_SEQ, P_N
};
static const char *const pattern_name[P_N] = {
	"clean", "doubled", "reordered", "marker lost", "ends lost (next event)",
	"ends lost (timeout)", "only end packets", "seq far apart",
};

/* all 17 events (0-9 * # A-D flash), 100..260 ms each, one pattern */
static void test_pattern(enum pattern pat)
{
	struct sb_dtmf_rx rx;
	struct got g = { .n = 0 };
	unsigned evs[SB_DTMF_N_EVENTS];
	uint32_t ts[SB_DTMF_N_EVENTS], durs[SB_DTMF_N_EVENTS];
	uint16_t seq = 65000;       /* wraps during the run */
	uint32_t t = 0xfffff000u;   /* so does the timestamp */
	uint64_t ms = 1000;
	unsigned lost = 0;

	T_ASSERT(sb_dtmf_rx_init(&rx, 8000, 0) == 0);
	for (unsigned i = 0; i < SB_DTMF_N_EVENTS; i++) {
		struct pkt p[MAXP], q[2 * MAXP];
		unsigned ev = (i * 7 + 3) % SB_DTMF_N_EVENTS, n, m = 0;
		uint32_t dur = 800 + 80 * (i % 5) * 4;   /* 100 - 260 ms */

		evs[i] = ev;
		ts[i] = t;
		durs[i] = dur;
		n = gen(p, ev, dur, t, &seq, ms);
		switch (pat) {
		case P_CLEAN:
		case P_FAR_SEQ:
			memcpy(q, p, n * sizeof(*p));
			m = n;
			break;
		case P_DOUBLED:
			for (unsigned k = 0; k < n; k++)
				q[m++] = p[k], q[m++] = p[k];
			break;
		case P_REORDER:     /* swap neighbours: 1 0 3 2 ... */
			for (unsigned k = 0; k < n; k++)
				q[m++] = p[(k ^ 1) < n ? k ^ 1 : k];
			break;
		case P_NO_MARKER:   /* the first (marked) packet lost */
			memcpy(q, p + 1, (n - 1) * sizeof(*p));
			m = n - 1;
			durs[i] = dur;
			break;
		case P_NO_END_NEXT:
		case P_NO_END_TIMEOUT:
			for (unsigned k = 0; k < n; k++)
				if (!(p[k].pl[1] & 0x80))
					q[m++] = p[k];
			/* longest duration that was sent before the end */
			durs[i] = (dur - 1) / 400 * 400;
			lost |= 1u << i;
			break;
		case P_ONLY_END:
			for (unsigned k = 0; k < n; k++)
				if (p[k].pl[1] & 0x80)
					q[m++] = p[k];
			break;
		default:
			T_ASSERT(0);
		}
		for (unsigned k = 0; k < m; k++)
			feed(&rx, &q[k], &g);
		ms += dur / 8 + 200;
		if (pat == P_NO_END_TIMEOUT) {
			poll_at(&rx, ms, &g);                /* 200 ms later: not yet */
			T_ASSERT_EQ_U64(g.n % 2, 1);
			ms += 1000;
			poll_at(&rx, ms, &g);
			T_ASSERT_EQ_U64(g.n % 2, 0);
			poll_at(&rx, ms + 5000, &g);        /* once only */
		}
		t += dur + 1600;
		if (pat == P_FAR_SEQ)
			seq = (uint16_t)(seq + 40000 + i * 1000);  /* minutes of audio */
	}
	/* the last event's end, when it was lost, comes from the timeout */
	if (pat == P_NO_END_NEXT)
		poll_at(&rx, ms + 2000, &g);
	fprintf(stderr, "pattern %-24s %u packets, %u reports, drops dup %llu stale %llu\n",
		pattern_name[pat], (unsigned)rx.st.packets, g.n,
		(unsigned long long)rx.st.drop[SB_DTMF_RX_DUP],
		(unsigned long long)rx.st.drop[SB_DTMF_RX_STALE]);
	expect(&g, evs, ts, SB_DTMF_N_EVENTS, durs, lost);
	T_ASSERT_EQ_U64(rx.st.digits, SB_DTMF_N_EVENTS);
	T_ASSERT_EQ_U64(rx.st.lost_end, __builtin_popcount(lost));
	if (pat == P_DOUBLED)    /* each event: the 2nd copy of its 3 ends, and the 2 extra ends */
		T_ASSERT(rx.st.drop[SB_DTMF_RX_DUP] >= 3 * SB_DTMF_N_EVENTS);
	if (pat == P_CLEAN || pat == P_ONLY_END)
		T_ASSERT_EQ_U64(rx.st.drop[SB_DTMF_RX_DUP], 2 * SB_DTMF_N_EVENTS);
	if (pat == P_ONLY_END)
		for (unsigned i = 0; i < g.n; i++)
			T_ASSERT(g.ev[i].flags & SB_DTMF_F_NO_BEGIN);
	if (pat == P_REORDER)   /* the update arriving after a newer one, under another ts */
		T_ASSERT(rx.st.drop[SB_DTMF_RX_STALE] + rx.st.drop[SB_DTMF_RX_DUP] > 0);
}

/* A late packet of the previous event (older seq, other ts) after the
 * next one began: ignored, not a third digit. */
static void test_late_previous(void)
{
	struct sb_dtmf_rx rx;
	struct got g = { .n = 0 };
	struct pkt a[MAXP], b[MAXP];
	uint16_t seq = 100;
	unsigned na = gen(a, 1, 800, 1000, &seq, 0), nb = gen(b, 2, 800, 5000, &seq, 500);
	static const unsigned ev[] = { 1, 2 };
	static const uint32_t ts[] = { 1000, 5000 }, durs[] = { 800, 800 };

	T_ASSERT(sb_dtmf_rx_init(&rx, 8000, 0) == 0);
	for (unsigned k = 0; k < na; k++)
		feed(&rx, &a[k], &g);
	feed(&rx, &b[0], &g);
	for (unsigned k = 0; k < na; k++) {      /* all of 'a' again, late */
		a[k].at_ms = 600;
		feed(&rx, &a[k], &g);
	}
	for (unsigned k = 1; k < nb; k++)
		feed(&rx, &b[k], &g);
	expect(&g, ev, ts, 2, durs, 0);
	T_ASSERT_EQ_U64(rx.st.drop[SB_DTMF_RX_STALE], na);
}

/* RFC 4733 2.5.1.3: 10 s of '#' at 8 kHz is two segments (0xffff, then
 * the rest under a new timestamp, no marker): one digit of 80000. */
static void test_segments(void)
{
	struct sb_dtmf_rx rx;
	struct got g = { .n = 0 };
	uint8_t pl[4] = { 11, 10, 0, 0 };
	uint16_t seq = 1;
	uint32_t t0 = 50000, d;
	uint64_t ms = 0;
	struct sb_dtmf_ev e[3];
	int r;

	T_ASSERT(sb_dtmf_rx_init(&rx, 8000, 0) == 0);
	for (d = 400; d <= 0xffff; d += 400, ms += 50) {
		pl[2] = (uint8_t)(d >> 8), pl[3] = (uint8_t)d;
		r = sb_dtmf_rx_packet(&rx, pl, 4, t0, seq++, d == 400, ms, e);
		T_ASSERT(r == (d == 400));
	}
	pl[2] = pl[3] = 0xff;   /* the segment's last report: 0xffff */
	T_ASSERT(sb_dtmf_rx_packet(&rx, pl, 4, t0, seq++, false, ms, e) == 0);
	for (d = 400; d < 80000 - 0xffff; d += 400, ms += 50) {
		pl[2] = (uint8_t)(d >> 8), pl[3] = (uint8_t)d;
		T_ASSERT(sb_dtmf_rx_packet(&rx, pl, 4, t0 + 0xffff, seq++, false, ms, e) == 0);
	}
	d = 80000 - 0xffff;
	pl[1] |= 0x80, pl[2] = (uint8_t)(d >> 8), pl[3] = (uint8_t)d;
	r = sb_dtmf_rx_packet(&rx, pl, 4, t0 + 0xffff, seq++, false, ms, e);
	T_ASSERT(r == 1 && e[0].kind == SB_DTMF_END && e[0].event == 11);
	T_ASSERT_EQ_U64(e[0].dur_ts, 80000);
	T_ASSERT_EQ_U64(e[0].dur_ms, 10000);
	T_ASSERT_EQ_U64(e[0].ts, t0);
	T_ASSERT_EQ_U64(rx.st.digits, 1);
	(void)g;
}

static void test_refusals_and_rate(void)
{
	struct sb_dtmf_rx rx;
	struct sb_dtmf_ev e[3];
	uint8_t tone[4] = { 32, 10, 1, 0 };    /* RFC 4734 modem tone, not DTMF */
	uint8_t flash[4] = { 16, 0x80 | 10, 0x0f, 0x00 };

	T_ASSERT(sb_dtmf_rx_init(&rx, 0, 0) == -EINVAL);
	T_ASSERT(sb_dtmf_rx_init(&rx, 48000, 0) == 0);
	T_ASSERT(sb_dtmf_rx_packet(&rx, tone, 3, 1, 1, true, 0, e) == -EBADMSG);
	T_ASSERT(sb_dtmf_rx_packet(&rx, tone, 4, 1, 2, true, 0, e) == -ENOTSUP);
	T_ASSERT_EQ_U64(rx.st.drop[SB_DTMF_RX_SHORT], 1);
	T_ASSERT_EQ_U64(rx.st.drop[SB_DTMF_RX_EVENT], 1);
	T_ASSERT_EQ_U64(rx.st.digits, 0);
	/* flash, 3840 units of a 48 kHz clock = 80 ms */
	T_ASSERT(sb_dtmf_rx_packet(&rx, flash, 4, 9, 3, true, 0, e) == 2);
	T_ASSERT(e[0].kind == SB_DTMF_BEGIN && e[0].event == SB_DTMF_FLASH);
	T_ASSERT(e[1].kind == SB_DTMF_END && e[1].dur_ts == 3840 && e[1].dur_ms == 80);
	T_ASSERT(sb_dtmf_char(e[1].event) == 'X');
	T_ASSERT(strcmp(sb_dtmf_rx_drop_name(SB_DTMF_RX_STALE), "STALE") == 0);
	T_ASSERT(sb_dtmf_rx_drop_name(SB_DTMF_RX_DROP_N) == NULL);
}

int main(void)
{
	test_generator();
	for (unsigned p = 0; p < P_N; p++)
		test_pattern((enum pattern)p);
	test_late_previous();
	test_segments();
	test_refusals_and_rate();
	printf("dtmf_rfc4733: ok\n");
	return 0;
}
