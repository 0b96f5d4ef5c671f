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

#endif
