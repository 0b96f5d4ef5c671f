/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>
#include <stdarg.h>

#include "str.h"

#include "config.h"
#include "sb/dp_abi.h" /* recording formats: enum sb_dp_rec_fmt = sb_media_rec_fmt */
#include "config_ivr.h"

struct cfg_ctx {
	yaml_document_t doc;
	const char *path;
	char *err;
	size_t err_len;
	struct sb_config *c;
	/* one object parsed for the API (sb_config_object_parse): errors name
	 * the key's path in the body instead of FILE:LINE */
	char *field;
	size_t field_len;
	int body_root;           /* node id of the body's mapping */
};

__attribute__((format(printf, 3, 4)))
static int cfg_err(struct cfg_ctx *x, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x->field) {
		x->field[0] = '\0';
		if (n && !sb_cfg_node_path(&x->doc, x->body_root, n, x->field, x->field_len, 0))
			x->field[0] = '\0';
		snprintf(x->err, x->err_len, "%s", msg);
		return -EINVAL;
	}
	snprintf(x->err, x->err_len, "%s:%lu: %s", x->path,
		 n ? (unsigned long)n->start_mark.line + 1 : 1ul, msg);
	return -EINVAL;
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static yaml_node_t *node(struct cfg_ctx *x, int id)
{
	return yaml_document_get_node(&x->doc, id);
}

static int get_string(struct cfg_ctx *x, const yaml_node_t *key, const yaml_node_t *v,
		      char *dst, size_t cap)
{
	if (v->type != YAML_SCALAR_NODE)
		return cfg_err(x, v, "'%s' must be a string", scalar(key));
	if (v->data.scalar.length == 0)
		return cfg_err(x, v, "'%s' must not be empty", scalar(key));
	if (v->data.scalar.length >= cap)
		return cfg_err(x, v, "'%s' is too long (max %zu)", scalar(key), cap - 1);
	memcpy(dst, scalar(v), v->data.scalar.length + 1);
	return 0;
}

static int parse_hostport(const char *s, struct sb_sip_addr *a)
{
	const char *colon = strrchr(s, ':');
	uint32_t port;

	if (colon == NULL)
		return -1;
	if (!sb_str_to_ipv4(sb_str_mk(s, colon), &a->ip))
		return -1;
	if (!sb_str_to_u32(sb_str_mk(colon + 1, s + strlen(s)), 65535, &port))
		return -1;
	a->port = (uint16_t)port;
	return 0;
}

/* Index of name in keys[] (it is there: the caller's own table). */
static int key_at(const char *const *keys, unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(keys[i], name) == 0)
			return (int)i;
	return -1;
}

/* Walk a mapping: every key must be one of keys[]; seen[i] set; values[i] filled. */
static int map_keys(struct cfg_ctx *x, const yaml_node_t *map, const char *what,
		    const char *const *keys, unsigned nkeys, yaml_node_t **values,
		    yaml_node_t **key_nodes)
{
	if (map->type != YAML_MAPPING_NODE)
		return cfg_err(x, map, "%s must be a mapping", what);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(x, p->key), *v = node(x, p->value);
		unsigned i;

		if (k->type != YAML_SCALAR_NODE)
			return cfg_err(x, k, "keys in %s must be strings", what);
		for (i = 0; i < nkeys; i++)
			if (strcmp(scalar(k), keys[i]) == 0)
				break;
		if (i == nkeys)
			return cfg_err(x, k, "unknown key '%s' in %s", scalar(k), what);
		if (values[i])
			return cfg_err(x, k, "duplicate key '%s' in %s", scalar(k), what);
		values[i] = v;
		key_nodes[i] = k;
	}
	return 0;
}

/* sip: numeric keys after listen and ring_timeout: name, bounds, where */
static int sip_u32(struct cfg_ctx *x, const yaml_node_t *v, const char *name, uint32_t lo,
		   uint32_t hi, uint32_t *out)
{
	uint32_t t;

	if (v == NULL)
		return 0;
	if (v->type != YAML_SCALAR_NODE ||
	    !sb_str_to_u32(sb_str_mk(scalar(v), scalar(v) + v->data.scalar.length), hi, &t) ||
	    t < lo)
		return cfg_err(x, v, "'%s' must be %u..%u", name, lo, hi);
	*out = t;
	return 0;
}

/* sip: overload: (b2bua/overload.h) */
static int parse_overload(struct cfg_ctx *x, yaml_node_t *m)
{
	static const char *const keys[] = { "max_cps", "max_calls", "retry_after", "source_rps",
					    "ban_seconds", "scanners" };
	struct sb_cfg_overload *o = &x->c->overload;
	yaml_node_t *v[6] = { 0 }, *k[6] = { 0 };
	int rc = map_keys(x, m, "'overload'", keys, 6, v, k);

	if (rc)
		return rc;
	if ((rc = sip_u32(x, v[0], "max_cps", 0, 1000000, &o->max_cps)) ||
	    (rc = sip_u32(x, v[1], "max_calls", 0, 10000000, &o->max_calls)) ||
	    (rc = sip_u32(x, v[2], "retry_after", 1, 3600, &o->retry_after_s)) ||
	    (rc = sip_u32(x, v[3], "source_rps", 0, 1000000, &o->source_rps)) ||
	    (rc = sip_u32(x, v[4], "ban_seconds", 1, 86400, &o->ban_s)))
		return rc;
	if (v[5] == NULL)
		return 0;
	if (v[5]->type != YAML_SEQUENCE_NODE)
		return cfg_err(x, v[5], "'scanners' must be a list of User-Agent substrings");
	o->n_scanners = 0;
	for (yaml_node_item_t *it = v[5]->data.sequence.items.start;
	     it < v[5]->data.sequence.items.top; it++) {
		yaml_node_t *e = node(x, *it);

		if (o->n_scanners == SB_CFG_MAX_SCANNERS)
			return cfg_err(x, e, "'scanners' has more than %u entries",
				       SB_CFG_MAX_SCANNERS);
		if ((rc = get_string(x, k[5], e, o->scanners[o->n_scanners],
				     sizeof(o->scanners[0]))))
			return rc;
		o->n_scanners++;
	}
	return 0;
}

static int parse_sip(struct cfg_ctx *x, yaml_node_t *m)
{
	static const char *const keys[] = { "listen", "ring_timeout", "t1_ms", "t2_ms", "t4_ms",
					    "tcp", "tcp_max_connections", "tcp_idle_timeout",
					    "session_expires", "min_se", "options_interval",
					    "options_failures", "overload" };
	yaml_node_t *v[13] = { 0 }, *k[13] = { 0 };
	int rc = map_keys(x, m, "'sip'", keys, 13, v, k);

	if (rc)
		return rc;
	if (v[0] == NULL)
		return cfg_err(x, m, "'sip' needs a 'listen' list");
	if (v[0]->type != YAML_SEQUENCE_NODE)
		return cfg_err(x, v[0], "'listen' must be a list of ADDRESS:PORT");
	for (yaml_node_item_t *it = v[0]->data.sequence.items.start;
	     it < v[0]->data.sequence.items.top; it++) {
		yaml_node_t *e = node(x, *it);

		if (x->c->n_listen == SB_SIP_MAX_SOCKS)
			return cfg_err(x, e, "'listen' has more than %u entries", SB_SIP_MAX_SOCKS);
		if (e->type != YAML_SCALAR_NODE || parse_hostport(scalar(e), &x->c->listen[x->c->n_listen]) < 0)
			return cfg_err(x, e, "'listen' entry must be IPV4:PORT");
		for (unsigned j = 0; j < x->c->n_listen; j++)
			if (x->c->listen[j].ip == x->c->listen[x->c->n_listen].ip &&
			    x->c->listen[j].port == x->c->listen[x->c->n_listen].port)
				return cfg_err(x, e, "'listen' entry '%s' is listed twice", scalar(e));
		x->c->n_listen++;
	}
	if (x->c->n_listen == 0)
		return cfg_err(x, v[0], "'listen' must not be empty");
	if (v[1]) {
		uint32_t t;
		if (v[1]->type != YAML_SCALAR_NODE ||
		    !sb_str_to_u32(sb_str_mk(scalar(v[1]), scalar(v[1]) + v[1]->data.scalar.length), 3600, &t) ||
		    t == 0)
			return cfg_err(x, v[1], "'ring_timeout' must be 1..3600 seconds");
		x->c->ring_timeout_s = t;
	}
	if ((rc = sip_u32(x, v[2], "t1_ms", 10, 10000, &x->c->t1_ms)) ||
	    (rc = sip_u32(x, v[3], "t2_ms", 100, 60000, &x->c->t2_ms)) ||
	    (rc = sip_u32(x, v[4], "t4_ms", 100, 60000, &x->c->t4_ms)) ||
	    (rc = sip_u32(x, v[6], "tcp_max_connections", 1, 16384, &x->c->tcp_max_conns)) ||
	    (rc = sip_u32(x, v[7], "tcp_idle_timeout", 1, 86400, &x->c->tcp_idle_s)) ||
	    (rc = sip_u32(x, v[8], "session_expires", 0, 86400, &x->c->session_expires_s)) ||
	    (rc = sip_u32(x, v[9], "min_se", 1, 86400, &x->c->min_se_s)) ||
	    (rc = sip_u32(x, v[10], "options_interval", 0, 86400, &x->c->options_interval_s)) ||
	    (rc = sip_u32(x, v[11], "options_failures", 1, 100, &x->c->options_failures)))
		return rc;
	if (x->c->session_expires_s && x->c->session_expires_s < x->c->min_se_s)
		return cfg_err(x, v[8] ? v[8] : v[9], "'session_expires' is below 'min_se'");
	if (x->c->t2_ms < x->c->t1_ms)
		return cfg_err(x, v[3] ? v[3] : v[2], "'t2_ms' must not be below 't1_ms'");
	if (v[5]) {
		if (v[5]->type == YAML_SCALAR_NODE && strcmp(scalar(v[5]), "true") == 0)
			x->c->tcp = true;
		else if (v[5]->type == YAML_SCALAR_NODE && strcmp(scalar(v[5]), "false") == 0)
			x->c->tcp = false;
		else
			return cfg_err(x, v[5], "'tcp' must be true or false");
	}
	if (v[12])
		return parse_overload(x, v[12]);
	return 0;
}

static int parse_store(struct cfg_ctx *x, yaml_node_t *m)
{
	static const char *const keys[] = { "sqlite" };
	yaml_node_t *v[1] = { 0 }, *k[1] = { 0 };
	int rc = map_keys(x, m, "'store'", keys, 1, v, k);

	if (rc)
		return rc;
	if (v[0] == NULL)
		return cfg_err(x, m, "'store' needs 'sqlite: PATH'");
	return get_string(x, k[0], v[0], x->c->sqlite, sizeof(x->c->sqlite));
}

/* A precomputed HA1: exactly digits hex digits, stored lower case. */
static int get_ha1(struct cfg_ctx *x, const yaml_node_t *key, const yaml_node_t *v, char *dst,
		   unsigned digits)
{
	const char *s;

	if (v->type != YAML_SCALAR_NODE || v->data.scalar.length != digits)
		return cfg_err(x, v, "'%s' must be %u hex digits", scalar(key), digits);
	s = scalar(v);
	for (unsigned i = 0; i < digits; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c | 0x20);
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return cfg_err(x, v, "'%s' must be %u hex digits", scalar(key), digits);
		dst[i] = c;
	}
	dst[digits] = '\0';
	return 0;
}

