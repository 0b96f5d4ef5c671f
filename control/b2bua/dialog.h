/* SPDX-License-Identifier: MIT */
/*
 * b2bua/dialog.h — the two dialogs of a call (RFC 3261 §12) and what
 * travels inside them.  Each side has its own Call-ID, tags, CSeq spaces,
 * remote target and route set; the B2BUA glues them together:
 *
 *   in-dialog request  matched by Call-ID + To tag (ours) + From tag
 *                      (theirs); none -> 481; CSeq below the last -> 500
 *   re-INVITE, UPDATE  relayed into the other side's dialog with its own
 *                      CSeq, the SDP pointed at that side's dataplane leg
 *                      (direction kept, c=0.0.0.0 hold turned into
 *                      a=sendonly); the answer relayed back the same way;
 *                      a peer address/port that changed -> LEG_MOD
 *   glare              a second re-INVITE/UPDATE while one is pending on
 *                      the call -> 491
 *   ACK                of the other side's 2xx: sent by us at once; of our
 *                      2xx: ends the held server transaction
 *   OPTIONS            200 in or out of a dialog
 *   Max-Forwards       missing = 70, 0 -> 483, relayed minus one
 *   loop               an INVITE carrying a Call-ID we made for an agent
 *                      leg and our own Via sent-by -> 482; the caller's
 *                      Call-ID again without To tag (a merged request,
 *                      RFC 3261 8.2.2.2) -> 482
 *   session timers     RFC 4028 per dialog: Session-Expires below our
 *                      Min-SE -> 422; the caller's refresher honoured
 *                      (us when it does not support timer); on the agent
 *                      side we ask, it chooses (us when it says nothing).
 *                      Ours: UPDATE at half the interval (re-INVITE with
 *                      the current SDP when UPDATE is refused); theirs:
 *                      none within the interval minus min(32, SE/3) ->
 *                      BYE both sides, CDR hangup_by session_timer
 *
 * The dialog of the caller's side exists from its INVITE (we are its UAS,
 * early dialog with our To tag); the agent's from its 2xx (we are its
 * UAC).  Both are filled on first use from what the call already keeps
 * (the caller's INVITE, the agent's 2xx), so the INVITE path of call.c and
 * uac.c stays as it is.
 *
 * Transfers (b2bua/xfer.c).  REFER in the agent's dialog is matched like
 * any other request (that match is its authorisation, as for re-INVITE;
 * from the caller's side: 403), answered 202, and its progress goes back
 * as NOTIFY (Event: refer, message/sipfrag) in that dialog through
 * dlg_send_req:
 *   blind      Refer-To: <sip:TARGET@..>, an agent's user name or a
 *              hotline number, resolved as a call would be (404, 480
 *              otherwise).  A new INVITE to the target offers the SAME
 *              agent-side leg (no re-INVITE toward the caller: the
 *              dataplane re-anchors what it sends the caller, same SSRC,
 *              continuous seq/ts).  On its 2xx the target's dialog takes
 *              the agent side (dlg[SIDE_B]), the transferor's moves to
 *              dlg[SIDE_X] (still found by its Call-ID), LEG_MOD of the
 *              leg to the target, NOTIFY 200, BYE to the transferor
 *              unless it sends its own within 4 s; a failure is NOTIFYed
 *              with its status line and the call goes on unchanged.
 *   attended   Refer-To: <sip:B@..?Replaces=CALLID%3Bto-tag%3DX%3Bfrom-
 *              tag%3DY> naming the transferor's own dialog of a call it
 *              made to another agent (agents may call each other by user
 *              name; such a call's legs go on the worker of the call the
 *              agent is on).  Found with sb_dlg_find; the two calls are
 *              joined: the caller's leg CONNECTed to the consulted
 *              agent's leg, B's dialog and leg moved into the first call,
 *              the transferor's dialogs hung up, its two legs deleted.
 *              A Replaces naming no such dialog: NOTIFY 481 (not blind).
 * An initial INVITE with Replaces (RFC 3891) is matched with sb_dlg_find:
 * none -> 481, early-only for a confirmed dialog -> 486; a match is
 * refused 501 for now (the new UA would be a UAC on the side it replaces,
 * and a call keeps one UAS side and one UAC side).
 */
#ifndef SB_B2BUA_DIALOG_H
#define SB_B2BUA_DIALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"
#include "sip/msg.h"
#include "sip/sdp.h"
#include "sip/sdp_oa.h"
#include "sip/tx.h"

struct sb_cp;
struct sb_call;
struct sb_stx;
struct sb_ctx;

#define SB_DLG_ROUTE_MAX 1024
#define SB_DLG_SDP_MAX 1500

