/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "sip/hdr.h"
#include "sip/msg.h"
#include "sip/uri.h"

static const char *const method_names[SB_SIP_METHOD_N] = {
#define SB_X_(m) [SB_SIP_BIT_##m] = #m,
	SB_SIP_METHODS(SB_X_)
#undef SB_X_
};

static const struct {
	const char *name;
	char compact;
} hdr_names[SB_HDR_N] = {
	[SB_HDR_OTHER] = { "", 0 },
#define SB_X_(id, n, c) [SB_HDR_##id] = { n, c },
	SB_SIP_HDRS(SB_X_)
#undef SB_X_
};

enum sb_sip_method sb_sip_method_parse(struct sb_str s)
{
	/* methods are case-sensitive (RFC 3261 §7.1) */
	for (unsigned i = 0; i < SB_SIP_METHOD_N; i++)
		if (sb_str_eq(s, method_names[i]))
			return (enum sb_sip_method)(1u << i);
	return SB_SIP_UNKNOWN;
}

const char *sb_sip_method_name(enum sb_sip_method m)
{
	for (unsigned i = 0; i < SB_SIP_METHOD_N; i++)
		if ((unsigned)m == 1u << i)
			return method_names[i];
	return "?";
}

const char *sb_sip_hdr_name(enum sb_sip_hdr_id id)
{
	return (unsigned)id < SB_HDR_N ? hdr_names[id].name : "";
}

static enum sb_sip_hdr_id hdr_lookup(struct sb_str name)
{
	if (name.len == 1) {
		char c = name.p[0] | 0x20;
		for (unsigned i = 1; i < SB_HDR_N; i++)
			if (hdr_names[i].compact == c)
				return (enum sb_sip_hdr_id)i;
		return SB_HDR_OTHER;
	}
	for (unsigned i = 1; i < SB_HDR_N; i++)
		if (sb_str_ieq(name, hdr_names[i].name))
			return (enum sb_sip_hdr_id)i;
	return SB_HDR_OTHER;
}

struct sb_str sb_sip_msg_hdr(const struct sb_sip_msg *m, enum sb_sip_hdr_id id)
{
	if ((unsigned)id >= SB_HDR_N || m->first[id] < 0)
		return SB_STR_EMPTY;
	return m->hdrs[m->first[id]].value;
}

/* token chars (RFC 3261 §25.1) */
static int is_token(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("-.!%*_+`'~", c) != NULL;
}

static int all_token(struct sb_str s)
{
	if (s.len == 0)
		return 0;
	for (uint32_t i = 0; i < s.len; i++)
		if (!is_token(s.p[i]))
			return 0;
	return 1;
}

/* scheme ":" with scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
static int has_scheme(struct sb_str u)
{
	uint32_t i;

	if (u.len == 0 || !((u.p[0] | 0x20) >= 'a' && (u.p[0] | 0x20) <= 'z'))
		return 0;
	for (i = 1; i < u.len && u.p[i] != ':'; i++)
		if (!(is_token(u.p[i]) && strchr("!%*_`'~", u.p[i]) == NULL))
			return 0;
	return i < u.len;
}

static int is_sip_scheme(struct sb_str u)
{
	return (u.len >= 4 && strncasecmp(u.p, "sip:", 4) == 0) ||
	       (u.len >= 5 && strncasecmp(u.p, "sips:", 5) == 0);
}

/* One line [p, eol) without its CR; *next is after the LF.  NULL when no LF. */
static const char *line_end(const char *p, const char *end, const char **next)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));

	if (lf == NULL)
		return NULL;
	*next = lf + 1;
	if (lf > p && lf[-1] == '\r')
		return lf - 1;
	return lf;
}

static void fail_code(struct sb_sip_msg *m, const char *why, uint16_t code)
{
	if (m->why == NULL) {
		m->why = why;
		m->why_code = code;
	}
}

static void fail(struct sb_sip_msg *m, const char *why)
{
	fail_code(m, why, 400);
}

/* SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT (RFC 3261 §25.1; "SIP" is
 * case-insensitive there) */
