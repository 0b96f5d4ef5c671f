/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preload.h"

#define MAX_TOKENS 18
#define GEN_DEFAULT 1u

struct parser {
	uint32_t max_legs;
	uint32_t at;       /* "at N" prefix of the current line, 0 = none */
	sb_preload_fn fn;
	void *ctx;
	unsigned line;
	char *why;
	size_t why_len;
};

#define FAIL(p, ...)                                                           \
	do {                                                                   \
		int n_ = snprintf((p)->why, (p)->why_len, "%u: ", (p)->line);  \
		if (n_ > 0 && (size_t)n_ < (p)->why_len)                       \
			snprintf((p)->why + n_, (p)->why_len - (size_t)n_, __VA_ARGS__); \
		return -EINVAL;                                                \
	} while (0)

/* Decimal, whole token, <= max. */
static int tok_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* "A.B.C.D:P" or "-". */
static int tok_peer(char *s, uint32_t *ip, uint16_t *port)
{
	struct in_addr a;
	uint32_t p;
	char *colon;

	if (strcmp(s, "-") == 0) {
		*ip = 0;
		*port = 0;
		return 0;
	}
	colon = strrchr(s, ':');
	if (colon == NULL)
		return -1;
	*colon = '\0';
	if (inet_pton(AF_INET, s, &a) != 1 || tok_u32(colon + 1, 65535, &p) < 0)
		return -1;
	*ip = a.s_addr;
	*port = (uint16_t)p;
	return 0;
}

static int call(struct parser *p, const union sb_msg *cmd)
{
	union sb_msg wrap;
	const union sb_msg *m = cmd;
	int n, rc;

	if (p->at != 0) { /* "at N": the command rides inside SB_CMD_PRELOAD_AT */
		memset(&wrap, 0, sizeof(wrap));
		wrap.h.type = SB_CMD_PRELOAD_AT;
		wrap.h.len = (uint16_t)(sizeof(wrap.h) + cmd->h.len);
		wrap.h.req_id = p->at;
		wrap.h.leg = cmd->h.leg;
		memcpy(wrap.raw + sizeof(wrap.h), cmd, cmd->h.len);
		m = &wrap;
	}

	n = snprintf(p->why, p->why_len, "%u: ", p->line);
	if (n < 0 || (size_t)n >= p->why_len)
		n = 0;
	p->why[n] = '\0';
	rc = p->fn(p->ctx, p->line, m, p->why + n, p->why_len - (size_t)n);
	if (rc < 0 && p->why[n] == '\0')
		snprintf(p->why + n, p->why_len - (size_t)n, "%s", strerror(-rc));
	else if (rc == 0)
		p->why[0] = '\0';
	return rc;
}

/* "IN:OUT" or "IN:OUT/CLOCK" */
static int tok_pt(char *s, struct sb_pt_map *e)
{
	char *colon = strchr(s, ':'), *slash = strchr(s, '/');
	uint32_t in, out, clock = 0;

	if (colon == NULL)
		return -1;
	*colon = '\0';
	if (slash != NULL) {
		*slash = '\0';
		if (slash < colon || tok_u32(slash + 1, 1000000, &clock) < 0 || clock == 0)
			return -1;
	}
	if (tok_u32(s, 127, &in) < 0 || tok_u32(colon + 1, 127, &out) < 0)
		return -1;
	e->pt_in = (uint8_t)in;
	e->pt_out = (uint8_t)out;
	e->clock_hz = clock;
	return 0;
}

/* Options shared by leg and mod, from tok[first]. */
static int parse_leg_opts(struct parser *p, char **tok, int first, int nt, union sb_msg *m,
			  uint32_t *gen)
{
	for (int i = first; i < nt; i++) {
		uint32_t v;

		if (strcmp(tok[i], "latch") == 0) {
			m->leg.flags |= SB_LEG_F_LATCH;
		} else if (strcmp(tok[i], "strict") == 0) {
			m->leg.flags |= SB_LEG_F_STRICT;
		} else if (strcmp(tok[i], "mux") == 0) {
			m->leg.flags |= SB_LEG_F_RTCP_MUX;
		} else if (strncmp(tok[i], "gen=", 4) == 0 &&
			   tok_u32(tok[i] + 4, UINT32_MAX, gen) == 0) {
			;
		} else if (strncmp(tok[i], "timeout=", 8) == 0) {
			if (tok_u32(tok[i] + 8, 86400000, &v) < 0 || v == 0)
				FAIL(p, "timeout must be 1..86400000 ms");
			m->leg.timeout_ms = v;
		} else if (strncmp(tok[i], "rtcp=", 5) == 0) {
			if (tok_u32(tok[i] + 5, 65535, &v) < 0 || v == 0)
				FAIL(p, "rtcp port must be 1..65535");
			m->leg.peer_rtcp_port = (uint16_t)v;
		} else if (strncmp(tok[i], "pt=", 3) == 0) {
			if (m->leg.n_pt_map == SB_PT_MAP_MAX)
				FAIL(p, "at most %u pt= maps", SB_PT_MAP_MAX);
			if (tok_pt(tok[i] + 3, &m->leg.pt_map[m->leg.n_pt_map]) < 0)
				FAIL(p, "pt= wants IN:OUT or IN:OUT/CLOCK (types 0..127, clock in Hz)");
			m->leg.n_pt_map++;
		} else {
			FAIL(p, "unknown leg option '%.32s'", tok[i]);
		}
	}
	return 0;
}

