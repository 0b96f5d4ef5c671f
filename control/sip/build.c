/* SPDX-License-Identifier: MIT */
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "sip/build.h"
#include "sip/hdr.h"

void sb_rand_seed(struct sb_rand *r)
{
	if (getrandom(&r->s, sizeof(r->s), 0) != sizeof(r->s))
		r->s = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if (r->s == 0)
		r->s = 0x9e3779b97f4a7c15ull;
}

uint64_t sb_rand_next(struct sb_rand *r)
{
	/* xorshift64*: tags and branches need uniqueness, not secrecy */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

void sb_rand_token(struct sb_rand *r, char *out, unsigned n)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";

	for (unsigned i = 0; i < n; i++)
		out[i] = al[sb_rand_next(r) % 36];
	out[n] = '\0';
}

const char *sb_sip_reason(unsigned code)
{
	switch (code) {
	case 100: return "Trying";
	case 180: return "Ringing";
	case 183: return "Session Progress";
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 480: return "Temporarily Unavailable";
	case 481: return "Call/Transaction Does Not Exist";
	case 486: return "Busy Here";
	case 487: return "Request Terminated";
	case 423: return "Interval Too Brief";
	case 488: return "Not Acceptable Here";
	case 500: return "Server Internal Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default:  return code < 300 ? "OK" : "Error";
	}
}

void sb_sip_response_dest(const struct sb_sip_msg *req, const struct sb_sip_addr *src,
			  struct sb_sip_addr *dst)
{
	struct sb_sip_via via;

	*dst = *src;
	if (sb_sip_via_parse(sb_sip_msg_hdr(req, SB_HDR_VIA), &via, NULL) == 0 && !via.has_rport)
		dst->port = via.port ? via.port : 5060;
}

/* Top Via: keep every param except rport/received, then add ours. */
static void write_top_via(struct sb_buf *b, struct sb_str value, const struct sb_sip_addr *src)
{
	struct sb_sip_via v;
	struct sb_str rest;
	const char *p, *e;

	if (sb_sip_via_parse(value, &v, &rest) < 0) {
		sb_buf_puts(b, "Via: ");
		sb_buf_str(b, value);
		sb_buf_puts(b, "\r\n");
		return;
	}
	sb_buf_puts(b, "Via: ");
	sb_buf_str(b, sb_str_mk(v.text.p, v.params.p));
	p = v.params.p;
	e = sb_str_end(v.params);
	while (p < e) {
		const char *q = memchr(p + 1, ';', (size_t)(e - p - 1));
		struct sb_str prm = sb_str_mk(p, q ? q : e);
		const char *eq = sb_str_chr(prm, '=');
		struct sb_str name = sb_str_trim(sb_str_mk(p + 1, eq ? eq : sb_str_end(prm)));

		if (!sb_str_ieq(name, "rport") && !sb_str_ieq(name, "received"))
			sb_buf_str(b, prm);
		p = q ? q : e;
	}
	sb_buf_puts(b, ";received=");
	sb_buf_ipv4(b, src->ip);
	if (v.has_rport)
		sb_buf_printf(b, ";rport=%u", src->port);
	sb_buf_puts(b, "\r\n");
	if (rest.len) {
		sb_buf_puts(b, "Via: ");
		sb_buf_str(b, rest);
		sb_buf_puts(b, "\r\n");
	}
}

void sb_sip_write_response(struct sb_buf *b, const struct sb_sip_msg *req,
			   const struct sb_sip_addr *src, unsigned code, const char *reason,
			   const char *to_tag, const char *extra_hdrs, const char *content_type,
			   struct sb_str body)
{
	int top = 1;

	sb_buf_printf(b, "SIP/2.0 %u %s\r\n", code, reason ? reason : sb_sip_reason(code));
	for (unsigned i = 0; i < req->n_hdrs; i++) {
		const struct sb_sip_hdr *h = &req->hdrs[i];

		if (h->id != SB_HDR_VIA)
			continue;
		if (top) {
			write_top_via(b, h->value, src);
			top = 0;
		} else {
			sb_buf_puts(b, "Via: ");
			sb_buf_str(b, h->value);
			sb_buf_puts(b, "\r\n");
		}
	}
	if (req->first[SB_HDR_FROM] >= 0) {
		sb_buf_puts(b, "From: ");
		sb_buf_str(b, sb_sip_msg_hdr(req, SB_HDR_FROM));
		sb_buf_puts(b, "\r\n");
	}
	if (req->first[SB_HDR_TO] >= 0) {
		struct sb_str to = sb_sip_msg_hdr(req, SB_HDR_TO);

		sb_buf_puts(b, "To: ");
		sb_buf_str(b, to);
		if (to_tag && sb_sip_tag(to).len == 0)
			sb_buf_printf(b, ";tag=%s", to_tag);
		sb_buf_puts(b, "\r\n");
	}
	if (req->call_id.len) {
		sb_buf_puts(b, "Call-ID: ");
		sb_buf_str(b, req->call_id);
		sb_buf_puts(b, "\r\n");
	}
	if (req->first[SB_HDR_CSEQ] >= 0) {
		sb_buf_puts(b, "CSeq: ");
		sb_buf_str(b, sb_sip_msg_hdr(req, SB_HDR_CSEQ));
		sb_buf_puts(b, "\r\n");
	}
	sb_buf_puts(b, "Server: switchboard\r\n");
	if (extra_hdrs)
		sb_buf_puts(b, extra_hdrs);
	if (content_type) {
		sb_buf_printf(b, "Content-Type: %s\r\nContent-Length: %u\r\n\r\n", content_type,
			      body.len);
		sb_buf_str(b, body);
	} else {
		sb_buf_puts(b, "Content-Length: 0\r\n\r\n");
	}
}

void sb_sip_write_via(struct sb_buf *b, const struct sb_sip_addr *local, const char *branch)
{
	sb_sip_write_via_proto(b, "UDP", local, branch);
}

void sb_sip_write_via_proto(struct sb_buf *b, const char *proto, const struct sb_sip_addr *local,
			    const char *branch)
{
	sb_buf_printf(b, "Via: SIP/2.0/%s ", proto);
	sb_buf_ipv4(b, local->ip);
	sb_buf_printf(b, ":%u;branch=%s;rport\r\n", local->port, branch);
}