static int is_sip_version(struct sb_str v)
{
	uint32_t i = 4, d;

	if (v.len < 7 || strncasecmp(v.p, "SIP/", 4) != 0)
		return 0;
	for (d = i; i < v.len && v.p[i] >= '0' && v.p[i] <= '9'; i++)
		;
	if (i == d || i >= v.len || v.p[i++] != '.')
		return 0;
	for (d = i; i < v.len && v.p[i] >= '0' && v.p[i] <= '9'; i++)
		;
	return i > d && i == v.len;
}

static int parse_start_line(struct sb_sip_msg *m, const char *p, const char *e)
{
	struct sb_str line = sb_str_mk(p, e);
	struct sb_sip_uri u;
	const char *sp1, *sp2;

	if (line.len >= 8 && memcmp(p, "SIP/2.0 ", 8) == 0) {
		uint32_t code;

		m->is_request = 0;
		if (line.len < 11 || !sb_str_to_u32(sb_str_mk(p + 8, p + 11), 699, &code) ||
		    code < 100 || (line.len > 11 && p[11] != ' ')) {
			fail(m, "Bad status line");
			return -1;
		}
		m->status = (uint16_t)code;
		m->reason = line.len > 12 ? sb_str_mk(p + 12, e) : sb_str_mk(e, e);
		return 0;
	}
	m->is_request = 1;
	sp1 = sb_str_chr(line, ' ');
	if (sp1 == NULL) {
		fail(m, "Bad request line");
		return -1;
	}
	m->method_name = sb_str_mk(p, sp1);
	if (!all_token(m->method_name)) {
		fail(m, "Bad method in request line");
		return -1;
	}
	m->method = sb_sip_method_parse(m->method_name);
	sp2 = sb_str_chr(sb_str_mk(sp1 + 1, e), ' ');
	if (sp2 == sp1 + 1) { /* lwsstart: reported, headers still parsed */
		fail(m, "Empty Request-URI (extra space) in request line");
		return 0;
	}
	if (sp2 == NULL) {
		fail(m, "Bad Request-URI in request line");
		return -1;
	}
	m->ruri = sb_str_mk(sp1 + 1, sp2);
	for (uint32_t i = 0; i < m->ruri.len; i++)
		if ((unsigned char)m->ruri.p[i] <= ' ') {
			fail(m, "Bad Request-URI in request line");
			return -1;
		}
	/* From here on the request line is split: a problem is reported but
	 * the headers are still parsed, so that a 400 can be formed. */
	if (!has_scheme(m->ruri)) /* e.g. <sip:...> (RFC 4475 ltgtruri) */
		fail(m, "Bad Request-URI scheme in request line");
	/* RFC 3261 §19.1.1: no headers in a SIP Request-URI (escruri) */
	if (is_sip_scheme(m->ruri) && sb_sip_uri_parse(m->ruri, &u, NULL) == 0 && u.headers.p)
		fail(m, "Headers not allowed in the Request-URI");
	/* SP inside the URI or after the version (lwsruri, trws) */
	if (sb_str_chr(sb_str_mk(sp2 + 1, e), ' '))
		fail(m, "Extra space in request line");
	else if (!sb_str_eq(sb_str_mk(sp2 + 1, e), "SIP/2.0")) {
		/* a version we do not speak in an otherwise good request line
		 * gets 505 (RFC 3261 §21.5.7; RFC 4475 §3.1.2.16), garbage 400 */
		if (is_sip_version(sb_str_mk(sp2 + 1, e)))
			fail_code(m, "Version Not Supported", 505);
		else
			fail(m, "Bad SIP version in request line");
	}
	return 0;
}

static void parse_cseq(struct sb_sip_msg *m, struct sb_str v)
{
	const char *p = v.p, *e = v.p + v.len, *q = p;
	uint32_t num;

	while (q < e && *q >= '0' && *q <= '9')
		q++;
	if (!sb_str_to_u32(sb_str_mk(p, q), 0x7fffffffu, &num) || q >= e || !sb_is_lws(*q)) {
		fail(m, "Bad CSeq header");
		return;
	}
	struct sb_str meth = sb_str_trim(sb_str_mk(q, e));
	if (!all_token(meth)) {
		fail(m, "Bad CSeq header");
		return;
	}
	m->cseq = num;
	m->cseq_method = sb_sip_method_parse(meth);
	if (m->is_request && !sb_str_eq_str(meth, m->method_name))
		fail(m, "CSeq method does not match the request");
}

