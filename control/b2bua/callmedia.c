/* SPDX-License-Identifier: MIT */
/*
 * b2bua/callmedia.c — what a call asks of the dataplane beyond relaying
 * (media/backend.h leg_media and friends, ABI 4), and the events that come
 * back (DTMF digits, prompt ends):
 *
 *   - SDES-SRTP: the SDP layer (sip/sdp_oa.c) already answers RTP/SAVP
 *     offers with a fresh key of the offered suite when the backend has
 *     SB_MEDIA_CAP_SRTP; here the keys reach the legs (LEG_MEDIA: rx = the
 *     peer's, tx = ours).  An agent with `srtp: true` is offered RTP/SAVP
 *     with our own key too; otherwise the agent side is plain RTP and the
 *     worker bridges SRTP <-> RTP.
 *   - transcoding: with `media: transcode: true` agents are offered every
 *     codec we have; when the agent picks one the caller lacks, each leg is
 *     programmed with its own side's codec instead of a 488.
 *   - DTMF: digits the worker detects reach the call (debug log, and the
 *     call's hook: sb_call_dtmf_hook(), call.h).
 *   - music on hold: a queue's `moh:` prompt loops on the waiting caller's
 *     leg until an agent answers.
 *
 * Plain calls (RTP both sides, one codec, no hook) get no LEG_MEDIA at all:
 * the worker relays them on its fastest path.  A backend without the
 * capability (kernel: relay only) is never asked: DESIGN.md places calls
 * that need processing on the DPDK backend, and such calls are refused on
 * the kernel one exactly as before (488 for SRTP and missing codecs).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "b2bua/call_priv.h"
#include "b2bua/ivr.h"
#include "b2bua/queue.h"
#include "log.h"
#include "sip/sdp_oa.h"

static struct sb_call *call_of(struct sb_cp *cp, uint64_t owner, int *side)
{
	enum media_op op = (enum media_op)((owner >> 24) & 0xff);
	struct sb_call *c = calltab_get(cp, (uint32_t)(owner & 0xffffff), (uint32_t)(owner >> 32));

	*side = op == OP_ADD_B ? SIDE_B : SIDE_A;
	/* the agent leg of a consultation an attended transfer moved (xfer.c) */
	if (c && c->state == CALL_GONE && c->xfer.has_fwd && op == OP_ADD_B)
		c = calltab_get(cp, c->xfer.fwd_idx, c->xfer.fwd_gen);
	return c && c->state != CALL_GONE ? c : NULL;
}

static void on_dtmf(void *arg, uint64_t owner, char digit, uint32_t duration_ms)
{
	int side;
	struct sb_call *c = call_of(arg, owner, &side);

	if (c == NULL)
		return;
	sb_dbg("call %u: DTMF '%c' (%u ms) from the %s", c->idx, digit, duration_ms,
	       side == SIDE_A ? (c->sup.role == SUP_SUPERVISOR ? "supervisor" : "caller")
			      : "agent");
	if (side == SIDE_B && cons_on_dtmf(c, digit))
		return; /* the agent's in-call codes (b2bua/consult.c) */
	if (side == SIDE_A && !c->dtmf_fn && cpq_on_dtmf(c, digit))
		return; /* a waiting caller's callback digit (b2bua/queue.c) */
	if (c->dtmf_fn)
		c->dtmf_fn(c, c->dtmf_arg, side, digit, duration_ms);
}

static void on_prompt(void *arg, uint64_t owner, uint32_t prompt, unsigned reason)
{
	int side;
	struct sb_call *c = call_of(arg, owner, &side);

	if (c == NULL)
		return;
	sb_dbg("call %u: prompt %u on the %s leg ended (%s)", c->idx, prompt,
	       side == SIDE_A ? "caller" : "agent",
	       reason == SB_MEDIA_PROMPT_DONE ? "done" :
	       reason == SB_MEDIA_PROMPT_STOPPED ? "stopped" : "error");
	if (side == SIDE_A && ivr_on_prompt(c, prompt, reason))
		return; /* an IVR prompt's (b2bua/ivr.c) */
	if (side == SIDE_A && cpq_on_prompt(c, prompt, reason))
		return; /* a queue announcement's (b2bua/queue.c) */
	if (side == SIDE_A && reason != SB_MEDIA_PROMPT_DONE)
		c->moh_on = false;
}

