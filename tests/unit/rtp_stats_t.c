/* SPDX-License-Identifier: MIT */
/*
 * rtp_stats_t — the RTP receive statistics of common/rtp.c against values
 * worked out by hand from RFC 3550 A.1 (sequence, probation, cycles,
 * expected, lost), A.3 (fraction lost per interval) and A.8 (jitter), the
 * tick -> RTP clock conversion, and the round-trip time of 6.4.1.
 * Every expected number below is derived in the comment next to it.
 */
#include <stdint.h>
#include <string.h>

#include "sb/rtp.h"
#include "test.h"

static void feed(struct sb_rtp_src *s, uint32_t ssrc, uint16_t seq)
{
	sb_rtp_src_packet(s, ssrc, seq, (uint32_t)seq * 160u, (uint32_t)seq * 160u);
}

static void test_in_order_loss_reorder_dup(void)
{
	struct sb_rtp_src s;

	memset(&s, 0, sizeof(s));
	/* 100: first packet, probation 2 -> 1, not counted */
	T_ASSERT_EQ_U64(sb_rtp_src_packet(&s, 7, 100, 0, 0), 1);
	T_ASSERT_EQ_U64(s.probation, 1);
	T_ASSERT_EQ_U64(s.received, 0);
	T_ASSERT_EQ_U64(sb_rtp_src_expected(&s), 0);
	/* 101: in sequence, probation 0: init_seq(101), received 1 */
	feed(&s, 7, 101);
	T_ASSERT_EQ_U64(s.probation, 0);
	T_ASSERT_EQ_U64(s.base_seq, 101);
	T_ASSERT_EQ_U64(s.received, 1);
	for (uint16_t q = 102; q <= 109; q++)
		feed(&s, 7, q);
	/* 101..109: 9 received, ext max 109, expected 109-101+1 = 9, lost 0 */
	T_ASSERT_EQ_U64(s.received, 9);
	T_ASSERT_EQ_U64(sb_rtp_src_ext_max(&s), 109);
	T_ASSERT_EQ_U64(sb_rtp_src_expected(&s), 9);
	T_ASSERT_EQ_U64(sb_rtp_src_lost(&s), 0);
	T_ASSERT_EQ_U64(sb_rtp_src_fraction(&s), 0); /* interval: 9 expected, 9 received */

	/* loss: 110 and 111 missing, 112..119 received (8) */
	for (uint16_t q = 112; q <= 119; q++)
		feed(&s, 7, q);
	T_ASSERT_EQ_U64(s.received, 17);
	T_ASSERT_EQ_U64(sb_rtp_src_expected(&s), 19); /* 119 - 101 + 1 */
	T_ASSERT_EQ_U64(sb_rtp_src_lost(&s), 2);
	/* interval: expected 19-9 = 10, received 17-9 = 8, lost 2: 2*256/10 = 51 */
	T_ASSERT_EQ_U64(sb_rtp_src_fraction(&s), 51);
	T_ASSERT_EQ_U64(sb_rtp_src_fraction(&s), 0); /* empty interval */

	/* reorder: 120, 122, 121, 123: all four count, max stays 123 */
	feed(&s, 7, 120);
	feed(&s, 7, 122);
	feed(&s, 7, 121);
	T_ASSERT_EQ_U64(sb_rtp_src_ext_max(&s), 122);
	feed(&s, 7, 123);
	T_ASSERT_EQ_U64(s.received, 21);
	T_ASSERT_EQ_U64(sb_rtp_src_expected(&s), 23);
	T_ASSERT_EQ_U64(sb_rtp_src_lost(&s), 2);
	/* a late 110 arrives (13 behind): counted, lost drops to 1 */
	feed(&s, 7, 110);
	T_ASSERT_EQ_U64(s.received, 22);
	T_ASSERT_EQ_U64(sb_rtp_src_lost(&s), 1);
	T_ASSERT_EQ_U64(sb_rtp_src_ext_max(&s), 123);
	/* duplicates of 123 count as received (A.1): lost 1 -> 0 -> -1 -> -2 */
	feed(&s, 7, 123);
	feed(&s, 7, 123);
	feed(&s, 7, 123);
	T_ASSERT_EQ_U64(s.received, 25);
	T_ASSERT(sb_rtp_src_lost(&s) == -2);
	/* interval since the last call: expected 23-19 = 4, received 25-17 = 8:
	 * lost_interval -4 <= 0 -> fraction 0 */
	T_ASSERT_EQ_U64(sb_rtp_src_fraction(&s), 0);
}

