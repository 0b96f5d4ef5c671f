/* SPDX-License-Identifier: MIT */
/*
 * srtp_bench — SRTP protect + unprotect of 172-byte RTP packets (12-byte
 * header + 160 bytes of G.711, 20 ms), per suite, for media/srtp.c (EVP
 * AES with AES-NI, SHA-1 on precomputed HMAC pads) against a plain libsrtp
 * 2 loop (Debian's, NSS-backed) in the same run, on one core.
 *
 * One "packet" is one protect plus one unprotect of it (what a worker pays
 * to carry a packet SRTP in and SRTP out); each loop also rebuilds the
 * plaintext (memcpy + seq), the same for both.  Reps alternate ours and
 * libsrtp; each figure is the median of --reps.  Prints a table, then one
 * JSON object on the last line: srtp_kpps, libsrtp_kpps, ratio_vs_libsrtp,
 * ns_per_packet for AES_CM_128_HMAC_SHA1_80, the same with a suite suffix
 * (_sha1_32, _gcm) for the others.
 *
 *   srtp_bench [--packets N] [--reps R]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <srtp2/srtp.h>

#include "sb/srtp.h"

enum { PKT = 172 };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void template(uint8_t *p)
{
	memset(p, 0, PKT);
	p[0] = 0x80;
	p[1] = 0;
	p[8] = 0x12; p[9] = 0x34; p[10] = 0x56; p[11] = 0x78;
	for (unsigned i = 12; i < PKT; i++)
		p[i] = (uint8_t)(0xd5 ^ i);
}

/* ns per packet (protect + unprotect) over n packets, our path */
static double run_ours(struct sb_srtp *o, struct sb_srtp *u, const uint8_t *tpl, unsigned n,
		       uint16_t *seq)
{
	uint8_t p[PKT + 32];
	uint64_t t0 = now_ns();

	for (unsigned i = 0; i < n; i++) {
		int l;

		memcpy(p, tpl, PKT);
		p[2] = (uint8_t)(*seq >> 8);
		p[3] = (uint8_t)*seq;
		(*seq)++;
		l = sb_srtp_protect(o, p, PKT, sizeof(p));
		if (l < 0 || sb_srtp_unprotect(u, p, (unsigned)l) != PKT) {
			fprintf(stderr, "srtp_bench: our round trip failed (%d)\n", l);
			exit(1);
		}
	}
	return (double)(now_ns() - t0) / n;
}

static double run_lib(srtp_t o, srtp_t u, const uint8_t *tpl, unsigned n, uint16_t *seq)
{
	uint8_t p[PKT + SRTP_MAX_TRAILER_LEN];
	uint64_t t0 = now_ns();

	for (unsigned i = 0; i < n; i++) {
		int l = PKT;

		memcpy(p, tpl, PKT);
		p[2] = (uint8_t)(*seq >> 8);
		p[3] = (uint8_t)*seq;
		(*seq)++;
		if (srtp_protect(o, p, &l) != srtp_err_status_ok ||
		    srtp_unprotect(u, p, &l) != srtp_err_status_ok || l != PKT) {
			fprintf(stderr, "srtp_bench: libsrtp round trip failed\n");
			exit(1);
		}
	}
	return (double)(now_ns() - t0) / n;
}

struct suite {
	enum sb_srtp_prof prof;
	const char *name, *suffix;
	void (*rtp)(srtp_crypto_policy_t *);
	double ours_ns, lib_ns;
};

static srtp_t lib_session(const struct suite *su, uint8_t *key, int inbound)
{
	srtp_policy_t pol;
	srtp_t s;

	memset(&pol, 0, sizeof(pol));
	su->rtp(&pol.rtp);
	srtp_crypto_policy_set_rtp_default(&pol.rtcp);
	if (su->prof == SB_SRTP_PROF_AEAD_AES_128_GCM)
		su->rtp(&pol.rtcp);
	pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	pol.key = key;
	pol.window_size = 128;
	if (srtp_create(&s, &pol) != srtp_err_status_ok) {
		fprintf(stderr, "srtp_bench: srtp_create failed\n");
		exit(1);
	}
	return s;
}

