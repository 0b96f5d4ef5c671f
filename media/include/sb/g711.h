/* SPDX-License-Identifier: MIT */
/*
 * sb/g711.h — G.711 µ-law and A-law (ITU-T G.711), table-driven.
 *
 * Linear samples are 16-bit signed PCM.  Encoding ignores the bits below
 * the law's resolution (2 for µ-law's 14 bits, 4 for A-law's 12-bit magnitude), exactly
 * as the ITU reference does, so the encoder is one table look-up indexed
 * by the top bits; decoding is a 256-entry table.  Codes are as they go on
 * the wire (µ-law inverted, A-law with even bits toggled).  The tables
 * are built once at load (a constructor) and only read afterwards; no
 * call allocates, locks or logs.  tests/media/g711_t.c checks all 256
 * codes and all 65536 inputs against the reference algorithm.
 */
#ifndef SB_G711_H
#define SB_G711_H

#include <stdint.h>

extern int16_t sb_g711_ulaw_dec_tab[256];
extern int16_t sb_g711_alaw_dec_tab[256];
extern uint8_t sb_g711_ulaw_enc_tab[1 << 14]; /* by (uint16_t)x >> 2 */
extern uint8_t sb_g711_alaw_enc_tab[1 << 12]; /* by (uint16_t)x >> 4 */

static inline uint8_t sb_g711_ulaw_enc1(int16_t x) { return sb_g711_ulaw_enc_tab[(uint16_t)x >> 2]; }
static inline uint8_t sb_g711_alaw_enc1(int16_t x) { return sb_g711_alaw_enc_tab[(uint16_t)x >> 4]; }
static inline int16_t sb_g711_ulaw_dec1(uint8_t c) { return sb_g711_ulaw_dec_tab[c]; }
static inline int16_t sb_g711_alaw_dec1(uint8_t c) { return sb_g711_alaw_dec_tab[c]; }

/* Whole frames (n samples / bytes); in and out may not overlap. */
void sb_g711_ulaw_encode(uint8_t *out, const int16_t *in, unsigned n);
void sb_g711_alaw_encode(uint8_t *out, const int16_t *in, unsigned n);
void sb_g711_ulaw_decode(int16_t *out, const uint8_t *in, unsigned n);
void sb_g711_alaw_decode(int16_t *out, const uint8_t *in, unsigned n);
/* µ-law <-> A-law through linear (what a PCMU leg bridged to PCMA needs). */
void sb_g711_ulaw_to_alaw(uint8_t *out, const uint8_t *in, unsigned n);
void sb_g711_alaw_to_ulaw(uint8_t *out, const uint8_t *in, unsigned n);

#endif
