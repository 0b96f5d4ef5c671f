/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b2bua/cp.h"
#include "b2bua/queue.h"
#include "b2bua/registrar.h"
#include "log.h"
#include "sip/hdr.h"
#include "sip/uri.h"

#define SWEEP_MIN_GAP_MS 1000u  /* at most one O(bindings) sweep a second */
#define REG_MAX_REQ_CONTACTS SB_CFG_MAX_CONTACTS

/* ---- bindings ---- */

static struct sb_reg_binding *bindings_of(const struct sb_registrar *r, unsigned idx)
{
	return r->e[idx].b;
}

static bool binding_live(const struct sb_reg_binding *b, uint64_t now_ms)
{
	return b->expires_ms > now_ms;
}

unsigned sb_registrar_count(const struct sb_registrar *r, unsigned idx, uint64_t now_ms)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->cfg->registrar.max_contacts; i++)
		n += binding_live(&r->e[idx].b[i], now_ms);
	return n;
}

/* ---- address index ---- */

#define NO_BINDING UINT32_MAX

static uint32_t addr_hash(const struct sb_registrar *r, const struct sb_sip_addr *a)
{
	uint64_t k = ((uint64_t)a->ip << 16 | a->port) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(k >> 32) & r->bucket_mask;
}

static void index_unlink(struct sb_registrar *r, struct sb_reg_binding *x)
{
	uint32_t me = (uint32_t)(x - r->bindings), *pp;

	if (!x->linked)
		return;
	pp = &r->bucket[addr_hash(r, &x->src)];
	while (*pp != NO_BINDING && *pp != me)
		pp = &r->bindings[*pp].hnext;
	if (*pp == me)
		*pp = x->hnext;
	x->linked = false;
}

static void index_link(struct sb_registrar *r, struct sb_reg_binding *x)
{
	uint32_t *head = &r->bucket[addr_hash(r, &x->src)];

	x->hnext = *head;
	*head = (uint32_t)(x - r->bindings);
	x->linked = true;
}

/* The agent with a live binding registered from a, or -1.  Only the
 * REGISTER's source counts, never the Contact: an agent chooses its
 * Contact freely (it could name a carrier's address), but it had to receive
 * the 401 at the source to authenticate from there. */
static int index_find(const struct sb_registrar *r, const struct sb_sip_addr *a, uint64_t now_ms)
{
	for (uint32_t i = r->bucket[addr_hash(r, a)]; i != NO_BINDING; i = r->bindings[i].hnext) {
		const struct sb_reg_binding *x = &r->bindings[i];

		if (x->src.ip == a->ip && x->src.port == a->port && x->expires_ms > now_ms)
			return (int)(i / r->cfg->registrar.max_contacts);
	}
	return -1;
}

/* Forget a binding (unlinked from the index first). */
static void binding_clear(struct sb_registrar *r, struct sb_reg_binding *x)
{
	index_unlink(r, x);
	sb_ctx_put(x->ka_ct); /* its keep-alive runs out without us */
	memset(x, 0, sizeof(*x));
}

/* ---- OPTIONS keep-alive ---- */

static void ka_response(void *arg, struct sb_ctx *ct, const struct sb_sip_msg *m,
			unsigned status)
{
	struct sb_cp *cp = arg;
	struct sb_registrar *r = &cp->reg;
	unsigned total = r->n * r->cfg->registrar.max_contacts;

	(void)status;
	if (m && m->status < 200)
		return;
	for (unsigned i = 0; i < total; i++) {
		struct sb_reg_binding *x = &r->bindings[i];
		unsigned a = i / r->cfg->registrar.max_contacts;

		if (x->ka_ct != ct)
			continue;
		sb_ctx_put(ct);
		x->ka_ct = NULL;
		if (m) { /* any answer: it is there */
			x->ka_fail = 0;
			return;
		}
		if (++x->ka_fail < r->cfg->options_failures)
			return;
		sb_warn("register: agent %s contact %s did not answer %u OPTIONS in a row; "
			"dropped", r->cfg->agents[a].user, x->uri, x->ka_fail);
		binding_clear(r, x);
		r->ka_dropped++;
		r->e[a].bound = sb_registrar_count(r, a, sb_mono_ms()) > 0;
		return;
	}
}

