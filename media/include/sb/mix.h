/* SPDX-License-Identifier: MIT */
/*
 * sb/mix.h — N-party mixing with mix-minus, per-participant modes, and
 * supervision (listen / whisper / barge) expressed as those modes.
 *
 * A conference is a struct sb_mix the worker keeps per conference
 * (preallocated, plain data, 664 bytes).  Participants are slots
 * 0..SB_MIX_MAX-1; each has a mode:
 *   OFF      not in the conference: heard by nobody, gets no output
 *   TALK     heard by every other participant (not by itself)
 *   LISTEN   heard by nobody (listen-only)
 *   WHISPER  heard by one chosen participant only (its target)
 * and, whatever its mode, hears every TALK participant except itself plus
 * whatever is whispered to it.  Output of participant j, per sample:
 *   out_j = sat16( sum_{i TALK, i != j} x_i + sum_{i WHISPER to j} x_i )
 * The sum is exact in 32 bits (64 x 32768 < 2^31) and saturated once, at
 * the end, so clipping never depends on the order of the parties.
 *
 * Supervision of a call (caller and agent TALK):
 *   listen   supervisor LISTEN: hears both, nobody hears them
 *   whisper  supervisor WHISPER to the agent: the agent hears them, the
 *            caller does not
 *   barge    supervisor TALK: everyone hears everyone
 * Switching is one sb_mix_set() between two frames.
 *
 * Routines: sb_mix_s16_c() is the plain C reference; SIMD variants
 * (SSE2, AVX2 on x86-64) compute exactly the same samples and are tested
 * against it on random input (tests/media/mix_t.c).  sb_mix_s16() calls
 * the best one for this CPU, chosen once at load.  None allocates, locks
 * or logs; they read the conference, never write it.
 */
#ifndef SB_MIX_H
#define SB_MIX_H

#include <stdbool.h>
#include <stdint.h>

#define SB_MIX_MAX 64          /* participants per conference */

enum sb_mix_mode {
	SB_MIX_OFF = 0,
	SB_MIX_TALK = 1,
	SB_MIX_LISTEN = 2,
	SB_MIX_WHISPER = 3,
};

enum sb_mix_sup { SB_MIX_SUP_LISTEN = 1, SB_MIX_SUP_WHISPER = 2, SB_MIX_SUP_BARGE = 3 };

struct sb_mix {
	uint64_t talk;                    /* bit i: participant i TALKs */
	uint64_t on;                      /* bit i: participant i is not OFF */
	uint64_t whisper_to[SB_MIX_MAX];  /* bit i of [j]: i whispers to j */
	uint8_t  mode[SB_MIX_MAX];
	uint8_t  target[SB_MIX_MAX];      /* WHISPER: who hears it */
	uint8_t  n;                       /* 1 + highest slot not OFF */
};

void sb_mix_init(struct sb_mix *m);   /* every slot OFF */
/* Set slot i's mode; target is the listener for WHISPER (ignored
 * otherwise).  -EINVAL: i or target >= SB_MIX_MAX, target == i, unknown
 * mode. */
int sb_mix_set(struct sb_mix *m, unsigned i, enum sb_mix_mode mode, unsigned target);
/* Caller and agent TALK, supervisor per sup.  -EINVAL as above, or two
 * equal slots. */
int sb_mix_supervise(struct sb_mix *m, unsigned caller, unsigned agent, unsigned supervisor,
		     enum sb_mix_sup sup);
/* Does j hear i?  (The rule above, one pair at a time: what the tests use
 * to say "who hears what".) */
bool sb_mix_hears(const struct sb_mix *m, unsigned j, unsigned i);

/* Mix one frame of ns samples.  in[i]: participant i's decoded frame, or
 * NULL for silence (no packet this frame); only slots < m->n are read.
 * out[j]: where j's frame goes, or NULL when j needs none; an OFF slot's
 * out is not written.  out buffers must not overlap any in buffer. */
typedef void sb_mix_fn(const struct sb_mix *m, const int16_t *const *in, int16_t *const *out,
		       unsigned ns);

sb_mix_fn sb_mix_s16_c;      /* reference */
void sb_mix_s16(const struct sb_mix *m, const int16_t *const *in, int16_t *const *out,
		  unsigned ns);   /* the selected variant */

struct sb_mix_impl {
	const char *name;        /* "c", "sse2", "avx2" */
	sb_mix_fn *fn;
	bool supported;          /* this CPU runs it */
};
/* Every variant compiled in, reference first; *n set to their number. */
const struct sb_mix_impl *sb_mix_impls(unsigned *n);
const char *sb_mix_impl_name(void);  /* the one sb_mix_s16() uses */

#endif
