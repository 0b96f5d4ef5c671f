/* SPDX-License-Identifier: MIT */
/*
 * srtp_sdes_t — the SDES path end to end: an SDP offer with one a=crypto
 * per suite (random keys, base64 as RFC 4568 writes them) is parsed by
 * control/sip/sdp.c, and the key||salt it decodes goes straight into
 * sb_srtp_create() with the suite byte it chose.  A packet protected by
 * that context must be byte-identical to libsrtp's with the raw key, so
 * the parser, the suite numbering and the key layout all line up.  Also
 * pins the suite values shared across the ring ABI.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "media/codec.h"
#include "sb/srtp.h"
#include "sip/sdp.h"
#include "test.h"

_Static_assert((int)SB_SRTP_PROF_AES_CM_128_HMAC_SHA1_80 == (int)SB_SRTP_AES_CM_128_HMAC_SHA1_80,
	       "suite numbering drifted from control/media/codec.h");
_Static_assert((int)SB_SRTP_PROF_AES_CM_128_HMAC_SHA1_32 == (int)SB_SRTP_AES_CM_128_HMAC_SHA1_32,
	       "suite numbering drifted from control/media/codec.h");
_Static_assert((int)SB_SRTP_PROF_AEAD_AES_128_GCM == (int)SB_SRTP_AEAD_AES_128_GCM,
	       "suite numbering drifted from control/media/codec.h");
_Static_assert(SB_SRTP_MAX_KEY == SB_SRTP_KEY_SALT_MAX, "key||salt maximum drifted");

int main(void)
{
	static const struct {
		enum sb_srtp_suite suite;
		void (*pol)(srtp_crypto_policy_t *);
	} s[] = {
		{ SB_SRTP_AES_CM_128_HMAC_SHA1_80, srtp_crypto_policy_set_rtp_default },
		{ SB_SRTP_AES_CM_128_HMAC_SHA1_32, srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32 },
		{ SB_SRTP_AEAD_AES_128_GCM, srtp_crypto_policy_set_aes_gcm_128_16_auth },
	};
	uint8_t keys[3][30];
	char mem[2048];
	struct sb_buf b;
	struct sb_sdp sdp;
	const char *why = NULL;

	T_ASSERT(srtp_init() == srtp_err_status_ok);
	sb_buf_init(&b, mem, sizeof(mem));
	sb_buf_puts(&b, "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
			"m=audio 4000 RTP/SAVP 0\r\n");
	for (unsigned i = 0; i < 3; i++) {
		unsigned kl = sb_srtp_key_len((enum sb_srtp_prof)s[i].suite);

		for (unsigned j = 0; j < kl; j++)
			keys[i][j] = (uint8_t)(0x5a ^ (i * 31 + j * 17));
		sb_buf_printf(&b, "a=crypto:%u %s inline:", i + 1, sb_sdp_srtp_suite_name(s[i].suite));
		sb_base64_put(&b, keys[i], kl);
		sb_buf_puts(&b, "\r\n");
	}
	T_ASSERT(sb_buf_ok(&b));
	if (sb_sdp_parse(mem, mem + b.len, &sdp, &why) != 0) {
		fprintf(stderr, "sdp: %s\n", why);
		return 1;
	}
	T_ASSERT(sdp.n_media == 1 && sdp.m[0].n_crypto == 3);
	for (unsigned i = 0; i < 3; i++) {
		const struct sb_sdp_crypto *k = &sdp.m[0].crypto[i];
		uint8_t a[256], l[256];
		srtp_policy_t pol;
		struct sb_srtp *o;
		srtp_t ls;
		int la, ll;

		T_ASSERT(k->suite == s[i].suite);
		o = sb_srtp_create((enum sb_srtp_prof)k->suite, k->key, k->key_len);
		T_ASSERT(o != NULL);
		memset(&pol, 0, sizeof(pol));
		s[i].pol(&pol.rtp);
		s[i].pol(&pol.rtcp);
		if (s[i].suite == SB_SRTP_AES_CM_128_HMAC_SHA1_32)
			srtp_crypto_policy_set_rtp_default(&pol.rtcp);
		pol.ssrc.type = ssrc_any_outbound;
		pol.key = keys[i];
		pol.window_size = 128;
		T_ASSERT(srtp_create(&ls, &pol) == srtp_err_status_ok);
		memset(a, 0, sizeof(a));
		a[0] = 0x80; a[3] = 7; a[8] = 0xca; a[9] = 0xfe;
		for (unsigned j = 12; j < 172; j++)
			a[j] = (uint8_t)j;
		memcpy(l, a, 172);
		la = sb_srtp_protect(o, a, 172, sizeof(a));
		ll = 172;
		T_ASSERT(srtp_protect(ls, l, &ll) == srtp_err_status_ok);
		T_ASSERT(la == ll && memcmp(a, l, (size_t)ll) == 0);
		printf("ok  a=crypto %s -> sb_srtp_create -> same bytes as libsrtp\n",
		       sb_sdp_srtp_suite_name(s[i].suite));
		sb_srtp_free(o);
		srtp_dealloc(ls);
	}
	srtp_shutdown();
	return 0;
}
