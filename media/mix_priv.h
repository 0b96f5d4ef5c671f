/* SPDX-License-Identifier: MIT */
/* mix_priv.h — what mix.c and mix_simd.c share (not installed). */
#ifndef SB_MIX_PRIV_H
#define SB_MIX_PRIV_H

#include "sb/mix.h"

#if defined(__x86_64__)
#define SB_MIX_HAVE_X86 1
#else
#define SB_MIX_HAVE_X86 0
#endif

static inline int16_t sb_mix_sat16(int32_t v)
{
	return (int16_t)(v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : v);
}

#if SB_MIX_HAVE_X86
sb_mix_fn sb_mix_s16_sse2;
sb_mix_fn sb_mix_s16_avx2;
#endif

#endif
