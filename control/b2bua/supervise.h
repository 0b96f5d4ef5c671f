/* SPDX-License-Identifier: MIT */
/*
 * b2bua/supervise.h — supervisors listen to, whisper to and barge into a
 * live agent call (DPDK backend: the worker mixes).
 *
 * A supervisor (an agent with `supervisor: true` or listed in
 * `supervision: supervisors:`, registered, calling from its binding) dials
 * a feature code and the agent's user (config.h `supervision:`, defaults):
 *
 *   *51agent1   listen    the supervisor hears caller and agent
 *   *52agent1   whisper   ... and only the agent hears the supervisor
 *   *53agent1   barge     three-way: everybody hears everybody
 *
 * The B2BUA answers the supervisor itself (its call is a struct sb_call
 * with only the caller side), puts its leg on the supervised call's worker
 * (a conference lives on one worker) and joins the three legs to one
 * conference (number: the lowest free one of that worker, 0..15; run
 * sb-dataplane with --confs 16 or more, its default):
 *   caller TALK, agent TALK, supervisor LISTEN | WHISPER(target agent) | TALK.
 * During the call the supervisor's DTMF switch the mode: 4 listen,
 * 5 whisper, 6 barge (CONF_JOIN again with the new mode).  Its BYE returns
 * the call to a plain connection (CONF_LEAVE caller and agent, then
 * LEG_CONNECT); the supervised call ending BYEs the supervisor.
 *
 * Answers: 403 not a supervisor, 404 no such agent, 486 the agent is on no
 * established call or that call is already supervised, 488 + Warning on a
 * backend without mixing (kernel) or an unusable offer.
 */
#ifndef SB_B2BUA_SUPERVISE_H
#define SB_B2BUA_SUPERVISE_H

#include <stdbool.h>
#include <stdint.h>

#include "str.h"

struct sb_call;

enum sup_role { SUP_NONE = 0, SUP_SUPERVISOR, SUP_SUPERVISED };

/* In struct sb_call. */
struct call_sup {
	uint8_t role;          /* enum sup_role */
	uint8_t mode;          /* supervisor: enum sb_media_conf_mode in use */
	bool joined;           /* supervised: its legs were sent CONF_JOIN */
	uint32_t peer_idx, peer_gen; /* the other call (supervisor <-> supervised) */
	uint32_t conf;
};

/* An INVITE to user (no hotline matched): true when it is a supervision
 * code, and then it is handled here (answered or refused). */
bool sup_on_invite(struct sb_call *c, struct sb_str user);
/* The supervisor's leg is added (call.c legs_added). */
void sup_legs_added(struct sb_call *c);
/* call_end() of either call, after it went CALL_GONE. */
void sup_call_end(struct sb_call *c);

#endif
