/* SPDX-License-Identifier: MIT */
/*
 * dp_media_prompt_opus — PROMPT_PLAY to a single Opus leg on a real
 * worker (command ring, loader thread), decoded with libopus on the far
 * side:
 *   1. Opus leg B transcoded from PCMU leg A (A's peer talks a 1 kHz
 *      tone): PROMPT_PLAY on B sends the prompt's 51 frames in B's own
 *      stream (one SSRC, sequence +1 throughout, prompt timestamps +960 a
 *      frame, marker on the first), encoded by the transcoder's encoder;
 *      decoded, they match the prompt (best lag, SNR >= 8 dB and
 *      correlation >= 0.92; Opus at 24 kbit/s keeps the spectrum
 *      better than the waveform: about 10 dB and 0.95 here) and carry none of the 1 kHz tone; DONE with
 *      51 frames follows, then the transcoded tone resumes in the same
 *      stream (timestamp step >= 960);
 *   2. Opus leg C alone (an IVR leg: no transcoder feeds it): LOOP plays
 *      the prompt again and again through the leg's own encoder (decoded
 *      and matched the same way, across the wrap), PROMPT_STOP ends it
 *      (STOPPED, frames counted) and nothing is sent after;
 *   3. neither the ticks of (1) nor (2) allocate (malloc counted);
 *   4. an Opus leg with 40 ms packets is refused (-ENOTSUP).
 * Exit 0 pass, 1 fail, 77 skip.
 */
#include <math.h>
#include <opus.h>

#include "sb/g711.h"
#include "sb/wav.h"

#include "../media/alloc_count.h"
#include "dpm_harness.h"

#define PA H_IP(20)
#define PB H_IP(21)
#define PC H_IP(22)
#define A 0u
#define B 1u
#define C 2u
#define D 3u
#define PORT_A (H_PORT_MIN + 0)
#define PORT_B (H_PORT_MIN + 2)
#define PORT_C (H_PORT_MIN + 4)
#define PORT_D (H_PORT_MIN + 6)
#define N_SAMPLES 8080u /* 1.01 s: 51 frames, the last one padded */
#define N_FRAMES 51u
#define PROMPT_ID 2u
#define MAX_CAP 400u

static uint64_t now;
static int16_t prompt_pcm[N_FRAMES * 160]; /* what the store holds (tail: zeros) */
static uint16_t seq_a = 10;
static uint32_t ts_a = 1000;

static void media(uint32_t leg, uint8_t codec, uint8_t pt, uint16_t ptime, int32_t expect)
{
	union sb_msg m;

	h_media_init(&m, leg);
	m.media.codec = codec;
	m.media.pt = pt;
	m.media.clock_hz = codec == SB_DP_CODEC_OPUS ? 48000 : 8000;
	m.media.channels = 1;
	m.media.ptime_ms = ptime;
	m.media.opus_complexity = 0xff;
	m.media.opus_bitrate = 24000;
	T_ASSERT_EQ_U64(h_cmd(&m), expect);
}

static int32_t prompt_cmd(uint16_t type, uint32_t leg, uint32_t flags)
{
	union sb_msg m;

	memset(&m, 0, sizeof(m));
	m.prompt.h.type = type;
	m.prompt.h.leg = leg;
	m.prompt.h.leg_gen = 1;
	m.prompt.prompt = PROMPT_ID;
	m.prompt.flags = flags;
	return h_cmd(&m);
}

/* A's peer talks: 20 ms of a 1 kHz tone as PCMU. */
static void audio_a(void)
{
	uint8_t b[200], pl[160];

	for (unsigned s = 0; s < 160; s++)
		pl[s] = sb_g711_ulaw_enc1(
			(int16_t)lrint(6000.0 * sin(2 * M_PI * 1000.0 * (ts_a + s) / 8000.0)));
	h_feed(h_udp(PA, 4000, PORT_A, b, h_rtp(b, 0, seq_a++, ts_a, 0xa1a1a1a1u, pl, 160)), now);
	ts_a += 160;
}