/* Every Via entry parses, no empty entry or parameter (";;", ",,": RFC 4475
 * badinv01) and no bare RFC 3261 cookie as branch (badbranch).  The top
 * Via may still be usable for the 400 that reports it. */
static const char *check_via(struct sb_str v)
{
	struct sb_sip_via via;
	struct sb_str rest;

	for (;;) {
		if (sb_sip_via_parse(v, &via, &rest) < 0)
			return "Bad Via header";
		for (const char *p = via.params.p, *e = sb_str_end(via.params); p < e;) {
			const char *q = memchr(p + 1, ';', (size_t)(e - p - 1));
			if (sb_str_trim(sb_str_mk(p + 1, q ? q : e)).len == 0)
				return "Empty parameter in Via header";
			p = q ? q : e;
		}
		if (sb_str_eq(via.branch, "z9hG4bK"))
			return "Via branch has no transaction id";
		if (rest.len == 0) {
			/* a trailing comma leaves an empty entry */
			const char *e = sb_str_end(v);
			while (e > v.p && sb_is_lws(e[-1]))
				e--;
			return e > v.p && e[-1] == ',' ? "Empty entry in Via header" : NULL;
		}
		v = rest;
	}
}

/* From/To: one name-addr or addr-spec whose URI has a scheme (RFC 4475
 * quotbal, badaddr, baddn). */
static int nameaddr_ok(struct sb_str v)
{
	struct sb_sip_nameaddr na;
	struct sb_str rest;

	return sb_sip_nameaddr_parse(v, &na, &rest) == 0 && rest.len == 0 && !na.star &&
	       has_scheme(na.uri);
}

/* Contact: a list of them, or "*" (regbadct). */
static int contact_ok(struct sb_str v)
{
	struct sb_sip_nameaddr na;
	struct sb_str rest;

	do {
		if (sb_sip_nameaddr_parse(v, &na, &rest) < 0 || (!na.star && !has_scheme(na.uri)))
			return 0;
		v = rest;
	} while (v.len);
	return 1;
}

