/* SPDX-License-Identifier: MIT */
/*
 * g711.c — G.711 tables (sb/g711.h).  The tables are filled once by a
 * constructor from the segment arithmetic of G.711 tables 1a/2a; the test
 * checks them against the ITU-T G.191 STL reference (g711.c) sample by
 * sample.  Like the STL, negative inputs take the one's complement before
 * the shift (so -1..-4 encode as µ-law 0x7F, "negative zero").
 */
#include "sb/g711.h"

int16_t sb_g711_ulaw_dec_tab[256];
int16_t sb_g711_alaw_dec_tab[256];
uint8_t sb_g711_ulaw_enc_tab[1 << 14];
uint8_t sb_g711_alaw_enc_tab[1 << 12];

static unsigned bitlen(unsigned v)
{
	return v ? 32u - (unsigned)__builtin_clz(v) : 0;
}

__attribute__((constructor)) static void g711_tables_build(void)
{
	for (unsigned c = 0; c < 256; c++) {
		unsigned u = ~c & 0xff, e = (u >> 4) & 7, m = u & 0xf;
		int mag = (int)(((m << 3) + 132) << e) - 132;
		unsigned a = c ^ 0x55, ae = (a >> 4) & 7, am = a & 0xf;
		int amag = ae == 0 ? (int)(am << 4) + 8 : (int)(((am << 4) + 0x108) << (ae - 1));

		sb_g711_ulaw_dec_tab[c] = (int16_t)((c & 0x80) ? mag : -mag);
		sb_g711_alaw_dec_tab[c] = (int16_t)((c & 0x80) ? amag : -amag);
	}
	/* µ-law: 14-bit input, magnitude biased by 33, clipped to 13 bits */
	for (unsigned i = 0; i < (1u << 14); i++) {
		int x = (int16_t)(uint16_t)(i << 2) >> 2;   /* sign-extended 14 bit */
		unsigned mag = (unsigned)(x < 0 ? ~x : x) + 33, e, m;

		if (mag > 0x1fff)
			mag = 0x1fff;
		e = bitlen(mag >> 6);
		m = (mag >> (e + 1)) & 0xf;
		sb_g711_ulaw_enc_tab[i] = (uint8_t)((((e << 4) | m) ^ 0x7f) | (x >= 0 ? 0x80 : 0));
	}
	/* A-law: 12-bit magnitude, linear below 32, then 4 mantissa bits */
	for (unsigned i = 0; i < (1u << 12); i++) {
		int x = (int16_t)(uint16_t)(i << 4) >> 4;   /* sign-extended 12 bit */
		unsigned mag = (unsigned)(x < 0 ? ~x : x), code;

		if (mag < 32) {
			code = mag;
		} else {
			unsigned e = bitlen(mag) - 4;

			code = e << 4 | ((mag >> (e - 1)) & 0xf);
		}
		sb_g711_alaw_enc_tab[i] = (uint8_t)((code | (x >= 0 ? 0x80 : 0)) ^ 0x55);
	}
}

void sb_g711_ulaw_encode(uint8_t *out, const int16_t *in, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = sb_g711_ulaw_enc1(in[i]);
}

void sb_g711_alaw_encode(uint8_t *out, const int16_t *in, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = sb_g711_alaw_enc1(in[i]);
}

void sb_g711_ulaw_decode(int16_t *out, const uint8_t *in, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = sb_g711_ulaw_dec1(in[i]);
}

void sb_g711_alaw_decode(int16_t *out, const uint8_t *in, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = sb_g711_alaw_dec1(in[i]);
}

void sb_g711_ulaw_to_alaw(uint8_t *out, const uint8_t *in, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = sb_g711_alaw_enc1(sb_g711_ulaw_dec1(in[i]));
}

void sb_g711_alaw_to_ulaw(uint8_t *out, const uint8_t *in, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = sb_g711_ulaw_enc1(sb_g711_alaw_dec1(in[i]));
}
