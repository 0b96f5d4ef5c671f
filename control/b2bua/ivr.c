/* SPDX-License-Identifier: MIT */
/*
 * b2bua/ivr.c — IVR menus on the caller's leg (see ivr.h for the flow).
 * Everything here runs on the loop thread; the menus are the config's
 * (indexes only: config_ivr.c resolved every name at load).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "b2bua/call_priv.h"
#include "b2bua/ivr.h"
#include "b2bua/queue.h"
#include "log.h"
#include "sip/sdp_oa.h"

/* menu hops without a digit in between (closed -> menu -> closed ...):
 * a config whose closed branches loop would otherwise never stop */
#define IVR_MAX_HOPS 16

static void ivr_act(struct sb_call *c, const struct sb_cfg_ivr_act *a, unsigned hops);

static const struct sb_cfg_ivr_menu *menu_of(const struct sb_call *c)
{
	return &c->cp->cfg->ivr_menus[c->ivr.menu];
}

bool ivr_wanted(const struct sb_call *c)
{
	return c->hotline >= 0 && c->cp->cfg->hotlines[c->hotline].ivr >= 0;
}

/* ---- prompts on the caller's leg ---- */

static void prompt_stop(struct sb_call *c)
{
	struct sb_media *md = c->cp->media;

	if (!c->ivr.playing)
		return;
	c->ivr.playing = false;
	if (md->ops->prompt_stop(md, &c->leg[SIDE_A], call_cookie(c, OP_AUX)) == 0) {
		c->pending++;
		c->ivr.stops++; /* its STOPPED event is ours, not music on hold's */
	}
}

static void prompt_play(struct sb_call *c, int prompt, bool invalid)
{
	struct sb_media *md = c->cp->media;
	int rc;

	prompt_stop(c);
	c->ivr.invalid_playing = invalid;
	rc = md->ops->prompt_play(md, &c->leg[SIDE_A], (uint32_t)prompt, 0,
				  call_cookie(c, OP_AUX));
	c->ivr.playing = true;
	c->ivr.prompt = (uint32_t)prompt;
	if (rc < 0) {
		/* as if it had played: the caller can still press a digit */
		sb_warn("call %u: IVR prompt '%s' not played: %s", c->idx,
			c->cp->cfg->prompts[prompt].name, strerror(-rc));
		ivr_on_prompt(c, (uint32_t)prompt, SB_MEDIA_PROMPT_ERROR);
		return;
	}
	c->pending++;
}

/* The IVR lets go of the caller's leg: no prompt, no hook; relay: the
 * call goes on, its digits are relayed again (the agent may need them). */
static void ivr_leave(struct sb_call *c, bool relay)
{
	if (!c->ivr.on)
		return;
	c->ivr.on = false;
	sb_timer_cancel(c->cp->loop, &c->ivr.t);
	prompt_stop(c);
	c->dtmf_fn = NULL;
	c->dtmf_arg = NULL;
	if (relay)
		call_media_leg(c, SIDE_A);
}

/* "ivr:main>billing" for the queue's enter event */
static void path_str(const struct sb_call *c, char *out, size_t cap)
{
	size_t n = (size_t)snprintf(out, cap, "ivr:");

	for (unsigned i = 0; i < c->ivr.n_path && i < CALL_IVR_PATH && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? ">" : "",
				      c->cp->cfg->ivr_menus[c->ivr.path[i]].name);
}

/* ---- menus ---- */

static void menu_enter(struct sb_call *c, unsigned mi, unsigned hops)
{
	const struct sb_config *cfg = c->cp->cfg;
	const struct sb_cfg_ivr_menu *m = &cfg->ivr_menus[mi];

	if (hops > IVR_MAX_HOPS) {
		sb_warn("call %u: IVR went through %u menus without a digit; hanging up",
			c->idx, hops);
		ivr_leave(c, false);
		uac_bye_caller(c);
		call_end(c, "ivr", 200);
		return;
	}
	c->ivr.menu = (int16_t)mi;
	c->ivr.tries = 0;
	if (c->ivr.n_path < CALL_IVR_PATH)
		c->ivr.path[c->ivr.n_path] = (uint16_t)mi;
	if (c->ivr.n_path < UINT8_MAX)
		c->ivr.n_path++;
	sb_timer_cancel(c->cp->loop, &c->ivr.t);
	if (m->hours >= 0 &&
	    !sb_cfg_hours_open(&cfg->hours[m->hours], sb_cfg_hours_now())) {
		sb_info("call %u: IVR menu %s: closed (hours %s)", c->idx, m->name,
			cfg->hours[m->hours].name);
		ivr_act(c, &m->closed, hops + 1);
		return;
	}
	sb_info("call %u: IVR menu %s", c->idx, m->name);
	prompt_play(c, m->prompt, false);
}