static void ka_send(struct sb_cp *cp, struct sb_reg_binding *x)
{
	const struct sb_sip_addr *local = sb_sip_flow_local(&cp->tx, x->sock);
	char mem[2048], branch[40], tag[SB_SIP_TOKEN_LEN + 1], id[24];
	struct sb_buf b;

	sb_txl_branch(cp->txl, branch, sizeof(branch));
	sb_rand_token(&cp->rnd, tag, SB_SIP_TOKEN_LEN);
	sb_rand_token(&cp->rnd, id, 20);
	sb_buf_init(&b, mem, sizeof(mem));
	sb_buf_printf(&b, "OPTIONS %s SIP/2.0\r\n", x->uri);
	sb_sip_write_via_proto(&b, sb_sip_flow_proto_name(x->sock), local, branch);
	sb_buf_puts(&b, "Max-Forwards: 70\r\nFrom: <sip:switchboard@");
	sb_buf_ipv4(&b, local->ip);
	sb_buf_printf(&b, ">;tag=%s\r\nTo: <%s>\r\nCall-ID: %s@switchboard\r\n"
		      "CSeq: 1 OPTIONS\r\nUser-Agent: switchboard\r\n"
		      "Accept: application/sdp\r\nContent-Length: 0\r\n\r\n", tag, x->uri, id);
	if (!sb_buf_ok(&b))
		return;
	x->ka_ct = sb_ctx_start(cp->txl, x->sock, &x->addr, b.p, b.len, ka_response, cp);
	if (x->ka_ct)
		cp->reg.ka_sent++;
}

static void ka_run(struct sb_timer *t, void *arg)
{
	struct sb_cp *cp = arg;
	struct sb_registrar *r = &cp->reg;
	unsigned total = r->n * r->cfg->registrar.max_contacts;
	uint64_t now = sb_mono_ms();

	for (unsigned i = 0; i < total; i++) {
		struct sb_reg_binding *x = &r->bindings[i];

		if (binding_live(x, now) && x->ka_ct == NULL && cp->txl)
			ka_send(cp, x);
	}
	sb_timer_arm(r->loop, t, (uint64_t)r->cfg->options_interval_s * 1000u);
}

static void sweep_arm(struct sb_registrar *r, uint64_t due_ms, uint64_t now_ms)
{
	uint64_t at;

	if (r->loop == NULL || due_ms == 0 || (r->sweep.armed && due_ms >= r->next_due_ms))
		return;
	at = due_ms;
	if (at < r->last_sweep_ms + SWEEP_MIN_GAP_MS)
		at = r->last_sweep_ms + SWEEP_MIN_GAP_MS;
	r->next_due_ms = due_ms;
	sb_timer_arm(r->loop, &r->sweep, at > now_ms ? at - now_ms : 0);
}

static void sweep_run(struct sb_timer *t, void *arg)
{
	struct sb_registrar *r = arg;
	uint64_t now = sb_mono_ms(), next = 0;

	(void)t;
	r->last_sweep_ms = now;
	for (unsigned a = 0; a < r->n; a++) {
		struct sb_reg_binding *b = bindings_of(r, a);
		bool had = false, left = false;

		for (unsigned i = 0; i < r->cfg->registrar.max_contacts; i++) {
			if (b[i].expires_ms == 0)
				continue;
			if (!binding_live(&b[i], now)) {
				sb_info("register: agent %s binding %s expired", r->cfg->agents[a].user,
					b[i].uri);
				binding_clear(r, &b[i]);
				r->expired++;
				had = true;
				continue;
			}
			left = true;
			if (next == 0 || b[i].expires_ms < next)
				next = b[i].expires_ms;
		}
		if (had && !left)
			r->e[a].bound = false;
	}
	r->next_due_ms = 0;
	sweep_arm(r, next, now);
}