void sb_call_media_init(struct sb_cp *cp)
{
	struct sb_media *md = cp->media;
	const struct sb_config *cfg = cp->cfg;

	md->dtmf = on_dtmf;
	md->prompt_done = on_prompt;
	call_rec_init(cp); /* recording events, retention sweeps (callrec.c) */
	if (cfg->n_prompts == 0)
		return;
	if (!sb_media_has(md, SB_MEDIA_CAP_PROMPT)) {
		sb_warn("media: %u prompts configured, but the %s backend cannot play them "
			"(music on hold needs the DPDK backend)", cfg->n_prompts, md->ops->name);
		return;
	}
	for (unsigned i = 0; i < cfg->n_prompts; i++) {
		int rc = md->ops->prompt_load(md, i, cfg->prompts[i].path);

		if (rc < 0)
			sb_warn("media: prompt '%s' (%s) not loaded: %s", cfg->prompts[i].name,
				cfg->prompts[i].path, strerror(-rc));
		else
			sb_dbg("media: prompt %u '%s' = %s", i, cfg->prompts[i].name,
			       cfg->prompts[i].path);
	}
}

/* ---- LEG_MEDIA from what a leg carries ---- */

/* The leg's audio codec is its first non-DTMF entry (after an answer the
 * one in use), telephone-event its DTMF; numbers as the leg's peer uses
 * them (pt_in). */
static void proc_of(const struct sb_media_sdp *sdp, uint32_t flags, struct sb_media_proc *p)
{
	memset(p, 0, sizeof(*p));
	for (unsigned i = 0; i < sdp->n_pt && i < SB_MEDIA_MAX_PT; i++) {
		const struct sb_media_pt *e = &sdp->pt[i];

		if (e->codec == SB_CODEC_TEL_EVENT) {
			if (p->dtmf_pt == 0) {
				p->dtmf_pt = e->pt_in;
				p->dtmf_clock_hz = e->clock_hz;
			}
		} else if (p->codec == SB_CODEC_NONE && e->codec != SB_CODEC_NONE) {
			p->codec = e->codec;
			p->pt = e->pt_in;
			p->channels = e->channels;
			p->clock_hz = e->clock_hz;
		}
	}
	/* opus is written opus/48000/2 in SDP whatever it carries (RFC 7587):
	 * mono unless its fmtp says stereo, which we do not ask for */
	if (p->codec == SB_CODEC_OPUS)
		p->channels = 1;
	/* packet times the workers frame with; anything else: their 20 ms */
	if (sdp->ptime == 10 || sdp->ptime == 20 || sdp->ptime == 40 || sdp->ptime == 60)
		p->ptime = sdp->ptime;
	p->flags = flags;
}

static bool leg_has_keys(const struct sb_media_leg *l)
{
	return l->sdp.rx.suite != SB_SRTP_NONE || l->sdp.tx.suite != SB_SRTP_NONE;
}

bool call_media_wanted(const struct sb_call *c)
{
	return c->media_prog || c->xcode || c->moh_on || c->dtmf_fn || c->sup.role ||
	       cons_enabled(c) || leg_has_keys(&c->leg[SIDE_A]) || leg_has_keys(&c->leg[SIDE_B]);
}

/* DTMF: always reported; kept from the other side while a hook owns the
 * digits (an IVR or a supervisor's mode keys are nobody else's business). */
static uint32_t dtmf_flags(const struct sb_call *c)
{
	return SB_MEDIA_P_DTMF | (c->dtmf_fn ? SB_MEDIA_P_DTMF_STRIP : 0);
}

static int media_leg(struct sb_call *c, int s, enum media_op op)
{
	struct sb_media *md = c->cp->media;
	struct sb_media_proc p;
	int rc;

	/* the agent's in-call codes are nobody else's business either */
	proc_of(&c->leg[s].sdp, s == SIDE_A ? dtmf_flags(c)
			: SB_MEDIA_P_DTMF | (cons_enabled(c) ? SB_MEDIA_P_DTMF_STRIP : 0), &p);
	rc = md->ops->leg_media(md, &c->leg[s], &p, call_cookie(c, op));
	if (rc < 0) {
		sb_warn("call %u: LEG_MEDIA on the %s leg not sent: %s", c->idx,
			s == SIDE_A ? "caller" : "agent", strerror(-rc));
		return rc;
	}
	c->pending++;
	return 0;
}

