/* SPDX-License-Identifier: MIT */
/*
 * srtp_libsrtp_t — media/srtp.c against libsrtp 2 (Debian's, the
 * reference), for every suite: random keys, SSRCs, payload sizes (0..1200),
 * CSRC counts and header extensions, 1500 RTP packets starting 300 before
 * the sequence number wraps (so ROC goes 0 -> 1), and an SRTCP packet every
 * 10.  Each packet is protected by both implementations and the bytes must
 * be identical; then libsrtp unprotects ours and we unprotect libsrtp's,
 * delivered slightly out of order, and both must give back the plaintext.
 * After the run the receiver's ROC must be 1.
 *
 * Then the refusals, each agreeing with libsrtp's verdict and counted under
 * its own reason: a flipped tag bit or payload bit (AUTH), a packet seen
 * twice (REPLAY), a packet more than 128 behind (OLD), SRTCP tag and
 * replay, a fifth SSRC (SSRC), no room for the tag (ROOM), a bad header
 * (HDR).  Refused packets change no state: the stream goes on afterwards.
 *
 *   srtp_libsrtp_t [seed]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/crypto_types.h>
#include <srtp2/srtp.h>

#include "sb/srtp.h"
#include "test.h"

static uint64_t rng_s = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_s ^= rng_s << 13;
	rng_s ^= rng_s >> 7;
	rng_s ^= rng_s << 17;
	return (uint32_t)(rng_s >> 16);
}

static void rnd_bytes(uint8_t *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

struct suite {
	enum sb_srtp_prof prof;
	const char *name;
	void (*rtp)(srtp_crypto_policy_t *);
	void (*rtcp)(srtp_crypto_policy_t *);
};

static const struct suite suites[] = {
	{ SB_SRTP_PROF_AES_CM_128_HMAC_SHA1_80, "AES_CM_128_HMAC_SHA1_80",
	  srtp_crypto_policy_set_rtp_default, srtp_crypto_policy_set_rtp_default },
	{ SB_SRTP_PROF_AES_CM_128_HMAC_SHA1_32, "AES_CM_128_HMAC_SHA1_32",
	  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32, srtp_crypto_policy_set_rtp_default },
	{ SB_SRTP_PROF_AEAD_AES_128_GCM, "AEAD_AES_128_GCM",
	  srtp_crypto_policy_set_aes_gcm_128_16_auth, srtp_crypto_policy_set_aes_gcm_128_16_auth },
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

enum { CAP = 1600 };

/* An RTP packet with random header options and payload; returns its length. */
static unsigned make_rtp(uint8_t *p, uint32_t ssrc, uint16_t seq)
{
	unsigned cc = rnd() % 4 == 0 ? rnd() % 4 : 0, x = rnd() % 5 == 0, h, pl;

	p[0] = (uint8_t)(0x80 | (x ? 0x10 : 0) | cc);
	p[1] = (uint8_t)(rnd() & 0xff);
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	rnd_bytes(p + 4, 4);
	p[8] = (uint8_t)(ssrc >> 24); p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8); p[11] = (uint8_t)ssrc;
	h = 12;
	rnd_bytes(p + h, 4 * cc);
	h += 4 * cc;
	if (x) {
		unsigned words = rnd() % 4;

		p[h] = 0xbe; p[h + 1] = 0xde; p[h + 2] = 0; p[h + 3] = (uint8_t)words;
		rnd_bytes(p + h + 4, 4 * words);
		h += 4 + 4 * words;
	}
	pl = rnd() % 8 == 0 ? 0 : rnd() % 1201;
	if (rnd() % 3 == 0)
		pl = 160;
	rnd_bytes(p + h, pl);
	return h + pl;
}

static unsigned make_rtcp(uint8_t *p, uint32_t ssrc)
{
	unsigned words = 1 + rnd() % 60;   /* after the first 4 bytes */

	p[0] = 0x80;
	p[1] = 200;
	p[2] = (uint8_t)(words >> 8);
	p[3] = (uint8_t)words;
	p[4] = (uint8_t)(ssrc >> 24); p[5] = (uint8_t)(ssrc >> 16);
	p[6] = (uint8_t)(ssrc >> 8); p[7] = (uint8_t)ssrc;
	rnd_bytes(p + 8, 4 * words - 4);
	return 4 + 4 * words;
}

