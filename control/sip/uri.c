/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "sip/uri.h"

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* unreserved / escaped / user-unreserved / password chars, loosely: any
 * printable ASCII except the URI delimiters that cannot appear unescaped. */
static int is_userchar(char c)
{
	return (unsigned char)c > ' ' && (unsigned char)c < 0x7f && c != '@' && c != '<' &&
	       c != '>' && c != '"' && c != ':';
}

static int is_paramchar(char c)
{
	return (unsigned char)c > ' ' && (unsigned char)c < 0x7f && c != '<' && c != '>' &&
	       c != '"';
}

#define FAIL(w) do { if (why) *why = (w); return -EBADMSG; } while (0)

int sb_sip_uri_parse(struct sb_str s, struct sb_sip_uri *u, const char **why)
{
	const char *p = s.p, *e = sb_str_end(s), *at, *q, *hs;

	memset(u, 0, sizeof(*u));
	if (s.len >= 4 && (p[0] | 0x20) == 's' && (p[1] | 0x20) == 'i' && (p[2] | 0x20) == 'p' &&
	    p[3] == ':') {
		u->scheme = SB_URI_SIP;
		p += 4;
	} else if (s.len >= 5 && (p[0] | 0x20) == 's' && (p[1] | 0x20) == 'i' &&
		   (p[2] | 0x20) == 'p' && (p[3] | 0x20) == 's' && p[4] == ':') {
		u->scheme = SB_URI_SIPS;
		p += 5;
	} else {
		FAIL("URI scheme is not sip or sips");
	}

	at = memchr(p, '@', (size_t)(e - p));
	if (at) {
		const char *colon = NULL;

		for (q = p; q < at; q++) {
			if (*q == ':' && colon == NULL) {
				colon = q;
				continue;
			}
			if (!is_userchar(*q))
				FAIL("Bad character in URI user part");
		}
		u->user = sb_str_mk(p, colon ? colon : at);
		if (colon)
			u->password = sb_str_mk(colon + 1, at);
		if (u->user.len == 0)
			FAIL("Empty URI user part");
		p = at + 1;
	}

	hs = p;
	if (p < e && *p == '[') {
		q = memchr(p, ']', (size_t)(e - p));
		if (q == NULL)
			FAIL("Unterminated IPv6 reference in URI");
		for (const char *r = p + 1; r < q; r++)
			if (!(is_alnum(*r) || *r == ':' || *r == '.'))
				FAIL("Bad IPv6 reference in URI");
		p = q + 1;
	} else {
		while (p < e && (is_alnum(*p) || *p == '-' || *p == '.'))
			p++;
	}
	u->host = sb_str_mk(hs, p);
	if (u->host.len == 0)
		FAIL("Missing URI host");
	if (u->host.p[0] != '[' && sb_str_to_ipv4(u->host, &u->ipv4))
		u->host_is_ipv4 = 1;

	if (p < e && *p == ':') {
		uint32_t port;

		q = ++p;
		while (q < e && *q >= '0' && *q <= '9')
			q++;
		if (!sb_str_to_u32(sb_str_mk(p, q), 65535, &port) || port == 0)
			FAIL("Bad URI port");
		u->port = (uint16_t)port;
		p = q;
	}
	if (p < e && *p == ';') {
		q = p;
		while (q < e && *q != '?') {
			if (!is_paramchar(*q))
				FAIL("Bad character in URI parameters");
			q++;
		}
		u->params = sb_str_mk(p, q);
		p = q;
	}
	if (p < e && *p == '?') {
		for (q = p + 1; q < e; q++)
			if (!is_paramchar(*q))
				FAIL("Bad character in URI headers");
		u->headers = sb_str_mk(p + 1, e);
		p = e;
	}
	if (p != e)
		FAIL("Bad character after URI host");
	return 0;
}
