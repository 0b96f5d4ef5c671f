/* SPDX-License-Identifier: MIT */
/*
 * srtp_alloc_t — the fast-path contract of sb/srtp.h: protect and
 * unprotect (RTP and RTCP, accepted and refused packets, every suite)
 * allocate nothing.  Counted two ways while the packets run:
 *   - OpenSSL's allocator (CRYPTO_set_mem_functions), which is what would
 *     allocate if EVP re-created a context per packet;
 *   - the C library's malloc/calloc/realloc/aligned_alloc, interposed by
 *     alloc_count.h (not under ASan, which owns malloc itself).
 * A warm-up packet of each kind runs first: the contract is per packet,
 * not per first packet (OpenSSL may lazily set things up once).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sb/srtp.h"
#include "test.h"
#include "alloc_count.h"

static long ossl_allocs;

static void *c_malloc(size_t n, const char *f, int l)
{
	(void)f; (void)l;
	if (sb_alloc_counting)
		ossl_allocs++;
	return malloc(n);
}

static void *c_realloc(void *p, size_t n, const char *f, int l)
{
	(void)f; (void)l;
	if (sb_alloc_counting)
		ossl_allocs++;
	return realloc(p, n);
}

static void c_free(void *p, const char *f, int l)
{
	(void)f; (void)l;
	free(p);
}

static unsigned rtp(uint8_t *p, uint16_t seq, unsigned pl)
{
	memset(p, 0, 12 + pl);
	p[0] = 0x80;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[8] = 0x11; p[9] = 0x22; p[10] = 0x33; p[11] = 0x44;
	for (unsigned i = 0; i < pl; i++)
		p[12 + i] = (uint8_t)(i + seq);
	return 12 + pl;
}

static unsigned rtcp(uint8_t *p)
{
	memset(p, 0xab, 28);
	p[0] = 0x80; p[1] = 200; p[2] = 0; p[3] = 6;
	p[4] = 0x11; p[5] = 0x22; p[6] = 0x33; p[7] = 0x44;
	return 28;
}

int main(void)
{
	static const enum sb_srtp_prof profs[] = { SB_SRTP_PROF_AES_CM_128_HMAC_SHA1_80,
		SB_SRTP_PROF_AES_CM_128_HMAC_SHA1_32, SB_SRTP_PROF_AEAD_AES_128_GCM };
	uint8_t key[30], p[256], keep[256];
	long packets = 0;

	T_ASSERT(CRYPTO_set_mem_functions(c_malloc, c_realloc, c_free) == 1);
	{	/* the counters must see an allocation, or the test proves nothing */
		void *(*volatile m)(size_t) = malloc;
		void *a, *b;

		sb_alloc_counting = 1;
		a = m(16);
		b = OPENSSL_malloc(16);
		sb_alloc_counting = 0;
		T_ASSERT(a && b && ossl_allocs == 1);
#ifndef SB_ASAN
		T_ASSERT(sb_allocs >= 1);
#endif
		free(a);
		OPENSSL_free(b);
		ossl_allocs = sb_allocs = 0;
	}
	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 13 + 1);
	for (unsigned pi = 0; pi < 3; pi++) {
		struct sb_srtp *o = sb_srtp_create(profs[pi], key, sb_srtp_key_len(profs[pi]));
		struct sb_srtp *u = sb_srtp_create(profs[pi], key, sb_srtp_key_len(profs[pi]));
		struct sb_srtp_stats st;
		int len, keep_len;

		T_ASSERT(o && u);
		/* warm-up, uncounted */
		len = sb_srtp_protect(o, p, rtp(p, 1, 160), sizeof(p));
		T_ASSERT(sb_srtp_unprotect(u, p, (unsigned)len) > 0);
		len = sb_srtcp_protect(o, p, rtcp(p), sizeof(p));
		T_ASSERT(sb_srtcp_unprotect(u, p, (unsigned)len) > 0);

		sb_alloc_counting = 1;
		for (unsigned i = 2; i < 2002; i++) {
			len = sb_srtp_protect(o, p, rtp(p, (uint16_t)i, 160), sizeof(p));
			memcpy(keep, p, (size_t)len);
			keep_len = len;
			keep[len - 1] ^= 1;               /* refused: AUTH */
			T_ASSERT(sb_srtp_unprotect(u, keep, (unsigned)len) == -EBADMSG);
			memcpy(keep, p, (size_t)len);     /* (GCM leaves it decrypted) */
			T_ASSERT(sb_srtp_unprotect(u, p, (unsigned)len) == 160 + 12);
			T_ASSERT(sb_srtp_unprotect(u, keep, (unsigned)keep_len) == -EALREADY);
			len = sb_srtcp_protect(o, p, rtcp(p), sizeof(p));
			T_ASSERT(sb_srtcp_unprotect(u, p, (unsigned)len) == 28);
			packets += 5;
		}
		sb_alloc_counting = 0;
		sb_srtp_stats(u, &st);
		T_ASSERT_EQ_U64(st.err[SB_SRTP_E_AUTH], 2000);
		T_ASSERT_EQ_U64(st.err[SB_SRTP_E_REPLAY], 2000);
		sb_srtp_free(o);
		sb_srtp_free(u);
	}
	printf("%ld packet operations: %ld OpenSSL allocations, %ld libc allocations%s\n",
	       packets, ossl_allocs, sb_allocs,
#ifdef SB_ASAN
	       " (libc not counted under ASan)"
#else
	       ""
#endif
	);
	T_ASSERT_EQ_U64(ossl_allocs, 0);
	T_ASSERT_EQ_U64(sb_allocs, 0);
	return 0;
}
