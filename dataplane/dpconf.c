/* SPDX-License-Identifier: MIT */
/*
 * dpconf.c — conferences on a worker: mix-minus with talk / listen /
 * whisper (sb/mix.h), all members on the worker that owns the conference.
 *
 * A member's received audio (its codec's payload type) goes into its own
 * jitter buffer and decoder (sb_dec: PLC, 8 kHz) and nowhere else;
 * every 20 ms the conference takes one frame of every member, mixes
 * (sb_mix_s16: out_j = sum of what j hears, saturated once), adds the
 * conference's prompt if one plays, and each member's frame is encoded in
 * its codec (sb_enc) and sent through sb_dpm_originate() (its own output
 * stream, SRTP if the leg sends it).  Relayed packets towards a member are
 * dropped (MEDIA): the conference owns its output.
 *
 * Supervision is these modes (sb/dp_abi.h): listen = supervisor LISTEN;
 * whisper = supervisor WHISPER with the agent as target; barge = all TALK;
 * switched with CONF_JOIN on a member (a mode change) between two frames.
 *
 * Allocation: the decoder and encoder of a member at CONF_JOIN (command
 * time); the mix tick uses the worker's two scratch frames per slot.
 */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "sb/rtp.h"

#include "dpm_priv.h"
#include "legs.h"
#include "worker.h"

int dpm_conf_init(struct sb_dpm *m, uint32_t n_confs)
{
	m->n_confs = n_confs;
	m->confs = rte_zmalloc("sb_dpm_conf", (size_t)n_confs * sizeof(struct dpm_conf),
			       RTE_CACHE_LINE_SIZE);
	m->mix_in = rte_zmalloc("sb_dpm_mix", 2u * SB_MIX_MAX * DPM_CONF_FRAME * sizeof(int16_t),
				RTE_CACHE_LINE_SIZE);
	if (m->confs == NULL || m->mix_in == NULL)
		return -ENOMEM;
	m->mix_out = m->mix_in + SB_MIX_MAX;
	for (uint32_t i = 0; i < n_confs; i++) {
		sb_mix_init(&m->confs[i].mix);
		sb_prompt_player_init(&m->confs[i].play);
		for (unsigned k = 0; k < SB_MIX_MAX; k++)
			m->confs[i].slot_leg[k] = DPM_NONE;
	}
	return 0;
}

void dpm_conf_fini(struct sb_dpm *m)
{
	if (m->confs != NULL)
		for (uint32_t i = 0; i < m->n_confs; i++)
			sb_prompt_player_stop(&m->confs[i].play, &(struct sb_prompt_ev){0});
	rte_free(m->confs);
	rte_free(m->mix_in);
	m->confs = NULL;
	m->mix_in = m->mix_out = NULL;
}

static void conf_prompt_stop(struct sb_worker *w, uint32_t id, uint32_t reason)
{
	struct sb_prompt_ev ev;

	if (sb_prompt_player_stop(&w->media->confs[id].play, &ev) == 1)
		dpm_prompt_emit(w, SB_LEG_NONE, id, &ev, reason);
}

void dpm_conf_leave(struct sb_worker *w, struct dpm_leg *c)
{
	struct dpm_conf *cf;

	if (c->conf == DPM_NONE)
		return;
	cf = &w->media->confs[c->conf];
	sb_mix_set(&cf->mix, c->slot, SB_MIX_OFF, 0);
	/* whoever whispered to it is heard by nobody now */
	for (unsigned k = 0; k < SB_MIX_MAX; k++)
		if (cf->mix.mode[k] == SB_MIX_WHISPER && cf->mix.target[k] == c->slot)
			sb_mix_set(&cf->mix, k, SB_MIX_LISTEN, 0);
	cf->slot_leg[c->slot] = DPM_NONE;
	if (--cf->n_members == 0)
		conf_prompt_stop(w, c->conf, SB_PROMPT_END_STOPPED);
	sb_dec_free(c->cdec);
	sb_enc_free(c->cenc);
	c->cdec = NULL;
	c->cenc = NULL;
	c->conf = DPM_NONE;
}

