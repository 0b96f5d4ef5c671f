/* SPDX-License-Identifier: MIT */
/*
 * b2bua/queue.h — the B2BUA's side of the distribution engine (acd/acd.h):
 * hotlines with `queue:` (config.h).  Engine indexes are the config's:
 * queue i = cfg->queues[i], agent i = cfg->agents[i], call = sb_call.idx.
 *
 *   caller INVITE ─▶ legs added ─▶ 180 to the caller ─▶ sb_acd_enqueue
 *   OFFER(call, ag)   ─▶ INVITE that agent (uac.c, a fresh agent-side
 *                        Call-ID per offer, the same media leg)
 *   agent 180 / 2xx   ─▶ sb_acd_ringing / sb_acd_answer
 *   agent 3xx-6xx, no response ─▶ sb_acd_decline (486/600 BUSY, 603 REJECT,
 *                        else NOANSWER) and the engine offers the next one
 *   CANCEL(call, ag)  ─▶ CANCEL that INVITE (ring timeout)
 *   EXIT(call, why)   ─▶ final response to the caller (see queue.c)
 *   call_end()        ─▶ sb_acd_abandon (no agent answered) or
 *                        sb_acd_hangup (agent to wrap-up)
 *
 * Agents: registered (a live binding) = logged in and available, unless
 * the agent logged out with a feature code or the API (sb_cpq_agent_cmd);
 * no binding = logged out.  Checked on the agent's REGISTERs and, for the
 * queue's members, before every enqueue (a binding that expires logs its
 * agent out at the next of those; an agent on a call, when it ends).
 * Waiting: 180 Ringing only (music on hold is a later step).
 *
 * Every step is a queue event (acd/qstats.h): figures for the API and a
 * row in the store's queue_event table (store/qlog.c).  Caller priority:
 * the hotline's `priority`, or the queue's `priority_header` (config.h).
 */
#ifndef SB_B2BUA_QUEUE_H
#define SB_B2BUA_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "sip/msg.h"
#include "sip/tx.h"

struct sb_cp;
struct sb_call;
struct sb_acd;
struct sb_qstats;

/* NULL engine when the config has no queues.  0 | -errno */
int sb_cpq_init(struct sb_cp *cp, unsigned max_calls);
void sb_cpq_fini(struct sb_cp *cp);
/* Registrar state of that agent → engine login/logout (after a REGISTER). */
void sb_cpq_sync_agent(struct sb_cp *cp, unsigned agent);

/* call.c / uac.c */
void cpq_enqueue(struct sb_call *c);            /* legs added: the caller waits */
/* The same into queue qi with priority prio (the queue's priority_header
 * still overrides it) from elsewhere: the IVR (b2bua/ivr.c), the caller
 * already answered.  via: the enter event's `other` (the IVR's menu path,
 * "ivr:main>billing"), NULL none. */
void cpq_enqueue_to(struct sb_call *c, int qi, uint8_t prio, const char *via);
/* The queue a call the engine has is in (config index), else -1. */
int cpq_call_queue(const struct sb_call *c);
void cpq_agent_ringing(struct sb_call *c);
void cpq_agent_answered(struct sb_call *c);
void cpq_agent_failed(struct sb_call *c, unsigned status); /* the offer failed */
/* ring-all: the same for one fork (call_priv.h struct call_fork) */
struct call_fork;
void cpq_fork_ringing(struct sb_call *c, int agent);
void cpq_fork_failed(struct sb_call *c, struct call_fork *f, unsigned status);
void cpq_call_end(struct sb_call *c);           /* abandon or hang-up */
/* callmedia.c: a digit from a caller's leg.  The queue's callback_digit
 * from a waiting caller (not being offered): its place goes on in the
 * engine under a virtual index (sb_acd_call_move), queue event callback
 * "requested" (position, wait), the caller gets 480 "callback requested"
 * (BYE if the IVR answered it), no abandon.  true: taken. */
bool cpq_on_dtmf(struct sb_call *c, char digit);
/* callmedia.c: a prompt on the caller's leg ended; true when it was one
 * of the queue's announcements (the next one plays, or the music again). */
bool cpq_on_prompt(struct sb_call *c, uint32_t prompt, unsigned reason);
/* xfer.c: the call's agent side moved from agent `from` to `to` (blind or
 * attended): `from`'s talk ends (event transfer, wrap-up), `to`'s starts
 * (its complete event when the call ends). */