/* ms of 5 ms timer steps (A's audio every 20 ms when talk); packets to dst. */
static unsigned run(unsigned ms, int talk, uint32_t dst, struct h_pkt *cap, unsigned max,
		    int count_allocs)
{
	unsigned n = 0;

	for (unsigned i = 0; i < ms / 5; i++) {
		struct h_pkt tmp[8];
		unsigned t;

		now += h_ms(5);
		sb_alloc_counting = count_allocs;
		sb_dpm_timer(H.w, now);
		if (talk && i % 4 == 3)
			audio_a();
		sb_alloc_counting = 0;
		t = h_take(tmp, 8);
		for (unsigned j = 0; j < t; j++)
			if (tmp[j].dst_ip == dst && n < max)
				cap[n++] = tmp[j];
	}
	return n;
}

static const struct sb_evt_prompt *last_prompt_ev(uint32_t leg)
{
	h_drain_events(0, NULL, NULL);
	for (unsigned i = H.n_ev; i-- > 0;)
		if (H.ev[i].h.type == SB_EVT_PROMPT_DONE && H.ev[i].h.leg == leg)
			return &H.ev[i].prompt_evt;
	return NULL;
}

/* Decode cap[0..n) in order as one receiver would, 160 samples each at 8 kHz. */
static unsigned decode(const struct h_pkt *cap, unsigned n, int16_t *pcm)
{
	OpusDecoder *dec;
	int err;

	dec = opus_decoder_create(8000, 1, &err);
	T_ASSERT(dec != NULL);
	for (unsigned i = 0; i < n; i++) {
		T_ASSERT((cap[i].b[1] & 0x7f) == 111);
		T_ASSERT(opus_decode(dec, cap[i].b + 12, (opus_int32)(cap[i].len - 12),
				     &pcm[160 * i], 160, 0) == 160);
	}
	opus_decoder_destroy(dec);
	return 160 * n;
}

/* y (decoded) against the prompt looped from its start, at the best lag
 * (codec delay: 0..30 ms); n samples compared, from `from` of x's time
 * line.  Returns the SNR in dB with the least-squares gain; *corr the
 * normalised correlation. */
static double match(const int16_t *y, unsigned ny, unsigned from, unsigned n, double *corr)
{
	double best = -1, snr = 0;

	for (unsigned lag = 0; lag <= 240; lag++) {
		double xy = 0, xx = 0, yy = 0, r, g, err = 0;

		if (from + lag + n > ny)
			break;
		for (unsigned i = 0; i < n; i++) {
			double x = prompt_pcm[(from + i) % (N_FRAMES * 160)], v = y[from + lag + i];

			xy += x * v;
			xx += x * x;
			yy += v * v;
		}
		if (xx <= 0 || yy <= 0)
			continue;
		r = xy / sqrt(xx * yy);
		if (r <= best)
			continue;
		best = r;
		g = xy / yy;
		for (unsigned i = 0; i < n; i++) {
			double x = prompt_pcm[(from + i) % (N_FRAMES * 160)], v = y[from + lag + i];

			err += (x - g * v) * (x - g * v);
		}
		snr = 10.0 * log10(xx / (err > 1e-9 ? err : 1e-9));
	}
	*corr = best;
	return snr;
}

/* Power at f in x (Goertzel, 8 kHz) relative to x's total power. */
static double tone_share(const int16_t *x, unsigned n, double f)
{
	double w = 2 * cos(2 * M_PI * f / 8000.0), q1 = 0, q2 = 0, tot = 0;

	for (unsigned i = 0; i < n; i++) {
		double q0 = w * q1 - q2 + x[i];

		q2 = q1;
		q1 = q0;
		tot += (double)x[i] * x[i];
	}
	return tot > 0 ? (q1 * q1 + q2 * q2 - w * q1 * q2) * 2.0 / n / tot : 0;
}

static void check_stream(const struct h_pkt *cap, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		T_ASSERT_EQ_U64(sb_be32(cap[i].b + 8), sb_be32(cap[0].b + 8));
		T_ASSERT_EQ_U64(sb_be16(cap[i].b + 2), (uint16_t)(sb_be16(cap[i - 1].b + 2) + 1));
	}
}

