/* SPDX-License-Identifier: MIT */
/*
 * codec.c — per-leg decode/encode/transcode (sb/codec.h): G.711 through
 * the sb/g711.h tables with an Appendix-I-style PLC, Opus through libopus,
 * resampling through libspeexdsp.  All state is allocated by the _create
 * calls; the per-packet and per-tick paths only touch it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <opus/opus.h>
#include <speex/speex_resampler.h>

#include "sb/codec.h"
#include "sb/g711.h"

/* speexdsp quality 0..10: 3 is its "VoIP" setting; 5 ("default") costs
 * about twice as much.  See tests/media/codec_xcode_t.c for the SNR. */
#define RESAMPLE_QUALITY 3

/* ---- G.711 packet-loss concealment (after G.711 Appendix I) ---- */

#define PLC_HIST   390u   /* 48.75 ms at 8 kHz */
#define PLC_PMIN   20u    /* 2.5 ms: 400 Hz */
#define PLC_PMAX   120u   /* 15 ms: 66 Hz */
#define PLC_CORRW  160u   /* correlation window, 20 ms */
#define PLC_FULL   80u    /* first 10 ms at full level */
#define PLC_SILENT 480u   /* silent from 60 ms (20 % less per 10 ms) */

struct g711_plc {
	int16_t  hist[PLC_HIST];   /* last real samples, oldest first */
	int16_t  period[PLC_PMAX]; /* the repeated pitch period */
	unsigned pitch;            /* 0: not concealing */
	unsigned pos;              /* position in period */
	unsigned erased;           /* samples concealed in this erasure */
};

static void plc_hist_add(struct g711_plc *p, const int16_t *x, unsigned n)
{
	if (n >= PLC_HIST) {
		memcpy(p->hist, x + n - PLC_HIST, PLC_HIST * sizeof(*x));
		return;
	}
	memmove(p->hist, p->hist + n, (PLC_HIST - n) * sizeof(*x));
	memcpy(p->hist + PLC_HIST - n, x, n * sizeof(*x));
}

/* The lag that best predicts the last 20 ms from the 20 ms before it
 * (normalised cross-correlation: loud and quiet stretches compare fairly). */
static unsigned plc_pitch(const int16_t *h)
{
	const int16_t *w = h + PLC_HIST - PLC_CORRW;
	double best = -1e300;
	unsigned bp = PLC_PMAX;

	/* integer sums (160 products of int16 fit easily in 64 bits): this
	 * runs once per erasure, ~16k multiply-adds */
	for (unsigned p = PLC_PMIN; p <= PLC_PMAX; p++) {
		int64_t ci = 0, ei = 1;
		double c;

		for (unsigned i = 0; i < PLC_CORRW; i++) {
			int32_t a = w[i], b = w[(int)i - (int)p];

			ci += a * b;
			ei += b * b;
		}
		c = (double)ci / __builtin_sqrt((double)ei);
		if (c > best) {
			best = c;
			bp = p;
		}
	}
	return bp;
}

static void plc_conceal(struct g711_plc *p, int16_t *out, unsigned n)
{
	if (p->pitch == 0) {
		unsigned pp = plc_pitch(p->hist), ola = pp / 4;
		const int16_t *h = p->hist + PLC_HIST;

		p->pitch = pp;
		p->pos = 0;
		p->erased = 0;
		memcpy(p->period, h - pp, pp * sizeof(*h));
		/* blend the period's end into the samples before its start so
		 * that repeating it has no click at the seam */
		for (unsigned i = 0; i < ola; i++) {
			float wgt = (i + 0.5f) / (float)ola;

			p->period[pp - ola + i] = (int16_t)((1 - wgt) * h[-(int)ola + (int)i] +
							    wgt * h[-(int)pp - (int)ola + (int)i]);
		}
	}
	for (unsigned i = 0; i < n; i++) {
		unsigned e = p->erased++;
		float g = e < PLC_FULL ? 1.0f :
			  e >= PLC_SILENT ? 0.0f :
			  1.0f - (float)(e - PLC_FULL) / (float)(PLC_SILENT - PLC_FULL);

		out[i] = (int16_t)(g * p->period[p->pos]);
		if (++p->pos == p->pitch)
			p->pos = 0;
	}
}