void cpq_call_transferred(struct sb_call *c, int from, int to);
/* xfer.c: blind transfer of an answered call to queue qi (tier-2).
 * cpq_transfer_check first: 0 = the queue takes it, else the status for
 * the transferor's NOTIFY (486 full, 480 no agent with join_empty false,
 * 404 no queues) and nothing changed.  cpq_transfer_to_queue, once
 * xfer.c has moved the transferor's dialog aside (SIDE_X): event
 * `transfer` (agent from, other "queue:Q", the talk since the answer or
 * the last transfer, wait 0), the engine's agent to wrap-up; the agent
 * side emptied; then as cpq_enqueue_to into qi: music on hold, event
 * `enter` (other "transfer:FROM", wait = the wait before its first
 * answer), priority at least qi's transfer_priority, ordered as if it
 * had entered qi that long ago.  The next connect/abandon reports the
 * caller's whole wait: before the first answer plus in qi (talk
 * excluded).  The next agent is offered as any first one (uac.c). */
unsigned cpq_transfer_check(struct sb_call *c, int qi);
/* consult.c: an agent's consultation call k (no caller side) to a hotline
 * with `queue:` waits in queue qi as a caller would (c: the consulting
 * call): rows under c's caller's Call-ID (enter: other "consult:AGENT"),
 * priority at least qi's transfer_priority; the engine's offer rings
 * through uac.c, its answer is cons_answered()'s (cpq_agent_answered). */
void cpq_enqueue_consult(struct sb_call *k, int qi, const struct sb_call *c);
void cpq_transfer_to_queue(struct sb_call *c, int qi, int from);

/* callback.c: the engine's side of dialling callback `slot` back (its
 * engine index is max_calls + slot).  Rows: queue event `callback` with
 * `other` = what (dialling, answered, connected; retry and failed come
 * from cpq_cb_attempt_failed), reason. */
struct cbk_sess;
struct cbk_sess *cpq_cb_sess(struct sb_cp *cp, uint32_t slot);
const char *cpq_cb_number(struct sb_cp *cp, uint32_t slot); /* whom to call back */
void cpq_cb_row(struct sb_cp *cp, uint32_t slot, const char *what, int agent, uint32_t reason);
void cpq_cb_offered(struct sb_cp *cp, uint32_t slot, int agent); /* offer row */
/* the engine: the agent's phone rings / it answered / it declined (SIP
 * status: busy, reject, no answer as for a caller's offer) */
void cpq_cb_ringing(struct sb_cp *cp, uint32_t slot, int agent);
int cpq_cb_answer(struct sb_cp *cp, uint32_t slot, int agent);
void cpq_cb_decline(struct sb_cp *cp, uint32_t slot, int agent, unsigned status);
/* customer-first: the offer's ring timeout from now (0: none, held) */
void cpq_cb_rearm(struct sb_cp *cp, uint32_t slot, int agent, uint32_t ring_ms);
/* agent and customer joined: connect row (wait), talk from now */
void cpq_cb_connected(struct sb_cp *cp, uint32_t slot, int agent);
/* The customer was not reached (status: its SIP failure, 408 no answer,
 * 487 the agent hung up first): the engine lets go of the agent at once
 * (no wrap-up, no no-answer delay); row retry (reason: attempts so far)
 * and the place back after callback_retry_after with its first entry and
 * priority, or after the last retry row failed (reason: status), gone. */
void cpq_cb_attempt_failed(struct sb_cp *cp, uint32_t slot, unsigned status);
/* The callback is over: talked (complete row, the agent to wrap-up), or
 * the customer hung up before an agent took it (abandon row). */
void cpq_cb_end(struct sb_cp *cp, uint32_t slot, bool talked);

/* Feature codes (acd/fcode.h) dialled by a registered agent: an INVITE
 * whose Request-URI user starts with '*' or '#'.  Answered here without
 * media, by a final response: there is no SDP answer to give, and a 2xx
 * would need one (and a BYE after).  480 with Reason "SIP;cause=200;
 * text=..." = done (the phone shows the text), 403 = not an agent or not
 * allowed in its state, 484 = bad pause reason.  false: not one of these
 * codes (an ordinary call, a supervision code; else 404 from call.c). */
bool sb_cpq_feature_code(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
			 const struct sb_sip_addr *src, const char *user, uint32_t len);

/* Agent state by feature code or API.  Logged in = registered and not
 * logged out by the agent (a REGISTER does not undo *21).
 * 0 | -ENODEV (no queues) | -EINVAL (illegal in its state: *why says)
 * | -EAGAIN (login: the agent has no registration to ring). */
