/* SPDX-License-Identifier: MIT */
/*
 * dp_media_prompt — prompts on a real worker, programmed through its
 * command ring, with the loader thread of struct sb_dpm_shared:
 *   1. PROMPT_LOAD of a WAV file (PCM16 8 kHz, 1.01 s: 51 frames) is
 *      answered by the loader (result 0; a missing file -ENOENT, a
 *      relative path -EINVAL);
 *   2. PROMPT_PLAY to a PCMU leg that is relaying audio: the leg sends the
 *      prompt's 51 frames as the exact G.711 payloads of the file, in its
 *      own stream (same SSRC, sequence continuous through relayed audio,
 *      prompt and relayed audio again, prompt timestamps +160 a frame),
 *      the relayed audio is held back while it plays, and
 *      SB_EVT_PROMPT_DONE (DONE, 51 frames) follows;
 *   3. LOOP wraps with no gap until PROMPT_STOP (STOPPED, frames counted);
 *      another PLAY stops the playing one; LEG_DEL stops it too;
 *   4. the timer ticks and packets of (2) allocate nothing (malloc
 *      counted, tests/media/alloc_count.h).
 * Exit 0 pass, 1 fail, 77 skip.
 */
#include <math.h>

#include "sb/g711.h"
#include "sb/wav.h"

#include "../media/alloc_count.h"
#include "dpm_harness.h"

#define PA H_IP(20)
#define PB H_IP(21)
#define A 0u
#define B 1u
#define PORT_A (H_PORT_MIN + 0)
#define PORT_B (H_PORT_MIN + 2)
#define N_SAMPLES 8080u /* 1.01 s: 51 frames, the last one padded */
#define N_FRAMES 51u

static uint64_t now;
static int16_t pcm[N_FRAMES * 160];
static uint16_t seq_b = 40;
static uint32_t ts_b = 99;

/* B's audio (all 0x33), not a prompt frame */
static int is_relayed(const struct h_pkt *p)
{
	for (unsigned i = 12; i < p->len; i++)
		if (p->b[i] != 0x33)
			return 0;
	return 1;
}

static void tick(void)
{
	sb_dpm_timer(H.w, now);
}

static void audio_b(void)
{
	uint8_t b[200], pl[160];

	memset(pl, 0x33, sizeof(pl));
	h_feed(h_udp(PB, 5000, PORT_B, b, h_rtp(b, 0, seq_b++, ts_b, 0xb0b0b0b0u, pl, 160)), now);
	ts_b += 160;
}

static int32_t prompt_cmd(uint16_t type, uint32_t leg, uint32_t prompt, uint32_t flags)
{
	union sb_msg m;

	memset(&m, 0, sizeof(m));
	m.prompt.h.type = type;
	m.prompt.h.leg = leg;
	m.prompt.h.leg_gen = 1;
	m.prompt.prompt = prompt;
	m.prompt.flags = flags;
	return h_cmd(&m);
}

static int32_t load(uint32_t prompt, const char *path)
{
	union sb_msg m;

	memset(&m, 0, sizeof(m));
	m.prompt_load.h.type = SB_CMD_PROMPT_LOAD;
	m.prompt_load.h.leg = SB_LEG_NONE;
	m.prompt_load.prompt = prompt;
	snprintf(m.prompt_load.path, sizeof(m.prompt_load.path), "%s", path);
	return h_cmd(&m);
}