static void check_headers(struct sb_sip_msg *m)
{
	static const struct {
		enum sb_sip_hdr_id id;
		const char *why;
	} required[] = {
		{ SB_HDR_VIA, "Missing Via header" },
		{ SB_HDR_FROM, "Missing From header" },
		{ SB_HDR_TO, "Missing To header" },
		{ SB_HDR_CALL_ID, "Missing Call-ID header" },
		{ SB_HDR_CSEQ, "Missing CSeq header" },
	};

	for (unsigned i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (m->first[required[i].id] < 0 || m->hdrs[m->first[required[i].id]].value.len == 0)
			fail(m, required[i].why);
	for (unsigned i = 0; i < m->n_hdrs && m->why == NULL; i++) {
		struct sb_str v = m->hdrs[i].value;
		const char *why;

		switch (m->hdrs[i].id) {
		case SB_HDR_VIA:
			if ((why = check_via(v)) != NULL)
				fail(m, why);
			break;
		case SB_HDR_FROM:
			if (v.len && !nameaddr_ok(v))
				fail(m, "Bad From header");
			break;
		case SB_HDR_TO:
			if (v.len && !nameaddr_ok(v))
				fail(m, "Bad To header");
			break;
		case SB_HDR_CONTACT:
			if (v.len && !contact_ok(v))
				fail(m, "Bad Contact header");
			break;
		case SB_HDR_OTHER:
			/* RFC 3261 §20.17: SIP-date is always GMT (baddate) */
			if (sb_str_ieq(m->hdrs[i].name, "Date") &&
			    (v.len < 4 || memcmp(v.p + v.len - 4, " GMT", 4) != 0))
				fail(m, "Bad Date header (not GMT)");
			break;
		default:
			break;
		}
	}
	if (m->first[SB_HDR_CALL_ID] >= 0)
		m->call_id = m->hdrs[m->first[SB_HDR_CALL_ID]].value;
	if (m->first[SB_HDR_CSEQ] >= 0)
		parse_cseq(m, m->hdrs[m->first[SB_HDR_CSEQ]].value);
}

static void add_header(struct sb_sip_msg *m, const char *p, const char *le)
{
	const char *colon = memchr(p, ':', (size_t)(le - p));
	struct sb_str name;
	struct sb_sip_hdr *h;

	if (colon == NULL) {
		fail(m, "Header line without a colon");
		return;
	}
	name = sb_str_mk(p, colon);
	while (name.len && (name.p[name.len - 1] == ' ' || name.p[name.len - 1] == '\t'))
		name.len--;
	if (!all_token(name)) {
		fail(m, "Bad header name");
		return;
	}
	if (m->n_hdrs == SB_SIP_MAX_HDRS) {
		fail(m, "Too many headers");
		return;
	}
	h = &m->hdrs[m->n_hdrs];
	h->name = name;
	h->value = sb_str_trim(sb_str_mk(colon + 1, le));
	h->id = (uint8_t)hdr_lookup(name);
	if (m->first[h->id] < 0)
		m->first[h->id] = (int16_t)m->n_hdrs;
	m->n_hdrs++;
}

static void parse_content_length(struct sb_sip_msg *m)
{
	for (unsigned i = 0; i < m->n_hdrs; i++) {
		uint32_t v;

		if (m->hdrs[i].id != SB_HDR_CONTENT_LENGTH)
			continue;
		if (!sb_str_to_u32(m->hdrs[i].value, SB_SIP_MAX_CONTENT_LENGTH, &v)) {
			fail(m, "Bad Content-Length header");
			return;
		}
		if (m->has_content_length && v != m->content_length) {
			fail(m, "Conflicting Content-Length headers");
			return;
		}
		m->has_content_length = 1;
		m->content_length = v;
	}
}

int sb_sip_msg_parse(struct sb_sip_msg *m, const char *buf, const char *end)
{
	const char *p = buf, *next, *le;
	int blank = 0;

	memset(m, 0, sizeof(*m));
	memset(m->first, 0xff, sizeof(m->first));
	m->method_name = m->ruri = m->reason = m->call_id = m->body = SB_STR_EMPTY;
	m->buf = buf;
	m->end = end;

	/* RFC 5626 keep-alives and stray CRLFs before the start line */
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	if (p == end) {
		fail(m, "Empty message");
		return -EBADMSG;
	}
	le = line_end(p, end, &next);
	if (le == NULL) {
		fail(m, "Start line not terminated");
		return -EBADMSG;
	}
	if (parse_start_line(m, p, le) < 0)
		return -EBADMSG;
	p = next;

	while (p < end) {
		le = line_end(p, end, &next);
		if (le == NULL) {
			fail(m, "Header line not terminated");
			p = end;
			break;
		}
		if (le == p) { /* empty line: end of headers */
			p = next;
			blank = 1;
			break;
		}
		if (*p == ' ' || *p == '\t') { /* folded continuation */
			if (m->n_hdrs == 0) {
				fail(m, "Continuation line before the first header");
			} else {
				struct sb_sip_hdr *h = &m->hdrs[m->n_hdrs - 1];
				const char *vs = h->value.len ? h->value.p : p;
				h->value = sb_str_trim(sb_str_mk(vs, le));
			}
		} else {
			add_header(m, p, le);
		}
		p = next;
	}
	if (!blank)
		fail(m, "Missing empty line after the headers");

	parse_content_length(m);
	if (m->has_content_length) {
		if (m->content_length > (uint32_t)(end - p)) {
			fail(m, "Content-Length larger than the body");
			m->body = sb_str_mk(p, end);
		} else {
			/* extra bytes after the body are ignored (RFC 3261 §18.3) */
			m->body = (struct sb_str){ p, m->content_length };
		}
	} else {
		m->body = sb_str_mk(p, end); /* UDP: body is the rest of the datagram */
	}
	check_headers(m);
	return m->why ? -EBADMSG : 0;
}
