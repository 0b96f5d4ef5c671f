/* SPDX-License-Identifier: MIT */
/*
 * sip/auth.h — HTTP digest authentication for SIP (RFC 3261 §22, RFC 7616,
 * RFC 8760): SHA-256 and MD5, qop=auth with nc/cnonce, and (only when
 * configured) the qop-less MD5 of RFC 2069 for old phones.
 *
 * Nonces are stateless:
 *
 *   nonce = base64( stamp = issued_ms << 16 | counter (8 bytes, big endian)
 *                 | HMAC-SHA256(secret, stamp | src ip | src port | realm)[0..15] )
 *
 * so a nonce is bound to the time it was issued and to the source address
 * it was issued to; it expires after nonce_ttl.  Replays are caught by a
 * small bounded table of the nonces that were used (highest nc accepted per
 * nonce).  The table never grows: when it must evict a live entry it raises
 * a floor, and any nonce issued at or before the floor that is not in the
 * table is answered stale=true (the client just retries with a new nonce),
 * so eviction can never let a replay through.
 *
 * The Authorization parser (sb_auth_parse, auth_parse.c) takes untrusted
 * input, needs no crypto and is fuzzed (tests/fuzz/fuzz_auth.c).
 */
#ifndef SB_SIP_AUTH_H
#define SB_SIP_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "sip/msg.h"
#include "sip/tx.h"
#include "str.h"

#define SB_AUTH_ALGS(_) _(SHA256, "SHA-256", 32) _(MD5, "MD5", 16)

enum sb_auth_alg {
#define SB_X_(id, name, len) SB_AUTH_##id,
	SB_AUTH_ALGS(SB_X_)
#undef SB_X_
	SB_AUTH_ALG_N
};

#define SB_AUTH_HASH_MAX 32                       /* bytes (SHA-256) */
#define SB_AUTH_HEX_MAX (2 * SB_AUTH_HASH_MAX + 1) /* hex + NUL */
#define SB_AUTH_NONCE_LEN 32                      /* base64 of 24 bytes */
#define SB_AUTH_MAX_TTL_S 300u
#define SB_AUTH_REALM_MAX 64

const char *sb_auth_alg_name(enum sb_auth_alg a);   /* "SHA-256", "MD5" */
unsigned sb_auth_alg_len(enum sb_auth_alg a);       /* digest bytes */
/* Case-insensitive name -> alg; -1 when unknown. */
int sb_auth_alg_parse(struct sb_str s);

/* ---- Authorization: Digest ... (auth_parse.c, no crypto) ---- */

struct sb_auth_cred {
	struct sb_str username, realm, nonce, uri, response, algorithm, cnonce, opaque, qop, nc;
	int alg;          /* enum sb_auth_alg; -1 = algorithm not supported */
	bool has_qop;     /* qop=auth present (auth-int is rejected by the parser) */
	uint32_t nc_val;  /* nc as a number; 0 without qop */
};

/* Parse one Authorization (or Proxy-Authorization) value.  Slices point into
 * v; quoted values are returned without the quotes and must not contain
 * escapes (no legitimate digest parameter needs one).  Returns 0, or
 * -EBADMSG with *why (may be NULL) set: not Digest, a parameter twice, a
 * missing username/realm/nonce/uri/response, qop without nc/cnonce or with
 * a bad nc, a qop other than auth, a response that is not hex of the
 * algorithm's length, userhash=true, or a syntax error.  An unknown
 * algorithm is not an error here: alg is -1. */
int sb_auth_parse(struct sb_str v, struct sb_auth_cred *out, const char **why);

/* ---- hashes (auth.c, OpenSSL libcrypto) ---- */

/* Lower-case hex of H(data) into out (>= SB_AUTH_HEX_MAX). */
void sb_auth_hash_hex(enum sb_auth_alg a, const void *data, size_t len, char *out);
/* HA1 = H(user:realm:password), hex. */
void sb_auth_ha1(enum sb_auth_alg a, const char *user, const char *realm, const char *password,
		 char *out);
