/* SPDX-License-Identifier: MIT */
/*
 * dp_media_rtcp_xcode — RTCP across a transcoded call on a real worker
 * (command ring, relay, media hooks): leg A PCMU, leg B Opus, connected.
 * RTP flows both ways (B's peer skips two sequence numbers), then:
 *   1. an SR from A's peer (its SSRC, NTP N1, RTP ts in 8 kHz, its PCMU
 *      counts, a report block about the PCMU we send it) leaves B as an SR
 *      about the Opus stream we send B's peer: sender SSRC = B's output
 *      SSRC (also in SDES), RTP timestamp = B's last Opus timestamp plus
 *      the time since (48 kHz), packet/octet counts = the Opus packets and
 *      payload octets B's peer got, NTP kept; the report block is ours
 *      about B's peer's stream: its SSRC, cumulative lost 2, its extended
 *      highest sequence, LSR of B's peer's last SR and the DLSR since;
 *      UDP checksum valid;
 *   2. the other way (SR from B's peer) alike: A's output SSRC, 8 kHz
 *      timestamp, the PCMU counts;
 *   3. an RR from B's peer answering (1) with LSR = N1's middle bits gives
 *      B a round-trip time (relay.c's RTT, kept working);
 *   4. before anything was sent on the target leg, RTCP to it is dropped
 *      (counted MEDIA), not relayed with the wrong stream's figures.
 * The relay's plain rewrite (no transcoder) would keep A's peer's SSRC,
 * the 8 kHz timestamp and its counts: (1) fails on it.
 * Exit 0 pass, 1 fail, 77 skip.
 */
#include <math.h>

#include "sb/g711.h"

#include "dpm_harness.h"

#define PA H_IP(20)
#define PB H_IP(21)
#define A 0u
#define B 1u
#define PORT_A (H_PORT_MIN + 0)
#define PORT_B (H_PORT_MIN + 2)
#define SSRC_A 0xa1a1a1a1u /* A's peer */
#define SSRC_B 0xb2b2b2b2u /* B's peer */

static uint64_t now;

static void media(uint32_t leg, uint8_t codec, uint8_t pt)
{
	union sb_msg m;

	h_media_init(&m, leg);
	m.media.codec = codec;
	m.media.pt = pt;
	m.media.clock_hz = codec == SB_DP_CODEC_OPUS ? 48000 : 8000;
	m.media.channels = 1;
	m.media.opus_complexity = 0;
	m.media.opus_bitrate = 16000;
	T_ASSERT_EQ_U64(h_cmd(&m), 0);
}

/* An SR (sender ssrc, NTP, ts, counts) with one report block about
 * rb_ssrc, then SDES CNAME "x": a compound as phones send it. */
static unsigned sr(uint8_t *b, uint32_t ssrc, uint64_t ntp, uint32_t ts, uint32_t pkts,
		   uint32_t octets, uint32_t rb_ssrc)
{
	memset(b, 0, 64);
	b[0] = 0x81;
	b[1] = 200;
	sb_put_be16(b + 2, 12); /* 52 bytes */
	sb_put_be32(b + 4, ssrc);
	sb_put_be32(b + 8, (uint32_t)(ntp >> 32));
	sb_put_be32(b + 12, (uint32_t)ntp);
	sb_put_be32(b + 16, ts);
	sb_put_be32(b + 20, pkts);
	sb_put_be32(b + 24, octets);
	sb_put_be32(b + 28, rb_ssrc);
	sb_put_be32(b + 32, (7u << 24) | 5u); /* its view: 7/256 lost, 5 in all */
	sb_put_be32(b + 36, 0x00010099u);
	sb_put_be32(b + 40, 333);
	sb_put_be32(b + 44, 0x12345678u);
	sb_put_be32(b + 48, 0x00020000u);
	b[52] = 0x81;
	b[53] = 202;
	sb_put_be16(b + 54, 2); /* 12 bytes */
	sb_put_be32(b + 56, ssrc);
	b[60] = 1; /* CNAME */
	b[61] = 1;
	b[62] = 'x';
	b[63] = 0; /* end of chunk */
	return 64;
}

/* The one UDP frame the worker sent for the last packet (to dst's RTCP port). */
static struct h_pkt take_one(uint32_t dst, uint16_t dport)
{
	struct h_pkt out[4];
	unsigned n = h_take(out, 4);

	T_ASSERT_EQ_U64(n, 1);
	T_ASSERT(out[0].dst_ip == dst && out[0].dport == dport);
	return out[0];
}

