/* SPDX-License-Identifier: MIT */
/*
 * prompt_t — media/prompt.c end to end on real signals: WAV files of a
 * 440 Hz tone are written here at every accepted rate and format (and by
 * sox when it is installed), loaded into a store that keeps every format,
 * played, decoded and measured:
 *   - length: a 1 s file gives exactly 50 frames in every format (1.01 s
 *     gives 51, the tail silence), RTP timestamps advance by 20 ms;
 *   - tone: frequency from zero crossings within 0.5 %, and SNR of a
 *     least-squares 440 Hz fit (5 ms at each edge left out: the resampler
 *     rings on a tone that starts abruptly) at least 33 dB after G.711 and
 *     60 dB after resampling to linear; same-rate linear is bit exact;
 *   - loop: passes follow each other with no gap and the tone runs on
 *     through the wrap; stop and done events; unload while playing;
 *   - 1000 players on one prompt: one copy in memory, same frame pointers;
 *   - a prompt played into a conference (sb/mix.h) reaches the others;
 *   - malformed files refused with the parser's reason, -EEXIST, -EFBIG.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb/g711.h"
#include "sb/mix.h"
#include "sb/prompt.h"
#include "sb/wav.h"
#include "test.h"

#define FREQ 440.0
#define AMP  16000.0

static uint8_t wavbuf[48000 * 4 + 1024];

/* A WAV of dur_samples of the tone at rate, in fmt. */
static size_t make_tone(enum sb_wav_fmt fmt, uint32_t rate, uint32_t ns)
{
	static int16_t pcm[48000 * 2];
	static uint8_t law[48000 * 2];

	for (uint32_t i = 0; i < ns; i++)
		pcm[i] = (int16_t)lrint(AMP * sin(2 * M_PI * FREQ * i / rate));
	if (fmt == SB_WAV_ULAW)
		sb_g711_ulaw_encode(law, pcm, ns);
	else if (fmt == SB_WAV_ALAW)
		sb_g711_alaw_encode(law, pcm, ns);
	return sb_wav_write(wavbuf, sizeof(wavbuf), fmt, rate,
			    fmt == SB_WAV_PCM16 ? (const void *)pcm : (const void *)law, ns);
}

/* Frame of format f to host int16 (n samples). */
static void decode(enum sb_prompt_fmt f, const uint8_t *d, int16_t *out, unsigned n)
{
	if (f == SB_PROMPT_PCMU)
		sb_g711_ulaw_decode(out, d, n);
	else if (f == SB_PROMPT_PCMA)
		sb_g711_alaw_decode(out, d, n);
	else if (f >= SB_PROMPT_L16_8K && f <= SB_PROMPT_L16_48K)
		for (unsigned i = 0; i < n; i++)
			out[i] = (int16_t)(d[2 * i] << 8 | d[2 * i + 1]);
	else
		memcpy(out, d, n * 2);
}

/* SNR (dB) of x[a..b) against its least-squares fit a*cos + b*sin at FREQ
 * (phase counted from sample 0: a continuous tone keeps one phase). */
static double tone_snr(const int16_t *x, unsigned a, unsigned b, unsigned rate)
{
	double cc = 0, ss = 0, cs = 0, xc = 0, xs = 0, sig = 0, err = 0, ka, kb, det;

	for (unsigned i = a; i < b; i++) {
		double c = cos(2 * M_PI * FREQ * i / rate), s = sin(2 * M_PI * FREQ * i / rate);

		cc += c * c;
		ss += s * s;
		cs += c * s;
		xc += x[i] * c;
		xs += x[i] * s;
	}
	det = cc * ss - cs * cs;
	ka = (xc * ss - xs * cs) / det;
	kb = (xs * cc - xc * cs) / det;
	for (unsigned i = a; i < b; i++) {
		double y = ka * cos(2 * M_PI * FREQ * i / rate) + kb * sin(2 * M_PI * FREQ * i / rate);

		sig += y * y;
		err += (x[i] - y) * (x[i] - y);
	}
	return err == 0 ? 200 : 10 * log10(sig / err);
}

static double zc_freq(const int16_t *x, unsigned a, unsigned b, unsigned rate)
{
	unsigned zc = 0, first = 0, last = 0;

	for (unsigned i = a + 1; i < b; i++)
		if ((x[i - 1] < 0) != (x[i] < 0)) {
			if (zc++ == 0)
				first = i;
			last = i;
		}
	return zc < 2 ? 0 : (zc - 1) / 2.0 * rate / (last - first);
}

