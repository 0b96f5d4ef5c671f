/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "sip/hdr.h"

static const char *skip_lws(const char *p, const char *e)
{
	while (p < e && sb_is_lws(*p))
		p++;
	return p;
}

/* Find c at top level (outside "quoted strings" and <angle brackets>). */
static const char *find_top(const char *p, const char *e, char c)
{
	int q = 0, angle = 0;

	for (; p < e; p++) {
		if (q) {
			if (*p == '\\' && p + 1 < e)
				p++;
			else if (*p == '"')
				q = 0;
			continue;
		}
		if (*p == c && !angle)
			return p;
		if (*p == '"')
			q = 1;
		else if (*p == '<')
			angle = 1;
		else if (*p == '>')
			angle = 0;
	}
	return NULL;
}

int sb_sip_param_get(struct sb_str params, const char *name, struct sb_str *value)
{
	const char *p = params.p, *e = sb_str_end(params);

	while (p < e) {
		const char *semi, *eq, *ne;

		p = skip_lws(p, e);
		if (p < e && *p == ';')
			p = skip_lws(p + 1, e);
		semi = find_top(p, e, ';');
		if (semi == NULL)
			semi = e;
		eq = memchr(p, '=', (size_t)(semi - p));
		ne = eq ? eq : semi;
		if (sb_str_ieq(sb_str_trim(sb_str_mk(p, ne)), name)) {
			if (value)
				*value = eq ? sb_str_trim(sb_str_mk(eq + 1, semi)) : sb_str_mk(semi, semi);
			return 1;
		}
		p = semi;
	}
	return 0;
}

int sb_sip_via_parse(struct sb_str v, struct sb_sip_via *out, struct sb_str *rest)
{
	const char *p = v.p, *e = sb_str_end(v), *comma, *q, *hs;
	struct sb_str tok;
	int i;

	memset(out, 0, sizeof(*out));
	comma = find_top(p, e, ',');
	if (rest)
		*rest = comma ? sb_str_trim(sb_str_mk(comma + 1, e)) : sb_str_mk(e, e);
	if (comma)
		e = comma;
	out->text = sb_str_trim(sb_str_mk(p, e));
	p = out->text.p;
	e = sb_str_end(out->text);

	/* sent-protocol: SIP / 2.0 / transport, LWS allowed around slashes */
	for (i = 0; i < 3; i++) {
		p = skip_lws(p, e);
		q = p;
		while (q < e && *q != '/' && !sb_is_lws(*q) && *q != ';')
			q++;
		tok = sb_str_mk(p, q);
		if ((i == 0 && !sb_str_ieq(tok, "SIP")) || (i == 1 && !sb_str_eq(tok, "2.0")) ||
		    tok.len == 0)
			return -EBADMSG;
		if (i == 2) {
			out->transport = tok;
			p = q;
			break;
		}
		q = skip_lws(q, e);
		if (q >= e || *q != '/')
			return -EBADMSG;
		p = q + 1;
	}
	/* sent-by: host [: port] */
	p = skip_lws(p, e);
	hs = p;
	if (p < e && *p == '[') {
		q = memchr(p, ']', (size_t)(e - p));
		if (q == NULL)
			return -EBADMSG;
		p = q + 1;
	} else {
		while (p < e && *p != ':' && *p != ';' && !sb_is_lws(*p))
			p++;
	}
	out->host = sb_str_mk(hs, p);
	if (out->host.len == 0)
		return -EBADMSG;
	p = skip_lws(p, e);
	if (p < e && *p == ':') {
		uint32_t port;

		p = skip_lws(p + 1, e);
		q = p;
		while (q < e && *q >= '0' && *q <= '9')
			q++;
		if (!sb_str_to_u32(sb_str_mk(p, q), 65535, &port) || port == 0)
			return -EBADMSG;
		out->port = (uint16_t)port;
		p = q;
	}
	p = skip_lws(p, e);
	if (p < e && *p != ';')
		return -EBADMSG;
	out->params = sb_str_mk(p, e);
	sb_sip_param_get(out->params, "branch", &out->branch);
	out->has_rport = (uint8_t)sb_sip_param_get(out->params, "rport", NULL);
	return 0;
}

int sb_sip_nameaddr_parse(struct sb_str v, struct sb_sip_nameaddr *out, struct sb_str *rest)
{
	const char *p, *e, *comma, *lt, *gt;

	memset(out, 0, sizeof(*out));
	v = sb_str_trim(v);
	p = v.p;
	e = sb_str_end(v);
	comma = find_top(p, e, ',');
	if (rest)
		*rest = comma ? sb_str_trim(sb_str_mk(comma + 1, e)) : sb_str_mk(e, e);
	if (comma)
		e = comma;
	p = skip_lws(p, e);
	if (p < e && *p == '*') {
		out->star = 1;
		out->params = sb_str_mk(p + 1, e);
		return 0;
	}
	lt = find_top(p, e, '<');
	if (lt) {
		out->display = sb_str_trim(sb_str_mk(p, lt));
		gt = memchr(lt, '>', (size_t)(e - lt));
		if (gt == NULL)
			return -EBADMSG;
		/* LAQUOT addr-spec RAQUOT: no LWS inside (RFC 4475 badaddr) */
		out->uri = sb_str_mk(lt + 1, gt);
		for (uint32_t i = 0; i < out->uri.len; i++)
			if (sb_is_lws(out->uri.p[i]))
				return -EBADMSG;
		p = skip_lws(gt + 1, e);
	} else {
		/* addr-spec: the URI ends at the first ';' (params belong to the header) */
		const char *semi = memchr(p, ';', (size_t)(e - p));
		const char *ue = semi ? semi : e;
		out->uri = sb_str_trim(sb_str_mk(p, ue));
		/* a URI with '?' (or ',' ';') must be in <> (RFC 3261 §20, regbadct) */
		for (uint32_t i = 0; i < out->uri.len; i++)
			if (sb_is_lws(out->uri.p[i]) || out->uri.p[i] == '?')
				return -EBADMSG;
		p = ue;
	}
	if (out->uri.len == 0)
		return -EBADMSG;
	if (p < e && *p != ';')
		return -EBADMSG;
	out->params = sb_str_mk(p, e);
	return 0;
}

struct sb_str sb_sip_tag(struct sb_str v)
{
	struct sb_sip_nameaddr na;
	struct sb_str tag = SB_STR_EMPTY;

	if (sb_sip_nameaddr_parse(v, &na, NULL) == 0)
		sb_sip_param_get(na.params, "tag", &tag);
	return tag;
}
