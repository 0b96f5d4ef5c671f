/* SPDX-License-Identifier: MIT */
/*
 * sip/auth.c — digest hashes, stateless nonces and the replay table
 * (see auth.h for the nonce layout and why eviction is safe).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "sip/auth.h"

#define NONCE_RAW 24            /* 8 bytes stamp + 16 bytes MAC */
/* stamp = issued_ms << 16 | a 16-bit counter: two challenges to one source
 * in the same millisecond (agents behind one proxy or SBC, a batch read by
 * recvmmsg) get different nonces, so the first agent's nc=1 does not make
 * the second one's a "replay" */
#define NONCE_SEQ_BITS 16
#define NONCE_MAC 16
#define TABLE_DEFAULT 8192u
#define TABLE_PROBE 8u          /* slots looked at per nonce: bounded work */
/* An accepted request seen again with the same nc within a transaction's
 * lifetime (64*T1) is a retransmission, not a replay: it is let through so
 * that the transaction user answers it again (REGISTER is idempotent). */
#define RETRANSMIT_MS 32000u

struct nonce_slot {
	uint64_t key;           /* first 8 MAC bytes of the nonce; 0 = empty */
	uint64_t issued_ms;
	uint64_t accepted_ms;   /* when nc was accepted */
	uint32_t nc;            /* highest nc accepted (1 for qop-less use) */
	uint32_t req_hash;      /* of the request nc was accepted for */
};

struct sb_auth {
	struct sb_auth_cfg cfg;
	uint8_t secret[32];
	uint64_t ttl_ms;
	uint64_t floor_ms;      /* nonces issued at or before this and absent: stale */
	uint16_t seq;           /* low bits of the next nonce's stamp */
	unsigned mask;          /* slots - 1 */
	struct sb_auth_stats st;
	struct sb_auth_user dummy; /* hashed for unknown users: same cost, same answer */
	struct nonce_slot *slot;
	EVP_MAC_CTX *hmac;      /* HMAC-SHA256 keyed with secret, re-initialised per MAC */
};

/* ---- hashes ---- */

/* OpenSSL 3 looks a legacy EVP_sha256() up again on every init, which was
 * most of the cost of a check: fetch each algorithm once.  The loop thread
 * is the only user (as is the fuzzer's). */
static const EVP_MD *md_of(enum sb_auth_alg a)
{
	static EVP_MD *md[SB_AUTH_ALG_N];

	if (md[a] == NULL)
		md[a] = EVP_MD_fetch(NULL, a == SB_AUTH_SHA256 ? "SHA256" : "MD5", NULL);
	if (md[a] == NULL)
		abort(); /* libcrypto without MD5/SHA-256: nothing sane to answer */
	return md[a];
}

static void to_hex(const uint8_t *d, unsigned n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[2 * n] = '\0';
}

/* H() over several pieces joined by ':' */
static void hash_join(enum sb_auth_alg a, const struct sb_str *parts, unsigned n, char *out)
{
	static EVP_MD_CTX *x; /* reused: see md_of() */
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned dl = 0;

	if (x == NULL)
		x = EVP_MD_CTX_new();
	if (x == NULL || EVP_DigestInit_ex(x, md_of(a), NULL) != 1)
		abort(); /* libcrypto out of memory: nothing sane to answer */
	for (unsigned i = 0; i < n; i++) {
		if (i)
			EVP_DigestUpdate(x, ":", 1);
		if (parts[i].len)
			EVP_DigestUpdate(x, parts[i].p, parts[i].len);
	}
	EVP_DigestFinal_ex(x, d, &dl);
	to_hex(d, dl, out);
}

static struct sb_str cs(const char *s)
{
	return (struct sb_str){ s, (uint32_t)strlen(s) };
}

void sb_auth_hash_hex(enum sb_auth_alg a, const void *data, size_t len, char *out)
{
	struct sb_str s = { data, (uint32_t)len };

	hash_join(a, &s, 1, out);
}

void sb_auth_ha1(enum sb_auth_alg a, const char *user, const char *realm, const char *password,
		 char *out)
{
	struct sb_str p[3] = { cs(user), cs(realm), cs(password) };

	hash_join(a, p, 3, out);
}

void sb_auth_response(enum sb_auth_alg a, const char *ha1_hex, struct sb_str method,
		      const struct sb_auth_cred *c, char *out)
{
	char ha2[SB_AUTH_HEX_MAX];
	struct sb_str a2[2] = { method, c->uri };

	hash_join(a, a2, 2, ha2);
	if (c->has_qop) {
		struct sb_str r[6] = { cs(ha1_hex), c->nonce, c->nc, c->cnonce, c->qop, cs(ha2) };
		hash_join(a, r, 6, out);
	} else {
		struct sb_str r[3] = { cs(ha1_hex), c->nonce, cs(ha2) };
		hash_join(a, r, 3, out);
	}
}

