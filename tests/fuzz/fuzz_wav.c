/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for media/wav.c and the prompt load behind it
 * (media/prompt.c): a WAV file as an operator would upload it.
 *
 * Every input goes through sb_wav_parse(); a refusal must name a known
 * reason and an offset inside the file; an acceptance must describe data
 * inside the buffer.  Accepted files of up to 1 s are also loaded into a
 * store keeping PCMU and 16 kHz linear (decode, resample, encode) and
 * played once to the end: the frame count must match the duration and
 * the done event must follow.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "sb/prompt.h"
#include "sb/wav.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sb_prompt_store *s;
	struct sb_prompt_player pl;
	struct sb_prompt_frame fr;
	struct sb_prompt_ev ev;
	struct sb_prompt *p;
	struct sb_wav w;
	uint32_t frames = 0, want;
	int rc, r;

	rc = sb_wav_parse(data, size, &w);
	if (rc < 0) {
		if ((rc != -EINVAL && rc != -ENOTSUP) || w.err == SB_WAV_E_OK ||
		    sb_wav_err_name(w.err) == NULL || w.err_off > size)
			abort();
		return 0;
	}
	if (w.err != SB_WAV_E_OK || w.data < data || w.data_len > size ||
	    (size_t)(w.data - data) > size - w.data_len || w.n_samples == 0 ||
	    w.n_samples * (w.bits / 8u) != w.data_len)
		abort();
	if (w.n_samples > w.rate)
		return 0;   /* long files only cost time: the parser has been checked */

	if (s == NULL)
		s = sb_prompt_store_create(SB_PROMPT_FMT_BIT(SB_PROMPT_PCMU) |
					   SB_PROMPT_FMT_BIT(SB_PROMPT_S16_16K), 1);
	if (s == NULL || sb_prompt_load(s, 0, data, size, NULL) != 0)
		abort();
	want = (uint32_t)(((uint64_t)w.n_samples * 50 + w.rate - 1) / w.rate);
	p = sb_prompt_get(s, 0);
	if (p == NULL || sb_prompt_frames(p) != want)
		abort();
	sb_prompt_player_init(&pl);
	if (sb_prompt_player_start(&pl, p, w.n_samples & 1 ? SB_PROMPT_PCMU : SB_PROMPT_S16_16K,
				   SB_PROMPT_PLAY_ONCE, 1, &ev) != 0)
		abort();
	sb_prompt_unload(s, 0);   /* the player keeps it alive */
	while ((r = sb_prompt_player_next(&pl, &fr, &ev)) == SB_PROMPT_FRAME) {
		volatile uint8_t sink = fr.data[fr.len - 1];

		(void)sink;
		frames++;
	}
	if (r != SB_PROMPT_DONE || frames != want || ev.frames != want ||
	    sb_prompt_store_count(s) != 0)
		abort();
	return 0;
}
