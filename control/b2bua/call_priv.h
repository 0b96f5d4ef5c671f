/* SPDX-License-Identifier: MIT */
/*
 * b2bua/call_priv.h — the call object, shared by call.c (caller side, media,
 * end of call), uac.c (requests we send and the agent's responses) and
 * calltab.c (lookup by Call-ID, index + generation for media cookies).
 *
 * Side A is the caller: we are the UAS of its INVITE, through a server
 * transaction the call holds for its whole life (its request is a_msg;
 * 100 Trying, retransmissions, CANCEL and the 2xx until ACKed are the
 * transaction layer's, sip/txn.h).  Side B is the agent: we are the UAC,
 * through a client transaction for the INVITE (b_inv) that sends CANCEL
 * and the ACK of a non-2xx itself; the 2xx's ACK is ours (b_ack).  BYEs
 * either way are client transactions nobody holds.  Each side's dialog
 * (tags, CSeq, route set, target), the requests inside them (re-INVITE,
 * UPDATE, OPTIONS, BYE routing) and session timers: dialog.c.  A call
 * lingers in CALL_GONE for 32 s after it ends so that late requests of
 * its dialogs find it instead of creating a new call.
 */
#ifndef SB_B2BUA_CALL_PRIV_H
#define SB_B2BUA_CALL_PRIV_H

#include "b2bua/call.h"
#include "b2bua/dialog.h"
#include "sip/sdp.h"
#include "sip/txn.h"

enum call_state {
	CALL_LEGS,       /* LEG_ADD for both legs in flight */
	CALL_RINGING,    /* INVITE sent to the agent, no final answer yet */
	CALL_ANSWERING,  /* agent answered; LEG_MOD + CONNECT in flight */
	CALL_CONFIRMING, /* 200 sent to the caller, waiting for its ACK */
	CALL_UP,
	CALL_GONE,       /* ended: CDR written, legs released, lingering */
};

enum call_side { SIDE_A = 0, SIDE_B = 1 };

enum leg_state { LEG_NONE = 0, LEG_ALLOCATED, LEG_ADDING, LEG_ADDED };

enum media_op { OP_ADD_A = 1, OP_ADD_B, OP_MOD_B, OP_CONNECT, OP_DEL, OP_MOD_A };

struct sb_call;

/* An owned copy of a datagram and its parse (slices point into buf). */
struct sb_pkt {
	char *buf;
	uint32_t len;
	struct sb_sip_msg msg;
};

struct call_key {
	struct sb_call *call;
	struct call_key *next;
	const char *id;          /* Call-ID bytes (owned by the call) */
	uint32_t len;
	uint32_t hash;
	bool linked;
};

struct sb_call {
	uint32_t idx, gen;       /* slot in the table; gen guards media cookies */
	struct sb_cp *cp;
	enum call_state state;
	struct call_key key[2];  /* Call-ID of each side */

	/* side A: caller */
	struct sb_stx *a_st;     /* its INVITE's server transaction (held) */
	const struct sb_sip_msg *a_msg; /* that INVITE (owned by a_st) */
	struct sb_sip_addr a_src;
	unsigned a_sock;         /* flow (sip/tx.h): listener, TCP connection */
	char a_tag[SB_SIP_TOKEN_LEN + 1];
	struct sb_sdp_neg a_neg; /* the caller's offer as we can carry it (slices into a_msg) */
	struct sb_sdp_neg a_ans; /* our answer to the caller (slices into a_msg, b_ok) */
	char a_target[256];      /* caller's Contact URI, for our BYE */
	struct sb_sip_addr a_target_addr;
	uint16_t a_final;        /* final status sent to the caller; 0 = none */
	uint32_t a_cseq;

	/* side B: agent */
	int agent;               /* registrar/config index, -1 none */
	unsigned b_sock;         /* flow */
	struct sb_sip_addr b_dst;
	char b_callid[48];
	char b_ruri[256];        /* Request-URI of the INVITE */
	char b_from[320];        /* From value with our tag */
	char b_to[320];          /* To value; after answer, with the agent's tag */
	char b_target[256];      /* Contact of the agent's 2xx */
	uint32_t b_cseq;         /* of the INVITE */
	uint32_t b_cseq_next;
	struct sb_pkt *b_ok;     /* agent's 2xx (SDP slices) */
	struct sb_sdp_neg b_neg; /* the agent's answer to our offer (slices into b_ok) */
	struct sb_ctx *b_inv;    /* the INVITE's client transaction (held) */
	char *b_ack;             /* ACK of the 2xx, re-sent when the 2xx is */
	uint32_t b_ack_len;
	bool b_invited, b_provisional, b_final, b_ringing_relayed, b_bye_sent;

	/* media */
	struct sb_media_leg leg[2];
	enum leg_state leg_st[2];
	unsigned pending;        /* media commands in flight */
	int media_err;

	/* the dialog of each side and the re-INVITE/UPDATE being relayed
	 * (b2bua/dialog.c) */
	struct sb_dlg dlg[2];
	struct sb_dlg_relay relay;

	struct sb_timer t_ring;  /* no answer from the agent */
	struct sb_timer t_linger;

	/* CDR */
	int64_t start_ms, answer_ms;
	int hotline;             /* config index, -1 none */
	char caller[128];
};

/* calltab.c */
struct sb_call *calltab_new(struct sb_cp *cp);     /* NULL when full */
void calltab_destroy(struct sb_call *c);           /* unlink + free everything */
void calltab_link(struct sb_call *c, enum call_side side, const char *id, uint32_t len);
struct sb_call *calltab_find(struct sb_cp *cp, struct sb_str call_id, enum call_side *side);
struct sb_call *calltab_get(struct sb_cp *cp, uint32_t idx, uint32_t gen);
struct sb_pkt *pkt_copy(const struct sb_sip_msg *m);   /* NULL when out of memory */
void pkt_free(struct sb_pkt *p);

/* requests to the agent / caller (uac.c) */
int uac_invite_agent(struct sb_call *c);
void uac_cancel_agent(struct sb_call *c);
void uac_bye_agent(struct sb_call *c);
void uac_bye_caller(struct sb_call *c);
/* A response no transaction took (2xx retransmitted after it ended). */
void uac_on_stray_response(struct sb_call *c, const struct sb_sip_msg *m);

/* call.c */
void call_fail(struct sb_call *c, unsigned code, const char *hangup_by);
void call_end(struct sb_call *c, const char *hangup_by, int status);
void call_agent_answered(struct sb_call *c);
void call_relay_ringing(struct sb_call *c);
void call_stop_2xx(struct sb_call *c);  /* no more 200 retransmissions to the caller */
/* SDP offer/answer options: codecs from config, SRTP only when the media
 * layer has SB_MEDIA_CAP_SRTP. */
void call_oa_cfg(const struct sb_call *c, struct sb_sdp_oa_cfg *cfg);
/* 488 with a Warning to the caller (if it has no final answer yet), end. */
void call_fail_488(struct sb_call *c, const struct sb_sdp_fail *f, const char *hangup_by);

#endif