static int get_u32(struct cfg_ctx *x, const yaml_node_t *key, const yaml_node_t *v,
		   uint32_t lo, uint32_t hi, uint32_t *out)
{
	uint32_t t;

	if (v->type != YAML_SCALAR_NODE ||
	    !sb_str_to_u32(sb_str_mk(scalar(v), scalar(v) + v->data.scalar.length), hi, &t) ||
	    t < lo)
		return cfg_err(x, v, "'%s' must be a number in %u..%u", scalar(key), lo, hi);
	*out = t;
	return 0;
}

/* Room for need objects of one list: the first list parsed allocates
 * its capacity (`limits:`, else need + extra: objects the API adds at run
 * time take the next slot, no index ever moves); later ones (the API's
 * one object) must fit.  0, or -EINVAL with the error set. */
static int reserve(struct cfg_ctx *x, const yaml_node_t *n, void **arr, unsigned *cap,
		   size_t need, unsigned extra, size_t size, const char *what)
{
	if (*arr == NULL) {
		if (*cap == 0)
			*cap = (unsigned)need + extra;
		if (need > *cap)
			return cfg_err(x, n, "more %s than 'limits: %s: %u'", what, what, *cap);
		*arr = calloc(*cap ? *cap : 1, size);
		if (*arr == NULL)
			return cfg_err(x, n, "out of memory");
		return 0;
	}
	if (need > *cap)
		return cfg_err(x, n, "no room for more %s (limits: %s: %u; deleted ones keep "
			       "their slot until a restart)", what, what, *cap);
	return 0;
}

/* The path of keys from node id down to target ("skills.billing",
 * "steps.1.after", "options.1"); a key is named by itself.  false: not
 * below id.  Also config_ivr.c's (config_ivr.h). */
bool sb_cfg_node_path(yaml_document_t *doc, int id, const yaml_node_t *target, char *buf,
		      size_t cap, unsigned depth)
{
	yaml_node_t *cur = yaml_document_get_node(doc, id);
	size_t len = strlen(buf);

	if (cur == NULL || depth > 16)
		return false;
	if (cur == target)
		return true;
	if (cur->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = cur->data.mapping.pairs.start;
		     p < cur->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key);

			snprintf(buf + len, cap - len, "%s%s", len ? "." : "",
				 k && k->type == YAML_SCALAR_NODE ? scalar(k) : "?");
			if (k == target || sb_cfg_node_path(doc, p->value, target, buf, cap, depth + 1))
				return true;
			buf[len] = '\0';
		}
	} else if (cur->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = cur->data.sequence.items.start;
		     it < cur->data.sequence.items.top; it++) {
			snprintf(buf + len, cap - len, "%s%ld", len ? "." : "",
				 (long)(it - cur->data.sequence.items.start));
			if (sb_cfg_node_path(doc, *it, target, buf, cap, depth + 1))
				return true;
			buf[len] = '\0';
		}
	}
	return false;
}

static int get_bool(struct cfg_ctx *x, const yaml_node_t *key, const yaml_node_t *v, bool *out)
{
	if (v->type == YAML_SCALAR_NODE && strcmp(scalar(v), "true") == 0)
		*out = true;
	else if (v->type == YAML_SCALAR_NODE && strcmp(scalar(v), "false") == 0)
		*out = false;
	else
		return cfg_err(x, v, "'%s' must be true or false", scalar(key));
	return 0;
}

static int parse_auth(struct cfg_ctx *x, yaml_node_t *m)
{
	static const char *const keys[] = { "realm", "nonce_ttl", "algorithms", "md5_without_qop" };
	yaml_node_t *v[4] = { 0 }, *k[4] = { 0 };
	struct sb_auth_cfg *a = &x->c->auth;
	int rc = map_keys(x, m, "'auth'", keys, 4, v, k);

	if (rc)
		return rc;
	if (v[0]) {
		rc = get_string(x, k[0], v[0], a->realm, sizeof(a->realm));
		if (rc)
			return rc;
		for (const char *p = a->realm; *p; p++)
			if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
				return cfg_err(x, v[0], "'realm' must not hold quotes, backslashes "
						       "or control characters");
	}
	if (v[1] && (rc = get_u32(x, k[1], v[1], 1, SB_AUTH_MAX_TTL_S, &a->nonce_ttl_s)))
		return rc;
	if (v[2]) {
		if (v[2]->type != YAML_SEQUENCE_NODE)
			return cfg_err(x, v[2], "'algorithms' must be a list of SHA-256, MD5");
		a->n_algs = 0;
		for (yaml_node_item_t *it = v[2]->data.sequence.items.start;
		     it < v[2]->data.sequence.items.top; it++) {
			yaml_node_t *e = node(x, *it);
			int alg = e->type == YAML_SCALAR_NODE ?
				  sb_auth_alg_parse(sb_str_mk(scalar(e), scalar(e) + e->data.scalar.length)) : -1;

			if (alg < 0)
				return cfg_err(x, e, "unknown digest algorithm (use SHA-256 or MD5)");
			for (unsigned j = 0; j < a->n_algs; j++)
				if (a->algs[j] == alg)
					return cfg_err(x, e, "algorithm '%s' is listed twice", scalar(e));
			a->algs[a->n_algs++] = (uint8_t)alg;
		}
		if (a->n_algs == 0)
			return cfg_err(x, v[2], "'algorithms' must not be empty");
	}
	if (v[3] && (rc = get_bool(x, k[3], v[3], &a->md5_without_qop)))
		return rc;
	return 0;
}

static int parse_registrar(struct cfg_ctx *x, yaml_node_t *m)
{
	static const char *const keys[] = { "min_expires", "max_expires", "default_expires",
					    "max_contacts" };
	yaml_node_t *v[4] = { 0 }, *k[4] = { 0 };
	struct sb_cfg_registrar *r = &x->c->registrar;
	uint32_t mc = r->max_contacts;
	int rc = map_keys(x, m, "'registrar'", keys, 4, v, k);

	if (rc)
		return rc;
	if (v[0] && (rc = get_u32(x, k[0], v[0], 1, 86400, &r->min_expires_s)))
		return rc;
	if (v[1] && (rc = get_u32(x, k[1], v[1], 1, 86400, &r->max_expires_s)))
		return rc;
	if (v[2] && (rc = get_u32(x, k[2], v[2], 1, 86400, &r->default_expires_s)))
		return rc;
	if (v[3] && (rc = get_u32(x, k[3], v[3], 1, SB_CFG_MAX_CONTACTS, &mc)))
		return rc;
	r->max_contacts = mc;
	if (r->min_expires_s > r->max_expires_s)
		return cfg_err(x, v[0] ? v[0] : v[1], "'min_expires' is above 'max_expires'");
	if (v[2] == NULL) /* the default follows the bounds it was not given against */
		r->default_expires_s = r->default_expires_s < r->min_expires_s ? r->min_expires_s :
				       r->default_expires_s > r->max_expires_s ? r->max_expires_s :
				       r->default_expires_s;
	if (r->default_expires_s < r->min_expires_s || r->default_expires_s > r->max_expires_s)
		return cfg_err(x, v[2],
			       "'default_expires' must lie between 'min_expires' and 'max_expires'");
	return 0;
}

/* ---- skills (acd/acd.h): names become ids 0..SB_CFG_SKILLS-1 in the
 * order of the top-level `skills:` list, then of first use by an agent.
 * A queue may only require a skill that is declared or that some agent
 * has (a typo would otherwise make a queue no one can ever serve). ---- */

/* id of the skill named by scalar n; add: a new name gets the next id */
static int skill_id(struct cfg_ctx *x, const yaml_node_t *n, bool add, const char *who)
{
	struct sb_config *c = x->c;
	int id;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.length == 0 ||
	    n->data.scalar.length >= SB_CFG_NAME_MAX)
		return cfg_err(x, n, "%s: skill names must be strings of 1..%u characters", who,
			       SB_CFG_NAME_MAX - 1);
	id = sb_config_skill_find(c, scalar(n), n->data.scalar.length);
	if (id >= 0)
		return id;
	if (!add)
		return cfg_err(x, n, "%s: skill '%s' is neither declared in 'skills' nor held "
			       "by any agent", who, scalar(n));
	if (c->n_skills == SB_CFG_SKILLS)
		return cfg_err(x, n, "%s: more than %u skills in all", who, SB_CFG_SKILLS);
	memcpy(c->skills[c->n_skills], scalar(n), n->data.scalar.length + 1);
	return (int)c->n_skills++;
}

/* a skill level: 1..255 (0 would mean "lacks it") */
static int skill_level(struct cfg_ctx *x, const yaml_node_t *k, const yaml_node_t *v,
		       const char *who, uint8_t *out)
{
	uint32_t t;

	if (v->type != YAML_SCALAR_NODE ||
	    !sb_str_to_u32(sb_str_mk(scalar(v), scalar(v) + v->data.scalar.length), 255, &t) ||
	    t < 1)
		return cfg_err(x, v, "%s: level of skill '%s' must be a number in 1..255", who,
			       scalar(k));
	*out = (uint8_t)t;
	return 0;
}