static enum sb_mix_mode mix_mode(uint32_t mode)
{
	switch (mode) {
	case SB_CONF_TALK:
		return SB_MIX_TALK;
	case SB_CONF_LISTEN:
		return SB_MIX_LISTEN;
	case SB_CONF_WHISPER:
		return SB_MIX_WHISPER;
	default:
		return SB_MIX_OFF;
	}
}

int dpm_conf_join(struct sb_worker *w, const struct sb_cmd_conf *cmd)
{
	struct sb_dpm *m = w->media;
	struct dpm_leg *c = dpm_ctx(m, cmd->h.leg), *tc = NULL;
	enum sb_mix_mode mode = mix_mode(cmd->mode);
	struct dpm_conf *cf;
	unsigned slot, target = 0;

	if (cmd->conf >= m->n_confs || mode == SB_MIX_OFF)
		return -EINVAL;
	if (c == NULL || c->codec == SB_DP_CODEC_NONE)
		return -ENOTSUP; /* LEG_MEDIA first: the mixer decodes the leg's codec */
	if (c->ptime_ms != 20)
		return -ENOTSUP; /* the mixer's frame is 20 ms */
	cf = &m->confs[cmd->conf];
	if (mode == SB_MIX_WHISPER) {
		if (cmd->target >= w->legs->max || !w->legs->x[cmd->target].active ||
		    w->legs->x[cmd->target].gen != cmd->target_gen)
			return -ENOENT;
		tc = dpm_ctx(m, cmd->target);
		if (tc == NULL || tc->conf != cmd->conf || cmd->target == cmd->h.leg)
			return -EINVAL; /* the target must be another member */
		target = tc->slot;
	}
	if (c->conf == cmd->conf) /* a mode change: between two frames */
		return sb_mix_set(&cf->mix, c->slot, mode, target);
	for (slot = 0; slot < SB_MIX_MAX && cf->slot_leg[slot] != DPM_NONE; slot++)
		;
	if (slot == SB_MIX_MAX)
		return -ENOSPC;
	{
		struct sb_codec_cfg cfg;
		struct sb_dec *d;
		struct sb_enc *e;

		dpm_codec_cfg(c, 20, &cfg);
		cfg.rate = 8000; /* the mixer's rate: Opus decodes straight to it */
		d = sb_dec_create(&cfg, NULL);
		dpm_codec_cfg(c, 20, &cfg);
		e = d != NULL ? sb_enc_create(&cfg, 8000) : NULL;
		if (e == NULL) {
			sb_dec_free(d);
			return -ENOMEM;
		}
		dpm_conf_leave(w, c); /* from another conference */
		c->cdec = d;
		c->cenc = e;
	}
	c->conf = cmd->conf;
	c->slot = (uint8_t)slot;
	c->c_started = 0;
	c->c_mult = sb_rtp_clock_mult(dpm_codec_clock(c->codec), w->clk.hz);
	cf->slot_leg[slot] = cmd->h.leg;
	if (cf->n_members++ == 0)
		cf->next_tsc = 0; /* the first tick sets the cadence */
	return sb_mix_set(&cf->mix, slot, mode, target);
}

void dpm_conf_rx(struct sb_worker *w, struct dpm_leg *c, struct rte_mbuf *m, uint32_t idx,
		 const uint8_t *rtp, uint32_t payload, uint64_t now)
{
	uint32_t off, plen;

	if ((rtp[1] & 0x7f) != c->pt || dpm_rtp_payload(rtp, payload, &off, &plen) < 0) {
		dpm_drop(w, m, idx, SB_DROP_MEDIA); /* only audio goes to the mixer */
		return;
	}
	sb_dec_rx(c->cdec, rtp + off, plen, sb_be16(rtp + 2), sb_be32(rtp + 4),
		  sb_rtp_clock_units(now, c->c_mult));
	rte_pktmbuf_free(m);
}

