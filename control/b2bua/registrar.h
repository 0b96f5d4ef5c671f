/* SPDX-License-Identifier: MIT */
/*
 * b2bua/registrar.h — where each configured agent can be reached
 * (REGISTER, RFC 3261 §10.3), whether it is on a call, and digest
 * authentication of agents (sip/auth.h).  One entry per configured agent,
 * same index as sb_config.agents.
 *
 * Each agent has up to registrar.max_contacts bindings, each with its own
 * expiry.  Expired bindings are removed by a sweep timer (at most one sweep
 * a second, armed for the earliest expiry) and are never used in between,
 * because every reader checks the expiry itself.  There is no forking yet:
 * a call to an agent goes to its most recently registered live binding.
 *
 * Keep-alive: every sip.options_interval seconds each live binding gets an
 * OPTIONS (a client transaction; one in flight per binding).  Any response
 * proves it alive; sip.options_failures transaction failures in a row
 * (timer F, transport errors) drop the binding, with a log line.
 */
#ifndef SB_B2BUA_REGISTRAR_H
#define SB_B2BUA_REGISTRAR_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"
#include "sip/auth.h"
#include "sip/msg.h"
#include "sip/tx.h"

#define SB_CALL_NONE UINT32_MAX
#define SB_REG_URI_MAX 256

struct sb_cp;
struct sb_ctx;
struct sb_config;
struct sb_cfg_hotline;

struct sb_reg_binding {
	uint64_t expires_ms;       /* CLOCK_MONOTONIC; 0 = slot unused */
	uint64_t updated_ms;       /* last REGISTER that set it: the most recent wins */
	uint64_t call_id_hash;     /* RFC 3261 §10.3 step 7: Call-ID + CSeq ordering */
	uint32_t cseq;
	unsigned sock;             /* the socket its REGISTER came in on */
	struct sb_sip_addr addr;   /* where requests for the agent go */
	struct sb_sip_addr src;    /* where that REGISTER came from */
	uint32_t hnext;            /* chain in the index by src */
	bool linked;               /* in the address index */
	char uri[SB_REG_URI_MAX];  /* Contact URI, used as Request-URI */
	struct sb_ctx *ka_ct;      /* OPTIONS keep-alive in flight (held) */
	uint8_t ka_fail;           /* keep-alives unanswered in a row */
};

struct sb_reg_entry {
	struct sb_reg_binding *b;  /* max_contacts of them */
	/* The target of the call being set up: filled by sb_registrar_pick()
	 * from the most recent live binding (read by b2bua/uac.c). */
	bool bound;
	struct sb_sip_addr addr;
	unsigned sock;
	char contact[SB_REG_URI_MAX];
	uint32_t busy_call;        /* call index, SB_CALL_NONE when free */
};

struct sb_registrar {
	unsigned n;
	struct sb_reg_entry *e;
	const struct sb_config *cfg;
	struct sb_loop *loop;
	struct sb_auth *auth;
	struct sb_auth_user *users;    /* HA1s per agent, same index */
	struct sb_reg_binding *bindings; /* n * max_contacts */
	/* Which agent registered from an address: a chained hash over binding
	 * indexes by the REGISTER's source, so that checking an INVITE's
	 * source does not walk every binding. */
	uint32_t *bucket;              /* heads; UINT32_MAX = empty */
	uint32_t bucket_mask;
	struct sb_timer sweep;
	uint64_t next_due_ms;          /* earliest expiry the sweep timer is armed for */
	uint64_t last_sweep_ms;
	uint64_t expired;              /* bindings removed by the sweep */
	/* OPTIONS keep-alive (sip.options_interval): one timer for all */
	struct sb_timer ka;
	struct sb_cp *ka_cp;           /* set at the first REGISTER */
	uint64_t ka_sent, ka_dropped;  /* OPTIONS sent; bindings dropped */
};

/* 0, -ENOMEM, or -errno from sb_auth_create.  loop may be NULL (no sweep
 * timer: expiry is still honoured on access). */
int sb_registrar_init(struct sb_registrar *r, const struct sb_config *cfg, struct sb_loop *loop);
void sb_registrar_fini(struct sb_registrar *r);
/* Agent slot i of the config changed (api/objects.c): its HA1s again from
 * cfg->agents[i] (none when deleted). */
void sb_registrar_agent_set(struct sb_registrar *r, unsigned i);
/* Every binding of agent i removed (the agent was deleted). */
void sb_registrar_agent_drop(struct sb_registrar *r, unsigned i);

/* REGISTER: digest first (401 challenge / 401 stale / 403 for an unknown
 * user or a wrong password alike / 400), then the bindings: 200 listing
 * every live binding, 423 with Min-Expires, 400 for a bad Contact or
 * Expires, 500 for an out-of-order CSeq, 403 when the To names another
 * agent or the agent has no room for another contact. */
void sb_registrar_on_register(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
			      const struct sb_sip_addr *src);

/* Dialog-creating requests (INVITE without a To tag) that come from the
 * address a live binding was registered from (its REGISTER's source, not
 * its Contact) are from an agent: they must carry digest
 * credentials of that agent.  Returns true when the request may go on;
 * otherwise it has been answered (401/403/400).  Requests from elsewhere
 * (carriers) pass untouched. */
bool sb_registrar_authorize(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
			    const struct sb_sip_addr *src);

/* The agent whose live binding was registered from src (its REGISTER's
 * source), or -1: O(1), the index authorize uses.  An INVITE from there
 * has passed sb_registrar_authorize, so it is that agent's. */
int sb_registrar_agent_at(const struct sb_registrar *r, const struct sb_sip_addr *src);

/* First agent of the hotline that has a live binding and is free, or -1;
 * its entry's addr/sock/contact are set to its most recent live binding. */
int sb_registrar_pick(struct sb_cp *cp, const struct sb_cfg_hotline *h);

/* Live bindings of agent idx at now_ms (for tests and the API). */
unsigned sb_registrar_count(const struct sb_registrar *r, unsigned idx, uint64_t now_ms);

#endif
