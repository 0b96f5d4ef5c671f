/* SPDX-License-Identifier: MIT */
/*
 * srtp.c — SRTP/SRTCP transforms (see sb/srtp.h for the contract).
 *
 * Layouts (RFC 3711 3.1, 3.4; RFC 7714 8, 9, 11):
 *   SRTP AES-CM   hdr | E(payload) | tag(10|4)
 *                 tag = HMAC-SHA1(k_a, hdr | E(payload) | ROC)
 *                 IV  = k_s<<16 ^ SSRC<<64 ^ index<<16 (index = ROC<<16|SEQ)
 *   SRTP GCM      hdr | E(payload) | tag(16), AAD = hdr
 *                 IV  = (00 00 | SSRC | ROC | SEQ) ^ k_s
 *   SRTCP AES-CM  hdr8 | E(rest) | E=1|index31 | tag(10)
 *                 tag over hdr8 | E(rest) | E|index
 *   SRTCP GCM     hdr8 | E(rest) | tag(16) | E|index, AAD = hdr8 | E|index
 *                 IV  = (00 00 | SSRC | 00 00 | index) ^ k_s
 *                 E=0 (unprotect only): AAD = hdr8 | rest | E|index.
 *
 * Allocation: none past sb_srtp_create().  AES goes through one
 * EVP_CIPHER_CTX per key (RTP, RTCP) whose key schedule is set once: for
 * AES-CM an ECB context fed counter blocks built here (ctr_xor()), for GCM
 * a GCM context where EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, enc)
 * only loads the IV; OpenSSL 3.0 does neither with an allocation (measured
 * by tests/media/srtp_alloc_t.c).  HMAC-SHA1 is done here on
 * OpenSSL's SHA1 block functions: the inner and outer states after the
 * padded key are kept, and a packet copies them (a plain struct) — because
 * OpenSSL 3.0's EVP_MAC_init(NULL key) and EVP_DigestInit allocate per use
 * (EVP_MD_CTX_copy_ex dups the provider context).  SHA1_* is deprecated in
 * 3.0 but present, and uses the same SHA-NI/AVX2 code as EVP.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "sb/srtp.h"
#include "srtp_priv.h"

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

enum { KEY_LEN = 16, AUTH_KEY_LEN = 20, CM_SALT = 14, GCM_SALT = 12, GCM_TAG = 16 };
/* RFC 3711 4.3.1 labels */
enum { L_RTP_ENC = 0, L_RTP_AUTH, L_RTP_SALT, L_RTCP_ENC, L_RTCP_AUTH, L_RTCP_SALT };

struct hmac {        /* SHA-1 states after absorbing key^ipad / key^opad */
	SHA_CTX in, out;
};

struct stream {      /* one SSRC's state; see win_*() for the window */
	uint32_t ssrc;   /* network order, as in the packet */
	uint32_t used;
	uint64_t rtp_hi;     /* highest RTP index, ROC<<16 | SEQ */
	uint64_t rtp_win[2]; /* bit k: index rtp_hi - k seen */
	uint64_t rtcp_hi;    /* protect: last index sent; unprotect: highest seen */
	uint64_t rtcp_win[2];
};

struct sb_srtp {
	uint8_t prof;
	uint8_t aead;
	uint8_t rtp_tag, rtcp_tag;
	uint8_t rtp_salt[CM_SALT], rtcp_salt[CM_SALT]; /* GCM: first 12 used */
	EVP_CIPHER_CTX *rtp_c, *rtcp_c;                 /* key schedule set once */
	struct hmac rtp_mac, rtcp_mac;                  /* AES-CM only */
	struct sb_srtp_stats st;
	struct stream strm[SB_SRTP_MAX_SSRC];
};

/* ---- tables ---- */

static const struct { const char *name, *desc; int err; } err_tab[SB_SRTP_E_N] = {
#define _(n, e, d) [SB_SRTP_E_##n] = { #n, d, e },
	SB_SRTP_ERRS(_)
#undef _
};