/* ---- nonces ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_encode24(const uint8_t in[NONCE_RAW], char out[SB_AUTH_NONCE_LEN + 1])
{
	for (unsigned i = 0, o = 0; i < NONCE_RAW; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	out[SB_AUTH_NONCE_LEN] = '\0';
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

static int b64_decode24(struct sb_str s, uint8_t out[NONCE_RAW])
{
	if (s.len != SB_AUTH_NONCE_LEN)
		return -1;
	for (unsigned i = 0, o = 0; i < SB_AUTH_NONCE_LEN; i += 4) {
		uint32_t v = 0;

		for (unsigned j = 0; j < 4; j++) {
			int d = b64_val(s.p[i + j]);

			if (d < 0)
				return -1;
			v = v << 6 | (uint32_t)d;
		}
		out[o++] = (uint8_t)(v >> 16);
		out[o++] = (uint8_t)(v >> 8);
		out[o++] = (uint8_t)v;
	}
	return 0;
}

static void hmac(struct sb_auth *a, const uint8_t *msg, size_t n, uint8_t mac[32])
{
	size_t ml = 0;

	/* NULL key: the one set at create time */
	if (EVP_MAC_init(a->hmac, NULL, 0, NULL) != 1 || EVP_MAC_update(a->hmac, msg, n) != 1 ||
	    EVP_MAC_final(a->hmac, mac, &ml, 32) != 1 || ml != 32)
		abort();
}

static void nonce_mac(struct sb_auth *a, uint64_t stamp, const struct sb_sip_addr *src,
		      uint8_t mac[32])
{
	uint8_t msg[8 + 4 + 2 + SB_AUTH_REALM_MAX];
	size_t rl = strlen(a->cfg.realm), n = 0;

	for (int i = 7; i >= 0; i--)
		msg[n++] = (uint8_t)(stamp >> (8 * i));
	memcpy(msg + n, &src->ip, 4); /* network order as received */
	n += 4;
	msg[n++] = (uint8_t)(src->port >> 8);
	msg[n++] = (uint8_t)src->port;
	memcpy(msg + n, a->cfg.realm, rl);
	n += rl;
	hmac(a, msg, n, mac);
}

static void nonce_make(struct sb_auth *a, const struct sb_sip_addr *src, uint64_t now_ms,
		       char out[SB_AUTH_NONCE_LEN + 1])
{
	uint8_t raw[NONCE_RAW], mac[32];
	uint64_t stamp = now_ms << NONCE_SEQ_BITS | a->seq++;

	for (int i = 0; i < 8; i++)
		raw[i] = (uint8_t)(stamp >> (8 * (7 - i)));
	nonce_mac(a, stamp, src, mac);
	memcpy(raw + 8, mac, NONCE_MAC);
	b64_encode24(raw, out);
}

void sb_auth_nonce(struct sb_auth *a, const struct sb_sip_addr *src, uint64_t now_ms,
		   char out[SB_AUTH_NONCE_LEN + 1])
{
	nonce_make(a, src, now_ms, out);
}

/* 0 and *issued, *key when the nonce is ours and was issued to src, else -1. */
static int nonce_open(struct sb_auth *a, struct sb_str nonce, const struct sb_sip_addr *src,
		      uint64_t *issued, uint64_t *key)
{
	uint8_t raw[NONCE_RAW], mac[32];
	uint64_t t = 0, k = 0;

	if (b64_decode24(nonce, raw) < 0)
		return -1;
	for (int i = 0; i < 8; i++)
		t = t << 8 | raw[i];
	nonce_mac(a, t, src, mac);
	if (CRYPTO_memcmp(mac, raw + 8, NONCE_MAC) != 0)
		return -1;
	for (int i = 0; i < 8; i++)
		k = k << 8 | raw[8 + i];
	*issued = t >> NONCE_SEQ_BITS;
	*key = k ? k : 1; /* 0 marks an empty slot */
	return 0;
}

/* ---- replay table ---- */

static bool slot_live(const struct sb_auth *a, const struct nonce_slot *s, uint64_t now_ms)
{
	return s->key && s->issued_ms + a->ttl_ms > now_ms;
}

static struct nonce_slot *table_find(struct sb_auth *a, uint64_t key, uint64_t now_ms)
{
	for (unsigned i = 0; i < TABLE_PROBE; i++) {
		struct nonce_slot *s = &a->slot[(key + i) & a->mask];

		if (s->key == key && slot_live(a, s, now_ms))
			return s;
	}
	return NULL;
}