static void test_transcoded_leg(void)
{
	static struct h_pkt cap[MAX_CAP];
	static int16_t pcm[MAX_CAP * 160];
	const struct sb_evt_prompt *pe;
	uint64_t frames0;
	unsigned n, first, got;
	double snr, corr, share;

	n = run(400, 1, PB, cap, MAX_CAP, 0); /* the tone, transcoded */
	T_ASSERT(n >= 15);
	first = n;
	frames0 = H.w->media->cnt.prompt_frames;
	T_ASSERT_EQ_U64(prompt_cmd(SB_CMD_PROMPT_PLAY, B, 0), 0);
	n += run(1020, 1, PB, &cap[n], MAX_CAP - n, 1);
#ifndef SB_ASAN
	T_ASSERT_EQ_U64(sb_allocs, 0);
#endif
	pe = last_prompt_ev(B);
	T_ASSERT(pe != NULL);
	T_ASSERT_EQ_U64(pe->reason, SB_PROMPT_END_DONE);
	T_ASSERT_EQ_U64(pe->frames, N_FRAMES);
	T_ASSERT_EQ_U64(H.w->media->cnt.prompt_frames - frames0, N_FRAMES);
	n += run(600, 1, PB, &cap[n], MAX_CAP - n, 0); /* the tone again */
	T_ASSERT(n >= first + N_FRAMES + 20);
	check_stream(cap, n);
	/* the prompt: exactly the next 51 packets, timestamps 20 ms apart */
	T_ASSERT(cap[first].b[1] & 0x80);
	for (unsigned k = 1; k < N_FRAMES; k++)
		T_ASSERT_EQ_U64(sb_be32(cap[first + k].b + 4) - sb_be32(cap[first].b + 4), 960u * k);
	T_ASSERT((int32_t)(sb_be32(cap[first].b + 4) - sb_be32(cap[first - 1].b + 4)) >= 960);
	T_ASSERT((int32_t)(sb_be32(cap[first + N_FRAMES].b + 4) -
			   sb_be32(cap[first + N_FRAMES - 1].b + 4)) >= 960);

	got = decode(cap, n, pcm);
	/* the prompt's samples start at packet `first` of the decoded line */
	snr = match(pcm + first * 160, got - first * 160, 0, (N_FRAMES - 2) * 160, &corr);
	share = tone_share(pcm + (first + 5) * 160, 40 * 160, 1000.0);
	printf("transcoded leg: prompt SNR %.1f dB, correlation %.3f, 1 kHz share %.4f\n", snr,
	       corr, share);
	T_ASSERT(snr >= 8.0 && corr >= 0.92);
	T_ASSERT(share < 0.01); /* the caller's tone is held back while the prompt plays */
	/* after it, the transcoded tone again */
	share = tone_share(pcm + (first + N_FRAMES + 5) * 160, 15 * 160, 1000.0);
	printf("after the prompt: 1 kHz share %.3f\n", share);
	T_ASSERT(share > 0.8);
}