const char *sb_srtp_err_name(enum sb_srtp_err e)
{
	return (unsigned)e < SB_SRTP_E_N ? err_tab[e].name : NULL;
}

const char *sb_srtp_err_desc(enum sb_srtp_err e)
{
	return (unsigned)e < SB_SRTP_E_N ? err_tab[e].desc : NULL;
}

enum sb_srtp_err sb_srtp_err_of(int rc)
{
	for (unsigned i = 0; i < SB_SRTP_E_N; i++)
		if (rc == -err_tab[i].err)
			return (enum sb_srtp_err)i;
	return SB_SRTP_E_N;
}

unsigned sb_srtp_key_len(enum sb_srtp_prof p)
{
	switch (p) {
	case SB_SRTP_PROF_AES_CM_128_HMAC_SHA1_80:
	case SB_SRTP_PROF_AES_CM_128_HMAC_SHA1_32:
		return KEY_LEN + CM_SALT;
	case SB_SRTP_PROF_AEAD_AES_128_GCM:
		return KEY_LEN + GCM_SALT;
	}
	return 0;
}

unsigned sb_srtp_tag_len(enum sb_srtp_prof p)
{
	switch (p) {
	case SB_SRTP_PROF_AES_CM_128_HMAC_SHA1_80: return 10;
	case SB_SRTP_PROF_AES_CM_128_HMAC_SHA1_32: return 4;
	case SB_SRTP_PROF_AEAD_AES_128_GCM:        return GCM_TAG;
	}
	return 0;
}

unsigned sb_srtcp_tag_len(enum sb_srtp_prof p)
{
	/* RFC 4568 6.2.2: _32 keeps the 80-bit tag on SRTCP */
	return p == SB_SRTP_PROF_AES_CM_128_HMAC_SHA1_32 ? 10 : sb_srtp_tag_len(p);
}

/* Count a refusal and return its -errno. */
static inline int fail(struct sb_srtp *s, enum sb_srtp_err e)
{
	s->st.err[e]++;
	return -err_tab[e].err;
}

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* ---- HMAC-SHA1 on precomputed pad states ---- */

static void hmac_init(struct hmac *h, const uint8_t key[AUTH_KEY_LEN])
{
	uint8_t pad[SHA_CBLOCK];

	memset(pad, 0x36, sizeof(pad));
	for (unsigned i = 0; i < AUTH_KEY_LEN; i++)
		pad[i] ^= key[i];
	SHA1_Init(&h->in);
	SHA1_Update(&h->in, pad, sizeof(pad));
	for (unsigned i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	SHA1_Init(&h->out);
	SHA1_Update(&h->out, pad, sizeof(pad));
	OPENSSL_cleanse(pad, sizeof(pad));
}

/* HMAC over a | b (b may be empty) into md[20]. */
static void hmac_sum(const struct hmac *h, const uint8_t *a, size_t an,
		     const uint8_t *b, size_t bn, uint8_t md[SHA_DIGEST_LENGTH])
{
	SHA_CTX c = h->in;

	SHA1_Update(&c, a, an);
	if (bn)
		SHA1_Update(&c, b, bn);
	SHA1_Final(md, &c);
	c = h->out;
	SHA1_Update(&c, md, SHA_DIGEST_LENGTH);
	SHA1_Final(md, &c);
	/* c now holds the outer hash (the MAC itself), nothing key-equivalent */
}

/* ---- key derivation (RFC 3711 4.3.1, KDR 0; RFC 7714 11 pads the 96-bit
 * salt with two zero bytes to the PRF's 112 bits) ---- */

static int kdf(const uint8_t mkey[KEY_LEN], const uint8_t salt14[CM_SALT], unsigned label,
	       uint8_t *out, unsigned n)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t iv[16] = { 0 };
	int ol, rc = -EIO;

	if (c == NULL)
		return -ENOMEM;
	memcpy(iv, salt14, CM_SALT);
	iv[7] ^= (uint8_t)label;           /* key_id = label || r, r = 0 (KDR 0) */
	memset(out, 0, n);
	if (EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, mkey, iv) == 1 &&
	    EVP_EncryptUpdate(c, out, &ol, out, (int)n) == 1 && ol == (int)n)
		rc = 0;
	EVP_CIPHER_CTX_free(c);
	return rc;
}