static int16_t out[48000 * 3];

/* Play id once in f; checks the frame/event contract; returns samples. */
static unsigned play_once(struct sb_prompt_store *s, uint32_t id, enum sb_prompt_fmt f,
			  uint32_t want_frames)
{
	struct sb_prompt_player pl;
	struct sb_prompt_frame fr;
	struct sb_prompt_ev ev;
	unsigned spf = sb_prompt_fmt_rate(f) / 50, frames = 0, ts = 0;
	struct sb_prompt *p = sb_prompt_get(s, id);
	int r;

	T_ASSERT(p != NULL);
	sb_prompt_player_init(&pl);
	T_ASSERT(sb_prompt_player_start(&pl, p, f, SB_PROMPT_PLAY_ONCE, 77, &ev) == 0);
	while ((r = sb_prompt_player_next(&pl, &fr, &ev)) == SB_PROMPT_FRAME) {
		T_ASSERT(frames < want_frames);
		T_ASSERT_EQ_U64(fr.len, sb_prompt_fmt_frame_bytes(f));
		T_ASSERT_EQ_U64(fr.index, frames);
		decode(f, fr.data, out + frames * spf, spf);
		ts += fr.ts_step;
		frames++;
	}
	T_ASSERT_EQ_U64(r, SB_PROMPT_DONE);
	T_ASSERT_EQ_U64(frames, want_frames);
	T_ASSERT_EQ_U64(ts, want_frames * spf);
	T_ASSERT_EQ_U64(ev.kind, SB_PROMPT_EV_DONE);
	T_ASSERT_EQ_U64(ev.frames, want_frames);
	T_ASSERT_EQ_U64(ev.tag, 77);
	T_ASSERT_EQ_U64(ev.prompt_id, id);
	T_ASSERT(!sb_prompt_player_is_playing(&pl));
	T_ASSERT_EQ_U64(sb_prompt_player_next(&pl, &fr, &ev), SB_PROMPT_IDLE);
	return frames * spf;
}

/* min SNR: 33 dB where G.711 is on the way (source or output), else 60 */
static void check_tone(struct sb_prompt_store *s, uint32_t id, const char *src, double src_sec,
		       uint32_t want_frames, bool law_src)
{
	for (unsigned f = 0; f < SB_PROMPT_FMT_N; f++) {
		unsigned rate = sb_prompt_fmt_rate(f), ns = play_once(s, id, f, want_frames);
		unsigned tone = (unsigned)lrint(src_sec * rate), edge = rate / 200;
		double snr = tone_snr(out, edge, tone - edge, rate);
		double fq = zc_freq(out, edge, tone - edge, rate);
		double min = f <= SB_PROMPT_PCMA || law_src ? 33 : 60;

		printf("  %-6s -> %-7s %u frames, %.2f Hz, SNR %.1f dB (min %.0f)\n", src,
		       sb_prompt_fmt_name(f), want_frames, fq, snr, min);
		T_ASSERT(snr >= min);
		T_ASSERT(fabs(fq - FREQ) < FREQ * 0.005);
		for (unsigned i = tone; i < ns; i++)    /* the padding is silence */
			T_ASSERT(abs(out[i]) <= 8);
	}
}