/* A good frame after an erasure: fade from the synthetic continuation to
 * the real signal over a quarter pitch period (at least 4 ms). */
static void plc_recover(struct g711_plc *p, int16_t *x, unsigned n)
{
	if (p->pitch != 0) {
		unsigned ola = p->pitch / 4 < 32 ? 32 : p->pitch / 4;
		int16_t syn[PLC_PMAX];

		if (ola > n)
			ola = n;
		plc_conceal(p, syn, ola);
		for (unsigned i = 0; i < ola; i++) {
			float wgt = (i + 0.5f) / (float)ola;

			x[i] = (int16_t)((1 - wgt) * syn[i] + wgt * x[i]);
		}
		p->pitch = 0;
	}
	plc_hist_add(p, x, n);
}

/* ---- common ---- */

uint32_t sb_codec_clock(const struct sb_codec_cfg *c)
{
	switch (c->codec) {
	case SB_CODEC_PCMU:
	case SB_CODEC_PCMA:
		return 8000;
	case SB_CODEC_OPUS:
		return 48000;
	default:
		return 0;
	}
}

static unsigned ptime(const struct sb_codec_cfg *c)
{
	return c->ptime_ms ? c->ptime_ms : 20;
}

unsigned sb_codec_frame_samples(const struct sb_codec_cfg *c)
{
	return c->rate * ptime(c) / 1000;
}