/* The response a client must send (RFC 7616 §3.4.1), hex, given the HA1
 * hex, the request method and the credential's uri, nonce, and (when
 * c->has_qop) nc, cnonce and qop.  */
void sb_auth_response(enum sb_auth_alg a, const char *ha1_hex, struct sb_str method,
		      const struct sb_auth_cred *c, char *out);

/* ---- the server side ---- */

struct sb_auth_cfg {
	char realm[SB_AUTH_REALM_MAX];
	uint32_t nonce_ttl_s;             /* 1..SB_AUTH_MAX_TTL_S */
	unsigned n_algs;                  /* challenge order, first preferred */
	uint8_t algs[SB_AUTH_ALG_N];      /* enum sb_auth_alg */
	bool md5_without_qop;             /* accept RFC 2069 responses (old phones) */
};

/* Per-user secrets: the HA1 for each algorithm, hex; "" = not available
 * (then a response with that algorithm is refused like a wrong one). */
struct sb_auth_user {
	char ha1[SB_AUTH_ALG_N][SB_AUTH_HEX_MAX];
};

struct sb_auth_stats {
	uint64_t challenges, ok, retransmits, stale, replays, bad_nonce, forbidden, malformed;
};

struct sb_auth;

void sb_auth_free(struct sb_auth *a); /* NULL ok */
/* secret NULL: 32 random bytes (getrandom).  table_slots: power of two
 * >= 16 (nonce table size; 0 = default 8192).  NULL + errno (EINVAL, ENOMEM). */
struct sb_auth *sb_auth_create(const struct sb_auth_cfg *cfg, const uint8_t secret[32],
			       unsigned table_slots, uint64_t now_ms)
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
	__attribute__((malloc, malloc(sb_auth_free, 1)))
#endif
	;

const struct sb_auth_cfg *sb_auth_cfg_of(const struct sb_auth *a);
const struct sb_auth_stats *sb_auth_stats(const struct sb_auth *a);

/* A fresh nonce for src at now_ms (SB_AUTH_NONCE_LEN chars + NUL). */
void sb_auth_nonce(struct sb_auth *a, const struct sb_sip_addr *src, uint64_t now_ms,
		   char out[SB_AUTH_NONCE_LEN + 1]);

/* The WWW-Authenticate lines of a 401 (CRLF-terminated), one per configured
 * algorithm in order, sharing one fresh nonce; stale adds stale=true. */
void sb_auth_challenge(struct sb_auth *a, struct sb_buf *b, const struct sb_sip_addr *src,
		       uint64_t now_ms, bool stale);

enum sb_auth_verdict {
	SB_AUTH_OK,         /* *user set */
	SB_AUTH_CHALLENGE,  /* no usable credentials: 401 */
	SB_AUTH_STALE,      /* right password, nonce expired: 401 stale=true */
	SB_AUTH_REPLAY,     /* nc already used: 401 stale=false */
	SB_AUTH_FORBIDDEN,  /* unknown user or wrong password (same answer): 403 */
	SB_AUTH_BAD,        /* malformed Authorization or uri mismatch: 400 *why */
};

/* Find a user by name: its secrets, or NULL when unknown. */
typedef const struct sb_auth_user *sb_auth_lookup_fn(void *arg, struct sb_str username,
						      int *user_idx);

/* Check the Authorization headers of request m, received from src at
 * now_ms.  The first header whose realm is ours is used.  On SB_AUTH_OK,
 * *user_idx is what lookup returned.  *why (never NULL on return) says what
 * was wrong, for the log; the SIP answer never says more than the verdict.
 * An unknown user costs the same hashing as a known one. */
enum sb_auth_verdict sb_auth_check(struct sb_auth *a, const struct sb_sip_msg *m,
				   const struct sb_sip_addr *src, uint64_t now_ms,
				   sb_auth_lookup_fn *lookup, void *lookup_arg, int *user_idx,
				   const char **why);

#endif
