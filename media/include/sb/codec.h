/* SPDX-License-Identifier: MIT */
/*
 * sb/codec.h — per-leg decode, encode and transcode for the dataplane
 * workers: PCMU and PCMA (sb/g711.h) and Opus (libopus; PCM at 8, 16 or
 * 48 kHz, RTP clock always 48 kHz, RFC 7587).
 *
 *   sb_dec   one received leg: jitter buffer (sb/jbuf.h) -> decoder with
 *            loss concealment -> PCM16 at the codec's rate, per tick.
 *   sb_enc   one sent leg: PCM16 at the common rate -> resampler
 *            (libspeexdsp) -> encoder -> payload, per tick.
 *   sb_xcode one direction of a transcoded call: an sb_dec feeding an
 *            sb_enc; the common rate is the lower of the two legs' (an
 *            Opus leg received at 48 kHz and sent as G.711 is decoded by
 *            libopus straight to 8 kHz: nothing to resample).
 *
 * Everything (codec state, resampler, jitter ring) is created at leg
 * set-up; the per-packet call (sb_dec_rx / sb_xcode_rx) and the per-tick
 * call (sb_dec_tick / sb_enc_encode / sb_xcode_tick) never allocate, lock,
 * log or make a system call (tests/media/codec_alloc_t.c).  Both run on
 * the leg's owning worker, which calls the tick once per frame duration.
 *
 * Concealment: Opus uses its own PLC (decode with no packet) and, when the
 * packet after a lost one is already buffered, its in-band FEC (decode
 * that packet with decode_fec=1).  G.711 uses a pitch-repeat PLC after
 * ITU-T G.711 Appendix I: the last pitch period (found by normalised
 * autocorrelation, 2.5-15 ms) is repeated with a quarter-period
 * overlap-add, attenuated 20 % per 10 ms after the first 10 ms, silent
 * from 60 ms; the first good frame after a loss is cross-faded in.
 * Sender silence (Opus DTX: a GAP or EMPTY tick) is decoded as comfort
 * noise/silence and is not counted as loss.
 */
#ifndef SB_CODEC_H
#define SB_CODEC_H

#include <stdint.h>

#include "sb/jbuf.h"

enum sb_codec { SB_CODEC_PCMU = 1, SB_CODEC_PCMA = 2, SB_CODEC_OPUS = 3 };

#define SB_CODEC_MAX_FRAME 2880u   /* samples: 60 ms at 48 kHz */
#define SB_CODEC_MAX_PAYLOAD 1276u /* bytes: Opus maximum packet + 1 */

struct sb_codec_cfg {
	uint8_t  codec;       /* enum sb_codec */
	uint8_t  ptime_ms;    /* 10, 20, 40 or 60; 0 = 20 */
	uint8_t  complexity;  /* Opus encoder 0..10 (per deployment) */
	uint8_t  fec;         /* Opus: encode in-band FEC (LBRR) / decode it */
	uint8_t  dtx;         /* Opus encoder: discontinuous transmission */
	uint8_t  loss_pct;    /* Opus encoder: expected loss; FEC needs > 0 */
	uint16_t pad;
	uint32_t rate;        /* PCM rate: G.711 8000; Opus 8000/16000/48000 */
	uint32_t bitrate;     /* Opus bit/s; 0 = 24000 */
};

/* RTP clock of a codec (8000 or 48000); 0 for an unknown codec. */
uint32_t sb_codec_clock(const struct sb_codec_cfg *c);
/* PCM samples per frame at the codec's rate. */
unsigned sb_codec_frame_samples(const struct sb_codec_cfg *c);

/* ---- decode side ---- */

struct sb_dec_stats {
	uint64_t frames;      /* ticks */
	uint64_t decoded;     /* packets decoded */
	uint64_t plc;         /* frames concealed: lost, expand, bad packet */
	uint64_t empty;       /* EMPTY ticks concealed (late, lost or DTX) */
	uint64_t fec;         /* lost frames rebuilt from the next packet's FEC */
	uint64_t cng;         /* GAP ticks (sender silent) */
	uint64_t bad;         /* packets the decoder refused (concealed) */
};

