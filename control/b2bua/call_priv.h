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
#include "b2bua/consult.h"
#include "b2bua/dialog.h"
#include "b2bua/supervise.h"
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

/* SIDE_X: a transferor's dialog (the agent side before a transfer, b2bua/
 * xfer.c), kept after the transfer until it hangs up or we BYE it. */
enum call_side { SIDE_A = 0, SIDE_B = 1, SIDE_X = 2 };

enum leg_state { LEG_NONE = 0, LEG_ALLOCATED, LEG_ADDING, LEG_ADDED };

enum media_op { OP_ADD_A = 1, OP_ADD_B, OP_MOD_B, OP_CONNECT, OP_DEL, OP_MOD_A,
		OP_MEDIA_A, OP_MEDIA_B, /* LEG_MEDIA at the answer (b2bua/callmedia.c) */
		OP_AUX };               /* prompts, conferences: failures logged only */

struct sb_call;
struct sb_pkt;

enum xfer_state {
	XF_NONE = 0,
	XF_INVITING,   /* REFER accepted, INVITE to the target in flight */
	XF_DONE,       /* target answered and took the agent side */
};

/* A blind transfer (REFER from the agent, b2bua/xfer.c).  While
 * XF_INVITING, the INVITE to the target lives here; on its 2xx it moves
 * into the call's b_* fields (the call's agent side), the transferor's
 * dialog into dlg[SIDE_X]. */
struct call_xfer {
	enum xfer_state st;
	int agent;               /* target agent (registrar/config index) */
	char number[64];         /* ... or, agent -1: an outside number (outbound trunk) */
	int from_agent;          /* the transferor, -1 none */
	char by[64];             /* transferor's user (Referred-By) */
	char done_by[64];        /* who made the last transfer that happened (CDR) */
	char callid[48];         /* of the INVITE to the target */
	char ruri[256];
	char from[320];          /* with our tag */
	char to[320];
	unsigned sock;
	struct sb_sip_addr dst;
	struct sb_ctx *inv;      /* its client transaction (held) */
	char old_callid[48];     /* transferor's Call-ID (key[SIDE_X]) */
	bool x_open;             /* transferor's dialog not yet ended */
	bool b_gone;             /* the transferor hung up while XF_INVITING */
	struct sb_timer t_bye;   /* BYE the transferor if it does not */
	uint64_t done_ms;        /* wall clock of the transfer; 0 = none */
	/* Attended: this call took the agent leg of a consultation call (the
	 * "husk"), whose cookie the backend still names in that leg's media
	 * events; the husk stays (ended, not lingering) while this call
	 * lives and forwards them here (fwd). */
	bool has_husk, has_fwd;
	uint32_t husk_idx, husk_gen, fwd_idx, fwd_gen;
};

/* A caller in the IVR (b2bua/ivr.c; menus: config.h sb_cfg_ivr_menu).
 * on: the IVR owns the caller's leg (its prompts, the DTMF hook); t is
 * initialised once the IVR started (started). */
#define CALL_IVR_PATH 8
struct call_ivr {
	bool started, on;
	bool playing;            /* our prompt plays on the caller's leg */
	bool invalid_playing;    /* ... and it is the `invalid` one (menu prompt next) */
	uint8_t tries;           /* timeouts + invalid digits in this menu */
	uint8_t stops;           /* STOPPED events still due for our PROMPT_STOPs */
	uint8_t n_path;          /* menus entered, first CALL_IVR_PATH kept */
	int16_t menu;            /* current menu */
	uint32_t prompt;         /* the one playing */
	uint16_t path[CALL_IVR_PATH];
	struct sb_timer t;       /* no digit after the prompt */
};

/* An owned copy of a datagram and its parse (slices point into buf). */
struct sb_pkt {
	char *buf;
	uint32_t len;
	struct sb_sip_msg msg;
};

/* Ring-all (b2bua/queue.c): one INVITE per offered agent, all at once,
 * sharing the call's agent-side Call-ID, From tag, CSeq and media leg
 * (only one is ever connected), as a forking proxy would.  The offers
 * live here, not in the b_* fields, until one answers 2xx: that one is
 * promoted (its transaction moves to b_inv, its agent to c->agent) and
 * the rest are CANCELled; a 2xx from another is ACKed and BYEd.  A fork
 * stays in the list until the call is freed, so a late 2xx finds it. */
