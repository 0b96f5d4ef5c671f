/* SPDX-License-Identifier: MIT */
/*
 * b2bua/supervise.c — listen, whisper and barge (see supervise.h).
 *
 *   supervisor INVITE *52agent1 ─▶ checks ─▶ LEG_ADD (supervised call's worker)
 *   added ─▶ LEG_MEDIA sup (DTMF, its codec/keys), LEG_MEDIA caller+agent
 *          (once: the mixer decodes them) ─▶ CONF_JOIN caller TALK,
 *          agent TALK, sup WHISPER→agent ─▶ 200 + SDP to the supervisor
 *   sup DTMF 4/5/6 ─▶ CONF_JOIN sup LISTEN / WHISPER→agent / TALK
 *   sup BYE ─▶ CONF_LEAVE caller, agent ─▶ LEG_CONNECT caller↔agent
 *   supervised call ends ─▶ BYE the supervisor
 *
 * All of it is on one worker ring, so the dataplane applies it in order;
 * failures of these commands are logged (OP_AUX): the supervised call is
 * never ended because supervision failed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "b2bua/call_priv.h"
#include "log.h"
#include "sip/sdp_oa.h"

/* Conference numbers per worker: sb-dataplane has --confs (default 16)
 * per worker, numbered from 0; we use the lowest free one.  Shared with
 * consultations (b2bua/consult.c): one bitmap, call_priv.h. */
#define SUP_CONFS 16u
_Static_assert(SUP_CONFS <= 8 * sizeof(((struct sb_cp *)0)->sup_confs[0]), "bitmap too small");

int call_conf_get(struct sb_cp *cp, unsigned worker)
{
	if (worker >= sizeof(cp->sup_confs) / sizeof(cp->sup_confs[0]))
		return -1;
	for (unsigned i = 0; i < SUP_CONFS; i++)
		if (!(cp->sup_confs[worker] & (1u << i))) {
			cp->sup_confs[worker] |= (uint16_t)(1u << i);
			return (int)i;
		}
	return -1;
}

void call_conf_put(struct sb_cp *cp, unsigned worker, uint32_t conf)
{
	if (worker < sizeof(cp->sup_confs) / sizeof(cp->sup_confs[0]) && conf < SUP_CONFS)
		cp->sup_confs[worker] &= (uint16_t)~(1u << conf);
}

static const char *mode_name(unsigned m)
{
	return m == SB_MEDIA_CONF_LISTEN ? "listen" : m == SB_MEDIA_CONF_WHISPER ? "whisper"
									     : "barge";
}

static struct sb_call *sup_peer(struct sb_call *c)
{
	struct sb_call *p = calltab_get(c->cp, c->sup.peer_idx, c->sup.peer_gen);

	return p && p->state != CALL_GONE ? p : NULL;
}

/* The supervisor's leg joins (or changes mode in) the supervised call's
 * conference. */
static int sup_join(struct sb_call *c, struct sb_call *t, unsigned mode)
{
	struct sb_media *md = c->cp->media;
	int rc = md->ops->conf_join(md, &c->leg[SIDE_A], t->sup.conf, (enum sb_media_conf_mode)mode,
				    mode == SB_MEDIA_CONF_WHISPER ? &t->leg[SIDE_B] : NULL,
				    call_cookie(c, OP_AUX));

	if (rc == 0)
		c->pending++;
	return rc;
}

/* `recording: supervisor: true` (issue 7): while the supervisor whispers
 * or barges, what it says goes into the supervised call's recording too
 * (the dataplane sums it into the agent's side); a listener is heard by
 * nobody, so it is not tapped.  Off again when it listens or leaves. */
static void sup_rec(struct sb_call *c, struct sb_call *t, bool on)
{
	struct sb_media *md = c->cp->media;
	int rc;

	if (!c->cp->cfg->recording.supervisor || !t->rec.on || md->ops->rec_leg == NULL ||
	    c->leg_st[SIDE_A] != LEG_ADDED)
		return;
	rc = md->ops->rec_leg(md, &c->leg[SIDE_A], t->rec.id, on, call_cookie(c, OP_AUX));
	if (rc == 0) {
		c->pending++;
		sb_info("call %u: supervisor %s recording %u", c->idx, on ? "in" : "out of",
			t->rec.id);
	} else {
		sb_warn("call %u: supervisor not %s recording %u: %s", c->idx,
			on ? "added to" : "removed from", t->rec.id, strerror(-rc));
	}
}