static void test_formats(void)
{
	static const struct { enum sb_wav_fmt fmt; uint32_t rate; const char *name; } src[] = {
		{ SB_WAV_PCM16, 8000, "s16/8" }, { SB_WAV_PCM16, 16000, "s16/16" },
		{ SB_WAV_PCM16, 48000, "s16/48" }, { SB_WAV_ULAW, 8000, "ulaw" },
		{ SB_WAV_ALAW, 8000, "alaw" },
	};
	struct sb_prompt_store *s = sb_prompt_store_create(SB_PROMPT_FMT_ALL, 16);
	struct sb_wav w;

	T_ASSERT(s != NULL);
	for (unsigned i = 0; i < 5; i++) {
		size_t len = make_tone(src[i].fmt, src[i].rate, src[i].rate);

		T_ASSERT(len > 0);
		T_ASSERT(sb_prompt_load(s, i, wavbuf, len, &w) == 0);
		{
			struct sb_prompt *p = sb_prompt_get(s, i);

			T_ASSERT_EQ_U64(sb_prompt_frames(p), 50);
			T_ASSERT_EQ_U64(sb_prompt_refs(p), 2);   /* the store's and ours */
			sb_prompt_put(p);
		}
		check_tone(s, i, src[i].name, 1.0, 50, src[i].fmt != SB_WAV_PCM16);
		/* converted once: same-rate linear is the source itself */
		if (src[i].fmt == SB_WAV_PCM16) {
			struct sb_prompt *p = sb_prompt_get(s, i);
			enum sb_prompt_fmt sf = src[i].rate == 8000 ? SB_PROMPT_S16_8K :
						src[i].rate == 16000 ? SB_PROMPT_S16_16K : SB_PROMPT_S16_48K;

			T_ASSERT(memcmp(sb_prompt_frame(p, sf, 0), w.data, w.data_len) == 0);
			sb_prompt_put(p);
		}
		if (src[i].fmt == SB_WAV_ULAW) {   /* µ-law -> PCMU is the file's bytes */
			struct sb_prompt *p = sb_prompt_get(s, i);
			const uint8_t *d = sb_prompt_frame(p, SB_PROMPT_PCMU, 0);

			for (uint32_t k = 0; k < w.data_len; k++)
				T_ASSERT(d[k] == w.data[k] || (w.data[k] == 0x7f && d[k] == 0xff));
			sb_prompt_put(p);
		}
	}
	/* 1.01 s at 16 kHz: 51 frames, the last 10 ms silence */
	{
		size_t len = make_tone(SB_WAV_PCM16, 16000, 16160);

		T_ASSERT(sb_prompt_load(s, 5, wavbuf, len, &w) == 0);
		check_tone(s, 5, "1.01s", 1.01, 51, false);
	}
	T_ASSERT_EQ_U64(sb_prompt_store_count(s), 6);
	sb_prompt_store_free(s);
}