#define LEG_OPTS "[latch] [strict] [mux] [gen=N] [timeout=MS] [rtcp=PORT] [pt=IN:OUT[/HZ]]..."

static int parse_leg(struct parser *p, char **tok, int nt)
{
	union sb_msg m;
	uint32_t idx, port, gen = GEN_DEFAULT;

	if (nt < 4)
		FAIL(p, "usage: leg <idx> <local_port> <peer_ip>:<peer_port>|- " LEG_OPTS);
	memset(&m, 0, sizeof(m));
	if (tok_u32(tok[1], UINT32_MAX, &idx) < 0 || idx >= p->max_legs)
		FAIL(p, "leg index '%s' is not in 0..%u", tok[1], p->max_legs - 1);
	if (tok_u32(tok[2], 65535, &port) < 0 || port == 0)
		FAIL(p, "local port '%s' is not in 1..65535", tok[2]);
	if (tok_peer(tok[3], &m.leg.peer_ip, &m.leg.peer_port) < 0)
		FAIL(p, "peer must be A.B.C.D:PORT or -");
	if (parse_leg_opts(p, tok, 4, nt, &m, &gen) < 0)
		return -EINVAL;
	m.leg.h.type = SB_CMD_LEG_ADD;
	m.leg.h.len = sizeof(m.leg);
	m.leg.h.req_id = p->line;
	m.leg.h.leg = idx;
	m.leg.h.leg_gen = gen;
	m.leg.local_port = (uint16_t)port;
	return call(p, &m);
}

/* mod <idx> <peer>|- [options]: LEG_MOD, everything but the local port. */
static int parse_mod(struct parser *p, char **tok, int nt)
{
	union sb_msg m;
	uint32_t idx, gen = p->at != 0 ? 0 : GEN_DEFAULT; /* "at": the leg's gen then */

	if (nt < 3)
		FAIL(p, "usage: mod <idx> <peer_ip>:<peer_port>|- " LEG_OPTS);
	memset(&m, 0, sizeof(m));
	if (tok_u32(tok[1], UINT32_MAX, &idx) < 0 || idx >= p->max_legs)
		FAIL(p, "leg index '%s' is not in 0..%u", tok[1], p->max_legs - 1);
	if (tok_peer(tok[2], &m.leg.peer_ip, &m.leg.peer_port) < 0)
		FAIL(p, "peer must be A.B.C.D:PORT or -");
	if (parse_leg_opts(p, tok, 3, nt, &m, &gen) < 0)
		return -EINVAL;
	m.leg.h.type = SB_CMD_LEG_MOD;
	m.leg.h.len = sizeof(m.leg);
	m.leg.h.req_id = p->line;
	m.leg.h.leg = idx;
	m.leg.h.leg_gen = gen;
	return call(p, &m);
}

static int parse_connect(struct parser *p, char **tok, int nt)
{
	union sb_msg m;
	uint32_t a, b;

	if (nt != 3)
		FAIL(p, "usage: connect <leg_a> <leg_b>");
	if (tok_u32(tok[1], UINT32_MAX, &a) < 0 || a >= p->max_legs)
		FAIL(p, "leg index '%s' is not in 0..%u", tok[1], p->max_legs - 1);
	if (tok_u32(tok[2], UINT32_MAX, &b) < 0 || b >= p->max_legs)
		FAIL(p, "leg index '%s' is not in 0..%u", tok[2], p->max_legs - 1);
	if (a == b)
		FAIL(p, "cannot connect leg %u to itself", a);
	memset(&m, 0, sizeof(m));
	m.connect.h.type = SB_CMD_LEG_CONNECT;
	m.connect.h.len = sizeof(m.connect);
	m.connect.h.req_id = p->line;
	m.connect.h.leg = a;
	m.connect.h.leg_gen = 0; /* caller uses the legs' current gens (preload.h) */
	m.connect.leg_b = b;
	m.connect.leg_b_gen = 0;
	return call(p, &m);
}

