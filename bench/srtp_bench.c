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
 * libsrtp; each figure is the median of --reps.
 *
 * With the dataplane built (SB_BENCH_DP), the same packets also go through
 * a real worker (issue 5: "on a worker"): SRTP from leg A's peer,
 * unprotected on A (HOOK(media)), relayed, protected on B (HOOK(media-out)),
 * bursts of 32 through sb_relay_burst() on in-memory mbufs (no port: the
 * TX buffer is emptied after each burst, untimed), next to a plain RTP
 * relay of the same packets on the same worker.  Then srtp_kpps and
 * ns_per_packet are the worker's, openssl_kpps the library loop's, and
 * ratio_vs_libsrtp = worker / libsrtp loop, ratio_vs_openssl = worker /
 * library loop (the goal: >= 0.9 against the library used);
 * worker_relay_ns is the plain relay's cost per packet on the worker.
 * Without EAL (not root) only the library figures are printed, as before.
 *
 * Prints a table, then one JSON object on the last line: srtp_kpps,
 * libsrtp_kpps, ratio_vs_libsrtp, ns_per_packet for
 * AES_CM_128_HMAC_SHA1_80, the same with a suite suffix (_sha1_32, _gcm)
 * for the others.
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

#ifdef SB_BENCH_DP
#include "dpm_harness.h" /* a real worker on the real shm rings (tests/dataplane) */
#endif

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
	double ours_ns, lib_ns, worker_ns, relay_ns;
};

#ifdef SB_BENCH_DP
static int dp_ok; /* EAL and the worker are up */
static uint8_t *dp_pkts; /* n protected packets (PKT + 16 bytes max each) */
static unsigned dp_len[1u << 20];

/* ns per packet through the worker: leg 2k (SRTP in) -> leg 2k+1 (SRTP
 * out), or plain legs 20 -> 21 when s == NULL.  Packets are protected
 * beforehand (untimed) with a fresh sequence range: replays are refused. */
static double run_worker(struct sb_srtp *s, const uint8_t *tpl, unsigned n, uint16_t *seq,
			 uint32_t a, uint32_t b, uint16_t port_a)
{
	uint64_t cyc = 0;
	struct rte_mbuf *m[32];
	unsigned done = 0;

	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = dp_pkts + (size_t)i * (PKT + 32);
		int l = PKT;

		memcpy(p, tpl, PKT);
		p[2] = (uint8_t)(*seq >> 8);
		p[3] = (uint8_t)*seq;
		(*seq)++;
		if (s != NULL)
			l = sb_srtp_protect(s, p, PKT, PKT + 32);
		if (l < 0)
			exit(1);
		dp_len[i] = (unsigned)l;
	}
	while (done < n) {
		unsigned k = n - done < 32 ? n - done : 32;
		uint64_t t0;

		for (unsigned i = 0; i < k; i++) /* what the NIC would have written */
			m[i] = h_udp(H_IP(20 + a), 4000, port_a, dp_pkts + (size_t)(done + i) * (PKT + 32),
				     dp_len[done + i]);
		t0 = rte_rdtsc();
		sb_relay_burst(H.w, m, (uint16_t)k, t0);
		cyc += rte_rdtsc() - t0;
		if (H.w->tx.n != k) {
			fprintf(stderr, "srtp_bench: worker forwarded %u of %u\n", H.w->tx.n, k);
			exit(1);
		}
		rte_pktmbuf_free_bulk(H.w->tx.m, H.w->tx.n);
		H.w->tx.n = 0;
		done += k;
	}
	(void)b;
	return (double)cyc * 1e9 / (double)H.hz / n;
}

static void dp_setup(unsigned n)
{
	char *argv0 = "srtp_bench";

	(void)argv0;
	if (n > (1u << 20) || h_init("srtpbench", 16, 0) != 0)
		return;
	dp_pkts = malloc((size_t)n * (PKT + 32));
	if (dp_pkts == NULL)
		return;
	/* plain relay legs 20 <-> 21 */
	h_leg_add(20, H_IP(40), 4000, H_PORT_MIN + 40, 0);
	h_leg_add(21, H_IP(41), 4000, H_PORT_MIN + 42, 0);
	h_connect(20, 21);
	h_arp(H_IP(40), rte_rdtsc());
	h_arp(H_IP(41), rte_rdtsc());
	dp_ok = 1;
}