/* DTMF of the supervisor: 4 listen, 5 whisper, 6 barge. */
static void sup_dtmf(struct sb_call *c, void *arg, int side, char digit, uint32_t duration_ms)
{
	struct sb_call *t = sup_peer(c);
	unsigned mode;

	(void)arg;
	(void)duration_ms;
	if (side != SIDE_A || t == NULL || c->state == CALL_GONE)
		return;
	switch (digit) {
	case '4': mode = SB_MEDIA_CONF_LISTEN; break;
	case '5': mode = SB_MEDIA_CONF_WHISPER; break;
	case '6': mode = SB_MEDIA_CONF_TALK; break;
	default: return;
	}
	if (mode == c->sup.mode)
		return;
	if (sup_join(c, t, mode) < 0) {
		sb_warn("call %u: supervisor's switch to %s not sent", c->idx, mode_name(mode));
		return;
	}
	sb_info("call %u: supervisor of call %u switches %s -> %s", c->idx, t->idx,
		mode_name(c->sup.mode), mode_name(mode));
	if ((c->sup.mode == SB_MEDIA_CONF_LISTEN) != (mode == SB_MEDIA_CONF_LISTEN))
		sup_rec(c, t, mode != SB_MEDIA_CONF_LISTEN);
	c->sup.mode = (uint8_t)mode;
}

bool sup_on_invite(struct sb_call *c, struct sb_str user)
{
	struct sb_cp *cp = c->cp;
	const struct sb_cfg_supervision *sc = &cp->cfg->supervision;
	const char *codes[3] = { sc->listen, sc->whisper, sc->barge };
	static const unsigned modes[3] = { SB_MEDIA_CONF_LISTEN, SB_MEDIA_CONF_WHISPER,
					   SB_MEDIA_CONF_TALK };
	struct sb_media *md = cp->media;
	struct sb_sdp_fail f = { 0, NULL };
	struct sb_call *t;
	unsigned mode = 0;
	size_t n = 0;
	int agent, rc, conf;

	for (unsigned i = 0; i < 3 && mode == 0; i++) {
		n = strlen(codes[i]);
		if (n && user.len > n && memcmp(user.p, codes[i], n) == 0)
			mode = modes[i];
	}
	if (mode == 0)
		return false;
	sb_timer_init(&c->t_ring, NULL, c); /* call_end() cancels it: never armed here */
	if (c->caller_agent < 0 || !cp->cfg->agents[c->caller_agent].supervisor) {
		sb_info("call %u: supervision code from %s, who is no registered supervisor",
			c->idx, c->caller);
		call_fail(c, 403, "system");
		return true;
	}
	agent = sb_config_agent_find(cp->cfg, user.p + n, user.len - n);
	if (agent < 0) {
		call_fail(c, 404, "system");
		return true;
	}
	t = calltab_slot(cp, cp->reg.e[agent].busy_call);
	if (t == NULL || t == c || t->state != CALL_UP || t->agent != agent ||
	    t->leg_st[SIDE_A] != LEG_ADDED || t->leg_st[SIDE_B] != LEG_ADDED ||
	    t->sup.role != SUP_NONE || t->cons.role != CONS_NONE) {
		sb_info("call %u: %s cannot supervise %s: %s", c->idx, c->caller,
			cp->cfg->agents[agent].user,
			t && t->sup.role != SUP_NONE ? "already supervised" : "not on an established call");
		call_fail(c, 486, "system");
		return true;
	}
	if (!sb_media_has(md, SB_MEDIA_CAP_MIX | SB_MEDIA_CAP_DTMF)) {
		/* DESIGN.md: a call that needs mixing is placed on the DPDK backend */
		f = (struct sb_sdp_fail){ 399, "Supervision needs mixing (DPDK dataplane)" };
		call_fail_488(c, &f, "system");
		return true;
	}
	rc = call_accept_offer(c, &f);
	if (rc < 0) {
		call_fail_488(c, &f, "system");
		return true;
	}
	conf = call_conf_get(cp, t->leg[SIDE_A].worker);
	if (conf < 0) {
		sb_warn("call %u: no free conference on worker %u", c->idx, t->leg[SIDE_A].worker);
		call_fail(c, 486, "system");
		return true;
	}
	call_reply(c, 100, NULL, SB_STR_EMPTY);
	/* a conference lives on one worker: the supervised call's */
	rc = md->ops->leg_alloc(md, (int)t->leg[SIDE_A].worker, &c->leg[SIDE_A]);
	if (rc == 0) {
		c->leg_st[SIDE_A] = LEG_ALLOCATED;
		sb_sdp_oa_leg_params(&c->a_neg, &c->leg[SIDE_A].sdp);
		rc = md->ops->leg_add(md, &c->leg[SIDE_A], c->a_neg.addr.ip4, c->a_neg.port,
				      SB_MEDIA_F_LATCH | SB_MEDIA_F_STRICT, c->idx,
				      call_cookie(c, OP_ADD_A));
	}
	if (rc < 0) {
		sb_warn("call %u: no media leg for the supervisor: %s", c->idx, strerror(-rc));
		call_conf_put(cp, t->leg[SIDE_A].worker, (uint32_t)conf);
		call_fail(c, 503, "system");
		return true;
	}
	c->leg_st[SIDE_A] = LEG_ADDING;
	c->pending++;
	c->state = CALL_LEGS;
	c->sup = (struct call_sup){ .role = SUP_SUPERVISOR, .mode = (uint8_t)mode,
				    .peer_idx = t->idx, .peer_gen = t->gen };
	/* the conference number: free on that worker until the supervision ends */
	t->sup = (struct call_sup){ .role = SUP_SUPERVISED, .peer_idx = c->idx,
				    .peer_gen = c->gen, .conf = (uint32_t)conf };
	c->sup.conf = t->sup.conf;
	sb_info("call %u: supervisor %s: %s on call %u (agent %s)", c->idx, c->caller,
		mode_name(mode), t->idx, cp->cfg->agents[agent].user);
	return true;
}

