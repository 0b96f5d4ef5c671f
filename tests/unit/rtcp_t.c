/* SPDX-License-Identifier: MIT */
/*
 * rtcp_t — the compound RTCP walk of common/rtp.c on hand-built packets:
 * SR + SDES and RR with report blocks decoded field by field, BYE sources,
 * padding on the last packet, and each malformation the walk must refuse
 * (version, length past the end, lengths not adding up, padding in the
 * middle, report blocks or SDES items that do not fit, too many packets).
 * Then the latching rule (sb_latch_check) with a fake clock: SDP address
 * preference, the 5-packet and the 3-second windows, strict without latch.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "sb/rtp.h"
#include "test.h"

static size_t put_hdr(uint8_t *p, unsigned pad, unsigned count, unsigned pt, unsigned words)
{
	p[0] = (uint8_t)(0x80 | (pad ? 0x20 : 0) | count);
	p[1] = (uint8_t)pt;
	sb_put_be16(p + 2, (uint16_t)(words - 1));
	return 4;
}

static void put_rb(uint8_t *b, uint32_t ssrc, uint8_t frac, int32_t cum, uint32_t ext,
		   uint32_t jit, uint32_t lsr, uint32_t dlsr)
{
	sb_put_be32(b, ssrc);
	sb_put_be32(b + 4, ((uint32_t)frac << 24) | ((uint32_t)cum & 0xffffff));
	sb_put_be32(b + 8, ext);
	sb_put_be32(b + 12, jit);
	sb_put_be32(b + 16, lsr);
	sb_put_be32(b + 20, dlsr);
}

/* SR with 1 block (52 bytes) + SDES with 1 chunk, CNAME "ab" (16 bytes):
 * chunk = SSRC (4) + item 1,2,'a','b' (4) + end byte padded to a word (4) */
static size_t build_sr_sdes(uint8_t *b)
{
	put_hdr(b, 0, 1, SB_RTCP_SR, 13);
	sb_put_be32(b + 4, 0x11111111);  /* sender SSRC */
	sb_put_be32(b + 8, 0xe1234567);  /* NTP seconds */
	sb_put_be32(b + 12, 0x89abcdef); /* NTP fraction */
	sb_put_be32(b + 16, 160000);     /* RTP ts */
	sb_put_be32(b + 20, 1000);       /* packets */
	sb_put_be32(b + 24, 160000);     /* octets */
	put_rb(b + 28, 0x22222222, 51, -3, 0x1ffff, 77, 0xb7052000, 0x54000);
	put_hdr(b + 52, 0, 1, SB_RTCP_SDES, 4);
	sb_put_be32(b + 56, 0x11111111);
	b[60] = 1; /* CNAME */
	b[61] = 2;
	b[62] = 'a';
	b[63] = 'b';
	b[64] = 0; /* end of items; 65..67 pad */
	return 68;
}

