/* SPDX-License-Identifier: MIT */
/* sdp_oa_t — RFC 3264 offer/answer on offers shaped like those of real
 * phones (Linphone, Zoiper, Polycom, Asterisk, FreeSWITCH with SDES, a
 * WebRTC browser), as an endpoint and as a B2BUA bridging two exchanges:
 * codec choice and preference, the offerer's payload-type numbers kept,
 * rejected m= lines, direction rules for hold, ptime, rtcp-mux, a=rtcp,
 * SDES (fresh key, same suite and tag), RTP/AVP vs RTP/SAVP never
 * downgraded, 488 reasons, payload-type maps when the two sides number a
 * codec differently.  Every answer we write must parse again. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sdp_oa.h"
#include "test.h"

static char *heaps[256];
static unsigned n_heap;

/* exact-size heap copies that live until exit (negs keep slices) */
static void parse(const char *s, struct sb_sdp *d)
{
	size_t n = strlen(s);
	char *h = malloc(n);
	const char *why = NULL;

	memcpy(h, s, n);
	T_ASSERT(n_heap < 256);
	heaps[n_heap++] = h;
	if (sb_sdp_parse(h, h + n, d, &why) < 0) {
		fprintf(stderr, "parse failed: %s\n%s\n", why, s);
		exit(1);
	}
}

static struct sb_sdp_local local(uint16_t port)
{
	struct sb_sdp_local l = { .port = port, .sess_id = 77, .sess_ver = 3 };

	l.addr.family = 4;
	l.addr.ip4 = inet_addr("203.0.113.10");
	return l;
}

/* answer as an endpoint; the text goes to out (NUL-terminated), and is
 * parsed back into *back */
static int answer(const struct sb_sdp_oa_cfg *cfg, const char *offer_s, struct sb_sdp_neg *ans,
		  char *out, size_t cap, struct sb_sdp *back, struct sb_sdp_fail *f)
{
	static struct sb_sdp offer;
	struct sb_sdp_local l = local(30000);
	struct sb_buf b;
	const char *why = NULL;
	int rc;

	parse(offer_s, &offer);
	sb_buf_init(&b, out, (uint32_t)cap - 1);
	rc = sb_sdp_oa_answer(cfg, &offer, &l, ans, &b, f);
	if (rc < 0)
		return rc;
	T_ASSERT(sb_buf_ok(&b));
	out[b.len] = '\0';
	if (sb_sdp_parse(b.p, b.p + b.len, back, &why) < 0) {
		fprintf(stderr, "our answer does not parse (%s):\n%s\n", why, out);
		exit(1);
	}
	T_ASSERT(back->n_media == offer.n_media); /* every m= line answered */
	T_ASSERT(back->sess_id == 77 && back->sess_ver == 3);
	return 0;
}

#define HAS(s, sub) T_ASSERT(strstr((s), (sub)) != NULL)
#define HASNT(s, sub) T_ASSERT(strstr((s), (sub)) == NULL)

/* ---- offers as real phones send them (addresses changed) ---- */

static const char linphone[] =
	"v=0\r\no=alice 1786 3453 IN IP4 192.168.1.20\r\ns=Talk\r\nc=IN IP4 192.168.1.20\r\n"
	"t=0 0\r\na=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\r\n"
	"a=record:off\r\nm=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100\r\n"
	"a=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1\r\na=rtpmap:97 speex/16000\r\n"
	"a=fmtp:97 vbr=on\r\na=rtpmap:98 speex/8000\r\na=fmtp:98 vbr=on\r\n"
	"a=fmtp:18 annexb=yes\r\na=rtpmap:101 telephone-event/48000\r\n"
	"a=rtpmap:99 telephone-event/16000\r\na=rtpmap:100 telephone-event/8000\r\n"
	"a=rtcp:7079\r\na=rtcp-fb:* trr-int 1000\r\na=rtcp-fb:* ccm tmmbr\r\n"
	"m=video 9078 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\na=rtcp-fb:* nack pli\r\n";

