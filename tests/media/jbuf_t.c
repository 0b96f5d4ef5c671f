/* SPDX-License-Identifier: MIT */
/*
 * jbuf_t — sb/jbuf.h: reordering absorbed, duplicates, late and lost
 * packets counted exactly, sequence number and timestamp wrap, DTX gaps
 * (contiguous sequence numbers, timestamp jump) not counted as loss, and
 * the playout delay adapting to jitter between min and max.
 *
 * Time is simulated in RTP clock units (8 kHz, 20 ms = 160); the tick
 * runs every 160 units after the packets that arrived by then.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb/jbuf.h"
#include "test.h"

#define FR 160u

struct arr {
	uint32_t at;     /* arrival, clock units from the start */
	uint16_t k;      /* packet index */
};

static int arr_cmp(const void *a, const void *b)
{
	const struct arr *x = a, *y = b;

	return x->at != y->at ? (x->at < y->at ? -1 : 1) : (x->k < y->k ? -1 : x->k > y->k);
}

/* Runs ticks until the arrivals are done plus a drain; played seqs are
 * checked to be strictly increasing; counts of each kind returned. */
struct run {
	unsigned kinds[8];
	unsigned fec_next;        /* LOST ticks that offered the next packet */
	uint16_t last_seq;
	int have_last;
	uint64_t quiet_at_last;   /* empty + gap ticks when the last frame played */
};

static void run(struct sb_jbuf *jb, struct arr *a, unsigned n, uint16_t seq0, uint32_t ts0,
		const uint32_t *tsof, struct run *r)
{
	static const uint8_t pl[4] = { 1, 2, 3, 4 };
	unsigned i = 0;
	uint32_t end = a[n - 1].at + 40 * FR;

	qsort(a, n, sizeof(*a), arr_cmp);
	for (uint32_t t = 0; t <= end; t += FR) {
		struct sb_jbuf_frame f;

		for (; i < n && a[i].at <= t; i++)
			sb_jbuf_put(jb, pl, sizeof(pl), (uint16_t)(seq0 + a[i].k),
				    ts0 + (tsof ? tsof[a[i].k] : a[i].k * FR), 1000000u + a[i].at);
		sb_jbuf_get(jb, &f);
		r->kinds[f.kind]++;
		if (f.kind == SB_JBUF_FRAME) {
			T_ASSERT(f.len == 4 && memcmp(f.data, pl, 4) == 0);
			if (r->have_last)
				T_ASSERT((int16_t)(uint16_t)(f.seq - r->last_seq) > 0);
			r->last_seq = f.seq;
			r->have_last = 1;
			r->quiet_at_last = sb_jbuf_stats(jb)->empty + sb_jbuf_stats(jb)->gap;
		}
		if (f.kind == SB_JBUF_LOST && f.next != NULL)
			r->fec_next++;
	}
}

static void test_counters(void)
{
	struct sb_jbuf_cfg cfg = { .clock = 8000, .frame_ms = 20, .min_ms = 60, .max_ms = 60 };
	struct sb_jbuf *jb = sb_jbuf_create(&cfg);
	static struct arr a[200];
	struct run r = { 0 };
	const struct sb_jbuf_stats *st;
	unsigned n = 0;

	T_ASSERT(jb != NULL);
	for (unsigned k = 0; k < 100; k++) {
		uint32_t at = k * FR + 10;

		if (k == 70 || k == 71)        /* lost */
			continue;
		if (k == 10)                   /* reordered pairs */
			at = 11 * FR + 20;
		if (k == 30)
			at = 31 * FR + 20;
		if (k == 85)                   /* late: 5 frames, past the 3-frame delay */
			at = 90 * FR + 10;
		a[n++] = (struct arr){ at, (uint16_t)k };
		if (k == 50)                   /* duplicate while buffered */
			a[n++] = (struct arr){ at + 5, 50 };
		if (k == 60)                   /* duplicate of a packet played long ago */
			a[n++] = (struct arr){ at + 5, 20 };
	}
	/* start near both wraps: seq 65500 + 100, ts 2^32 - 50 frames */
	run(jb, a, n, 65500, 0u - 50 * FR, NULL, &r);
	st = sb_jbuf_stats(jb);
	T_ASSERT_EQ_U64(st->packets, 98 + 2);
	T_ASSERT_EQ_U64(st->played, 97);
	T_ASSERT_EQ_U64(r.kinds[SB_JBUF_FRAME], 97);
	T_ASSERT_EQ_U64(st->lost, 3);                   /* 70, 71, 85 */
	T_ASSERT_EQ_U64(r.kinds[SB_JBUF_LOST], 3);
	T_ASSERT_EQ_U64(r.fec_next, 2);                 /* 72 for 71, 86 for 85 (71 never came) */
	T_ASSERT_EQ_U64(st->drop[SB_JBUF_DROP_DUP], 1);
	T_ASSERT_EQ_U64(st->drop[SB_JBUF_DROP_LATE], 2); /* 85, old 20 */
	T_ASSERT_EQ_U64(st->drop[SB_JBUF_DROP_TOO_FAR], 0);
	T_ASSERT_EQ_U64(st->expand + st->shrink, 0);    /* min == max: fixed */
	T_ASSERT_EQ_U64(st->gap, 0);
	T_ASSERT((uint16_t)(r.last_seq - 65500) == 99);
	printf("jbuf counters: played %llu lost %llu late %llu dup %llu wait %llu empty %llu\n",
	       (unsigned long long)st->played, (unsigned long long)st->lost,
	       (unsigned long long)st->drop[SB_JBUF_DROP_LATE],
	       (unsigned long long)st->drop[SB_JBUF_DROP_DUP],
	       (unsigned long long)st->wait, (unsigned long long)st->empty);
	sb_jbuf_free(jb);
}