int main(int argc, char **argv)
{
	struct suite suites[] = {
		{ SB_SRTP_PROF_AES_CM_128_HMAC_SHA1_80, "AES_CM_128_HMAC_SHA1_80", "",
		  srtp_crypto_policy_set_rtp_default, 0, 0 },
		{ SB_SRTP_PROF_AES_CM_128_HMAC_SHA1_32, "AES_CM_128_HMAC_SHA1_32", "_sha1_32",
		  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32, 0, 0 },
		{ SB_SRTP_PROF_AEAD_AES_128_GCM, "AEAD_AES_128_GCM", "_gcm",
		  srtp_crypto_policy_set_aes_gcm_128_16_auth, 0, 0 },
	};
	unsigned n = 100000, reps = 5;
	uint8_t key[30], tpl[PKT];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--packets") && i + 1 < argc)
			n = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = (unsigned)strtoul(argv[++i], NULL, 0);
		else {
			fprintf(stderr, "usage: srtp_bench [--packets N] [--reps R]\n");
			return 2;
		}
	}
	if (n == 0 || reps == 0 || reps > 64) {
		fprintf(stderr, "srtp_bench: --packets > 0, --reps 1..64\n");
		return 2;
	}
	if (srtp_init() != srtp_err_status_ok)
		return 1;
	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 29 + 7);
	template(tpl);

	printf("SRTP protect + unprotect, %u-byte RTP packets, %u packets x %u reps (median), one core\n",
	       PKT, n, reps);
	printf("%-26s %12s %12s %12s %12s %8s\n", "suite", "ours kpps", "libsrtp kpps", "ours ns/pkt",
	       "lib ns/pkt", "ratio");
	for (unsigned s = 0; s < 3; s++) {
		struct suite *su = &suites[s];
		unsigned kl = sb_srtp_key_len(su->prof);
		struct sb_srtp *o = sb_srtp_create(su->prof, key, kl), *u = sb_srtp_create(su->prof, key, kl);
		srtp_t lo = lib_session(su, key, 0), lu = lib_session(su, key, 1);
		double a[64], b[64];
		uint16_t sq_a = 1, sq_b = 1;

		if (o == NULL || u == NULL)
			return 1;
		run_ours(o, u, tpl, n / 10 + 1, &sq_a);     /* warm-up */
		run_lib(lo, lu, tpl, n / 10 + 1, &sq_b);
		for (unsigned r = 0; r < reps; r++) {
			a[r] = run_ours(o, u, tpl, n, &sq_a);
			b[r] = run_lib(lo, lu, tpl, n, &sq_b);
		}
		su->ours_ns = median(a, reps);
		su->lib_ns = median(b, reps);
		printf("%-26s %12.0f %12.0f %12.1f %12.1f %8.2f\n", su->name, 1e6 / su->ours_ns,
		       1e6 / su->lib_ns, su->ours_ns, su->lib_ns, su->lib_ns / su->ours_ns);
		sb_srtp_free(o);
		sb_srtp_free(u);
		srtp_dealloc(lo);
		srtp_dealloc(lu);
	}
	printf("ratio = ours / libsrtp in packets per second (> 1: ours faster); "
	       "ns/pkt covers protect + unprotect\n");
	printf("{\"packet_bytes\":%u,\"packets\":%u,\"reps\":%u", PKT, n, reps);
	for (unsigned s = 0; s < 3; s++) {
		const struct suite *su = &suites[s];

		printf(",\"srtp_kpps%s\":%.1f,\"libsrtp_kpps%s\":%.1f,\"ratio_vs_libsrtp%s\":%.2f,"
		       "\"ns_per_packet%s\":%.1f,\"libsrtp_ns_per_packet%s\":%.1f",
		       su->suffix, 1e6 / su->ours_ns, su->suffix, 1e6 / su->lib_ns, su->suffix,
		       su->lib_ns / su->ours_ns, su->suffix, su->ours_ns, su->suffix, su->lib_ns);
	}
	printf("}\n");
	srtp_shutdown();
	return 0;
}