struct sb_dlg {
	bool ready;                  /* filled (both tags known) */
	char call_id[256];
	char ltag[64], rtag[64];
	char local[400];             /* our From/To value, with our tag */
	char remote[400];            /* theirs, with their tag */
	uint32_t lcseq;              /* last CSeq we sent */
	uint32_t rcseq;              /* last CSeq received */
	char target[256];            /* remote target (Contact) */
	char contact[300];           /* our Contact header line */
	char *route;                 /* "Route: ...\r\n" lines (route set);
				      * NULL when empty (heap: most have none) */
	unsigned flow;
	struct sb_sip_addr dst;      /* where requests go */
	/* where this side's media goes, from its last SDP (for LEG_MOD) */
	uint32_t peer_ip;            /* network order */
	uint16_t peer_port;
	/* the last SDP we gave this side: resent as is (same o= version)
	 * to an offerless re-INVITE (RFC 3264 section 8) */
	uint16_t lsdp_len;
	char *lsdp;                  /* heap, up to SB_DLG_SDP_MAX */
	uint64_t sdp_id, sdp_ver;    /* o= of the SDP we send this side */
	/* session timer (RFC 4028) of this dialog */
	uint32_t se_s;               /* session interval; 0 = none */
	bool we_refresh;             /* we are the refresher, else they are */
	bool peer_timer;             /* it said Supported: timer */
	bool no_update;              /* it answered UPDATE 405/501: refresh by re-INVITE */
	uint32_t se_req;             /* agent side: interval its 422 asked for */
	struct sb_timer t_se;        /* our refresh, or the expiry of theirs */
	struct sb_ctx *refresh_ct;   /* our refresh in flight (held) */
	struct sb_ctx *refresh_done; /* our last re-INVITE refresh: held so
				      * that its 2xx retransmissions get ACKs */
};

/* A re-INVITE or UPDATE being relayed (one per call at a time). */
struct sb_dlg_relay {
	bool active;
	enum sb_sip_method method;
	int from;                    /* side it came from */
	struct sb_stx *st;           /* its server transaction (held) */
	uint32_t x_cseq;             /* its CSeq (for the ACK of our 2xx) */
	struct sb_ctx *ct;           /* our request to the other side (held) */
	bool ct_final;               /* it has its final response */
	uint32_t y_cseq;             /* its CSeq */
	bool has_offer;
	struct sb_sdp_neg oy;        /* our offer to the other side (slices
				      * into st's request) */
	struct sb_stx *ack_st;       /* answered re-INVITE awaiting its ACK */
	uint32_t ack_cseq;
	int ack_side;
};

/* From b2bua/core.c, for every request with a To tag except ACK (a new
 * server transaction in cp->cur_st).  Answers it or routes it. */
void sb_dlg_on_request(struct sb_cp *cp, struct sb_stx *st, const struct sb_sip_msg *m);
/* For an INVITE without To tag, before it creates a call: answers 483 or
 * 482 and returns true when it must not create one. */
bool sb_dlg_check_initial(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
			  const struct sb_sip_addr *src);
/* ACK of a 2xx: true when it was the ACK of a relayed re-INVITE. */
bool sb_dlg_on_ack(struct sb_cp *cp, const struct sb_sip_msg *m);
/* From the transaction layer for a held server transaction whose owner is
 * a call: true when st is a relayed request's (not the caller's INVITE). */
bool sb_dlg_on_cancel(struct sb_cp *cp, struct sb_stx *st, void *owner);
bool sb_dlg_on_no_ack(struct sb_cp *cp, struct sb_stx *st, void *owner);

/* The side's dialog, filled on first use; NULL while it has none yet. */
struct sb_dlg *dlg_get(struct sb_call *c, int side);
/* Send a request in the side's dialog (new CSeq, Route set, target);
 * extra: header lines, body: SDP or NULL.  Returns the held client
 * transaction when cb is given, else NULL; *cseq gets its CSeq. */
int dlg_send_req(struct sb_call *c, int side, const char *method, const char *extra,
		 const char *body, uint32_t body_len, void (*cb)(void *, struct sb_ctx *,
		 const struct sb_sip_msg *, unsigned), struct sb_ctx **out, uint32_t *cseq);
/* We sent this SDP to the side (call.c's answer to the caller, uac.c's
 * offer to the agent): kept for offerless re-INVITEs. */
void dlg_sent_sdp(struct sb_call *c, int side, const char *sdp, uint32_t len);
/* Session timers (RFC 4028).  Header lines for the INVITE to the agent
 * (Supported, Session-Expires, Min-SE) and for our 200 to the caller
 * (Session-Expires with the refresher, Require when it supports timer);
 * "" when session timers are off.  Written into out (cap bytes). */
void dlg_invite_st_hdrs(struct sb_call *c, char *out, size_t cap);
void dlg_answer_st_hdrs(struct sb_call *c, char *out, size_t cap);
/* The agent answered our INVITE 422 (Session Interval Too Small): send
 * it again, once, with its Min-SE.  True when the new INVITE is out. */
bool dlg_agent_422(struct sb_call *c, const struct sb_sip_msg *m);
/* The call is up (caller ACKed): start each dialog's session timer. */
void dlg_call_up(struct sb_call *c);
/* Transfer (b2bua/xfer.c): the agent's dialog moves to SIDE_X; the
 * new agent's is filled from the call and its session timer started. */
void dlg_move_to_x(struct sb_call *c);
void dlg_agent_replaced(struct sb_call *c);
/* Attended transfer: from's agent-side dialog moves to to's agent side. */
void dlg_take_b(struct sb_call *to, struct sb_call *from);
/* One of our dialogs by Call-ID and its two tags (either order: the
 * sender of a Replaces may name them from its side or ours), in a call
 * that has not ended; NULL when none.  *side: SIDE_A / SIDE_B / SIDE_X. */
struct sb_call *sb_dlg_find(struct sb_cp *cp, struct sb_str call_id, struct sb_str tag1,
			    struct sb_str tag2, int *side);
/* BYE in the side's dialog (a transaction nobody holds). */
void dlg_bye(struct sb_call *c, int side);
/* One log line with the dialog layer's counters (at shutdown). */
void sb_dlg_log_counters(const struct sb_cp *cp);
/* The call is being freed: answer and drop what the relay holds. */
void dlg_free(struct sb_call *c);

#endif
