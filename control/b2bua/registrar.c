/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "b2bua/cp.h"
#include "b2bua/registrar.h"
#include "log.h"
#include "sip/hdr.h"
#include "sip/uri.h"

#define REG_DEFAULT_EXPIRES 3600u
#define REG_MAX_EXPIRES     86400u

int sb_registrar_init(struct sb_registrar *r, unsigned n_agents)
{
	r->n = n_agents;
	r->e = calloc(n_agents ? n_agents : 1, sizeof(*r->e));
	if (r->e == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < n_agents; i++)
		r->e[i].busy_call = SB_CALL_NONE;
	return 0;
}

void sb_registrar_fini(struct sb_registrar *r)
{
	free(r->e);
	r->e = NULL;
	r->n = 0;
}

static int uri_user_of(struct sb_str nameaddr_value, struct sb_str *user)
{
	struct sb_sip_nameaddr na;
	struct sb_sip_uri u;

	if (sb_sip_nameaddr_parse(nameaddr_value, &na, NULL) < 0 ||
	    sb_sip_uri_parse(na.uri, &u, NULL) < 0)
		return -1;
	*user = u.user;
	return 0;
}

void sb_registrar_on_register(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
			      const struct sb_sip_addr *src)
{
	struct sb_str user, contact = sb_sip_msg_hdr(m, SB_HDR_CONTACT), v;
	struct sb_sip_nameaddr na = { 0 };
	struct sb_reg_entry *e;
	uint32_t expires = REG_DEFAULT_EXPIRES;
	char extra[400], who[32];
	int idx;

	if (uri_user_of(sb_sip_msg_hdr(m, SB_HDR_TO), &user) < 0) {
		sb_cp_reply(cp, m, sock, src, 400, "Bad To header", NULL);
		return;
	}
	idx = sb_config_agent_find(cp->cfg, user.p, user.len);
	if (idx < 0) {
		sb_info("register: unknown user '" SB_STR_FMT "'", SB_STR_ARG(user));
		sb_cp_reply(cp, m, sock, src, 404, NULL, NULL);
		return;
	}
	e = &cp->reg.e[idx];
	if (m->first[SB_HDR_EXPIRES] >= 0 &&
	    !sb_str_to_u32(sb_sip_msg_hdr(m, SB_HDR_EXPIRES), 0xffffffffu, &expires)) {
		sb_cp_reply(cp, m, sock, src, 400, "Bad Expires header", NULL);
		return;
	}
	if (contact.len) {
		if (sb_sip_nameaddr_parse(contact, &na, NULL) < 0) {
			sb_cp_reply(cp, m, sock, src, 400, "Bad Contact header", NULL);
			return;
		}
		if (sb_sip_param_get(na.params, "expires", &v) &&
		    !sb_str_to_u32(v, 0xffffffffu, &expires)) {
			sb_cp_reply(cp, m, sock, src, 400, "Bad Contact expires parameter", NULL);
			return;
		}
		if (na.star && expires != 0) {
			sb_cp_reply(cp, m, sock, src, 400, "Contact * needs Expires: 0", NULL);
			return;
		}
	}
	if (expires > REG_MAX_EXPIRES)
		expires = REG_MAX_EXPIRES;

	if (expires == 0) {
		e->bound = false;
		sb_info("register: agent %s unregistered", cp->cfg->agents[idx].user);
		sb_cp_reply(cp, m, sock, src, 200, NULL, NULL);
		return;
	}

	/* Contact URI with an IPv4 host: send there.  Missing or unusable
	 * (hostname, bad URI): the packet's source address. */
	struct sb_sip_uri u;
	if (contact.len && !na.star && sb_sip_uri_parse(na.uri, &u, NULL) == 0 && u.host_is_ipv4 &&
	    na.uri.len < sizeof(e->contact)) {
		sb_str_copy(e->contact, sizeof(e->contact), na.uri);
		e->addr.ip = u.ipv4;
		e->addr.port = u.port ? u.port : 5060;
	} else {
		e->addr = *src;
		sb_sip_addr_fmt(src, who, sizeof(who));
		snprintf(e->contact, sizeof(e->contact), "sip:%s@%s", cp->cfg->agents[idx].user, who);
	}
	e->bound = true;
	e->sock = sock;
	e->expires_ms = sb_mono_ms() + (uint64_t)expires * 1000u;
	sb_sip_addr_fmt(&e->addr, who, sizeof(who));
	sb_info("register: agent %s at %s (%s) for %u s", cp->cfg->agents[idx].user, e->contact,
		who, expires);
	snprintf(extra, sizeof(extra), "Contact: <%s>;expires=%u\r\n", e->contact, expires);
	sb_cp_reply(cp, m, sock, src, 200, NULL, extra);
}

int sb_registrar_pick(struct sb_cp *cp, const struct sb_cfg_hotline *h)
{
	uint64_t now = sb_mono_ms();

	for (unsigned i = 0; i < h->n_agents; i++) {
		struct sb_reg_entry *e = &cp->reg.e[h->agents[i]];

		if (e->bound && e->expires_ms <= now)
			e->bound = false;
		if (e->bound && e->busy_call == SB_CALL_NONE)
			return h->agents[i];
	}
	return -1;
}
