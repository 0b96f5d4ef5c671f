/* SPDX-License-Identifier: MIT */
/*
 * srtp_vectors_t — known answers from the RFCs, through media/srtp.c:
 *   RFC 3711 B.3  session key, salt and auth key from the master key
 *                 (KDR 0), and then a whole SRTP packet protected with the
 *                 derived keys checked against one built here with
 *                 OpenSSL's one-shot AES-CTR and HMAC from the B.3 values;
 *   RFC 3711 B.2  the AES-CM keystream, blocks 0-2 and 0xfeff-0xff01
 *                 (a 1 MiB payload, so the counter carries past 16 bits);
 *   RFC 7714 16.1 AEAD_AES_128_GCM SRTP protect and unprotect;
 *   RFC 7714 17.1 AEAD_AES_128_GCM SRTCP unprotect, and protect at SRTCP
 *                 index 0x5d4 (reached by protecting 0x5d3 packets first).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sb/srtp.h"
#include "srtp_priv.h"
#include "test.h"

static unsigned unhex(const char *s, uint8_t *out)
{
	unsigned n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

static void expect_hex(const char *what, const uint8_t *got, unsigned n, const char *hex)
{
	uint8_t want[256];
	unsigned wn = unhex(hex, want);

	if (wn != n || memcmp(got, want, n) != 0) {
		fprintf(stderr, "%s: mismatch\n  got  ", what);
		for (unsigned i = 0; i < n; i++)
			fprintf(stderr, "%02x", got[i]);
		fprintf(stderr, "\n  want %s\n", hex);
		exit(1);
	}
	printf("ok  %s\n", what);
}

static const char *B3_MKEY = "E1F97A0D3E018BE0D64FA32C06DE4139";
static const char *B3_MSALT = "0EC675AD498AFEEBB6960B3AABE6";
static const char *B3_KEY = "C61E7A93744F39EE10734AFE3FF7A087";
static const char *B3_SALT = "30CBBC08863D8C85D49DB34A9AE1";
static const char *B3_AUTH = "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4";

static void b3(void)
{
	uint8_t mk[30], out[32], key[16], salt[14], auth[20], pkt[256], ref[256], iv[16], md[20];
	unsigned mlen = unhex(B3_MKEY, mk), ms = unhex(B3_MSALT, mk + mlen), md_len, n = 172;
	EVP_CIPHER_CTX *c;
	int ol, len;
	struct sb_srtp *s;

	T_ASSERT(mlen == 16 && ms == 14);
	T_ASSERT(sb_srtp_derive(mk, mk + 16, 14, 0, out, 16) == 0);
	expect_hex("RFC 3711 B.3 cipher key", out, 16, B3_KEY);
	T_ASSERT(sb_srtp_derive(mk, mk + 16, 14, 2, out, 14) == 0);
	expect_hex("RFC 3711 B.3 cipher salt", out, 14, B3_SALT);
	T_ASSERT(sb_srtp_derive(mk, mk + 16, 14, 1, out, 20) == 0);
	expect_hex("RFC 3711 B.3 auth key", out, 20, B3_AUTH);

	/* a packet: SSRC 0xdecafbad, SEQ 0x1234 (ROC 0), 160-byte payload */
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x80; pkt[1] = 0x00; pkt[2] = 0x12; pkt[3] = 0x34;
	pkt[8] = 0xde; pkt[9] = 0xca; pkt[10] = 0xfb; pkt[11] = 0xad;
	for (unsigned i = 12; i < n; i++)
		pkt[i] = (uint8_t)(i * 7);
	memcpy(ref, pkt, n);
	s = sb_srtp_create(SB_SRTP_PROF_AES_CM_128_HMAC_SHA1_80, mk, 30);
	T_ASSERT(s != NULL);
	len = sb_srtp_protect(s, pkt, n, sizeof(pkt));
	T_ASSERT_EQ_U64(len, n + 10);

	/* the same by hand from the B.3 session keys (RFC 3711 4.1.1, 4.2) */
	unhex(B3_KEY, key);
	unhex(B3_SALT, salt);
	unhex(B3_AUTH, auth);
	memset(iv, 0, sizeof(iv));
	memcpy(iv, salt, 14);
	iv[4] ^= 0xde; iv[5] ^= 0xca; iv[6] ^= 0xfb; iv[7] ^= 0xad;
	iv[12] ^= 0x12; iv[13] ^= 0x34;
	c = EVP_CIPHER_CTX_new();
	T_ASSERT(EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, key, iv) == 1);
	T_ASSERT(EVP_EncryptUpdate(c, ref + 12, &ol, ref + 12, (int)n - 12) == 1);
	EVP_CIPHER_CTX_free(c);
	memset(ref + n, 0, 4);                         /* ROC */
	T_ASSERT(HMAC(EVP_sha1(), auth, 20, ref, n + 4, md, &md_len) != NULL);
	memcpy(ref + n, md, 10);
	T_ASSERT(memcmp(pkt, ref, n + 10) == 0);
	printf("ok  RFC 3711 B.3 keys used end to end (SRTP packet = AES-CTR + HMAC by hand)\n");
	sb_srtp_free(s);
}