enum sb_cpq_cmd { SB_CPQ_LOGIN, SB_CPQ_LOGOUT, SB_CPQ_PAUSE, SB_CPQ_UNPAUSE };
int sb_cpq_agent_cmd(struct sb_cp *cp, unsigned agent, enum sb_cpq_cmd cmd, uint16_t reason,
		     const char **why);

/* Read side for the API (NULL / 0 without queues). */
struct sb_acd *sb_cpq_acd(const struct sb_cp *cp);
const struct sb_qstats *sb_cpq_qstats(const struct sb_cp *cp);
struct sb_cpq_live {
	uint32_t call;           /* sb_call.idx */
	int queue, agent;        /* config indexes; agent -1 while waiting */
	uint8_t prio;
	bool answered;
	bool callback;           /* a callback's kept place: no SIP call now (call >= max_calls) */
	const char *cb_state;    /* callback: where its dialling back is (callback.h); NULL others */
	uint32_t position;       /* waiting: 1-based; else 0 */
	uint64_t wait_ms;        /* since it entered the first queue (till answer) */
	uint64_t talk_ms;        /* answered: since the answer (or the transfer) */
	const char *call_id;     /* call_id_len bytes, not NUL-terminated */
	uint32_t call_id_len;
	const char *caller;
};
unsigned sb_cpq_live(const struct sb_cp *cp, struct sb_cpq_live *out, unsigned max);

/* A queue's settings that can change at run time (API PATCH): from the
 * config at start; a change applies to decisions from then on, never to
 * a call already ringing or waiting timers already armed (acd.h,
 * sb_acd_queue_update).  Not kept across a restart (the config file is
 * the source).  strategy: enum sb_acd_strategy. */
struct sb_cpq_qset {
	unsigned strategy;
	uint32_t ring_ms, wrapup_ms, max_len, max_wait_ms, sl_ms, short_ms;
	struct sb_cfg_skills skills; /* config.h; skill ids of sb_config.skills */
	uint32_t aht_ms;         /* Erlang C's handle time now (observed, else `aht`) */
};
int sb_cpq_queue_get(const struct sb_cp *cp, unsigned q, struct sb_cpq_qset *out); /* 0|-ENODEV */
/* 0 | -ENODEV | -EINVAL (the engine refused it) */
int sb_cpq_queue_set(struct sb_cp *cp, unsigned q, const struct sb_cpq_qset *in);
/* An agent's, likewise (PATCH /v1/agents/NAME); wrapup_ms
 * SB_CFG_WRAPUP_QUEUE = the queue's. */
struct sb_cpq_aset {
	uint32_t wrapup_ms, max_noanswer, noanswer_delay_ms, reject_delay_ms, busy_delay_ms;
	uint8_t skills[SB_CFG_SKILLS]; /* level per skill id; 0 = lacks it */
};
int sb_cpq_agent_get(const struct sb_cp *cp, unsigned ag, struct sb_cpq_aset *out);
int sb_cpq_agent_set(struct sb_cp *cp, unsigned ag, const struct sb_cpq_aset *in);
/* Objects changed at run time (api/objects.c), after the config's slot
 * was written.  put: agent/queue ag/qi is new to the engine (fresh: a
 * slot never used) or replaced (settings as the config now says; a queue's
 * members that are not in old[] join, those of old[] no longer listed
 * leave; live calls keep their agent and queue).  0 | -errno. */
int sb_cpq_agent_put(struct sb_cp *cp, unsigned ag, bool fresh);
int sb_cpq_queue_put(struct sb_cp *cp, unsigned qi, bool fresh, const uint16_t *old,
		     unsigned n_old);
/* Why it cannot be deleted now (a call), NULL: it can. */
const char *sb_cpq_agent_busy(const struct sb_cp *cp, unsigned ag);
const char *sb_cpq_queue_busy(const struct sb_cp *cp, unsigned qi);
/* Deleted: the agent is logged out for good / the queue's members leave. */
void sb_cpq_agent_gone(struct sb_cp *cp, unsigned ag);
void sb_cpq_queue_gone(struct sb_cp *cp, unsigned qi);
/* waiting now / longest wait of those, per queue */
void sb_cpq_queue_now(const struct sb_cp *cp, unsigned q, uint32_t *waiting,
		      uint64_t *longest_ms);

#endif