static void test_loop_stop(void)
{
	struct sb_prompt_store *s = sb_prompt_store_create(SB_PROMPT_FMT_BIT(SB_PROMPT_PCMU), 4);
	struct sb_prompt_player pl;
	struct sb_prompt_frame fr;
	struct sb_prompt_ev ev;
	const uint8_t *f0;
	struct sb_prompt *p;
	size_t len;
	double snr, snr_wrap;

	T_ASSERT(s != NULL);
	len = make_tone(SB_WAV_PCM16, 8000, 8000);
	T_ASSERT(sb_prompt_load(s, 0, wavbuf, len, NULL) == 0);
	len = make_tone(SB_WAV_PCM16, 16000, 16000);
	T_ASSERT(sb_prompt_load(s, 1, wavbuf, len, NULL) == 0);
	p = sb_prompt_get(s, 0);
	sb_prompt_player_init(&pl);
	T_ASSERT(sb_prompt_player_start(&pl, p, SB_PROMPT_S16_8K, SB_PROMPT_PLAY_LOOP, 1, &ev) ==
		 -ENOENT);   /* not in the store's mask */
	T_ASSERT_EQ_U64(sb_prompt_refs(p), 2);
	sb_prompt_put(p);    /* a failed start leaves the reference with us */

	for (uint32_t id = 0; id < 2; id++) {
		p = sb_prompt_get(s, id);
		f0 = sb_prompt_frame(p, SB_PROMPT_PCMU, 0);
		sb_prompt_player_init(&pl);
		T_ASSERT(sb_prompt_player_start(&pl, p, SB_PROMPT_PCMU, SB_PROMPT_PLAY_LOOP, 9, &ev) == 0);
		for (unsigned k = 0; k < 125; k++) {   /* 2.5 passes */
			T_ASSERT_EQ_U64(sb_prompt_player_next(&pl, &fr, &ev), SB_PROMPT_FRAME);
			T_ASSERT_EQ_U64(fr.index, k % 50);
			if (k % 50 == 0)
				T_ASSERT(fr.data == f0);
			sb_g711_ulaw_decode(out + k * 160, fr.data, 160);
		}
		/* the tone runs on through both wraps: one phase for all 2.5 s */
		snr = tone_snr(out, 0, 125 * 160, 8000);
		snr_wrap = tone_snr(out, 8000 - 400, 8000 + 400, 8000);
		printf("  loop %s: 125 frames, SNR %.1f dB overall, %.1f dB across the wrap\n",
		       id ? "16k->PCMU" : "8k->PCMU", snr, snr_wrap);
		T_ASSERT(snr >= 33);
		T_ASSERT(snr_wrap >= 33);   /* a 20 ms gap here would give ~7 dB */
		T_ASSERT_EQ_U64(sb_prompt_player_stop(&pl, &ev), 1);
		T_ASSERT_EQ_U64(ev.kind, SB_PROMPT_EV_STOPPED);
		T_ASSERT_EQ_U64(ev.frames, 125);
		T_ASSERT_EQ_U64(ev.loops, 2);
		T_ASSERT_EQ_U64(ev.mode, SB_PROMPT_PLAY_LOOP);
		T_ASSERT_EQ_U64(ev.tag, 9);
		T_ASSERT_EQ_U64(sb_prompt_player_stop(&pl, &ev), 0);
		T_ASSERT_EQ_U64(sb_prompt_player_next(&pl, &fr, &ev), SB_PROMPT_IDLE);
	}

	/* stop in the middle of a once-play; restart while playing */
	T_ASSERT(sb_prompt_player_start(&pl, sb_prompt_get(s, 0), SB_PROMPT_PCMU, SB_PROMPT_PLAY_ONCE,
					3, &ev) == 0);
	for (unsigned k = 0; k < 10; k++)
		sb_prompt_player_next(&pl, &fr, &ev);
	T_ASSERT(sb_prompt_player_start(&pl, sb_prompt_get(s, 1), SB_PROMPT_PCMU, SB_PROMPT_PLAY_ONCE,
					4, &ev) == 1);
	T_ASSERT(ev.kind == SB_PROMPT_EV_STOPPED && ev.frames == 10 && ev.prompt_id == 0 && ev.tag == 3);
	/* stop after the last frame went out but before the done tick: DONE */
	for (unsigned k = 0; k < 50; k++)
		T_ASSERT_EQ_U64(sb_prompt_player_next(&pl, &fr, &ev), SB_PROMPT_FRAME);
	T_ASSERT_EQ_U64(sb_prompt_player_stop(&pl, &ev), 1);
	T_ASSERT(ev.kind == SB_PROMPT_EV_DONE && ev.frames == 50 && ev.prompt_id == 1);

	/* unloaded while playing: alive until the player stops */
	p = sb_prompt_get(s, 0);
	T_ASSERT(sb_prompt_player_start(&pl, p, SB_PROMPT_PCMU, SB_PROMPT_PLAY_LOOP, 5, &ev) == 0);
	T_ASSERT(sb_prompt_unload(s, 0) == 0);
	T_ASSERT(sb_prompt_unload(s, 0) == -ENOENT);
	T_ASSERT(sb_prompt_get(s, 0) == NULL);
	T_ASSERT_EQ_U64(sb_prompt_store_count(s), 2);
	T_ASSERT_EQ_U64(sb_prompt_refs(p), 1);
	for (unsigned k = 0; k < 120; k++) {
		T_ASSERT_EQ_U64(sb_prompt_player_next(&pl, &fr, &ev), SB_PROMPT_FRAME);
		T_ASSERT_EQ_U64(fr.index, k % 50);
	}
	/* the store goes away too: the prompt and the store live on */
	sb_prompt_store_free(s);
	for (unsigned k = 0; k < 60; k++)
		T_ASSERT_EQ_U64(sb_prompt_player_next(&pl, &fr, &ev), SB_PROMPT_FRAME);
	T_ASSERT_EQ_U64(sb_prompt_player_stop(&pl, &ev), 1);   /* frees both (ASan: no leak) */
	T_ASSERT_EQ_U64(ev.frames, 180);
}