static void test_alone_loop(void)
{
	static struct h_pkt cap[MAX_CAP];
	static int16_t pcm[MAX_CAP * 160];
	const struct sb_evt_prompt *pe;
	unsigned n, evs, got;
	double snr, corr;

	T_ASSERT_EQ_U64(prompt_cmd(SB_CMD_PROMPT_PLAY, C, SB_PROMPT_LOOP), 0); /* builds C's encoder */
	n = run(2500, 0, PC, cap, MAX_CAP, 1);
#ifndef SB_ASAN
	T_ASSERT_EQ_U64(sb_allocs, 0);
#endif
	T_ASSERT(n >= 124 && n <= 126); /* 2.5 s, no gap at the wrap */
	check_stream(cap, n);
	T_ASSERT(cap[0].b[1] & 0x80);
	for (unsigned k = 1; k < n; k++)
		T_ASSERT_EQ_U64(sb_be32(cap[k].b + 4) - sb_be32(cap[0].b + 4), 960u * k);
	evs = H.n_ev;
	T_ASSERT_EQ_U64(prompt_cmd(SB_CMD_PROMPT_STOP, C, 0), 0);
	pe = last_prompt_ev(C);
	T_ASSERT(pe != NULL && H.n_ev == evs + 1);
	T_ASSERT_EQ_U64(pe->reason, SB_PROMPT_END_STOPPED);
	T_ASSERT_EQ_U64(pe->frames, n);
	{
		struct h_pkt after[4];

		T_ASSERT_EQ_U64(run(200, 0, PC, after, 4, 0), 0); /* silent after STOP */
	}
	got = decode(cap, n, pcm);
	/* across the wrap (frame 51): prompt frames 30..90 */
	snr = match(pcm, got, 30 * 160, 60 * 160, &corr);
	printf("IVR leg, looped: SNR %.1f dB, correlation %.3f over the wrap\n", snr, corr);
	T_ASSERT(snr >= 8.0 && corr >= 0.92);
}

int main(int argc, char **argv)
{
	static uint8_t wav[44 + 2 * N_SAMPLES];
	char path[64];
	size_t wl;
	FILE *f;
	int rc;

	(void)argc;
	(void)argv;
	/* speech-like: two partials gliding (300->700 and 1200->2000 Hz) under
	 * a 4 Hz syllable envelope, so a wrong frame or lag shows */
	for (unsigned i = 0; i < N_SAMPLES; i++) {
		double t = i / 8000.0, env = 0.55 + 0.45 * sin(2 * M_PI * 4.0 * t);
		double p1 = 2 * M_PI * (300.0 * t + 200.0 * t * t);
		double p2 = 2 * M_PI * (1200.0 * t + 400.0 * t * t);

		prompt_pcm[i] = (int16_t)lrint(env * (7000.0 * sin(p1) + 3000.0 * sin(p2)));
	}
	wl = sb_wav_write(wav, sizeof(wav), SB_WAV_PCM16, 8000, prompt_pcm, N_SAMPLES);
	T_ASSERT(wl == sizeof(wav));
	snprintf(path, sizeof(path), "/tmp/md-popus-%d.wav", (int)getpid());
	f = fopen(path, "wb");
	T_ASSERT(f != NULL && fwrite(wav, 1, wl, f) == wl && fclose(f) == 0);

	rc = h_init("popus", 8, 1);
	if (rc != 0) {
		unlink(path);
		return rc;
	}
	now = rte_rdtsc();
	{
		union sb_msg m;

		memset(&m, 0, sizeof(m));
		m.prompt_load.h.type = SB_CMD_PROMPT_LOAD;
		m.prompt_load.h.leg = SB_LEG_NONE;
		m.prompt_load.prompt = PROMPT_ID;
		snprintf(m.prompt_load.path, sizeof(m.prompt_load.path), "%s", path);
		rc = h_cmd(&m);
	}
	unlink(path);
	T_ASSERT_EQ_U64(rc, 0);

	h_leg_add(A, PA, 4000, PORT_A, 0);
	h_leg_add(B, PB, 5000, PORT_B, 0);
	h_leg_add(C, PC, 6000, PORT_C, 0);
	h_leg_add(D, H_IP(23), 7000, PORT_D, 0);
	h_connect(A, B);
	media(A, SB_DP_CODEC_PCMU, 0, 0, 0);
	media(B, SB_DP_CODEC_OPUS, 111, 0, 0);
	media(C, SB_DP_CODEC_OPUS, 111, 0, 0);
	media(D, SB_DP_CODEC_OPUS, 111, 40, 0);
	h_arp(PA, now);
	h_arp(PB, now);
	h_arp(PC, now);
	sb_dpm_timer(H.w, now);
	T_ASSERT_EQ_U64(prompt_cmd(SB_CMD_PROMPT_PLAY, D, 0), -ENOTSUP); /* 40 ms packets */

	test_transcoded_leg();
	test_alone_loop();
	h_fini();
	printf("dp_media_prompt_opus: ok\n");
	return 0;
}
