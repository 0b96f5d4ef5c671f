/* SPDX-License-Identifier: MIT */
/*
 * b2bua/ivr.h — the IVR in front of queues and agents (issue 6): a hotline
 * with `ivr: MENU` (config.h, config_ivr.c) is answered by us, its caller
 * hears the menu's prompt and steers with DTMF (sb_call_dtmf_hook):
 *
 *   legs added ─▶ 200 (our answer, the caller's best codec; the agent is
 *     later offered that codec only) ─▶ LEG_MEDIA (DTMF detect + strip),
 *     PROMPT_PLAY menu prompt (once)
 *   digit ─▶ PROMPT_STOP if still playing (barge-in) ─▶ its option:
 *     queue Q     ─▶ PROMPT/hook off, cpq_enqueue_to(Q) as a hotline call
 *                    would enter it (music on hold, events, figures); its
 *                    enter event's `other` is the menu path "ivr:main>sales"
 *     menu M      ─▶ M's prompt (retry count reset)
 *     repeat      ─▶ this menu's prompt again
 *     transfer N  ─▶ as a call to hotline N (its IVR, queue or agents)
 *     agent A     ─▶ INVITE A if registered and free (else: invalid input)
 *     hangup      ─▶ BYE (CDR hangup_by "ivr")
 *   no option ─▶ `invalid` prompt, then the menu's; PROMPT_DONE of the
 *     menu prompt ─▶ `timeout` s for a digit.  Each timeout or invalid
 *     digit is a try: beyond `retries` the menu's timeout_action or
 *     max_retries_action (default hangup), before it the menu again.
 *   a menu with `hours:` checked on entry (wall clock, the set's UTC
 *     offset): closed ─▶ its `closed` action.
 *
 * After the IVR the caller is answered already: the agent's 2xx connects
 * the legs without another 200 (call.c media_connected), and a call that
 * fails later is ended by BYE, not by a final response.
 */
#ifndef SB_B2BUA_IVR_H
#define SB_B2BUA_IVR_H

#include <stdbool.h>
#include <stdint.h>

struct sb_call;

/* The call's hotline starts in the IVR. */
bool ivr_wanted(const struct sb_call *c);
/* Legs added (call.c): answer the caller, first menu.  Fails the call
 * (503) on a backend without prompts and DTMF (kernel). */
void ivr_start(struct sb_call *c);
/* A prompt on the caller's leg ended (callmedia.c): true when it was the
 * IVR's (handled), false for anyone else's (music on hold). */
bool ivr_on_prompt(struct sb_call *c, uint32_t prompt, unsigned reason);
/* The call ends (call_end): timer off. */
void ivr_call_end(struct sb_call *c);

#endif