static EVP_CIPHER_CTX *cipher_new(bool aead, const uint8_t key[KEY_LEN])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

	if (c == NULL)
		return NULL;
	/* AES-CM runs as ECB over counter blocks built here (see cm_xor()) */
	if (EVP_CipherInit_ex(c, aead ? EVP_aes_128_gcm() : EVP_aes_128_ecb(), NULL, key,
			      NULL, 1) != 1 ||
	    (!aead && EVP_CIPHER_CTX_set_padding(c, 0) != 1)) {
		EVP_CIPHER_CTX_free(c);
		return NULL;
	}
	return c;
}

void sb_srtp_free(struct sb_srtp *s)
{
	if (s == NULL)
		return;
	EVP_CIPHER_CTX_free(s->rtp_c);
	EVP_CIPHER_CTX_free(s->rtcp_c);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

static struct sb_srtp *srtp_alloc(enum sb_srtp_prof p)
{
	struct sb_srtp *s;

	if (sb_srtp_key_len(p) == 0) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->prof = (uint8_t)p;
	s->aead = p == SB_SRTP_PROF_AEAD_AES_128_GCM;
	s->rtp_tag = (uint8_t)sb_srtp_tag_len(p);
	s->rtcp_tag = (uint8_t)sb_srtcp_tag_len(p);
	return s;
}

/* Install session keys; auth keys are ignored for AEAD. 0 or -EIO. */
static int srtp_set_keys(struct sb_srtp *s, const struct sb_srtp_session_keys *k)
{
	unsigned slen = s->aead ? GCM_SALT : CM_SALT;

	s->rtp_c = cipher_new(s->aead, k->rtp_key);
	s->rtcp_c = cipher_new(s->aead, k->rtcp_key);
	if (s->rtp_c == NULL || s->rtcp_c == NULL)
		return -EIO;
	memcpy(s->rtp_salt, k->rtp_salt, slen);
	memcpy(s->rtcp_salt, k->rtcp_salt, slen);
	if (!s->aead) {
		hmac_init(&s->rtp_mac, k->rtp_auth);
		hmac_init(&s->rtcp_mac, k->rtcp_auth);
	}
	return 0;
}

int sb_srtp_derive(const uint8_t *master_key, const uint8_t *master_salt, unsigned salt_len,
		   unsigned label, uint8_t *out, unsigned n)
{
	uint8_t salt14[CM_SALT] = { 0 };

	if (salt_len > CM_SALT || label > 0xff)
		return -EINVAL;
	memcpy(salt14, master_salt, salt_len);
	return kdf(master_key, salt14, label, out, n);
}

struct sb_srtp *sb_srtp_create_session(enum sb_srtp_prof p, const struct sb_srtp_session_keys *k)
{
	struct sb_srtp *s = srtp_alloc(p);

	if (s == NULL)
		return NULL;
	if (srtp_set_keys(s, k) < 0) {
		sb_srtp_free(s);
		errno = EIO;
		return NULL;
	}
	return s;
}

struct sb_srtp *sb_srtp_create(enum sb_srtp_prof p, const uint8_t *key, unsigned key_len)
{
	unsigned want = sb_srtp_key_len(p), slen = key_len - KEY_LEN;
	struct sb_srtp_session_keys k;
	struct sb_srtp *s;
	int rc;

	if (want == 0 || key_len != want || key == NULL) {
		errno = EINVAL;
		return NULL;
	}
	s = srtp_alloc(p);
	if (s == NULL)
		return NULL;
	/* GCM's 12-byte session salts: the first 12 bytes of the PRF output */
	rc = sb_srtp_derive(key, key + KEY_LEN, slen, L_RTP_ENC, k.rtp_key, KEY_LEN);
	if (rc == 0)
		rc = sb_srtp_derive(key, key + KEY_LEN, slen, L_RTP_AUTH, k.rtp_auth, AUTH_KEY_LEN);
	if (rc == 0)
		rc = sb_srtp_derive(key, key + KEY_LEN, slen, L_RTP_SALT, k.rtp_salt, CM_SALT);
	if (rc == 0)
		rc = sb_srtp_derive(key, key + KEY_LEN, slen, L_RTCP_ENC, k.rtcp_key, KEY_LEN);
	if (rc == 0)
		rc = sb_srtp_derive(key, key + KEY_LEN, slen, L_RTCP_AUTH, k.rtcp_auth, AUTH_KEY_LEN);
	if (rc == 0)
		rc = sb_srtp_derive(key, key + KEY_LEN, slen, L_RTCP_SALT, k.rtcp_salt, CM_SALT);
	if (rc == 0)
		rc = srtp_set_keys(s, &k);
	OPENSSL_cleanse(&k, sizeof(k));
	if (rc < 0) {
		sb_srtp_free(s);
		errno = -rc;
		return NULL;
	}
	return s;
}

void sb_srtp_stats(const struct sb_srtp *s, struct sb_srtp_stats *out)
{
	*out = s->st;
}

/* ---- streams, index estimation, replay window ---- */

/* The SSRC's slot, or NULL; *free_slot gets the first unused one (or NULL). */
static inline struct stream *stream_find(struct sb_srtp *s, uint32_t ssrc, struct stream **free_slot)
{
	*free_slot = NULL;
	for (unsigned i = 0; i < SB_SRTP_MAX_SSRC; i++) {
		struct stream *t = &s->strm[i];

		if (t->used && t->ssrc == ssrc)
			return t;
		if (!t->used && *free_slot == NULL)
			*free_slot = t;
	}
	return NULL;
}

int sb_srtp_roc(const struct sb_srtp *s, uint32_t ssrc, uint32_t *roc, uint16_t *seq)
{
	uint8_t b[4];
	uint32_t n;

	put_be32(b, ssrc);
	memcpy(&n, b, 4);
	for (unsigned i = 0; i < SB_SRTP_MAX_SSRC; i++)
		if (s->strm[i].used && s->strm[i].ssrc == n) {
			*roc = (uint32_t)(s->strm[i].rtp_hi >> 16);
			*seq = (uint16_t)s->strm[i].rtp_hi;
			return 0;
		}
	return -ENOENT;
}

/* RFC 3711 3.3.1 / Appendix A, as libsrtp 2 does it: until the highest
 * index passes 2^15 the ROC is taken as 0 (so a stream that starts with a
 * high SEQ is not read as ROC -1). */
static inline uint64_t index_guess(uint64_t hi, uint16_t seq)
{
	uint32_t roc = (uint32_t)(hi >> 16);
	int s_l = (uint16_t)hi;

	if (hi <= 0x8000)
		return seq;
	if (s_l < 0x8000) {
		if ((int)seq - s_l > 0x8000)
			roc--;
	} else if (s_l - 0x8000 > (int)seq) {
		roc++;
	}
	return (uint64_t)roc << 16 | seq;
}

/* Window: bit k of w (w[0] low) is set when index hi - k was accepted. */
static inline int win_check(uint64_t hi, const uint64_t w[2], uint64_t idx)
{
	uint64_t d;

	if (idx > hi)
		return 0;
	d = hi - idx;
	if (d >= SB_SRTP_WINDOW)
		return SB_SRTP_E_OLD + 1;
	if ((d < 64 ? w[0] >> d : w[1] >> (d - 64)) & 1)
		return SB_SRTP_E_REPLAY + 1;
	return 0;
}

static inline void win_add(uint64_t *hi, uint64_t w[2], uint64_t idx)
{
	uint64_t d;

	if (idx > *hi) {
		d = idx - *hi;
		if (d >= 128) {
			w[0] = w[1] = 0;
		} else if (d >= 64) {
			w[1] = w[0] << (d - 64);
			w[0] = 0;
		} else {
			w[1] = w[1] << d | w[0] >> (64 - d);
			w[0] <<= d;
		}
		w[0] |= 1;
		*hi = idx;
	} else {
		d = *hi - idx;
		if (d < 64)
			w[0] |= 1ull << d;
		else
			w[1] |= 1ull << (d - 64);
	}
}

/* RTP header length (fixed + CSRC + extension) within len, or 0. */
static inline unsigned rtp_hdr_len(const uint8_t *p, unsigned len)
{
	unsigned h;

	if (unlikely(len < 12 || (p[0] >> 6) != 2))
		return 0;
	h = 12 + 4u * (p[0] & 0x0f);
	if (p[0] & 0x10) {
		if (h + 4 > len)
			return 0;
		h += 4 + 4u * be16(p + h + 2);
	}
	return h <= len ? h : 0;
}

/* ---- AES ---- */

static inline void cm_iv(uint8_t iv[16], const uint8_t salt[CM_SALT], const uint8_t *ssrc,
			 uint32_t hi32, uint32_t lo32)
{
	/* (salt << 16) ^ (SSRC << 64) ^ (index << 16); index = hi32:lo32 as 48 bits */
	uint8_t t[8];

	memcpy(iv, salt, CM_SALT);
	iv[14] = iv[15] = 0;
	for (unsigned i = 0; i < 4; i++)
		iv[4 + i] ^= ssrc[i];
	put_be32(t, hi32);
	put_be32(t + 4, lo32);
	for (unsigned i = 0; i < 6; i++)
		iv[8 + i] ^= t[2 + i];
}

/* AES counter mode: XOR [p, p+n) with AES_k(iv), AES_k(iv+1), ...  The
 * counter blocks are built here and encrypted with one ECB call per chunk:
 * on OpenSSL 3.0 re-loading the IV of a CTR context (EVP_CipherInit_ex)
 * goes through the provider parameter code and costs more than the AES of
 * a 160-byte payload.  The counter is the whole 128-bit block, big-endian,
 * as RFC 3711 B.2 counts (so payloads past 2^16 blocks carry on). */
#define CM_CHUNK 32 /* blocks per ECB call (512 bytes of keystream on the stack) */

static inline int ctr_xor(EVP_CIPHER_CTX *c, const uint8_t iv[16], uint8_t *p, unsigned n)
{
	uint8_t ks[CM_CHUNK * 16];
	uint64_t hi, lo;   /* the counter in registers: a byte-wise increment in
			    * memory stalls store forwarding on every block */
	int ol;

	memcpy(&hi, iv, 8);
	memcpy(&lo, iv + 8, 8);
	hi = __builtin_bswap64(hi);
	lo = __builtin_bswap64(lo);
	while (n) {
		unsigned nb = (n + 15) / 16, take;

		if (nb > CM_CHUNK)
			nb = CM_CHUNK;
		for (unsigned b = 0; b < nb; b++) {
			uint64_t h = __builtin_bswap64(hi), l = __builtin_bswap64(lo);

			memcpy(ks + 16 * b, &h, 8);
			memcpy(ks + 16 * b + 8, &l, 8);
			if (++lo == 0)
				hi++;
		}
		if (unlikely(EVP_EncryptUpdate(c, ks, &ol, ks, (int)(16 * nb)) != 1 ||
			     ol != (int)(16 * nb)))
			return -1;
		take = n < 16 * nb ? n : 16 * nb;
		for (unsigned i = 0; i + 8 <= take; i += 8) {
			uint64_t a, k;

			memcpy(&a, p + i, 8);
			memcpy(&k, ks + i, 8);
			a ^= k;
			memcpy(p + i, &a, 8);
		}
		for (unsigned i = take & ~7u; i < take; i++)
			p[i] ^= ks[i];
		p += take;
		n -= take;
	}
	/* ks is not wiped: keystream is plaintext ^ ciphertext, not a key */
	return 0;
}

/* GCM seal (enc) or open (!enc) of [p, p+n) in place with aad; tag is
 * written (enc) or checked (!enc).  -1 cipher error, -2 tag mismatch. */
static inline int gcm(EVP_CIPHER_CTX *c, int enc, const uint8_t iv[12],
		      const uint8_t *aad, unsigned an, const uint8_t *aad2, unsigned an2,
		      uint8_t *p, unsigned n, uint8_t *tag)
{
	int ol;

	if (unlikely(EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, enc) != 1))
		return -1;
	if (!enc && unlikely(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, GCM_TAG, tag) != 1))
		return -1;
	if (unlikely(EVP_CipherUpdate(c, NULL, &ol, aad, (int)an) != 1))
		return -1;
	if (an2 && unlikely(EVP_CipherUpdate(c, NULL, &ol, aad2, (int)an2) != 1))
		return -1;
	if (n && unlikely(EVP_CipherUpdate(c, p, &ol, p, (int)n) != 1))
		return -1;
	if (EVP_CipherFinal_ex(c, p + n, &ol) != 1)
		return enc ? -1 : -2;
	if (enc && unlikely(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, GCM_TAG, tag) != 1))
		return -1;
	return 0;
}