struct call_fork {
	struct call_fork *next;
	struct sb_call *call;
	int agent;               /* registrar/config index */
	unsigned sock;           /* flow */
	struct sb_sip_addr dst;
	char ruri[256];
	char to[320];
	uint32_t cseq;           /* of its INVITE: one each, so a later round's
				  * INVITE to the same agent is not a merged request */
	struct sb_ctx *inv;      /* its INVITE's client transaction (held) */
	bool live;               /* an offer the engine still has */
	bool ringing, final, promoted, bye_sent;
};

/* A party of a callback being dialled back (b2bua/callback.c): a call
 * with no caller side (as a consultation's, consult.c) whose agent side
 * is the agent (CBK_AGENT) or the customer through the outbound trunk
 * (CBK_CUSTOMER); slot: the callback's (queue.c struct cpq_cb).  Role
 * CBK_NONE again once callback.c ends it itself (its end reports nothing). */
enum cbk_role { CBK_NONE = 0, CBK_AGENT, CBK_CUSTOMER };
struct call_cbk {
	uint8_t role;
	uint32_t slot;
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
	bool counted_gone;       /* in the table's count of ended calls (calltab.c) */
	struct sb_cp *cp;
	enum call_state state;
	struct call_key key[3];  /* Call-ID of each side (SIDE_X: transferor) */

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
	char *a_early;           /* the SDP of our 183 (early media, b2bua/early.c),
				  * malloc'd; the 200 repeats it; NULL none */
	uint32_t a_early_len;
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
	struct call_fork *forks; /* ring-all offers (above) */

	/* media */
	struct sb_media_leg leg[2];
	enum leg_state leg_st[2];
	unsigned pending;        /* media commands in flight */
	int media_err;
	/* media processing (b2bua/callmedia.c): DTMF hook, what was programmed */
	sb_call_dtmf_fn *dtmf_fn;
	void *dtmf_arg;
	bool media_prog;         /* LEG_MEDIA sent on both legs (keys, codecs, DTMF) */
	bool xcode;              /* the legs carry different codecs: transcoded */
	bool moh_on;             /* music on hold loops on the caller's leg */
	bool b_has_key;          /* b_key offered to the agent (agent `srtp: true`) */
	struct sb_sdp_crypto b_key;
	struct call_sup sup;     /* supervision (b2bua/supervise.c) */
	struct call_cons cons;   /* consultation, three-way (b2bua/consult.c) */
	struct {                 /* recording (b2bua/callrec.c); on: started, not stopped */
		bool on;
		uint32_t id;         /* rec_id on the dataplane */
		char path[80];       /* relative to recording: dir */
	} rec;

	/* the dialog of each side and the re-INVITE/UPDATE being relayed
	 * (b2bua/dialog.c) */
	struct sb_dlg dlg[3];     /* SIDE_X: the transferor's, after a transfer */
	struct sb_dlg_relay relay;

	struct call_xfer xfer;   /* a transfer by REFER (b2bua/xfer.c) */
	struct call_ivr ivr;     /* the IVR's menus before a queue or agent (b2bua/ivr.c) */
	struct call_cbk cbk;     /* a callback's party (b2bua/callback.c) */

	struct sb_timer t_ring;  /* no answer from the agent */
	struct sb_timer t_linger;

	/* CDR */
	int64_t start_ms, answer_ms;
	int hotline;             /* config index, -1 none */
	bool acd_in;             /* the queue engine knows it (b2bua/queue.c) */
	bool acd_answered;       /* ... and an agent it offered answered */
	int callee_agent;        /* called by agent name (an agent's call), -1 */
	int caller_agent;        /* the caller is this registered agent, -1 */
	char caller[128];
};

/* calltab.c */
struct sb_call *calltab_new(struct sb_cp *cp);     /* NULL when full */
void calltab_destroy(struct sb_call *c);           /* unlink + free everything */
void calltab_gone(struct sb_call *c);              /* it just entered CALL_GONE */
void calltab_link(struct sb_call *c, enum call_side side, const char *id, uint32_t len);
void calltab_unlink(struct sb_call *c, enum call_side side); /* not linked: no-op */
struct sb_call *calltab_find(struct sb_cp *cp, struct sb_str call_id, enum call_side *side);
struct sb_call *calltab_get(struct sb_cp *cp, uint32_t idx, uint32_t gen);
struct sb_call *calltab_slot(struct sb_cp *cp, uint32_t idx); /* NULL when free */
struct sb_pkt *pkt_copy(const struct sb_sip_msg *m);   /* NULL when out of memory */
void pkt_free(struct sb_pkt *p);