/* skills: [name, ...] at the top level: ids in this order */
static int parse_skill_names(struct cfg_ctx *x, yaml_node_t *s)
{
	if (s->type != YAML_SEQUENCE_NODE)
		return cfg_err(x, s, "'skills' must be a list of skill names");
	for (yaml_node_item_t *it = s->data.sequence.items.start; it < s->data.sequence.items.top;
	     it++) {
		yaml_node_t *n = node(x, *it);

		if (n->type == YAML_SCALAR_NODE &&
		    sb_config_skill_find(x->c, scalar(n), n->data.scalar.length) >= 0)
			return cfg_err(x, n, "skill '%s' is declared twice", scalar(n));
		int rc = skill_id(x, n, true, "'skills'");

		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_agent_skills(struct cfg_ctx *x, yaml_node_t *m, struct sb_cfg_agent *a)
{
	char who[SB_CFG_NAME_MAX + 16];

	snprintf(who, sizeof(who), "agent '%s'", a->user);
	if (m->type != YAML_MAPPING_NODE)
		return cfg_err(x, m, "%s: 'skills' must be a mapping of skill: level", who);
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(x, p->key), *v = node(x, p->value);
		int id = skill_id(x, k, true, who), rc;

		if (id < 0)
			return id;
		if (a->skills[id])
			return cfg_err(x, k, "%s: skill '%s' is listed twice", who, scalar(k));
		if ((rc = skill_level(x, k, v, who, &a->skills[id])))
			return rc;
	}
	return 0;
}

/* a queue's skills: {name: min level} and steps: [{after: s, level: m |
 * drop: d | any: true}, ...] */
static int parse_queue_skills(struct cfg_ctx *x, yaml_node_t *m, yaml_node_t *st,
			      struct sb_cfg_queue *q)
{
	static const char *const skeys[] = { "after", "level", "drop", "any" };
	struct sb_cfg_skills *sk = &q->skills;
	char who[SB_CFG_NAME_MAX + 16];
	uint32_t prev = 0;
	unsigned maxl = 0;

	snprintf(who, sizeof(who), "queue '%s'", q->name);
	if (m) {
		if (m->type != YAML_MAPPING_NODE)
			return cfg_err(x, m, "%s: 'skills' must be a mapping of skill: minimum "
				       "level", who);
		for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
		     p < m->data.mapping.pairs.top; p++) {
			yaml_node_t *k = node(x, p->key), *v = node(x, p->value);
			int id = skill_id(x, k, false, who), rc;

			if (id < 0)
				return id;
			for (unsigned i = 0; i < sk->n_req; i++)
				if (sk->req[i].skill == id)
					return cfg_err(x, k, "%s: skill '%s' is listed twice", who,
						       scalar(k));
			if (sk->n_req == SB_CFG_SKILL_REQ)
				return cfg_err(x, k, "%s: 'skills' may require at most %u skills",
					       who, SB_CFG_SKILL_REQ);
			sk->req[sk->n_req].skill = (uint8_t)id;
			if ((rc = skill_level(x, k, v, who, &sk->req[sk->n_req].level)))
				return rc;
			if (sk->req[sk->n_req].level > maxl)
				maxl = sk->req[sk->n_req].level;
			sk->n_req++;
		}
	}
	if (st == NULL)
		return 0;
	if (sk->n_req == 0)
		return cfg_err(x, st, "%s: 'steps' need 'skills' to widen", who);
	if (st->type != YAML_SEQUENCE_NODE)
		return cfg_err(x, st, "%s: 'steps' must be a list of {after, level | drop | any}",
			       who);
	for (yaml_node_item_t *it = st->data.sequence.items.start; it < st->data.sequence.items.top;
	     it++) {
		yaml_node_t *e = node(x, *it), *v[4] = { 0 }, *k[4] = { 0 };
		uint32_t after, t;
		bool any = false;
		int rc = map_keys(x, e, "a step", skeys, 4, v, k);

		if (rc)
			return rc;
		if (v[0] == NULL)
			return cfg_err(x, e, "%s: a step needs 'after' (seconds)", who);
		if ((rc = get_u32(x, k[0], v[0], 1, 86400, &after)))
			return rc;
		if (after * 1000u <= prev || sk->any_after_ms)
			return cfg_err(x, v[0], "%s: step 'after' values must increase, and the "
				       "'any' step come last", who);
		prev = after * 1000u;
		if (!!v[1] + !!v[2] + !!v[3] != 1)
			return cfg_err(x, e, "%s: a step takes one of 'level', 'drop', 'any'", who);
		if (v[3]) {
			if ((rc = get_bool(x, k[3], v[3], &any)))
				return rc;
			if (!any)
				return cfg_err(x, v[3], "%s: 'any' can only be true", who);
			sk->any_after_ms = prev;
			continue;
		}
		if (sk->n_steps == SB_CFG_SKILL_STEPS)
			return cfg_err(x, e, "%s: at most %u 'level'/'drop' steps", who,
				       SB_CFG_SKILL_STEPS);
		if (v[1]) { /* accept level >= t: every minimum lowered to (at most) t */
			if ((rc = get_u32(x, k[1], v[1], 0, maxl - 1, &t)))
				return rc;
			t = maxl - t;
		} else if ((rc = get_u32(x, k[2], v[2], 1, 255, &t))) {
			return rc;
		}
		if (sk->n_steps && t <= sk->steps[sk->n_steps - 1].drop)
			return cfg_err(x, v[1] ? v[1] : v[2], "%s: each step must accept lower "
				       "levels than the one before", who);
		sk->steps[sk->n_steps].after_ms = prev;
		sk->steps[sk->n_steps].drop = (uint8_t)t;
		sk->n_steps++;
	}
	return 0;
}

static int parse_agents(struct cfg_ctx *x, yaml_node_t *s)
{
	static const char *const keys[] = { "user", "password", "ha1_md5", "ha1_sha256",
					    "tenant", "wrap_up", "max_noanswer", "noanswer_delay",
					    "reject_delay", "busy_delay", "supervisor", "srtp",
					    "skills" };
	enum { NK = sizeof(keys) / sizeof(keys[0]) };
	size_t n;

	if (s->type != YAML_SEQUENCE_NODE)
		return cfg_err(x, s, "'agents' must be a list");
	n = (size_t)(s->data.sequence.items.top - s->data.sequence.items.start);
	if (reserve(x, s, (void **)&x->c->agents, &x->c->cap_agents, x->c->n_agents + n, 256,
		    sizeof(*x->c->agents), "agents"))
		return -EINVAL;
	for (yaml_node_item_t *it = s->data.sequence.items.start; it < s->data.sequence.items.top; it++) {
		yaml_node_t *e = node(x, *it), *v[NK] = { 0 }, *k[NK] = { 0 };
		struct sb_cfg_agent *a = &x->c->agents[x->c->n_agents];
		uint32_t t;
		int rc = map_keys(x, e, "an agent", keys, NK, v, k);

		if (rc)
			return rc;
		if (v[0] == NULL)
			return cfg_err(x, e, "agent needs a 'user'");
		rc = get_string(x, k[0], v[0], a->user, sizeof(a->user));
		if (rc)
			return rc;
		if (v[1]) {
			rc = get_string(x, k[1], v[1], a->password, sizeof(a->password));
			if (rc)
				return rc;
			if (v[2] || v[3])
				return cfg_err(x, v[2] ? k[2] : k[3], "agent '%s': give either 'password' "
					       "or 'ha1_md5'/'ha1_sha256', not both", a->user);
		}
		if (v[2] && (rc = get_ha1(x, k[2], v[2], a->ha1_md5, 32)))
			return rc;
		if (v[3] && (rc = get_ha1(x, k[3], v[3], a->ha1_sha256, 64)))
			return rc;
		/* queue behaviour (b2bua/queue.c) */
		snprintf(a->tenant, sizeof(a->tenant), "default");
		a->wrapup_ms = SB_CFG_WRAPUP_QUEUE;
		a->noanswer_delay_ms = a->reject_delay_ms = a->busy_delay_ms = 5000;
		if (v[4] && (rc = get_string(x, k[4], v[4], a->tenant, sizeof(a->tenant))))
			return rc;
		if (v[5]) {
			if ((rc = get_u32(x, k[5], v[5], 0, 3600, &t)))
				return rc;
			a->wrapup_ms = t * 1000u;
		}
		if (v[6] && (rc = get_u32(x, k[6], v[6], 0, 1000, &a->max_noanswer)))
			return rc;
		for (unsigned d = 7; d < 10; d++) {
			uint32_t *dst = d == 7 ? &a->noanswer_delay_ms :
					d == 8 ? &a->reject_delay_ms : &a->busy_delay_ms;

			if (v[d] == NULL)
				continue;
			if ((rc = get_u32(x, k[d], v[d], 0, 3600, &t)))
				return rc;
			*dst = t * 1000u;
		}
		{ /* supervision (b2bua/supervise.c), SRTP toward this agent */
			int ks = key_at(keys, NK, "supervisor"), kt = key_at(keys, NK, "srtp");

			if (v[ks] && (rc = get_bool(x, k[ks], v[ks], &a->supervisor)))
				return rc;
			if (v[kt] && (rc = get_bool(x, k[kt], v[kt], &a->srtp)))
				return rc;
		}
		{ /* skills: {name: level 1..255, ...} (acd/acd.h) */
			int kk = key_at(keys, NK, "skills");

			if (v[kk] && (rc = parse_agent_skills(x, v[kk], a)))
				return rc;
		}
		if (sb_config_agent_find(x->c, a->user, strlen(a->user)) >= 0)
			return cfg_err(x, v[0], "agent '%s' is defined twice", a->user);
		x->c->n_agents++;
	}
	return 0;
}

/* queues: the distribution engine's (acd/acd.h; strategy values are its
 * enum sb_acd_strategy, in this order) */
static const char *const strategy_names[] = { "ring-all", "longest-idle", "round-robin",
					      "fewest-calls", "least-talk-time", "random",
					      "linear" };

/* a queue key naming a prompt: its index in *out (-1 when absent) */
static int queue_prompt(struct cfg_ctx *x, const struct sb_cfg_queue *q, const yaml_node_t *k,
			const yaml_node_t *v, int *out)
{
	*out = -1;
	if (v == NULL)
		return 0;
	if (v->type != YAML_SCALAR_NODE ||
	    (*out = sb_config_prompt_find(x->c, scalar(v), v->data.scalar.length)) < 0)
		return cfg_err(x, v, "queue '%s': '%s' names no prompt (see 'prompts')", q->name,
			       scalar(k));
	return 0;
}

/* announcements and comfort messages while waiting (b2bua/queue.c) */
static int parse_queue_announce(struct cfg_ctx *x, const char *const *keys, unsigned nk,
				yaml_node_t **v, yaml_node_t **k, struct sb_cfg_queue *q)
{
	int ke = key_at(keys, nk, "announce_every"), kp = key_at(keys, nk, "announce_position"),
	    kw = key_at(keys, nk, "announce_wait"), km = key_at(keys, nk, "announce_minutes"),
	    kc = key_at(keys, nk, "comfort"), kce = key_at(keys, nk, "comfort_every"),
	    ka = key_at(keys, nk, "aht");
	uint32_t t;
	int rc;

	if ((rc = queue_prompt(x, q, k[kp], v[kp], &q->ann_position)) ||
	    (rc = queue_prompt(x, q, k[kw], v[kw], &q->ann_wait)) ||
	    (rc = queue_prompt(x, q, k[km], v[km], &q->ann_minutes)) ||
	    (rc = queue_prompt(x, q, k[kc], v[kc], &q->comfort)))
		return rc;
	q->aht_ms = 180000;
	if (v[ka]) {
		if ((rc = get_u32(x, k[ka], v[ka], 1, 86400, &t)))
			return rc;
		q->aht_ms = t * 1000u;
	}
	if (v[ke]) {
		if ((rc = get_u32(x, k[ke], v[ke], 1, 86400, &t)))
			return rc;
		q->announce_every_ms = t * 1000u;
		if (q->ann_position < 0 && q->ann_wait < 0)
			return cfg_err(x, v[ke], "queue '%s': 'announce_every' needs "
				       "'announce_position' and/or 'announce_wait'", q->name);
		for (unsigned d = 0; d < 10; d++)
			if (x->c->num_prompt[d] < 0)
				return cfg_err(x, v[ke], "queue '%s': 'announce_every' needs the "
					       "prompts num-0 .. num-9 to say numbers (num-%u is "
					       "missing)", q->name, d);
	} else if (v[kp] || v[kw] || v[km]) {
		return cfg_err(x, v[kp] ? k[kp] : v[kw] ? k[kw] : k[km], "queue '%s': "
			       "announcement prompts need 'announce_every'", q->name);
	}
	if (v[kce]) {
		if ((rc = get_u32(x, k[kce], v[kce], 1, 86400, &t)))
			return rc;
		q->comfort_every_ms = t * 1000u;
		if (q->comfort < 0)
			return cfg_err(x, v[kce], "queue '%s': 'comfort_every' needs 'comfort'",
				       q->name);
	} else if (v[kc]) {
		return cfg_err(x, k[kc], "queue '%s': 'comfort' needs 'comfort_every'", q->name);
	}
	return 0;
}

/* dialling callbacks back (b2bua/callback.c); ring_ms is set already */
static int parse_queue_callback(struct cfg_ctx *x, const char *const *keys, unsigned nk,
				yaml_node_t **v, yaml_node_t **k, struct sb_cfg_queue *q)
{
	int km = key_at(keys, nk, "callback_mode"), kr = key_at(keys, nk, "callback_retries");
	int ka = key_at(keys, nk, "callback_retry_after");
	int kt = key_at(keys, nk, "callback_ring_timeout");
	uint32_t t;
	int rc;

	q->callback_retries = 2;
	q->callback_retry_ms = 60000;
	q->callback_ring_ms = q->ring_ms;
	if (v[km]) {
		if (v[km]->type == YAML_SCALAR_NODE && strcmp(scalar(v[km]), "agent-first") == 0)
			q->callback_customer_first = false;
		else if (v[km]->type == YAML_SCALAR_NODE &&
			 strcmp(scalar(v[km]), "customer-first") == 0)
			q->callback_customer_first = true;
		else
			return cfg_err(x, v[km], "queue '%s': 'callback_mode' must be agent-first "
				       "or customer-first", q->name);
	}
	if (v[kr] && (rc = get_u32(x, k[kr], v[kr], 0, 10, &q->callback_retries)))
		return rc;
	if (v[ka]) {
		if ((rc = get_u32(x, k[ka], v[ka], 1, 86400, &t)))
			return rc;
		q->callback_retry_ms = t * 1000u;
	}
	if (v[kt]) {
		if ((rc = get_u32(x, k[kt], v[kt], 1, 3600, &t)))
			return rc;
		q->callback_ring_ms = t * 1000u;
	}
	for (int i = 0; i < (int)nk; i++)
		if ((i == km || i == kr || i == ka || i == kt) && v[i] && !q->callback_digit)
			return cfg_err(x, k[i], "queue '%s': '%s' needs a 'callback_digit'",
				       q->name, keys[i]);
	return 0;
}

