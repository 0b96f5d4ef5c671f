/* SPDX-License-Identifier: MIT */
/* auth_t — digest authentication (sip/auth.c) with a fake clock:
 * RFC 7616 §3.9.1 test vectors (MD5 and SHA-256) through the parser,
 * Authorization parser rejects, challenge layout (SHA-256 first, one
 * nonce), good responses, nc replay vs retransmission, expired nonce
 * (stale=true only with the right password), nonce bound to the source,
 * tampered and future nonces, unknown user and wrong password alike,
 * RFC 2069 only when configured and single-use, uri mismatch, and a full
 * replay table that never lets an evicted nonce be replayed. */
#include <string.h>

#include "sip/auth.h"
#include "sipc_auth.h"

#define REALM "switchboard"
#define TTL_S 300u

static const struct sb_auth_user *g_user; /* agent1's secrets */

static const struct sb_auth_user *lookup(void *arg, struct sb_str name, int *idx)
{
	(void)arg;
	if (sb_str_eq(name, "agent1")) {
		*idx = 7;
		return g_user;
	}
	*idx = -1;
	return NULL;
}

/* A REGISTER with an optional Authorization line, parsed into *m (the text
 * lives in buf, which must outlive m). */
static void mk_req(struct sb_sip_msg *m, char *buf, size_t cap, const char *branch,
		   unsigned cseq, const char *authz)
{
	int n = snprintf(buf, cap,
			 "REGISTER sip:127.0.0.1 SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK%s;rport\r\n"
			 "From: <sip:agent1@127.0.0.1>;tag=x\r\nTo: <sip:agent1@127.0.0.1>\r\n"
			 "Call-ID: auth-t\r\nCSeq: %u REGISTER\r\n%sContent-Length: 0\r\n\r\n",
			 branch, cseq, authz ? authz : "");
	T_ASSERT(n > 0 && (size_t)n < cap);
	T_ASSERT(sb_sip_msg_parse(m, buf, buf + n) == 0);
}

static enum sb_auth_verdict check(struct sb_auth *a, const struct sb_sip_addr *src, uint64_t now,
				  const char *branch, unsigned cseq, const char *authz)
{
	static char buf[4096];
	struct sb_sip_msg m;
	const char *why = NULL;
	int idx = -2;
	enum sb_auth_verdict v;

	mk_req(&m, buf, sizeof(buf), branch, cseq, authz);
	v = sb_auth_check(a, &m, src, now, lookup, NULL, &idx, &why);
	T_ASSERT(why != NULL);
	if (v == SB_AUTH_OK)
		T_ASSERT(idx == 7);
	return v;
}

static void rfc7616_vectors(void)
{
	/* RFC 7616 §3.9.1: Mufasa / Circle of Life, GET /dir/index.html */
	static const struct {
		const char *alg, *resp;
	} vec[] = {
		{ "MD5", "8ca523f5e9506fed4657c9700eebdbec" },
		{ "SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1" },
	};
	for (unsigned i = 0; i < 2; i++) {
		char hdr[1024], ha1[SB_AUTH_HEX_MAX], out[SB_AUTH_HEX_MAX];
		struct sb_auth_cred c;
		const char *why = NULL;

		snprintf(hdr, sizeof(hdr),
			 "Digest username=\"Mufasa\",\r\n realm=\"http-auth@example.org\",\r\n"
			 " uri=\"/dir/index.html\",\r\n algorithm=%s,\r\n"
			 " nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n"
			 " nc=00000001,\r\n cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\",\r\n"
			 " qop=auth,\r\n response=\"%s\",\r\n"
			 " opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
			 vec[i].alg, vec[i].resp);
		T_ASSERT(sb_auth_parse((struct sb_str){ hdr, (uint32_t)strlen(hdr) }, &c, &why) == 0);
		T_ASSERT(c.alg == (i == 0 ? SB_AUTH_MD5 : SB_AUTH_SHA256));
		T_ASSERT(c.has_qop && c.nc_val == 1 && sb_str_eq(c.username, "Mufasa"));
		T_ASSERT(sb_str_eq(c.opaque, "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"));
		sb_auth_ha1((enum sb_auth_alg)c.alg, "Mufasa", "http-auth@example.org",
			    "Circle of Life", ha1);
		sb_auth_response((enum sb_auth_alg)c.alg, ha1, (struct sb_str){ "GET", 3 }, &c, out);
		T_ASSERT(strcmp(out, vec[i].resp) == 0);
	}
}

