/* SPDX-License-Identifier: MIT */
/*
 * logic_t — the pure logic of sb_relay.ko (kmod/lib/sbk_logic.h), compiled
 * here exactly as the module compiles it: packet classification, key hash
 * spread, the latching rule, incremental checksums (full and
 * CHECKSUM_PARTIAL) against checksums recomputed from scratch, RTP parse
 * and sequence-loss tracking.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sbk_logic.h"
#include "test.h"
#include "uapi/sb_relay.h"

/* The uapi header asserts its own layout, here in user space as well. */
_Static_assert(SB_RELAY_F_LATCH == SBK_F_LATCH && SB_RELAY_F_STRICT == SBK_F_STRICT,
	       "uapi flags and the pure logic's flags must agree");

/* ---- reference checksum, from scratch ---- */

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2) {
		uint16_t w;

		memcpy(&w, p + i, 2);
		s += w;
	}
	if (n & 1) {
		uint16_t w = 0;

		memcpy(&w, p + n - 1, 1);
		s += w;
	}
	return s;
}

static uint32_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* Non-complemented folded pseudo-header sum (what CHECKSUM_PARTIAL stores). */
static uint16_t pseudo(uint32_t saddr, uint32_t daddr, uint16_t ulen)
{
	uint8_t ph[12];
	uint16_t l = htons(ulen);

	memcpy(ph, &saddr, 4);
	memcpy(ph + 4, &daddr, 4);
	ph[8] = 0;
	ph[9] = 17;
	memcpy(ph + 10, &l, 2);
	return (uint16_t)fold(sum16(ph, 12, 0));
}

/* Full UDP checksum of udp[0..len) (check field taken as 0). */
static uint16_t udp_csum(uint32_t saddr, uint32_t daddr, uint8_t *udp, uint16_t len)
{
	uint16_t saved, c;

	memcpy(&saved, udp + 6, 2);
	memset(udp + 6, 0, 2);
	c = (uint16_t)~fold(sum16(udp, len, pseudo(saddr, daddr, len)));
	memcpy(udp + 6, &saved, 2);
	return c == 0 ? 0xffff : c;
}

static uint32_t rnd32(void)
{
	return ((uint32_t)rand() << 16) ^ (uint32_t)rand();
}

static void test_csum(void)
{
	for (int iter = 0; iter < 20000; iter++) {
		uint8_t udp[256];
		uint16_t len = (uint16_t)(8 + rand() % 240);
		uint32_t s0 = rnd32(), d0 = rnd32(), s1 = rnd32(), d1 = rnd32();
		uint16_t sp1 = (uint16_t)rand(), dp1 = (uint16_t)rand(), c, sp0, dp0, l = htons(len);

		if (iter % 7 == 0) { /* edge values */
			s1 = 0xffffffffu;
			d1 = iter % 2 ? 0 : d1;
		}
		for (int i = 0; i < len; i++)
			udp[i] = (uint8_t)rand();
		memcpy(udp + 4, &l, 2);
		memcpy(&sp0, udp, 2);
		memcpy(&dp0, udp + 2, 2);
		c = udp_csum(s0, d0, udp, len);

		/* full: every field changes, as the module rewrites */
		uint16_t f = c;

		f = sbk_csum_replace4(f, s0, s1);
		f = sbk_csum_replace4(f, d0, d1);
		f = sbk_csum_replace2(f, sp0, sp1);
		f = sbk_csum_replace2(f, dp0, dp1);
		f = sbk_udp_csum_mangle0(f);
		memcpy(udp, &sp1, 2);
		memcpy(udp + 2, &dp1, 2);
		uint16_t want = udp_csum(s1, d1, udp, len);
		/* one's complement has two zeros: 0x0000 is sent as 0xffff, and
		 * any other value must match exactly */
		T_ASSERT_EQ_U64(f, want);

		/* CHECKSUM_PARTIAL: the pseudo sum gets the addresses only, then
		 * "the device" sums the UDP header (new ports) and payload */
		uint16_t p = pseudo(s0, d0, len);

		p = sbk_csum_pseudo_replace4(p, s0, s1);
		p = sbk_csum_pseudo_replace4(p, d0, d1);
		T_ASSERT_EQ_U64(fold(p) == 0xffff ? 0 : p,
				fold(pseudo(s1, d1, len)) == 0xffff ? 0 : pseudo(s1, d1, len));
		memcpy(udp + 6, &p, 2); /* the device sums over the field itself */
		uint16_t fin = (uint16_t)~fold(sum16(udp, len, 0));

		fin = fin == 0 ? 0xffff : fin;
		T_ASSERT_EQ_U64(fin, want);
	}
	/* a checksum that comes out as zero is sent as 0xffff */
	T_ASSERT_EQ_U64(sbk_udp_csum_mangle0(0), 0xffff);
	T_ASSERT_EQ_U64(sbk_udp_csum_mangle0(0x1234), 0x1234);
}