void sup_legs_added(struct sb_call *c)
{
	struct sb_cp *cp = c->cp;
	struct sb_media *md = cp->media;
	struct sb_call *t = sup_peer(c);
	const struct sb_sip_addr *local = sb_sip_flow_local(&cp->tx, c->a_sock);
	const uint8_t *ip = (const uint8_t *)&local->ip;
	char sdp_mem[2048], contact[300];
	struct sb_sdp_oa_cfg oa;
	struct sb_sdp_local l;
	struct sb_sdp_fail f = { 0, NULL };
	struct sb_sdp offer;
	struct sb_buf sdp;
	int rc;

	if (t == NULL || t->state != CALL_UP || t->sup.peer_idx != c->idx) {
		sb_info("call %u: the supervised call ended meanwhile", c->idx);
		c->sup.role = SUP_NONE;
		call_fail(c, 480, "system");
		return;
	}
	/* our answer: the supervisor's best codec, a key of ours for SAVP */
	memset(&l, 0, sizeof(l));
	l.addr.family = 4;
	l.addr.ip4 = sb_media_leg_ip(md, &c->leg[SIDE_A]); /* per leg: --media-addrs */
	l.port = c->leg[SIDE_A].port;
	l.sess_id = sb_rand_next(&cp->rnd) >> 20;
	l.sess_ver = 1;
	sb_buf_init(&sdp, sdp_mem, sizeof(sdp_mem));
	call_oa_cfg(c, &oa);
	rc = sb_sdp_parse(c->a_msg->body.p, sb_str_end(c->a_msg->body), &offer, NULL);
	if (rc == 0)
		rc = sb_sdp_oa_answer(&oa, &offer, &l, &c->a_ans, &sdp, &f);
	if (rc < 0 || !sb_buf_ok(&sdp)) {
		call_fail(c, 500, "system");
		return;
	}
	sb_sdp_oa_leg_params(&c->a_ans, &c->leg[SIDE_A].sdp);
	c->leg[SIDE_A].sdp.peer_rtcp_port = c->a_neg.rtcp_mux ? 0 : c->a_neg.rtcp_port;
	if (c->a_ans.has_local_key)
		sb_sdp_oa_srtp_of(&c->leg[SIDE_A].sdp.tx, &c->a_ans.local_key);

	/* the supervisor's digits switch modes: ours, kept out of the mix */
	c->dtmf_fn = sup_dtmf;
	c->dtmf_arg = NULL;
	rc = call_media_program(c, true);
	/* the mixer decodes caller and agent: declare their codecs (once) */
	if (rc == 0 && !t->media_prog)
		rc = call_media_program(t, true);
	if (rc == 0) {
		rc = md->ops->conf_join(md, &t->leg[SIDE_A], t->sup.conf, SB_MEDIA_CONF_TALK, NULL,
					call_cookie(t, OP_AUX));
		if (rc == 0) {
			t->pending++;
			t->sup.joined = true;
			rc = md->ops->conf_join(md, &t->leg[SIDE_B], t->sup.conf,
						SB_MEDIA_CONF_TALK, NULL, call_cookie(t, OP_AUX));
		}
		if (rc == 0) {
			t->pending++;
			rc = sup_join(c, t, c->sup.mode);
		}
	}
	if (rc < 0) {
		sb_warn("call %u: supervision not set up: %s", c->idx, strerror(-rc));
		call_fail(c, 503, "system"); /* sup_call_end() reconnects the call */
		return;
	}
	if (c->sup.mode != SB_MEDIA_CONF_LISTEN)
		sup_rec(c, t, true);
	snprintf(contact, sizeof(contact), "Contact: <sip:switchboard@%u.%u.%u.%u:%u%s>\r\n",
		 ip[0], ip[1], ip[2], ip[3], local->port,
		 sb_sip_flow_is_stream(c->a_sock) ? ";transport=tcp" : "");
	c->state = CALL_CONFIRMING;
	c->answer_ms = (int64_t)sb_wall_ms();
	cp->cnt.calls_answered++;
	call_reply(c, 200, contact, sb_str_mk(sdp.p, sdp.p + sdp.len));
	dlg_sent_sdp(c, SIDE_A, sdp.p, sdp.len);
	sb_info("call %u: supervising call %u (%s)", c->idx, t->idx, mode_name(c->sup.mode));
}