/* requests to the agent / caller (uac.c) */
int uac_invite_agent(struct sb_call *c);
void uac_cancel_agent(struct sb_call *c);
void uac_bye_agent(struct sb_call *c);
void uac_bye_caller(struct sb_call *c);
/* An outside number through the `outbound:` trunk (config.h): Request-URI
 * sip:PREFIX+NUMBER@proxy, sent to the proxy over UDP, From c->caller.
 * 0, or -1 (no trunk, a number with other than 0-9 a-z A-Z + * # . _ -,
 * send failed). */
int uac_invite_number(struct sb_call *c, const char *number);
/* That Request-URI: 0, -ENOENT (no trunk, empty number), -EINVAL (bad) */
int uac_trunk_uri(const struct sb_config *cfg, const char *number, char *ruri, size_t cap);
/* ring-all: INVITE `agent` as one more fork of the call (0 or -1) */
int uac_fork_agent(struct sb_call *c, int agent);
void uac_fork_cancel(struct call_fork *f);
struct call_fork *uac_fork_of(struct sb_call *c, int agent); /* live one, or NULL */
void uac_forks_free(struct sb_call *c);
/* A response no transaction took (2xx retransmitted after it ended). */
void uac_on_stray_response(struct sb_call *c, const struct sb_sip_msg *m);

/* The SDP origin of our leg on side S (media address, the leg's port)
 * for sb_sdp_oa_write_offer/answer (dialog.c). */
void call_leg_sdp_local(struct sb_call *c, int s, uint64_t sess_id, uint64_t sess_ver,
			struct sb_sdp_local *l);

/* xfer.c */
/* REFER in the side's dialog (answered here: 202/4xx, NOTIFYs later). */
void xfer_on_refer(struct sb_call *c, struct sb_stx *st, const struct sb_sip_msg *m, int side);
/* A request in the transferor's old dialog (SIDE_X): BYE ends it. */
void xfer_on_old_request(struct sb_call *c, struct sb_stx *st, const struct sb_sip_msg *m);
/* BYE from the agent side (answered): true when it is the transferor
 * leaving while its transfer is in flight (the call goes on). */
bool xfer_on_agent_bye(struct sb_call *c);
/* The call is ending: cancel a transfer in flight, BYE the transferor. */
void xfer_call_end(struct sb_call *c);
/* The call is being freed. */
void xfer_free(struct sb_call *c);
/* Attended transfer: c's agent side becomes c2's (call c2 = agent <-> B,
 * B's leg on the worker of c's caller leg); refer: NOTIFY the transferor
 * and let it hang up, else BYE it now (b2bua/consult.c). */
void xfer_join(struct sb_call *c, struct sb_call *c2, bool refer);
/* An initial INVITE with a Replaces header: answered (400 malformed, 481
 * no such dialog, 486 early-only for a confirmed one, 501 otherwise: a
 * party of a call cannot be replaced yet); false when it has none. */
bool xfer_check_replaces(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
			 const struct sb_sip_addr *src);

/* call.c */
uint64_t call_cookie(const struct sb_call *c, enum media_op op); /* media cookie */
/* A response to the caller's INVITE (through its server transaction). */
void call_reply(struct sb_call *c, unsigned code, const char *extra, struct sb_str sdp);
void call_fail(struct sb_call *c, unsigned code, const char *hangup_by);
/* the same with extra header lines ("Name: value\r\n") in the response */
void call_fail_hdr(struct sb_call *c, unsigned code, const char *extra, const char *hangup_by);
void call_end(struct sb_call *c, const char *hangup_by, int status);
void call_agent_answered(struct sb_call *c);
void call_relay_ringing(struct sb_call *c);
void call_stop_2xx(struct sb_call *c);  /* no more 200 retransmissions to the caller */
/* SDP offer/answer options: codecs from config, SRTP only when the media
 * layer has SB_MEDIA_CAP_SRTP. */