/* ---- classification ---- */

static void mkpkt(uint8_t *p, uint16_t ip_len, uint16_t udp_len)
{
	memset(p, 0, 64);
	p[0] = 0x45;
	p[2] = (uint8_t)(ip_len >> 8);
	p[3] = (uint8_t)ip_len;
	p[8] = 64;
	p[9] = 17;
	p[24] = (uint8_t)(udp_len >> 8);
	p[25] = (uint8_t)udp_len;
}

static void test_classify(void)
{
	uint8_t p[64];
	uint32_t l = 0;

	mkpkt(p, 60, 40);
	T_ASSERT(sbk_classify(p, 64, &l) == SBK_PKT_OK);
	T_ASSERT_EQ_U64(l, 60);
	T_ASSERT(sbk_classify(p, 19, &l) == SBK_PKT_SHORT);
	T_ASSERT(sbk_classify(p, 27, &l) == SBK_PKT_SHORT);
	mkpkt(p, 27, 7);
	T_ASSERT(sbk_classify(p, 64, &l) == SBK_PKT_SHORT);
	mkpkt(p, 60, 41);
	T_ASSERT(sbk_classify(p, 64, &l) == SBK_PKT_BAD_LEN);
	mkpkt(p, 60, 7);
	T_ASSERT(sbk_classify(p, 64, &l) == SBK_PKT_BAD_LEN);
	mkpkt(p, 60, 40);
	p[9] = 6;
	T_ASSERT(sbk_classify(p, 64, &l) == SBK_PKT_NOT_UDP);
	mkpkt(p, 60, 40);
	p[0] = 0x65;
	T_ASSERT(sbk_classify(p, 64, &l) == SBK_PKT_NOT_UDP);
	mkpkt(p, 60, 40);
	p[0] = 0x46;
	T_ASSERT(sbk_classify(p, 64, &l) == SBK_PKT_IP_OPTS);
	p[0] = 0x44;
	T_ASSERT(sbk_classify(p, 64, &l) == SBK_PKT_SHORT);
	mkpkt(p, 60, 40);
	p[6] = 0x20; /* MF */
	T_ASSERT(sbk_classify(p, 64, &l) == SBK_PKT_FRAG);
	mkpkt(p, 60, 40);
	p[7] = 0x01; /* offset 8 */
	T_ASSERT(sbk_classify(p, 64, &l) == SBK_PKT_FRAG);
	mkpkt(p, 60, 40);
	p[6] = 0x40; /* DF only: fine */
	T_ASSERT(sbk_classify(p, 64, &l) == SBK_PKT_OK);
	/* random bytes never read past avail nor crash; OK implies consistency */
	for (int i = 0; i < 100000; i++) {
		uint8_t r[40];
		uint32_t avail = (uint32_t)(rand() % 41);

		for (unsigned j = 0; j < sizeof(r); j++)
			r[j] = (uint8_t)rand();
		if (i & 1)
			r[0] = 0x45, r[9] = 17;
		if (sbk_classify(r, avail, &l) == SBK_PKT_OK) {
			T_ASSERT(avail >= 28);
			T_ASSERT(l >= 28 && sbk_rd16(r + 24) == l - 20);
		}
	}
}