struct pkt {
	uint8_t b[CAP];
	int len;
	uint8_t plain[CAP];
	int plain_len;
	int rtcp;
};

enum { NPKT = 1500 };
static struct pkt q[NPKT + NPKT / 10 + 1];

static void cross(const struct suite *su)
{
	uint8_t key[30];
	unsigned klen = sb_srtp_key_len(su->prof), nq = 0, rtcp_n = 0;
	uint32_t ssrc = rnd(), roc;
	uint16_t seq0 = (uint16_t)(65535 - 300), seq_hi;
	struct sb_srtp *op, *ou;
	struct sb_srtp_stats st;
	srtp_t lp, lu;

	rnd_bytes(key, sizeof(key));
	op = sb_srtp_create(su->prof, key, klen);
	ou = sb_srtp_create(su->prof, key, klen);
	T_ASSERT(op && ou);
	lp = lib_session(su, key, 0);
	lu = lib_session(su, key, 1);

	/* protect with both, in order */
	for (unsigned i = 0; i < NPKT; i++) {
		for (int r = 0; r < 1 + (i % 10 == 9); r++) {
			struct pkt *k = &q[nq++];
			uint8_t lib[CAP];
			int ll;

			k->rtcp = r;
			k->plain_len = (int)(r ? make_rtcp(k->plain, ssrc)
					       : make_rtp(k->plain, ssrc, (uint16_t)(seq0 + i)));
			memcpy(k->b, k->plain, (size_t)k->plain_len);
			memcpy(lib, k->plain, (size_t)k->plain_len);
			ll = k->plain_len;
			if (r) {
				k->len = sb_srtcp_protect(op, k->b, (unsigned)k->plain_len, CAP);
				T_ASSERT(srtp_protect_rtcp(lp, lib, &ll) == srtp_err_status_ok);
				rtcp_n++;
			} else {
				k->len = sb_srtp_protect(op, k->b, (unsigned)k->plain_len, CAP);
				T_ASSERT(srtp_protect(lp, lib, &ll) == srtp_err_status_ok);
			}
			if (k->len != ll || memcmp(k->b, lib, (size_t)ll) != 0) {
				fprintf(stderr, "%s: packet %u (%s, %d bytes) differs from libsrtp (len %d vs %d)\n",
					su->name, i, r ? "RTCP" : "RTP", k->plain_len, k->len, ll);
				exit(1);
			}
		}
	}
	/* deliver with neighbours swapped now and then (inside the window) */
	for (unsigned i = 0; i + 1 < nq; i++)
		if (rnd() % 8 == 0) {
			struct pkt t = q[i];

			q[i] = q[i + 1];
			q[i + 1] = t;
			i++;
		}
	for (unsigned i = 0; i < nq; i++) {
		struct pkt *k = &q[i];
		uint8_t a[CAP], b[CAP];
		int la = k->len, lb;

		/* ours -> libsrtp */
		memcpy(a, k->b, (size_t)la);
		T_ASSERT((k->rtcp ? srtp_unprotect_rtcp(lu, a, &la) : srtp_unprotect(lu, a, &la)) ==
			 srtp_err_status_ok);
		T_ASSERT(la == k->plain_len && memcmp(a, k->plain, (size_t)la) == 0);
		/* libsrtp's (the same bytes) -> ours */
		memcpy(b, k->b, (size_t)k->len);
		lb = k->rtcp ? sb_srtcp_unprotect(ou, b, (unsigned)k->len)
			     : sb_srtp_unprotect(ou, b, (unsigned)k->len);
		if (lb != k->plain_len || memcmp(b, k->plain, (size_t)lb) != 0) {
			fprintf(stderr, "%s: unprotect of delivery %u (%s) gave %d, want %d\n",
				su->name, i, k->rtcp ? "RTCP" : "RTP", lb, k->plain_len);
			exit(1);
		}
	}
	T_ASSERT(sb_srtp_roc(ou, ssrc, &roc, &seq_hi) == 0);
	T_ASSERT_EQ_U64(roc, 1);
	T_ASSERT_EQ_U64(seq_hi, (uint16_t)(seq0 + NPKT - 1));
	T_ASSERT(sb_srtp_roc(op, ssrc, &roc, &seq_hi) == 0 && roc == 1);
	sb_srtp_stats(ou, &st);
	T_ASSERT_EQ_U64(st.ok, nq);
	for (unsigned e = 0; e < SB_SRTP_E_N; e++)
		T_ASSERT_EQ_U64(st.err[e], 0);
	printf("%-24s %u RTP + %u RTCP packets byte-identical to libsrtp, both directions, ROC 0->1\n",
	       su->name, NPKT, rtcp_n);
	sb_srtp_free(op);
	sb_srtp_free(ou);
	srtp_dealloc(lp);
	srtp_dealloc(lu);
}

