/* SPDX-License-Identifier: MIT */
/*
 * dpm_priv.h — layouts shared by dpmedia.c and dpprompt.c only.
 */
#ifndef SB_DP_DPM_PRIV_H
#define SB_DP_DPM_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "sb/dp_abi.h"
#include "sb/codec.h"
#include "sb/dtmf.h"
#include "sb/mix.h"
#include "sb/prompt.h"
#include "sb/srtp.h"

#include "dpmedia.h"

#define DPM_NONE UINT32_MAX
#define SB_DPM_OPUS_COMPLEXITY 5     /* LEG_MEDIA opus_complexity 0xff: the deployment's */
#define SB_DPM_XCODE_IDLE_MS   1000u /* transcoder stops ticking this long after the last packet */
#define SB_G711_MAX_PKT        480u  /* 60 ms of G.711 */

/* What a leg's generator is doing: while it runs it owns the leg's output
 * (relayed packets to the leg are dropped, counted MEDIA). */
enum dpm_gen { DPM_GEN_IDLE = 0, DPM_GEN_DTMF = 1, DPM_GEN_PROMPT = 2, DPM_GEN_TONES = 3 };

/* One media leg's state, in the worker's pool (plain data but for the two
 * SRTP contexts and the prompt reference). */
struct dpm_leg {
	uint32_t leg;           /* leg index; DPM_NONE when free */
	uint32_t next_free;     /* free list */
	uint32_t flags;         /* SB_MEDIA_* */
	uint32_t used_pos;      /* index in sb_dpm.used[] */
	struct sb_srtp *srtp_rx, *srtp_tx;
	uint8_t srtp_rx_suite, srtp_tx_suite;
	uint8_t rx_key[SB_SRTP_MAX_KEY], tx_key[SB_SRTP_MAX_KEY]; /* to keep a context on an equal re-key */
	uint8_t codec, pt, dtmf_pt, channels;
	uint32_t clock_hz, dtmf_clock_hz;
	uint16_t ptime_ms;
	/* receive: DTMF detection */
	struct sb_dtmf_rx drx;
	struct sb_dtmf_ib dib;
	uint32_t ib_next_ts;    /* expected timestamp of the next in-band frame */
	uint8_t ib_have;
	/* generator (one at a time) */
	uint8_t gen;            /* enum dpm_gen */
	uint8_t gen_marker;     /* next generated packet carries the marker */
	uint64_t gen_next_tsc;  /* next frame/packet due */
	uint64_t gen_start_tsc; /* DTMF: start of the current digit */
	uint32_t gen_ts;        /* prompt: timestamp of the next frame; DTMF: event start */
	/* DTMF send */
	struct sb_dtmf_tx dtx;
	struct sb_dtmf_pkt dpend; /* next packet of the digit, not yet due */
	uint8_t dpend_valid;
	char digits[25];
	uint8_t dpos;
	uint8_t d_vol;
	uint16_t d_dur_ms, d_gap_ms;
	uint32_t tone_pos;      /* DPM_GEN_TONES: samples into the current digit + gap */
	/* transcoding: this leg's stream decoded, encoded for xc_to (its
	 * connected leg, whose codec differs; sb_xcode: jitter buffer, PLC) */
	uint8_t opus_complexity;
	uint8_t xc_to_codec;
	uint8_t xc_running;     /* packets came: the 20 ms tick runs */
	uint32_t opus_bitrate;
	struct sb_xcode *xc;
	uint32_t xc_to;         /* DPM_NONE: no transcoder */
	uint32_t xc_ts0;        /* output timestamp of the encoder's frame 0 */
	uint64_t xc_mult;       /* TSC -> input RTP clock (jitter buffer arrival) */
	uint64_t xc_next_tsc;
	uint64_t xc_last_rx_tsc;
	/* conference membership (dpconf.c): received audio to the mixer, the
	 * mix-minus encoded and sent back */
	uint32_t conf;          /* DPM_NONE: not a member */
	uint8_t slot;           /* sb_mix participant */
	uint8_t c_started;      /* c_ts0 valid */
	struct sb_dec *cdec;    /* jitter buffer, decoder, PLC (8 kHz) */
	struct sb_enc *cenc;    /* 8 kHz mix -> the leg's codec */
	uint64_t c_mult;        /* TSC -> the leg's RTP clock */
	uint32_t c_ts0;
	/* prompt */
	struct sb_prompt_player play;
	uint32_t play_req;      /* control's prompt id */
	/* An Opus leg's own encoder for prompts, built at PROMPT_PLAY (command
	 * time) when no transcoder feeds the leg (an IVR leg alone, or one
	 * relayed Opus to Opus); freed with the context or a codec change. */
	struct sb_enc *penc;
	/* RTCP across a transcoder (dpmedia.c sb_dpm_rtcp_xcode): what we sent
	 * to this leg's peer in its codec (SR packet and payload octet counts,
	 * RFC 3550 6.4.1: 32 bits, wrapping), and the last SR its peer sent us
	 * (LSR, and when it came, for DLSR) */
	uint32_t o_pkts, o_octets;
	uint32_t peer_lsr;
	uint64_t peer_lsr_tsc;
};