static const char zoiper[] =
	"v=0\r\no=Z 1608292844058 1 IN IP4 10.0.0.5\r\ns=Z\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"
	"m=audio 52686 RTP/AVP 106 9 98 101 0 8 3\r\na=rtpmap:106 opus/48000/2\r\n"
	"a=fmtp:106 sprop-maxcapturerate=16000; minptime=20; useinbandfec=1\r\n"
	"a=rtpmap:98 telephone-event/48000\r\na=fmtp:98 0-16\r\n"
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n"
	"a=rtcp-mux\r\n";

static const char polycom[] =
	"v=0\r\no=- 1337957734 1337957734 IN IP4 172.16.4.50\r\ns=Polycom IP Phone\r\n"
	"c=IN IP4 172.16.4.50\r\nt=0 0\r\na=sendrecv\r\n"
	"m=audio 2222 RTP/AVP 9 102 0 8 18 127\r\na=rtpmap:9 G722/8000\r\n"
	"a=rtpmap:102 G7221/16000\r\na=fmtp:102 bitrate=32000\r\na=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\na=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\n"
	"a=rtpmap:127 telephone-event/8000\r\n";

static const char asterisk_hold[] =
	"v=0\r\no=- 2113305245 2113305246 IN IP4 198.51.100.7\r\ns=Asterisk\r\n"
	"c=IN IP4 198.51.100.7\r\nt=0 0\r\nm=audio 14336 RTP/AVP 8 0 3 101\r\n"
	"a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:3 GSM/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=maxptime:150\r\n"
	"a=ptime:20\r\na=sendonly\r\n";

static const char freeswitch_srtp[] =
	"v=0\r\no=FreeSWITCH 1700000000 1700000001 IN IP4 198.51.100.8\r\ns=FreeSWITCH\r\n"
	"c=IN IP4 198.51.100.8\r\nt=0 0\r\nm=audio 24000 RTP/SAVP 102 0 8 101 13\r\n"
	"a=rtpmap:102 opus/48000/2\r\na=fmtp:102 useinbandfec=1; maxplaybackrate=48000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=rtpmap:13 CN/8000\r\n"
	"a=ptime:20\r\n"
	"a=crypto:1 AEAD_AES_256_GCM_8 inline:b2jQm6CeG0cB8dXzX2H4SJPXjU8rPkYbhBzLRhBJE4uWzFpQ9Xk6X1p3RZ0=\r\n"
	"a=crypto:2 AES_CM_256_HMAC_SHA1_80 inline:6g3wRdaqZqqJYEpvNeMc2Kq3kXHtqIq+HsM0Y6nVDs0j4KWk5Q7jZbUbChyAvg==\r\n"
	"a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n"
	"a=crypto:4 AES_CM_128_HMAC_SHA1_32 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\r\n";

static const char webrtc_dtls[] =
	"v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
	"a=group:BUNDLE 0\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n"
	"m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\nc=IN IP4 0.0.0.0\r\n"
	"a=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:7sFv\r\na=ice-pwd:dOTZKZNVlO9RSGsEGM63JXT2\r\n"
	"a=ice-options:trickle\r\na=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:"
	"1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\na=setup:actpass\r\na=mid:0\r\n"
	"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\na=sendrecv\r\na=msid:- 1\r\n"
	"a=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\n"
	"a=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:63 red/48000/2\r\n"
	"a=fmtp:63 111/111\r\na=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\na=rtpmap:13 CN/8000\r\na=rtpmap:110 telephone-event/48000\r\n"
	"a=rtpmap:126 telephone-event/8000\r\na=ssrc:3735928559 cname:abc\r\n";

/* WebRTC-style gateway leg with SDES instead of DTLS, IPv6, many attributes */
static const char webrtc_sdes_v6[] =
	"v=0\r\no=- 1 1 IN IP6 2001:db8::5\r\ns=-\r\nt=0 0\r\na=ice-lite\r\n"
	"m=audio 40100 RTP/SAVPF 111 110\r\nc=IN IP6 2001:db8::5\r\n"
	"a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1;usedtx=1\r\n"
	"a=rtpmap:110 telephone-event/48000\r\na=rtcp-mux\r\na=rtcp-fb:111 transport-cc\r\n"
	"a=crypto:5 AEAD_AES_128_GCM inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHA==\r\n"
	"a=candidate:1 1 udp 2130706431 2001:db8::5 40100 typ host\r\na=ptime:20\r\n";