static void test_shared(void)
{
	enum { N = 1000 };
	static struct sb_prompt_player pl[N];
	struct sb_prompt_store *s = sb_prompt_store_create(
		SB_PROMPT_FMT_BIT(SB_PROMPT_PCMU) | SB_PROMPT_FMT_BIT(SB_PROMPT_PCMA), 2);
	struct sb_prompt_frame fr;
	struct sb_prompt_ev ev;
	struct sb_prompt *p;
	uint64_t bytes;
	size_t len;

	T_ASSERT(s != NULL);
	len = make_tone(SB_WAV_PCM16, 16000, 16000 * 3);   /* 3 s of music on hold */
	T_ASSERT(sb_prompt_load(s, 1, wavbuf, len, NULL) == 0);
	bytes = sb_prompt_store_bytes(s);
	T_ASSERT(bytes >= 2 * 150 * 160 && bytes < 2 * 150 * 160 + 4096);
	p = sb_prompt_get(s, 1);
	for (unsigned i = 0; i < N; i++) {
		sb_prompt_player_init(&pl[i]);
		T_ASSERT(sb_prompt_player_start(&pl[i], sb_prompt_get(s, 1),
						i & 1 ? SB_PROMPT_PCMA : SB_PROMPT_PCMU,
						SB_PROMPT_PLAY_LOOP, i, &ev) == 0);
		for (unsigned k = 0; k < i % 7; k++)   /* players out of step */
			sb_prompt_player_next(&pl[i], &fr, &ev);
	}
	T_ASSERT_EQ_U64(sb_prompt_refs(p), N + 2);
	for (unsigned t = 0; t < 200; t++)
		for (unsigned i = 0; i < N; i++) {
			T_ASSERT_EQ_U64(sb_prompt_player_next(&pl[i], &fr, &ev), SB_PROMPT_FRAME);
			T_ASSERT(fr.data == sb_prompt_frame(p, i & 1 ? SB_PROMPT_PCMA : SB_PROMPT_PCMU,
							    fr.index));
		}
	T_ASSERT_EQ_U64(sb_prompt_store_bytes(s), bytes);
	T_ASSERT_EQ_U64(sb_prompt_store_count(s), 1);
	for (unsigned i = 0; i < N; i++)
		T_ASSERT_EQ_U64(sb_prompt_player_stop(&pl[i], &ev), 1);
	T_ASSERT_EQ_U64(sb_prompt_refs(p), 2);
	sb_prompt_put(p);
	T_ASSERT(sb_prompt_unload(s, 1) == 0);
	T_ASSERT_EQ_U64(sb_prompt_store_bytes(s), 0);
	T_ASSERT_EQ_U64(sb_prompt_store_count(s), 0);
	printf("  %u players on one prompt: %llu bytes before and after, sizeof(player) %zu\n", N,
	       (unsigned long long)bytes, sizeof(struct sb_prompt_player));
	sb_prompt_store_free(s);
}

static void test_conference(void)
{
	struct sb_prompt_store *s = sb_prompt_store_create(SB_PROMPT_FMT_BIT(SB_PROMPT_S16_16K), 1);
	static int16_t o[3][320];
	const int16_t *in[SB_MIX_MAX] = { 0 };
	int16_t *outp[SB_MIX_MAX] = { o[0], o[1], o[2] };
	struct sb_prompt_player pl;
	struct sb_prompt_frame fr;
	struct sb_prompt_ev ev;
	struct sb_mix m;
	size_t len = make_tone(SB_WAV_PCM16, 16000, 16000);

	T_ASSERT(s != NULL && sb_prompt_load(s, 0, wavbuf, len, NULL) == 0);
	sb_mix_init(&m);
	for (unsigned i = 0; i < 3; i++)
		T_ASSERT(sb_mix_set(&m, i, SB_MIX_TALK, 0) == 0);   /* slot 0: the prompt */
	sb_prompt_player_init(&pl);
	T_ASSERT(sb_prompt_player_start(&pl, sb_prompt_get(s, 0), SB_PROMPT_S16_16K, SB_PROMPT_PLAY_ONCE,
					0, &ev) == 0);
	for (unsigned k = 0; k < 50; k++) {
		T_ASSERT_EQ_U64(sb_prompt_player_next(&pl, &fr, &ev), SB_PROMPT_FRAME);
		T_ASSERT(((uintptr_t)fr.data & 1) == 0);
		in[0] = (const int16_t *)(const void *)fr.data;   /* S16: host order, aligned */
		sb_mix_s16(&m, in, outp, 320);
		T_ASSERT(memcmp(o[1], in[0], 640) == 0);   /* the others hear the prompt */
		T_ASSERT(memcmp(o[2], in[0], 640) == 0);
		for (unsigned i = 0; i < 320; i++)         /* mix-minus: not the prompt slot */
			T_ASSERT(o[0][i] == 0);
		memcpy(out + k * 320, o[1], 640);
	}
	T_ASSERT_EQ_U64(sb_prompt_player_next(&pl, &fr, &ev), SB_PROMPT_DONE);
	printf("  conference: prompt heard by the 2 others, SNR %.1f dB\n",
	       tone_snr(out, 80, 16000 - 80, 16000));
	T_ASSERT(tone_snr(out, 80, 16000 - 80, 16000) >= 60);
	sb_prompt_store_free(s);
}