/* outbound: the trunk to outside numbers (config.h) */
static int parse_outbound(struct cfg_ctx *x, yaml_node_t *m)
{
	static const char *const keys[] = { "proxy", "from_user", "prefix" };
	yaml_node_t *v[3] = { 0 }, *k[3] = { 0 };
	struct sb_cfg_outbound *o = &x->c->outbound;
	int rc = map_keys(x, m, "'outbound'", keys, 3, v, k);

	if (rc)
		return rc;
	if (v[0] == NULL)
		return cfg_err(x, m, "'outbound' needs a 'proxy' (IPV4:PORT)");
	if (v[0]->type != YAML_SCALAR_NODE || parse_hostport(scalar(v[0]), &o->proxy) < 0 ||
	    o->proxy.port == 0)
		return cfg_err(x, v[0], "'proxy' must be IPV4:PORT");
	snprintf(o->from_user, sizeof(o->from_user), "%s", x->c->instance);
	if (v[1] && (rc = get_string(x, k[1], v[1], o->from_user, sizeof(o->from_user))))
		return rc;
	if (v[2]) {
		if (v[2]->type != YAML_SCALAR_NODE || v[2]->data.scalar.length >= sizeof(o->prefix))
			return cfg_err(x, v[2], "'prefix' must be a string of at most %zu "
				       "characters", sizeof(o->prefix) - 1);
		memcpy(o->prefix, scalar(v[2]), v[2]->data.scalar.length + 1);
	}
	/* the user part of a SIP URI: no characters that would need escaping */
	for (int i = 1; i < 3; i++) {
		const char *p = i == 1 ? o->from_user : o->prefix;

		for (; *p; p++)
			if (!strchr("0123456789abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ+-_.*#", *p))
				return cfg_err(x, v[i], "'%s' may only hold letters, digits and "
					       "+-_.*#", keys[i]);
	}
	o->on = true;
	return 0;
}

static int parse_queues(struct cfg_ctx *x, yaml_node_t *s)
{
	static const char *const keys[] = { "name", "strategy", "members", "ring_timeout",
					    "wrap_up", "max_len", "max_wait", "overflow",
					    "join_empty", "leave_empty", "tenant", "priority_header",
					    "service_level", "short_abandon", "moh", "record",
					    "skills", "steps", "announce_every", "announce_position",
					    "announce_wait", "announce_minutes", "comfort",
					    "comfort_every", "aht", "callback_digit",
					    "early_media", "callback_mode", "callback_retries",
					    "callback_retry_after", "callback_ring_timeout",
					    "transfer_priority" };
	enum { NK = sizeof(keys) / sizeof(keys[0]) };
	size_t n;
	unsigned first;

	if (s->type != YAML_SEQUENCE_NODE)
		return cfg_err(x, s, "'queues' must be a list");
	n = (size_t)(s->data.sequence.items.top - s->data.sequence.items.start);
	if (reserve(x, s, (void **)&x->c->queues, &x->c->cap_queues, x->c->n_queues + n, 64,
		    sizeof(*x->c->queues), "queues"))
		return -EINVAL;
	first = x->c->n_queues; /* 0, or after the queues there are (one for the API) */
	/* names first: overflow may name a queue defined further down */
	for (yaml_node_item_t *it = s->data.sequence.items.start; it < s->data.sequence.items.top; it++) {
		yaml_node_t *e = node(x, *it), *v[NK] = { 0 }, *k[NK] = { 0 };
		struct sb_cfg_queue *q = &x->c->queues[x->c->n_queues];
		int rc = map_keys(x, e, "a queue", keys, NK, v, k);

		if (rc)
			return rc;
		if (v[0] == NULL)
			return cfg_err(x, e, "queue needs a 'name'");
		rc = get_string(x, k[0], v[0], q->name, sizeof(q->name));
		if (rc)
			return rc;
		if (sb_config_queue_find(x->c, q->name, strlen(q->name)) >= 0)
			return cfg_err(x, v[0], "queue '%s' is defined twice", q->name);
		x->c->n_queues++;
	}
	for (unsigned qi = first; qi < x->c->n_queues; qi++) {
		yaml_node_t *e = node(x, s->data.sequence.items.start[qi - first]), *v[NK] = { 0 },
			    *k[NK] = { 0 };
		struct sb_cfg_queue *q = &x->c->queues[qi];
		uint32_t t;
		int rc = map_keys(x, e, "a queue", keys, NK, v, k);

		if (rc)
			return rc;
		q->strategy = 6; /* linear */
		q->ring_ms = x->c->ring_timeout_s * 1000u;
		q->overflow = -1;
		q->join_empty = true;
		{ /* record: every answered call of the queue (issue 7) */
			int kr = key_at(keys, NK, "record");

			if (v[kr] && (rc = get_bool(x, k[kr], v[kr], &q->record)))
				return rc;
		}
		{ /* early media: the caller is answered 183 while waiting (b2bua/early.c) */
			int ke = key_at(keys, NK, "early_media");

			if (v[ke] && (rc = get_bool(x, k[ke], v[ke], &q->early_media)))
				return rc;
		}
		{ /* a caller transferred into it by an agent (b2bua/xfer.c): at least this */
			int kt = key_at(keys, NK, "transfer_priority");

			if (v[kt] && (rc = get_u32(x, k[kt], v[kt], 0, 255, &t)))
				return rc;
			q->transfer_priority = v[kt] ? (uint8_t)t : 0;
		}
		if (v[1]) {
			unsigned i;

			for (i = 0; i < sizeof(strategy_names) / sizeof(strategy_names[0]); i++)
				if (v[1]->type == YAML_SCALAR_NODE &&
				    strcmp(scalar(v[1]), strategy_names[i]) == 0)
					break;
			if (i == sizeof(strategy_names) / sizeof(strategy_names[0]))
				return cfg_err(x, v[1], "queue '%s': 'strategy' must be one of "
					       "ring-all, longest-idle, round-robin, fewest-calls, "
					       "least-talk-time, random, linear", q->name);
			q->strategy = i;
		}
		if (v[2] == NULL)
			return cfg_err(x, e, "queue '%s' needs a 'members' list", q->name);
		if (v[2]->type != YAML_SEQUENCE_NODE)
			return cfg_err(x, v[2], "'members' of queue '%s' must be a list", q->name);
		for (yaml_node_item_t *ai = v[2]->data.sequence.items.start;
		     ai < v[2]->data.sequence.items.top; ai++) {
			yaml_node_t *an = node(x, *ai);
			int idx;

			if (an->type != YAML_SCALAR_NODE)
				return cfg_err(x, an, "'members' of queue '%s' must be agent names",
					       q->name);
			idx = sb_config_agent_find(x->c, scalar(an), an->data.scalar.length);
			if (idx < 0)
				return cfg_err(x, an, "queue '%s' names unknown agent '%s'",
					       q->name, scalar(an));
			for (unsigned j = 0; j < q->n_members; j++)
				if (q->members[j] == idx)
					return cfg_err(x, an, "queue '%s' lists agent '%s' twice",
						       q->name, scalar(an));
			if (q->n_members == SB_CFG_QUEUE_MEMBERS)
				return cfg_err(x, an, "queue '%s' has more than %u members",
					       q->name, SB_CFG_QUEUE_MEMBERS);
			q->members[q->n_members++] = (uint16_t)idx;
		}
		if (v[3]) {
			if ((rc = get_u32(x, k[3], v[3], 1, 3600, &t)))
				return rc;
			q->ring_ms = t * 1000u;
		}
		if (v[4]) {
			if ((rc = get_u32(x, k[4], v[4], 0, 3600, &t)))
				return rc;
			q->wrapup_ms = t * 1000u;
		}
		if (v[5] && (rc = get_u32(x, k[5], v[5], 0, 1000000, &q->max_len)))
			return rc;
		if (v[6]) {
			if ((rc = get_u32(x, k[6], v[6], 0, 86400, &t)))
				return rc;
			q->max_wait_ms = t * 1000u;
		}
		if (v[7]) {
			if (v[7]->type != YAML_SCALAR_NODE ||
			    (q->overflow = sb_config_queue_find(x->c, scalar(v[7]),
								v[7]->data.scalar.length)) < 0)
				return cfg_err(x, v[7], "queue '%s': 'overflow' names no queue",
					       q->name);
			if (q->overflow == (int)qi)
				return cfg_err(x, v[7], "queue '%s': 'overflow' is the queue itself",
					       q->name);
		}
		if (v[8] && (rc = get_bool(x, k[8], v[8], &q->join_empty)))
			return rc;
		if (v[9] && (rc = get_bool(x, k[9], v[9], &q->leave_empty)))
			return rc;
		snprintf(q->tenant, sizeof(q->tenant), "default");
		if (v[10] && (rc = get_string(x, k[10], v[10], q->tenant, sizeof(q->tenant))))
			return rc;
		if (v[11]) {
			if ((rc = get_string(x, k[11], v[11], q->priority_header,
					     sizeof(q->priority_header))))
				return rc;
			for (const char *p = q->priority_header; *p; p++)
				if (*p <= ' ' || *p == ':' || *p >= 127)
					return cfg_err(x, v[11], "queue '%s': 'priority_header' "
						       "must be a header name", q->name);
		}
		q->moh = -1;
		{ /* music on hold while waiting: a prompt's name */
			int km = key_at(keys, NK, "moh");

			if (v[km] && (v[km]->type != YAML_SCALAR_NODE ||
				      (q->moh = sb_config_prompt_find(x->c, scalar(v[km]),
					       v[km]->data.scalar.length)) < 0))
				return cfg_err(x, v[km], "queue '%s': 'moh' names no prompt (see "
					       "'prompts')", q->name);
		}
		q->sl_ms = 20000;
		q->short_abandon_ms = 5000;
		if (v[12]) {
			if ((rc = get_u32(x, k[12], v[12], 1, 3600, &t)))
				return rc;
			q->sl_ms = t * 1000u;
		}
		if (v[13]) {
			if ((rc = get_u32(x, k[13], v[13], 0, 3600, &t)))
				return rc;
			q->short_abandon_ms = t * 1000u;
		}
		{ /* skills-based routing (acd/acd.h) */
			int ks = key_at(keys, NK, "skills"), kt = key_at(keys, NK, "steps");

			if ((v[ks] || v[kt]) && (rc = parse_queue_skills(x, v[ks], v[kt], q)))
				return rc;
		}
		if ((rc = parse_queue_announce(x, keys, NK, v, k, q)))
			return rc;
		{ /* the digit a waiting caller presses for a callback */
			int kb = key_at(keys, NK, "callback_digit");

			if (v[kb]) {
				if (v[kb]->type != YAML_SCALAR_NODE || v[kb]->data.scalar.length != 1 ||
				    !scalar(v[kb])[0] ||
				    !strchr("0123456789*#", scalar(v[kb])[0]))
					return cfg_err(x, v[kb], "queue '%s': 'callback_digit' must be "
						       "one of 0-9, * or #", q->name);
				q->callback_digit = scalar(v[kb])[0];
			}
		}
		if ((rc = parse_queue_callback(x, keys, NK, v, k, q)))
			return rc;
	}
	return 0;
}