/* ---- credentials ---- */

static const struct sb_auth_user *lookup_user(void *arg, struct sb_str username, int *idx)
{
	struct sb_registrar *r = arg;
	int i = sb_config_agent_find(r->cfg, username.p, username.len);

	*idx = i;
	if (i < 0)
		return NULL;
	for (unsigned k = 0; k < SB_AUTH_ALG_N; k++)
		if (r->users[i].ha1[k][0])
			return &r->users[i];
	return NULL; /* no credentials configured: nobody can be this agent */
}

void sb_registrar_agent_set(struct sb_registrar *r, unsigned i)
{
	const struct sb_cfg_agent *a = &r->cfg->agents[i];
	const char *realm = r->cfg->auth.realm;

	if (i >= r->n)
		return;
	memset(&r->users[i], 0, sizeof(r->users[i]));
	if (a->deleted)
		return; /* no credentials: nobody can register as it */
	if (a->password[0]) {
		sb_auth_ha1(SB_AUTH_MD5, a->user, realm, a->password, r->users[i].ha1[SB_AUTH_MD5]);
		sb_auth_ha1(SB_AUTH_SHA256, a->user, realm, a->password,
			    r->users[i].ha1[SB_AUTH_SHA256]);
	}
	if (a->ha1_md5[0])
		memcpy(r->users[i].ha1[SB_AUTH_MD5], a->ha1_md5, sizeof(a->ha1_md5));
	if (a->ha1_sha256[0])
		memcpy(r->users[i].ha1[SB_AUTH_SHA256], a->ha1_sha256, sizeof(a->ha1_sha256));
	if (!a->password[0] && !a->ha1_md5[0] && !a->ha1_sha256[0])
		sb_warn("agent %s has no password or ha1: it cannot register", a->user);
}

void sb_registrar_agent_drop(struct sb_registrar *r, unsigned i)
{
	struct sb_reg_binding *b;

	if (i >= r->n)
		return;
	b = bindings_of(r, i);
	for (unsigned k = 0; k < r->cfg->registrar.max_contacts; k++)
		if (b[k].expires_ms)
			binding_clear(r, &b[k]);
	r->e[i].bound = false;
}

int sb_registrar_init(struct sb_registrar *r, const struct sb_config *cfg, struct sb_loop *loop)
{
	/* every slot the config reserves (cap_agents): agents the API adds
	 * later get an entry without anything moving (api/objects.c) */
	unsigned n = cfg->cap_agents > cfg->n_agents ? cfg->cap_agents : cfg->n_agents;
	unsigned mc = cfg->registrar.max_contacts;

	memset(r, 0, sizeof(*r));
	r->n = n;
	r->cfg = cfg;
	r->loop = loop;
	r->e = calloc(n ? n : 1, sizeof(*r->e));
	r->users = calloc(n ? n : 1, sizeof(*r->users));
	r->bindings = calloc((size_t)(n ? n : 1) * mc, sizeof(*r->bindings));
	r->bucket_mask = 15; /* 2^k - 1, at least two heads per binding */
	while (r->bucket_mask < 2u * n * mc)
		r->bucket_mask = r->bucket_mask * 2 + 1;
	r->bucket = malloc((r->bucket_mask + 1) * sizeof(uint32_t));
	if (r->e == NULL || r->users == NULL || r->bindings == NULL || r->bucket == NULL)
		goto out_free;
	memset(r->bucket, 0xff, (r->bucket_mask + 1) * sizeof(uint32_t));
	r->auth = sb_auth_create(&cfg->auth, NULL, 0, sb_mono_ms());
	if (r->auth == NULL)
		goto out_free;
	for (unsigned i = 0; i < n; i++) {
		r->e[i].busy_call = SB_CALL_NONE;
		r->e[i].b = &r->bindings[(size_t)i * mc];
	}
	for (unsigned i = 0; i < cfg->n_agents; i++)
		sb_registrar_agent_set(r, i);
	if (loop)
		sb_timer_init(&r->sweep, sweep_run, r);
	return 0;

out_free:
	free(r->bucket);
	free(r->bindings);
	free(r->users);
	free(r->e);
	memset(r, 0, sizeof(*r));
	return -ENOMEM;
}