static void test_refused(void)
{
	struct sb_prompt_store *s = sb_prompt_store_create(SB_PROMPT_FMT_BIT(SB_PROMPT_PCMU), 2);
	struct sb_wav w;
	size_t len = make_tone(SB_WAV_PCM16, 8000, 800);
	uint8_t *big;

	T_ASSERT(s != NULL);
	T_ASSERT(sb_prompt_store_create(0, 1) == NULL && errno == EINVAL);
	T_ASSERT(sb_prompt_load(s, 0, wavbuf, len - 1, &w) == -EINVAL && w.err == SB_WAV_E_RIFF_SIZE);
	wavbuf[22] = 0;   /* channels */
	T_ASSERT(sb_prompt_load(s, 0, wavbuf, len, &w) == -EINVAL && w.err == SB_WAV_E_NO_CHANNELS);
	wavbuf[22] = 1;
	wavbuf[20] = 3;   /* float */
	T_ASSERT(sb_prompt_load(s, 0, wavbuf, len, &w) == -ENOTSUP && w.err == SB_WAV_E_FORMAT);
	wavbuf[20] = 1;
	wavbuf[40] = wavbuf[41] = wavbuf[42] = wavbuf[43] = 0xff;   /* huge data */
	T_ASSERT(sb_prompt_load(s, 0, wavbuf, len, &w) == -EINVAL && w.err == SB_WAV_E_CHUNK_SIZE);
	printf("  refused: %s (%s)\n", sb_wav_err_name(w.err), sb_wav_err_desc(w.err));
	len = make_tone(SB_WAV_PCM16, 8000, 800);
	T_ASSERT(sb_prompt_load(s, 2, wavbuf, len, &w) == -EINVAL);        /* id out of range */
	T_ASSERT(sb_prompt_load(s, 0, wavbuf, len, &w) == 0);
	T_ASSERT(sb_prompt_load(s, 0, wavbuf, len, &w) == -EEXIST);
	T_ASSERT(sb_prompt_load_file(s, 1, "/nonexistent/x.wav", &w) == -ENOENT);
	/* 31 minutes of µ-law: longer than SB_PROMPT_MAX_MS */
	{
		uint32_t ns = 31u * 60u * 8000u;
		size_t cap = (size_t)ns + 64;

		uint8_t *zeros = calloc(1, ns);

		big = malloc(cap);
		T_ASSERT(big != NULL && zeros != NULL);
		len = sb_wav_write(big, cap, SB_WAV_ULAW, 8000, zeros, ns);
		T_ASSERT(len > 0);
		T_ASSERT(sb_prompt_load(s, 1, big, len, &w) == -EFBIG);
		free(zeros);
		free(big);
	}
	T_ASSERT_EQ_U64(sb_prompt_store_count(s), 1);
	sb_prompt_store_free(s);
}

/* sox's own tone, written to a file and loaded from it */
static void test_sox(void)
{
	char path[] = "/tmp/sb-prompt-sox-XXXXXX.wav", cmd[256];
	struct sb_prompt_store *s;
	int fd = mkstemps(path, 4);
	struct sb_wav w;

	T_ASSERT(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "sox -n -r 16000 -b 16 -e signed-integer -c 1 %s synth 1 sine 440 vol 0.5 2>/dev/null",
		 path);
	if (system(cmd) != 0) {
		unlink(path);
		printf("  sox not available: its file not played\n");
		return;
	}
	s = sb_prompt_store_create(SB_PROMPT_FMT_ALL, 1);
	T_ASSERT(s != NULL);
	T_ASSERT(sb_prompt_load_file(s, 0, path, &w) == 0);
	unlink(path);
	T_ASSERT(w.rate == 16000 && w.n_samples == 16000);
	check_tone(s, 0, "sox16", 1.0, 50, false);
	sb_prompt_store_free(s);
}

int main(void)
{
	printf("prompt: formats\n");
	test_formats();
	printf("prompt: loop, stop, done, unload while playing\n");
	test_loop_stop();
	printf("prompt: shared\n");
	test_shared();
	printf("prompt: conference\n");
	test_conference();
	printf("prompt: refused files\n");
	test_refused();
	printf("prompt: sox\n");
	test_sox();
	printf("prompt: ok\n");
	return 0;
}
