/* SPDX-License-Identifier: MIT */
/*
 * sip/txn.h — SIP transactions (RFC 3261 §17, with the Accepted states of
 * RFC 6026).  Between the transports (sip/tx.h) and the transaction users
 * (TU: registrar, B2BUA, later dialogs).
 *
 *   client INVITE      Calling -A-> ... -B-> 408 to TU; 1xx -> Proceeding;
 *                      300-699 -> Completed (ACK sent here, D); 2xx ->
 *                      Accepted (M; every 2xx goes to the TU, which ACKs)
 *   client non-INVITE  Trying -E (T1 doubling to T2)-> ... -F-> 408;
 *                      1xx -> Proceeding (E at T2); final -> Completed (K)
 *   server INVITE      100 Trying at once; Proceeding; 300-699 ->
 *                      Completed (G until ACK, H) -> Confirmed (I);
 *                      2xx -> Accepted (2xx resent T1..T2 until the TU says
 *                      it was ACKed, L; never ACKed -> on_no_ack)
 *   server non-INVITE  Trying/Proceeding; final -> Completed (J)
 *
 * Matching (§17.1.3, §17.2.3): responses by top-Via branch + CSeq method;
 * requests by branch (magic cookie z9hG4bK) + sent-by + method, ACK
 * matching INVITE; requests without the cookie (RFC 2543) by Call-ID,
 * CSeq number, From tag and the top Via.  A retransmitted request gets the
 * last response again and never reaches the TU twice; ACK for a non-2xx
 * is absorbed; ACK for a 2xx (its own branch) goes to tu.on_ack, for the
 * dialog.  CANCEL is its own transaction: 200 (with the INVITE's To tag),
 * then tu.on_cancel for the INVITE, then 487 to the INVITE unless the TU
 * answered it.  Over stream transports the request retransmission timers
 * (A, E, G) do not run and D, I, J, K are zero; the 2xx is still resent
 * until ACKed (RFC 3261 §13.3.1.4 applies end to end).
 *
 * Ownership: the layer owns every transaction.  A TU that keeps a pointer
 * beyond the callback it got it in holds it (sb_stx_hold, or the hold that
 * comes with sb_ctx_start) and drops it with sb_stx_put / sb_ctx_put;
 * callbacks stop at the put.  A transaction is freed when it has
 * terminated and nobody holds it.  All of it runs on the loop thread.
 */
#ifndef SB_SIP_TXN_H
#define SB_SIP_TXN_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "sip/build.h"
#include "sip/msg.h"
#include "sip/tx.h"

struct sb_txl;
struct sb_stx;
struct sb_ctx;

struct sb_txn_timers {
	uint32_t t1_ms; /* RTT estimate, 500 */
	uint32_t t2_ms; /* cap on non-INVITE / 2xx retransmit interval, 4000 */
	uint32_t t4_ms; /* how long a message stays in the network, 5000 */
};

#define SB_TXN_T1_MS 500u
#define SB_TXN_T2_MS 4000u
#define SB_TXN_T4_MS 5000u

struct sb_txl_tu {
	/* A new request other than ACK, in a new server transaction.  The TU
	 * answers now (sb_stx_reply) or holds st and answers later; if it does
	 * neither, the layer answers 500.  m lives as long as st. */
	void (*on_request)(void *arg, struct sb_stx *st, const struct sb_sip_msg *m);
	/* An ACK no INVITE server transaction absorbed: for a 2xx (dialog). */
	void (*on_ack)(void *arg, const struct sb_sip_msg *m, uint32_t flow,
		       const struct sb_sip_addr *src);
	/* A response no client transaction took (late 2xx retransmission). */
	void (*on_stray_response)(void *arg, const struct sb_sip_msg *m, uint32_t flow,
				  const struct sb_sip_addr *src);
	/* A held INVITE server transaction was CANCELled (its 200 is sent). */
	void (*on_cancel)(void *arg, struct sb_stx *st, void *owner);
	/* A held INVITE server transaction's 2xx was not ACKed within 64*T1. */
	void (*on_no_ack)(void *arg, struct sb_stx *st, void *owner);
};