static void test_wrap_and_restart(void)
{
	struct sb_rtp_src s;

	memset(&s, 0, sizeof(s));
	feed(&s, 2, 65533);            /* probation */
	feed(&s, 2, 65534);            /* valid: base 65534, received 1 */
	feed(&s, 2, 65535);            /* received 2 */
	feed(&s, 2, 0);                /* wrap: cycles 65536, max 0, received 3 */
	feed(&s, 2, 1);                /* received 4 */
	T_ASSERT_EQ_U64(s.cycles, 65536);
	T_ASSERT_EQ_U64(s.cycles >> 16, 1);
	T_ASSERT_EQ_U64(sb_rtp_src_ext_max(&s), 65537);  /* 65536 + 1 */
	T_ASSERT_EQ_U64(sb_rtp_src_expected(&s), 4);     /* 65537 - 65534 + 1 */
	T_ASSERT_EQ_U64(sb_rtp_src_lost(&s), 0);
	/* a reordered 65535 after the wrap: no second wrap */
	feed(&s, 2, 65535);
	T_ASSERT_EQ_U64(s.cycles, 65536);
	T_ASSERT_EQ_U64(s.received, 5);

	/* jump of 4999 (> MAX_DROPOUT 3000): not counted, bad_seq = 5001 */
	T_ASSERT_EQ_U64(sb_rtp_src_update_seq(&s, 5000), 0);
	T_ASSERT_EQ_U64(s.bad_seq, 5001);
	T_ASSERT_EQ_U64(s.received, 5);
	/* 5001 == bad_seq: the sender restarted, re-sync at 5001 */
	T_ASSERT_EQ_U64(sb_rtp_src_update_seq(&s, 5001), 1);
	T_ASSERT_EQ_U64(s.base_seq, 5001);
	T_ASSERT_EQ_U64(s.received, 1);
	T_ASSERT_EQ_U64(s.cycles, 0);
	T_ASSERT_EQ_U64(sb_rtp_src_expected(&s), 1);

	/* probation broken by a gap: 10, then 12 (probation back to 1), 13 valid */
	memset(&s, 0, sizeof(s));
	feed(&s, 3, 10);
	feed(&s, 3, 12);
	T_ASSERT_EQ_U64(s.probation, 1);
	T_ASSERT_EQ_U64(s.received, 0);
	feed(&s, 3, 13);
	T_ASSERT_EQ_U64(s.probation, 0);
	T_ASSERT_EQ_U64(s.base_seq, 13);
	T_ASSERT_EQ_U64(s.received, 1);

	/* a new SSRC is a new source: probation again, counters reset */
	T_ASSERT_EQ_U64(sb_rtp_src_packet(&s, 4, 500, 0, 0), 1);
	T_ASSERT_EQ_U64(s.ssrc, 4);
	T_ASSERT_EQ_U64(s.probation, 1);
	T_ASSERT_EQ_U64(s.received, 0);
}

static void test_jitter(void)
{
	struct sb_rtp_src s;
	/* 20 ms of G.711 = 160 units; arrival = 1000 + 160 i + offset[i] */
	static const uint32_t off[] = {0, 0, 80, 0, 40};
	/* transit = 1000 + offset; D = |offset[i] - offset[i-1]| = 0, 80, 80, 40
	 * J16 += D - ((J16 + 8) >> 4):
	 *   i=1: 0 + 0 - 0            = 0
	 *   i=2: 0 + 80 - 0           = 80   (5.0 units; float A.8: 5.0)
	 *   i=3: 80 + 80 - 5          = 155  (9.69;  float: 5 + 75/16 = 9.6875)
	 *   i=4: 155 + 40 - 10        = 185  (11.56; float: 11.58) */
	static const uint32_t want16[] = {0, 0, 80, 155, 185};
	uint32_t ts0 = 0xffffff00u; /* timestamps wrap on the way */

	memset(&s, 0, sizeof(s));
	for (unsigned i = 0; i < 5; i++) {
		uint32_t ts = ts0 + 160u * i;

		sb_rtp_src_packet(&s, 9, (uint16_t)(300 + i), ts, 1000u + 160u * i + off[i] + ts0);
		T_ASSERT_EQ_U64(s.jitter, want16[i]);
	}
	T_ASSERT_EQ_U64(sb_rtp_src_jitter(&s), 11);

	/* constant transit: jitter decays by J/16 per packet: 185 - 12 = 173 */
	sb_rtp_src_packet(&s, 9, 305, ts0 + 800u, 1000u + 800u + 40u + ts0);
	T_ASSERT_EQ_U64(s.jitter, 173);
}