static inline void gcm_iv(uint8_t iv[12], const uint8_t salt[GCM_SALT], const uint8_t *ssrc,
			  uint32_t mid, uint32_t lo)
{
	/* 00 00 | SSRC | mid(ROC, or 00 00 + ...) | lo ; RTP: mid=ROC, lo=SEQ<<16 */
	iv[0] = iv[1] = 0;
	memcpy(iv + 2, ssrc, 4);
	put_be32(iv + 6, mid);
	iv[10] = (uint8_t)(lo >> 8);
	iv[11] = (uint8_t)lo;
	for (unsigned i = 0; i < GCM_SALT; i++)
		iv[i] ^= salt[i];
}

/* ---- SRTP ---- */

int sb_srtp_protect(struct sb_srtp *s, uint8_t *pkt, unsigned len, unsigned cap)
{
	unsigned h = len <= SB_SRTP_MAX_LEN ? rtp_hdr_len(pkt, len) : 0;
	struct stream *t, *fr;
	uint32_t ssrc;
	uint64_t idx;
	int w;

	if (unlikely(h == 0))
		return fail(s, SB_SRTP_E_HDR);
	if (unlikely(cap < len || cap - len < s->rtp_tag))
		return fail(s, SB_SRTP_E_ROOM);
	memcpy(&ssrc, pkt + 8, 4);
	t = stream_find(s, ssrc, &fr);
	if (t == NULL) {
		if (fr == NULL)
			return fail(s, SB_SRTP_E_SSRC);
		t = fr;
		memset(t, 0, sizeof(*t));
		t->ssrc = ssrc;
		t->used = 1;
	}
	idx = index_guess(t->rtp_hi, be16(pkt + 2));
	w = win_check(t->rtp_hi, t->rtp_win, idx);
	if (unlikely(w))
		return fail(s, (enum sb_srtp_err)(w - 1));
	if (s->aead) {
		uint8_t iv[12];

		gcm_iv(iv, s->rtp_salt, pkt + 8, (uint32_t)(idx >> 16), (uint16_t)idx);
		if (unlikely(gcm(s->rtp_c, 1, iv, pkt, h, NULL, 0, pkt + h, len - h, pkt + len)))
			return fail(s, SB_SRTP_E_CIPHER);
	} else {
		uint8_t iv[16], roc[4], md[SHA_DIGEST_LENGTH];

		cm_iv(iv, s->rtp_salt, pkt + 8, (uint32_t)(idx >> 32), (uint32_t)idx);
		if (unlikely(ctr_xor(s->rtp_c, iv, pkt + h, len - h)))
			return fail(s, SB_SRTP_E_CIPHER);
		put_be32(roc, (uint32_t)(idx >> 16));
		hmac_sum(&s->rtp_mac, pkt, len, roc, 4, md);
		memcpy(pkt + len, md, s->rtp_tag);
	}
	win_add(&t->rtp_hi, t->rtp_win, idx);
	s->st.ok++;
	return (int)(len + s->rtp_tag);
}