static void parser_rejects(void)
{
	static const char *const bad[] = {
		"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
		"Digest",
		"Digest username=\"a\"",                                   /* no realm etc. */
		"Digest username=\"a\", username=\"b\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"0123456789abcdef0123456789abcdef\"",            /* twice */
		"Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"0123456789abcdef0123456789abcde\"",             /* 31 hex */
		"Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"0123456789abcdef0123456789abcdeg\"",            /* not hex */
		"Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", qop=auth, "
		"response=\"0123456789abcdef0123456789abcdef\"",            /* qop, no nc */
		"Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", qop=auth-int, nc=00000001, "
		"cnonce=\"c\", response=\"0123456789abcdef0123456789abcdef\"",
		"Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", qop=auth, nc=0001, "
		"cnonce=\"c\", response=\"0123456789abcdef0123456789abcdef\"",
		"Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", qop=auth, nc=00000000, "
		"cnonce=\"c\", response=\"0123456789abcdef0123456789abcdef\"",
		"Digest username=\"a\\\"b\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"0123456789abcdef0123456789abcdef\"",            /* escape */
		"Digest username=\"a, realm=\"r\"",                         /* unterminated */
		"Digest username=\"a\" realm=\"r\", nonce=\"n\", uri=\"u\", "
		"response=\"0123456789abcdef0123456789abcdef\"",            /* no comma */
		"Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", userhash=true, "
		"response=\"0123456789abcdef0123456789abcdef\"",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sb_auth_cred c;
		const char *why = NULL;

		if (sb_auth_parse((struct sb_str){ bad[i], (uint32_t)strlen(bad[i]) }, &c, &why) == 0) {
			fprintf(stderr, "accepted: %s\n", bad[i]);
			T_ASSERT(0);
		}
		T_ASSERT(why != NULL);
	}
	/* unknown algorithm: parsed, alg -1 (the check answers with a challenge) */
	{
		const char *s = "Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", "
				"algorithm=SHA-512-256, response=\"00\"";
		struct sb_auth_cred c;
		T_ASSERT(sb_auth_parse((struct sb_str){ s, (uint32_t)strlen(s) }, &c, NULL) == 0);
		T_ASSERT(c.alg == -1);
	}
}

/* The nonce of the challenge for alg in a WWW-Authenticate block. */
static void challenge_of(struct sb_auth *a, const struct sb_sip_addr *src, uint64_t now,
			 bool stale, char *nonce)
{
	char mem[1024], resp[1200], realm[64], n2[64];
	struct sb_buf b;
	int st = -1;
	const char *sha, *md5;

	sb_buf_init(&b, mem, sizeof(mem));
	sb_auth_challenge(a, &b, src, now, stale);
	T_ASSERT(sb_buf_ok(&b));
	mem[b.len] = '\0';
	snprintf(resp, sizeof(resp), "SIP/2.0 401 Unauthorized\r\n%s\r\n", mem);
	sha = strstr(resp, "algorithm=SHA-256");
	md5 = strstr(resp, "algorithm=MD5");
	T_ASSERT(sha && md5 && sha < md5); /* RFC 8760: preferred first */
	T_ASSERT(strstr(resp, "qop=\"auth\""));
	T_ASSERT(sip_challenge(resp, "SHA-256", realm, nonce, &st) == 0 && st == stale);
	T_ASSERT(strcmp(realm, REALM) == 0 && strlen(nonce) == SB_AUTH_NONCE_LEN);
	T_ASSERT(sip_challenge(resp, "MD5", realm, n2, &st) == 0 && strcmp(nonce, n2) == 0);
}

static void authz(char *out, const char *alg, const char *user, const char *pass,
		  const char *nonce, unsigned nc, bool qop)
{
	sipc_authz(out, 1024, alg, user, pass, REALM, nonce, "REGISTER", "sip:127.0.0.1", nc,
		   qop ? "deadbeef" : NULL);
}

