/* SPDX-License-Identifier: MIT */
/*
 * prompt_alloc_t — the fast-path contract of sb/prompt.h: once a prompt is
 * loaded, starting players on it (with a reference the caller took),
 * stepping them frame by frame (once and looped, every format), their done
 * events and stops allocate nothing.  The C library's malloc/calloc/
 * realloc/aligned_alloc are interposed and counted while they run (not
 * under ASan, which owns malloc: skip, 77).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb/prompt.h"
#include "test.h"
#include "alloc_count.h"

#ifdef SB_ASAN
int main(void)
{
	printf("prompt_alloc: skipped under ASan (it owns malloc)\n");
	return T_SKIP;
}
#else
int main(void)
{
	enum { N = 64 };
	static int16_t pcm[16000];
	static uint8_t wav[sizeof(pcm) + 64];
	static struct sb_prompt_player pl[N];
	struct sb_prompt_store *s = sb_prompt_store_create(SB_PROMPT_FMT_ALL, 1);
	struct sb_prompt *p[N];
	struct sb_prompt_frame fr;
	struct sb_prompt_ev ev;
	unsigned long frames = 0, dones = 0;
	size_t len;

	T_ASSERT(s != NULL);
	for (unsigned i = 0; i < 16000; i++)
		pcm[i] = (int16_t)((i * 131) % 20000 - 10000);
	len = sb_wav_write(wav, sizeof(wav), SB_WAV_PCM16, 16000, pcm, 16000);
	T_ASSERT(len > 0 && sb_prompt_load(s, 0, wav, len, NULL) == 0);
	for (unsigned i = 0; i < N; i++) {
		p[i] = sb_prompt_get(s, 0);   /* the command path: a lock, no allocation */
		sb_prompt_player_init(&pl[i]);
	}

	sb_alloc_counting = 1;
	for (unsigned i = 0; i < N; i++)
		T_ASSERT(sb_prompt_player_start(&pl[i], p[i], i % SB_PROMPT_FMT_N,
						i & 8 ? SB_PROMPT_PLAY_LOOP : SB_PROMPT_PLAY_ONCE, i, &ev) == 0);
	for (unsigned t = 0; t < 120; t++)
		for (unsigned i = 0; i < N; i++) {
			int r = sb_prompt_player_next(&pl[i], &fr, &ev);

			frames += r == SB_PROMPT_FRAME;
			dones += r == SB_PROMPT_DONE;
		}
	for (unsigned i = 0; i < N; i++)
		sb_prompt_player_stop(&pl[i], &ev);
	sb_alloc_counting = 0;

	T_ASSERT_EQ_U64(dones, N / 2);
	T_ASSERT_EQ_U64(frames, N / 2 * 50 + N / 2 * 120);
	T_ASSERT_EQ_U64(sb_allocs, 0);
	printf("prompt_alloc: 0 allocations over %lu frames, %lu done events\n", frames, dones);
	sb_prompt_store_free(s);
	return 0;
}
#endif