/* A try failed (timeout or invalid digit): the menu again, or give up. */
static void menu_retry(struct sb_call *c, bool invalid)
{
	const struct sb_cfg_ivr_menu *m = menu_of(c);

	if (++c->ivr.tries > m->retries) {
		sb_info("call %u: IVR menu %s: %s %u times", c->idx, m->name,
			invalid ? "invalid input" : "no input", c->ivr.tries);
		ivr_act(c, invalid ? &m->on_max_retries : &m->on_timeout, 0);
		return;
	}
	if (invalid && m->invalid >= 0)
		prompt_play(c, m->invalid, true); /* then the menu's (ivr_on_prompt) */
	else
		prompt_play(c, m->prompt, false);
}

static void on_timeout(struct sb_timer *t, void *arg)
{
	struct sb_call *c = arg;

	(void)t;
	if (c->ivr.on && c->state != CALL_GONE)
		menu_retry(c, false);
}

/* Ring one agent of hl (a hotline's list, or one agent): false when none
 * is registered and free. */
static bool ring_agent(struct sb_call *c, const struct sb_cfg_hotline *hl)
{
	struct sb_cp *cp = c->cp;
	int ag = sb_registrar_pick(cp, hl);

	if (ag < 0)
		return false;
	ivr_leave(c, true);
	c->agent = ag;
	cp->reg.e[ag].busy_call = c->idx;
	c->state = CALL_RINGING;
	sb_info("call %u: IVR transfers it to agent %s", c->idx, cp->cfg->agents[ag].user);
	if (uac_invite_agent(c) < 0) {
		call_fail(c, 500, "system");
		return true;
	}
	sb_timer_arm(cp->loop, &c->t_ring, (uint64_t)cp->cfg->ring_timeout_s * 1000u);
	return true;
}

static void to_queue(struct sb_call *c, int qi, uint8_t prio)
{
	char via[SB_CFG_NAME_MAX];

	path_str(c, via, sizeof(via));
	ivr_leave(c, true);
	sb_info("call %u: IVR (%s) sends it to queue %s", c->idx, via,
		c->cp->cfg->queues[qi].name);
	cpq_enqueue_to(c, qi, prio, via);
}

static void ivr_act(struct sb_call *c, const struct sb_cfg_ivr_act *a, unsigned hops)
{
	const struct sb_config *cfg = c->cp->cfg;
	uint8_t prio = cfg->hotlines[c->hotline].priority;
	struct sb_cfg_hotline one;

	switch (a->type) {
	case SB_IVR_ACT_QUEUE:
		to_queue(c, a->arg, prio);
		return;
	case SB_IVR_ACT_MENU:
		menu_enter(c, a->arg, hops);
		return;
	case SB_IVR_ACT_REPEAT:
		prompt_play(c, menu_of(c)->prompt, false);
		return;
	case SB_IVR_ACT_NUMBER: {
		const struct sb_cfg_hotline *h = &cfg->hotlines[a->arg];

		if (h->ivr >= 0) {
			menu_enter(c, (unsigned)h->ivr, hops);
			return;
		}
		if (h->queue >= 0) {
			to_queue(c, h->queue, h->priority);
			return;
		}
		if (ring_agent(c, h))
			return;
		break;
	}
	case SB_IVR_ACT_OUTSIDE: /* no hotline: through the outbound trunk */
		ivr_leave(c, true);
		c->agent = -1;
		c->state = CALL_RINGING;
		sb_info("call %u: IVR transfers it to %s (outbound trunk)", c->idx,
			cfg->outside[a->arg]);
		if (uac_invite_number(c, cfg->outside[a->arg]) < 0) {
			call_fail(c, 500, "system");
			return;
		}
		sb_timer_arm(c->cp->loop, &c->t_ring, (uint64_t)cfg->ring_timeout_s * 1000u);
		return;
	case SB_IVR_ACT_AGENT:
		memset(&one, 0, sizeof(one));
		one.n_agents = 1;
		one.agents[0] = a->arg;
		if (ring_agent(c, &one))
			return;
		break;
	case SB_IVR_ACT_HANGUP:
	default:
		sb_info("call %u: IVR hangs up", c->idx);
		ivr_leave(c, false);
		uac_bye_caller(c);
		call_end(c, "ivr", 200);
		return;
	}
	/* a transfer nobody can take now: as invalid input */
	sb_info("call %u: IVR transfer target busy or not registered", c->idx);
	menu_retry(c, true);
}