static void test_clock(void)
{
	uint64_t tsc_hz = 2999999999ull; /* an awkward TSC rate */
	uint64_t m8 = sb_rtp_clock_mult(8000, tsc_hz), m48 = sb_rtp_clock_mult(48000, tsc_hz);
	uint64_t base = 123456789012345ull;

	/* one second is exactly one clock rate of units, also across 2^32 */
	T_ASSERT_EQ_U64((uint32_t)(sb_rtp_clock_units(base + tsc_hz, m8) -
				   sb_rtp_clock_units(base, m8)), 8000);
	T_ASSERT_EQ_U64((uint32_t)(sb_rtp_clock_units(base + 2 * tsc_hz, m48) -
				   sb_rtp_clock_units(base, m48)), 96000);
	/* 20 ms = 160 units at 8 kHz, +-1 for the floor of each end */
	{
		uint32_t d = sb_rtp_clock_units(base + tsc_hz / 50, m8) - sb_rtp_clock_units(base, m8);

		T_ASSERT(d >= 159 && d <= 161);
	}
	T_ASSERT_EQ_U64(sb_rtp_clock_units(1000000000ull, sb_rtp_clock_mult(90000, 1000000000ull)),
			90000);
	T_ASSERT_EQ_U64(sb_rtp_static_clock(0), 8000);
	T_ASSERT_EQ_U64(sb_rtp_static_clock(8), 8000);
	T_ASSERT_EQ_U64(sb_rtp_static_clock(9), 8000); /* G.722's RTP clock (RFC 3551 4.5.2) */
	T_ASSERT_EQ_U64(sb_rtp_static_clock(111), 0);
}

static void test_rtt(void)
{
	/* RFC 3550 figure 2: A = 46864.500 s, LSR = 46853.125 s, DLSR = 5.250 s
	 * -> RTT 6.125 s = 0x6:2000 in 16.16 */
	T_ASSERT(sb_rtcp_rtt_q16(0xb7108000u, 0xb7052000u, 0x00054000u) == 0x62000);
	T_ASSERT(sb_rtcp_rtt_q16(0xb7108000u, 0, 0x00054000u) == -1);     /* no SR yet */
	T_ASSERT(sb_rtcp_rtt_q16(0xb7052000u, 0xb7052000u, 0x10000u) == -1); /* negative */
	/* across the 16.16 wrap of the NTP middle word */
	T_ASSERT(sb_rtcp_rtt_q16(0x00001000u, 0xfffff000u, 0x800u) == 0x1800);
}

/* The inline fast path must match sb_rtp_src_packet() state for state:
 * a stream with in-order runs, gaps, reordering, duplicates, wraps, large
 * jumps (restart detection), SSRC changes and arbitrary arrival times fed to
 * both, compared after every packet.  A fast path that took a case it does
 * not handle (or handled one differently) shows up as a mismatch. */
static void test_fast_path_matches(void)
{
	struct sb_rtp_src a, b;
	uint64_t x = 0x243f6a8885a308d3ull;
	uint16_t seq = 65000;
	uint32_t ssrc = 1, ts = 0xfffff000u, arr = 77;
	unsigned fast = 0;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	for (unsigned i = 0; i < 200000; i++) {
		unsigned r;
		int ra, rb;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		r = (unsigned)(x % 1000u);
		if (r < 900)
			seq++;                         /* in order */
		else if (r < 940)
			seq = (uint16_t)(seq + 2 + r % 5); /* small gap */
		else if (r < 970)
			seq = (uint16_t)(seq - r % 4);  /* duplicate / reordered */
		else if (r < 985)
			seq = (uint16_t)(seq + 2990 + r % 20); /* around MAX_DROPOUT */
		else if (r < 995)
			seq = (uint16_t)(x >> 20);      /* anywhere */
		else
			ssrc += (r & 1);                /* maybe a new source */
		ts += 160u;
		arr += 160u + (uint32_t)((x >> 40) % 97u) - 48u;
		if ((x >> 60) == 0)
			arr += 0x80000000u;             /* huge transit jump */
		{
			uint32_t fl = a.flags, pr = a.probation, sa = a.ssrc, ms = a.max_seq;

			ra = sb_rtp_src_packet(&a, ssrc, seq, ts, arr);
			rb = sb_rtp_src_packet_fast(&b, ssrc, seq, ts, arr);
			if (sa == ssrc && pr == 0 && fl == 3 && (uint16_t)(seq - ms) < SB_RTP_MAX_DROPOUT)
				fast++;
		}
		T_ASSERT_EQ_U64(ra, rb);
		T_ASSERT(memcmp(&a, &b, sizeof(a)) == 0);
		T_ASSERT_EQ_U64((uint64_t)(int64_t)sb_rtp_src_lost(&a),
				(uint64_t)(int64_t)sb_rtp_src_lost_fast(&b));
		if (i % 1000 == 999) /* interval state as the sweep advances it */
			T_ASSERT_EQ_U64(sb_rtp_src_fraction(&a), sb_rtp_src_fraction(&b));
	}
	T_ASSERT(fast > 150000); /* the fast path really ran */
}

int main(void)
{
	test_in_order_loss_reorder_dup();
	test_wrap_and_restart();
	test_jitter();
	test_clock();
	test_rtt();
	test_fast_path_matches();
	printf("rtp_stats_t: ok\n");
	return 0;
}