/* our verdict and libsrtp's on the same bytes; returns our rc */
static int both_unprotect(struct sb_srtp *ou, srtp_t lu, const uint8_t *p, int len, int rtcp,
			  srtp_err_status_t want_lib)
{
	uint8_t a[CAP], b[CAP];
	int la = len, rc;
	srtp_err_status_t ls;

	memcpy(a, p, (size_t)len);
	memcpy(b, p, (size_t)len);
	ls = rtcp ? srtp_unprotect_rtcp(lu, a, &la) : srtp_unprotect(lu, a, &la);
	if (ls != want_lib) {
		fprintf(stderr, "libsrtp said %d, expected %d\n", ls, want_lib);
		exit(1);
	}
	rc = rtcp ? sb_srtcp_unprotect(ou, b, (unsigned)len) : sb_srtp_unprotect(ou, b, (unsigned)len);
	return rc;
}

static void refusals(const struct suite *su)
{
	uint8_t key[30], p[CAP], old[CAP], first[CAP], tmp[CAP];
	unsigned klen = sb_srtp_key_len(su->prof), tl = sb_srtp_tag_len(su->prof);
	uint32_t ssrc = rnd();
	struct sb_srtp *op, *ou;
	struct sb_srtp_stats st;
	int len, old_len = 0, first_len = 0, rc;
	srtp_t lp, lu;

	rnd_bytes(key, sizeof(key));
	op = sb_srtp_create(su->prof, key, klen);
	ou = sb_srtp_create(su->prof, key, klen);
	lp = lib_session(su, key, 0);
	lu = lib_session(su, key, 1);
	T_ASSERT(op && ou);

	for (unsigned i = 0; i < 300; i++) {
		len = sb_srtp_protect(op, p, make_rtp(p, ssrc, (uint16_t)(1000 + i)), CAP);
		T_ASSERT(len > 0);
		if (i == 10) {
			memcpy(old, p, (size_t)len);
			old_len = len;
		}
		if (i == 299) { /* tampered first: it must not count as seen */
			memcpy(tmp, p, (size_t)len);
			tmp[len - 1] ^= 0x01;              /* tag bit */
			rc = both_unprotect(ou, lu, tmp, len, 0, srtp_err_status_auth_fail);
			T_ASSERT_EQ_U64(rc, -EBADMSG);
			T_ASSERT(sb_srtp_err_of(rc) == SB_SRTP_E_AUTH);
			memcpy(tmp, p, (size_t)len);
			tmp[len - tl - 1] ^= 0x80;         /* last payload/header byte */
			rc = both_unprotect(ou, lu, tmp, len, 0, srtp_err_status_auth_fail);
			T_ASSERT_EQ_U64(rc, -EBADMSG);
		}
		rc = both_unprotect(ou, lu, p, len, 0, srtp_err_status_ok);
		T_ASSERT(rc > 0);
		if (i == 0) {
			memcpy(first, p, (size_t)len);
			first_len = len;
		}
	}
	/* replay of the newest and of one inside the window */
	rc = both_unprotect(ou, lu, p, len, 0, srtp_err_status_replay_fail);
	T_ASSERT_EQ_U64(rc, -EALREADY);
	T_ASSERT(sb_srtp_err_of(rc) == SB_SRTP_E_REPLAY);
	/* index 1010 is 289 behind 1299: before the 128-packet window */
	rc = both_unprotect(ou, lu, old, old_len, 0, srtp_err_status_replay_old);
	T_ASSERT_EQ_U64(rc, -ESTALE);
	T_ASSERT(sb_srtp_err_of(rc) == SB_SRTP_E_OLD);
	rc = both_unprotect(ou, lu, first, first_len, 0, srtp_err_status_replay_old);
	T_ASSERT_EQ_U64(rc, -ESTALE);

	/* SRTCP: a good one, its tag flipped, then a replay */
	len = sb_srtcp_protect(op, p, make_rtcp(p, ssrc), CAP);
	T_ASSERT(len > 0);
	memcpy(tmp, p, (size_t)len);
	tmp[su->prof == SB_SRTP_PROF_AEAD_AES_128_GCM ? len - 5 : len - 1] ^= 0x10;
	rc = both_unprotect(ou, lu, tmp, len, 1, srtp_err_status_auth_fail);
	T_ASSERT_EQ_U64(rc, -EBADMSG);
	rc = both_unprotect(ou, lu, p, len, 1, srtp_err_status_ok);
	T_ASSERT(rc > 0);
	rc = both_unprotect(ou, lu, p, len, 1, srtp_err_status_replay_fail);
	T_ASSERT_EQ_U64(rc, -EALREADY);

	/* the stream carries on after all that */
	len = sb_srtp_protect(op, p, make_rtp(p, ssrc, 1300), CAP);
	rc = both_unprotect(ou, lu, p, len, 0, srtp_err_status_ok);
	T_ASSERT(rc > 0);

	/* header problems and room, ours only (libsrtp has no cap) */
	memset(tmp, 0, sizeof(tmp));
	tmp[0] = 0x40;                                   /* version 1 */
	T_ASSERT_EQ_U64(sb_srtp_protect(op, tmp, 40, CAP), -EINVAL);
	tmp[0] = 0x8f;                                   /* 15 CSRCs past the end */
	T_ASSERT_EQ_U64(sb_srtp_protect(op, tmp, 40, CAP), -EINVAL);
	T_ASSERT_EQ_U64(sb_srtp_unprotect(ou, tmp, 11), -EINVAL);
	len = (int)make_rtp(p, ssrc, 1301);
	T_ASSERT_EQ_U64(sb_srtp_protect(op, p, (unsigned)len, (unsigned)len + tl - 1), -ENOSPC);
	T_ASSERT_EQ_U64(sb_srtcp_protect(op, p, 7, CAP), -EINVAL);

	/* stream slots: this SSRC + 3 more fit, a fifth is refused both ways */
	for (unsigned k = 1; k <= SB_SRTP_MAX_SSRC; k++) {
		int r;

		len = (int)make_rtp(p, ssrc + k, 5);
		r = sb_srtp_protect(op, p, (unsigned)len, CAP);
		if (k < SB_SRTP_MAX_SSRC) {
			T_ASSERT(r > 0);
			T_ASSERT(sb_srtp_unprotect(ou, p, (unsigned)r) > 0);
		} else {
			T_ASSERT_EQ_U64(r, -ENOBUFS);
			T_ASSERT(sb_srtp_err_of(r) == SB_SRTP_E_SSRC);
		}
	}
	len = sb_srtp_protect(op, p, make_rtp(p, ssrc, 1302), CAP);
	T_ASSERT(len > 0);
	/* a fifth SSRC on the receiving side, protected by a fresh sender */
	{
		struct sb_srtp *o2 = sb_srtp_create(su->prof, key, klen);
		int r;

		len = (int)make_rtp(p, ssrc + 99, 7);
		r = sb_srtp_protect(o2, p, (unsigned)len, CAP);
		T_ASSERT(r > 0);
		T_ASSERT_EQ_U64(sb_srtp_unprotect(ou, p, (unsigned)r), -ENOBUFS);
		sb_srtp_free(o2);
	}

	sb_srtp_stats(ou, &st);
	T_ASSERT_EQ_U64(st.err[SB_SRTP_E_AUTH], 3);
	T_ASSERT_EQ_U64(st.err[SB_SRTP_E_REPLAY], 2);
	T_ASSERT_EQ_U64(st.err[SB_SRTP_E_OLD], 2);
	T_ASSERT_EQ_U64(st.err[SB_SRTP_E_HDR], 1);
	T_ASSERT_EQ_U64(st.err[SB_SRTP_E_SSRC], 1);
	T_ASSERT_EQ_U64(st.ok, 300 + 1 + 1 + 3);
	sb_srtp_stats(op, &st);
	T_ASSERT_EQ_U64(st.err[SB_SRTP_E_HDR], 3);
	T_ASSERT_EQ_U64(st.err[SB_SRTP_E_ROOM], 1);
	T_ASSERT_EQ_U64(st.err[SB_SRTP_E_SSRC], 1);
	/* protect refuses an index it already used (keystream re-use) */
	len = (int)make_rtp(p, ssrc, 1200);
	T_ASSERT_EQ_U64(sb_srtp_protect(op, p, (unsigned)len, CAP), -EALREADY);
	printf("%-24s refusals: AUTH %llu REPLAY %llu OLD %llu HDR SSRC ROOM counted; same verdicts as libsrtp\n",
	       su->name, 3ull, 2ull, 2ull);
	sb_srtp_free(op);
	sb_srtp_free(ou);
	srtp_dealloc(lp);
	srtp_dealloc(lu);
}