static void on_digit(struct sb_call *c, void *arg, int side, char digit, uint32_t duration_ms)
{
	const struct sb_cfg_ivr_menu *m;
	int key = sb_cfg_ivr_key(digit);

	(void)arg;
	(void)duration_ms;
	if (side != SIDE_A || !c->ivr.on)
		return;
	m = menu_of(c);
	sb_timer_cancel(c->cp->loop, &c->ivr.t);
	prompt_stop(c); /* barge-in */
	sb_info("call %u: IVR menu %s: digit '%c'", c->idx, m->name, digit);
	if (key < 0 || m->key[key].type == SB_IVR_ACT_NONE) {
		menu_retry(c, true);
		return;
	}
	ivr_act(c, &m->key[key], 0);
}

bool ivr_on_prompt(struct sb_call *c, uint32_t prompt, unsigned reason)
{
	const struct sb_cfg_ivr_menu *m;

	if (reason == SB_MEDIA_PROMPT_STOPPED && c->ivr.stops) {
		c->ivr.stops--;
		return true;
	}
	if (!c->ivr.on)
		return false;
	if (reason == SB_MEDIA_PROMPT_STOPPED)
		return true; /* replaced by another of ours */
	if (!c->ivr.playing || prompt != c->ivr.prompt)
		return true; /* the end of one we stopped meanwhile (barge-in) */
	c->ivr.playing = false;
	m = menu_of(c);
	if (c->ivr.invalid_playing) {
		prompt_play(c, m->prompt, false);
		return true;
	}
	/* the menu's prompt is over (or could not play): wait for a digit */
	if (m->timeout_ms == 0)
		menu_retry(c, false);
	else
		sb_timer_arm(c->cp->loop, &c->ivr.t, m->timeout_ms);
	return true;
}

/* ---- answer ---- */

/* Our 200 to the caller from its offer alone (no agent yet), as a
 * supervisor's call is answered (supervise.c).  The agent offered later
 * gets the codec answered here and nothing else: the caller's side does
 * not change when it answers.  0 or -errno. */
static int answer_caller(struct sb_call *c)
{
	struct sb_cp *cp = c->cp;
	const struct sb_sip_addr *local = sb_sip_flow_local(&cp->tx, c->a_sock);
	const uint8_t *ip = (const uint8_t *)&local->ip;
	char sdp_mem[2048], contact[600];
	struct sb_buf sdp;
	int rc;

	/* the answer, leg A's parameters, a_neg narrowed (early.c) */
	sb_buf_init(&sdp, sdp_mem, sizeof(sdp_mem));
	rc = call_answer_own(c, &sdp);
	if (rc < 0)
		return rc;

	/* the caller's leg: its codec for the prompts, DTMF detected and kept
	 * from the agent side (the hook owns the digits) */
	c->dtmf_fn = on_digit;
	c->dtmf_arg = NULL;
	rc = call_media_leg(c, SIDE_A);
	if (rc < 0)
		return rc;
	c->media_prog = true; /* the agent's answer programs both legs again */

	snprintf(contact, sizeof(contact), "Contact: <sip:%s@%u.%u.%u.%u:%u%s>\r\n",
		 cp->cfg->hotlines[c->hotline].number, ip[0], ip[1], ip[2], ip[3], local->port,
		 sb_sip_flow_is_stream(c->a_sock) ? ";transport=tcp" : "");
	dlg_answer_st_hdrs(c, contact + strlen(contact), sizeof(contact) - strlen(contact));
	c->state = CALL_CONFIRMING;
	c->answer_ms = (int64_t)sb_wall_ms();
	cp->cnt.calls_answered++;
	call_reply(c, 200, contact, sb_str_mk(sdp.p, sdp.p + sdp.len));
	dlg_sent_sdp(c, SIDE_A, sdp.p, sdp.len);
	return 0;
}

void ivr_start(struct sb_call *c)
{
	struct sb_media *md = c->cp->media;
	int rc;

	if (!sb_media_has(md, SB_MEDIA_CAP_PROMPT | SB_MEDIA_CAP_DTMF | SB_MEDIA_CAP_XCODE)) {
		sb_warn("call %u: hotline %s has an IVR, but the %s backend plays no prompts",
			c->idx, c->cp->cfg->hotlines[c->hotline].number, md->ops->name);
		call_fail(c, 503, "system");
		return;
	}
	sb_timer_init(&c->ivr.t, on_timeout, c);
	c->ivr.started = true;
	rc = answer_caller(c);
	if (rc < 0) {
		sb_warn("call %u: IVR cannot answer: %s", c->idx, strerror(-rc));
		c->dtmf_fn = NULL;
		call_fail(c, 500, "system");
		return;
	}
	c->ivr.on = true;
	menu_enter(c, (unsigned)c->cp->cfg->hotlines[c->hotline].ivr, 0);
}

void ivr_call_end(struct sb_call *c)
{
	if (!c->ivr.started)
		return;
	c->ivr.on = false;
	sb_timer_cancel(c->cp->loop, &c->ivr.t);
}
