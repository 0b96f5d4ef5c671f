/* SPDX-License-Identifier: MIT */
/*
 * b2bua/callback.h — dialling a callback back (b2bua/callback.c has the
 * state diagram): the queue (b2bua/queue.c) keeps the place and tells
 * this file when an agent is offered it; this file calls the agent and
 * the customer (through the `outbound:` trunk) and joins them.
 */
#ifndef SB_B2BUA_CALLBACK_H
#define SB_B2BUA_CALLBACK_H

#include <stdbool.h>
#include <stdint.h>

struct sb_cp;

enum cbk_state {
	CBK_IDLE = 0,     /* waiting in the engine, or for its next attempt */
	CBK_RING_AGENT,   /* the offered agent's phone rings */
	CBK_DIAL,         /* the customer's phone rings (agent-first: agent on moh;
			   * customer-first: the agent reserved) */
	CBK_HOLD,         /* customer-first: customer on moh, no agent offered now */
	CBK_UP,           /* agent <-> customer */
};

/* Per callback slot (inside queue.c's struct cpq_cb). */
struct cbk_sess {
	uint8_t st;              /* enum cbk_state */
	bool cust_up;            /* customer-first: the customer answered */
	bool agent_up;           /* agent-first: the agent answered */
	int agent;               /* offered agent, -1 none */
	int queue;
	uint32_t ka_idx, ka_gen; /* the agent's call (valid: ka) */
	uint32_t kc_idx, kc_gen; /* the customer's (valid: kc) */
	bool ka, kc;
};

/* queue.c -> callback.c */
/* The engine offers callback `slot` (waiting in queue qi) to agent ag:
 * ring it, or dial the customer first (queue callback_mode). */
void cbk_offer(struct sb_cp *cp, uint32_t slot, int qi, int ag, const char *number);
/* The engine withdrew that offer (ring timeout, release): true when the
 * agent's phone was ringing for it (CANCELled now: a no-answer). */
bool cbk_cancel(struct sb_cp *cp, uint32_t slot, int ag);
/* The place is gone (max wait, leave-when-empty): end whatever is up. */
void cbk_drop(struct sb_cp *cp, uint32_t slot);
/* For GET /v1/calls: "waiting", "ringing-agent", "dialling", "on-hold",
 * "connected" ("retry-wait" is queue.c's). */
const char *cbk_state_name(const struct cbk_sess *s);

#endif