static void conf_tick(struct sb_worker *w, uint32_t id, uint64_t now)
{
	struct sb_dpm *m = w->media;
	struct dpm_conf *cf = &m->confs[id];
	const int16_t *in[SB_MIX_MAX];
	int16_t *out[SB_MIX_MAX];
	struct sb_prompt_frame pf;
	struct sb_prompt_ev pev;
	const int16_t *pcm_prompt = NULL;
	int r;

	for (unsigned k = 0; k < cf->mix.n; k++) {
		struct dpm_leg *c = cf->slot_leg[k] != DPM_NONE ? dpm_ctx(m, cf->slot_leg[k]) : NULL;

		in[k] = NULL;
		out[k] = NULL;
		if (c == NULL)
			continue;
		sb_dec_tick(c->cdec, m->mix_in[k]);
		in[k] = m->mix_in[k];
		out[k] = m->mix_out[k];
	}
	sb_mix_s16(&cf->mix, in, out, DPM_CONF_FRAME);
	r = sb_prompt_player_next(&cf->play, &pf, &pev);
	if (r == SB_PROMPT_FRAME)
		pcm_prompt = (const int16_t *)pf.data; /* S16_8K: host order */
	else if (r == SB_PROMPT_DONE)
		dpm_prompt_emit(w, SB_LEG_NONE, id, &pev, SB_PROMPT_END_DONE);
	for (unsigned k = 0; k < cf->mix.n; k++) {
		struct dpm_leg *c;
		uint8_t buf[SB_CODEC_MAX_PAYLOAD];
		struct sb_enc_pkt pkt;
		int n;

		if (out[k] == NULL)
			continue;
		c = dpm_ctx(m, cf->slot_leg[k]);
		if (pcm_prompt != NULL)
			for (unsigned s = 0; s < DPM_CONF_FRAME; s++) {
				int32_t v = out[k][s] + pcm_prompt[s];

				out[k][s] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
			}
		n = sb_enc_encode(c->cenc, out[k], buf, sizeof(buf), &pkt);
		if (n <= 0 || c->gen != DPM_GEN_IDLE)
			continue; /* DTX; or the leg's own prompt or digits */
		if (!c->c_started) {
			c->c_ts0 = dpm_gen_ts_start(w, c->leg, dpm_codec_clock(c->codec), now) - pkt.ts;
			c->c_started = 1;
		}
		sb_dpm_originate(w, c->leg, c->pt, pkt.marker != 0, c->c_ts0 + pkt.ts,
				 c->c_ts0 + pkt.ts, buf, (unsigned)n, now);
	}
}

void dpm_conf_timer(struct sb_worker *w, uint64_t now)
{
	struct sb_dpm *m = w->media;

	for (uint32_t i = 0; i < m->n_confs; i++) {
		struct dpm_conf *cf = &m->confs[i];

		if (cf->n_members == 0)
			continue;
		if (cf->next_tsc == 0)
			cf->next_tsc = now + m->frame_tsc;
		for (unsigned k = 0; k < 3 && now >= cf->next_tsc; k++) {
			conf_tick(w, i, now);
			cf->next_tsc += m->frame_tsc;
		}
		if (now >= cf->next_tsc)
			cf->next_tsc = now + m->frame_tsc; /* a stall: re-base */
	}
}

int dpm_conf_prompt(struct sb_worker *w, const struct sb_cmd_prompt *cmd, bool play)
{
	struct sb_dpm *m = w->media;
	struct dpm_conf *cf;
	struct sb_prompt *p;
	struct sb_prompt_ev ev;
	int rc;

	if (cmd->conf >= m->n_confs)
		return -EINVAL;
	cf = &m->confs[cmd->conf];
	if (!play) {
		conf_prompt_stop(w, cmd->conf, SB_PROMPT_END_STOPPED);
		return 0;
	}
	if ((cmd->flags & ~SB_PROMPT_LOOP) != 0)
		return -EINVAL;
	if (cf->n_members == 0)
		return -ENOENT; /* nobody would hear it */
	p = dpm_prompt_get(w, cmd->prompt);
	if (p == NULL)
		return m->sh == NULL ? -ENOTSUP : -ENOENT;
	rc = sb_prompt_player_start(&cf->play, p, SB_PROMPT_S16_8K,
				    (cmd->flags & SB_PROMPT_LOOP) ? SB_PROMPT_PLAY_LOOP
								  : SB_PROMPT_PLAY_ONCE,
				    cmd->conf, &ev);
	if (rc < 0) {
		sb_prompt_put(p);
		return rc;
	}
	if (rc == 1)
		dpm_prompt_emit(w, SB_LEG_NONE, cmd->conf, &ev, SB_PROMPT_END_STOPPED);
	return 0;
}
