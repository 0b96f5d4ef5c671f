/* SPDX-License-Identifier: MIT */
/*
 * sb/wav.h — a bounded RIFF/WAVE parser for prompt files (untrusted input:
 * an operator's upload).  It reads a file already in memory, never copies
 * the audio and never reads at or past buf + len.
 *
 * Accepted: mono PCM16 (format 1) at 8, 16 or 48 kHz; G.711 A-law (6) and
 * µ-law (7), 8 bits, 8 kHz; the same three inside WAVE_FORMAT_EXTENSIBLE
 * (0xFFFE, the sub-format GUID names them).  Chunks other than "fmt " and
 * "data" (LIST, fact, cue, bext, ...) are skipped; a chunk of odd size is
 * followed by one pad byte (a missing pad at the very end is tolerated).
 * Every size is checked against what is left of the file (and of the RIFF
 * size, which may be shorter than the file: trailing bytes are ignored).
 *
 * Refusals return -EINVAL (malformed) or -ENOTSUP (well formed, but a
 * format we do not play) and set w->err to the reason and w->err_off to
 * the byte offset where it was found; sb_wav_err_desc() says it in words.
 */
#ifndef SB_WAV_H
#define SB_WAV_H

#include <stddef.h>
#include <stdint.h>

enum sb_wav_fmt {
	SB_WAV_PCM16 = 1,  /* WAVE_FORMAT_PCM, 16 bits little-endian */
	SB_WAV_ALAW = 6,   /* WAVE_FORMAT_ALAW */
	SB_WAV_ULAW = 7,   /* WAVE_FORMAT_MULAW */
};

#define SB_WAV_ERRS(_)                                                            \
	_(OK,          "no error")                                                \
	_(SHORT,       "shorter than a RIFF/WAVE header (12 bytes)")             \
	_(NOT_RIFF,    "no RIFF magic")                                           \
	_(NOT_WAVE,    "RIFF form type is not WAVE")                              \
	_(RIFF_SIZE,   "RIFF size runs past the end of the file")                 \
	_(CHUNK_HDR,   "chunk header cut off by the end of the file")             \
	_(CHUNK_SIZE,  "chunk size runs past the end of the file")                \
	_(DUP_CHUNK,   "second fmt or data chunk")                                \
	_(NO_FMT,      "no fmt chunk")                                            \
	_(NO_DATA,     "no data chunk")                                           \
	_(FMT_SIZE,    "fmt chunk too short for its format")                      \
	_(FORMAT,      "audio format is not PCM, A-law or mu-law")                \
	_(EXT_GUID,    "extensible sub-format GUID is not PCM, A-law or mu-law")  \
	_(NO_CHANNELS, "zero channels")                                           \
	_(CHANNELS,    "not mono")                                                \
	_(RATE,        "sample rate not 8000, 16000 or 48000 (G.711: 8000)")      \
	_(BITS,        "bits per sample not 16 (PCM) or 8 (G.711)")              \
	_(BLOCK_ALIGN, "block align does not match channels x bits")              \
	_(BYTE_RATE,   "byte rate does not match rate x block align")             \
	_(DATA_ALIGN,  "data size not a whole number of samples")                 \
	_(EMPTY,       "data chunk holds no samples")

enum sb_wav_err {
#define _(n, d) SB_WAV_E_##n,
	SB_WAV_ERRS(_)
#undef _
	SB_WAV_E_N
};

struct sb_wav {
	uint16_t format;       /* enum sb_wav_fmt (the sub-format when extensible) */
	uint16_t bits;         /* 16 or 8 */
	uint32_t rate;         /* Hz */
	uint32_t n_samples;    /* mono samples in data */
	const uint8_t *data;   /* into the caller's buffer: PCM16 LE or G.711 codes */
	uint32_t data_len;     /* bytes */
	uint32_t err;          /* enum sb_wav_err; SB_WAV_E_OK on success */
	uint32_t err_off;      /* byte offset of the problem */
};

/* 0, -EINVAL (malformed) or -ENOTSUP (unsupported format), w->err set. */
int sb_wav_parse(const uint8_t *buf, size_t len, struct sb_wav *w);
const char *sb_wav_err_name(enum sb_wav_err e);   /* "CHUNK_SIZE"; NULL if unknown */
const char *sb_wav_err_desc(enum sb_wav_err e);   /* the sentence; NULL if unknown */

/* Mono PCM16 little-endian at rate (8000/16000/48000) or G.711 (law 6/7,
 * 8000 Hz) from n_samples: the file the tests and tools write.  Returns the
 * bytes written to out (44 + data), or 0 when cap is too small or the
 * arguments are not a format sb_wav_parse() accepts. */
size_t sb_wav_write(uint8_t *out, size_t cap, enum sb_wav_fmt fmt, uint32_t rate,
		    const void *samples, uint32_t n_samples);

#endif