int call_media_leg(struct sb_call *c, int s)
{
	if (!sb_media_has(c->cp->media, SB_MEDIA_CAP_XCODE) || c->leg_st[s] != LEG_ADDED)
		return -ENOTSUP;
	return media_leg(c, s, OP_AUX);
}

int call_media_program(struct sb_call *c, bool aux)
{
	struct sb_media *md = c->cp->media;

	/* LEG_MEDIA exists on the DPDK backend only (DESIGN.md: calls that
	 * need processing are placed there); nothing asks the kernel one, as
	 * it has no keys, codecs or hooks to program: refuse, never pretend */
	if (!sb_media_has(md, SB_MEDIA_CAP_XCODE))
		return -ENOTSUP;
	for (int s = 0; s < 2; s++) {
		int rc;

		if (c->leg_st[s] != LEG_ADDED)
			continue;
		rc = media_leg(c, s, aux ? OP_AUX : s == SIDE_A ? OP_MEDIA_A : OP_MEDIA_B);
		if (rc < 0)
			return rc;
	}
	c->media_prog = true;
	return 0;
}

int sb_call_dtmf_hook(struct sb_call *c, sb_call_dtmf_fn *fn, void *arg)
{
	struct sb_media *md = c->cp->media;
	bool had = c->dtmf_fn != NULL;

	if (fn && !sb_media_has(md, SB_MEDIA_CAP_DTMF))
		return -ENOTSUP;
	c->dtmf_fn = fn;
	c->dtmf_arg = arg;
	/* legs already programmed or up: tell the worker (detect, strip) */
	if (had != (fn != NULL) && c->state == CALL_UP)
		return call_media_program(c, true);
	return 0;
}

/* ---- the agent's offer: more codecs, our key ---- */

static bool xcode_allowed(const struct sb_call *c)
{
	return c->cp->cfg->media_transcode && sb_media_has(c->cp->media, SB_MEDIA_CAP_XCODE);
}

static bool pt_used(const struct sb_sdp_neg *o, unsigned pt)
{
	for (unsigned i = 0; i < o->n_codecs; i++)
		if (o->codecs[i].pt == pt)
			return true;
	return false;
}

static bool has_codec(const struct sb_sdp_neg *o, unsigned codec)
{
	for (unsigned i = 0; i < o->n_codecs; i++)
		if (o->codecs[i].codec == codec)
			return true;
	return false;
}

/* Our codecs the caller did not offer, after its audio codecs and before
 * its telephone-event (static numbers, opus on a free dynamic one). */
static void offer_add_codecs(const struct sb_call *c, struct sb_sdp_neg *o)
{
	static const char pcmu[] = "PCMU", pcma[] = "PCMA", opus[] = "opus";
	struct sb_sdp_oa_cfg cfg;
	struct sb_sdp_codec te[SB_SDP_NEG_MAX];
	unsigned n_te = 0, n = 0;

	call_oa_cfg(c, &cfg);
	/* split off DTMF */
	for (unsigned i = 0; i < o->n_codecs; i++) {
		if (o->codecs[i].codec == SB_CODEC_TEL_EVENT)
			te[n_te++] = o->codecs[i];
		else
			o->codecs[n++] = o->codecs[i];
	}
	o->n_codecs = (uint8_t)n;
	for (unsigned k = 0; k < cfg.n_codecs && o->n_codecs + n_te < SB_SDP_NEG_MAX; k++) {
		struct sb_sdp_codec nc;

		memset(&nc, 0, sizeof(nc));
		nc.codec = cfg.codecs[k];
		if (nc.codec == SB_CODEC_TEL_EVENT || has_codec(o, nc.codec))
			continue;
		switch (nc.codec) {
		case SB_CODEC_PCMU:
			nc.pt = 0, nc.rate = 8000, nc.enc = sb_str_mk(pcmu, pcmu + 4);
			break;
		case SB_CODEC_PCMA:
			nc.pt = 8, nc.rate = 8000, nc.enc = sb_str_mk(pcma, pcma + 4);
			break;
		case SB_CODEC_OPUS:
			nc.pt = 96, nc.rate = 48000, nc.channels = 2, nc.enc = sb_str_mk(opus, opus + 4);
			while (nc.pt < 127 && pt_used(o, nc.pt))
				nc.pt++;
			break;
		default:
			continue;
		}
		if (pt_used(o, nc.pt))
			continue;
		for (unsigned t = 0; t < n_te; t++)
			if (te[t].pt == nc.pt)
				goto next;
		o->codecs[o->n_codecs++] = nc;
next:;
	}
	for (unsigned t = 0; t < n_te && o->n_codecs < SB_SDP_NEG_MAX; t++)
		o->codecs[o->n_codecs++] = te[t];
}