#define DPM_CONF_FRAME 160u /* the mixer runs at 8 kHz, 20 ms */

struct dpm_conf {
	struct sb_mix mix;
	uint32_t slot_leg[SB_MIX_MAX]; /* member legs by slot; DPM_NONE */
	uint32_t n_members;
	uint64_t next_tsc;             /* next 20 ms mix */
	struct sb_prompt_player play;  /* a prompt heard by every member */
};

struct sb_dpm {
	struct sb_worker *w;
	struct sb_dpm_shared *sh;
	uint32_t n;             /* contexts */
	uint32_t free_head;
	uint32_t n_used;
	uint32_t max_legs;
	uint32_t *ctx_of;       /* [max_legs]: leg -> context, DPM_NONE */
	uint32_t *used;         /* [n]: contexts in use, dense (timer walk) */
	struct dpm_leg *ctx;    /* [n] */
	uint64_t next_tick_tsc; /* timer: next walk of the used contexts */
	uint64_t tick_tsc;      /* 1 ms */
	uint64_t frame_tsc;     /* 20 ms */
	uint64_t now_seen;      /* latest TSC the timer was given (commands start generators at it) */
	struct sb_dpm_counters cnt;
	uint32_t n_confs;
	struct dpm_conf *confs;          /* [n_confs], by control's number */
	int16_t (*mix_in)[DPM_CONF_FRAME];  /* [SB_MIX_MAX] scratch of the mix tick */
	int16_t (*mix_out)[DPM_CONF_FRAME];
};

static inline struct dpm_leg *dpm_ctx(struct sb_dpm *m, uint32_t leg)
{
	uint32_t c = leg < m->max_legs ? m->ctx_of[leg] : DPM_NONE;

	return c == DPM_NONE ? NULL : &m->ctx[c];
}

/* The worker's "now" for a command: the TSC, or the last time its timer
 * was driven with if that is later (tests drive chosen times). */
static inline uint64_t dpm_now(const struct sb_dpm *m, uint64_t tsc)
{
	return m->now_seen > tsc ? m->now_seen : tsc;
}

/* dpprompt.c */
struct sb_enc *dpm_prompt_enc(struct sb_worker *w, struct dpm_leg *c);
int dpm_prompt_load(struct sb_worker *w, const struct sb_cmd_prompt_load *c);
int dpm_prompt_play(struct sb_worker *w, struct dpm_leg *c, const struct sb_cmd_prompt *cmd,
		    uint64_t now);
void dpm_prompt_stop(struct sb_worker *w, struct dpm_leg *c, uint32_t reason);
void dpm_prompt_tick(struct sb_worker *w, struct dpm_leg *c, uint64_t now);
void dpm_prompt_poll_loads(struct sb_worker *w);
void dpm_prompt_emit(struct sb_worker *w, uint32_t leg, uint32_t conf,
		     const struct sb_prompt_ev *pe, uint32_t reason);
struct sb_prompt *dpm_prompt_get(struct sb_worker *w, uint32_t prompt); /* NULL: -ENOENT */

/* dpconf.c */
int dpm_conf_init(struct sb_dpm *m, uint32_t n_confs);
void dpm_conf_fini(struct sb_dpm *m);
int dpm_conf_join(struct sb_worker *w, const struct sb_cmd_conf *cmd);
void dpm_conf_leave(struct sb_worker *w, struct dpm_leg *c);
void dpm_conf_rx(struct sb_worker *w, struct dpm_leg *c, struct rte_mbuf *m, uint32_t idx,
		 const uint8_t *rtp, uint32_t payload, uint64_t now);
void dpm_conf_timer(struct sb_worker *w, uint64_t now);
int dpm_conf_prompt(struct sb_worker *w, const struct sb_cmd_prompt *cmd, bool play);

/* dpmedia.c */
void dpm_drop(struct sb_worker *w, struct rte_mbuf *m, uint32_t leg, enum sb_drop why);
int dpm_rtp_payload(const uint8_t *rtp, uint32_t len, uint32_t *off, uint32_t *plen);
void dpm_codec_cfg(const struct dpm_leg *c, uint16_t ptime_ms, struct sb_codec_cfg *cfg);
uint32_t dpm_codec_clock(uint8_t codec);

/* dpmedia.c: the timestamp a new generated stream starts at on leg t. */
uint32_t dpm_gen_ts_start(struct sb_worker *w, uint32_t t_idx, uint32_t clock, uint64_t now);

#endif /* SB_DP_DPM_PRIV_H */