/* DTX: 20 packets, the sender is silent for 50 frames (timestamps jump,
 * sequence numbers do not), 20 more packets: no loss. */
static void test_dtx(void)
{
	struct sb_jbuf_cfg cfg = { .clock = 8000, .frame_ms = 20, .min_ms = 40, .max_ms = 40 };
	struct sb_jbuf *jb = sb_jbuf_create(&cfg);
	static struct arr a[40];
	static uint32_t tsof[40];
	struct run r = { 0 };
	const struct sb_jbuf_stats *st;

	T_ASSERT(jb != NULL);
	for (unsigned k = 0; k < 40; k++) {
		unsigned slot = k < 20 ? k : k + 50;

		tsof[k] = slot * FR;
		a[k] = (struct arr){ slot * FR + 7, (uint16_t)k };
	}
	run(jb, a, 40, 100, 12345, tsof, &r);
	st = sb_jbuf_stats(jb);
	T_ASSERT_EQ_U64(st->played, 40);
	T_ASSERT_EQ_U64(st->lost, 0);
	T_ASSERT_EQ_U64(st->drop[SB_JBUF_DROP_LATE], 0);
	T_ASSERT_EQ_U64(r.quiet_at_last, 50);
	T_ASSERT(st->gap > 0);                 /* the talk spurt waits for its time */
	printf("jbuf dtx: 50 silent frames -> %llu empty + gap ticks (gap %llu), lost 0\n",
	       (unsigned long long)r.quiet_at_last, (unsigned long long)st->gap);
	sb_jbuf_free(jb);
}

/* Adaptation: 1500 packets with 0-100 ms of random delay, then 1500 with
 * none.  The target grows towards 100 ms+ (within max), late packets
 * become rare once it has, and the delay comes back down afterwards. */
static void test_adapt(void)
{
	struct sb_jbuf_cfg cfg = { .clock = 8000, .frame_ms = 20, .min_ms = 40, .max_ms = 300 };
	struct sb_jbuf *jb = sb_jbuf_create(&cfg);
	static struct arr a[3000];
	struct run r = { 0 };
	const struct sb_jbuf_stats *st;
	uint32_t x = 12345, tgt_jitter, lvl_jitter;
	uint64_t late_half, lost_half;
	unsigned i = 0;
	static const uint8_t pl[4] = { 9, 9, 9, 9 };

	T_ASSERT(jb != NULL);
	for (unsigned k = 0; k < 3000; k++) {
		uint32_t d = 0;

		if (k < 1500) {
			x = x * 1103515245u + 12345u;
			d = (x >> 8) % 800;     /* 0..100 ms */
		}
		a[k] = (struct arr){ k * FR + d, (uint16_t)k };
	}
	qsort(a, 3000, sizeof(*a), arr_cmp);
	st = sb_jbuf_stats(jb);
	late_half = lost_half = 0;
	tgt_jitter = lvl_jitter = 0;
	for (uint32_t t = 0; t <= 3000 * FR + 40 * FR; t += FR) {
		struct sb_jbuf_frame f;

		for (; i < 3000 && a[i].at <= t; i++)
			sb_jbuf_put(jb, pl, 4, a[i].k, a[i].k * FR, a[i].at);
		sb_jbuf_get(jb, &f);
		r.kinds[f.kind]++;
		T_ASSERT(st->target >= 320 && st->target <= 2400);
		if (t == 750 * FR) {
			late_half = st->drop[SB_JBUF_DROP_LATE];
			lost_half = st->lost;
		}
		if (t == 1500 * FR) {
			tgt_jitter = st->target;
			lvl_jitter = st->level;
			late_half = st->drop[SB_JBUF_DROP_LATE] - late_half;
			lost_half = st->lost - lost_half;
		}
	}
	printf("jbuf adapt: jitter 0-100 ms: target %u ms level %u ms, late in 2nd half %llu/750 "
	       "(lost %llu); after: target %u ms level %u ms; expand %llu shrink %llu late %llu\n",
	       tgt_jitter / 8, lvl_jitter / 8, (unsigned long long)late_half,
	       (unsigned long long)lost_half, st->target / 8, st->level / 8,
	       (unsigned long long)st->expand, (unsigned long long)st->shrink,
	       (unsigned long long)st->drop[SB_JBUF_DROP_LATE]);
	T_ASSERT(tgt_jitter >= 90 * 8);              /* grew with the jitter */
	T_ASSERT(lvl_jitter >= 80 * 8 && lvl_jitter <= 300 * 8);
	T_ASSERT(late_half * 100 <= 750 * 2);        /* < 2 % late once adapted */
	T_ASSERT(st->expand > 0 && st->shrink > 0);
	T_ASSERT(st->target <= 50 * 8);              /* jitter gone: back to min */
	T_ASSERT(st->level <= st->target + 2 * FR);  /* and the delay with it */
	/* every sequence number is played, lost, or late-and-lost */
	T_ASSERT_EQ_U64(st->played + st->lost + st->shrink, 3000);
	sb_jbuf_free(jb);
}