static void endpoint_tests(void)
{
	static struct sb_sdp back, o;
	struct sb_sdp_oa_cfg cfg, opus_first;
	struct sb_sdp_neg ans, ans2;
	struct sb_sdp_fail f;
	char out[4096], out2[4096];

	sb_sdp_oa_cfg_default(&cfg);
	opus_first = cfg;
	opus_first.codecs[0] = SB_CODEC_OPUS;
	opus_first.codecs[2] = SB_CODEC_PCMU;

	/* Linphone: PCMU preferred by us although offered 4th; telephone-event
	 * at 8000 (PCMU's clock) under its number 100; video rejected with its
	 * formats; session attributes ignored */
	T_ASSERT(answer(&cfg, linphone, &ans, out, sizeof(out), &back, &f) == 0);
	HAS(out, "m=audio 30000 RTP/AVP 0 100\r\n");
	HAS(out, "a=rtpmap:100 telephone-event/8000\r\n");
	HAS(out, "m=video 0 RTP/AVP 96\r\n");
	HAS(out, "c=IN IP4 203.0.113.10\r\n");
	HAS(out, "a=sendrecv\r\n");
	HASNT(out, "rtcp-mux");
	T_ASSERT(ans.codecs[0].codec == SB_CODEC_PCMU && ans.n_codecs == 2);
	/* ... and with opus first: opus under 96, fmtp passed through, DTMF at 48000 */
	T_ASSERT(answer(&opus_first, linphone, &ans, out, sizeof(out), &back, &f) == 0);
	HAS(out, "m=audio 30000 RTP/AVP 96 101\r\n");
	HAS(out, "a=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1\r\n");
	HAS(out, "a=rtpmap:101 telephone-event/48000\r\n");

	/* Zoiper: rtcp-mux offered -> accepted; opus first with usedtx etc. */
	T_ASSERT(answer(&opus_first, zoiper, &ans, out, sizeof(out), &back, &f) == 0);
	HAS(out, "m=audio 30000 RTP/AVP 106 98\r\n");
	HAS(out, "a=fmtp:106 sprop-maxcapturerate=16000; minptime=20; useinbandfec=1\r\n");
	HAS(out, "a=rtcp-mux\r\n");
	T_ASSERT(back.m[0].rtcp_mux && ans.rtcp_mux);
	T_ASSERT(answer(&cfg, zoiper, &ans, out, sizeof(out), &back, &f) == 0);
	HAS(out, "m=audio 30000 RTP/AVP 0 101\r\n");

	/* Polycom: G722/G7221/G729 skipped; PCMU 0 with event 127 */
	T_ASSERT(answer(&cfg, polycom, &ans, out, sizeof(out), &back, &f) == 0);
	HAS(out, "m=audio 30000 RTP/AVP 0 127\r\n");
	T_ASSERT(back.m[0].n_pts == 2 && back.m[0].pts[1] == 127);

	/* Asterisk putting us on hold: sendonly -> recvonly; ptime echoed */
	T_ASSERT(answer(&cfg, asterisk_hold, &ans, out, sizeof(out), &back, &f) == 0);
	HAS(out, "m=audio 30000 RTP/AVP 0 101\r\n");
	HAS(out, "a=recvonly\r\n");
	HAS(out, "a=ptime:20\r\n");
	T_ASSERT(back.m[0].dir == SB_SDP_RECVONLY);
	T_ASSERT(sb_sdp_oa_answer_dir(SB_SDP_INACTIVE) == SB_SDP_INACTIVE);
	T_ASSERT(sb_sdp_oa_answer_dir(SB_SDP_RECVONLY) == SB_SDP_SENDONLY);
	T_ASSERT(sb_sdp_oa_answer_dir(SB_SDP_SENDRECV) == SB_SDP_SENDRECV);
	{
		char held[1024];

		snprintf(held, sizeof(held), "%.*sa=inactive\r\n",
			 (int)(strlen(asterisk_hold) - strlen("a=sendonly\r\n")), asterisk_hold);
		T_ASSERT(answer(&cfg, held, &ans, out, sizeof(out), &back, &f) == 0);
		HAS(out, "a=inactive\r\n");
	}

	/* FreeSWITCH with SDES: unknown suites skipped, tag 3 taken; our own
	 * fresh key of the same suite under the same tag; RTP/SAVP kept */
	T_ASSERT(answer(&cfg, freeswitch_srtp, &ans, out, sizeof(out), &back, &f) == 0);
	HAS(out, "m=audio 30000 RTP/SAVP 0 101\r\n");
	HAS(out, "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:");
	HASNT(out, "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"); /* not their key back */
	T_ASSERT(back.m[0].n_crypto == 1 && back.m[0].crypto[0].key_len == 30 &&
		 back.m[0].crypto[0].tag == 3);
	T_ASSERT(ans.has_key && ans.key.tag == 3 && ans.has_local_key);
	T_ASSERT(memcmp(back.m[0].crypto[0].key, ans.local_key.key, 30) == 0);
	/* two answers, two keys (getrandom, not a constant) */
	T_ASSERT(answer(&cfg, freeswitch_srtp, &ans2, out2, sizeof(out2), &back, &f) == 0);
	T_ASSERT(memcmp(ans.local_key.key, ans2.local_key.key, 30) != 0);
	/* only the _32 suite allowed: tag 4 */
	{
		struct sb_sdp_oa_cfg c32 = cfg;

		c32.srtp_suites = 1u << SB_SRTP_AES_CM_128_HMAC_SHA1_32;
		T_ASSERT(answer(&c32, freeswitch_srtp, &ans, out, sizeof(out), &back, &f) == 0);
		HAS(out, "a=crypto:4 AES_CM_128_HMAC_SHA1_32 inline:");
		/* SRTP not available at all: 488, never an RTP/AVP answer */
		c32.srtp_suites = 0;
		T_ASSERT(answer(&c32, freeswitch_srtp, &ans, out, sizeof(out), &back, &f) == -ENOTSUP);
		T_ASSERT(f.warn == 302 && strstr(f.text, "SRTP"));
	}

	/* WebRTC with DTLS-SRTP: not ours -> 302 */
	T_ASSERT(answer(&cfg, webrtc_dtls, &ans, out, sizeof(out), &back, &f) == -ENOTSUP);
	T_ASSERT(f.warn == 302);
	/* WebRTC-style SDES over IPv6: GCM key 28 bytes, opus (only opus offered) */
	T_ASSERT(answer(&cfg, webrtc_sdes_v6, &ans, out, sizeof(out), &back, &f) == 0);
	HAS(out, "m=audio 30000 RTP/SAVPF 111 110\r\n");
	HAS(out, "a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1\r\n");
	HAS(out, "a=crypto:5 AEAD_AES_128_GCM inline:");
	HAS(out, "a=rtcp-mux\r\n");
	T_ASSERT(back.m[0].crypto[0].key_len == 28 && ans.ptime == 20);
	parse(webrtc_sdes_v6, &o);
	T_ASSERT(o.m[0].c.family == 6);

	/* nothing in common: 305; no audio at all: 304; SAVP without crypto: 302 */
	T_ASSERT(answer(&cfg, "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 18 9\r\n"
			"a=rtpmap:18 G729/8000\r\n", &ans, out, sizeof(out), &back, &f) == -ENOTSUP);
	T_ASSERT(f.warn == 305 && strstr(f.text, "codec"));
	T_ASSERT(answer(&cfg, "v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 4000 RTP/AVP 96\r\n",
			&ans, out, sizeof(out), &back, &f) == -ENOTSUP && f.warn == 304);
	T_ASSERT(answer(&cfg, "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/SAVP 0\r\n",
			&ans, out, sizeof(out), &back, &f) == -ENOTSUP && f.warn == 302);
	/* RTP/AVP with stray crypto lines stays RTP/AVP (no keys) */
	T_ASSERT(answer(&cfg, "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 8\r\n"
			"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n",
			&ans, out, sizeof(out), &back, &f) == 0);
	HAS(out, "m=audio 30000 RTP/AVP 8\r\n");
	HASNT(out, "crypto");
	/* a rejected first audio line, a usable second one */
	T_ASSERT(answer(&cfg, "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 18\r\n"
			"m=audio 4002 RTP/AVP 8\r\n", &ans, out, sizeof(out), &back, &f) == 0);
	HAS(out, "m=audio 0 RTP/AVP 18\r\nm=audio 30000 RTP/AVP 8\r\n");
	/* preference from configuration: only PCMA allowed, no DTMF */
	{
		struct sb_sdp_oa_cfg pcma = { .n_codecs = 1, .codecs = { SB_CODEC_PCMA } };

		T_ASSERT(answer(&pcma, polycom, &ans, out, sizeof(out), &back, &f) == 0);
		HAS(out, "m=audio 30000 RTP/AVP 8\r\n");
	}
	/* an answer that does not fit is reported, not overrun */
	{
		static struct sb_sdp off;
		struct sb_sdp_local l = local(30000);
		char tiny[100];
		struct sb_buf b;

		parse(linphone, &off);
		sb_buf_init(&b, tiny, sizeof(tiny));
		T_ASSERT(sb_sdp_oa_answer(&cfg, &off, &l, &ans, &b, &f) == 0 && !sb_buf_ok(&b) &&
			 b.len <= sizeof(tiny));
	}
}