void call_agent_offer(struct sb_call *c, struct sb_sdp_neg *offer)
{
	const struct sb_config *cfg = c->cp->cfg;

	if (xcode_allowed(c))
		offer_add_codecs(c, offer);
	cons_offer_te(c, offer); /* the agent's in-call codes (consult.c) */
	if (c->agent < 0 || !cfg->agents[c->agent].srtp ||
	    !sb_media_has(c->cp->media, SB_MEDIA_CAP_SRTP))
		return; /* plain RTP toward the agent: the worker bridges */
	if (!c->b_has_key) {
		/* one key per call: a re-sent INVITE (422, next queue offer)
		 * offers the same one, and the answer is checked against it */
		if (sb_sdp_oa_new_key(&c->b_key, SB_SRTP_AES_CM_128_HMAC_SHA1_80, 1) < 0) {
			sb_warn("call %u: no randomness for the agent's SRTP key: plain RTP",
				c->idx);
			return;
		}
		c->b_has_key = true;
	}
	offer->proto = offer->proto == SB_SDP_RTP_AVPF ? SB_SDP_RTP_SAVPF : SB_SDP_RTP_SAVP;
	offer->has_local_key = true;
	offer->local_key = c->b_key;
}

/* ---- transcoding ---- */

static void pt_same(struct sb_media_sdp *leg, const struct sb_sdp_codec *c)
{
	struct sb_media_pt *p;

	if (c == NULL || leg->n_pt >= SB_MEDIA_MAX_PT)
		return;
	p = &leg->pt[leg->n_pt++];
	p->pt_in = p->pt_out = c->pt;
	p->codec = c->codec;
	p->channels = c->channels;
	p->clock_hz = c->rate;
}

static const struct sb_sdp_codec *first_audio(const struct sb_sdp_neg *n)
{
	for (unsigned i = 0; i < n->n_codecs; i++)
		if (n->codecs[i].codec != SB_CODEC_TEL_EVENT && n->codecs[i].codec != SB_CODEC_NONE)
			return &n->codecs[i];
	return NULL;
}

/* telephone-event at the clock the audio codec asks for (RFC 4733 2.1) */
static const struct sb_sdp_codec *te_for(const struct sb_sdp_neg *n,
					 const struct sb_sdp_codec *audio)
{
	uint32_t rate = audio->codec == SB_CODEC_OPUS ? 48000 : audio->rate;

	for (unsigned i = 0; i < n->n_codecs; i++)
		if (n->codecs[i].codec == SB_CODEC_TEL_EVENT && n->codecs[i].rate == rate)
			return &n->codecs[i];
	return NULL;
}

