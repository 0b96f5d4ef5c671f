/* SPDX-License-Identifier: MIT */
/*
 * transcode_bench — G.711 <-> Opus transcoded legs per core through
 * media/codec.c (sb_xcode), against a plain libopus encode + decode loop
 * in the same run.
 *
 * One transcoded leg, per 20 ms tick, both directions:
 *   PCMU packet -> jitter buffer -> G.711 decode -> resample 8 kHz ->
 *   rate -> Opus encode                                    (sb_xcode a)
 *   Opus packet -> jitter buffer -> Opus decode at rate -> resample ->
 *   G.711 encode                                           (sb_xcode b)
 * sb_xcode decodes the Opus leg at the common rate, the lower of the two
 * legs' (8 kHz here: the G.711 side cannot carry more), so b has nothing
 * to resample and libopus decodes straight to 8 kHz; a upsamples 8 kHz to
 * the Opus rate (speexdsp) and encodes at it.
 * The reference does what any Opus leg must: one opus_encode of a frame
 * at the rate and one opus_decode of a packet, nothing else.  Both encode
 * the same audio (the G.711 leg's, resampled once outside the timing for
 * the reference), decode the same packets (pre-encoded once), use the same
 * complexity, bit rate and PCM rate, and walk --legs legs per tick as a
 * worker would.  Per core = real-time legs one core sustains:
 *   legs * frames / CPU seconds / 50
 * (the thread's CPU time, as the machine is shared; the variants run in
 * alternating 10-frame chunks).  Each figure is the median of --reps.
 *
 * With the dataplane built (SB_BENCH_DP) and EAL available, the 48 kHz
 * run also goes through a real worker (issue 5): --legs (at most 30) pairs
 * of legs PCMU <-> Opus programmed with LEG_MEDIA over the command ring,
 * each frame one PCMU and one Opus packet per pair through
 * sb_relay_burst() (HOOK(media-out) -> sb_xcode_rx) and one tick of the
 * media timer (decode, encode, originate both ways); thread CPU time of
 * those two calls only (building the input mbufs and emptying the TX
 * buffer are not timed).  Then legs_per_core is the worker's, and
 * codec_legs_per_core the sb_xcode loop's.
 *
 * Prints a table, then one JSON object on the last line (the --rate run
 * is the headline; every rate measured is in "by_rate").
 */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <opus/opus.h>
#include <speex/speex_resampler.h>

#include "sb/codec.h"
#include "sb/g711.h"

#define MAXF 500

#ifdef SB_BENCH_DP
#define H_MAX_LEGS 64u
#define H_SPAN     256u
#include "dpm_harness.h" /* a real worker on the real shm rings (tests/dataplane) */
#endif

static unsigned n_legs = 40, n_frames = 100, n_reps = 5, complexity = 5, bitrate = 24000;
/* --complexity dp: LEG_MEDIA opus_complexity 0xff, as sb-control sends
 * without `media: opus_complexity` (the dataplane's default) */
static int complexity_dp;
static int worker_complexity = -1; /* read back from a worker's encoder */