int sb_srtp_unprotect(struct sb_srtp *s, uint8_t *pkt, unsigned len)
{
	unsigned tl = s->rtp_tag, h, n;
	struct stream *t, *fr, fresh;
	uint32_t ssrc;
	uint64_t idx;
	int w;

	if (unlikely(len < tl + 12 || len > SB_SRTP_MAX_LEN))
		return fail(s, SB_SRTP_E_HDR);
	n = len - tl;                   /* header + encrypted payload */
	h = rtp_hdr_len(pkt, n);
	if (unlikely(h == 0))
		return fail(s, SB_SRTP_E_HDR);
	memcpy(&ssrc, pkt + 8, 4);
	t = stream_find(s, ssrc, &fr);
	if (t == NULL) {
		if (fr == NULL)
			return fail(s, SB_SRTP_E_SSRC);
		/* a new SSRC takes its slot only once a packet authenticates */
		memset(&fresh, 0, sizeof(fresh));
		t = &fresh;
	}
	idx = index_guess(t->rtp_hi, be16(pkt + 2));
	w = win_check(t->rtp_hi, t->rtp_win, idx);
	if (unlikely(w))
		return fail(s, (enum sb_srtp_err)(w - 1));
	if (s->aead) {
		uint8_t iv[12];

		gcm_iv(iv, s->rtp_salt, pkt + 8, (uint32_t)(idx >> 16), (uint16_t)idx);
		w = gcm(s->rtp_c, 0, iv, pkt, h, NULL, 0, pkt + h, n - h, pkt + n);
		if (unlikely(w))
			return fail(s, w == -2 ? SB_SRTP_E_AUTH : SB_SRTP_E_CIPHER);
	} else {
		uint8_t iv[16], roc[4], md[SHA_DIGEST_LENGTH];

		put_be32(roc, (uint32_t)(idx >> 16));
		hmac_sum(&s->rtp_mac, pkt, n, roc, 4, md);
		if (CRYPTO_memcmp(md, pkt + n, tl) != 0)
			return fail(s, SB_SRTP_E_AUTH);
		cm_iv(iv, s->rtp_salt, pkt + 8, (uint32_t)(idx >> 32), (uint32_t)idx);
		if (unlikely(ctr_xor(s->rtp_c, iv, pkt + h, n - h)))
			return fail(s, SB_SRTP_E_CIPHER);
	}
	if (t == &fresh) {
		t = fr;
		*t = fresh;
		t->ssrc = ssrc;
		t->used = 1;
	}
	win_add(&t->rtp_hi, t->rtp_win, idx);
	s->st.ok++;
	return (int)n;
}