void sb_registrar_fini(struct sb_registrar *r)
{
	if (r->auth) {
		const struct sb_auth_stats *st = sb_auth_stats(r->auth);

		sb_info("auth: %llu challenges, %llu ok, %llu retransmissions, %llu stale, "
			"%llu replays, %llu foreign nonces, %llu refused, %llu malformed; "
			"%llu bindings expired",
			(unsigned long long)st->challenges, (unsigned long long)st->ok,
			(unsigned long long)st->retransmits, (unsigned long long)st->stale,
			(unsigned long long)st->replays, (unsigned long long)st->bad_nonce,
			(unsigned long long)st->forbidden, (unsigned long long)st->malformed,
			(unsigned long long)r->expired);
	}
	if (r->loop)
		sb_timer_cancel(r->loop, &r->sweep);
	/* the keep-alive transactions went with the transaction layer */
	if (r->loop && r->ka_cp)
		sb_timer_cancel(r->loop, &r->ka);
	sb_auth_free(r->auth);
	if (r->users)
		memset(r->users, 0, (r->n ? r->n : 1) * sizeof(*r->users)); /* HA1s */
	free(r->users);
	free(r->bucket);
	free(r->bindings);
	free(r->e);
	memset(r, 0, sizeof(*r));
}

/* ---- answers ---- */

/* The built text as a C string for sb_cp_reply's extra headers: NULL when
 * empty or when it did not fit (sb_buf does not terminate). */
static const char *buf_cstr(struct sb_buf *b)
{
	if (b->len == 0)
		return NULL;
	sb_buf_put(b, "", 1);
	return sb_buf_ok(b) ? b->p : NULL;
}

static void reply_challenge(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
			    const struct sb_sip_addr *src, bool stale)
{
	char mem[1024];
	struct sb_buf b;

	sb_buf_init(&b, mem, sizeof(mem));
	sb_auth_challenge(cp->reg.auth, &b, src, sb_mono_ms(), stale);
	if (buf_cstr(&b) == NULL) {
		sb_cp_reply(cp, m, sock, src, 500, NULL, NULL);
		return;
	}
	sb_cp_reply(cp, m, sock, src, 401, NULL, mem);
}

