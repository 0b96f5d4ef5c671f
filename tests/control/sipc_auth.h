/* SPDX-License-Identifier: MIT */
/*
 * sipc_auth.h — digest client for the SIP tests (RFC 7616 / RFC 8760),
 * written against OpenSSL directly so that it checks sb-control's digest
 * code instead of sharing it.  Header-only; link libcrypto.
 */
#ifndef SB_TEST_SIPC_AUTH_H
#define SB_TEST_SIPC_AUTH_H

#include <openssl/evp.h>

#include "sipc.h"

/* H(s) in lower-case hex; alg "MD5" or "SHA-256". */
static inline void sipc_h(const char *alg, const char *s, char *out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dl = 0;

	EVP_Digest(s, strlen(s), d, &dl, strcmp(alg, "MD5") == 0 ? EVP_md5() : EVP_sha256(), NULL);
	for (unsigned i = 0; i < dl; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

/* realm and nonce of the WWW-Authenticate header for alg in a 401; 0/-1.
 * *stale gets 1 when that header says stale=true. */
static inline int sip_challenge(const char *resp, const char *alg, char *realm, char *nonce,
				int *stale)
{
	const char *p = resp;
	char pat[64];

	snprintf(pat, sizeof(pat), "algorithm=%s,", alg);
	while ((p = strstr(p, "\r\nWWW-Authenticate: Digest ")) != NULL) {
		const char *e = strstr(p + 2, "\r\n"), *r, *n;
		char line[1024];

		snprintf(line, sizeof(line), "%.*s", (int)(e - p - 2), p + 2);
		p = e;
		if (strstr(line, pat) == NULL)
			continue;
		r = strstr(line, "realm=\"");
		n = strstr(line, "nonce=\"");
		if (r == NULL || n == NULL)
			return -1;
		sscanf(r + 7, "%63[^\"]", realm);
		sscanf(n + 7, "%63[^\"]", nonce);
		if (stale)
			*stale = strstr(line, "stale=true") != NULL;
		return 0;
	}
	return -1;
}

/* "Authorization: Digest ...\r\n" with qop=auth (cnonce NULL: RFC 2069,
 * no qop). */
static inline void sipc_authz(char *out, size_t cap, const char *alg, const char *user,
			      const char *pass, const char *realm, const char *nonce,
			      const char *method, const char *uri, unsigned nc, const char *cnonce)
{
	char a1[512], ha1[65], a2[512], ha2[65], r[1024], resp[65], ncs[9];

	snprintf(a1, sizeof(a1), "%s:%s:%s", user, realm, pass);
	sipc_h(alg, a1, ha1);
	snprintf(a2, sizeof(a2), "%s:%s", method, uri);
	sipc_h(alg, a2, ha2);
	snprintf(ncs, sizeof(ncs), "%08x", nc);
	if (cnonce) {
		snprintf(r, sizeof(r), "%s:%s:%s:%s:auth:%s", ha1, nonce, ncs, cnonce, ha2);
		sipc_h(alg, r, resp);
		snprintf(out, cap,
			 "Authorization: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
			 "uri=\"%s\", response=\"%s\", algorithm=%s, qop=auth, nc=%s, "
			 "cnonce=\"%s\"\r\n",
			 user, realm, nonce, uri, resp, alg, ncs, cnonce);
	} else {
		snprintf(r, sizeof(r), "%s:%s:%s", ha1, nonce, ha2);
		sipc_h(alg, r, resp);
		snprintf(out, cap,
			 "Authorization: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
			 "uri=\"%s\", response=\"%s\", algorithm=%s\r\n",
			 user, realm, nonce, uri, resp, alg);
	}
}

/* REGISTER as user (request-URI sip:127.0.0.1) with the digest dance: the
 * request without credentials, the 401, then again with an MD5 or SHA-256
 * Authorization.  hdrs: extra lines (Contact, Expires), "\n"-separated.
 * Returns the final status (buf holds the response), -1 on timeout. */
static inline int sipc_register(struct sipc *c, const char *alg, const char *user,
				const char *pass, const char *callid, unsigned *cseq,
				const char *hdrs, char *buf, size_t cap)
{
	char realm[64], nonce[64], authz[1024];
	static unsigned branch;

	for (int round = 0; round < 2; round++) {
		++branch;
		sipc_send(c, "REGISTER sip:127.0.0.1 SIP/2.0\n"
			     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKsr%u;rport\n"
			     "From: <sip:%s@127.0.0.1>;tag=rt%u\nTo: <sip:%s@127.0.0.1>\n"
			     "Call-ID: %s\nCSeq: %u REGISTER\n%s%sContent-Length: 0\n\n",
			  c->port, branch, user, c->port, user, callid, (*cseq)++,
			  round ? authz : "", hdrs);
		for (;;) {
			if (sipc_recv(c, buf, cap, 2000) < 0)
				return -1;
			if (sip_status(buf) != 100)
				break;
		}
		if (round || sip_status(buf) != 401)
			return sip_status(buf);
		if (sip_challenge(buf, alg, realm, nonce, NULL) < 0)
			return -1;
		sipc_authz(authz, sizeof(authz), alg, user, pass, realm, nonce, "REGISTER",
			   "sip:127.0.0.1", 1, "0a4f113b");
	}
	return -1;
}

#endif