/* One line, NUL-terminated, comment already cut. */
static int parse_line(struct parser *p, char *s)
{
	char *tok[MAX_TOKENS + 1];
	int nt = 0, first = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (*s == '\0')
			break;
		if (nt == MAX_TOKENS + 1)
			FAIL(p, "too many words");
		tok[nt++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\r')
			s++;
		if (*s != '\0')
			*s++ = '\0';
	}
	if (nt == 0)
		return 0;
	if (nt > MAX_TOKENS)
		FAIL(p, "too many words");
	p->at = 0;
	if (strcmp(tok[0], "at") == 0) {
		/* at <N> <directive>: applied before the worker's Nth packet */
		uint32_t at;

		if (nt < 3 || tok_u32(tok[1], UINT32_MAX, &at) < 0 || at == 0)
			FAIL(p, "usage: at <packet number, from 1> <leg|mod|connect|sleep ...>");
		p->at = at;
		first = 2;
	}
	if (p->at != 0 && strcmp(tok[first], "sleep") == 0) {
		union sb_msg m;
		uint32_t ms;

		if (nt - first != 2 || tok_u32(tok[first + 1], 10000, &ms) < 0 || ms == 0)
			FAIL(p, "usage: at <N> sleep <1..10000 ms>");
		memset(&m, 0, sizeof(m));
		m.h.type = SB_CMD_PRELOAD_SLEEP;
		m.h.len = sizeof(m.h);
		m.h.req_id = p->line;
		m.h.leg_gen = ms;
		return call(p, &m);
	}
	if (strcmp(tok[first], "leg") == 0)
		return parse_leg(p, tok + first, nt - first);
	if (strcmp(tok[first], "mod") == 0)
		return parse_mod(p, tok + first, nt - first);
	if (strcmp(tok[first], "connect") == 0)
		return parse_connect(p, tok + first, nt - first);
	FAIL(p, "unknown directive '%.32s' (want leg, mod, connect or at)", tok[first]);
}

int sb_preload_parse(const char *buf, size_t len, uint32_t max_legs, sb_preload_fn fn,
		     void *ctx, char *why, size_t why_len)
{
	struct parser p = {
		.max_legs = max_legs, .fn = fn, .ctx = ctx, .line = 0,
		.why = why, .why_len = why_len,
	};
	char line[SB_PRELOAD_LINE_MAX];
	size_t pos = 0;

	if (why_len != 0)
		why[0] = '\0';
	if (max_legs == 0 || why_len == 0)
		return -EINVAL;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (buf + pos)) : len - pos;
		char *hash;
		int rc;

		p.line++;
		if (n >= sizeof(line))
			FAIL(&p, "line longer than %u bytes", SB_PRELOAD_LINE_MAX - 1);
		memcpy(line, buf + pos, n);
		line[n] = '\0';
		if (strlen(line) != n)
			FAIL(&p, "NUL byte in line");
		hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		rc = parse_line(&p, line);
		if (rc < 0)
			return rc;
		pos += n + 1;
	}
	return 0;
}

int sb_preload_file(const char *path, uint32_t max_legs, sb_preload_fn fn, void *ctx,
		    char *why, size_t why_len)
{
	FILE *f;
	char *buf = NULL;
	size_t cap = 0, len = 0;
	int rc;

	f = fopen(path, "r");
	if (f == NULL) {
		rc = -errno;
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		return rc;
	}
	for (;;) {
		size_t got;

		if (len == cap) {
			char *nb = realloc(buf, cap ? cap * 2 : 65536);
			if (nb == NULL) {
				rc = -ENOMEM;
				snprintf(why, why_len, "%s: %s", path, strerror(ENOMEM));
				goto out_free;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		rc = -EIO;
		snprintf(why, why_len, "%s: read error", path);
		goto out_free;
	}
	{
		char msg[256];

		rc = sb_preload_parse(buf, len, max_legs, fn, ctx, msg, sizeof(msg));
		if (rc < 0)
			snprintf(why, why_len, "%s:%s", path, msg);
	}
out_free:
	free(buf);
	fclose(f);
	return rc;
}
