/* SPDX-License-Identifier: MIT */
/*
 * sip/auth_parse.c — the Authorization: Digest parser (untrusted input,
 * fuzzed by tests/fuzz/fuzz_auth.c).  No crypto here, so that the fuzz and
 * corpus-replay builds need nothing but str.c.
 *
 *   credentials = "Digest" LWS digest-response *(COMMA digest-response)
 *   digest-response = token LWS? "=" LWS? ( token / quoted-string )
 */
#include <errno.h>
#include <string.h>

#include "sip/auth.h"

static const struct {
	const char *name;
	unsigned len;
} alg_tab[SB_AUTH_ALG_N] = {
#define SB_X_(id, n, l) [SB_AUTH_##id] = { n, l },
	SB_AUTH_ALGS(SB_X_)
#undef SB_X_
};

const char *sb_auth_alg_name(enum sb_auth_alg a)
{
	return (unsigned)a < SB_AUTH_ALG_N ? alg_tab[a].name : "?";
}

unsigned sb_auth_alg_len(enum sb_auth_alg a)
{
	return (unsigned)a < SB_AUTH_ALG_N ? alg_tab[a].len : 0;
}

int sb_auth_alg_parse(struct sb_str s)
{
	for (unsigned i = 0; i < SB_AUTH_ALG_N; i++)
		if (sb_str_ieq(s, alg_tab[i].name))
			return (int)i;
	return -1;
}

