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
 * Agents: registered (a live binding) = logged in and available; no
 * binding = logged out.  Checked on the agent's REGISTERs and, for the
 * queue's members, before every enqueue (a binding that expires logs its
 * agent out at the next of those; an agent on a call, when it ends).
 * Waiting: 180 Ringing only (music on hold is a later step).
 */
#ifndef SB_B2BUA_QUEUE_H
#define SB_B2BUA_QUEUE_H

#include <stdbool.h>

struct sb_cp;
struct sb_call;

/* NULL engine when the config has no queues.  0 | -errno */
int sb_cpq_init(struct sb_cp *cp, unsigned max_calls);
void sb_cpq_fini(struct sb_cp *cp);
/* Registrar state of that agent → engine login/logout (after a REGISTER). */
void sb_cpq_sync_agent(struct sb_cp *cp, unsigned agent);

/* call.c / uac.c */
void cpq_enqueue(struct sb_call *c);            /* legs added: the caller waits */
void cpq_agent_ringing(struct sb_call *c);
void cpq_agent_answered(struct sb_call *c);
void cpq_agent_failed(struct sb_call *c, unsigned status); /* the offer failed */
void cpq_call_end(struct sb_call *c);           /* abandon or hang-up */

#endif
