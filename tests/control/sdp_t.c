/* SPDX-License-Identifier: MIT */
/* sdp_t — RFC 4566 parser and writer: several m= lines, session and media
 * c= (IPv4, IPv6), rtpmap/fmtp/ptime/maxptime, a=rtcp (RFC 3605),
 * rtcp-mux, directions, a=crypto (RFC 4568 vectors: suites, key length,
 * base64, lifetime, MKI), round trips parse -> write -> parse, a writer
 * that stops at its buffer's end, and errors naming what is wrong. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sdp.h"
#include "test.h"

static char *heap;

/* parse from an exact-size heap copy: ASan catches any read past the end */
static int parse(const char *s, struct sb_sdp *d, const char **why)
{
	size_t n = strlen(s);

	free(heap);
	heap = malloc(n ? n : 1);
	memcpy(heap, s, n);
	return sb_sdp_parse(heap, heap + n, d, why);
}

static void bad(const char *s, const char *why_part)
{
	struct sb_sdp d;
	const char *why = NULL;

	if (parse(s, &d, &why) == 0 || why == NULL || strstr(why, why_part) == NULL) {
		fprintf(stderr, "expected '%s', got '%s' for:\n%s\n", why_part, why ? why : "-", s);
		exit(1);
	}
}

#define HEAD "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"

static void same_media(const struct sb_sdp_media *a, const struct sb_sdp_media *b)
{
	T_ASSERT(a->type == b->type && a->proto == b->proto && a->dir == b->dir);
	T_ASSERT(a->port == b->port && a->n_ports == b->n_ports && a->rtcp_port == b->rtcp_port);
	T_ASSERT(a->rtcp_mux == b->rtcp_mux && a->ptime == b->ptime && a->maxptime == b->maxptime);
	T_ASSERT(a->c.family == b->c.family && a->c.ip4 == b->c.ip4 &&
		 memcmp(a->c.ip6, b->c.ip6, 16) == 0);
	T_ASSERT(a->n_pts == b->n_pts && memcmp(a->pts, b->pts, a->n_pts) == 0);
	T_ASSERT(a->n_rtpmap == b->n_rtpmap);
	for (unsigned i = 0; i < a->n_rtpmap; i++) {
		T_ASSERT(a->rtpmap[i].pt == b->rtpmap[i].pt && a->rtpmap[i].rate == b->rtpmap[i].rate);
		T_ASSERT(a->rtpmap[i].codec == b->rtpmap[i].codec);
		T_ASSERT(sb_str_eq_str(a->rtpmap[i].enc, b->rtpmap[i].enc));
		T_ASSERT(sb_str_eq_str(a->rtpmap[i].fmtp, b->rtpmap[i].fmtp));
	}
	T_ASSERT(a->n_crypto == b->n_crypto);
	for (unsigned i = 0; i < a->n_crypto; i++) {
		T_ASSERT(a->crypto[i].tag == b->crypto[i].tag && a->crypto[i].suite == b->crypto[i].suite);
		T_ASSERT(a->crypto[i].key_len == b->crypto[i].key_len &&
			 memcmp(a->crypto[i].key, b->crypto[i].key, a->crypto[i].key_len) == 0);
		T_ASSERT(a->crypto[i].lifetime == b->crypto[i].lifetime &&
			 a->crypto[i].mki == b->crypto[i].mki && a->crypto[i].mki_len == b->crypto[i].mki_len);
	}
}

/* parse(write(parse(s))) == parse(s) */
static void round_trip(const char *s)
{
	static struct sb_sdp d, d2;
	char mem[8192];
	struct sb_buf b;

	T_ASSERT(parse(s, &d, NULL) == 0);
	sb_buf_init(&b, mem, sizeof(mem));
	sb_sdp_write(&b, &d);
	T_ASSERT(sb_buf_ok(&b));
	T_ASSERT(sb_sdp_parse(b.p, b.p + b.len, &d2, NULL) == 0);
	T_ASSERT(d.n_media == d2.n_media && d.sess_id == d2.sess_id && d.sess_ver == d2.sess_ver);
	for (unsigned i = 0; i < d.n_media; i++)
		same_media(&d.m[i], &d2.m[i]);
}

static const uint8_t rfc4568_key[30] = {
	0x3d, 0x2d, 0x6e, 0x40, 0x25, 0x5e, 0x78, 0x21, 0x42, 0x6a, 0x75, 0x66, 0x72, 0x39, 0x29,
	0x3f, 0x2c, 0x23, 0x35, 0x68, 0x5c, 0x60, 0x3d, 0x26, 0x5d, 0x7b, 0x71, 0x69, 0x50, 0x51,
};