/* SRTP legs 2s (peer key k_in) -> 2s+1 (our key k_out). */
static void dp_suite_legs(unsigned s, enum sb_srtp_prof prof, const uint8_t *key)
{
	union sb_msg m;
	uint32_t a = 2 * s, b = 2 * s + 1;

	h_leg_add(a, H_IP(20 + a), 4000, (uint16_t)(H_PORT_MIN + 4 * s), 0);
	h_leg_add(b, H_IP(20 + b), 4000, (uint16_t)(H_PORT_MIN + 4 * s + 2), 0);
	h_connect(a, b);
	h_arp(H_IP(20 + a), rte_rdtsc());
	h_arp(H_IP(20 + b), rte_rdtsc());
	for (unsigned l = 0; l < 2; l++) {
		h_media_init(&m, l == 0 ? a : b);
		m.media.srtp_rx = (uint8_t)prof;
		m.media.srtp_tx = (uint8_t)prof;
		m.media.rx_key_len = m.media.tx_key_len = (uint8_t)sb_srtp_key_len(prof);
		memcpy(m.media.rx_key, key, m.media.rx_key_len);
		memcpy(m.media.tx_key, key, m.media.tx_key_len);
		if (h_cmd(&m) != 0)
			exit(1);
	}
}
#endif

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

#ifdef SB_BENCH_DP
	dp_setup(n);
	if (!dp_ok)
		printf("(no EAL: the worker figures are left out)\n");
#endif
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
#ifdef SB_BENCH_DP
		if (dp_ok) {
			struct sb_srtp *ws = sb_srtp_create(su->prof, key, kl);
			double c[64], d[64];
			uint16_t sq_c = 1, sq_d = 1;

			dp_suite_legs(s, su->prof, key);
			run_worker(ws, tpl, n / 10 + 1, &sq_c, 2 * s, 2 * s + 1,
				   (uint16_t)(H_PORT_MIN + 4 * s));
			for (unsigned r = 0; r < reps; r++) {
				c[r] = run_worker(ws, tpl, n, &sq_c, 2 * s, 2 * s + 1,
						  (uint16_t)(H_PORT_MIN + 4 * s));
				d[r] = run_worker(NULL, tpl, n, &sq_d, 20, 21, H_PORT_MIN + 40);
			}
			su->worker_ns = median(c, reps);
			su->relay_ns = median(d, reps);
			sb_srtp_free(ws);
		}
#endif
		printf("%-26s %12.0f %12.0f %12.1f %12.1f %8.2f\n", su->name, 1e6 / su->ours_ns,
		       1e6 / su->lib_ns, su->ours_ns, su->lib_ns, su->lib_ns / su->ours_ns);
		sb_srtp_free(o);
		sb_srtp_free(u);
		srtp_dealloc(lo);
		srtp_dealloc(lu);
	}
	printf("ratio = ours / libsrtp in packets per second (> 1: ours faster); "
	       "ns/pkt covers protect + unprotect\n");
	if (suites[0].worker_ns > 0) {
		printf("\nthrough a worker (SRTP in on one leg, SRTP out on another: unprotect + relay + protect)\n");
		printf("%-26s %12s %12s %14s %14s %10s\n", "suite", "worker kpps", "worker ns",
		       "plain relay ns", "vs libsrtp", "vs ours");
		for (unsigned s = 0; s < 3; s++) {
			const struct suite *su = &suites[s];

			printf("%-26s %12.0f %12.1f %14.1f %14.2f %10.2f\n", su->name, 1e6 / su->worker_ns,
			       su->worker_ns, su->relay_ns, su->lib_ns / su->worker_ns,
			       su->ours_ns / su->worker_ns);
		}
	}
	printf("{\"packet_bytes\":%u,\"packets\":%u,\"reps\":%u", PKT, n, reps);
	for (unsigned s = 0; s < 3; s++) {
		const struct suite *su = &suites[s];

		/* "on a worker" when the worker ran, else the library loop */
		double w_ns = su->worker_ns > 0 ? su->worker_ns : su->ours_ns;

		printf(",\"srtp_kpps%s\":%.1f,\"libsrtp_kpps%s\":%.1f,\"ratio_vs_libsrtp%s\":%.2f,"
		       "\"ns_per_packet%s\":%.1f,\"libsrtp_ns_per_packet%s\":%.1f,"
		       "\"openssl_kpps%s\":%.1f,\"ratio_vs_openssl%s\":%.2f",
		       su->suffix, 1e6 / w_ns, su->suffix, 1e6 / su->lib_ns, su->suffix,
		       su->lib_ns / w_ns, su->suffix, w_ns, su->suffix, su->lib_ns, su->suffix,
		       1e6 / su->ours_ns, su->suffix, su->ours_ns / w_ns);
		if (su->worker_ns > 0)
			printf(",\"worker_relay_ns%s\":%.1f", su->suffix, su->relay_ns);
	}
	printf(",\"on_worker\":%s}\n", suites[0].worker_ns > 0 ? "true" : "false");
	srtp_shutdown();
	return 0;
}