static struct nonce_slot *table_insert(struct sb_auth *a, uint64_t key, uint64_t issued_ms,
				       uint64_t now_ms)
{
	struct nonce_slot *victim = NULL;

	for (unsigned i = 0; i < TABLE_PROBE; i++) {
		struct nonce_slot *s = &a->slot[(key + i) & a->mask];

		if (!slot_live(a, s, now_ms)) {
			victim = s;
			break;
		}
		if (victim == NULL || s->issued_ms < victim->issued_ms)
			victim = s;
	}
	if (slot_live(a, victim, now_ms) && victim->issued_ms > a->floor_ms)
		a->floor_ms = victim->issued_ms; /* see auth.h: eviction stays safe */
	memset(victim, 0, sizeof(*victim));
	victim->key = key;
	victim->issued_ms = issued_ms;
	return victim;
}

/* FNV-1a over what identifies one transaction: Call-ID, CSeq, method, branch. */
static uint32_t req_hash(const struct sb_sip_msg *m)
{
	struct sb_str via = sb_sip_msg_hdr(m, SB_HDR_VIA);
	uint32_t h = 2166136261u;
	const struct sb_str parts[2] = { m->call_id, via };

	for (unsigned k = 0; k < 2; k++)
		for (uint32_t i = 0; i < parts[k].len; i++)
			h = (h ^ (uint8_t)parts[k].p[i]) * 16777619u;
	h = (h ^ m->cseq) * 16777619u;
	h = (h ^ (uint32_t)m->method) * 16777619u;
	return h;
}

/* ---- lifecycle ---- */

struct sb_auth *sb_auth_create(const struct sb_auth_cfg *cfg, const uint8_t secret[32],
			       unsigned table_slots, uint64_t now_ms)
{
	struct sb_auth *a;

	if (table_slots == 0)
		table_slots = TABLE_DEFAULT;
	if (cfg->nonce_ttl_s == 0 || cfg->nonce_ttl_s > SB_AUTH_MAX_TTL_S || cfg->n_algs == 0 ||
	    cfg->n_algs > SB_AUTH_ALG_N || table_slots < 16 || (table_slots & (table_slots - 1)) ||
	    strlen(cfg->realm) == 0 || strlen(cfg->realm) >= SB_AUTH_REALM_MAX) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->slot = calloc(table_slots, sizeof(*a->slot));
	if (a->slot == NULL)
		goto out_free;
	a->cfg = *cfg;
	a->ttl_ms = (uint64_t)cfg->nonce_ttl_s * 1000u;
	a->mask = table_slots - 1;
	/* nonces from before this process (same configured secret) are stale:
	 * the table that knew their nc is gone */
	a->floor_ms = now_ms;
	if (secret) {
		memcpy(a->secret, secret, sizeof(a->secret));
	} else if (getrandom(a->secret, sizeof(a->secret), 0) != (ssize_t)sizeof(a->secret)) {
		goto out_free;
	}
	{
		EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
		OSSL_PARAM p[2] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
								     (char *)"SHA256", 0),
				    OSSL_PARAM_construct_end() };

		a->hmac = m ? EVP_MAC_CTX_new(m) : NULL;
		EVP_MAC_free(m); /* the context keeps its own reference */
		if (a->hmac == NULL || EVP_MAC_init(a->hmac, a->secret, sizeof(a->secret), p) != 1) {
			errno = ENOMEM;
			goto out_free;
		}
	}
	/* a random HA1 per algorithm for users that do not exist */
	for (unsigned i = 0; i < SB_AUTH_ALG_N; i++) {
		uint8_t msg[4] = { 'u', 's', 'r', (uint8_t)i }, mac[32];

		hmac(a, msg, sizeof(msg), mac);
		to_hex(mac, sb_auth_alg_len((enum sb_auth_alg)i), a->dummy.ha1[i]);
	}
	return a;

out_free: {
		int e = errno;

		EVP_MAC_CTX_free(a->hmac);
		free(a->slot);
		free(a);
		errno = e;
		return NULL;
	}
}

void sb_auth_free(struct sb_auth *a)
{
	if (a == NULL)
		return;
	OPENSSL_cleanse(a->secret, sizeof(a->secret));
	EVP_MAC_CTX_free(a->hmac);
	free(a->slot);
	free(a);
}

const struct sb_auth_cfg *sb_auth_cfg_of(const struct sb_auth *a)
{
	return &a->cfg;
}

const struct sb_auth_stats *sb_auth_stats(const struct sb_auth *a)
{
	return &a->st;
}

void sb_auth_challenge(struct sb_auth *a, struct sb_buf *b, const struct sb_sip_addr *src,
		       uint64_t now_ms, bool stale)
{
	char nonce[SB_AUTH_NONCE_LEN + 1];

	nonce_make(a, src, now_ms, nonce);
	a->st.challenges++;
	/* RFC 8760 §2.4: one header per algorithm, most preferred first */
	for (unsigned i = 0; i < a->cfg.n_algs; i++)
		sb_buf_printf(b,
			      "WWW-Authenticate: Digest realm=\"%s\", nonce=\"%s\", "
			      "algorithm=%s, qop=\"auth\"%s\r\n",
			      a->cfg.realm, nonce, sb_auth_alg_name((enum sb_auth_alg)a->cfg.algs[i]),
			      stale ? ", stale=true" : "");
}