static double now_s(void)
{
	struct timespec ts;

	/* this thread's CPU time: the 2 shared cores here are busy with other
	 * work, and time spent preempted is no one's cost */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
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

/* speech-like: gliding harmonics under a syllabic envelope, plus noise
 * (at 8 kHz: it is a G.711 leg's audio) */
static void signal_at(int16_t *x, unsigned n, unsigned rate)
{
	double ph = 0;
	uint32_t r = 1;

	for (unsigned i = 0; i < n; i++) {
		double t = (double)i / rate, f0 = 140 + 60 * sin(2 * M_PI * 1.3 * t);
		double env = 0.55 + 0.45 * sin(2 * M_PI * 3.7 * t);

		r = r * 1103515245u + 12345u;
		ph += 2 * M_PI * f0 / rate;
		x[i] = (int16_t)(env * (5000 * sin(ph) + 2500 * sin(2 * ph) + 1500 * sin(3 * ph)) +
				 (double)((int)(r >> 20) - 2048) / 4);
	}
}

struct stream {
	unsigned rate, fs;                   /* PCM rate, samples per frame */
	int16_t *pcm;                        /* frames * fs at rate */
	uint8_t (*ulaw)[160];                /* the same signal at 8 kHz, PCMU */
	uint8_t (*opus)[SB_CODEC_MAX_PAYLOAD];
	int *opus_len;
};

static int stream_make(struct stream *s, unsigned rate)
{
	OpusEncoder *e;
	int16_t *p8;
	int err;

	s->rate = rate;
	s->fs = rate / 50;
	s->pcm = malloc(sizeof(int16_t) * s->fs * n_frames);
	p8 = malloc(sizeof(int16_t) * 160 * n_frames);
	s->ulaw = malloc(sizeof(*s->ulaw) * n_frames);
	s->opus = malloc(sizeof(*s->opus) * n_frames);
	s->opus_len = malloc(sizeof(int) * n_frames);
	if (!s->pcm || !p8 || !s->ulaw || !s->opus || !s->opus_len)
		return -1;
	/* Both encoders see the same audio: the G.711 leg's, decoded and
	 * resampled (outside the timing) for the reference. */
	signal_at(p8, 160 * n_frames, 8000);
	for (unsigned k = 0; k < n_frames; k++) {
		sb_g711_ulaw_encode(s->ulaw[k], p8 + k * 160, 160);
		sb_g711_ulaw_decode(p8 + k * 160, s->ulaw[k], 160);
	}
	if (rate == 8000) {
		memcpy(s->pcm, p8, sizeof(int16_t) * 160 * n_frames);
	} else {
		SpeexResamplerState *rs = speex_resampler_init(1, 8000, rate, 3, &err);
		spx_uint32_t il = 160 * n_frames, ol = s->fs * n_frames;

		if (rs == NULL)
			return -1;
		speex_resampler_skip_zeros(rs);
		memset(s->pcm, 0, sizeof(int16_t) * s->fs * n_frames);
		speex_resampler_process_int(rs, 0, p8, &il, s->pcm, &ol);
		speex_resampler_destroy(rs);
	}
	free(p8);
	e = opus_encoder_create((opus_int32)rate, 1, OPUS_APPLICATION_VOIP, &err);
	if (e == NULL)
		return -1;
	opus_encoder_ctl(e, OPUS_SET_COMPLEXITY((int)complexity));
	opus_encoder_ctl(e, OPUS_SET_BITRATE((opus_int32)bitrate));
	for (unsigned k = 0; k < n_frames; k++) {
		s->opus_len[k] = opus_encode(e, s->pcm + k * s->fs, (int)s->fs, s->opus[k],
					     SB_CODEC_MAX_PAYLOAD);
		if (s->opus_len[k] <= 0)
			return -1;
	}
	opus_encoder_destroy(e);
	return 0;
}

/* Both variants' legs live side by side; they run in alternating chunks
 * of CHUNK frames so that a change in load on the machine hits both. */
#define CHUNK 10

struct legs {
	struct sb_xcode **a, **b;          /* ours: PCMU->Opus, Opus->PCMU */
	OpusEncoder **e;                   /* reference */
	OpusDecoder **d;
};

static void legs_make(struct legs *L, const struct stream *s)
{
	struct sb_codec_cfg g = { .codec = SB_CODEC_PCMU, .rate = 8000 };
	struct sb_codec_cfg o = { .codec = SB_CODEC_OPUS, .rate = s->rate,
				  .complexity = (uint8_t)complexity, .bitrate = bitrate };
	struct sb_jbuf_cfg jb = { .min_ms = 40, .max_ms = 200 };
	int err;

	L->a = calloc(n_legs, sizeof(*L->a));
	L->b = calloc(n_legs, sizeof(*L->b));
	L->e = calloc(n_legs, sizeof(*L->e));
	L->d = calloc(n_legs, sizeof(*L->d));
	if (!L->a || !L->b || !L->e || !L->d)
		exit(1);
	for (unsigned l = 0; l < n_legs; l++) {
		L->a[l] = sb_xcode_create(&g, &o, &jb);
		L->b[l] = sb_xcode_create(&o, &g, &jb);
		L->e[l] = opus_encoder_create((opus_int32)s->rate, 1, OPUS_APPLICATION_VOIP, &err);
		L->d[l] = opus_decoder_create((opus_int32)s->rate, 1, &err);
		if (!L->a[l] || !L->b[l] || !L->e[l] || !L->d[l]) {
			fprintf(stderr, "transcode_bench: leg set-up failed\n");
			exit(1);
		}
		opus_encoder_ctl(L->e[l], OPUS_SET_COMPLEXITY((int)complexity));
		opus_encoder_ctl(L->e[l], OPUS_SET_BITRATE((opus_int32)bitrate));
	}
}

static void legs_free(struct legs *L)
{
	for (unsigned l = 0; l < n_legs; l++) {
		sb_xcode_free(L->a[l]);
		sb_xcode_free(L->b[l]);
		opus_encoder_destroy(L->e[l]);
		opus_decoder_destroy(L->d[l]);
	}
	free(L->a);
	free(L->b);
	free(L->e);
	free(L->d);
}

/* sb_xcode, frames [k0, k1) of every leg, both directions */
static void run_ours(struct legs *L, const struct stream *s, unsigned k0, unsigned k1, long *sink)
{
	uint8_t out[SB_CODEC_MAX_PAYLOAD];
	struct sb_enc_pkt ep;

	for (unsigned k = k0; k < k1; k++)
		for (unsigned l = 0; l < n_legs; l++) {
			sb_xcode_rx(L->a[l], s->ulaw[k], 160, (uint16_t)k, k * 160, k * 160);
			*sink += sb_xcode_tick(L->a[l], out, sizeof(out), &ep);
			sb_xcode_rx(L->b[l], s->opus[k], (unsigned)s->opus_len[k], (uint16_t)k, k * 960, k * 960);
			*sink += sb_xcode_tick(L->b[l], out, sizeof(out), &ep);
		}
}

/* plain libopus: one encode + one decode per leg per frame */
static void run_ref(struct legs *L, const struct stream *s, unsigned k0, unsigned k1, long *sink)
{
	static int16_t pcm[960];
	uint8_t out[SB_CODEC_MAX_PAYLOAD];

	for (unsigned k = k0; k < k1; k++)
		for (unsigned l = 0; l < n_legs; l++) {
			*sink += opus_encode(L->e[l], s->pcm + k * s->fs, (int)s->fs, out, sizeof(out));
			*sink += opus_decode(L->d[l], s->opus[k], s->opus_len[k], pcm, (int)s->fs, 0);
		}
}

/* one rep: seconds of CPU for each variant over n_legs x n_frames */
static void run_rep(const struct stream *s, double *t_ours, double *t_ref, long *sink)
{
	struct legs L;

	legs_make(&L, s);
	*t_ours = *t_ref = 0;
	for (unsigned k = 0; k < n_frames; k += CHUNK) {
		unsigned k1 = k + CHUNK < n_frames ? k + CHUNK : n_frames;
		double t0 = now_s(), t1, t2;

		run_ours(&L, s, k, k1, sink);
		t1 = now_s();
		run_ref(&L, s, k, k1, sink);
		t2 = now_s();
		*t_ours += t1 - t0;
		*t_ref += t2 - t1;
	}
	legs_free(&L);
}

static unsigned dp_legs; /* pairs through the worker (SB_BENCH_DP) */

#ifdef SB_BENCH_DP
static int dp_ok;
static uint32_t dp_k; /* frames sent so far: sequence numbers and timestamps go on */
static uint64_t dp_now;

static void dp_setup(void)
{
	dp_legs = n_legs < 30 ? n_legs : 30; /* outputs of one tick fit the TX buffer */
	if (h_init("xcbench", 2 * dp_legs + 2, 0) != 0)
		return;
	dp_now = rte_rdtsc();
	for (unsigned i = 0; i < dp_legs; i++) {
		union sb_msg m;

		h_leg_add(2 * i, H_IP(100), (uint16_t)(10000 + i), (uint16_t)(H_PORT_MIN + 4 * i), 0);
		h_leg_add(2 * i + 1, H_IP(101), (uint16_t)(10000 + i),
			  (uint16_t)(H_PORT_MIN + 4 * i + 2), 0);
		h_connect(2 * i, 2 * i + 1);
		for (unsigned b = 0; b < 2; b++) {
			h_media_init(&m, 2 * i + b);
			m.media.codec = b ? SB_DP_CODEC_OPUS : SB_DP_CODEC_PCMU;
			m.media.pt = b ? 111 : 0;
			m.media.clock_hz = b ? 48000 : 8000;
			m.media.channels = 1;
			m.media.opus_complexity = complexity_dp ? 0xff : (uint8_t)complexity;
			m.media.opus_bitrate = bitrate;
			if (h_cmd(&m) != 0)
				exit(1);
		}
	}
	h_arp(H_IP(100), dp_now);
	h_arp(H_IP(101), dp_now);
	sb_dpm_timer(H.w, dp_now);
	{
		/* what the worker's PCMU -> Opus encoder really runs with */
		struct dpm_leg *c = dpm_ctx(H.w->media, 0);

		if (c != NULL && c->xc != NULL)
			worker_complexity = sb_enc_complexity(sb_xcode_enc(c->xc));
	}
	dp_ok = 1;
}

/* Thread CPU seconds of n_frames frames of dp_legs pairs through the worker. */
static double dp_run(const struct stream *s)
{
	double t = 0;

	for (unsigned k = 0; k < n_frames; k++, dp_k++) {
		struct rte_mbuf *m[64];
		unsigned n = 0;
		double t0;

		for (unsigned i = 0; i < dp_legs; i++) {
			uint8_t b[SB_CODEC_MAX_PAYLOAD + 12];

			m[n++] = h_udp(H_IP(100), (uint16_t)(10000 + i), (uint16_t)(H_PORT_MIN + 4 * i), b,
				       h_rtp(b, 0, (uint16_t)dp_k, 160 * dp_k, 0x1000 + i, s->ulaw[k], 160));
			m[n++] = h_udp(H_IP(101), (uint16_t)(10000 + i), (uint16_t)(H_PORT_MIN + 4 * i + 2),
				       b, h_rtp(b, 111, (uint16_t)dp_k, 960 * dp_k, 0x2000 + i, s->opus[k],
						(unsigned)s->opus_len[k]));
		}
		dp_now += h_ms(20);
		t0 = now_s();
		for (unsigned i = 0; i < n; i += 32)
			sb_relay_burst(H.w, m + i, (uint16_t)(n - i < 32 ? n - i : 32), dp_now);
		sb_dpm_timer(H.w, dp_now + h_ms(1));
		t += now_s() - t0;
		if (k > 10 && H.w->tx.n != 2 * dp_legs) {
			fprintf(stderr, "transcode_bench: the worker sent %u packets for %u pairs\n",
				H.w->tx.n, dp_legs);
			exit(1);
		}
		rte_pktmbuf_free_bulk(H.w->tx.m, H.w->tx.n);
		H.w->tx.n = 0;
	}
	return t;
}
#endif

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "legs", 1, 0, 'l' }, { "frames", 1, 0, 'f' }, { "reps", 1, 0, 'r' },
		{ "complexity", 1, 0, 'c' }, { "rate", 1, 0, 'R' }, { "bitrate", 1, 0, 'b' },
		{ 0, 0, 0, 0 }
	};
	static const unsigned rates[] = { 8000, 16000, 48000 };
	unsigned head_rate = 48000;
	double res[3][2];
	char json_rates[512];
	size_t jl = 0;
	long sink = 0;
	int c, head = -1;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'l': n_legs = (unsigned)atoi(optarg); break;
		case 'f': n_frames = (unsigned)atoi(optarg); break;
		case 'r': n_reps = (unsigned)atoi(optarg); break;
		case 'c':
			complexity_dp = strcmp(optarg, "dp") == 0;
			complexity = complexity_dp ? 5 : (unsigned)atoi(optarg);
			break;
		case 'R': head_rate = (unsigned)atoi(optarg); break;
		case 'b': bitrate = (unsigned)atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [--legs N] [--frames N<=%u] [--reps N] "
				"[--complexity 0-10|dp] [--rate 8000|16000|48000] [--bitrate BPS]\n",
				argv[0], MAXF);
			return 2;
		}
	}
	if (n_legs == 0 || n_frames == 0 || n_frames > MAXF || n_reps == 0 || n_reps > 99 ||
	    complexity > 10) {
		fprintf(stderr, "transcode_bench: --legs, --frames (1..%d), --reps (1..99) and "
			"--complexity (0..10) out of range\n", MAXF);
		return 2;
	}
	double dp_lpc = 0;

