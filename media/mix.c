/* SPDX-License-Identifier: MIT */
/*
 * mix.c — the conference model (modes -> who hears whom, as bit masks)
 * and the plain C mixing routine that is the reference for the SIMD ones
 * in mix_simd.c.  See sb/mix.h.
 */
#include <errno.h>
#include <string.h>

#include "mix_priv.h"

void sb_mix_init(struct sb_mix *m)
{
	memset(m, 0, sizeof(*m));
}

/* Rebuild the masks from mode[] and target[]: the routines read only the
 * masks, so a mode change is one call between frames. */
static void mix_rebuild(struct sb_mix *m)
{
	m->talk = m->on = 0;
	memset(m->whisper_to, 0, sizeof(m->whisper_to));
	m->n = 0;
	for (unsigned i = 0; i < SB_MIX_MAX; i++) {
		if (m->mode[i] == SB_MIX_OFF)
			continue;
		m->on |= 1ull << i;
		m->n = (uint8_t)(i + 1);
		if (m->mode[i] == SB_MIX_TALK)
			m->talk |= 1ull << i;
		else if (m->mode[i] == SB_MIX_WHISPER)
			m->whisper_to[m->target[i]] |= 1ull << i;
	}
}

int sb_mix_set(struct sb_mix *m, unsigned i, enum sb_mix_mode mode, unsigned target)
{
	if (i >= SB_MIX_MAX || (unsigned)mode > SB_MIX_WHISPER)
		return -EINVAL;
	if (mode == SB_MIX_WHISPER && (target >= SB_MIX_MAX || target == i))
		return -EINVAL;
	m->mode[i] = (uint8_t)mode;
	m->target[i] = mode == SB_MIX_WHISPER ? (uint8_t)target : 0;
	mix_rebuild(m);
	return 0;
}

int sb_mix_supervise(struct sb_mix *m, unsigned caller, unsigned agent, unsigned supervisor,
		     enum sb_mix_sup sup)
{
	enum sb_mix_mode sm;

	if (caller >= SB_MIX_MAX || agent >= SB_MIX_MAX || supervisor >= SB_MIX_MAX ||
	    caller == agent || caller == supervisor || agent == supervisor)
		return -EINVAL;
	switch (sup) {
	case SB_MIX_SUP_LISTEN:  sm = SB_MIX_LISTEN; break;
	case SB_MIX_SUP_WHISPER: sm = SB_MIX_WHISPER; break;
	case SB_MIX_SUP_BARGE:   sm = SB_MIX_TALK; break;
	default: return -EINVAL;
	}
	m->mode[caller] = SB_MIX_TALK;
	m->mode[agent] = SB_MIX_TALK;
	m->mode[supervisor] = (uint8_t)sm;
	m->target[caller] = m->target[agent] = 0;
	m->target[supervisor] = sm == SB_MIX_WHISPER ? (uint8_t)agent : 0;
	mix_rebuild(m);
	return 0;
}

bool sb_mix_hears(const struct sb_mix *m, unsigned j, unsigned i)
{
	if (i >= SB_MIX_MAX || j >= SB_MIX_MAX || i == j || m->mode[j] == SB_MIX_OFF)
		return false;
	switch (m->mode[i]) {
	case SB_MIX_TALK:    return true;
	case SB_MIX_WHISPER: return m->target[i] == j;
	default:             return false;
	}
}

/* Reference: per output sample, the exact 32-bit sum of what j hears,
 * saturated once.  Straightforward on purpose. */
void sb_mix_s16_c(const struct sb_mix *m, const int16_t *const *in, int16_t *const *out,
		    unsigned ns)
{
	uint64_t present = 0;

	for (unsigned i = 0; i < m->n; i++)
		if (in[i] != NULL)
			present |= 1ull << i;
	for (unsigned j = 0; j < m->n; j++) {
		uint64_t heard;

		if (!(m->on >> j & 1) || out[j] == NULL)
			continue;
		heard = ((m->talk & ~(1ull << j)) | m->whisper_to[j]) & present;
		for (unsigned s = 0; s < ns; s++) {
			int32_t acc = 0;

			for (uint64_t b = heard; b; b &= b - 1)
				acc += in[__builtin_ctzll(b)][s];
			out[j][s] = sb_mix_sat16(acc);
		}
	}
}

static sb_mix_fn *mix_best = sb_mix_s16_c;
static const char *mix_best_name = "c";

static struct sb_mix_impl mix_impl_tab[] = {
	{ "c", sb_mix_s16_c, true },
#if SB_MIX_HAVE_X86
	{ "sse2", sb_mix_s16_sse2, false },
	{ "avx2", sb_mix_s16_avx2, false },
#endif
};

/* Once at load: the fastest variant this CPU runs (rtpengine picks its
 * mixer the same way). */
__attribute__((constructor)) static void mix_select(void)
{
#if SB_MIX_HAVE_X86
	__builtin_cpu_init();
	mix_impl_tab[1].supported = __builtin_cpu_supports("sse2");
	mix_impl_tab[2].supported = __builtin_cpu_supports("avx2");
#endif
	for (unsigned i = 0; i < sizeof(mix_impl_tab) / sizeof(mix_impl_tab[0]); i++)
		if (mix_impl_tab[i].supported) {
			mix_best = mix_impl_tab[i].fn;
			mix_best_name = mix_impl_tab[i].name;
		}
}

void sb_mix_s16(const struct sb_mix *m, const int16_t *const *in, int16_t *const *out,
		  unsigned ns)
{
	mix_best(m, in, out, ns);
}

const struct sb_mix_impl *sb_mix_impls(unsigned *n)
{
	*n = sizeof(mix_impl_tab) / sizeof(mix_impl_tab[0]);
	return mix_impl_tab;
}

const char *sb_mix_impl_name(void)
{
	return mix_best_name;
}