static void test_good(void)
{
	uint8_t b[256];
	struct sb_rtcp_pkt p[SB_RTCP_MAX_PKTS];
	struct sb_rtcp_rb rb;
	uint16_t offs[8];
	size_t len;
	int n;

	memset(b, 0, sizeof(b));
	len = build_sr_sdes(b);
	n = sb_rtcp_walk(b, len, p, SB_RTCP_MAX_PKTS);
	T_ASSERT_EQ_U64(n, 2);
	T_ASSERT_EQ_U64(p[0].pt, SB_RTCP_SR);
	T_ASSERT_EQ_U64(p[0].count, 1);
	T_ASSERT_EQ_U64(p[0].off, 0);
	T_ASSERT_EQ_U64(p[0].len, 52);
	T_ASSERT_EQ_U64(p[1].pt, SB_RTCP_SDES);
	T_ASSERT_EQ_U64(p[1].off, 52);
	T_ASSERT_EQ_U64(p[1].len, 16);
	T_ASSERT_EQ_U64(sb_rtcp_rb_off(&p[0], 0), 28);
	sb_rtcp_rb_read(b + sb_rtcp_rb_off(&p[0], 0), &rb);
	T_ASSERT_EQ_U64(rb.ssrc, 0x22222222);
	T_ASSERT_EQ_U64(rb.fraction, 51);
	T_ASSERT(rb.cum_lost == -3);
	T_ASSERT_EQ_U64(rb.ext_seq, 0x1ffff);
	T_ASSERT_EQ_U64(rb.jitter, 77);
	T_ASSERT_EQ_U64(rb.lsr, 0xb7052000);
	T_ASSERT_EQ_U64(rb.dlsr, 0x54000);
	T_ASSERT_EQ_U64(sb_rtcp_sender_ssrcs(b + 52, &p[1], offs, 8), 1);
	T_ASSERT_EQ_U64(offs[0], 4);

	/* RR with two blocks, then a BYE of two sources, padded by 4 */
	memset(b, 0, sizeof(b));
	put_hdr(b, 0, 2, SB_RTCP_RR, 14);
	sb_put_be32(b + 4, 0x33333333);
	put_rb(b + 8, 0xaaaa0001, 0, 0x7fffff, 5, 0, 0, 0);
	put_rb(b + 32, 0xaaaa0002, 255, 10, 6, 1, 2, 3);
	put_hdr(b + 56, 1, 2, SB_RTCP_BYE, 4);
	sb_put_be32(b + 60, 0x33333333);
	sb_put_be32(b + 64, 0x44444444);
	b[71] = 4; /* pad count: the last word */
	n = sb_rtcp_walk(b, 72, p, SB_RTCP_MAX_PKTS);
	T_ASSERT_EQ_U64(n, 2);
	T_ASSERT_EQ_U64(p[0].len, 56);
	T_ASSERT_EQ_U64(p[1].len, 12); /* 16 minus 4 bytes of padding */
	sb_rtcp_rb_read(b + sb_rtcp_rb_off(&p[0], 1), &rb);
	T_ASSERT_EQ_U64(rb.ssrc, 0xaaaa0002);
	T_ASSERT_EQ_U64(rb.fraction, 255);
	T_ASSERT(rb.cum_lost == 10);
	sb_rtcp_rb_read(b + sb_rtcp_rb_off(&p[0], 0), &rb);
	T_ASSERT(rb.cum_lost == 0x7fffff);
	T_ASSERT_EQ_U64(sb_rtcp_sender_ssrcs(b + 56, &p[1], offs, 8), 2);
	T_ASSERT_EQ_U64(offs[0], 4);
	T_ASSERT_EQ_U64(offs[1], 8);

	/* an empty RR (RFC 3550: 0 blocks) alone is fine */
	put_hdr(b, 0, 0, SB_RTCP_RR, 2);
	T_ASSERT_EQ_U64(sb_rtcp_walk(b, 8, p, SB_RTCP_MAX_PKTS), 1);
}