/* ---- SRTCP ---- */

int sb_srtcp_protect(struct sb_srtp *s, uint8_t *pkt, unsigned len, unsigned cap)
{
	unsigned tl = s->rtcp_tag;
	struct stream *t, *fr;
	uint8_t *trailer;
	uint32_t ssrc, idx;

	if (unlikely(len < 8 || len > SB_SRTP_MAX_LEN || (pkt[0] >> 6) != 2))
		return fail(s, SB_SRTP_E_HDR);
	if (unlikely(cap < len || cap - len < 4 + tl))
		return fail(s, SB_SRTP_E_ROOM);
	memcpy(&ssrc, pkt + 4, 4);
	t = stream_find(s, ssrc, &fr);
	if (t == NULL) {
		if (fr == NULL)
			return fail(s, SB_SRTP_E_SSRC);
		t = fr;
		memset(t, 0, sizeof(*t));
		t->ssrc = ssrc;
		t->used = 1;
	}
	if (unlikely(t->rtcp_hi >= 0x7fffffff))
		return fail(s, SB_SRTP_E_INDEX);
	idx = (uint32_t)t->rtcp_hi + 1;         /* libsrtp: the first index is 1 */
	if (s->aead) {
		uint8_t iv[12];

		trailer = pkt + len + GCM_TAG;
		put_be32(trailer, 0x80000000u | idx);
		gcm_iv(iv, s->rtcp_salt, pkt + 4, idx >> 16, idx & 0xffff);
		if (unlikely(gcm(s->rtcp_c, 1, iv, pkt, 8, trailer, 4, pkt + 8, len - 8, pkt + len)))
			return fail(s, SB_SRTP_E_CIPHER);
	} else {
		uint8_t iv[16], md[SHA_DIGEST_LENGTH];

		trailer = pkt + len;
		put_be32(trailer, 0x80000000u | idx);
		cm_iv(iv, s->rtcp_salt, pkt + 4, 0, idx);
		if (unlikely(ctr_xor(s->rtcp_c, iv, pkt + 8, len - 8)))
			return fail(s, SB_SRTP_E_CIPHER);
		hmac_sum(&s->rtcp_mac, pkt, len + 4, NULL, 0, md);
		memcpy(pkt + len + 4, md, tl);
	}
	t->rtcp_hi = idx;
	s->st.ok++;
	return (int)(len + 4 + tl);
}

