/* SPDX-License-Identifier: MIT */
/*
 * b2bua/consult.h — consultation and three-party calls driven from the
 * agent's phone by in-call DTMF (RFC 4733 on the agent's leg, reported by
 * the dataplane, kept from the caller), mixed on the dataplane worker.
 * Config (config.h `feature_codes:`, "" = off, all off by default):
 *
 *   consult: "*2"      *2 TARGET #   caller on hold (queue's moh, else
 *                                    silence), the gateway calls TARGET
 *                                    (an agent whose user is those digits,
 *                                    or a hotline number: a free agent of
 *                                    it), agent and target talk privately;
 *                                    a hotline with `queue:`: the call to
 *                                    the target waits in that queue (the
 *                                    agent hears its music) until one of
 *                                    its agents answers (tier 2)
 *   conference: "*3"   caller, agent and target mixed (all TALK)
 *   complete: "*4"     attended transfer: the agent leaves, the caller is
 *                      connected to the target (CDR transferred_by, queue
 *                      event transfer with the talk time split)
 *   cancel: "*5"       consultation ends, agent back with the caller
 *   agent_hangup: complete | end   what the agent's BYE does while the
 *                      target is on (default complete, as in Asterisk's
 *                      attended transfer)
 *
 * See consult.c for the states and who gets what when a party leaves.
 */
#ifndef SB_B2BUA_CONSULT_H
#define SB_B2BUA_CONSULT_H

#include <stdbool.h>
#include <stdint.h>

#include "b2bua/consult_keys.h"

struct sb_call;

enum cons_role {
	CONS_NONE = 0,
	CONS_MAIN,   /* a caller<->agent call with a consultation on */
	CONS_LEG,    /* the gateway's call to the target (no caller side) */
};

enum cons_state { CS_IDLE = 0, CS_DIALING, CS_CONSULT, CS_THREEWAY };

/* In struct sb_call. */
struct call_cons {
	uint8_t role;                /* enum cons_role */
	uint8_t st;                  /* main: enum cons_state */
	bool agent_in, caller_in;    /* main: its legs were sent CONF_JOIN */
	bool target_in;              /* main: the target's leg was */
	uint32_t peer_idx, peer_gen; /* main <-> consultation leg call */
	uint32_t conf;               /* main: conference number (its worker) */
	struct cons_keys keys;       /* digits the agent keyed so far */
};

/* Does the call take in-call codes from its agent (codes configured, a
 * backend that mixes and detects DTMF, an agent leg)?  Then its agent leg
 * is processed (DTMF detected and stripped). */
bool cons_enabled(const struct sb_call *c);
/* The agent must be able to send RFC 4733 digits even when the caller
 * offered none: telephone-event/8000 added to the agent's offer, and its
 * answer's kept on the agent leg (stripped, detected) after the bridge. */
struct sb_sdp_neg;
void cons_offer_te(const struct sb_call *c, struct sb_sdp_neg *o);
void cons_answer_te(struct sb_call *c);
/* A digit from the agent's leg (callmedia.c on_dtmf); true when taken. */
bool cons_on_dtmf(struct sb_call *c, char digit);
/* legs_added() of a consultation leg call: INVITE the target. */
void cons_legs_added(struct sb_call *k);
/* call_agent_answered(): true when it is the target of a consultation
 * (handled here). */
bool cons_answered(struct sb_call *k);
/* BYE from the agent of a call: true when it completed the transfer (the
 * call goes on with the target). */
bool cons_agent_bye(struct sb_call *c);
/* call_end() of either call, after it went CALL_GONE. */
void cons_call_end(struct sb_call *c);

#endif