#ifdef SB_BENCH_DP
	dp_setup();
	if (!dp_ok)
		printf("(no EAL: the worker figure is left out)\n");
	if (complexity_dp && worker_complexity >= 0)
		complexity = (unsigned)worker_complexity; /* the references run the same */
	if (!complexity_dp && worker_complexity >= 0 && (unsigned)worker_complexity != complexity) {
		fprintf(stderr, "transcode_bench: the worker encodes at complexity %d, not %u\n",
			worker_complexity, complexity);
		return 1; /* the comparison would not be like for like */
	}
	if (dp_ok)
		printf("worker encoders: Opus complexity %d (%s)\n", worker_complexity,
		       complexity_dp ? "LEG_MEDIA 0xff: the dataplane's default"
				     : "LEG_MEDIA opus_complexity, as media: opus_complexity sets it");
#endif
	printf("transcode: %u legs x %u frames (20 ms), Opus VOIP %u bit/s complexity %u, "
	       "median of %u, thread CPU time\n", n_legs, n_frames, bitrate, complexity, n_reps);
	printf("%-6s %-22s %14s %14s %8s\n", "rate", "variant", "us/leg-frame", "legs/core", "ratio");
	for (unsigned ri = 0; ri < 3; ri++) {
		struct stream s;
		double t_ours[99], t_ref[99], mo, mr;

		if (rates[ri] == head_rate)
			head = (int)ri;
		if (stream_make(&s, rates[ri]) < 0) {
			fprintf(stderr, "transcode_bench: could not prepare the %u Hz stream\n", rates[ri]);
			return 1;
		}
		for (unsigned r = 0; r < n_reps; r++)
			run_rep(&s, &t_ours[r], &t_ref[r], &sink);
#ifdef SB_BENCH_DP
		if (dp_ok && rates[ri] == 48000) {
			double t_dp[99];

			dp_run(&s); /* warm-up: jitter buffers primed */
			for (unsigned r = 0; r < n_reps; r++)
				t_dp[r] = dp_run(&s);
			dp_lpc = (double)dp_legs * n_frames / median(t_dp, n_reps) / 50;
		}
#endif
		mo = median(t_ours, n_reps);
		mr = median(t_ref, n_reps);
		res[ri][0] = (double)n_legs * n_frames / mo / 50;
		res[ri][1] = (double)n_legs * n_frames / mr / 50;
		printf("%-6u %-22s %14.1f %14.1f\n", rates[ri], "plain libopus enc+dec",
		       mr * 1e6 / n_legs / n_frames, res[ri][1]);
		printf("%-6u %-22s %14.1f %14.1f %8.3f\n", rates[ri], "sb_xcode G.711<->Opus",
		       mo * 1e6 / n_legs / n_frames, res[ri][0], res[ri][0] / res[ri][1]);
		if (dp_lpc > 0 && rates[ri] == 48000)
			printf("%-6u %-22s %14.1f %14.1f %8.3f\n", rates[ri], "worker (dataplane)",
			       1e6 / 50 / dp_lpc, dp_lpc, dp_lpc / res[ri][1]);
		jl += (size_t)snprintf(json_rates + jl, sizeof(json_rates) - jl,
				       "%s\"%u\":{\"legs_per_core\":%.1f,\"libopus_legs_per_core\":%.1f,"
				       "\"ratio_vs_libopus\":%.3f}", ri ? "," : "", rates[ri],
				       res[ri][0], res[ri][1], res[ri][0] / res[ri][1]);
		free(s.pcm);
		free(s.ulaw);
		free(s.opus);
		free(s.opus_len);
	}
	if (head < 0) {
		fprintf(stderr, "transcode_bench: --rate must be 8000, 16000 or 48000\n");
		return 2;
	}
	fprintf(stderr, "(sink %ld)\n", sink);
	/* issue 5: legs_per_core "through the dataplane" when the worker ran */
	if (dp_lpc > 0 && head_rate == 48000) {
		printf("{\"bench\":\"transcode\",\"on_worker\":true,\"worker_legs\":%u,"
		       "\"codec_legs_per_core\":%.1f,\"ratio_worker_vs_codec\":%.3f,", dp_legs,
		       res[head][0], dp_lpc / res[head][0]);
		res[head][0] = dp_lpc;
	} else {
		printf("{\"bench\":\"transcode\",\"on_worker\":false,");
	}
	printf("\"legs_per_core\":%.1f,\"libopus_legs_per_core\":%.1f,"
	       "\"ratio_vs_libopus\":%.3f,\"rate\":%u,\"complexity\":%u,"
	       "\"complexity_worker\":%d,\"complexity_from\":\"%s\",\"bitrate\":%u,"
	       "\"ptime_ms\":20,\"legs\":%u,\"frames\":%u,\"reps\":%u,\"resampler\":\"speexdsp q3\","
	       "\"opus_decode_rate_ours\":8000,"
	       "\"by_rate\":{%s}}\n",
	       res[head][0], res[head][1], res[head][0] / res[head][1], head_rate, complexity,
	       worker_complexity, complexity_dp ? "dataplane default" : "flag", bitrate, n_legs,
	       n_frames, n_reps, json_rates);
#ifdef SB_BENCH_DP
	if (dp_ok)
		h_fini(); /* the worker's transcoders and the segment (leak-free under ASan) */
#endif
	return 0;
}
