/* SPDX-License-Identifier: MIT */
/*
 * dp_media_srtp — SRTP on a real worker, programmed through its command
 * ring (LEG_ADD, LEG_CONNECT, LEG_MEDIA), checked against libsrtp 2, for
 * each suite (AES_CM_128_HMAC_SHA1_80, _32, AEAD_AES_128_GCM):
 *   1. SRTP in -> RTP out: packets libsrtp protected as the SRTP peer leave
 *      on the plain leg as the exact plain RTP bytes;
 *   2. RTP in -> SRTP out: what the worker sends the SRTP peer unprotects
 *      with libsrtp to the plain packet, and is byte for byte what libsrtp
 *      makes of that packet with our key;
 *   3. SRTCP both ways the same (RTCP port + 1);
 *   4. a flood of forged packets during the live stream (bad tags from the
 *      peer's address and from a stranger, replays, truncations), the
 *      first of them before the peer has latched: every one is dropped and
 *      counted (worker drop reason SRTP, the leg's srtp_drops), every good
 *      packet goes through untouched, and the leg latches the real peer
 *      only (one PEER_LATCHED event);
 *   5. none of those packets makes the worker allocate (malloc counted).
 * Exit 0 pass, 1 fail, 77 skip (EAL cannot initialise).
 */
#include <srtp2/srtp.h>

#include "../media/alloc_count.h"
#include "dpm_harness.h"