static int parse_hotlines(struct cfg_ctx *x, yaml_node_t *s)
{
	static const char *const keys[] = { "number", "agents", "queue", "priority", "record",
					    "ivr", "tenant" };
	size_t n;

	if (s->type != YAML_SEQUENCE_NODE)
		return cfg_err(x, s, "'hotlines' must be a list");
	n = (size_t)(s->data.sequence.items.top - s->data.sequence.items.start);
	if (reserve(x, s, (void **)&x->c->hotlines, &x->c->cap_hotlines, x->c->n_hotlines + n,
		    256, sizeof(*x->c->hotlines), "hotlines"))
		return -EINVAL;
	for (yaml_node_item_t *it = s->data.sequence.items.start; it < s->data.sequence.items.top; it++) {
		yaml_node_t *e = node(x, *it), *v[7] = { 0 }, *k[7] = { 0 };
		struct sb_cfg_hotline *h = &x->c->hotlines[x->c->n_hotlines];
		int rc = map_keys(x, e, "a hotline", keys, 7, v, k);

		if (rc)
			return rc;
		if (v[0] == NULL)
			return cfg_err(x, e, "hotline needs a 'number'");
		rc = get_string(x, k[0], v[0], h->number, sizeof(h->number));
		if (rc)
			return rc;
		if (sb_config_hotline_find(x->c, h->number, strlen(h->number)) >= 0)
			return cfg_err(x, v[0], "hotline '%s' is defined twice", h->number);
		h->queue = -1;
		h->ivr = -1;
		snprintf(h->tenant, sizeof(h->tenant), "default"); /* API visibility */
		if (v[6] && (rc = get_string(x, k[6], v[6], h->tenant, sizeof(h->tenant))))
			return rc;
		if (v[4] && (rc = get_bool(x, k[4], v[4], &h->record)))
			return rc;
		if (v[5]) { /* the caller goes through an IVR menu first (b2bua/ivr.c) */
			uint32_t pr;

			if (v[1] || v[2])
				return cfg_err(x, k[5], "hotline '%s': give one of 'agents', "
					       "'queue' and 'ivr'", h->number);
			if (v[5]->type != YAML_SCALAR_NODE ||
			    (h->ivr = sb_config_ivr_find(x->c, scalar(v[5]),
							 v[5]->data.scalar.length)) < 0)
				return cfg_err(x, v[5], "hotline '%s': 'ivr' names no menu (see "
					       "'ivrs')", h->number);
			if (v[3]) { /* for the queues its menus lead to */
				if ((rc = get_u32(x, k[3], v[3], 0, 255, &pr)))
					return rc;
				h->priority = (uint8_t)pr;
			}
			x->c->n_hotlines++;
			continue;
		}
		if (v[2]) { /* the caller waits in a queue (acd/acd.h) */
			if (v[1])
				return cfg_err(x, k[2], "hotline '%s' has both 'agents' and 'queue'",
					       h->number);
			if (v[2]->type != YAML_SCALAR_NODE ||
			    (h->queue = sb_config_queue_find(x->c, scalar(v[2]),
							     v[2]->data.scalar.length)) < 0)
				return cfg_err(x, v[2], "hotline '%s': 'queue' names no queue",
					       h->number);
			if (v[3]) {
				uint32_t pr;

				if ((rc = get_u32(x, k[3], v[3], 0, 255, &pr)))
					return rc;
				h->priority = (uint8_t)pr;
			}
			x->c->n_hotlines++;
			continue;
		}
		if (v[3])
			return cfg_err(x, k[3], "hotline '%s': 'priority' needs a 'queue'",
				       h->number);
		if (v[1] == NULL)
			return cfg_err(x, e, "hotline '%s' needs an 'agents' list or a 'queue'",
				       h->number);
		if (v[1]->type != YAML_SEQUENCE_NODE)
			return cfg_err(x, v[1], "'agents' of hotline '%s' must be a list", h->number);
		for (yaml_node_item_t *ai = v[1]->data.sequence.items.start;
		     ai < v[1]->data.sequence.items.top; ai++) {
			yaml_node_t *an = node(x, *ai);
			int idx;

			if (an->type != YAML_SCALAR_NODE)
				return cfg_err(x, an, "agent names must be strings");
			idx = sb_config_agent_find(x->c, scalar(an), an->data.scalar.length);
			if (idx < 0)
				return cfg_err(x, an, "hotline '%s' names unknown agent '%s'",
					       h->number, scalar(an));
			if (h->n_agents == SB_CFG_HOTLINE_AGENTS)
				return cfg_err(x, an, "hotline '%s' has more than %u agents",
					       h->number, SB_CFG_HOTLINE_AGENTS);
			h->agents[h->n_agents++] = (uint16_t)idx;
		}
		x->c->n_hotlines++;
	}
	return 0;
}

/* media: codecs: SDP offer/answer preference list (sip/sdp_oa.h). */
static int parse_codecs(struct cfg_ctx *x, yaml_node_t *v)
{
	static const struct { const char *name; enum sb_codec codec; } names[] = {
		{ "PCMU", SB_CODEC_PCMU }, { "PCMA", SB_CODEC_PCMA }, { "opus", SB_CODEC_OPUS },
		{ "telephone-event", SB_CODEC_TEL_EVENT },
	};
	struct sb_config *c = x->c;
	bool audio = false;

	if (v->type != YAML_SEQUENCE_NODE)
		return cfg_err(x, v, "'codecs' must be a list of PCMU, PCMA, opus, telephone-event");
	c->n_media_codecs = 0;
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		yaml_node_t *e = node(x, *it);
		int codec = -1;

		for (unsigned i = 0; e->type == YAML_SCALAR_NODE && i < 4; i++)
			if (strcasecmp(scalar(e), names[i].name) == 0)
				codec = names[i].codec;
		if (codec < 0)
			return cfg_err(x, e, "unknown codec (use PCMU, PCMA, opus, telephone-event)");
		if (memchr(c->media_codecs, codec, c->n_media_codecs))
			return cfg_err(x, e, "codec '%s' is listed twice", scalar(e));
		c->media_codecs[c->n_media_codecs++] = (uint8_t)codec;
		audio |= codec != SB_CODEC_TEL_EVENT;
	}
	if (!audio)
		return cfg_err(x, v, "'codecs' needs at least one audio codec (PCMU, PCMA or opus)");
	return 0;
}

/* media: timeout of silence before a call is hung up; which backend
 * carries media, and for the kernel one its address and ports (the
 * dataplane announces its own). */
static int parse_media(struct cfg_ctx *x, yaml_node_t *m)
{
	static const char *const keys[] = { "timeout", "backend", "address", "port_min",
					    "port_max", "poll_ms", "codecs", "transcode",
					    "opus_complexity" };
	yaml_node_t *v[9] = { 0 }, *k[9] = { 0 };
	struct sb_config *c = x->c;
	uint32_t pmin = c->media_port_min, pmax = c->media_port_max, cx = 0;
	int rc = map_keys(x, m, "'media'", keys, 9, v, k);

	if (rc == 0 && v[0])
		rc = get_u32(x, k[0], v[0], 1, 86400, &c->media_timeout_s);
	if (rc == 0 && v[6])
		rc = parse_codecs(x, v[6]);
	if (rc == 0 && v[7])
		rc = get_bool(x, k[7], v[7], &c->media_transcode);
	if (rc == 0 && v[8] && (rc = get_u32(x, k[8], v[8], 0, 10, &cx)) == 0)
		c->media_opus_complexity = (uint8_t)cx; /* libopus: 0 fastest .. 10 best */
	if (rc)
		return rc;
	if (v[1]) {
		if (v[1]->type == YAML_SCALAR_NODE && strcmp(scalar(v[1]), "dpdk") == 0)
			c->media_backend = SB_CFG_MEDIA_DPDK;
		else if (v[1]->type == YAML_SCALAR_NODE && strcmp(scalar(v[1]), "kernel") == 0)
			c->media_backend = SB_CFG_MEDIA_KERNEL;
		else
			return cfg_err(x, v[1], "'backend' must be dpdk or kernel");
	}
	if (c->media_backend != SB_CFG_MEDIA_KERNEL) {
		for (unsigned i = 2; i < 6; i++)
			if (v[i])
				return cfg_err(x, k[i], "'%s' is only for 'backend: kernel' (the "
					       "dataplane announces its own)", keys[i]);
		return 0;
	}
	if (v[2] == NULL)
		return cfg_err(x, k[1], "'backend: kernel' needs 'address: IPV4' (a local "
			       "address of this host for media)");
	if (v[2]->type != YAML_SCALAR_NODE ||
	    !sb_str_to_ipv4(sb_str_mk(scalar(v[2]), scalar(v[2]) + v[2]->data.scalar.length),
			    &c->media_ip) || c->media_ip == 0)
		return cfg_err(x, v[2], "'address' must be an IPv4 address other than 0.0.0.0");
	if ((v[3] && (rc = get_u32(x, k[3], v[3], 1024, 65534, &pmin))) ||
	    (v[4] && (rc = get_u32(x, k[4], v[4], 1025, 65535, &pmax))) ||
	    (v[5] && (rc = get_u32(x, k[5], v[5], 10, 60000, &c->media_poll_ms))))
		return rc;
	if (pmax < pmin + 3)
		return cfg_err(x, v[4] ? v[4] : v[3], "'port_max' must be at least 'port_min' + 3 "
			       "(one RTP/RTCP pair)");
	c->media_port_min = (uint16_t)pmin;
	c->media_port_max = (uint16_t)pmax;
	return 0;
}

/* feature_codes: '*' or '#' then digits, or "" to turn one off; the
 * in-call ones (consult .. cancel) must differ and none may start another
 * (b2bua/consult.c matches them digit by digit) */
static int parse_fcodes(struct cfg_ctx *x, yaml_node_t *m)
{
	static const char *const keys[] = { "login", "logout", "pause", "unpause", "consult",
					    "conference", "complete", "cancel", "agent_hangup" };
	struct sb_cfg_fcodes *f = &x->c->fcodes;
	char *dst[8] = { f->login, f->logout, f->pause, f->unpause, f->consult, f->conference,
			 f->complete, f->cancel };
	yaml_node_t *v[9] = { 0 }, *k[9] = { 0 };
	int rc = map_keys(x, m, "'feature_codes'", keys, 9, v, k);

	if (rc)
		return rc;
	if (v[8]) {
		const char *s = v[8]->type == YAML_SCALAR_NODE ? scalar(v[8]) : "";

		if (strcmp(s, "complete") != 0 && strcmp(s, "end") != 0)
			return cfg_err(x, v[8], "'agent_hangup' must be 'complete' or 'end'");
		f->hangup_ends = strcmp(s, "end") == 0;
	}
	for (unsigned i = 0; i < 8; i++) {
		const char *s;

		if (v[i] == NULL)
			continue;
		if (v[i]->type != YAML_SCALAR_NODE || v[i]->data.scalar.length >= SB_CFG_FC_LEN)
			return cfg_err(x, v[i], "'%s' must be a short string", keys[i]);
		s = scalar(v[i]);
		for (const char *p = s; *p; p++)
			if (!((*p >= '0' && *p <= '9') || *p == '*' || *p == '#') ||
			    (p == s && *p != '*' && *p != '#'))
				return cfg_err(x, v[i], "'%s' must be '*' or '#' then digits",
					       keys[i]);
		memcpy(dst[i], s, v[i]->data.scalar.length + 1);
	}
	for (unsigned i = 4; i < 8; i++)
		for (unsigned j = 4; j < 8; j++) {
			size_t n = strlen(dst[j]);

			if (i != j && dst[i][0] && n && strncmp(dst[i], dst[j], n) == 0)
				return cfg_err(x, v[i] ? v[i] : v[j], "in-call code '%s' (%s) "
					       "starts with '%s' (%s): it could never be keyed",
					       keys[i], dst[i], keys[j], dst[j]);
		}
	return 0;
}