/* ---- key hash ---- */

static void test_hash(void)
{
	static unsigned b[4096];
	unsigned max = 0;

	/* 8192 legs on one address, even ports: what a gateway programs */
	for (uint32_t i = 0; i < 8192; i++) {
		uint32_t h = sbk_key_hash(inet_addr("192.0.2.1"), htons((uint16_t)(20000 + 2 * i)), 0x1234);

		b[h >> 20]++;
	}
	for (int i = 0; i < 4096; i++)
		max = b[i] > max ? b[i] : max;
	T_ASSERT(max <= 10); /* mean 2 */
	/* the seed changes the bucket (per-namespace seeds) */
	unsigned same = 0;

	for (uint32_t i = 0; i < 1000; i++)
		same += sbk_key_hash(inet_addr("192.0.2.1"), htons((uint16_t)i), 1) >> 20 ==
			sbk_key_hash(inet_addr("192.0.2.1"), htons((uint16_t)i), 2) >> 20;
	T_ASSERT(same < 10);
}

/* ---- latching ---- */

static void test_latch(void)
{
	uint32_t pa = inet_addr("192.0.2.10"), other = inet_addr("203.0.113.10");
	uint16_t pp = htons(4000), op = htons(6000);
	uint64_t w, next = 0;

	/* programmed peer, strict: confirms (latches) then accepts; others rejected */
	w = sbk_peer_make(pa, pp, false);
	T_ASSERT(sbk_peer_is_known(w) && !sbk_peer_is_latched(w));
	T_ASSERT(sbk_src_check(w, SBK_F_STRICT, other, op, &next) == SBK_SRC_REJECT);
	T_ASSERT(sbk_src_check(w, SBK_F_STRICT, pa, pp, &next) == SBK_SRC_SET);
	T_ASSERT(next == sbk_peer_make(pa, pp, true));
	w = next;
	T_ASSERT(sbk_src_check(w, SBK_F_STRICT, pa, pp, &next) == SBK_SRC_OK);
	T_ASSERT(sbk_src_check(w, SBK_F_STRICT, pa, op, &next) == SBK_SRC_REJECT);
	T_ASSERT(sbk_src_check(w, SBK_F_STRICT, other, pp, &next) == SBK_SRC_REJECT);
	/* not strict: others pass, the peer stays */
	T_ASSERT(sbk_src_check(w, 0, other, op, &next) == SBK_SRC_OK);

	/* unknown peer: learn from the first packet, then lock (strict) */
	w = sbk_peer_make(0, 0, false);
	T_ASSERT(!sbk_peer_is_known(w));
	T_ASSERT(sbk_src_check(w, SBK_F_STRICT, other, op, &next) == SBK_SRC_SET);
	w = next;
	T_ASSERT(sbk_peer_ip(w) == other && sbk_peer_port(w) == op && sbk_peer_is_latched(w));
	T_ASSERT(sbk_src_check(w, SBK_F_STRICT, pa, pp, &next) == SBK_SRC_REJECT);
	T_ASSERT(sbk_src_check(w, SBK_F_LATCH | SBK_F_STRICT, pa, pp, &next) == SBK_SRC_REJECT);

	/* LATCH with an SDP peer: the first source wins even if it differs
	 * (NAT), and is then locked */
	w = sbk_peer_make(pa, pp, false);
	T_ASSERT(sbk_src_check(w, SBK_F_LATCH | SBK_F_STRICT, other, op, &next) == SBK_SRC_SET);
	w = next;
	T_ASSERT(sbk_peer_ip(w) == other);
	T_ASSERT(sbk_src_check(w, SBK_F_LATCH | SBK_F_STRICT, pa, pp, &next) == SBK_SRC_REJECT);

	/* half-known words are unknown */
	T_ASSERT(!sbk_peer_is_known(sbk_peer_make(pa, 0, false)));
	T_ASSERT(!sbk_peer_is_known(sbk_peer_make(0, pp, true)));
}