static void test_bad(void)
{
	struct sb_jbuf_cfg cfg = { .clock = 8000, .frame_ms = 20, .max_ms = 2000 };
	struct sb_jbuf *jb;
	static uint8_t big[2000];

	T_ASSERT(sb_jbuf_create(&cfg) == NULL);      /* max beyond the ring */
	cfg.max_ms = 0;
	cfg.frame_ms = 0;
	T_ASSERT(sb_jbuf_create(&cfg) == NULL);
	cfg.frame_ms = 20;
	jb = sb_jbuf_create(&cfg);
	T_ASSERT(jb != NULL);
	T_ASSERT(sb_jbuf_put(jb, big, 0, 1, 0, 0) == -(1 + SB_JBUF_DROP_SIZE));
	T_ASSERT(sb_jbuf_put(jb, big, sizeof(big), 1, 0, 0) == -(1 + SB_JBUF_DROP_SIZE));
	T_ASSERT(sb_jbuf_put(jb, big, 10, 1, 0, 0) == 0);
	/* far ahead while something is buffered: refused */
	T_ASSERT(sb_jbuf_put(jb, big, 10, 1 + 100, 100 * FR, 0) == -(1 + SB_JBUF_DROP_TOO_FAR));
	T_ASSERT(strcmp(sb_jbuf_drop_name(SB_JBUF_DROP_LATE), "LATE") == 0);
	T_ASSERT(sb_jbuf_drop_name(SB_JBUF_DROP_N) == NULL);
	sb_jbuf_free(jb);
	sb_jbuf_free(NULL);
}

/* A sender restart (sequence number jump with nothing buffered) resyncs
 * instead of dropping everything as too far ahead. */
static void test_resync(void)
{
	struct sb_jbuf_cfg cfg = { .clock = 8000, .frame_ms = 20, .min_ms = 40, .max_ms = 40 };
	struct sb_jbuf *jb = sb_jbuf_create(&cfg);
	struct sb_jbuf_frame f;
	static const uint8_t pl[3] = { 1, 2, 3 };
	unsigned frames = 0;

	T_ASSERT(jb != NULL);
	for (unsigned k = 0; k < 5; k++) {
		T_ASSERT(sb_jbuf_put(jb, pl, 3, (uint16_t)(10 + k), k * FR, k * FR) == 0);
		sb_jbuf_get(jb, &f);
	}
	for (unsigned k = 0; k < 5; k++)
		sb_jbuf_get(jb, &f);                       /* drained */
	T_ASSERT(sb_jbuf_put(jb, pl, 3, 40000, 987654321u, 20 * FR) == 0);
	T_ASSERT(sb_jbuf_put(jb, pl, 3, 40001, 987654321u + FR, 21 * FR) == 0);
	for (unsigned k = 0; k < 4; k++)
		if (sb_jbuf_get(jb, &f) == SB_JBUF_FRAME) {
			T_ASSERT(f.seq == 40000 + frames);
			frames++;
		}
	T_ASSERT_EQ_U64(frames, 2);
	T_ASSERT_EQ_U64(sb_jbuf_stats(jb)->resync, 1);
	T_ASSERT_EQ_U64(sb_jbuf_stats(jb)->played, 7);
	/* contiguous sequence numbers, timestamp base restarted far back */
	for (unsigned k = 0; k < 3; k++)
		sb_jbuf_get(jb, &f);
	T_ASSERT(sb_jbuf_put(jb, pl, 3, 40002, 5, 30 * FR) == 0);
	T_ASSERT_EQ_U64(sb_jbuf_stats(jb)->resync, 2);
	T_ASSERT(sb_jbuf_get(jb, &f) == SB_JBUF_FRAME && f.seq == 40002 && f.ts == 5);
	T_ASSERT_EQ_U64(sb_jbuf_stats(jb)->drop[SB_JBUF_DROP_LATE], 0);
	sb_jbuf_free(jb);
}

int main(void)
{
	test_resync();
	test_counters();
	test_dtx();
	test_adapt();
	test_bad();
	return 0;
}