int main(void)
{
	struct sb_auth_cfg cfg = { .realm = REALM, .nonce_ttl_s = TTL_S, .n_algs = 2,
				   .algs = { SB_AUTH_SHA256, SB_AUTH_MD5 } };
	struct sb_sip_addr src = { .ip = htonl(0x7f000001), .port = 5070 };
	struct sb_sip_addr other = { .ip = htonl(0x7f000001), .port = 5071 };
	uint8_t secret[32] = { 1, 2, 3 };
	struct sb_auth_user user;
	char nonce[64], h[1024], h2[1024];
	uint64_t t0 = 1000000, now;
	struct sb_auth *a;

	rfc7616_vectors();
	parser_rejects();

	memset(&user, 0, sizeof(user));
	sb_auth_ha1(SB_AUTH_MD5, "agent1", REALM, "secret", user.ha1[SB_AUTH_MD5]);
	sb_auth_ha1(SB_AUTH_SHA256, "agent1", REALM, "secret", user.ha1[SB_AUTH_SHA256]);
	g_user = &user;

	T_ASSERT(sb_auth_create(&(struct sb_auth_cfg){ .realm = REALM, .nonce_ttl_s = 301,
						       .n_algs = 1 }, secret, 0, t0) == NULL);
	a = sb_auth_create(&cfg, secret, 0, t0);
	T_ASSERT(a);
	now = t0 + 10;

	/* no credentials: challenge */
	T_ASSERT(check(a, &src, now, "a1", 1, NULL) == SB_AUTH_CHALLENGE);
	challenge_of(a, &src, now, false, nonce);

	/* SHA-256 with nc 1, then MD5 on the same nonce with nc 2 */
	authz(h, "SHA-256", "agent1", "secret", nonce, 1, true);
	T_ASSERT(check(a, &src, now + 5, "a2", 2, h) == SB_AUTH_OK);
	/* the same request again (UDP retransmission): let through */
	T_ASSERT(check(a, &src, now + 505, "a2", 2, h) == SB_AUTH_OK);
	T_ASSERT(sb_auth_stats(a)->retransmits == 1);
	/* the same nc on another request: replay, 401 stale=false */
	T_ASSERT(check(a, &src, now + 600, "a3", 3, h) == SB_AUTH_REPLAY);
	/* and a retransmission after the transaction's lifetime is a replay */
	T_ASSERT(check(a, &src, now + 5 + 32000, "a2", 2, h) == SB_AUTH_REPLAY);
	authz(h, "MD5", "agent1", "secret", nonce, 2, true);
	T_ASSERT(check(a, &src, now + 700, "a4", 4, h) == SB_AUTH_OK);
	/* a lower nc after a higher one: replay */
	authz(h, "MD5", "agent1", "secret", nonce, 1, true);
	T_ASSERT(check(a, &src, now + 800, "a5", 5, h) == SB_AUTH_REPLAY);

	/* from another source: the nonce is not valid there */
	authz(h, "SHA-256", "agent1", "secret", nonce, 3, true);
	T_ASSERT(check(a, &other, now + 900, "a6", 6, h) == SB_AUTH_CHALLENGE);
	T_ASSERT(sb_auth_stats(a)->bad_nonce == 1);
	/* ... while from the right one nc 3 is fine */
	T_ASSERT(check(a, &src, now + 901, "a6", 6, h) == SB_AUTH_OK);

	/* two challenges to one source in the same millisecond (phones behind
	 * one proxy or SBC, a recvmmsg batch): two nonces, each good for its
	 * own nc 1; one shared nonce made the second a "replay" (bench/cps) */
	{
		char n1[64], n2[64];
		uint64_t rep0 = sb_auth_stats(a)->replays;

		challenge_of(a, &src, now + 950, false, n1);
		challenge_of(a, &src, now + 950, false, n2);
		T_ASSERT(strcmp(n1, n2) != 0);
		authz(h, "MD5", "agent1", "secret", n1, 1, true);
		T_ASSERT(check(a, &src, now + 951, "s1", 1, h) == SB_AUTH_OK);
		authz(h, "MD5", "agent1", "secret", n2, 1, true);
		T_ASSERT(check(a, &src, now + 951, "s2", 1, h) == SB_AUTH_OK);
		T_ASSERT(sb_auth_stats(a)->replays == rep0);
	}

	/* unknown user and wrong password: the same verdict */
	authz(h, "SHA-256", "mallory", "secret", nonce, 9, true);
	authz(h2, "SHA-256", "agent1", "wrong", nonce, 9, true);
	T_ASSERT(check(a, &src, now + 1000, "a7", 7, h) == SB_AUTH_FORBIDDEN);
	T_ASSERT(check(a, &src, now + 1000, "a7", 7, h2) == SB_AUTH_FORBIDDEN);

	/* expiry: nonce_ttl after it was issued, the right password gets
	 * stale=true, a wrong one still 403 */
	now += 2000; /* a new nonce: (time, source) make it */
	challenge_of(a, &src, now, false, nonce);
	authz(h, "SHA-256", "agent1", "secret", nonce, 1, true);
	authz(h2, "SHA-256", "agent1", "wrong", nonce, 1, true);
	T_ASSERT(check(a, &src, now + TTL_S * 1000 - 1, "b1", 1, h) == SB_AUTH_OK);
	authz(h, "SHA-256", "agent1", "secret", nonce, 2, true);
	T_ASSERT(check(a, &src, now + TTL_S * 1000, "b2", 2, h) == SB_AUTH_STALE);
	T_ASSERT(check(a, &src, now + TTL_S * 1000, "b2", 2, h2) == SB_AUTH_FORBIDDEN);
	now += 2000;

	/* tampered nonce (one MAC character changed) and a nonce from the future */
	challenge_of(a, &src, now, false, nonce);
	nonce[20] = nonce[20] == 'A' ? 'B' : 'A';
	authz(h, "SHA-256", "agent1", "secret", nonce, 1, true);
	T_ASSERT(check(a, &src, now, "c1", 1, h) == SB_AUTH_CHALLENGE);
	challenge_of(a, &src, now + 60000, false, nonce);
	authz(h, "SHA-256", "agent1", "secret", nonce, 1, true);
	T_ASSERT(check(a, &src, now, "c2", 2, h) == SB_AUTH_CHALLENGE);

	/* uri that is not the Request-URI: 400 */
	challenge_of(a, &src, now, false, nonce);
	sipc_authz(h, sizeof(h), "MD5", "agent1", "secret", REALM, nonce, "REGISTER",
		   "sip:elsewhere", 1, "c");
	T_ASSERT(check(a, &src, now, "d1", 1, h) == SB_AUTH_BAD);
	/* another realm only: challenge */
	sipc_authz(h, sizeof(h), "MD5", "agent1", "secret", "other", nonce, "REGISTER",
		   "sip:127.0.0.1", 1, "c");
	T_ASSERT(check(a, &src, now, "d2", 2, h) == SB_AUTH_CHALLENGE);

	/* RFC 2069 (no qop): refused unless configured */
	authz(h, "MD5", "agent1", "secret", nonce, 0, false);
	T_ASSERT(check(a, &src, now, "e1", 1, h) == SB_AUTH_FORBIDDEN);
	sb_auth_free(a);
	cfg.md5_without_qop = true;
	a = sb_auth_create(&cfg, secret, 0, t0);
	T_ASSERT(a);
	challenge_of(a, &src, now, false, nonce);
	authz(h, "MD5", "agent1", "secret", nonce, 0, false);
	T_ASSERT(check(a, &src, now, "e2", 2, h) == SB_AUTH_OK);
	/* a qop-less nonce is single-use: the next request must fetch a new one */
	T_ASSERT(check(a, &src, now + 1, "e3", 3, h) == SB_AUTH_STALE);
	/* still SHA-256 needs qop */
	authz(h, "SHA-256", "agent1", "secret", nonce, 0, false);
	T_ASSERT(check(a, &src, now + 2, "e4", 4, h) == SB_AUTH_FORBIDDEN);
	/* nonces from before the process started: stale, not trusted */
	challenge_of(a, &src, t0 - 1000, false, nonce);
	authz(h, "SHA-256", "agent1", "secret", nonce, 1, true);
	T_ASSERT(check(a, &src, now, "e5", 5, h) == SB_AUTH_STALE);
	sb_auth_free(a);

	/* a 16-slot table: use 200 nonces, then replay every one of them:
	 * none may be accepted, whether its slot survived or not */
	{
		static char nonces[200][64];
		unsigned ok = 0;

		a = sb_auth_create(&cfg, secret, 16, t0);
		T_ASSERT(a);
		for (unsigned i = 0; i < 200; i++) {
			challenge_of(a, &src, now + i, false, nonces[i]);
			authz(h, "SHA-256", "agent1", "secret", nonces[i], 1, true);
			T_ASSERT(check(a, &src, now + i, "f", 100 + i, h) == SB_AUTH_OK);
		}
		for (unsigned i = 0; i < 200; i++) {
			enum sb_auth_verdict v;

			authz(h, "SHA-256", "agent1", "secret", nonces[i], 1, true);
			v = check(a, &src, now + 1000 + i, "g", 1000 + i, h);
			T_ASSERT(v == SB_AUTH_REPLAY || v == SB_AUTH_STALE);
			ok += v == SB_AUTH_REPLAY;
		}
		T_ASSERT(ok > 0); /* the newest ones are still in the table */
		/* a nonce issued after the evictions still works */
		challenge_of(a, &src, now + 5000, false, nonce);
		authz(h, "SHA-256", "agent1", "secret", nonce, 1, true);
		T_ASSERT(check(a, &src, now + 5000, "h", 1, h) == SB_AUTH_OK);
		sb_auth_free(a);
	}
	printf("auth: ok\n");
	return 0;
}