int sb_srtcp_unprotect(struct sb_srtp *s, uint8_t *pkt, unsigned len)
{
	unsigned tl = s->rtcp_tag, n;
	struct stream *t, *fr, fresh;
	const uint8_t *trailer;
	uint32_t ssrc, e_idx, idx;
	int w;

	if (unlikely(len < 8 + 4 + tl || len > SB_SRTP_MAX_LEN || (pkt[0] >> 6) != 2))
		return fail(s, SB_SRTP_E_HDR);
	n = len - 4 - tl;                       /* header + (encrypted) rest */
	trailer = s->aead ? pkt + len - 4 : pkt + n;
	e_idx = be32(trailer);
	idx = e_idx & 0x7fffffff;
	memcpy(&ssrc, pkt + 4, 4);
	t = stream_find(s, ssrc, &fr);
	if (t == NULL) {
		if (fr == NULL)
			return fail(s, SB_SRTP_E_SSRC);
		memset(&fresh, 0, sizeof(fresh));
		t = &fresh;
	}
	w = win_check(t->rtcp_hi, t->rtcp_win, idx);
	if (unlikely(w))
		return fail(s, (enum sb_srtp_err)(w - 1));
	if (s->aead) {
		uint8_t iv[12];

		gcm_iv(iv, s->rtcp_salt, pkt + 4, idx >> 16, idx & 0xffff);
		if (e_idx >> 31) /* AAD = header | E|index; payload encrypted */
			w = gcm(s->rtcp_c, 0, iv, pkt, 8, trailer, 4, pkt + 8, n - 8, pkt + n);
		else             /* AAD = whole packet | E|index; nothing encrypted */
			w = gcm(s->rtcp_c, 0, iv, pkt, n, trailer, 4, pkt + n, 0, pkt + n);
		if (unlikely(w))
			return fail(s, w == -2 ? SB_SRTP_E_AUTH : SB_SRTP_E_CIPHER);
	} else {
		uint8_t iv[16], md[SHA_DIGEST_LENGTH];

		hmac_sum(&s->rtcp_mac, pkt, n + 4, NULL, 0, md);
		if (CRYPTO_memcmp(md, pkt + n + 4, tl) != 0)
			return fail(s, SB_SRTP_E_AUTH);
		cm_iv(iv, s->rtcp_salt, pkt + 4, 0, idx);
		if ((e_idx >> 31) && unlikely(ctr_xor(s->rtcp_c, iv, pkt + 8, n - 8)))
			return fail(s, SB_SRTP_E_CIPHER);
	}
	if (t == &fresh) {
		t = fr;
		*t = fresh;
		t->ssrc = ssrc;
		t->used = 1;
	}
	win_add(&t->rtcp_hi, t->rtcp_win, idx);
	s->st.ok++;
	return (int)n;
}