/* ---- B2BUA: caller X offers, agent Y answers our relayed offer ---- */

static void bridge_tests(void)
{
	static struct sb_sdp offer_x, ans_y, back;
	struct sb_sdp_oa_cfg cfg;
	struct sb_sdp_neg x, oy, y, ax;
	struct sb_media_sdp lx, ly;
	struct sb_sdp_fail f;
	struct sb_sdp_local l = local(20002);
	char mem[4096];
	struct sb_buf b;

	sb_sdp_oa_cfg_default(&cfg);
	cfg.codecs[0] = SB_CODEC_OPUS;
	cfg.codecs[2] = SB_CODEC_PCMU;

	/* caller: opus 111 + events 110/48000, PCMU, video; rtcp-mux; sendrecv */
	parse("v=0\r\no=- 5 5 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 192.0.2.50\r\nt=0 0\r\n"
	      "m=audio 41000 RTP/AVP 111 0 110\r\na=rtpmap:111 opus/48000/2\r\n"
	      "a=fmtp:111 useinbandfec=1\r\na=rtpmap:110 telephone-event/48000\r\n"
	      "a=rtcp-mux\r\na=ptime:20\r\nm=video 41002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n",
	      &offer_x);
	T_ASSERT(sb_sdp_oa_accept(&cfg, &offer_x, &x, &f) == 0);
	T_ASSERT(x.m_idx == 0 && x.n_codecs == 3 && x.codecs[0].pt == 111 && x.codecs[1].pt == 0 &&
		 x.codecs[2].pt == 110 && x.rtcp_mux && x.port == 41000);
	sb_sdp_oa_leg_params(&x, &lx);
	T_ASSERT(lx.n_pt == 3 && lx.pt[0].pt_in == 111 && lx.pt[0].pt_out == 111 &&
		 lx.pt[0].clock_hz == 48000 && lx.rtcp_mux);

	/* our offer to the agent: one m= line, plain RTP, same numbers */
	sb_sdp_oa_relay_offer(&x, &oy);
	sb_buf_init(&b, mem, sizeof(mem) - 1);
	sb_sdp_oa_write_offer(&b, &oy, &l);
	T_ASSERT(sb_buf_ok(&b));
	mem[b.len] = '\0';
	HAS(mem, "m=audio 20002 RTP/AVP 111 0 110\r\n");
	HAS(mem, "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\n");
	HAS(mem, "a=rtcp-mux\r\n");
	HASNT(mem, "video");
	T_ASSERT(sb_sdp_parse(b.p, b.p + b.len, &back, NULL) == 0 && back.n_media == 1);

	/* the agent renumbers: opus 96, events 101/48000, and answers dtx */
	parse("v=0\r\no=- 9 9 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
	      "m=audio 6000 RTP/AVP 96 101\r\na=rtpmap:96 opus/48000/2\r\n"
	      "a=fmtp:96 usedtx=1\r\na=rtpmap:101 telephone-event/48000\r\na=ptime:40\r\n"
	      "a=rtcp:6003\r\n", &ans_y);
	T_ASSERT(sb_sdp_oa_match(&oy, &ans_y, &y, &f) == 0);
	T_ASSERT(y.n_codecs == 2 && y.codecs[0].pt == 96 && y.port == 6000 && !y.rtcp_mux &&
		 y.rtcp_port == 6003);
	T_ASSERT(sb_sdp_oa_bridge(&x, &y, &ax, &lx, &ly, &f) == 0);
	/* caller's leg: 111 -> 96, 110 -> 101; agent's: back */
	T_ASSERT(lx.n_pt == 2 && lx.pt[0].pt_in == 111 && lx.pt[0].pt_out == 96 &&
		 lx.pt[0].clock_hz == 48000 && lx.pt[1].pt_in == 110 && lx.pt[1].pt_out == 101);
	T_ASSERT(ly.n_pt == 2 && ly.pt[0].pt_in == 96 && ly.pt[0].pt_out == 111 &&
		 ly.pt[1].pt_in == 101 && ly.pt[1].pt_out == 110);
	T_ASSERT(lx.rtcp_mux && !ly.rtcp_mux && ly.peer_rtcp_port == 6003);
	T_ASSERT(lx.rx.suite == SB_SRTP_NONE && lx.tx.suite == SB_SRTP_NONE);
	sb_buf_init(&b, mem, sizeof(mem) - 1);
	l.port = 20000;
	sb_sdp_oa_write_answer(&b, &offer_x, &ax, &l);
	T_ASSERT(sb_buf_ok(&b));
	mem[b.len] = '\0';
	HAS(mem, "m=audio 20000 RTP/AVP 111 110\r\n");  /* the caller's numbers */
	HAS(mem, "a=fmtp:111 usedtx=1\r\n");            /* the agent decodes */
	HAS(mem, "a=ptime:40\r\n");
	HAS(mem, "a=rtcp-mux\r\n");
	HAS(mem, "m=video 0 RTP/AVP 96\r\n");
	T_ASSERT(sb_sdp_parse(b.p, b.p + b.len, &back, NULL) == 0 && back.n_media == 2);

	/* the agent answers a codec we did not offer: 305 */
	parse("v=0\r\nc=IN IP4 10.1.1.1\r\nm=audio 6000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n",
	      &ans_y);
	T_ASSERT(sb_sdp_oa_match(&oy, &ans_y, &y, &f) == -ENOTSUP && f.warn == 305);
	/* rejects the stream: 304; changes the transport: 302 */
	parse("v=0\r\nc=IN IP4 10.1.1.1\r\nm=audio 0 RTP/AVP 0\r\n", &ans_y);
	T_ASSERT(sb_sdp_oa_match(&oy, &ans_y, &y, &f) == -ENOTSUP && f.warn == 304);
	parse("v=0\r\nc=IN IP4 10.1.1.1\r\nm=audio 6000 RTP/SAVP 0\r\n", &ans_y);
	T_ASSERT(sb_sdp_oa_match(&oy, &ans_y, &y, &f) == -ENOTSUP && f.warn == 302);
}

