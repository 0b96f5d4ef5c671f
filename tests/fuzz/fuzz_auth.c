/* SPDX-License-Identifier: MIT */
/* fuzz_auth — the Authorization: Digest parser (sip/auth_parse.c) and the
 * digest check behind it (sip/auth.c: nonce base64 decode, MAC, replay
 * table): never reads outside the input, every slice lies inside it, an
 * error always carries a reason, a parsed response has the algorithm's
 * length, and no input is ever accepted (no input knows the secret). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const char *buf, size_t size, struct sb_str s)
{
	if (s.len && (s.p < buf || s.p + s.len > buf + size))
		abort();
}

static struct sb_auth_user g_user;

static const struct sb_auth_user *lookup(void *arg, struct sb_str name, int *idx)
{
	(void)arg;
	*idx = sb_str_eq(name, "agent1") ? 0 : -1;
	return *idx == 0 ? &g_user : NULL;
}

static struct sb_auth *auth_once(void)
{
	static struct sb_auth *a;
	static const uint8_t secret[32] = { 42 };

	if (a == NULL) {
		struct sb_auth_cfg cfg = { .realm = "switchboard", .nonce_ttl_s = 300, .n_algs = 2,
					   .algs = { SB_AUTH_SHA256, SB_AUTH_MD5 },
					   .md5_without_qop = true };

		sb_auth_ha1(SB_AUTH_MD5, "agent1", "switchboard", "secret", g_user.ha1[SB_AUTH_MD5]);
		sb_auth_ha1(SB_AUTH_SHA256, "agent1", "switchboard", "secret",
			    g_user.ha1[SB_AUTH_SHA256]);
		a = sb_auth_create(&cfg, secret, 64, 1000);
		if (a == NULL)
			abort();
	}
	return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct sb_auth_cred c;
	const char *why = NULL;
	static char msg[8192];
	struct sb_sip_addr src = { 0x0100007f, 5060 };
	struct sb_sip_msg m;
	int n, idx = -1;

	if (size > 4096)
		return 0;
	if (sb_auth_parse((struct sb_str){ buf, (uint32_t)size }, &c, &why) < 0) {
		if (why == NULL)
			abort();
	} else {
		inside(buf, size, c.username);
		inside(buf, size, c.realm);
		inside(buf, size, c.nonce);
		inside(buf, size, c.uri);
		inside(buf, size, c.response);
		inside(buf, size, c.cnonce);
		inside(buf, size, c.nc);
		inside(buf, size, c.qop);
		inside(buf, size, c.algorithm);
		inside(buf, size, c.opaque);
		if (c.alg >= 0 && c.response.len != 2 * sb_auth_alg_len((enum sb_auth_alg)c.alg))
			abort();
		if (c.has_qop && c.nc_val == 0)
			abort();
	}

	/* the same bytes as the Authorization of a REGISTER, through the check
	 * (only when they fit on one header line) */
	if (memchr(buf, '\r', size) || memchr(buf, '\n', size) || memchr(buf, '\0', size))
		return 0;
	n = snprintf(msg, sizeof(msg),
		     "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKf\r\n"
		     "From: <sip:agent1@h>;tag=1\r\nTo: <sip:agent1@h>\r\nCall-ID: f\r\n"
		     "CSeq: 1 REGISTER\r\nAuthorization: %.*s\r\nContent-Length: 0\r\n\r\n",
		     (int)size, buf);
	if (n <= 0 || (size_t)n >= sizeof(msg))
		return 0;
	if (sb_sip_msg_parse(&m, msg, msg + n) < 0)
		return 0;
	if (sb_auth_check(auth_once(), &m, &src, 2000, lookup, NULL, &idx, &why) == SB_AUTH_OK)
		abort();
	if (why == NULL)
		abort();
	return 0;
}
