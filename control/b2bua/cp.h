/* SPDX-License-Identifier: MIT */
/*
 * b2bua/cp.h — the control-plane context passed to every handler (no
 * globals).  Owned by main(); everything in it is touched by the loop
 * thread only (the store hands records to its own writer thread).
 */
#ifndef SB_B2BUA_CP_H
#define SB_B2BUA_CP_H

#include <stdint.h>

#include "b2bua/overload.h"
#include "b2bua/registrar.h"
#include "config.h"
#include "loop.h"
#include "media/backend.h"
#include "sip/build.h"
#include "sip/msg.h"
#include "sip/tx.h"
#include "sip/txn.h"
#include "store/store.h"

#define SB_SIP_T1_MS 500u
#define SB_SIP_T2_MS 4000u
#define SB_SIP_TIMEOUT_MS (64u * SB_SIP_T1_MS) /* timers B/F/H */
#define SB_SIP_MAX_MSG 8192u

struct sb_calls;
struct sb_cpq;

struct sb_cp_counters {
	uint64_t rx_msgs;
	uint64_t rx_dropped;   /* malformed and no response could be formed */
	uint64_t rx_rejected;  /* malformed, answered with 400 */
	uint64_t rx_stray;     /* responses/ACKs matching nothing */
	uint64_t calls;        /* INVITEs that created a call */
	uint64_t calls_answered;
	uint64_t cdr_dropped;
	/* dialogs (b2bua/dialog.c) */
	uint64_t reinvites, updates, glare_491, no_dialog_481, cseq_500, mf_483, loop_482,
		 leg_mods;
	/* transfers (b2bua/xfer.c): REFERs answered 202, transfers done
	 * blind / attended, failed (NOTIFY with a non-2xx) */
	uint64_t refers, xfer_blind, xfer_attended, xfer_failed;
};

struct sb_cp {
	const struct sb_config *cfg;
	struct sb_loop *loop;
	struct sb_sip_tx tx;
	struct sb_media *media;   /* never NULL while the loop runs */
	struct sb_store *store;   /* NULL: CDRs are logged only */
	struct sb_registrar reg;
	struct sb_calls *calls;
	struct sb_txl *txl;       /* transactions (sip/txn.h) */
	struct sb_stx *cur_st;    /* server transaction of the request being handled */
	struct sb_rand rnd;
	struct sb_cp_counters cnt;
	struct sb_ovl ovl;        /* overload shedding state (b2bua/overload.h) */
	struct sb_cpq *q;         /* hotline queues (b2bua/queue.h); NULL: none */
	uint16_t sup_confs[16];   /* conference numbers in use, bit per number, per
				   * dataplane worker (b2bua/supervise.c) */
	struct sb_timer t_rec_sweep; /* recording retention (b2bua/callrec.c) */
	uint32_t rec_seq;         /* recording ids handed out (callrec.c) */
};

/* One message from flow sock (a UDP datagram or a framed TCP message;
 * b2bua/core.c, the transport's sb_sip_rx_cb with arg = cp). */
void sb_cp_on_datagram(struct sb_cp *cp, unsigned sock, const struct sb_sip_addr *src,
		       const char *buf, uint32_t len);
void sb_cp_on_msg(void *cp, uint32_t flow, const struct sb_sip_addr *src, const char *buf,
		  uint32_t len);
/* The transaction user callbacks of b2bua/core.c (arg = cp). */
extern const struct sb_txl_tu sb_cp_tu;

/* Response to req (received on flow sock from src).  When req is the
 * request being handled, it goes through its server transaction (which
 * replays it to retransmissions, To tag and all); otherwise it is sent
 * statelessly to the Via's sent-by per RFC 3581 (with a random To tag when
 * To has none). */
void sb_cp_reply(struct sb_cp *cp, const struct sb_sip_msg *req, unsigned sock,
		 const struct sb_sip_addr *src, unsigned code, const char *reason,
		 const char *extra_hdrs);

void sb_cp_send(struct sb_cp *cp, unsigned sock, const struct sb_sip_addr *dst,
		const char *buf, uint32_t len);

#endif