static void hold_bridge(void)
{
	static struct sb_sdp ox, ay;
	struct sb_sdp_oa_cfg cfg;
	struct sb_sdp_neg x, oy, y, ax;
	struct sb_media_sdp lx, ly;
	struct sb_sdp_fail f;
	static const struct { const char *x, *y; enum sb_sdp_dir want; } t[] = {
		{ "sendonly", "recvonly", SB_SDP_RECVONLY },  /* caller holds */
		{ "sendrecv", "sendonly", SB_SDP_SENDONLY },  /* agent answers on hold */
		{ "inactive", "inactive", SB_SDP_INACTIVE },
		{ "sendrecv", "sendrecv", SB_SDP_SENDRECV },  /* resume */
		{ "recvonly", "sendonly", SB_SDP_SENDONLY },
		{ "sendrecv", "inactive", SB_SDP_INACTIVE },
	};

	sb_sdp_oa_cfg_default(&cfg);
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char sx[512], sy[512];

		snprintf(sx, sizeof(sx), "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0 8\r\n"
			 "a=%s\r\n", t[i].x);
		snprintf(sy, sizeof(sy), "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 5000 RTP/AVP 8\r\n"
			 "a=%s\r\n", t[i].y);
		parse(sx, &ox);
		parse(sy, &ay);
		T_ASSERT(sb_sdp_oa_accept(&cfg, &ox, &x, &f) == 0);
		sb_sdp_oa_relay_offer(&x, &oy);
		T_ASSERT(oy.dir == x.dir); /* the hold is passed on */
		T_ASSERT(sb_sdp_oa_match(&oy, &ay, &y, &f) == 0);
		T_ASSERT(sb_sdp_oa_bridge(&x, &y, &ax, &lx, &ly, &f) == 0);
		if (ax.dir != t[i].want) {
			fprintf(stderr, "case %u: dir %u want %u\n", i, ax.dir, t[i].want);
			exit(1);
		}
		/* PCMA both sides with the same number: identity map */
		T_ASSERT(lx.n_pt == 1 && lx.pt[0].pt_in == 8 && lx.pt[0].pt_out == 8);
	}
}