static int cfg_check(const struct sb_codec_cfg *c)
{
	unsigned pt = ptime(c);

	if (pt != 10 && pt != 20 && pt != 40 && pt != 60)
		return -EINVAL;
	switch (c->codec) {
	case SB_CODEC_PCMU:
	case SB_CODEC_PCMA:
		return c->rate == 8000 ? 0 : -EINVAL;
	case SB_CODEC_OPUS:
		if (c->rate != 8000 && c->rate != 16000 && c->rate != 48000)
			return -EINVAL;
		return c->complexity <= 10 && c->loss_pct <= 100 ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

/* ---- decode ---- */

struct sb_dec {
	struct sb_codec_cfg cfg;
	unsigned frame;            /* samples at cfg.rate */
	struct sb_jbuf *jb;
	OpusDecoder *opus;
	struct g711_plc plc;
	struct sb_dec_stats st;
};

/* the create paths unwind through this: gcc pairs sb_dec_free with
 * sb_dec_create only (-Wmismatched-dealloc) */
static void dec_destroy(struct sb_dec *d)
{
	if (d == NULL)
		return;
	sb_jbuf_free(d->jb);
	free(d->opus);             /* opus_decoder_init'ed in our memory */
	free(d);
}

void sb_dec_free(struct sb_dec *d)
{
	dec_destroy(d);
}

struct sb_dec *sb_dec_create(const struct sb_codec_cfg *c, const struct sb_jbuf_cfg *jbc)
{
	struct sb_jbuf_cfg jcfg = { 0 };
	struct sb_dec *d;
	int rc = cfg_check(c);

	if (rc < 0)
		goto err;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->cfg = *c;
	d->frame = sb_codec_frame_samples(c);
	if (jbc != NULL)
		jcfg = *jbc;
	jcfg.clock = sb_codec_clock(c);
	jcfg.frame_ms = (uint16_t)ptime(c);
	if (jcfg.max_payload == 0)
		jcfg.max_payload = c->codec == SB_CODEC_OPUS ? SB_CODEC_MAX_PAYLOAD
							     : (uint16_t)(8 * ptime(c));
	d->jb = sb_jbuf_create(&jcfg);
	if (d->jb == NULL) {
		rc = -errno;
		goto out_free;
	}
	if (c->codec == SB_CODEC_OPUS) {
		d->opus = malloc((size_t)opus_decoder_get_size(1));
		if (d->opus == NULL) {
			rc = -ENOMEM;
			goto out_free;
		}
		if (opus_decoder_init(d->opus, (opus_int32)c->rate, 1) != OPUS_OK) {
			rc = -EPROTO;
			goto out_free;
		}
	}
	return d;

out_free:
	dec_destroy(d);
err:
	errno = -rc;
	return NULL;
}

int sb_dec_rx(struct sb_dec *d, const uint8_t *pl, unsigned len,
	      uint16_t seq, uint32_t ts, uint32_t arrival)
{
	return sb_jbuf_put(d->jb, pl, len, seq, ts, arrival);
}

static void opus_plc(struct sb_dec *d, int16_t *pcm, const uint8_t *fec, unsigned fec_len)
{
	int n = opus_decode(d->opus, fec, (opus_int32)fec_len, pcm, (int)d->frame, fec != NULL);

	if (n != (int)d->frame)
		memset(pcm, 0, d->frame * sizeof(*pcm));
}

static int dec_opus(struct sb_dec *d, const struct sb_jbuf_frame *f, int16_t *pcm)
{
	switch (f->kind) {
	case SB_JBUF_FRAME:
		if (opus_packet_get_nb_samples(f->data, f->len, (opus_int32)d->cfg.rate) == (int)d->frame &&
		    opus_decode(d->opus, f->data, f->len, pcm, (int)d->frame, 0) == (int)d->frame) {
			d->st.decoded++;
			break;
		}
		d->st.bad++;
		d->st.plc++;
		opus_plc(d, pcm, NULL, 0);
		break;
	case SB_JBUF_LOST:
		/* the FEC must describe exactly this frame: same duration */
		if (f->next != NULL && d->cfg.fec &&
		    opus_packet_get_nb_samples(f->next, f->next_len, (opus_int32)d->cfg.rate) == (int)d->frame) {
			d->st.fec++;
			opus_plc(d, pcm, f->next, f->next_len);
			break;
		}
		/* fall through */
	case SB_JBUF_EXPAND:
		d->st.plc++;
		opus_plc(d, pcm, NULL, 0);
		break;
	case SB_JBUF_EMPTY:
		d->st.empty++;
		opus_plc(d, pcm, NULL, 0);
		break;
	case SB_JBUF_GAP:
		/* after a DTX packet libopus makes comfort noise here */
		d->st.cng++;
		opus_plc(d, pcm, NULL, 0);
		break;
	default:
		memset(pcm, 0, d->frame * sizeof(*pcm));
	}
	return f->kind;
}

static int dec_g711(struct sb_dec *d, const struct sb_jbuf_frame *f, int16_t *pcm)
{
	switch (f->kind) {
	case SB_JBUF_FRAME:
		if (f->len == d->frame) {
			if (d->cfg.codec == SB_CODEC_PCMU)
				sb_g711_ulaw_decode(pcm, f->data, d->frame);
			else
				sb_g711_alaw_decode(pcm, f->data, d->frame);
			plc_recover(&d->plc, pcm, d->frame);
			d->st.decoded++;
			break;
		}
		d->st.bad++;
		/* fall through */
	case SB_JBUF_LOST:
	case SB_JBUF_EXPAND:
		d->st.plc++;
		plc_conceal(&d->plc, pcm, d->frame);
		break;
	case SB_JBUF_EMPTY:
		d->st.empty++;
		plc_conceal(&d->plc, pcm, d->frame);
		break;
	case SB_JBUF_GAP:
		/* G.711 has no DTX of its own: let the PLC fade out (VAD) */
		d->st.cng++;
		plc_conceal(&d->plc, pcm, d->frame);
		break;
	default:
		memset(pcm, 0, d->frame * sizeof(*pcm));
	}
	return f->kind;
}

int sb_dec_tick(struct sb_dec *d, int16_t *pcm)
{
	struct sb_jbuf_frame f;

	sb_jbuf_get(d->jb, &f);
	d->st.frames++;
	if (d->cfg.codec == SB_CODEC_OPUS)
		return dec_opus(d, &f, pcm);
	return dec_g711(d, &f, pcm);
}

const struct sb_dec_stats *sb_dec_stats(const struct sb_dec *d)
{
	return &d->st;
}

const struct sb_jbuf_stats *sb_dec_jbuf_stats(const struct sb_dec *d)
{
	return sb_jbuf_stats(d->jb);
}

/* ---- encode ---- */

struct sb_enc {
	struct sb_codec_cfg cfg;
	unsigned frame;            /* samples at cfg.rate */
	unsigned in_frame;         /* samples at in_rate */
	uint32_t ts, frame_ts;
	uint8_t  marker;
	OpusEncoder *opus;
	SpeexResamplerState *rs;
	struct sb_enc_stats st;
	int16_t  buf[SB_CODEC_MAX_FRAME];
};

/* the create paths unwind through this: gcc pairs sb_enc_free with
 * sb_enc_create only (-Wmismatched-dealloc) */
static void enc_destroy(struct sb_enc *e)
{
	if (e == NULL)
		return;
	if (e->rs != NULL)
		speex_resampler_destroy(e->rs);
	free(e->opus);
	free(e);
}

void sb_enc_free(struct sb_enc *e)
{
	enc_destroy(e);
}

struct sb_enc *sb_enc_create(const struct sb_codec_cfg *c, uint32_t in_rate)
{
	struct sb_enc *e;
	int rc = cfg_check(c), err;

	if (rc < 0 || (in_rate != 8000 && in_rate != 16000 && in_rate != 48000)) {
		rc = -EINVAL;
		goto err;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->cfg = *c;
	e->frame = sb_codec_frame_samples(c);
	e->in_frame = in_rate * ptime(c) / 1000;
	e->frame_ts = sb_codec_clock(c) * ptime(c) / 1000;
	e->marker = 1;
	if (in_rate != c->rate) {
		e->rs = speex_resampler_init(1, in_rate, c->rate, RESAMPLE_QUALITY, &err);
		if (e->rs == NULL) {
			rc = err == RESAMPLER_ERR_ALLOC_FAILED ? -ENOMEM : -EINVAL;
			goto out_free;
		}
		/* no initial zero run: the first output is the first input */
		speex_resampler_skip_zeros(e->rs);
	}
	if (c->codec == SB_CODEC_OPUS) {
		e->opus = malloc((size_t)opus_encoder_get_size(1));
		if (e->opus == NULL) {
			rc = -ENOMEM;
			goto out_free;
		}
		if (opus_encoder_init(e->opus, (opus_int32)c->rate, 1, OPUS_APPLICATION_VOIP) != OPUS_OK ||
		    opus_encoder_ctl(e->opus, OPUS_SET_COMPLEXITY(c->complexity)) != OPUS_OK ||
		    opus_encoder_ctl(e->opus, OPUS_SET_BITRATE(c->bitrate ? (opus_int32)c->bitrate : 24000)) != OPUS_OK ||
		    opus_encoder_ctl(e->opus, OPUS_SET_INBAND_FEC(c->fec ? 1 : 0)) != OPUS_OK ||
		    opus_encoder_ctl(e->opus, OPUS_SET_PACKET_LOSS_PERC(c->loss_pct ? c->loss_pct
										  : c->fec ? 10 : 0)) != OPUS_OK ||
		    opus_encoder_ctl(e->opus, OPUS_SET_DTX(c->dtx ? 1 : 0)) != OPUS_OK) {
			rc = -EPROTO;
			goto out_free;
		}
	}
	return e;

out_free:
	enc_destroy(e);
err:
	errno = -rc;
	return NULL;
}

int sb_enc_encode(struct sb_enc *e, const int16_t *pcm, uint8_t *out, unsigned cap,
		  struct sb_enc_pkt *pkt)
{
	const int16_t *x = pcm;
	int n;

	e->st.frames++;
	pkt->ts = e->ts;
	pkt->marker = e->marker;
	e->ts += e->frame_ts;
	if (e->rs != NULL) {
		spx_uint32_t in_len = e->in_frame, out_len = e->frame;

		speex_resampler_process_int(e->rs, 0, pcm, &in_len, e->buf, &out_len);
		/* integer ratios: exact counts; pad defensively anyway */
		if (out_len < e->frame)
			memset(e->buf + out_len, 0, (e->frame - out_len) * sizeof(*e->buf));
		x = e->buf;
	}
	switch (e->cfg.codec) {
	case SB_CODEC_PCMU:
	case SB_CODEC_PCMA:
		if (cap < e->frame)
			goto fail;
		if (e->cfg.codec == SB_CODEC_PCMU)
			sb_g711_ulaw_encode(out, x, e->frame);
		else
			sb_g711_alaw_encode(out, x, e->frame);
		n = (int)e->frame;
		break;
	default:
		n = opus_encode(e->opus, x, (int)e->frame, out, (opus_int32)cap);
		if (n < 0)
			goto fail;
		if (n <= 2 && e->cfg.dtx) {
			/* libopus: a packet of 2 bytes or less need not be sent */
			e->st.dtx++;
			e->marker = 1;
			return 0;
		}
	}
	e->marker = 0;
	e->st.sent++;
	return n;
fail:
	e->st.err++;
	return -ENOSPC;
}

const struct sb_enc_stats *sb_enc_stats(const struct sb_enc *e)
{
	return &e->st;
}

int sb_enc_complexity(struct sb_enc *e)
{
	opus_int32 v = -1;

	if (e->opus == NULL)
		return -1;
	/* libopus's own answer, not our cfg: what the figures ran with */
	if (opus_encoder_ctl(e->opus, OPUS_GET_COMPLEXITY(&v)) != OPUS_OK)
		return -1;
	return (int)v;
}

/* ---- transcode ---- */

struct sb_xcode {
	struct sb_dec *dec;
	struct sb_enc *enc;
	int16_t pcm[SB_CODEC_MAX_FRAME];
};

/* the create paths unwind through this: gcc pairs sb_xcode_free with
 * sb_xcode_create only (-Wmismatched-dealloc) */
static void xcode_destroy(struct sb_xcode *x)
{
	if (x == NULL)
		return;
	sb_dec_free(x->dec);
	sb_enc_free(x->enc);
	free(x);
}

void sb_xcode_free(struct sb_xcode *x)
{
	xcode_destroy(x);
}

struct sb_xcode *sb_xcode_create(const struct sb_codec_cfg *in, const struct sb_codec_cfg *out,
				 const struct sb_jbuf_cfg *jb)
{
	struct sb_codec_cfg dcfg;
	struct sb_xcode *x;

	if (ptime(in) != ptime(out)) {
		errno = EINVAL;
		return NULL;
	}
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return NULL;
	/* The common rate is the lower of the two: audio the sent leg cannot
	 * carry is not worth decoding.  libopus decodes straight to 8 or
	 * 16 kHz (CELT skips the bands above, SILK resamples internally), which
	 * is cheaper than decoding at 48 kHz and resampling down. */
	dcfg = *in;
	if (dcfg.codec == SB_CODEC_OPUS && out->rate < dcfg.rate)
		dcfg.rate = out->rate;
	x->dec = sb_dec_create(&dcfg, jb);
	if (x->dec == NULL)
		goto out_free;
	x->enc = sb_enc_create(out, dcfg.rate);
	if (x->enc == NULL)
		goto out_free;
	return x;

out_free:
	{
		int e = errno;

		xcode_destroy(x);
		errno = e;
	}
	return NULL;
}

int sb_xcode_rx(struct sb_xcode *x, const uint8_t *pl, unsigned len,
		uint16_t seq, uint32_t ts, uint32_t arrival)
{
	return sb_dec_rx(x->dec, pl, len, seq, ts, arrival);
}

int sb_xcode_tick(struct sb_xcode *x, uint8_t *out, unsigned cap, struct sb_enc_pkt *pkt)
{
	sb_dec_tick(x->dec, x->pcm);
	return sb_enc_encode(x->enc, x->pcm, out, cap, pkt);
}

struct sb_dec *sb_xcode_dec(struct sb_xcode *x)
{
	return x->dec;
}

struct sb_enc *sb_xcode_enc(struct sb_xcode *x)
{
	return x->enc;
}