static void test_bad(void)
{
	uint8_t b[256];
	struct sb_rtcp_pkt p[SB_RTCP_MAX_PKTS];

	memset(b, 0, sizeof(b));
	put_hdr(b, 0, 0, SB_RTCP_RR, 2);
	T_ASSERT(sb_rtcp_walk(b, 0, p, 4) == -EBADMSG);
	T_ASSERT(sb_rtcp_walk(b, 6, p, 4) == -EBADMSG);            /* not a word multiple */
	T_ASSERT(sb_rtcp_walk(b, 12, p, 4) == -EBADMSG);           /* trailing short packet */
	b[0] = 0x40;                                               /* version 1 */
	T_ASSERT(sb_rtcp_walk(b, 8, p, 4) == -EBADMSG);
	put_hdr(b, 0, 0, 72, 2);                                   /* type 72: RTP, not RTCP */
	T_ASSERT(sb_rtcp_walk(b, 8, p, 4) == -EBADMSG);
	put_hdr(b, 0, 0, SB_RTCP_RR, 3);                           /* length past the end */
	T_ASSERT(sb_rtcp_walk(b, 8, p, 4) == -EBADMSG);
	put_hdr(b, 0, 1, SB_RTCP_RR, 2);                           /* a block that does not fit */
	T_ASSERT(sb_rtcp_walk(b, 8, p, 4) == -EBADMSG);
	put_hdr(b, 0, 0, SB_RTCP_SR, 2);                           /* SR without sender info */
	T_ASSERT(sb_rtcp_walk(b, 8, p, 4) == -EBADMSG);
	put_hdr(b, 1, 0, SB_RTCP_RR, 2);                           /* padding, not last */
	b[7] = 4;
	put_hdr(b + 8, 0, 0, SB_RTCP_RR, 2);
	T_ASSERT(sb_rtcp_walk(b, 16, p, 4) == -EBADMSG);
	put_hdr(b, 1, 0, SB_RTCP_RR, 2);                           /* pad count 0 */
	b[7] = 0;
	T_ASSERT(sb_rtcp_walk(b, 8, p, 4) == -EBADMSG);
	b[7] = 9;                                                  /* pad count > body */
	T_ASSERT(sb_rtcp_walk(b, 8, p, 4) == -EBADMSG);
	put_hdr(b, 0, 3, SB_RTCP_BYE, 3);                          /* 3 sources in 2 words */
	T_ASSERT(sb_rtcp_walk(b, 12, p, 4) == -EBADMSG);
	put_hdr(b, 0, 1, SB_RTCP_SDES, 3);                         /* item longer than packet */
	sb_put_be32(b + 4, 1);
	b[8] = 1;
	b[9] = 40;
	T_ASSERT(sb_rtcp_walk(b, 12, p, 4) == -EBADMSG);
	b[9] = 1;                                                  /* no end-of-items byte */
	b[10] = 'x';
	b[11] = 2;
	T_ASSERT(sb_rtcp_walk(b, 12, p, 4) == -EBADMSG);
	put_hdr(b, 0, 0, SB_RTCP_PSFB, 1);                         /* feedback without SSRC */
	T_ASSERT(sb_rtcp_walk(b, 4, p, 4) == -EBADMSG);
	for (unsigned i = 0; i < 5; i++)                           /* 5 packets, room for 4 */
		put_hdr(b + 8 * i, 0, 0, SB_RTCP_RR, 2);
	T_ASSERT(sb_rtcp_walk(b, 40, p, 4) == -E2BIG);
	T_ASSERT(sb_rtcp_walk(b, 40, p, 5) == 5);
}

#define IP(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