/* ---- RTP ---- */

static void rtp_hdr(uint8_t *p, uint16_t seq, uint32_t ssrc, uint8_t pt)
{
	memset(p, 0, 12);
	p[0] = 0x80;
	p[1] = pt;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
}

static void test_rtp(void)
{
	uint8_t p[12];
	uint16_t seq;
	uint32_t ssrc;
	struct sbk_rtp_seq s;

	rtp_hdr(p, 0xabcd, 0x11223344, 0);
	T_ASSERT(sbk_rtp_parse(p, 12, &seq, &ssrc));
	T_ASSERT(seq == 0xabcd && ssrc == 0x11223344);
	T_ASSERT(!sbk_rtp_parse(p, 11, &seq, &ssrc));
	rtp_hdr(p, 1, 1, 200); /* RTCP SR multiplexed */
	T_ASSERT(!sbk_rtp_parse(p, 12, &seq, &ssrc));
	rtp_hdr(p, 1, 1, 0x80 | 8); /* marker + PCMA */
	T_ASSERT(sbk_rtp_parse(p, 12, &seq, &ssrc));
	p[0] = 0x40; /* version 1 */
	T_ASSERT(!sbk_rtp_parse(p, 12, &seq, &ssrc));

	/* no loss across a wrap */
	memset(&s, 0, sizeof(s));
	for (uint32_t i = 0; i < 1000; i++)
		sbk_rtp_update(&s, (uint16_t)(65000 + i), 7);
	T_ASSERT_EQ_U64(sbk_rtp_lost(&s), 0);
	T_ASSERT_EQ_U64(s.cycles, 65536);
	/* a gap of 5, then a late one of those 5 arrives */
	uint16_t next = (uint16_t)(65000 + 1000);

	sbk_rtp_update(&s, (uint16_t)(next + 5), 7);
	T_ASSERT_EQ_U64(sbk_rtp_lost(&s), 5);
	sbk_rtp_update(&s, (uint16_t)(next + 2), 7);
	T_ASSERT_EQ_U64(sbk_rtp_lost(&s), 4);
	/* new SSRC: the old loss is kept, a new sequence starts */
	sbk_rtp_update(&s, 100, 8);
	sbk_rtp_update(&s, 103, 8);
	T_ASSERT_EQ_U64(sbk_rtp_lost(&s), 4 + 2);
	/* a big jump restarts without counting 30000 lost */
	sbk_rtp_update(&s, 30103, 8);
	sbk_rtp_update(&s, 30104, 8);
	T_ASSERT_EQ_U64(sbk_rtp_lost(&s), 6);
	/* duplicates do not make loss negative */
	sbk_rtp_update(&s, 30104, 8);
	sbk_rtp_update(&s, 30104, 8);
	T_ASSERT_EQ_U64(sbk_rtp_lost(&s), 6);
}

static void test_hello(void)
{
	struct sb_relay_hello h;

	memset(&h, 0xff, sizeof(h));
	sb_relay_hello_init(&h);
	T_ASSERT(h.abi == SB_RELAY_ABI && h.n_sizes == SB_RELAY_SZ_N);
	T_ASSERT(h.sizes[SB_RELAY_SZ_STATS] == sizeof(struct sb_relay_stats));
	T_ASSERT(h.sizes[SB_RELAY_SZ_RING] == sizeof(struct sb_relay_ring));
	for (unsigned i = SB_RELAY_SZ_N; i < SB_RELAY_SZ_MAX; i++)
		T_ASSERT(h.sizes[i] == 0);
	T_ASSERT(h.max_entries == 0 && h.flags_known == 0);
}

int main(void)
{
	srand(1);
	test_hello();
	test_csum();
	test_classify();
	test_hash();
	test_latch();
	test_rtp();
	printf("logic_t: ok\n");
	return 0;
}