static uint32_t rng = 0x9e3779b9u;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void rnd_bytes(uint8_t *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

struct suite {
	uint8_t id; /* enum sb_dp_srtp */
	unsigned key_len;
	const char *name;
	void (*rtp)(srtp_crypto_policy_t *);
	void (*rtcp)(srtp_crypto_policy_t *);
};

static const struct suite suites[] = {
	{SB_DP_SRTP_AES_CM_128_HMAC_SHA1_80, 30, "AES_CM_128_HMAC_SHA1_80",
	 srtp_crypto_policy_set_rtp_default, srtp_crypto_policy_set_rtp_default},
	{SB_DP_SRTP_AES_CM_128_HMAC_SHA1_32, 30, "AES_CM_128_HMAC_SHA1_32",
	 srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32, srtp_crypto_policy_set_rtp_default},
	{SB_DP_SRTP_AEAD_AES_128_GCM, 28, "AEAD_AES_128_GCM",
	 srtp_crypto_policy_set_aes_gcm_128_16_auth, srtp_crypto_policy_set_aes_gcm_128_16_auth},
};

static srtp_t lib_session(const struct suite *su, uint8_t *key, int inbound)
{
	srtp_policy_t pol;
	srtp_t s;

	memset(&pol, 0, sizeof(pol));
	su->rtp(&pol.rtp);
	su->rtcp(&pol.rtcp);
	pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	pol.key = key;
	pol.window_size = 128;
	T_ASSERT(srtp_create(&s, &pol) == srtp_err_status_ok);
	return s;
}

#define PA H_IP(20) /* the SRTP peer */
#define PB H_IP(21) /* the plain peer */
#define PX H_IP(66) /* a stranger */

/* The worker's receive, unprotect, forward and protect path: no malloc. */
static void feed(struct rte_mbuf *m, uint64_t now)
{
	sb_alloc_counting = 1;
	h_feed(m, now);
	sb_alloc_counting = 0;
}

static void run_suite(unsigned si)
{
	const struct suite *su = &suites[si];
	uint32_t A = 2 * si, B = 2 * si + 1;
	uint16_t port_a = (uint16_t)(H_PORT_MIN + 8 * si), port_b = (uint16_t)(port_a + 2);
	uint8_t k_peer[30], k_ours[30];
	srtp_t peer_out, peer_in, ref_out;
	union sb_msg m;
	struct h_pkt out[4];
	uint64_t now = rte_rdtsc();
	uint64_t forged = 0, drops0 = H.w->st->drop[SB_DROP_SRTP];
	uint8_t plain[1500], prev[1500], buf[1600], pl[160];
	int prev_len = 0;
	unsigned n_ev0 = H.n_ev;

	rnd_bytes(k_peer, sizeof(k_peer));
	rnd_bytes(k_ours, sizeof(k_ours));
	peer_out = lib_session(su, k_peer, 0); /* the peer's sender */
	peer_in = lib_session(su, k_ours, 1);  /* the peer's receiver */
	ref_out = lib_session(su, k_ours, 0);  /* reference for our output */

	h_leg_add(A, 0, 0, port_a, SB_LEG_F_LATCH); /* peer learnt: latching is live */
	h_leg_add(B, PB, 5000, port_b, 0);
	h_connect(A, B);
	h_media_init(&m, A);
	m.media.srtp_rx = su->id;
	m.media.srtp_tx = su->id;
	m.media.rx_key_len = (uint8_t)su->key_len;
	m.media.tx_key_len = (uint8_t)su->key_len;
	memcpy(m.media.rx_key, k_peer, su->key_len);
	memcpy(m.media.tx_key, k_ours, su->key_len);
	T_ASSERT_EQ_U64(h_cmd(&m), 0);
	/* bad key length, unknown suite: refused */
	m.media.rx_key_len = 29;
	T_ASSERT_EQ_U64(h_cmd(&m), -EINVAL);
	m.media.rx_key_len = (uint8_t)su->key_len;
	m.media.srtp_tx = 9;
	T_ASSERT_EQ_U64(h_cmd(&m), -EINVAL);
	h_arp(PA, now);
	h_arp(PB, now);

	/* 1 + 4: SRTP in, RTP out, with forged packets in between */
	for (unsigned i = 0; i < 60; i++) {
		int len, plen;

		now += h_ms(20);
		rnd_bytes(pl, sizeof(pl));
		plen = (int)h_rtp(plain, 0, (uint16_t)(1000 + i), 160 * i, 0x11223344u, pl, 160);
		memcpy(buf, plain, (size_t)plen);
		len = plen;
		T_ASSERT(srtp_protect(peer_out, buf, &len) == srtp_err_status_ok);
		if (i == 0) { /* forged before the first good packet: must not latch */
			uint8_t f[1600];

			memcpy(f, buf, (size_t)len);
			f[len - 1] ^= 1;
			feed(h_udp(PX, 6666, port_a, f, (unsigned)len), now);
			forged++;
			T_ASSERT_EQ_U64(h_take(out, 4), 0);
			T_ASSERT_EQ_U64(H.tbl.st[A].latch_state != 2 || H.tbl.st[A].peer_ip != PX, 1);
		}
		feed(h_udp(PA, 4000, port_a, buf, (unsigned)len), now);
		T_ASSERT_EQ_U64(h_take(out, 4), 1);
		T_ASSERT(out[0].dst_ip == PB && out[0].dport == 5000 && out[0].sport == port_b);
		T_ASSERT_EQ_U64(out[0].len, (unsigned)plen);
		T_ASSERT(memcmp(out[0].b, plain, (size_t)plen) == 0);
		/* the flood: 12 forgeries per good packet */
		for (unsigned k = 0; k < 12; k++) {
			uint8_t f[1600];
			int flen = len;
			uint32_t src = (k & 1) ? PX : PA;

			memcpy(f, buf, (size_t)len);
			switch (k % 4) {
			case 0: /* bad tag */
				f[len - 1 - (int)(rnd() % 4)] ^= (uint8_t)(1u << (rnd() % 8));
				break;
			case 1: /* payload bit flipped */
				f[12 + rnd() % 100] ^= 0x10;
				break;
			case 2: /* replay of this packet or the last one */
				if (prev_len != 0 && (k & 4)) {
					memcpy(f, prev, (size_t)prev_len);
					flen = prev_len;
				}
				break;
			case 3: /* a newer index, random tag */
				sb_put_be16(f + 2, (uint16_t)(1000 + i + 1 + rnd() % 50));
				rnd_bytes(f + len - 4, 4);
				break;
			}
			feed(h_udp(src, (k & 1) ? 6666 : 4000, port_a, f, (unsigned)flen), now);
			forged++;
			T_ASSERT_EQ_U64(h_take(out, 4), 0);
		}
		memcpy(prev, buf, (size_t)len);
		prev_len = len;
	}
	T_ASSERT_EQ_U64(H.tbl.st[A].srtp_drops, forged);
	T_ASSERT_EQ_U64(H.w->st->drop[SB_DROP_SRTP] - drops0, forged);
	T_ASSERT_EQ_U64(H.tbl.st[A].peer_ip, PA);
	T_ASSERT_EQ_U64(H.tbl.st[A].peer_port, 4000);
	h_drain_events(0, NULL, NULL);
	{
		unsigned latched = 0;

		for (unsigned i = n_ev0; i < H.n_ev; i++)
			if (H.ev[i].h.type == SB_EVT_PEER_LATCHED && H.ev[i].h.leg == A) {
				T_ASSERT_EQ_U64(H.ev[i].peer.peer_ip, PA);
				latched++;
			}
		T_ASSERT_EQ_U64(latched, 1);
	}

	/* 2: RTP in on B, SRTP out on A, byte-identical to libsrtp */
	for (unsigned i = 0; i < 40; i++) {
		int plen, len;

		now += h_ms(20);
		rnd_bytes(pl, sizeof(pl));
		plen = (int)h_rtp(plain, 8, (uint16_t)(500 + i), 3000 + 160 * i, 0xaabbccddu, pl, 160);
		feed(h_udp(PB, 5000, port_b, plain, (unsigned)plen), now);
		T_ASSERT_EQ_U64(h_take(out, 4), 1);
		T_ASSERT(out[0].dst_ip == PA && out[0].dport == 4000 && out[0].sport == port_a);
		memcpy(buf, plain, (size_t)plen);
		len = plen;
		T_ASSERT(srtp_protect(ref_out, buf, &len) == srtp_err_status_ok);
		T_ASSERT_EQ_U64(out[0].len, (unsigned)len);
		T_ASSERT(memcmp(out[0].b, buf, (size_t)len) == 0);
		len = (int)out[0].len;
		T_ASSERT(srtp_unprotect(peer_in, out[0].b, &len) == srtp_err_status_ok);
		T_ASSERT(len == plen && memcmp(out[0].b, plain, (size_t)plen) == 0);
	}

	/* 3: SRTCP in -> RTCP out, RTCP in -> SRTCP out */
	for (unsigned i = 0; i < 5; i++) {
		uint8_t rr[8] = {0x80, 201, 0, 1, 0x11, 0x22, 0x33, 0x44};
		int len = 8;

		now += h_ms(1000);
		memcpy(buf, rr, 8);
		T_ASSERT(srtp_protect_rtcp(peer_out, buf, &len) == srtp_err_status_ok);
		feed(h_udp(PA, 4001, (uint16_t)(port_a + 1), buf, (unsigned)len), now);
		T_ASSERT_EQ_U64(h_take(out, 4), 1);
		T_ASSERT(out[0].dst_ip == PB && out[0].dport == 5001);
		T_ASSERT(out[0].len == 8 && memcmp(out[0].b, rr, 8) == 0);
		buf[len - 1] ^= 0x40; /* forged SRTCP */
		feed(h_udp(PA, 4001, (uint16_t)(port_a + 1), buf, (unsigned)len), now);
		forged++;
		T_ASSERT_EQ_U64(h_take(out, 4), 0);

		rr[4] = 0xaa;
		feed(h_udp(PB, 5001, (uint16_t)(port_b + 1), rr, 8), now);
		T_ASSERT_EQ_U64(h_take(out, 4), 1);
		T_ASSERT(out[0].dst_ip == PA && out[0].dport == 4001);
		len = (int)out[0].len;
		T_ASSERT(len > 8);
		T_ASSERT(srtp_unprotect_rtcp(peer_in, out[0].b, &len) == srtp_err_status_ok);
		T_ASSERT(len == 8 && memcmp(out[0].b, rr, 8) == 0);
	}
	T_ASSERT_EQ_U64(H.tbl.st[A].srtp_drops, forged);
#ifndef SB_ASAN
	T_ASSERT_EQ_U64(sb_allocs, 0);
#endif

	/* back to a plain leg: the media state goes, SRTP is no longer expected */
	h_media_init(&m, A);
	T_ASSERT_EQ_U64(h_cmd(&m), 0);
	T_ASSERT((H.tbl.leg[A].flags & SB_LEGI_MEDIA) == 0);
	h_leg_del(A);
	h_leg_del(B);
	srtp_dealloc(peer_out);
	srtp_dealloc(peer_in);
	srtp_dealloc(ref_out);
	printf("%s: %llu forged packets dropped, stream intact\n", su->name,
	       (unsigned long long)forged);
}

int main(int argc, char **argv)
{
	union sb_msg m;
	int rc;

	(void)argc;
	(void)argv;
	rc = h_init("srtp", 2, 0);
	if (rc != 0)
		return rc;
	T_ASSERT(srtp_init() == srtp_err_status_ok);
	for (unsigned si = 0; si < sizeof(suites) / sizeof(suites[0]); si++)
		run_suite(si);

	/* the pool is sized at start-up: a third media leg is -ENOSPC */
	h_leg_add(10, PA, 4000, H_PORT_MIN + 40, 0);
	h_leg_add(11, PA, 4002, H_PORT_MIN + 42, 0);
	h_leg_add(12, PA, 4004, H_PORT_MIN + 44, 0);
	for (uint32_t i = 10; i < 13; i++) {
		h_media_init(&m, i);
		m.media.codec = SB_DP_CODEC_PCMU;
		m.media.flags = SB_MEDIA_DTMF_4733;
		m.media.dtmf_pt = 101;
		T_ASSERT_EQ_U64(h_cmd(&m), i < 12 ? 0 : -ENOSPC);
	}
	h_leg_del(10); /* LEG_DEL gives the context back */
	T_ASSERT_EQ_U64(h_cmd(&m), 0);
	m.media.h.leg_gen = 7;
	T_ASSERT_EQ_U64(h_cmd(&m), -ESTALE);
	srtp_shutdown();
	h_fini();
	printf("dp_media_srtp: ok\n");
	return 0;
}