/* SDES caller bridged to a plain agent: keys for the caller's leg only */
static void srtp_bridge(void)
{
	static struct sb_sdp ox, ay;
	struct sb_sdp_oa_cfg cfg;
	struct sb_sdp_neg x, oy, y, ax;
	struct sb_media_sdp lx, ly;
	struct sb_sdp_fail f;

	sb_sdp_oa_cfg_default(&cfg);
	parse(freeswitch_srtp, &ox);
	parse("v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 5000 RTP/AVP 0 101\r\n"
	      "a=rtpmap:101 telephone-event/8000\r\n", &ay);
	T_ASSERT(sb_sdp_oa_accept(&cfg, &ox, &x, &f) == 0 && x.has_key && x.key.tag == 3);
	sb_sdp_oa_relay_offer(&x, &oy);
	T_ASSERT(oy.proto == SB_SDP_RTP_AVP && !oy.has_key && !oy.has_local_key);
	T_ASSERT(sb_sdp_oa_match(&oy, &ay, &y, &f) == 0);
	T_ASSERT(sb_sdp_oa_bridge(&x, &y, &ax, &lx, &ly, &f) == 0);
	T_ASSERT(ax.proto == SB_SDP_RTP_SAVP && ax.has_local_key && ax.local_key.tag == 3 &&
		 ax.local_key.suite == SB_SRTP_AES_CM_128_HMAC_SHA1_80);
	T_ASSERT(lx.rx.suite == SB_SRTP_AES_CM_128_HMAC_SHA1_80 && lx.rx.key_len == 30 &&
		 memcmp(lx.rx.key, x.key.key, 30) == 0);
	T_ASSERT(lx.tx.suite == SB_SRTP_AES_CM_128_HMAC_SHA1_80 &&
		 memcmp(lx.tx.key, ax.local_key.key, 30) == 0);
	T_ASSERT(ly.rx.suite == SB_SRTP_NONE && ly.tx.suite == SB_SRTP_NONE);
	/* telephone-event 8000 on both: 101 -> 101 */
	T_ASSERT(lx.n_pt == 2 && lx.pt[1].pt_in == 101 && lx.pt[1].pt_out == 101);
}

int main(void)
{
	endpoint_tests();
	bridge_tests();
	hold_bridge();
	srtp_bridge();
	while (n_heap)
		free(heaps[--n_heap]);
	return 0;
}