static void crypto_vectors(void)
{
	static struct sb_sdp d;
	const struct sb_sdp_crypto *k;
	uint8_t raw[64], back[64];
	char mem[128];
	struct sb_buf b;

	/* RFC 4568 section 4 example: lifetime 2^20, MKI 1 of 4 bytes */
	T_ASSERT(parse(HEAD "m=audio 49170 RTP/SAVP 0\r\n"
		       "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
		       "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4 FEC_ORDER=FEC_SRTP\r\n"
		       "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|1048576\r\n"
		       "a=crypto:7 AEAD_AES_128_GCM inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHA==\r\n"
		       "a=crypto:9 AES_256_CM_HMAC_SHA1_80 inline:whatever+this+suite+uses\r\n",
		       &d, NULL) == 0);
	T_ASSERT(d.n_media == 1 && d.m[0].proto == SB_SDP_RTP_SAVP && d.m[0].n_crypto == 4);
	k = &d.m[0].crypto[0];
	T_ASSERT(k->tag == 1 && k->suite == SB_SRTP_AES_CM_128_HMAC_SHA1_80 && k->key_len == 30);
	T_ASSERT(memcmp(k->key, rfc4568_key, 30) == 0);
	T_ASSERT(k->lifetime == (1u << 20) && k->lifetime_log2 == 20 && k->mki == 1 && k->mki_len == 4);
	T_ASSERT(sb_str_eq(k->session_params, "FEC_ORDER=FEC_SRTP"));
	k = &d.m[0].crypto[1];
	T_ASSERT(k->tag == 2 && k->suite == SB_SRTP_AES_CM_128_HMAC_SHA1_32 && k->key_len == 30);
	for (unsigned i = 0; i < 30; i++)
		T_ASSERT(k->key[i] == i);
	T_ASSERT(k->lifetime == 1048576 && k->lifetime_log2 == 0 && k->mki_len == 0);
	k = &d.m[0].crypto[2];
	T_ASSERT(k->tag == 7 && k->suite == SB_SRTP_AEAD_AES_128_GCM && k->key_len == 28);
	for (unsigned i = 0; i < 28; i++)
		T_ASSERT(k->key[i] == i + 1);
	/* a suite we do not implement is kept, its key left alone */
	k = &d.m[0].crypto[3];
	T_ASSERT(k->tag == 9 && k->suite == SB_SRTP_UNKNOWN && k->key_len == 0 &&
		 sb_str_eq(k->suite_name, "AES_256_CM_HMAC_SHA1_80"));

	/* the writer puts the same line back (key re-encoded) */
	sb_buf_init(&b, mem, sizeof(mem));
	sb_sdp_put_crypto(&b, &d.m[0].crypto[0]);
	T_ASSERT(sb_buf_ok(&b) && b.len == strlen("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"
		 "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4\r\n"));
	T_ASSERT(memcmp(b.p, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"
			"PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4\r\n", b.len) == 0);

	/* base64 both ways on every length 0..48, every byte value */
	for (unsigned n = 0; n <= 48; n++) {
		for (unsigned i = 0; i < n; i++)
			raw[i] = (uint8_t)(i * 37 + n * 11);
		sb_buf_init(&b, mem, sizeof(mem));
		sb_base64_put(&b, raw, n);
		T_ASSERT(sb_buf_ok(&b) && b.len == (n + 2) / 3 * 4);
		T_ASSERT(sb_base64_decode(b.p, b.len, back, sizeof(back)) == (int)n);
		T_ASSERT(memcmp(raw, back, n) == 0);
	}
	T_ASSERT(sb_base64_decode("QUJD", 4, back, 2) == -1); /* output bound */
	T_ASSERT(sb_base64_decode("QQ", 2, back, 4) == 1 && back[0] == 'A'); /* no padding */
	T_ASSERT(sb_base64_decode("QR==", 4, back, 4) == -1); /* non-zero spare bits */
	T_ASSERT(sb_base64_decode("Q===", 4, back, 4) == -1);
	T_ASSERT(sb_base64_decode("QQ=", 3, back, 4) == -1);  /* half padding */

	bad(HEAD "m=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	    "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaV!R\r\n", "not base64");
	bad(HEAD "m=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	    "inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHA==\r\n", "wrong length"); /* 28 bytes */
	bad(HEAD "m=audio 1 RTP/SAVP 0\r\na=crypto:1 AEAD_AES_128_GCM "
	    "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n", "wrong length"); /* 30 bytes */
	bad(HEAD "m=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\r\n",
	    "wrong length");
	bad(HEAD "m=audio 1 RTP/SAVP 0\r\na=crypto:x AES_CM_128_HMAC_SHA1_80 "
	    "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n", "tag");
	bad(HEAD "m=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	    "uri:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n", "inline");
	bad(HEAD "m=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	    "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^99\r\n", "lifetime");
	bad(HEAD "m=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	    "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:9\r\n", "MKI");
	bad(HEAD "m=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	    "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|256:1\r\n", "MKI");
	bad(HEAD "m=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	    "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|\r\n", "key parameters");
}

int main(void)
{
	static struct sb_sdp d;
	const struct sb_sdp_media *a;
	char mem[4096], small[64 + 16];
	struct sb_buf b;
	uint8_t v6[16];

	/* several m= lines, media c= overriding the session's, attributes */
	T_ASSERT(parse(HEAD "a=recvonly\r\n"
		       "m=audio 40000 RTP/AVP 0 8 101 96\r\na=rtpmap:101 telephone-event/8000\r\n"
		       "a=fmtp:101 0-15\r\na=rtpmap:96 opus/48000/2\r\n"
		       "a=fmtp:96 useinbandfec=1; usedtx=1\r\na=ptime:20\r\na=maxptime:40\r\n"
		       "a=rtcp:40005 IN IP4 192.0.2.11\r\na=rtcp-mux\r\na=sendonly\r\n"
		       "m=video 40002 RTP/AVP 97\r\nc=IN IP4 10.9.9.9\r\na=rtpmap:97 H264/90000\r\n"
		       "m=application 5000 UDP/BFCP *\r\n", &d, NULL) == 0);
	T_ASSERT(d.sess_id == 1 && d.sess_ver == 1 && d.n_media == 3 && d.dir == SB_SDP_RECVONLY);
	a = sb_sdp_audio(&d);
	T_ASSERT(a == &d.m[0] && a->type == SB_SDP_AUDIO && a->proto == SB_SDP_RTP_AVP);
	T_ASSERT(a->c.family == 4 && a->c.ip4 == inet_addr("192.0.2.10") && a->port == 40000);
	T_ASSERT(a->n_pts == 4 && a->pts[0] == 0 && a->pts[3] == 96 && a->n_rtpmap == 4);
	T_ASSERT(sb_sdp_rtpmap_find(a, 0)->codec == SB_CODEC_PCMU); /* static, implicit */
	T_ASSERT(sb_sdp_rtpmap_find(a, 8)->codec == SB_CODEC_PCMA);
	T_ASSERT(sb_sdp_rtpmap_find(a, 101)->codec == SB_CODEC_TEL_EVENT &&
		 sb_str_eq(sb_sdp_rtpmap_find(a, 101)->fmtp, "0-15"));
	T_ASSERT(sb_sdp_rtpmap_find(a, 96)->codec == SB_CODEC_OPUS &&
		 sb_sdp_rtpmap_find(a, 96)->channels == 2 &&
		 sb_str_eq(sb_sdp_rtpmap_find(a, 96)->fmtp, "useinbandfec=1; usedtx=1"));
	T_ASSERT(a->ptime == 20 && a->maxptime == 40 && a->rtcp_port == 40005 && a->rtcp_mux);
	T_ASSERT(a->rtcp_addr.family == 4 && a->rtcp_addr.ip4 == inet_addr("192.0.2.11"));
	T_ASSERT(a->dir == SB_SDP_SENDONLY);  /* media attribute wins */
	T_ASSERT(d.m[1].type == SB_SDP_VIDEO && d.m[1].c.ip4 == inet_addr("10.9.9.9") &&
		 d.m[1].dir == SB_SDP_RECVONLY); /* the session's direction */
	T_ASSERT(d.m[2].type == SB_SDP_MEDIA_OTHER && d.m[2].proto == SB_SDP_PROTO_OTHER &&
		 d.m[2].n_pts == 0 && sb_str_eq(d.m[2].fmts, "*"));

	/* IPv6 c=, LF line ends, port/count, opus not /2 is not opus */
	T_ASSERT(parse("v=0\nc=IN IP6 2001:db8::1\nm=audio 5004/2 RTP/AVPF 18 111\n"
		       "a=rtpmap:111 opus/48000\nc=IN IP6 2001:db8::2\n", &d, NULL) == 0);
	inet_pton(AF_INET6, "2001:db8::2", v6);
	a = sb_sdp_audio(&d);
	T_ASSERT(a && a->c.family == 6 && memcmp(a->c.ip6, v6, 16) == 0 && a->port == 5004 &&
		 a->n_ports == 2 && a->proto == SB_SDP_RTP_AVPF);
	T_ASSERT(sb_sdp_rtpmap_find(a, 111)->codec == SB_CODEC_NONE &&
		 sb_sdp_rtpmap_find(a, 18)->codec == SB_CODEC_NONE); /* G729: parsed, not ours */
	/* the audio line with port 0 is not "the audio" */
	T_ASSERT(parse(HEAD "m=audio 0 RTP/AVP 0\r\n", &d, NULL) == 0 && sb_sdp_audio(&d) == NULL);

	crypto_vectors();

	/* round trips, including the real-world shapes of sdp_oa_t */
	round_trip(HEAD "m=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
		   "a=fmtp:101 0-16\r\na=ptime:30\r\na=inactive\r\n");
	round_trip("v=0\r\no=alice 2890844526 2890844527 IN IP6 2001:db8::9\r\ns=x\r\n"
		   "c=IN IP6 2001:db8::9\r\nt=0 0\r\nm=audio 49170 RTP/SAVPF 111 0\r\n"
		   "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
		   "a=rtcp:49171 IN IP6 2001:db8::9\r\na=rtcp-mux\r\n"
		   "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
		   "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^31|7:1\r\n"
		   "m=video 0 RTP/AVP 31\r\nm=text 3000 TCP/MSRP *\r\n");
	round_trip(HEAD "m=audio 1 RTP/AVP 0\r\na=crypto:3 AEAD_AES_128_GCM "
		   "inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHA|5000\r\na=recvonly\r\n");

	/* the writer never passes its capacity; the bytes after it stay */
	T_ASSERT(parse(HEAD "m=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n",
		       &d, NULL) == 0);
	for (unsigned cap = 0; cap <= 64; cap++) {
		memset(small, 0x5a, sizeof(small));
		sb_buf_init(&b, small, cap);
		sb_sdp_write(&b, &d);
		T_ASSERT(!sb_buf_ok(&b) && b.len <= cap);
		for (unsigned i = cap; i < sizeof(small); i++)
			T_ASSERT((unsigned char)small[i] == 0x5a);
	}
	sb_buf_init(&b, mem, sizeof(mem));
	sb_sdp_write(&b, &d);
	T_ASSERT(sb_buf_ok(&b) && b.len > 64);

	bad("", "Empty");
	bad("\r\n\r\n", "Empty");
	bad("o=x\r\n", "v=0");
	bad("v=1\r\n", "v=0");
	bad("v=0\r\nx\r\n", "type=value");
	bad("v=0\r\nm=audio 4000 RTP/AVP 0\r\n", "without c=");
	bad("v=0\r\nc=IN IP6 ::g\r\nm=audio 4000 RTP/AVP 0\r\n", "c=");
	bad("v=0\r\nc=IN IP4 1.1.1\r\nm=audio 4000 RTP/AVP 0\r\n", "c=");
	bad("v=0\r\nc=IN IP4 1.1.1.1 extra\r\n", "c=");
	bad("v=0\r\nc=ATM NSAP 1\r\n", "c=");
	bad("v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio x RTP/AVP 0\r\n", "port");
	bad("v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 70000 RTP/AVP 0\r\n", "port");
	bad("v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 4000/0 RTP/AVP 0\r\n", "port count");
	bad("v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 4000 RTP/AVP\r\n", "without formats");
	bad("v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 4000 RTP/AVP 300\r\n", "payload type");
	bad("v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n", "rtpmap");
	bad("v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/0\r\n", "rtpmap");
	bad("v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 4000 RTP/AVP 0\r\na=fmtp:x y\r\n", "fmtp");
	bad("v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 4000 RTP/AVP 0\r\na=ptime:0\r\n", "ptime");
	bad("v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 4000 RTP/AVP 0\r\na=maxptime:5000\r\n", "maxptime");
	bad("v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp:0\r\n", "rtcp");
	bad("v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp:9 IN IP4 x\r\n", "rtcp");
	bad("v=0\r\no=- x 1 IN IP4 1.1.1.1\r\n", "o=");
	bad("v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 4000 RTP/AVP 0\r\no=- 1 1 IN IP4 1.1.1.1\r\n", "o=");
	bad("v=0\r\nc=IN IP4 1.1.1.1\r\nm=a\0dio 4000 RTP/AVP 0\r\n", "m=");
	{
		static const char nul[] = "v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 4000 RTP/AVP 0\r\na=x\0y\r\n";
		const char *why = NULL;

		T_ASSERT(sb_sdp_parse(nul, nul + sizeof(nul) - 1, &d, &why) < 0 && strstr(why, "NUL"));
	}
	{
		char many[2048];
		size_t n = (size_t)snprintf(many, sizeof(many), "v=0\r\nc=IN IP4 1.1.1.1\r\n");

		for (int i = 0; i < SB_SDP_MAX_MEDIA + 1; i++)
			n += (size_t)snprintf(many + n, sizeof(many) - n, "m=audio %d RTP/AVP 0\r\n",
					      4000 + 2 * i);
		bad(many, "too many m=");
	}
	free(heap);
	return 0;
}