int call_xcode_bridge(struct sb_call *c, struct sb_media_sdp *la, struct sb_sdp_fail *f)
{
	const struct sb_sdp_neg *x = &c->a_neg, *y = &c->b_neg;
	const struct sb_sdp_codec *xc = first_audio(x), *yc = first_audio(y), *xte, *yte;
	struct sb_sdp_neg *ax = &c->a_ans;
	struct sb_media_sdp *lb = &c->leg[SIDE_B].sdp;

	if (!xcode_allowed(c) || xc == NULL || yc == NULL)
		return -ENOTSUP;
	xte = te_for(x, xc);
	yte = te_for(y, yc);
	/* our answer to the caller: its best codec (accept() sorted them by
	 * our preference), its DTMF, the direction both allow */
	memset(ax, 0, sizeof(*ax));
	ax->m_idx = x->m_idx;
	ax->proto = x->proto;
	ax->dir = (uint8_t)sb_sdp_oa_bridge_dir(x->dir, y->dir); /* hold passes through */
	ax->rtcp_mux = x->rtcp_mux;
	ax->ptime = x->ptime;
	ax->codecs[ax->n_codecs++] = *xc;
	if (xte)
		ax->codecs[ax->n_codecs++] = *xte;
	if (x->has_key) {
		if (sb_sdp_oa_new_key(&ax->local_key, (enum sb_srtp_suite)x->key.suite,
				      x->key.tag) < 0) {
			*f = (struct sb_sdp_fail){ 399, "No randomness for an SRTP key" };
			return -EIO;
		}
		ax->has_local_key = ax->has_key = true;
		ax->key = x->key;
	}
	/* each leg: its own side's codec, numbered as that side does */
	memset(la, 0, sizeof(*la));
	pt_same(la, xc);
	pt_same(la, xte);
	la->rtcp_mux = x->rtcp_mux;
	la->peer_rtcp_port = x->rtcp_mux ? 0 : x->rtcp_port;
	la->ptime = x->ptime;
	if (x->has_key) {
		sb_sdp_oa_srtp_of(&la->rx, &x->key);
		sb_sdp_oa_srtp_of(&la->tx, &ax->local_key);
	}
	memset(lb, 0, sizeof(*lb));
	pt_same(lb, yc);
	pt_same(lb, yte);
	lb->rtcp_mux = y->rtcp_mux;
	lb->peer_rtcp_port = y->rtcp_mux ? 0 : y->rtcp_port;
	lb->ptime = y->ptime;
	if (y->has_key)
		sb_sdp_oa_srtp_of(&lb->rx, &y->key);
	if (y->has_local_key)
		sb_sdp_oa_srtp_of(&lb->tx, &y->local_key);
	c->xcode = true;
	sb_info("call %u: no codec in common: transcoding " SB_STR_FMT "/%u (caller) <-> "
		SB_STR_FMT "/%u (agent)", c->idx, SB_STR_ARG(xc->enc), xc->rate,
		SB_STR_ARG(yc->enc), yc->rate);
	return 0;
}

/* ---- music on hold ---- */

void call_moh_start(struct sb_call *c)
{
	int q = c->hotline >= 0 ? c->cp->cfg->hotlines[c->hotline].queue : -1;

	/* a call the IVR put in a queue: that queue's (b2bua/ivr.c) */
	if (q < 0 && c->acd_in)
		q = cpq_call_queue(c);
	call_moh_start_q(c, q);
}

void call_moh_start_q(struct sb_call *c, int q)
{
	struct sb_cp *cp = c->cp;
	struct sb_media *md = cp->media;
	int prompt = q >= 0 ? cp->cfg->queues[q].moh : -1;
	struct sb_media_proc p;
	int rc;

	if (prompt < 0 || c->moh_on || c->leg_st[SIDE_A] != LEG_ADDED)
		return;
	if (!sb_media_has(md, SB_MEDIA_CAP_PROMPT | SB_MEDIA_CAP_XCODE)) {
		sb_dbg("call %u: no music on hold on the %s backend", c->idx, md->ops->name);
		return;
	}
	/* the worker encodes the prompt in the caller's codec: declare it */
	proc_of(&c->leg[SIDE_A].sdp, dtmf_flags(c), &p);
	rc = md->ops->leg_media(md, &c->leg[SIDE_A], &p, call_cookie(c, OP_AUX));
	if (rc == 0) {
		c->pending++;
		rc = md->ops->prompt_play(md, &c->leg[SIDE_A], (uint32_t)prompt,
					  SB_MEDIA_PROMPT_LOOP, call_cookie(c, OP_AUX));
	}
	if (rc < 0) {
		sb_warn("call %u: music on hold not started: %s", c->idx, strerror(-rc));
		return;
	}
	c->pending++;
	c->moh_on = true;
	c->media_prog = true; /* the answer re-programs both legs consistently */
	sb_dbg("call %u: music on hold '%s'", c->idx, cp->cfg->prompts[prompt].name);
}

void call_moh_stop(struct sb_call *c)
{
	struct sb_media *md = c->cp->media;

	if (!c->moh_on || c->leg_st[SIDE_A] != LEG_ADDED)
		return;
	c->moh_on = false;
	if (md->ops->prompt_stop(md, &c->leg[SIDE_A], call_cookie(c, OP_AUX)) == 0)
		c->pending++;
}