void call_oa_cfg(const struct sb_call *c, struct sb_sdp_oa_cfg *cfg);
/* Parse the caller's SDP offer (c->a_msg) into c->a_neg: what of it we
 * can carry, IPv4 media only (the dataplane's).  0, or -ENOTSUP with *f
 * the Warning for the 488. */
int call_accept_offer(struct sb_call *c, struct sb_sdp_fail *f);
/* 488 with a Warning to the caller (if it has no final answer yet), end. */
void call_fail_488(struct sb_call *c, const struct sb_sdp_fail *f, const char *hangup_by);

/* early.c */
/* Our answer to the caller's offer on its leg with no agent yet (the IVR,
 * early media): our best codec of its offer, a fresh o= line and key;
 * leg A's parameters follow it and c->a_neg narrows to the answered codec
 * (+ DTMF) so that the agent is offered nothing else.  0 or -errno. */
int call_answer_own(struct sb_call *c, struct sb_buf *sdp);
/* A queue with `early_media: true`: 183 with call_answer_own()'s SDP, kept
 * in c->a_early for the 200.  0 when sent; -errno when the caller must be
 * handled as before (already answered, requires 100rel, no answer). */
int call_early_answer(struct sb_call *c);
/* After the agent's answer was bridged (call_agent_answered): the caller
 * keeps the SRTP key of our 183 (the 200 repeats that SDP). */
void call_early_bridged(struct sb_call *c, const struct sb_sdp_crypto *key,
			struct sb_media_sdp *la);

/* supervise.c: conference numbers of a worker (supervision, consultation):
 * the lowest free one, -1 when none; back when done. */
int call_conf_get(struct sb_cp *cp, unsigned worker);
void call_conf_put(struct sb_cp *cp, unsigned worker, uint32_t conf);

/* callback.c: hooks for a callback's party (false / no-op for others) */
bool cbk_legs_added(struct sb_call *k);          /* its leg is up: INVITE */
bool cbk_ringing(struct sb_call *k);             /* 180/183 */
bool cbk_answered(struct sb_call *k);            /* 2xx with a usable answer */
bool cbk_failed(struct sb_call *k, unsigned status); /* INVITE failed: ended */
void cbk_call_end(struct sb_call *k, int status); /* from call_end() */

/* callmedia.c */
/* Does this call need LEG_MEDIA on its legs (keys, transcoding, music on
 * hold, a DTMF hook, supervision)?  Plain calls are relayed untouched. */
bool call_media_wanted(const struct sb_call *c);
/* LEG_MEDIA on both legs from what they carry now (pending counted,
 * cookies OP_MEDIA_A/B or OP_AUX when aux).  0 or -errno. */
int call_media_program(struct sb_call *c, bool aux);
/* LEG_MEDIA on leg s alone after a re-INVITE/UPDATE changed it (OP_AUX). */
int call_media_leg(struct sb_call *c, int s);
/* Our offer toward the agent beyond the caller's: every codec we have
 * (media: transcode: true, DPDK) and RTP/SAVP with our key (agent srtp). */
void call_agent_offer(struct sb_call *c, struct sb_sdp_neg *offer);
/* The agent answered with no codec the caller has: answer the caller
 * with its best codec, each leg its own (the dataplane transcodes).
 * 0, -ENOTSUP (not allowed here: keep the 488) or -EIO. */
int call_xcode_bridge(struct sb_call *c, struct sb_media_sdp *la, struct sb_sdp_fail *f);
/* Music on hold on the waiting caller's leg (b2bua/queue.c): its queue's
 * `moh:` prompt (the hotline's queue, or the one the IVR chose); _q: queue
 * q's, -1 none. */
void call_moh_start(struct sb_call *c);
void call_moh_start_q(struct sb_call *c, int q);
void call_moh_stop(struct sb_call *c);

/* callrec.c: recording (issue 7) */
/* Answered: record it when its hotline or queue says `record: true`. */
void call_rec_start(struct sb_call *c);
/* Hang-up: stop before the legs go (no-op when not recording). */
void call_rec_stop(struct sb_call *c);
/* Attended transfer: the agent side is another leg now (same file when the
 * dataplane can: same worker; else the caller side goes on alone). */
void call_rec_agent_changed(struct sb_call *c);
/* Event callback and retention sweeper (from sb_call_media_init). */
void call_rec_init(struct sb_cp *cp);

#endif