struct sb_txl_cnt {
	uint64_t stx_created, ctx_created;
	uint64_t req_retrans_absorbed;  /* retransmitted requests answered from state */
	uint64_t resp_retrans_absorbed; /* retransmitted responses not given to the TU */
	uint64_t acks_absorbed;         /* ACKs of non-2xx */
	uint64_t retransmits;           /* requests and responses we resent (A/E/G/2xx) */
	uint64_t timeouts;              /* B and F */
	uint64_t no_ack;                /* H and L */
	uint64_t cancels;
	uint64_t stray_ack, stray_resp;
	uint64_t auto_500;
};

/* rnd: shared token source (tags, branches); tx: the transports. */
struct sb_txl *sb_txl_create(struct sb_loop *loop, struct sb_sip_tx *tx, struct sb_rand *rnd,
			     const struct sb_txn_timers *tm, const struct sb_txl_tu *tu,
			     void *tu_arg); /* NULL + errno */
void sb_txl_free(struct sb_txl *l); /* every transaction, no callbacks; NULL ok */

/* A parsed message from the transport (valid during the call only). */
void sb_txl_on_msg(struct sb_txl *l, const struct sb_sip_msg *m, uint32_t flow,
		   const struct sb_sip_addr *src);

const struct sb_txl_cnt *sb_txl_counters(const struct sb_txl *l);
const struct sb_txn_timers *sb_txl_timers(const struct sb_txl *l);
unsigned sb_txl_count(const struct sb_txl *l); /* live transactions */
/* "z9hG4bK" + 16 random chars into out (cap >= 24). */
void sb_txl_branch(struct sb_txl *l, char *out, size_t cap);

/* ---- server transactions ---- */

const struct sb_sip_msg *sb_stx_request(const struct sb_stx *st);
uint32_t sb_stx_flow(const struct sb_stx *st);
const struct sb_sip_addr *sb_stx_src(const struct sb_stx *st);
/* The To tag this transaction's responses carry (random, or set). */
const char *sb_stx_tag(const struct sb_stx *st);
void sb_stx_set_tag(struct sb_stx *st, const char *tag);
unsigned sb_stx_status(const struct sb_stx *st); /* last status sent; 0 none */

void sb_stx_hold(struct sb_stx *st, void *owner);
void sb_stx_put(struct sb_stx *st); /* NULL ok */

/* Build (sb_sip_write_response, To tag = sb_stx_tag) and send a response;
 * 0, -EALREADY (a final response was sent), -EMSGSIZE, -ENOMEM. */
int sb_stx_reply(struct sb_stx *st, unsigned code, const char *reason, const char *extra_hdrs,
		 const char *content_type, struct sb_str body);
/* The same with a response the TU wrote itself. */
int sb_stx_respond(struct sb_stx *st, unsigned code, const char *buf, uint32_t len);
/* The ACK for our 2xx arrived (the TU matched it to its dialog). */
void sb_stx_acked(struct sb_stx *st);

/* ---- client transactions ---- */

/* rsp NULL: the transaction failed, status 408 (timer B/F) or 503
 * (transport error).  For INVITE every 2xx (retransmissions too) is
 * delivered; the TU sends the ACK. */
typedef void sb_ctx_cb(void *arg, struct sb_ctx *ct, const struct sb_sip_msg *rsp,
		       unsigned status);

/* Send req (complete, with our top Via and its branch) on flow to dst and
 * run its transaction.  The caller holds the result (sb_ctx_put).
 * NULL + errno: EBADMSG (req does not parse or has no branch), ENOMEM,
 * EEXIST (branch in use), or the transport's error. */
struct sb_ctx *sb_ctx_start(struct sb_txl *l, uint32_t flow, const struct sb_sip_addr *dst,
			    const char *req, uint32_t len, sb_ctx_cb *cb, void *arg);
void sb_ctx_put(struct sb_ctx *ct); /* no more callbacks; NULL ok */
const struct sb_sip_msg *sb_ctx_request(const struct sb_ctx *ct);
/* INVITE: send CANCEL (built from the INVITE, §9.1) now, or as soon as a
 * provisional response arrives.  0, -EALREADY (final response received or
 * already cancelled), -EINVAL (not an INVITE). */
int sb_ctx_cancel(struct sb_ctx *ct);

#endif