/* token chars (RFC 3261 §25.1) */
static bool is_tok(char c)
{
	unsigned char u = (unsigned char)c;

	if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9'))
		return true;
	switch (u) {
	case '-': case '.': case '!': case '%': case '*': case '_': case '+': case '`':
	case '\'': case '~':
		return true;
	default:
		return false;
	}
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static const char *skip_lws(const char *p, const char *e)
{
	while (p < e && sb_is_lws(*p))
		p++;
	return p;
}

enum {
	P_USERNAME, P_REALM, P_NONCE, P_URI, P_RESPONSE, P_ALGORITHM, P_CNONCE, P_OPAQUE,
	P_QOP, P_NC, P_USERHASH, P_N
};

#define PN(s) { s, sizeof(s) - 1 }
static const struct {
	const char *s;
	uint32_t len;
} param_names[P_N] = {
	[P_USERNAME] = PN("username"), [P_REALM] = PN("realm"), [P_NONCE] = PN("nonce"),
	[P_URI] = PN("uri"), [P_RESPONSE] = PN("response"), [P_ALGORITHM] = PN("algorithm"),
	[P_CNONCE] = PN("cnonce"), [P_OPAQUE] = PN("opaque"), [P_QOP] = PN("qop"),
	[P_NC] = PN("nc"), [P_USERHASH] = PN("userhash"),
};
#undef PN

int sb_auth_parse(struct sb_str v, struct sb_auth_cred *out, const char **why)
{
	struct sb_str val[P_N];
	bool seen[P_N] = { false };
	const char *p = v.p, *e = sb_str_end(v), *w = NULL, *q;

	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < P_N; i++)
		val[i] = SB_STR_EMPTY;
	out->alg = -1;

	p = skip_lws(p, e);
	q = p;
	while (q < e && is_tok(*q))
		q++;
	if (!sb_str_ieq(sb_str_mk(p, q), "Digest") || q == e || !sb_is_lws(*q)) {
		w = "Authorization is not Digest";
		goto bad;
	}
	p = q;
	for (;;) {
		struct sb_str name, value;
		unsigned i;

		p = skip_lws(p, e);
		if (p == e)
			break;
		q = p;
		while (q < e && is_tok(*q))
			q++;
		name = sb_str_mk(p, q);
		if (name.len == 0) {
			w = "Authorization: parameter name expected";
			goto bad;
		}
		p = skip_lws(q, e);
		if (p == e || *p != '=') {
			w = "Authorization: '=' expected after a parameter name";
			goto bad;
		}
		p = skip_lws(p + 1, e);
		if (p < e && *p == '"') {
			q = p + 1;
			while (q < e && *q != '"' && *q != '\\')
				q++;
			if (q == e || *q != '"') {
				w = "Authorization: unterminated or escaped quoted string";
				goto bad;
			}
			value = sb_str_mk(p + 1, q);
			p = q + 1;
		} else {
			q = p;
			while (q < e && is_tok(*q))
				q++;
			value = sb_str_mk(p, q);
			if (value.len == 0) {
				w = "Authorization: empty parameter value";
				goto bad;
			}
			p = q;
		}
		for (i = 0; i < P_N; i++)
			if (name.len == param_names[i].len && sb_str_ieq(name, param_names[i].s))
				break;
		if (i < P_N) {
			if (seen[i]) {
				w = "Authorization: a parameter appears twice";
				goto bad;
			}
			seen[i] = true;
			val[i] = value;
		}
		p = skip_lws(p, e);
		if (p == e)
			break;
		if (*p != ',') {
			w = "Authorization: ',' expected between parameters";
			goto bad;
		}
		p++;
	}

	if (!seen[P_USERNAME] || val[P_USERNAME].len == 0) {
		w = "Authorization without username";
		goto bad;
	}
	if (!seen[P_REALM] || !seen[P_NONCE] || !seen[P_URI] || !seen[P_RESPONSE]) {
		w = "Authorization needs realm, nonce, uri and response";
		goto bad;
	}
	if (seen[P_USERHASH] && !sb_str_ieq(val[P_USERHASH], "false")) {
		w = "Authorization: userhash is not supported";
		goto bad;
	}
	out->username = val[P_USERNAME];
	out->realm = val[P_REALM];
	out->nonce = val[P_NONCE];
	out->uri = val[P_URI];
	out->response = val[P_RESPONSE];
	out->algorithm = val[P_ALGORITHM];
	out->cnonce = val[P_CNONCE];
	out->opaque = val[P_OPAQUE];
	out->qop = val[P_QOP];
	out->nc = val[P_NC];
	/* RFC 7616 §3.4: no algorithm means MD5 */
	out->alg = seen[P_ALGORITHM] ? sb_auth_alg_parse(out->algorithm) : SB_AUTH_MD5;

	if (seen[P_QOP]) {
		if (!sb_str_ieq(out->qop, "auth")) {
			w = "Authorization: only qop=auth is supported";
			goto bad;
		}
		if (!seen[P_NC] || !seen[P_CNONCE] || out->cnonce.len == 0) {
			w = "Authorization: qop needs nc and cnonce";
			goto bad;
		}
		if (out->nc.len != 8) {
			w = "Authorization: nc must be 8 hex digits";
			goto bad;
		}
		for (unsigned i = 0; i < 8; i++) {
			char c = out->nc.p[i];

			if (!is_hex(c)) {
				w = "Authorization: nc must be 8 hex digits";
				goto bad;
			}
			out->nc_val = out->nc_val << 4 |
				      (uint32_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
		}
		if (out->nc_val == 0) {
			w = "Authorization: nc must not be 0";
			goto bad;
		}
		out->has_qop = true;
	} else if (seen[P_NC] || seen[P_CNONCE]) {
		w = "Authorization: nc/cnonce without qop";
		goto bad;
	}
	if (out->alg >= 0) {
		if (out->response.len != 2 * sb_auth_alg_len((enum sb_auth_alg)out->alg)) {
			w = "Authorization: response has the wrong length for its algorithm";
			goto bad;
		}
		for (uint32_t i = 0; i < out->response.len; i++)
			if (!is_hex(out->response.p[i])) {
				w = "Authorization: response is not hex";
				goto bad;
			}
	}
	return 0;
bad:
	if (why)
		*why = w;
	return -EBADMSG;
}