/* api: listen: ADDR:PORT, tokens: [{token:, tenant:}] */
static int parse_api(struct cfg_ctx *x, yaml_node_t *m)
{
	static const char *const keys[] = { "listen", "tokens" };
	static const char *const tkeys[] = { "token", "tenant", "admin" };
	struct sb_cfg_api *a = &x->c->api;
	yaml_node_t *v[2] = { 0 }, *k[2] = { 0 };
	struct sb_sip_addr sa;
	int rc = map_keys(x, m, "'api'", keys, 2, v, k);

	if (rc)
		return rc;
	if (v[0] == NULL)
		return cfg_err(x, m, "'api' needs 'listen: ADDRESS:PORT'");
	if (v[0]->type != YAML_SCALAR_NODE || parse_hostport(scalar(v[0]), &sa) < 0)
		return cfg_err(x, v[0], "'listen' must be IPV4:PORT");
	{
		const char *s = scalar(v[0]), *colon = strrchr(s, ':');

		snprintf(a->addr, sizeof(a->addr), "%.*s", (int)(colon - s), s);
		a->port = sa.port;
	}
	if (v[1] == NULL || v[1]->type != YAML_SEQUENCE_NODE)
		return cfg_err(x, v[1] ? v[1] : m, "'api' needs a 'tokens' list");
	for (yaml_node_item_t *it = v[1]->data.sequence.items.start;
	     it < v[1]->data.sequence.items.top; it++) {
		yaml_node_t *e = node(x, *it), *tv[3] = { 0 }, *tk[3] = { 0 };

		if ((rc = map_keys(x, e, "a token", tkeys, 3, tv, tk)))
			return rc;
		if (tv[2] && a->n_tokens < SB_CFG_API_TOKENS &&
		    (rc = get_bool(x, tk[2], tv[2], &a->tokens[a->n_tokens].admin)))
			return rc;
		if (a->n_tokens == SB_CFG_API_TOKENS)
			return cfg_err(x, e, "more than %u tokens", SB_CFG_API_TOKENS);
		if (tv[0] == NULL || tv[1] == NULL)
			return cfg_err(x, e, "a token needs 'token' and 'tenant'");
		if ((rc = get_string(x, tk[0], tv[0], a->tokens[a->n_tokens].token,
				     sizeof(a->tokens[0].token))) ||
		    (rc = get_string(x, tk[1], tv[1], a->tokens[a->n_tokens].tenant,
				     sizeof(a->tokens[0].tenant))))
			return rc;
		if (strlen(a->tokens[a->n_tokens].token) < 8)
			return cfg_err(x, tv[0], "'token' must have at least 8 characters");
		a->n_tokens++;
	}
	a->enabled = true;
	return 0;
}

/* prompts: name -> absolute WAV path on the dataplane's host; prompt id
 * = index (media/backend.h prompt_load). */
static int parse_prompts(struct cfg_ctx *x, yaml_node_t *m)
{
	struct sb_config *c = x->c;

	if (m->type != YAML_MAPPING_NODE)
		return cfg_err(x, m, "'prompts' must be a mapping of name: /path/file.wav");
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(x, p->key), *v = node(x, p->value);
		struct sb_cfg_prompt *pr = &c->prompts[c->n_prompts];
		int rc;

		if (k->type != YAML_SCALAR_NODE)
			return cfg_err(x, k, "prompt names must be strings");
		if (c->n_prompts == SB_CFG_PROMPTS_MAX)
			return cfg_err(x, k, "more than %u prompts", SB_CFG_PROMPTS_MAX);
		if ((rc = get_string(x, k, k, pr->name, sizeof(pr->name))) ||
		    (rc = get_string(x, k, v, pr->path, sizeof(pr->path))))
			return rc;
		if (pr->path[0] != '/')
			return cfg_err(x, v, "prompt '%s': path must be absolute (the dataplane "
				       "reads it)", pr->name);
		if (sb_config_prompt_find(c, pr->name, strlen(pr->name)) >= 0)
			return cfg_err(x, k, "prompt '%s' is defined twice", pr->name);
		c->n_prompts++;
	}
	return 0;
}

/* supervision: feature-code prefixes and who may use them */
static int parse_supervision(struct cfg_ctx *x, yaml_node_t *m)
{
	static const char *const keys[] = { "listen", "whisper", "barge", "supervisors" };
	struct sb_cfg_supervision *s = &x->c->supervision;
	char *dst[3] = { s->listen, s->whisper, s->barge };
	yaml_node_t *v[4] = { 0 }, *k[4] = { 0 };
	int rc = map_keys(x, m, "'supervision'", keys, 4, v, k);

	if (rc)
		return rc;
	for (unsigned i = 0; i < 3; i++) {
		if (v[i] && (rc = get_string(x, k[i], v[i], dst[i], sizeof(s->listen))))
			return rc;
		if (strspn(dst[i], "*#0123456789") != strlen(dst[i]))
			return cfg_err(x, v[i] ? v[i] : m, "'%s' must be dial digits, * and #",
				       keys[i]);
	}
	for (unsigned i = 0; i < 3; i++)
		for (unsigned j = 0; j < 3; j++)
			if (i != j && strncmp(dst[i], dst[j], strlen(dst[i])) == 0)
				return cfg_err(x, v[i] ? v[i] : m, "supervision code '%s' is a "
					       "prefix of '%s'", dst[i], dst[j]);
	if (v[3]) {
		if (v[3]->type != YAML_SEQUENCE_NODE)
			return cfg_err(x, v[3], "'supervisors' must be a list of agent users");
		for (yaml_node_item_t *it = v[3]->data.sequence.items.start;
		     it < v[3]->data.sequence.items.top; it++) {
			yaml_node_t *an = node(x, *it);
			int idx = an->type == YAML_SCALAR_NODE
				  ? sb_config_agent_find(x->c, scalar(an), an->data.scalar.length)
				  : -1;

			if (idx < 0)
				return cfg_err(x, an, "'supervisors' names unknown agent '%s'",
					       an->type == YAML_SCALAR_NODE ? scalar(an) : "?");
			x->c->agents[idx].supervisor = true;
		}
	}
	return 0;
}

/* recording: (issue 7) where the dataplane records, how, and how long
 * each tenant keeps its recordings */
static int parse_recording(struct cfg_ctx *x, yaml_node_t *m)
{
	static const char *const keys[] = { "dir", "format", "segment_s", "retention_days",
					    "retention", "sweep_s", "mask_dtmf", "supervisor" };
	static const struct { const char *name; uint8_t fmt; } fmts[] = {
		{ "g711", SB_DP_REC_G711 }, { "wav-g711", SB_DP_REC_G711 },
		{ "pcm16", SB_DP_REC_PCM16 }, { "wav-pcm16", SB_DP_REC_PCM16 },
		{ "wav-mono", SB_DP_REC_MONO }, { "ogg-opus", SB_DP_REC_OPUS },
		{ "ogg-opus-mono", SB_DP_REC_OPUS_MONO }, { "pcap", SB_DP_REC_PCAP },
	};
	struct sb_cfg_recording *r = &x->c->recording;
	yaml_node_t *v[8] = { 0 }, *k[8] = { 0 };
	int rc = map_keys(x, m, "'recording'", keys, 8, v, k);

	if (rc)
		return rc;
	if (v[0]) {
		if ((rc = get_string(x, k[0], v[0], r->dir, sizeof(r->dir))))
			return rc;
		if (r->dir[0] != '/')
			return cfg_err(x, v[0], "'dir' must be absolute (the dataplane's --rec-dir)");
	}
	if (v[1]) {
		unsigned i = 0;

		while (i < sizeof(fmts) / sizeof(fmts[0]) &&
		       (v[1]->type != YAML_SCALAR_NODE || strcmp(scalar(v[1]), fmts[i].name) != 0))
			i++;
		if (i == sizeof(fmts) / sizeof(fmts[0]))
			return cfg_err(x, v[1], "'format' must be g711, pcm16, wav-mono, ogg-opus, "
				       "ogg-opus-mono or pcap");
		r->format = fmts[i].fmt;
		r->pcm16 = r->format == SB_DP_REC_PCM16;
	}
	if (v[6] && (rc = get_bool(x, k[6], v[6], &r->mask_dtmf)))
		return rc;
	if (v[7] && (rc = get_bool(x, k[7], v[7], &r->supervisor)))
		return rc;
	if (r->mask_dtmf && r->format == SB_DP_REC_PCAP)
		return cfg_err(x, v[6], "'mask_dtmf' cannot apply to format pcap (the packets are "
			       "kept as received: their digits with them)");
	if (v[2] && (rc = get_u32(x, k[2], v[2], 1, 3600, &r->segment_s)))
		return rc;
	if (v[3] && (rc = get_u32(x, k[3], v[3], 0, 36500, &r->retention_days)))
		return rc;
	if (v[5] && (rc = get_u32(x, k[5], v[5], 1, 86400, &r->sweep_s)))
		return rc;
	if (v[4]) {
		if (v[4]->type != YAML_MAPPING_NODE)
			return cfg_err(x, v[4], "'retention' must be a mapping of tenant: days");
		for (yaml_node_pair_t *p = v[4]->data.mapping.pairs.start;
		     p < v[4]->data.mapping.pairs.top; p++) {
			yaml_node_t *tk = node(x, p->key), *tv = node(x, p->value);
			struct sb_cfg_retention *t = &r->tenants[r->n_tenants];

			if (r->n_tenants == SB_CFG_RETENTION_MAX)
				return cfg_err(x, tk, "more than %u tenants in 'retention'",
					       SB_CFG_RETENTION_MAX);
			if ((rc = get_string(x, tk, tk, t->tenant, sizeof(t->tenant))) ||
			    (rc = get_u32(x, tk, tv, 0, 36500, &t->days)))
				return rc;
			for (unsigned i = 0; i < r->n_tenants; i++)
				if (strcmp(r->tenants[i].tenant, t->tenant) == 0)
					return cfg_err(x, tk, "tenant '%s' is in 'retention' twice",
						       t->tenant);
			r->n_tenants++;
		}
	}
	if ((r->retention_days != 0 || r->n_tenants != 0) && r->dir[0] == '\0')
		return cfg_err(x, m, "'recording': retention needs 'dir' (the files to delete)");
	return 0;
}

bool sb_config_tenant_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= SB_CFG_NAME_MAX)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return false;
	return true;
}

int sb_config_tenant_find(const struct sb_config *c, const char *name)
{
	for (unsigned i = 0; i < c->n_tenants; i++)
		if (!c->tenants[i].deleted && strcmp(c->tenants[i].name, name) == 0)
			return (int)i;
	return -1;
}

bool sb_config_tenant_ok(const struct sb_config *c, const char *name)
{
	return c->n_tenants == 0 || strcmp(name, "default") == 0 ||
	       sb_config_tenant_find(c, name) >= 0;
}

