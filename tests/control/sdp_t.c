/* SPDX-License-Identifier: MIT */
/* sdp_t — SDP offer parse (session/media c=, first m=audio, rtpmap, ptime,
 * direction), generate, and parse what we generated. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sdp.h"
#include "test.h"

static char *heap;

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

int main(void)
{
	struct sb_sdp d, d2;
	char mem[1024], copy[1024];
	struct sb_buf b;
	const char *why;

	T_ASSERT(parse("v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n"
		       "t=0 0\r\nm=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n"
		       "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
		       "a=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n"
		       "m=video 40002 RTP/AVP 96\r\nc=IN IP4 10.9.9.9\r\na=rtpmap:96 H264/90000\r\n",
		       &d, NULL) == 0);
	T_ASSERT(d.c_ip == inet_addr("192.0.2.10") && d.audio_port == 40000);
	T_ASSERT(d.n_pts == 3 && d.pts[0] == 0 && d.pts[1] == 8 && d.pts[2] == 101);
	T_ASSERT(d.n_rtpmap == 3 && d.ptime == 20 && d.dir == SB_SDP_SENDRECV);
	T_ASSERT(sb_sdp_rtpmap_find(&d, 101) && sb_str_eq(sb_sdp_rtpmap_find(&d, 101)->enc,
							   "telephone-event"));
	T_ASSERT(sb_sdp_rtpmap_find(&d, 96) == NULL);

	/* media-level c= wins; LF line ends; no rtpmap for a static type */
	T_ASSERT(parse("v=0\nc=IN IP4 1.1.1.1\nm=audio 5004/2 RTP/AVP 18\nc=IN IP4 2.2.2.2\n"
		       "a=recvonly\n", &d, NULL) == 0);
	T_ASSERT(d.c_ip == inet_addr("2.2.2.2") && d.audio_port == 5004 && d.n_pts == 1 &&
		 d.n_rtpmap == 0 && d.dir == SB_SDP_RECVONLY);

	/* generate from the first offer, parse it back */
	T_ASSERT(parse("v=0\r\nc=IN IP4 192.0.2.10\r\nm=audio 40000 RTP/AVP 0 101\r\n"
		       "a=rtpmap:101 telephone-event/8000\r\na=ptime:30\r\n", &d, NULL) == 0);
	sb_buf_init(&b, mem, sizeof(mem));
	sb_sdp_write(&b, &d, inet_addr("203.0.113.10"), 20002, 42, 1);
	T_ASSERT(sb_buf_ok(&b));
	memcpy(copy, b.p, b.len);
	copy[b.len] = '\0';
	T_ASSERT(strstr(copy, "c=IN IP4 203.0.113.10\r\n"));
	T_ASSERT(strstr(copy, "m=audio 20002 RTP/AVP 0 101\r\n"));
	T_ASSERT(strstr(copy, "a=rtpmap:101 telephone-event/8000\r\n"));
	T_ASSERT(strstr(copy, "a=ptime:30\r\n") && strstr(copy, "o=switchboard 42 1 IN IP4"));
	T_ASSERT(sb_sdp_parse(b.p, b.p + b.len, &d2, NULL) == 0);
	T_ASSERT(d2.c_ip == inet_addr("203.0.113.10") && d2.audio_port == 20002 && d2.n_pts == 2);
	/* too small a buffer is reported, not overrun */
	sb_buf_init(&b, mem, 40);
	sb_sdp_write(&b, &d, inet_addr("203.0.113.10"), 20002, 42, 1);
	T_ASSERT(!sb_buf_ok(&b) && b.len <= 40);

	why = NULL;
	bad("", "Empty");
	bad("o=x\r\n", "v=0");
	bad("v=0\r\nc=IN IP4 1.1.1.1\r\n", "no m=audio");
	bad("v=0\r\nm=audio 4000 RTP/AVP 0\r\n", "no c=");
	bad("v=0\r\nc=IN IP6 ::1\r\nm=audio 4000 RTP/AVP 0\r\n", "c=");
	bad("v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio x RTP/AVP 0\r\n", "port");
	bad("v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 4000 UDP/TLS 0\r\n", "transport");
	bad("v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 4000 RTP/AVP\r\n", "without payload");
	bad("v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 4000 RTP/AVP 300\r\n", "payload type");
	bad("v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n", "rtpmap");
	bad("v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 4000 RTP/AVP 0\r\na=ptime:0\r\n", "ptime");
	bad("v=0\r\nx\r\n", "type=value");
	(void)why;
	free(heap);
	return 0;
}