int main(int argc, char **argv)
{
	static struct h_pkt opus_out[200], ulaw_out[200];
	unsigned n_op = 0, n_ul = 0;
	uint32_t op_octets = 0, ul_octets = 0, last_seq_b = 0;
	const uint64_t ntp_a = 0xe1a2b3c4d5e6f708ull, ntp_b = 0xe1a2b3c5a0b0c0d0ull;
	uint8_t b[256];
	struct h_pkt r;
	int rc;

	(void)argc;
	(void)argv;
	rc = h_init("rtcpx", 4, 0);
	if (rc != 0)
		return rc;
	now = rte_rdtsc();
	h_leg_add(A, PA, 4000, PORT_A, 0);
	h_leg_add(B, PB, 5000, PORT_B, 0);
	h_connect(A, B);
	media(A, SB_DP_CODEC_PCMU, 0);
	media(B, SB_DP_CODEC_OPUS, 111);
	h_arp(PA, now);
	h_arp(PB, now);
	sb_dpm_timer(H.w, now);

	/* 4: nothing sent on B yet: A's peer's SR is not relayed */
	{
		uint64_t d0 = H.w->st->drop[SB_DROP_MEDIA];
		struct h_pkt out[2];

		h_feed(h_udp(PA, 4001, PORT_A + 1, b, sr(b, SSRC_A, ntp_a, 1000, 0, 0, 0)), now);
		T_ASSERT_EQ_U64(h_take(out, 2), 0);
		T_ASSERT_EQ_U64(H.w->st->drop[SB_DROP_MEDIA], d0 + 1);
	}

	/* RTP both ways for 1 s: PCMU on A, Opus on B (seq 3 and 4 never sent) */
	for (unsigned i = 0; i < 50; i++) {
		uint8_t pl[160], ob[200];
		struct h_pkt out[8];
		unsigned n;

		for (unsigned s = 0; s < 160; s++)
			pl[s] = sb_g711_ulaw_enc1(
				(int16_t)lrint(6000.0 * sin(2 * M_PI * 800.0 * (i * 160 + s) / 8000.0)));
		h_feed(h_udp(PA, 4000, PORT_A, b, h_rtp(b, 0, (uint16_t)(100 + i), 160 * i, SSRC_A, pl, 160)),
		       now);
		if (i != 3 && i != 4) {
			/* any Opus bytes do for the stats; the decoder conceals what it refuses */
			memset(ob, 0x0b, 40);
			ob[0] = 0x08; /* TOC: SILK NB 20 ms, one frame */
			last_seq_b = 7000 + i;
			h_feed(h_udp(PB, 5000, PORT_B, b,
				     h_rtp(b, 111, (uint16_t)last_seq_b, 960 * i, SSRC_B, ob, 40)),
			       now);
		}
		for (unsigned k = 0; k < 4; k++) {
			now += h_ms(5);
			sb_dpm_timer(H.w, now);
			n = h_take(out, 8);
			for (unsigned j = 0; j < n; j++) {
				if (out[j].dst_ip == PB && out[j].dport == 5000) {
					op_octets += out[j].len - 12;
					opus_out[n_op++] = out[j];
				} else if (out[j].dst_ip == PA && out[j].dport == 4000) {
					ul_octets += out[j].len - 12;
					ulaw_out[n_ul++] = out[j];
				}
			}
		}
	}
	T_ASSERT(n_op >= 45 && n_ul >= 40);
	T_ASSERT(n_op < 200 && n_ul < 200);

	/* 2 first (so B's peer's LSR is known for 1): SR from B's peer -> A */
	now += h_ms(3);
	h_feed(h_udp(PB, 5001, PORT_B + 1, b,
		     sr(b, SSRC_B, ntp_b, 960 * 49, 48, 48 * 40, sb_be32(opus_out[0].b + 8))),
	       now);
	r = take_one(PA, 4001);
	T_ASSERT_EQ_U64(r.len, 64);
	T_ASSERT_EQ_U64(sb_be32(r.b + 4), sb_be32(ulaw_out[0].b + 8)); /* A's output SSRC */
	T_ASSERT_EQ_U64(sb_be32(r.b + 56), sb_be32(ulaw_out[0].b + 8)); /* SDES chunk */
	T_ASSERT_EQ_U64(((uint64_t)sb_be32(r.b + 8) << 32) | sb_be32(r.b + 12), ntp_b);
	{
		uint32_t last = sb_be32(ulaw_out[n_ul - 1].b + 4), ts = sb_be32(r.b + 16);

		T_ASSERT(ts - last <= 160 * 2); /* 8 kHz: within two frames of the last one sent */
	}
	T_ASSERT_EQ_U64(sb_be32(r.b + 20), n_ul);
	T_ASSERT_EQ_U64(sb_be32(r.b + 24), ul_octets);
	T_ASSERT_EQ_U64(sb_be32(r.b + 28), SSRC_A);          /* about A's peer's stream */
	T_ASSERT_EQ_U64(sb_be32(r.b + 32) & 0xffffff, 0);    /* A's peer lost nothing */
	T_ASSERT_EQ_U64(sb_be32(r.b + 36) & 0xffff, 149);    /* its highest sequence */
	printf("B -> A: SR SSRC %08x ts %u pkts %u octets %u; block about %08x\n",
	       sb_be32(r.b + 4), sb_be32(r.b + 16), sb_be32(r.b + 20), sb_be32(r.b + 24),
	       sb_be32(r.b + 28));

	/* 1: SR from A's peer -> B */
	now += h_ms(7);
	h_feed(h_udp(PA, 4001, PORT_A + 1, b,
		     sr(b, SSRC_A, ntp_a, 160 * 49, 50, 8000, sb_be32(ulaw_out[0].b + 8))),
	       now);
	r = take_one(PB, 5001);
	T_ASSERT_EQ_U64(r.len, 64);
	T_ASSERT(sb_be32(r.b + 4) != SSRC_A);
	T_ASSERT_EQ_U64(sb_be32(r.b + 4), sb_be32(opus_out[0].b + 8)); /* B's output SSRC */
	T_ASSERT_EQ_U64(sb_be32(r.b + 56), sb_be32(opus_out[0].b + 8));
	T_ASSERT_EQ_U64(((uint64_t)sb_be32(r.b + 8) << 32) | sb_be32(r.b + 12), ntp_a);
	{
		uint32_t last = sb_be32(opus_out[n_op - 1].b + 4), ts = sb_be32(r.b + 16);

		/* 48 kHz: 10 ms after B's last frame plus up to a frame */
		T_ASSERT(ts - last >= 480 && ts - last <= 960 * 2);
	}
	T_ASSERT_EQ_U64(sb_be32(r.b + 20), n_op);
	T_ASSERT_EQ_U64(sb_be32(r.b + 24), op_octets);
	/* our report about B's peer's stream */
	T_ASSERT_EQ_U64(sb_be32(r.b + 28), SSRC_B);
	T_ASSERT_EQ_U64(sb_be32(r.b + 32) & 0xffffff, 2);          /* seq 7003, 7004 */
	T_ASSERT_EQ_U64(sb_be32(r.b + 36) & 0xffff, last_seq_b);
	T_ASSERT_EQ_U64(sb_be32(r.b + 44),
			(uint32_t)((ntp_b >> 16) & 0xffffffffu));          /* LSR: B's peer's SR */
	{
		uint32_t dlsr = sb_be32(r.b + 48); /* 7 ms later, in 1/65536 s */

		T_ASSERT(dlsr >= 400 && dlsr <= 520);
	}
	printf("A -> B: SR SSRC %08x ts %u pkts %u octets %u; block about %08x lost %u "
	       "LSR %08x DLSR %u\n",
	       sb_be32(r.b + 4), sb_be32(r.b + 16), sb_be32(r.b + 20), sb_be32(r.b + 24),
	       sb_be32(r.b + 28), sb_be32(r.b + 32) & 0xffffff, sb_be32(r.b + 44),
	       sb_be32(r.b + 48));

	/* 3: B's peer answers with an RR whose LSR is A's peer's NTP: RTT on B */
	{
		uint32_t lsr = (uint32_t)((ntp_a >> 16) & 0xffffffffu);
		struct h_pkt out[2];

		memset(b, 0, 32);
		b[0] = 0x81;
		b[1] = 201;
		sb_put_be16(b + 2, 7);
		sb_put_be32(b + 4, SSRC_B);
		sb_put_be32(b + 8, sb_be32(opus_out[0].b + 8)); /* about our Opus stream */
		sb_put_be32(b + 24, lsr);
		sb_put_be32(b + 28, 65536u / 100u); /* it held it 10 ms */
		now += h_ms(30);
		h_feed(h_udp(PB, 5001, PORT_B + 1, b, 32), now);
		T_ASSERT_EQ_U64(h_take(out, 2), 1);
		printf("RTT on B: %u us\n", H.w->legs->st[B].rtt_us);
		T_ASSERT(H.w->legs->st[B].rtt_us >= 15000 && H.w->legs->st[B].rtt_us <= 25000);
	}
	h_fini();
	printf("dp_media_rtcp_xcode: ok\n");
	return 0;
}