/* tenants: [name, ...] */
static int parse_tenants(struct cfg_ctx *x, yaml_node_t *s)
{
	struct sb_config *c = x->c;

	if (s->type != YAML_SEQUENCE_NODE)
		return cfg_err(x, s, "'tenants' must be a list of tenant names");
	for (yaml_node_item_t *it = s->data.sequence.items.start; it < s->data.sequence.items.top;
	     it++) {
		yaml_node_t *n = node(x, *it);

		if (n->type != YAML_SCALAR_NODE || !sb_config_tenant_name_ok(scalar(n)))
			return cfg_err(x, n, "a tenant name is 1..%u letters, digits, '-', '_', '.'",
				       SB_CFG_NAME_MAX - 1);
		if (sb_config_tenant_find(c, scalar(n)) >= 0)
			return cfg_err(x, n, "tenant '%s' is listed twice", scalar(n));
		if (c->n_tenants == SB_CFG_TENANTS)
			return cfg_err(x, n, "more than %u tenants", SB_CFG_TENANTS);
		snprintf(c->tenants[c->n_tenants++].name, SB_CFG_NAME_MAX, "%s", scalar(n));
	}
	return 0;
}

/* with a tenants: list, every object names a listed tenant (a token may
 * name one an admin creates later: until then it can create nothing) */
static int check_tenants(struct cfg_ctx *x, yaml_node_t *s)
{
	const struct sb_config *c = x->c;
	const char *bad = NULL, *what = NULL, *who = NULL;

	for (unsigned i = 0; !bad && i < c->n_agents; i++)
		if (!sb_config_tenant_ok(c, c->agents[i].tenant))
			bad = c->agents[i].tenant, what = "agent", who = c->agents[i].user;
	for (unsigned i = 0; !bad && i < c->n_queues; i++)
		if (!sb_config_tenant_ok(c, c->queues[i].tenant))
			bad = c->queues[i].tenant, what = "queue", who = c->queues[i].name;
	for (unsigned i = 0; !bad && i < c->n_hotlines; i++)
		if (!sb_config_tenant_ok(c, c->hotlines[i].tenant))
			bad = c->hotlines[i].tenant, what = "hotline", who = c->hotlines[i].number;
	for (unsigned i = 0; !bad && i < c->n_ivr_menus; i++)
		if (!sb_config_tenant_ok(c, c->ivr_menus[i].tenant))
			bad = c->ivr_menus[i].tenant, what = "IVR menu", who = c->ivr_menus[i].name;
	for (unsigned i = 0; !bad && i < c->n_hours; i++)
		if (c->hours[i].tenant[0] && !sb_config_tenant_ok(c, c->hours[i].tenant))
			bad = c->hours[i].tenant, what = "hours", who = c->hours[i].name;
	if (bad)
		return cfg_err(x, s, "%s%s%s%s names tenant '%s', which 'tenants' does not list",
			       what, who[0] ? " '" : "", who, who[0] ? "'" : "", bad);
	return 0;
}

/* limits: room for objects added at run time (api/objects.c) */
static int parse_limits(struct cfg_ctx *x, yaml_node_t *m)
{
	static const char *const keys[] = { "agents", "queues", "hotlines", "ivrs", "hours" };
	yaml_node_t *v[5] = { 0 }, *k[5] = { 0 };
	struct sb_config *c = x->c;
	int rc = map_keys(x, m, "'limits'", keys, 5, v, k);

	if (rc == 0 && v[0])
		rc = get_u32(x, k[0], v[0], 1, 65535, &c->cap_agents); /* uint16_t indexes */
	if (rc == 0 && v[1])
		rc = get_u32(x, k[1], v[1], 1, 65535, &c->cap_queues);
	if (rc == 0 && v[2])
		rc = get_u32(x, k[2], v[2], 1, 1000000, &c->cap_hotlines);
	if (rc == 0 && v[3]) /* int16_t indexes (config_ivr.c) */
		rc = get_u32(x, k[3], v[3], 1, 32767, &c->cap_ivr_menus);
	if (rc == 0 && v[4])
		rc = get_u32(x, k[4], v[4], 1, 32767, &c->cap_hours);
	return rc;
}