/* SRTCP with E=0 (authenticated, not encrypted), as libsrtp sends it with
 * an authentication-only RTCP policy: we never send it, but must accept it. */
static void rtcp_unencrypted(const struct suite *su)
{
	uint8_t key[30], p[CAP], plain[CAP];
	unsigned klen = sb_srtp_key_len(su->prof);
	struct sb_srtp *ou;
	srtp_policy_t pol;
	srtp_t lp;
	int len, pl;

	rnd_bytes(key, sizeof(key));
	memset(&pol, 0, sizeof(pol));
	su->rtp(&pol.rtp);
	if (su->prof == SB_SRTP_PROF_AEAD_AES_128_GCM) {
		su->rtp(&pol.rtcp);
		pol.rtcp.auth_type = SRTP_NULL_AUTH;
		pol.rtcp.sec_serv = sec_serv_auth;
	} else {
		srtp_crypto_policy_set_null_cipher_hmac_sha1_80(&pol.rtcp);
	}
	pol.ssrc.type = ssrc_any_outbound;
	pol.key = key;
	pol.window_size = 128;
	T_ASSERT(srtp_create(&lp, &pol) == srtp_err_status_ok);
	ou = sb_srtp_create(su->prof, key, klen);
	T_ASSERT(ou != NULL);
	for (unsigned i = 0; i < 20; i++) {
		pl = (int)make_rtcp(plain, 0x01020304);
		memcpy(p, plain, (size_t)pl);
		len = pl;
		T_ASSERT(srtp_protect_rtcp(lp, p, &len) == srtp_err_status_ok);
		T_ASSERT((p[len - 4 - (su->prof == SB_SRTP_PROF_AEAD_AES_128_GCM ? 0 : 10)] & 0x80) == 0);
		T_ASSERT(memcmp(p, plain, (size_t)pl) == 0);   /* really not encrypted */
		T_ASSERT_EQ_U64(sb_srtcp_unprotect(ou, p, (unsigned)len), pl);
		T_ASSERT(memcmp(p, plain, (size_t)pl) == 0);
		if (i == 19) {
			p[9] ^= 4;
			T_ASSERT_EQ_U64(sb_srtcp_unprotect(ou, p, (unsigned)len), -EALREADY);
		}
	}
	/* a payload bit flipped under E=0: still authenticated */
	pl = (int)make_rtcp(plain, 0x01020304);
	memcpy(p, plain, (size_t)pl);
	len = pl;
	T_ASSERT(srtp_protect_rtcp(lp, p, &len) == srtp_err_status_ok);
	p[9] ^= 4;
	T_ASSERT_EQ_U64(sb_srtcp_unprotect(ou, p, (unsigned)len), -EBADMSG);
	printf("%-24s SRTCP E=0 (libsrtp auth-only policy) accepted, and its tag checked\n", su->name);
	sb_srtp_free(ou);
	srtp_dealloc(lp);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		rng_s = strtoull(argv[1], NULL, 0) | 1;
	printf("seed 0x%llx\n", (unsigned long long)rng_s);
	T_ASSERT(srtp_init() == srtp_err_status_ok);
	for (unsigned i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		cross(&suites[i]);
		refusals(&suites[i]);
		rtcp_unencrypted(&suites[i]);
	}
	/* bad set-up */
	{
		uint8_t k[30] = { 0 };

		errno = 0;
		T_ASSERT(sb_srtp_create(SB_SRTP_PROF_AES_CM_128_HMAC_SHA1_80, k, 28) == NULL && errno == EINVAL);
		T_ASSERT(sb_srtp_create(SB_SRTP_PROF_AEAD_AES_128_GCM, k, 30) == NULL && errno == EINVAL);
		T_ASSERT(sb_srtp_create((enum sb_srtp_prof)9, k, 30) == NULL && errno == EINVAL);
		sb_srtp_free(NULL);
	}
	srtp_shutdown();
	return 0;
}
