/* SPDX-License-Identifier: MIT */
/* sip_msg_t — the zero-copy SIP parser: requests, responses, compact and
 * folded headers, Content-Length rules, structured header values, and
 * garbage rejected with a reason.  Every input is copied into an exactly
 * sized heap buffer so ASan catches any read past the end. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sip/hdr.h"
#include "sip/msg.h"
#include "test.h"

static char *heap;

static int parse(struct sb_sip_msg *m, const char *text)
{
	size_t n = strlen(text);

	free(heap);
	heap = malloc(n ? n : 1);
	memcpy(heap, text, n);
	return sb_sip_msg_parse(m, heap, heap + n);
}

static void expect_bad(const char *text, const char *why_part)
{
	struct sb_sip_msg m;

	if (parse(&m, text) != -EBADMSG || m.why == NULL || strstr(m.why, why_part) == NULL) {
		fprintf(stderr, "expected error containing '%s', got '%s' for:\n%s\n", why_part,
			m.why ? m.why : "(none)", text);
		exit(1);
	}
}

#define INVITE_HDRS                                                            \
	"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport\r\n"   \
	"Max-Forwards: 70\r\n"                                                 \
	"To: <sip:800100@192.0.2.1>\r\n"                                       \
	"From: \"Alice\" <sip:alice@192.0.2.10>;tag=1928301774\r\n"            \
	"Call-ID: a84b4c76e66710@pc33\r\n"                                     \
	"CSeq: 314159 INVITE\r\n"                                              \
	"Contact: <sip:alice@192.0.2.10:5060>\r\n"

int main(void)
{
	struct sb_sip_msg m;
	struct sb_sip_via via;
	struct sb_sip_nameaddr na;
	struct sb_str rest, v;

	/* a full request with a body */
	T_ASSERT(parse(&m, "INVITE sip:800100@192.0.2.1 SIP/2.0\r\n" INVITE_HDRS
			   "Content-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n") == 0);
	T_ASSERT(m.is_request && m.method == SB_SIP_INVITE);
	T_ASSERT(sb_str_eq(m.ruri, "sip:800100@192.0.2.1"));
	T_ASSERT(sb_str_eq(m.call_id, "a84b4c76e66710@pc33"));
	T_ASSERT(m.cseq == 314159 && m.cseq_method == SB_SIP_INVITE);
	T_ASSERT(m.has_content_length && m.content_length == 4 && sb_str_eq(m.body, "v=0\n"));
	T_ASSERT(sb_str_eq(sb_sip_msg_hdr(&m, SB_HDR_MAX_FORWARDS), "70"));
	T_ASSERT(sb_sip_via_parse(sb_sip_msg_hdr(&m, SB_HDR_VIA), &via, &rest) == 0);
	T_ASSERT(sb_str_eq(via.transport, "UDP") && sb_str_eq(via.host, "192.0.2.10"));
	T_ASSERT(via.port == 5060 && via.has_rport && sb_str_eq(via.branch, "z9hG4bK776asdhds"));
	T_ASSERT(rest.len == 0);
	T_ASSERT(sb_sip_nameaddr_parse(sb_sip_msg_hdr(&m, SB_HDR_FROM), &na, NULL) == 0);
	T_ASSERT(sb_str_eq(na.display, "\"Alice\"") && sb_str_eq(na.uri, "sip:alice@192.0.2.10"));
	T_ASSERT(sb_str_eq(sb_sip_tag(sb_sip_msg_hdr(&m, SB_HDR_FROM)), "1928301774"));
	T_ASSERT(sb_sip_tag(sb_sip_msg_hdr(&m, SB_HDR_TO)).len == 0);

	/* compact forms, LF-only line ends, two Vias on one line, no Content-Length */
	T_ASSERT(parse(&m, "BYE sip:x@h SIP/2.0\n"
			   "v: SIP/2.0/UDP h1;branch=z9hG4bK1 , SIP / 2.0 / UDP h2:5070;branch=z9hG4bK2\n"
			   "f: <sip:a@h>;tag=1\nt: sip:b@h;tag=2\ni: cid\nCSeq: 2 BYE\n"
			   "m: <sip:a@10.0.0.1>\nc: text/plain\n\nhello") == 0);
	T_ASSERT(m.method == SB_SIP_BYE && sb_str_eq(m.call_id, "cid"));
	T_ASSERT(!m.has_content_length && sb_str_eq(m.body, "hello"));
	T_ASSERT(sb_str_eq(sb_sip_msg_hdr(&m, SB_HDR_CONTENT_TYPE), "text/plain"));
	T_ASSERT(sb_sip_via_parse(sb_sip_msg_hdr(&m, SB_HDR_VIA), &via, &rest) == 0);
	T_ASSERT(sb_str_eq(via.host, "h1") && via.port == 0 && !via.has_rport);
	T_ASSERT(sb_sip_via_parse(rest, &via, &rest) == 0);
	T_ASSERT(sb_str_eq(via.host, "h2") && via.port == 5070 && sb_str_eq(via.branch, "z9hG4bK2"));
	T_ASSERT(sb_sip_nameaddr_parse(sb_sip_msg_hdr(&m, SB_HDR_TO), &na, NULL) == 0);
	T_ASSERT(sb_str_eq(na.uri, "sip:b@h") && sb_sip_param_get(na.params, "tag", &v) &&
		 sb_str_eq(v, "2"));

	/* folded header line */
	T_ASSERT(parse(&m, "OPTIONS sip:h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKf\r\n"
			   "Subject: I know you're there,\r\n  pick up the phone\r\n"
			   "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\n"
			   "CSeq:\r\n 7\r\n\tOPTIONS\r\nContent-Length: 0\r\n\r\n") == 0);
	T_ASSERT(m.n_hdrs == 7 && m.cseq == 7 && m.cseq_method == SB_SIP_OPTIONS);
	T_ASSERT(m.hdrs[1].id == SB_HDR_OTHER && sb_str_eq(m.hdrs[1].name, "Subject"));
	T_ASSERT(sb_str_eq(m.hdrs[1].value, "I know you're there,\r\n  pick up the phone"));

	/* responses */
	T_ASSERT(parse(&m, "SIP/2.0 180 Ringing\r\n" INVITE_HDRS "Content-Length: 0\r\n\r\n") == 0);
	T_ASSERT(!m.is_request && m.status == 180 && sb_str_eq(m.reason, "Ringing"));
	T_ASSERT(parse(&m, "SIP/2.0 200 \r\n" INVITE_HDRS "\r\n") == 0);
	T_ASSERT(m.status == 200 && m.reason.len == 0);
	/* Content-Length smaller than the datagram: the rest is ignored */
	T_ASSERT(parse(&m, "SIP/2.0 200 OK\r\n" INVITE_HDRS "l: 2\r\n\r\nabcdef") == 0);
	T_ASSERT(sb_str_eq(m.body, "ab"));
	T_ASSERT(sb_sip_method_parse((struct sb_str){ "FOO", 3 }) == SB_SIP_UNKNOWN);
	T_ASSERT(strcmp(sb_sip_method_name(SB_SIP_CANCEL), "CANCEL") == 0);

	/* errors, each with its reason */
	expect_bad("", "Empty");
	expect_bad("\r\n\r\n", "Empty");
	expect_bad("INVITE sip:x SIP/2.0", "not terminated");
	expect_bad("hello world\r\n\r\n", "request line");
	expect_bad("INVITE  SIP/2.0\r\n\r\n", "Request-URI");
	/* a well-formed version other than 2.0 is 505, anything else 400; a
	 * problem found before the version keeps its 400 */
	expect_bad("INVITE sip:x SIP/3.0\r\n" INVITE_HDRS "\r\n", "Version Not Supported");
	T_ASSERT(parse(&m, "INVITE sip:x SIP/3.0\r\n" INVITE_HDRS "\r\n") < 0 &&
		 m.why_code == 505);
	T_ASSERT(parse(&m, "INVITE sip:x sip/12.34\r\n" INVITE_HDRS "\r\n") < 0 &&
		 m.why_code == 505);
	T_ASSERT(parse(&m, "INVITE sip:x SIP/2.0x\r\n" INVITE_HDRS "\r\n") < 0 &&
		 m.why_code == 400 && strstr(m.why, "Bad SIP version"));
	T_ASSERT(parse(&m, "INVITE sip:x SIP/2.\r\n" INVITE_HDRS "\r\n") < 0 &&
		 m.why_code == 400);
	T_ASSERT(parse(&m, "INVITE <sip:x> SIP/3.0\r\n" INVITE_HDRS "\r\n") < 0 &&
		 m.why_code == 400 && strstr(m.why, "Request-URI"));
	T_ASSERT(parse(&m, "INVITE sip:x SIP/2.0\r\nFoo\r\n\r\n") < 0 && m.why_code == 400);
	expect_bad("INV(TE sip:x SIP/2.0\r\n\r\n", "method");
	expect_bad("SIP/2.0 20 OK\r\n\r\n", "status line");
	/* RFC 4475 §3.1.2 checks (tests/control/torture has the full messages) */
	expect_bad("INVITE <sip:x@h> SIP/2.0\r\n" INVITE_HDRS "\r\n", "Request-URI scheme");
	expect_bad("INVITE sip:x@h?Route=%3Csip:e%3E SIP/2.0\r\n" INVITE_HDRS "\r\n",
		   "Headers not allowed");
	expect_bad("INVITE sip:x@h; lr SIP/2.0\r\n" INVITE_HDRS "\r\n", "Extra space");
	expect_bad("INVITE sip:x@h SIP/2.0 \r\n" INVITE_HDRS "\r\n", "Extra space");
	expect_bad("INVITE sip:x SIP/2.0\r\n" INVITE_HDRS "Via: SIP/2.0/UDP h;;\r\n\r\n",
		   "Empty parameter in Via");
	expect_bad("INVITE sip:x SIP/2.0\r\n" INVITE_HDRS "Via: SIP/2.0/UDP h;branch=1,\r\n\r\n",
		   "Empty entry in Via");
	expect_bad("INVITE sip:x SIP/2.0\r\n" INVITE_HDRS "Via: SIP/2.0/UDP h;branch=z9hG4bK\r\n\r\n",
		   "branch");
	expect_bad("INVITE sip:x SIP/2.0\r\n" INVITE_HDRS "Date: Sun, 29 Nov 2026 10:00:00 EST\r\n\r\n",
		   "Date");
	expect_bad("INVITE sip:x SIP/2.0\r\n" INVITE_HDRS "Contact: sip:a@h?x=y\r\n\r\n",
		   "Bad Contact");
	expect_bad("INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		   "From: <sip:a@h>;tag=1\r\nTo: \"Unbalanced <sip:b@h>\r\nCall-ID: c\r\n"
		   "CSeq: 1 INVITE\r\n\r\n", "Bad To");
	expect_bad("INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		   "From: < sip:a@h >;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\n"
		   "CSeq: 1 INVITE\r\n\r\n", "Bad From");
	expect_bad("INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		   "From: <sip:a@h>;tag=1\r\nTo: B, C <sip:b@h>\r\nCall-ID: c\r\n"
		   "CSeq: 1 INVITE\r\n\r\n", "Bad To");
	/* ...and what stays valid: '?' in a user part, odd schemes in To/From,
	 * a Date in GMT, LWS around '=' in a folded Via */
	T_ASSERT(parse(&m, "OPTIONS sip:a?b@h SIP/2.0\r\nVia: SIP/2.0/UDP h ;\r\n branch = z9hG4bK9\r\n"
			   "From: <http://x.example>;tag=1\r\nTo: isbn:12345\r\nCall-ID: c\r\n"
			   "CSeq: 1 OPTIONS\r\nDate: Sun, 29 Nov 2026 10:00:00 GMT\r\n\r\n") == 0);
	expect_bad("SIP/2.0 999 OK\r\n\r\n", "status line");
	expect_bad("SIP/2.0 200OK\r\n\r\n", "status line");
	expect_bad("INVITE sip:x SIP/2.0\r\n" INVITE_HDRS "Content-Length: 10\r\n\r\nshort",
		   "Content-Length larger");
	expect_bad("INVITE sip:x SIP/2.0\r\n" INVITE_HDRS "Content-Length: x1\r\n\r\n",
		   "Bad Content-Length");
	expect_bad("INVITE sip:x SIP/2.0\r\n" INVITE_HDRS "l: 1\r\nl: 2\r\n\r\nab", "Conflicting");
	expect_bad("INVITE sip:x SIP/2.0\r\n" INVITE_HDRS "Bogus line\r\n\r\n", "colon");
	expect_bad("INVITE sip:x SIP/2.0\r\n" INVITE_HDRS "Bad Name: x\r\n\r\n", "header name");
	expect_bad("INVITE sip:x SIP/2.0\r\n" INVITE_HDRS, "empty line");
	expect_bad("INVITE sip:x SIP/2.0\r\n  folded first\r\n\r\n", "Continuation");
	expect_bad("INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		   "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCSeq: 1 INVITE\r\n\r\n",
		   "Missing Call-ID");
	expect_bad("INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		   "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\n\r\n",
		   "Missing CSeq");
	expect_bad("INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		   "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 BYE\r\n\r\n",
		   "does not match");
	expect_bad("INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		   "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\nCSeq: x INVITE\r\n\r\n",
		   "Bad CSeq");
	/* even when broken, what could be parsed is there (for the 400) */
	T_ASSERT(parse(&m, "INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
			   "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCSeq: 1 INVITE\r\n\r\n") < 0);
	T_ASSERT(m.is_request && m.first[SB_HDR_VIA] == 0);

	/* too many headers */
	{
		char big[8192];
		int o = snprintf(big, sizeof(big), "OPTIONS sip:h SIP/2.0\r\n");
		for (int i = 0; i < SB_SIP_MAX_HDRS + 1; i++)
			o += snprintf(big + o, sizeof(big) - (size_t)o, "X-H%d: %d\r\n", i, i);
		snprintf(big + o, sizeof(big) - (size_t)o, "\r\n");
		expect_bad(big, "Too many headers");
	}

	/* header value parsers on bad input */
	T_ASSERT(sb_sip_via_parse((struct sb_str){ "SIP/2.0/UDP", 11 }, &via, NULL) < 0);
	T_ASSERT(sb_sip_via_parse((struct sb_str){ "SIP/1.0/UDP h", 13 }, &via, NULL) < 0);
	T_ASSERT(sb_sip_via_parse((struct sb_str){ "SIP/2.0/UDP h:0", 15 }, &via, NULL) < 0);
	T_ASSERT(sb_sip_nameaddr_parse((struct sb_str){ "\"x\" <sip:a@b", 12 }, &na, NULL) < 0);
	T_ASSERT(sb_sip_nameaddr_parse((struct sb_str){ "*", 1 }, &na, NULL) == 0 && na.star);
	T_ASSERT(sb_sip_nameaddr_parse((struct sb_str){ "\"a,b\" <sip:x@y>, <sip:z@w>", 26 },
				       &na, &rest) == 0);
	T_ASSERT(sb_str_eq(na.uri, "sip:x@y") && sb_str_eq(rest, "<sip:z@w>"));
	free(heap);
	return 0;
}