void sup_call_end(struct sb_call *c)
{
	struct sb_media *md = c->cp->media;
	struct sb_call *p;
	int rc;

	if (c->sup.role == SUP_NONE)
		return;
	p = sup_peer(c);
	if (p && (p->sup.peer_idx != c->idx || p->sup.peer_gen != c->gen))
		p = NULL;
	if (c->sup.role == SUP_SUPERVISOR) {
		c->sup.role = SUP_NONE;
		if (p == NULL)
			return;
		call_conf_put(c->cp, p->leg[SIDE_A].worker, p->sup.conf);
		if (c->sup.mode != SB_MEDIA_CONF_LISTEN)
			sup_rec(c, p, false); /* the recording goes on without it */
		/* back to a plain connection: out of the mixer, legs connected */
		rc = 0;
		if (p->sup.joined) {
			rc = md->ops->conf_leave(md, &p->leg[SIDE_A], call_cookie(p, OP_AUX));
			if (rc == 0) {
				p->pending++;
				rc = md->ops->conf_leave(md, &p->leg[SIDE_B], call_cookie(p, OP_AUX));
			}
			if (rc == 0) {
				p->pending++;
				rc = md->ops->connect(md, &p->leg[SIDE_A], &p->leg[SIDE_B],
						      call_cookie(p, OP_AUX));
			}
			if (rc == 0)
				p->pending++;
		}
		p->sup = (struct call_sup){ 0 };
		if (rc < 0)
			sb_warn("call %u: not reconnected after supervision: %s", p->idx,
				strerror(-rc));
		else
			sb_info("call %u: supervision by call %u ended; plain connection again",
				p->idx, c->idx);
		return;
	}
	/* the supervised call ended: so does its supervision */
	call_conf_put(c->cp, c->leg[SIDE_A].worker, c->sup.conf);
	c->sup = (struct call_sup){ 0 };
	if (p == NULL)
		return;
	p->sup.role = SUP_NONE;
	sb_info("call %u: supervised call %u ended; hanging up the supervisor", p->idx, c->idx);
	if (p->a_final == 0) {
		call_fail(p, 480, "system");
		return;
	}
	call_stop_2xx(p);
	uac_bye_caller(p);
	call_end(p, "supervised", 200); /* CDR hangup_by: fits 15 chars */
}