struct sb_dec;
void sb_dec_free(struct sb_dec *d);  /* NULL is a no-op */
/* jb: the jitter buffer's bounds (clock and frame_ms are filled in from
 * the codec; NULL = defaults).  NULL + errno (EINVAL, ENOMEM, EPROTO if
 * libopus refuses). */
struct sb_dec *sb_dec_create(const struct sb_codec_cfg *c, const struct sb_jbuf_cfg *jb)
	SB_CODEC_ALLOC(sb_dec_free);
/* One received RTP payload; arrival in RTP clock units.  As sb_jbuf_put. */
int sb_dec_rx(struct sb_dec *d, const uint8_t *pl, unsigned len,
	      uint16_t seq, uint32_t ts, uint32_t arrival);
/* One tick: writes sb_codec_frame_samples() samples to pcm; returns the
 * jitter buffer's enum sb_jbuf_kind for the tick. */
int sb_dec_tick(struct sb_dec *d, int16_t *pcm);
const struct sb_dec_stats *sb_dec_stats(const struct sb_dec *d);
const struct sb_jbuf_stats *sb_dec_jbuf_stats(const struct sb_dec *d);

/* ---- encode side ---- */

struct sb_enc_stats {
	uint64_t frames;      /* ticks */
	uint64_t sent;        /* payloads produced */
	uint64_t dtx;         /* ticks with nothing to send (Opus DTX) */
	uint64_t err;         /* encoder failures (nothing sent) */
};

struct sb_enc_pkt {
	uint32_t ts;          /* RTP timestamp (first frame 0: add the offset) */
	uint8_t  marker;      /* first packet, or first after DTX */
	uint8_t  pad[3];
};

struct sb_enc;
void sb_enc_free(struct sb_enc *e);
/* in_rate: the PCM rate given to sb_enc_encode (8000, 16000 or 48000);
 * resampled to c->rate when they differ.  NULL + errno. */
struct sb_enc *sb_enc_create(const struct sb_codec_cfg *c, uint32_t in_rate)
	SB_CODEC_ALLOC(sb_enc_free);
/* One frame of in_rate * ptime PCM samples -> payload in out (cap bytes,
 * at least SB_CODEC_MAX_PAYLOAD is always enough).  Returns the payload
 * length, 0 when there is nothing to send this tick (DTX), -errno. */
int sb_enc_encode(struct sb_enc *e, const int16_t *pcm, uint8_t *out, unsigned cap,
		  struct sb_enc_pkt *pkt);
const struct sb_enc_stats *sb_enc_stats(const struct sb_enc *e);
/* The complexity libopus encodes with (0..10); -1 for a G.711 encoder.
 * Slow path (reports, benchmarks). */
int sb_enc_complexity(struct sb_enc *e);

/* ---- one transcoding direction ---- */

struct sb_xcode;
void sb_xcode_free(struct sb_xcode *x);
/* in/out must have the same ptime (one tick = one frame each way). */
struct sb_xcode *sb_xcode_create(const struct sb_codec_cfg *in, const struct sb_codec_cfg *out,
				 const struct sb_jbuf_cfg *jb)
	SB_CODEC_ALLOC(sb_xcode_free);
int sb_xcode_rx(struct sb_xcode *x, const uint8_t *pl, unsigned len,
		uint16_t seq, uint32_t ts, uint32_t arrival);
/* Decode one tick and encode it: as sb_enc_encode. */
int sb_xcode_tick(struct sb_xcode *x, uint8_t *out, unsigned cap, struct sb_enc_pkt *pkt);
struct sb_dec *sb_xcode_dec(struct sb_xcode *x);
struct sb_enc *sb_xcode_enc(struct sb_xcode *x);

#endif