/* Drive t ms (5 ms timer steps, B's audio every 20 ms); capture A's output. */
static unsigned run(unsigned ms, struct h_pkt *cap, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < ms / 5; i++) {
		now += h_ms(5);
		tick();
		if (i % 4 == 3)
			audio_b();
		n += h_take(&cap[n], max - n);
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

int main(int argc, char **argv)
{
	static uint8_t wav[44 + 2 * N_SAMPLES];
	static struct h_pkt cap[600];
	char path[128];
	uint8_t expect[N_FRAMES][160];
	unsigned n, first = 0, frames = 0, evs;
	const struct sb_evt_prompt *pe;
	size_t wl;
	FILE *f;
	int rc;

	(void)argc;
	(void)argv;
	/* the prompt: a 440 Hz tone whose amplitude ramps, so frames differ */
	for (unsigned i = 0; i < N_SAMPLES; i++)
		pcm[i] = (int16_t)lrint((2000.0 + i) * sin(2 * M_PI * 440.0 * i / 8000.0));
	for (unsigned k = 0; k < N_FRAMES; k++)
		sb_g711_ulaw_encode(expect[k], &pcm[k * 160], 160); /* tail: zeros */
	wl = sb_wav_write(wav, sizeof(wav), SB_WAV_PCM16, 8000, pcm, N_SAMPLES);
	T_ASSERT(wl == sizeof(wav));
	snprintf(path, sizeof(path), "/tmp/md-prompt-%d.wav", (int)getpid());
	f = fopen(path, "wb");
	T_ASSERT(f != NULL && fwrite(wav, 1, wl, f) == wl && fclose(f) == 0);

	rc = h_init("prompt", 4, 1);
	if (rc != 0) {
		unlink(path);
		return rc;
	}
	now = rte_rdtsc();
	T_ASSERT_EQ_U64(load(3, path), 0);
	T_ASSERT_EQ_U64(load(4, "/nonexistent/x.wav"), -ENOENT);
	T_ASSERT_EQ_U64(load(4, "relative.wav"), -EINVAL);
	T_ASSERT_EQ_U64(load(8, path), -EINVAL); /* id >= --prompts */
	T_ASSERT_EQ_U64(load(3, path), 0);       /* replace */
	unlink(path);

	h_leg_add(A, PA, 4000, PORT_A, 0);
	h_leg_add(B, PB, 5000, PORT_B, 0);
	h_connect(A, B);
	h_arp(PA, now);
	h_arp(PB, now);
	T_ASSERT_EQ_U64(prompt_cmd(SB_CMD_PROMPT_PLAY, A, 3, 0), -ENOTSUP); /* no codec yet */
	{
		union sb_msg m;

		h_media_init(&m, A);
		m.media.codec = SB_DP_CODEC_PCMU;
		m.media.pt = 0;
		T_ASSERT_EQ_U64(h_cmd(&m), 0);
	}
	T_ASSERT_EQ_U64(prompt_cmd(SB_CMD_PROMPT_PLAY, A, 5, 0), -ENOENT);

	/* 2: relayed, prompt, relayed */
	n = run(200, cap, 600);
	T_ASSERT_EQ_U64(n, 10);
	tick();
	T_ASSERT_EQ_U64(prompt_cmd(SB_CMD_PROMPT_PLAY, A, 3, 0), 0);
	sb_alloc_counting = 1;
	n += run(1400, &cap[n], 600 - n);
	sb_alloc_counting = 0;
#ifndef SB_ASAN
	T_ASSERT_EQ_U64(sb_allocs, 0);
#endif
	for (unsigned i = 0; i < n; i++) {
		T_ASSERT(cap[i].dst_ip == PA && cap[i].dport == 4000 && cap[i].len == 172);
		T_ASSERT_EQ_U64(sb_be32(cap[i].b + 8), sb_be32(cap[0].b + 8));
		if (i > 0)
			T_ASSERT_EQ_U64(sb_be16(cap[i].b + 2), (uint16_t)(sb_be16(cap[i - 1].b + 2) + 1));
		if (!is_relayed(&cap[i])) { /* a prompt frame */
			if (frames == 0) {
				first = i;
				T_ASSERT(cap[i].b[1] & 0x80); /* marker: a new talk spurt */
			} else {
				T_ASSERT_EQ_U64(sb_be32(cap[i].b + 4), sb_be32(cap[first].b + 4) + 160 * frames);
			}
			T_ASSERT(frames < N_FRAMES);
			T_ASSERT(memcmp(cap[i].b + 12, expect[frames], 160) == 0);
			T_ASSERT_EQ_U64(i, first + frames); /* no relayed packet in between */
			frames++;
		}
	}
	T_ASSERT_EQ_U64(frames, N_FRAMES);
	T_ASSERT(n > first + N_FRAMES + 5); /* relaying resumed */
	T_ASSERT((int32_t)(sb_be32(cap[first + N_FRAMES].b + 4) - sb_be32(cap[first + N_FRAMES - 1].b + 4)) >= 160);
	pe = last_prompt_ev(A);
	T_ASSERT(pe != NULL);
	T_ASSERT_EQ_U64(pe->reason, SB_PROMPT_END_DONE);
	T_ASSERT_EQ_U64(pe->frames, N_FRAMES);
	T_ASSERT_EQ_U64(pe->prompt, 3);
	printf("play: %u frames exact, one stream, done event\n", frames);

	/* 3: loop, stop; play over play; LEG_DEL */
	tick();
	T_ASSERT_EQ_U64(prompt_cmd(SB_CMD_PROMPT_PLAY, A, 3, SB_PROMPT_LOOP), 0);
	n = run(1500, cap, 600);
	T_ASSERT(n >= 74 && n <= 76); /* 1.5 s of frames, no relayed audio */
	for (unsigned i = 0; i < n; i++)
		T_ASSERT(memcmp(cap[i].b + 12, expect[i % N_FRAMES], 160) == 0);
	evs = H.n_ev;
	T_ASSERT_EQ_U64(prompt_cmd(SB_CMD_PROMPT_STOP, A, 3, 0), 0);
	pe = last_prompt_ev(A);
	T_ASSERT(pe != NULL && H.n_ev == evs + 1);
	T_ASSERT_EQ_U64(pe->reason, SB_PROMPT_END_STOPPED);
	T_ASSERT_EQ_U64(pe->frames, n);
	T_ASSERT_EQ_U64(prompt_cmd(SB_CMD_PROMPT_STOP, A, 3, 0), 0); /* nothing plays: still 0 */
	n = run(100, cap, 600);
	T_ASSERT(n == 5 && is_relayed(&cap[0])); /* relayed again */

	T_ASSERT_EQ_U64(prompt_cmd(SB_CMD_PROMPT_PLAY, A, 3, SB_PROMPT_LOOP), 0);
	run(100, cap, 600);
	evs = H.n_ev;
	T_ASSERT_EQ_U64(prompt_cmd(SB_CMD_PROMPT_PLAY, A, 3, 0), 0);
	pe = last_prompt_ev(A);
	T_ASSERT(pe != NULL && H.n_ev == evs + 1 && pe->reason == SB_PROMPT_END_STOPPED);
	run(100, cap, 600);
	evs = H.n_ev;
	h_leg_del(A);
	pe = last_prompt_ev(A);
	T_ASSERT(pe != NULL && H.n_ev == evs + 1 && pe->reason == SB_PROMPT_END_STOPPED);
	T_ASSERT_EQ_U64(sb_prompt_store_count(sb_dpm_shared_store(H.sh)), 1);
	h_fini();
	printf("dp_media_prompt: ok\n");
	return 0;
}