/* Digest for m; true with *agent when it may go on, else answered. */
static bool authenticate(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
			 const struct sb_sip_addr *src, int *agent)
{
	const char *why;
	char a[32];
	enum sb_auth_verdict v = sb_auth_check(cp->reg.auth, m, src, sb_mono_ms(), lookup_user,
					       &cp->reg, agent, &why);

	if (v == SB_AUTH_OK)
		return true;
	sb_sip_addr_fmt(src, a, sizeof(a));
	switch (v) {
	case SB_AUTH_CHALLENGE:
		sb_dbg("auth: %s from %s: challenge (%s)", sb_sip_method_name(m->method), a, why);
		reply_challenge(cp, m, sock, src, false);
		break;
	case SB_AUTH_STALE:
		sb_info("auth: %s from %s: %s, stale=true", sb_sip_method_name(m->method), a, why);
		reply_challenge(cp, m, sock, src, true);
		break;
	case SB_AUTH_REPLAY:
		sb_info("auth: %s from %s: %s", sb_sip_method_name(m->method), a, why);
		reply_challenge(cp, m, sock, src, false);
		break;
	case SB_AUTH_FORBIDDEN:
		/* the log says which; the answer is the same for both (no user
		 * enumeration) */
		sb_info("auth: %s from %s refused: %s", sb_sip_method_name(m->method), a, why);
		sb_cp_reply(cp, m, sock, src, 403, NULL, NULL);
		break;
	case SB_AUTH_BAD:
	default:
		sb_info("auth: %s from %s: %s", sb_sip_method_name(m->method), a, why);
		sb_cp_reply(cp, m, sock, src, 400, why, NULL);
		break;
	}
	return false;
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

static bool uri_is_clean(struct sb_str s)
{
	struct sb_sip_uri u;

	for (uint32_t i = 0; i < s.len; i++)
		if ((unsigned char)s.p[i] <= 0x20 || s.p[i] == 0x7f || s.p[i] == '<' || s.p[i] == '>')
			return false;
	return sb_sip_uri_parse(s, &u, NULL) == 0;
}

static uint64_t hash64(struct sb_str s)
{
	uint64_t h = 14695981039346656037ull;

	for (uint32_t i = 0; i < s.len; i++)
		h = (h ^ (uint8_t)s.p[i]) * 1099511628211ull;
	return h;
}

struct req_contact {
	struct sb_str uri;
	uint32_t expires;
	struct sb_reg_binding *match;  /* existing binding with this URI */
};

/* 200 listing every live binding of agent idx. */
static void reply_bindings(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
			   const struct sb_sip_addr *src, unsigned idx, uint64_t now)
{
	char mem[SB_REG_URI_MAX * SB_CFG_MAX_CONTACTS + 32 * SB_CFG_MAX_CONTACTS];
	struct sb_reg_binding *b = bindings_of(&cp->reg, idx);
	struct sb_buf out;

	sb_buf_init(&out, mem, sizeof(mem));
	for (unsigned i = 0; i < cp->cfg->registrar.max_contacts; i++)
		if (binding_live(&b[i], now))
			sb_buf_printf(&out, "Contact: <%s>;expires=%u\r\n", b[i].uri,
				      (unsigned)((b[i].expires_ms - now + 999) / 1000));
	sb_cp_reply(cp, m, sock, src, 200, NULL, buf_cstr(&out));
}

void sb_registrar_on_register(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
			      const struct sb_sip_addr *src)
{
	const struct sb_cfg_registrar *rc = &cp->cfg->registrar;
	struct sb_registrar *r = &cp->reg;
	struct req_contact ct[REG_MAX_REQ_CONTACTS];
	unsigned nct = 0, free_slots = 0, adds = 0;
	struct sb_str user;
	uint32_t hdr_expires = 0;
	bool has_hdr_expires = m->first[SB_HDR_EXPIRES] >= 0, star = false;
	uint64_t now, cid;
	struct sb_reg_binding *b;
	char who[32], extra[64];
	int idx = -1;

	if (!authenticate(cp, m, sock, src, &idx))
		return;
	if (uri_user_of(sb_sip_msg_hdr(m, SB_HDR_TO), &user) < 0) {
		sb_cp_reply(cp, m, sock, src, 400, "Bad To header", NULL);
		return;
	}
	/* RFC 3261 §10.3 step 4: an agent registers only its own AOR */
	if (!sb_str_eq(user, cp->cfg->agents[idx].user)) {
		sb_info("register: agent %s may not register '" SB_STR_FMT "'",
			cp->cfg->agents[idx].user, SB_STR_ARG(user));
		sb_cp_reply(cp, m, sock, src, 403, NULL, NULL);
		return;
	}
	if (has_hdr_expires &&
	    !sb_str_to_u32(sb_sip_msg_hdr(m, SB_HDR_EXPIRES), 0xffffffffu, &hdr_expires)) {
		sb_cp_reply(cp, m, sock, src, 400, "Bad Expires header", NULL);
		return;
	}

	/* every Contact header, every comma-separated entry of each */
	for (unsigned h = 0; h < m->n_hdrs; h++) {
		struct sb_str rest;

		if (m->hdrs[h].id != SB_HDR_CONTACT)
			continue;
		rest = m->hdrs[h].value;
		while (rest.len) {
			struct sb_sip_nameaddr na;
			struct sb_str v;
			uint32_t exp;

			if (sb_sip_nameaddr_parse(rest, &na, &rest) < 0) {
				sb_cp_reply(cp, m, sock, src, 400, "Bad Contact header", NULL);
				return;
			}
			if (na.star) {
				star = true;
				continue;
			}
			if (nct == REG_MAX_REQ_CONTACTS) {
				sb_cp_reply(cp, m, sock, src, 400, "Too many Contacts", NULL);
				return;
			}
			exp = has_hdr_expires ? hdr_expires : rc->default_expires_s;
			if (sb_sip_param_get(na.params, "expires", &v) &&
			    !sb_str_to_u32(v, 0xffffffffu, &exp)) {
				sb_cp_reply(cp, m, sock, src, 400, "Bad Contact expires parameter", NULL);
				return;
			}
			if (na.uri.len >= SB_REG_URI_MAX) {
				sb_cp_reply(cp, m, sock, src, 400, "Contact URI too long", NULL);
				return;
			}
			/* it is echoed in our 200 and becomes a Request-URI: a real
			 * SIP URI, no white space or controls (folded lines) */
			if (!uri_is_clean(na.uri)) {
				sb_cp_reply(cp, m, sock, src, 400, "Bad Contact URI", NULL);
				return;
			}
			if (exp != 0 && exp < rc->min_expires_s) {
				snprintf(extra, sizeof(extra), "Min-Expires: %u\r\n", rc->min_expires_s);
				sb_cp_reply(cp, m, sock, src, 423, NULL, extra);
				return;
			}
			ct[nct++] = (struct req_contact){ na.uri, exp > rc->max_expires_s ?
								  rc->max_expires_s : exp, NULL };
		}
	}

	now = sb_mono_ms();
	b = bindings_of(r, (unsigned)idx);
	cid = hash64(m->call_id);
	/* Contact: * with Expires: 0 and nothing else removes every binding */
	if (star) {
		if (nct || !has_hdr_expires || hdr_expires != 0) {
			sb_cp_reply(cp, m, sock, src, 400, "Contact * needs Expires: 0 and no other Contact",
				    NULL);
			return;
		}
		for (unsigned i = 0; i < rc->max_contacts; i++)
			binding_clear(r, &b[i]);
		r->e[idx].bound = false;
		sb_info("register: agent %s: all bindings removed", cp->cfg->agents[idx].user);
		sb_cp_reply(cp, m, sock, src, 200, NULL, NULL);
		return;
	}

	/* check the whole request before changing anything (step 7) */
	for (unsigned i = 0; i < rc->max_contacts; i++)
		free_slots += !binding_live(&b[i], now);
	for (unsigned k = 0; k < nct; k++) {
		for (unsigned i = 0; i < rc->max_contacts; i++)
			if (binding_live(&b[i], now) && sb_str_eq(ct[k].uri, b[i].uri))
				ct[k].match = &b[i];
		if (ct[k].match && ct[k].match->call_id_hash == cid && m->cseq < ct[k].match->cseq) {
			sb_cp_reply(cp, m, sock, src, 500, "Out of order CSeq", NULL);
			return;
		}
		for (unsigned j = 0; j < k; j++)
			if (sb_str_eq_str(ct[j].uri, ct[k].uri)) {
				sb_cp_reply(cp, m, sock, src, 400, "Contact listed twice", NULL);
				return;
			}
		adds += ct[k].match == NULL && ct[k].expires != 0;
	}
	if (adds > free_slots) {
		sb_info("register: agent %s already has %u contacts", cp->cfg->agents[idx].user,
			rc->max_contacts - free_slots);
		sb_cp_reply(cp, m, sock, src, 403, "Too many contacts", NULL);
		return;
	}

	for (unsigned k = 0; k < nct; k++) {
		struct sb_reg_binding *x = ct[k].match;
		struct sb_sip_uri u;

		if (ct[k].expires == 0) {
			if (x) {
				sb_info("register: agent %s: binding %s removed",
					cp->cfg->agents[idx].user, x->uri);
				binding_clear(r, x);
			}
			continue;
		}
		if (x == NULL) {
			for (unsigned i = 0; i < rc->max_contacts && x == NULL; i++)
				if (!binding_live(&b[i], now))
					x = &b[i];
			binding_clear(r, x); /* may be expired but not swept yet */
		}
		index_unlink(r, x); /* its source may change */
		/* an IPv4 Contact host is where requests go; otherwise (host
		 * names, IPv6 for now) the address the REGISTER came from */
		sb_str_copy(x->uri, sizeof(x->uri), ct[k].uri);
		if (sb_sip_uri_parse(ct[k].uri, &u, NULL) == 0 && u.host_is_ipv4) {
			x->addr.ip = u.ipv4;
			x->addr.port = u.port ? u.port : 5060;
		} else {
			x->addr = *src;
		}
		x->src = *src;
		x->sock = sock;
		x->call_id_hash = cid;
		x->cseq = m->cseq;
		x->updated_ms = now;
		x->ka_fail = 0; /* it just spoke to us */
		x->expires_ms = now + (uint64_t)ct[k].expires * 1000u;
		index_link(r, x);
		sb_sip_addr_fmt(&x->addr, who, sizeof(who));
		sb_info("register: agent %s at %s (%s) for %u s", cp->cfg->agents[idx].user, x->uri,
			who, ct[k].expires);
		sweep_arm(r, x->expires_ms, now);
	}
	r->e[idx].bound = sb_registrar_count(r, (unsigned)idx, now) > 0;
	if (r->loop && cp->cfg->options_interval_s && r->ka_cp == NULL) {
		r->ka_cp = cp;
		sb_timer_init(&r->ka, ka_run, cp);
		sb_timer_arm(r->loop, &r->ka, (uint64_t)cp->cfg->options_interval_s * 1000u);
	}
	/* no Contact at all: a query, answered with the current bindings */
	reply_bindings(cp, m, sock, src, (unsigned)idx, now);
	sb_cpq_sync_agent(cp, (unsigned)idx); /* queues: registered = logged in (b2bua/queue.h) */
}

bool sb_registrar_authorize(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
			    const struct sb_sip_addr *src)
{
	struct sb_registrar *r = &cp->reg;
	uint64_t now = sb_mono_ms();
	int owner, idx = -1;

	if (m->method != SB_SIP_INVITE || sb_sip_tag(sb_sip_msg_hdr(m, SB_HDR_TO)).len)
		return true; /* in-dialog: authorised by matching its dialog */
	owner = index_find(r, src, now);
	if (owner < 0)
		return true;
	if (!authenticate(cp, m, sock, src, &idx))
		return false;
	if (idx != owner) {
		sb_info("auth: INVITE from agent %s's address signed by %s",
			cp->cfg->agents[owner].user, cp->cfg->agents[idx].user);
		sb_cp_reply(cp, m, sock, src, 403, NULL, NULL);
		return false;
	}
	return true;
}

int sb_registrar_pick(struct sb_cp *cp, const struct sb_cfg_hotline *h)
{
	struct sb_registrar *r = &cp->reg;
	uint64_t now = sb_mono_ms();

	for (unsigned i = 0; i < h->n_agents; i++) {
		struct sb_reg_entry *e = &r->e[h->agents[i]];
		const struct sb_reg_binding *b = e->b, *best = NULL;

		if (e->busy_call != SB_CALL_NONE)
			continue;
		for (unsigned k = 0; k < cp->cfg->registrar.max_contacts; k++)
			if (binding_live(&b[k], now) && (best == NULL || b[k].updated_ms > best->updated_ms))
				best = &b[k];
		e->bound = best != NULL;
		if (best == NULL)
			continue;
		/* no forking yet: the most recent live contact takes the call */
		e->addr = best->addr;
		e->sock = best->sock;
		snprintf(e->contact, sizeof(e->contact), "%s", best->uri);
		return h->agents[i];
	}
	return -1;
}

int sb_registrar_agent_at(const struct sb_registrar *r, const struct sb_sip_addr *src)
{
	return r->bucket ? index_find(r, src, sb_mono_ms()) : -1;
}