static void test_latch(void)
{
	struct sb_latch l;
	uint32_t ip;
	uint16_t port;
	const uint32_t sdp = IP(192, 0, 2, 10), nat = IP(198, 51, 100, 7), evil = IP(203, 0, 113, 66);

	/* SDP peer, latching allowed: a NATed source is learned tentatively,
	 * a third host is rejected, the SDP address takes over and locks. */
	sb_latch_init(&l, sdp, 5000, true, &ip, &port);
	T_ASSERT(ip == sdp && port == 5000);
	T_ASSERT(sb_latch_check(&l, &ip, &port, nat, 40000, 1000) == SB_LATCH_NEW_PEER);
	T_ASSERT(ip == nat && port == 40000);
	T_ASSERT(sb_latch_check(&l, &ip, &port, nat, 40000, 1020) == SB_LATCH_ACCEPT);
	T_ASSERT(sb_latch_check(&l, &ip, &port, evil, 40000, 1030) == SB_LATCH_REJECT);
	T_ASSERT(sb_latch_check(&l, &ip, &port, sdp, 5000, 1040) == SB_LATCH_NEW_PEER);
	T_ASSERT(ip == sdp && port == 5000 && l.state == SB_LATCH_LOCKED);
	T_ASSERT(sb_latch_check(&l, &ip, &port, nat, 40000, 1060) == SB_LATCH_REJECT);

	/* the 5-packet window: packets 1..5 may latch, the 6th locks */
	sb_latch_init(&l, sdp, 5000, true, &ip, &port);
	T_ASSERT(sb_latch_check(&l, &ip, &port, evil, 1, 0) == SB_LATCH_NEW_PEER); /* 1: attacker first */
	for (unsigned i = 2; i <= 5; i++)
		T_ASSERT(sb_latch_check(&l, &ip, &port, nat, 40000, i) == SB_LATCH_REJECT);
	/* the 6th packet closes the window: even the SDP address is too late */
	T_ASSERT(sb_latch_check(&l, &ip, &port, sdp, 5000, 5) == SB_LATCH_REJECT);
	T_ASSERT(ip == evil && l.state == SB_LATCH_LOCKED);
	sb_latch_init(&l, sdp, 5000, true, &ip, &port);
	for (unsigned i = 1; i <= 5; i++)
		T_ASSERT(sb_latch_check(&l, &ip, &port, nat, 40000, i) >= SB_LATCH_ACCEPT);
	T_ASSERT(sb_latch_check(&l, &ip, &port, nat, 40000, 6) == SB_LATCH_ACCEPT); /* 6th closes */
	T_ASSERT(l.state == SB_LATCH_LOCKED);
	T_ASSERT(sb_latch_check(&l, &ip, &port, sdp, 5000, 7) == SB_LATCH_REJECT); /* too late */
	T_ASSERT(ip == nat);

	/* the 3-second window, wrap-safe clock: the SDP address at +2999 ms
	 * still wins, a new source at +3000 ms is rejected and locks */
	sb_latch_init(&l, 0, 0, false, &ip, &port); /* no SDP: latching forced on */
	T_ASSERT(ip == 0 && l.may_latch);
	T_ASSERT(sb_latch_check(&l, &ip, &port, nat, 40000, UINT32_MAX - 1000) == SB_LATCH_NEW_PEER);
	T_ASSERT(sb_latch_check(&l, &ip, &port, nat, 40000, 1999) == SB_LATCH_ACCEPT); /* +3000 */
	T_ASSERT(l.state == SB_LATCH_LOCKED);
	sb_latch_init(&l, sdp, 5000, true, &ip, &port);
	T_ASSERT(sb_latch_check(&l, &ip, &port, nat, 40000, 100) == SB_LATCH_NEW_PEER);
	T_ASSERT(sb_latch_check(&l, &ip, &port, sdp, 5000, 3099) == SB_LATCH_NEW_PEER);
	sb_latch_init(&l, sdp, 5000, true, &ip, &port);
	T_ASSERT(sb_latch_check(&l, &ip, &port, nat, 40000, 100) == SB_LATCH_NEW_PEER);
	T_ASSERT(sb_latch_check(&l, &ip, &port, sdp, 5000, 3100) == SB_LATCH_REJECT);
	T_ASSERT(ip == nat && l.state == SB_LATCH_LOCKED);

	/* no latching with an SDP peer: only the SDP address, ever */
	sb_latch_init(&l, sdp, 5000, false, &ip, &port);
	T_ASSERT(sb_latch_check(&l, &ip, &port, nat, 40000, 0) == SB_LATCH_REJECT);
	T_ASSERT(sb_latch_check(&l, &ip, &port, sdp, 5001, 0) == SB_LATCH_REJECT);
	T_ASSERT(sb_latch_check(&l, &ip, &port, sdp, 5000, 0) == SB_LATCH_ACCEPT);
	T_ASSERT(sb_latch_check(&l, &ip, &port, nat, 40000, 1) == SB_LATCH_REJECT);
	T_ASSERT(ip == sdp && port == 5000);
}

int main(void)
{
	test_good();
	test_bad();
	test_latch();
	printf("rtcp_t: ok\n");
	return 0;
}