static int parse_root(struct cfg_ctx *x)
{
	static const char *const keys[] = { "instance", "sip", "store", "agents", "hotlines",
					    "auth", "registrar", "media", "queues",
					    "feature_codes", "api", "prompts", "supervision",
					    "recording", "skills", "ivrs", "ivr", "hours",
					    "outbound", "limits", "tenants" };
	enum { NK = sizeof(keys) / sizeof(keys[0]) };
	yaml_node_t *root = yaml_document_get_root_node(&x->doc), *v[NK] = { 0 }, *k[NK] = { 0 };
	const int kp = key_at(keys, NK, "prompts"), ks = key_at(keys, NK, "supervision");
	const int kiv = key_at(keys, NK, "ivrs"), kiv1 = key_at(keys, NK, "ivr");
	struct sb_cfg_where *iw; /* IVR: config_ivr.c */
	int rc;

	if (root == NULL)
		return cfg_err(x, NULL, "empty configuration");
	rc = map_keys(x, root, "the top level", keys, NK, v, k);
	if (rc)
		return rc;
	if (v[0] == NULL)
		return cfg_err(x, root, "missing 'instance'");
	rc = get_string(x, k[0], v[0], x->c->instance, sizeof(x->c->instance));
	if (rc)
		return rc;
	for (const char *p = x->c->instance; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return cfg_err(x, v[0], "'instance' may only hold letters, digits, '-' and '_'");
	if (v[1] == NULL)
		return cfg_err(x, root, "missing 'sip'");
	rc = parse_sip(x, v[1]);
	if (rc == 0 && v[2])
		rc = parse_store(x, v[2]);
	if (rc == 0 && v[5])
		rc = parse_auth(x, v[5]);
	if (rc == 0 && v[6])
		rc = parse_registrar(x, v[6]);
	if (rc == 0 && v[7])
		rc = parse_media(x, v[7]);
	if (rc == 0 && v[9])
		rc = parse_fcodes(x, v[9]);
	if (rc == 0 && v[key_at(keys, NK, "tenants")]) /* before api: tokens name them */
		rc = parse_tenants(x, v[key_at(keys, NK, "tenants")]);
	if (rc == 0 && v[10])
		rc = parse_api(x, v[10]);
	if (rc == 0 && v[key_at(keys, NK, "outbound")]) /* before IVRs: `transfer NUMBER` */
		rc = parse_outbound(x, v[key_at(keys, NK, "outbound")]);
	if (rc == 0 && v[kp]) /* before queues: `moh:` names a prompt */
		rc = parse_prompts(x, v[kp]);
	for (unsigned i = 0; i < SB_CFG_NUM_PROMPTS; i++) { /* spoken numbers: "num-N" */
		char nm[16];

		snprintf(nm, sizeof(nm), "num-%u", i);
		x->c->num_prompt[i] = (int16_t)sb_config_prompt_find(x->c, nm, strlen(nm));
	}
	if (rc == 0 && v[key_at(keys, NK, "limits")]) /* before the lists it sizes */
		rc = parse_limits(x, v[key_at(keys, NK, "limits")]);
	if (rc == 0 && v[key_at(keys, NK, "skills")]) /* before agents: ids in this order */
		rc = parse_skill_names(x, v[key_at(keys, NK, "skills")]);
	if (rc == 0 && v[3])
		rc = parse_agents(x, v[3]);
	if (rc == 0 && v[8]) {
		if (v[3] == NULL)
			return cfg_err(x, v[8], "'queues' need an 'agents' list first");
		rc = parse_queues(x, v[8]);
	}
	if (v[kiv] && v[kiv1])
		return cfg_err(x, k[kiv1], "give either 'ivrs' or 'ivr', not both");
	iw = calloc(1, sizeof(*iw));
	if (iw == NULL)
		return cfg_err(x, root, "out of memory");
	*iw = (struct sb_cfg_where){ .doc = &x->doc, .path = x->path, .err = x->err,
				     .err_len = x->err_len };
	/* after prompts, agents and queues (menus name them); before hotlines
	 * (`ivr:` names a menu), which `transfer NUMBER` resolves after */
	if (rc == 0 && (v[kiv] || v[kiv1] || v[key_at(keys, NK, "hours")]))
		rc = sb_config_ivr_parse(x->c, iw, v[key_at(keys, NK, "hours")],
					 v[kiv] ? v[kiv] : v[kiv1]);
	if (rc == 0 && v[4]) {
		if (v[3] == NULL)
			rc = cfg_err(x, v[4], "'hotlines' need an 'agents' list first");
		else
			rc = parse_hotlines(x, v[4]);
	}
	if (rc == 0)
		rc = sb_config_ivr_link(x->c, iw);
	free(iw);
	if (rc == 0 && v[ks]) /* after agents: names them */
		rc = parse_supervision(x, v[ks]);
	if (rc == 0 && v[key_at(keys, NK, "recording")])
		rc = parse_recording(x, v[key_at(keys, NK, "recording")]);
	if (rc == 0 && v[key_at(keys, NK, "tenants")])
		rc = check_tenants(x, v[key_at(keys, NK, "tenants")]);
	return rc;
}

int sb_config_load(struct sb_config *c, const char *path, char *err, size_t err_len)
{
	struct cfg_ctx x = { .path = path, .err = err, .err_len = err_len, .c = c };
	yaml_parser_t parser;
	FILE *f;
	int rc;

	memset(c, 0, sizeof(*c));
	c->ring_timeout_s = 30;
	c->t1_ms = 500;
	c->t2_ms = 4000;
	c->t4_ms = 5000;
	c->tcp = true;
	c->tcp_max_conns = 1024;
	c->session_expires_s = 1800; /* RFC 4028 section 4: recommended */
	c->min_se_s = 90;
	c->options_interval_s = 0; /* off unless configured: SIPp agents without -aa
				    * would take an OPTIONS for a new call */
	c->options_failures = 3;
	c->overload = (struct sb_cfg_overload){ .retry_after_s = 5, .ban_s = 60 };
	/* scanners that announce themselves: no real phone sends these */
	{
		static const char *const def[] = { "friendly-scanner", "sipvicious", "sipcli",
						   "VaxSIPUserAgent" };

		for (unsigned i = 0; i < sizeof(def) / sizeof(def[0]); i++)
			snprintf(c->overload.scanners[c->overload.n_scanners++],
				 sizeof(c->overload.scanners[0]), "%s", def[i]);
	}
	c->media_backend = SB_CFG_MEDIA_DPDK;
	c->recording.sweep_s = 3600;
	snprintf(c->supervision.listen, sizeof(c->supervision.listen), "*51");
	snprintf(c->supervision.whisper, sizeof(c->supervision.whisper), "*52");
	snprintf(c->supervision.barge, sizeof(c->supervision.barge), "*53");
	c->fcodes = (struct sb_cfg_fcodes){ "*20", "*21", "*22", "*23" };
	c->media_opus_complexity = SB_CFG_OPUS_COMPLEXITY_DP; /* the dataplane's (5) */
	c->media_port_min = 20000; /* as the dataplane's default range */
	c->media_port_max = 29999;
	c->tcp_idle_s = 3700; /* above the longest registration (3600 s): an agent
			       * registered over TCP stays reachable without keep-alives */
	snprintf(c->auth.realm, sizeof(c->auth.realm), "switchboard");
	c->auth.nonce_ttl_s = SB_AUTH_MAX_TTL_S;
	c->auth.n_algs = 2;
	c->auth.algs[0] = SB_AUTH_SHA256; /* RFC 8760: strongest first */
	c->auth.algs[1] = SB_AUTH_MD5;
	c->registrar = (struct sb_cfg_registrar){ .min_expires_s = 60, .max_expires_s = 3600,
						  .default_expires_s = 3600, .max_contacts = 4 };
	f = fopen(path, "rb");
	if (f == NULL) {
		rc = -errno;
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return rc;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		snprintf(err, err_len, "%s: cannot initialise the YAML parser", path);
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &x.doc)) {
		snprintf(err, err_len, "%s:%lu: %s", path,
			 (unsigned long)parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "YAML syntax error");
		rc = -EINVAL;
		goto out_parser;
	}
	rc = parse_root(&x);
	if (rc == 0) /* lists the file has not: their room for the API all the same */
		rc = reserve(&x, NULL, (void **)&c->agents, &c->cap_agents, 0, 256,
			     sizeof(*c->agents), "agents") ||
		     reserve(&x, NULL, (void **)&c->queues, &c->cap_queues, 0, 64,
			     sizeof(*c->queues), "queues") ||
		     reserve(&x, NULL, (void **)&c->hotlines, &c->cap_hotlines, 0, 256,
			     sizeof(*c->hotlines), "hotlines") ||
		     reserve(&x, NULL, (void **)&c->ivr_menus, &c->cap_ivr_menus, 0,
			     SB_CFG_IVR_EXTRA, sizeof(*c->ivr_menus), "ivrs") ||
		     reserve(&x, NULL, (void **)&c->hours, &c->cap_hours, 0, SB_CFG_HOURS_EXTRA,
			     sizeof(*c->hours), "hours") ? -EINVAL : 0;
	yaml_document_delete(&x.doc);
	if (rc)
		sb_config_free(c);
out_parser:
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

void sb_config_free(struct sb_config *c)
{
	free(c->agents);
	free(c->hotlines);
	free(c->queues);
	c->agents = NULL;
	c->hotlines = NULL;
	c->queues = NULL;
	c->n_agents = c->n_hotlines = c->n_queues = 0;
	c->cap_agents = c->cap_hotlines = c->cap_queues = 0;
	sb_config_ivr_free(c);
	c->cap_ivr_menus = c->cap_hours = 0;
}

int sb_config_prompt_find(const struct sb_config *c, const char *name, size_t len)
{
	for (unsigned i = 0; i < c->n_prompts; i++)
		if (strlen(c->prompts[i].name) == len && memcmp(c->prompts[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

int sb_config_agent_find(const struct sb_config *c, const char *user, size_t len)
{
	for (unsigned i = 0; i < c->n_agents; i++)
		if (!c->agents[i].deleted && strlen(c->agents[i].user) == len &&
		    memcmp(c->agents[i].user, user, len) == 0)
			return (int)i;
	return -1;
}

int sb_config_hotline_find(const struct sb_config *c, const char *number, size_t len)
{
	for (unsigned i = 0; i < c->n_hotlines; i++)
		if (!c->hotlines[i].deleted && strlen(c->hotlines[i].number) == len &&
		    memcmp(c->hotlines[i].number, number, len) == 0)
			return (int)i;
	return -1;
}

int sb_config_skill_find(const struct sb_config *c, const char *name, size_t len)
{
	for (unsigned i = 0; i < c->n_skills; i++)
		if (strlen(c->skills[i]) == len && memcmp(c->skills[i], name, len) == 0)
			return (int)i;
	return -1;
}

int sb_config_queue_find(const struct sb_config *c, const char *name, size_t len)
{
	for (unsigned i = 0; i < c->n_queues; i++)
		if (!c->queues[i].deleted && strlen(c->queues[i].name) == len &&
		    memcmp(c->queues[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

int sb_config_slot_find(const struct sb_config *c, enum sb_cfg_kind kind, const char *name)
{
	unsigned n = kind == SB_CFG_AGENT ? c->n_agents : kind == SB_CFG_QUEUE ? c->n_queues :
		     kind == SB_CFG_HOURS ? c->n_hours : kind == SB_CFG_IVR ? c->n_ivr_menus
									  : c->n_hotlines;

	for (unsigned i = 0; i < n; i++) {
		const char *nm = kind == SB_CFG_AGENT ? c->agents[i].user :
				 kind == SB_CFG_QUEUE ? c->queues[i].name :
				 kind == SB_CFG_HOURS ? c->hours[i].name :
				 kind == SB_CFG_IVR ? c->ivr_menus[i].name : c->hotlines[i].number;

		if (strcmp(nm, name) == 0)
			return (int)i;
	}
	return -1;
}

/* The body's mapping gets key: value when it has no such key; when it has
 * one, *found points at its value node id. */
static int body_default(yaml_document_t *d, int map, const char *key, const char *value,
			int *found)
{
	yaml_node_t *m = yaml_document_get_node(d, map);
	int k, v;

	*found = 0;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *kn = yaml_document_get_node(d, p->key);

		if (kn->type == YAML_SCALAR_NODE && strcmp(scalar(kn), key) == 0) {
			*found = p->value;
			return 0;
		}
	}
	k = yaml_document_add_scalar(d, NULL, (yaml_char_t *)key, (int)strlen(key),
				     YAML_PLAIN_SCALAR_STYLE);
	v = yaml_document_add_scalar(d, NULL, (yaml_char_t *)value, (int)strlen(value),
				     YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	if (!k || !v || !yaml_document_append_mapping_pair(d, map, k, v))
		return -ENOMEM;
	return 0;
}

int sb_config_object_parse(const struct sb_config *c, enum sb_cfg_kind kind, const char *name,
			   const char *tenant, const char *text, size_t len,
			   struct sb_cfg_object *out, char *err, size_t err_len, char *field,
			   size_t field_len)
{
	static const char *const name_key[] = { "user", "name", "number" };
	struct cfg_ctx x = { .path = "body", .err = err, .err_len = err_len, .field = field,
			     .field_len = field_len };
	struct sb_config *w = NULL; /* c with this list copied, the old object renamed away */
	yaml_parser_t parser;
	yaml_node_t *nn;
	int seq, fname, ften, slot, rc = -EINVAL;

	field[0] = '\0';
	memset(out, 0, sizeof(*out));
	if (kind > SB_CFG_HOTLINE) { /* menus and hours: sb_config_ivr_object_parse */
		snprintf(err, err_len, "not an agent, queue or hotline");
		return -EINVAL;
	}
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, err_len, "cannot initialise the YAML parser");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &x.doc)) {
		snprintf(err, err_len, "line %lu column %lu: %s",
			 (unsigned long)parser.problem_mark.line + 1,
			 (unsigned long)parser.problem_mark.column + 1,
			 parser.problem ? parser.problem : "syntax error");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	yaml_parser_delete(&parser);
	nn = yaml_document_get_root_node(&x.doc);
	if (nn == NULL || nn->type != YAML_MAPPING_NODE) {
		snprintf(err, err_len, "the body must be an object of the %s's fields",
			 kind == SB_CFG_AGENT ? "agent" : kind == SB_CFG_QUEUE ? "queue" : "hotline");
		goto out_doc;
	}
	x.body_root = 1; /* the root is the first node loaded */
	{ /* an alias makes a node appear twice: a YAML bomb for anything that
	   * walks the tree (sb_cfg_node_path), and never needed in an object */
		size_t nn_ = (size_t)(x.doc.nodes.top - x.doc.nodes.start);
		uint8_t *seen = calloc(nn_ + 1, 1);
		bool twice = false;

		if (seen == NULL)
			goto out_nomem;
		for (yaml_node_t *q = x.doc.nodes.start; q < x.doc.nodes.top && !twice; q++) {
			if (q->type == YAML_MAPPING_NODE)
				for (yaml_node_pair_t *p = q->data.mapping.pairs.start;
				     p < q->data.mapping.pairs.top && !twice; p++)
					twice = seen[p->key]++ || seen[p->value]++;
			else if (q->type == YAML_SEQUENCE_NODE)
				for (yaml_node_item_t *it = q->data.sequence.items.start;
				     it < q->data.sequence.items.top && !twice; it++)
					twice = seen[*it]++;
		}
		free(seen);
		if (twice) {
			snprintf(err, err_len, "YAML aliases are not allowed in an object");
			goto out_doc;
		}
	}
	/* the name from the URL and the token's tenant unless the body has them */
	if (body_default(&x.doc, x.body_root, name_key[kind], name, &fname) < 0 ||
	    body_default(&x.doc, x.body_root, "tenant", tenant, &ften) < 0)
		goto out_nomem;
	nn = fname ? yaml_document_get_node(&x.doc, fname) : NULL;
	if (nn && (nn->type != YAML_SCALAR_NODE || strcmp(scalar(nn), name) != 0)) {
		rc = cfg_err(&x, nn, "'%s' must be '%s' (the name in the URL)", name_key[kind],
			     name);
		goto out_doc;
	}
	/* the file's parsers take a list: this one object in one */
	seq = yaml_document_add_sequence(&x.doc, NULL, YAML_ANY_SEQUENCE_STYLE);
	if (!seq || !yaml_document_append_sequence_item(&x.doc, seq, x.body_root))
		goto out_nomem;
	w = malloc(sizeof(*w));
	if (w == NULL)
		goto out_nomem;
	*w = *c; /* the other lists are c's, read only */
	x.c = w;
	slot = sb_config_slot_find(c, kind, name);
	if (kind == SB_CFG_AGENT) {
		w->agents = calloc(c->n_agents + 1, sizeof(*w->agents));
		if (w->agents == NULL)
			goto out_nomem;
		memcpy(w->agents, c->agents, c->n_agents * sizeof(*w->agents));
		w->cap_agents = c->n_agents + 1;
		if (slot >= 0)
			w->agents[slot].deleted = true; /* replaced: not a duplicate */
		rc = parse_agents(&x, yaml_document_get_node(&x.doc, seq));
		if (rc == 0)
			out->u.agent = w->agents[c->n_agents];
	} else if (kind == SB_CFG_QUEUE) {
		w->queues = calloc(c->n_queues + 1, sizeof(*w->queues));
		if (w->queues == NULL)
			goto out_nomem;
		memcpy(w->queues, c->queues, c->n_queues * sizeof(*w->queues));
		w->cap_queues = c->n_queues + 1;
		if (slot >= 0)
			w->queues[slot].deleted = true;
		rc = parse_queues(&x, yaml_document_get_node(&x.doc, seq));
		if (rc == 0) {
			out->u.queue = w->queues[c->n_queues];
			/* overflow to itself: the new copy's index is its own */
			if (slot >= 0 && out->u.queue.overflow == slot) {
				snprintf(field, field_len, "overflow");
				snprintf(err, err_len, "queue '%s': 'overflow' is the queue itself",
					 name);
				rc = -EINVAL;
			}
			if (rc == 0 && out->u.queue.overflow == (int)c->n_queues)
				out->u.queue.overflow = slot;
		}
	} else {
		w->hotlines = calloc(c->n_hotlines + 1, sizeof(*w->hotlines));
		if (w->hotlines == NULL)
			goto out_nomem;
		memcpy(w->hotlines, c->hotlines, c->n_hotlines * sizeof(*w->hotlines));
		w->cap_hotlines = c->n_hotlines + 1;
		if (slot >= 0)
			w->hotlines[slot].deleted = true;
		rc = parse_hotlines(&x, yaml_document_get_node(&x.doc, seq));
		if (rc == 0)
			out->u.hotline = w->hotlines[c->n_hotlines];
	}
	if (rc == 0) {
		out->n_skills = w->n_skills;
		memcpy(out->skills, w->skills, sizeof(out->skills));
	}
	goto out_w;
out_nomem:
	snprintf(err, err_len, "out of memory");
	rc = -ENOMEM;
out_w:
	if (w) {
		if (w->agents != c->agents)
			free(w->agents);
		if (w->queues != c->queues)
			free(w->queues);
		if (w->hotlines != c->hotlines)
			free(w->hotlines);
		free(w);
	}
out_doc:
	yaml_document_delete(&x.doc);
	return rc;
}
