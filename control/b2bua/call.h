/* SPDX-License-Identifier: MIT */
/*
 * b2bua/call.h — hotline calls: caller --INVITE--> switchboard --INVITE-->
 * agent, two dialogs glued together, media anchored on two dataplane legs.
 */
#ifndef SB_B2BUA_CALL_H
#define SB_B2BUA_CALL_H

#include <stdint.h>

#include "b2bua/cp.h"

/* Table of calls.  max_calls bounds concurrent calls (503 beyond). */
struct sb_calls *sb_calls_create(struct sb_cp *cp, unsigned max_calls); /* NULL + errno */
/* Frees every call without signalling (shutdown).  NULL ok. */
void sb_calls_free(struct sb_calls *t);
/* Calls not yet ended (lingering ended calls are not counted). */
unsigned sb_calls_active(const struct sb_calls *t);

/* Requests and responses routed here by b2bua/core.c. */
void sb_call_on_invite(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
		       const struct sb_sip_addr *src);
void sb_call_on_ack(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
		    const struct sb_sip_addr *src);
void sb_call_on_bye(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
		    const struct sb_sip_addr *src);
void sb_call_on_response(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
			 const struct sb_sip_addr *src);
/* From the transaction layer, for the caller's INVITE transaction the call
 * holds (owner is the call): CANCELled; its 2xx never ACKed. */
void sb_call_on_cancel(struct sb_cp *cp, struct sb_stx *st, void *owner);
void sb_call_on_no_ack(struct sb_cp *cp, struct sb_stx *st, void *owner);

/* sb_media_done_cb for the media backend; arg is the struct sb_cp. */
void sb_call_media_done(void *arg, uint64_t cookie, int status);
/* sb_media_event_cb for the media backend; arg is the struct sb_cp.  A
 * media timeout or a leg lost in a dataplane restart ends an established
 * call (BYE both sides, CDR hangup_by "media_timeout" / "media_lost"). */
void sb_call_media_event(void *arg, uint64_t owner, enum sb_media_event ev);

/* ---- media processing (b2bua/callmedia.c) ---- */

/* After the backend is created: DTMF and prompt events to the calls, the
 * configured prompts loaded (DPDK backend; again after every restart). */
void sb_call_media_init(struct sb_cp *cp);

/* DTMF hook of one call (what issue 6's IVR plugs into).  fn is called on
 * the loop thread once per digit the dataplane detects on one of the
 * call's legs: side 0 = the caller's leg, 1 = the agent's; digit '0'-'9',
 * '*', '#', 'A'-'D'; duration in ms.  Every digit is also logged at debug
 * level, with or without a hook.  Installing a hook on a call whose legs
 * are up turns detection on there (LEG_MEDIA; telephone-event is then
 * kept from the other side: the hook owns the digits); fn == NULL removes
 * it.  The hook lives as long as the call (never called after it ended).
 * 0, -ENOTSUP (the backend has no DTMF detection: kernel) or the
 * backend's -errno. */
struct sb_call;
typedef void sb_call_dtmf_fn(struct sb_call *c, void *arg, int side, char digit,
			     uint32_t duration_ms);
int sb_call_dtmf_hook(struct sb_call *c, sb_call_dtmf_fn *fn, void *arg);

#endif
