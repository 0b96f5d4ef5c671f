/* SPDX-License-Identifier: MIT */
/*
 * b2bua/registrar.h — where each configured agent can be reached
 * (REGISTER), and whether it is on a call.  One entry per configured agent,
 * same index as sb_config.agents.
 */
#ifndef SB_B2BUA_REGISTRAR_H
#define SB_B2BUA_REGISTRAR_H

#include <stdbool.h>
#include <stdint.h>

#include "sip/msg.h"
#include "sip/tx.h"

#define SB_CALL_NONE UINT32_MAX

struct sb_cp;
struct sb_cfg_hotline;

struct sb_reg_entry {
	bool bound;
	uint64_t expires_ms;       /* CLOCK_MONOTONIC */
	struct sb_sip_addr addr;   /* where requests for the agent go */
	unsigned sock;             /* the socket its REGISTER came in on */
	char contact[256];         /* URI used as Request-URI */
	uint32_t busy_call;        /* call index, SB_CALL_NONE when free */
};

struct sb_registrar {
	unsigned n;
	struct sb_reg_entry *e;
};

int sb_registrar_init(struct sb_registrar *r, unsigned n_agents); /* 0 or -ENOMEM */
void sb_registrar_fini(struct sb_registrar *r);

/* REGISTER: 200 with Contact;expires, 404 for an unknown user, 400 for a
 * bad Contact/Expires. */
void sb_registrar_on_register(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
			      const struct sb_sip_addr *src);

/* First agent of the hotline that is registered (not expired) and free; -1. */
int sb_registrar_pick(struct sb_cp *cp, const struct sb_cfg_hotline *h);

#endif