static bool alg_offered(const struct sb_auth *a, int alg)
{
	for (unsigned i = 0; i < a->cfg.n_algs; i++)
		if (a->cfg.algs[i] == alg)
			return true;
	return false;
}

enum sb_auth_verdict sb_auth_check(struct sb_auth *a, const struct sb_sip_msg *m,
				   const struct sb_sip_addr *src, uint64_t now_ms,
				   sb_auth_lookup_fn *lookup, void *lookup_arg, int *user_idx,
				   const char **why)
{
	struct sb_auth_cred c;
	const struct sb_auth_user *u;
	const char *ha1, *perr = NULL;
	char want[SB_AUTH_HEX_MAX];
	struct nonce_slot *s;
	uint64_t issued, key;
	bool found = false, right;
	int idx = -1;

	*why = "no Authorization header";
	for (unsigned i = 0; i < m->n_hdrs; i++) {
		if (m->hdrs[i].id != SB_HDR_AUTHORIZATION)
			continue;
		if (sb_auth_parse(m->hdrs[i].value, &c, &perr) < 0) {
			a->st.malformed++;
			*why = perr;
			return SB_AUTH_BAD;
		}
		if (sb_str_eq(c.realm, a->cfg.realm)) {
			found = true;
			break;
		}
		*why = "Authorization for another realm";
	}
	if (!found)
		return SB_AUTH_CHALLENGE;
	if (c.alg < 0 || !alg_offered(a, c.alg)) {
		*why = "algorithm not offered";
		return SB_AUTH_CHALLENGE;
	}
	if (!c.has_qop && !(c.alg == SB_AUTH_MD5 && a->cfg.md5_without_qop)) {
		*why = "response without qop (RFC 2069) is not allowed";
		a->st.forbidden++;
		return SB_AUTH_FORBIDDEN;
	}
	/* RFC 7616 §3.4.6: the uri must name the request's target */
	if (!sb_str_eq_str(c.uri, m->ruri)) {
		a->st.malformed++;
		*why = "Authorization uri does not match the Request-URI";
		return SB_AUTH_BAD;
	}
	if (nonce_open(a, c.nonce, src, &issued, &key) < 0 || issued > now_ms) {
		a->st.bad_nonce++;
		*why = "nonce not ours, or issued to another address";
		return SB_AUTH_CHALLENGE;
	}

	/* unknown users are hashed against a dummy secret: same time, same 403 */
	u = lookup(lookup_arg, c.username, &idx);
	ha1 = u ? u->ha1[c.alg] : a->dummy.ha1[c.alg];
	if (ha1[0] == '\0')
		ha1 = a->dummy.ha1[c.alg];
	sb_auth_response((enum sb_auth_alg)c.alg, ha1, m->method_name, &c, want);
	right = CRYPTO_memcmp(want, c.response.p, c.response.len) == 0 && u && u->ha1[c.alg][0];
	/* the response is hex and the comparison is case-sensitive: clients send
	 * lower case (RFC 7616 §3.4.1 LHEX) */
	if (!right) {
		a->st.forbidden++;
		*why = u ? "wrong password" : "unknown user";
		return SB_AUTH_FORBIDDEN;
	}
	if (now_ms - issued >= a->ttl_ms) {
		a->st.stale++;
		*why = "nonce expired";
		return SB_AUTH_STALE;
	}

	s = table_find(a, key, now_ms);
	if (s == NULL) {
		if (issued <= a->floor_ms) {
			a->st.stale++;
			*why = "nonce older than the replay table";
			return SB_AUTH_STALE;
		}
	} else {
		uint32_t nc = c.has_qop ? c.nc_val : 1;

		if (nc <= s->nc) {
			if (nc == s->nc && s->req_hash == req_hash(m) &&
			    now_ms - s->accepted_ms < RETRANSMIT_MS) {
				a->st.retransmits++;
				*why = "retransmission";
				*user_idx = idx;
				return SB_AUTH_OK;
			}
			a->st.replays++;
			*why = "nonce count already used (replay)";
			/* a qop-less client cannot count: make it fetch a new nonce */
			return c.has_qop ? SB_AUTH_REPLAY : SB_AUTH_STALE;
		}
	}
	if (s == NULL)
		s = table_insert(a, key, issued, now_ms);
	s->nc = c.has_qop ? c.nc_val : 1;
	s->req_hash = req_hash(m);
	s->accepted_ms = now_ms;
	a->st.ok++;
	*why = "ok";
	*user_idx = idx;
	return SB_AUTH_OK;
}