static void b2(void)
{
	struct sb_srtp_session_keys k;
	unsigned blocks = 0x10002, n = 12 + 16 * blocks;
	uint8_t *pkt = calloc(1, n + 16);
	struct sb_srtp *s;

	memset(&k, 0, sizeof(k));
	unhex("2B7E151628AED2A6ABF7158809CF4F3C", k.rtp_key);
	unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD", k.rtp_salt);
	memcpy(k.rtcp_key, k.rtp_key, 16);
	s = sb_srtp_create_session(SB_SRTP_PROF_AES_CM_128_HMAC_SHA1_80, &k);
	T_ASSERT(s != NULL && pkt != NULL);
	pkt[0] = 0x80;                                 /* SSRC 0, SEQ 0, ROC 0 */
	T_ASSERT_EQ_U64(sb_srtp_protect(s, pkt, n, n + 16), n + 10);
	expect_hex("RFC 3711 B.2 keystream block 0x0000", pkt + 12, 16, "E03EAD0935C95E80E166B16DD92B4EB4");
	expect_hex("RFC 3711 B.2 keystream block 0x0001", pkt + 12 + 16, 16, "D23513162B02D0F72A43A2FE4A5F97AB");
	expect_hex("RFC 3711 B.2 keystream block 0x0002", pkt + 12 + 32, 16, "41E95B3BB0A2E8DD477901E4FCA894C0");
	expect_hex("RFC 3711 B.2 keystream block 0xfeff", pkt + 12 + 16 * 0xfeff, 16, "EC8CDF7398607CB0F2D21675EA9EA1E4");
	expect_hex("RFC 3711 B.2 keystream block 0xff00", pkt + 12 + 16 * 0xff00, 16, "362B7C3C6773516318A077D7FC5073AE");
	expect_hex("RFC 3711 B.2 keystream block 0xff01", pkt + 12 + 16 * 0xff01, 16, "6A2CC3787889374FBEB4C81B17BA6C44");
	sb_srtp_free(s);
	free(pkt);
}

static const char *G_RTP =
	"8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976"
	"69736120 696e2070 61727465 73207472 6573";
static const char *G_SRTP =
	"8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5"
	"0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce";
static const char *G_RTCP =
	"81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61"
	"deadbeef deadbeef deadbeef deadbeef deadbeef";
static const char *G_SRTCP =
	"81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d"
	"c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872"
	"45d9eade 800005d4";

static struct sb_srtp *gcm_ctx(void)
{
	struct sb_srtp_session_keys k;
	struct sb_srtp *s;

	memset(&k, 0, sizeof(k));
	unhex("000102030405060708090a0b0c0d0e0f", k.rtp_key);
	unhex("517569642070726f2071756f", k.rtp_salt);
	memcpy(k.rtcp_key, k.rtp_key, 16);
	memcpy(k.rtcp_salt, k.rtp_salt, 12);
	s = sb_srtp_create_session(SB_SRTP_PROF_AEAD_AES_128_GCM, &k);
	T_ASSERT(s != NULL);
	return s;
}

static void rfc7714(void)
{
	uint8_t p[256], plain[256], tmp[256];
	struct sb_srtp *o = gcm_ctx(), *u = gcm_ctx();
	unsigned n = unhex(G_RTP, p), sn;
	int len;

	memcpy(plain, p, n);
	len = sb_srtp_protect(o, p, n, sizeof(p));
	T_ASSERT(len > 0);
	expect_hex("RFC 7714 16.1 AEAD_AES_128_GCM SRTP protect", p, (unsigned)len, G_SRTP);
	len = sb_srtp_unprotect(u, p, (unsigned)len);
	T_ASSERT_EQ_U64(len, n);
	T_ASSERT(memcmp(p, plain, n) == 0);
	printf("ok  RFC 7714 16.1 AEAD_AES_128_GCM SRTP unprotect\n");

	/* SRTCP: unprotect the RFC's packet in a fresh context */
	sn = unhex(G_SRTCP, p);
	n = unhex(G_RTCP, plain);
	memcpy(tmp, p, sn);
	tmp[20] ^= 1;
	T_ASSERT_EQ_U64(sb_srtcp_unprotect(u, tmp, sn), -EBADMSG);
	len = sb_srtcp_unprotect(u, p, sn);
	T_ASSERT_EQ_U64(len, n);
	T_ASSERT(memcmp(p, plain, n) == 0);
	printf("ok  RFC 7714 17.1 AEAD_AES_128_GCM SRTCP unprotect (index 0x5d4)\n");
	/* protect: the first SRTCP index is 1, so 0x5d3 packets come first */
	for (unsigned i = 1; i < 0x5d4; i++) {
		memcpy(tmp, plain, n);
		T_ASSERT(sb_srtcp_protect(o, tmp, n, sizeof(tmp)) > 0);
	}
	memcpy(p, plain, n);
	len = sb_srtcp_protect(o, p, n, sizeof(p));
	T_ASSERT(len > 0);
	expect_hex("RFC 7714 17.1 AEAD_AES_128_GCM SRTCP protect (index 0x5d4)", p, (unsigned)len, G_SRTCP);
	sb_srtp_free(o);
	sb_srtp_free(u);
}

int main(void)
{
	b3();
	b2();
	rfc7714();
	return 0;
}
