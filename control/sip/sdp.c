/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "sip/sdp.h"

#define FAIL(w) do { if (why) *why = (w); return -EBADMSG; } while (0)

static const char *next_field(const char *p, const char *e, struct sb_str *tok)
{
	const char *q;

	while (p < e && *p == ' ')
		p++;
	q = p;
	while (q < e && *q != ' ')
		q++;
	*tok = sb_str_mk(p, q);
	return q;
}

static int parse_c(struct sb_str v, uint32_t *ip)
{
	struct sb_str nt, at, addr;
	const char *p = v.p, *e = v.p + v.len, *slash;

	p = next_field(p, e, &nt);
	p = next_field(p, e, &at);
	p = next_field(p, e, &addr);
	if (!sb_str_eq(nt, "IN") || !sb_str_eq(at, "IP4"))
		return -1;
	slash = sb_str_chr(addr, '/'); /* multicast TTL */
	if (slash)
		addr.len = (uint32_t)(slash - addr.p);
	return sb_str_to_ipv4(addr, ip) ? 0 : -1;
}

static int parse_rtpmap(struct sb_str v, struct sb_sdp_rtpmap *m)
{
	const char *p = v.p, *e = v.p + v.len, *q, *slash, *slash2;
	uint32_t pt, rate, ch = 0;

	q = memchr(p, ' ', (size_t)(e - p));
	if (q == NULL || !sb_str_to_u32(sb_str_mk(p, q), 127, &pt))
		return -1;
	p = q + 1;
	slash = memchr(p, '/', (size_t)(e - p));
	if (slash == NULL || slash == p)
		return -1;
	slash2 = memchr(slash + 1, '/', (size_t)(e - slash - 1));
	if (!sb_str_to_u32(sb_str_mk(slash + 1, slash2 ? slash2 : e), 1000000, &rate) || rate == 0)
		return -1;
	if (slash2 && (!sb_str_to_u32(sb_str_mk(slash2 + 1, e), 255, &ch) || ch == 0))
		return -1;
	/* encoding names are tokens (RFC 4566 byte-string would allow more,
	 * but nothing we could write back into an SDP safely) */
	for (q = p; q < slash; q++)
		if ((unsigned char)*q <= ' ' || (unsigned char)*q >= 0x7f)
			return -1;
	m->pt = (uint8_t)pt;
	m->enc = sb_str_mk(p, slash);
	m->rate = rate;
	m->channels = (uint8_t)ch;
	return 0;
}

int sb_sdp_parse(const char *buf, const char *end, struct sb_sdp *s, const char **why)
{
	const char *p = buf;
	int first = 1, in_audio = 0, done_audio = 0, media_c = 0;

	memset(s, 0, sizeof(*s));
	while (p < end) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		const char *le = lf ? lf : end, *nx = lf ? lf + 1 : end;
		struct sb_str v;

		if (le > p && le[-1] == '\r')
			le--;
		if (le == p) { /* tolerate empty lines (trailing CRLF) */
			p = nx;
			continue;
		}
		if (le - p < 2 || p[1] != '=')
			FAIL("SDP line is not type=value");
		v = sb_str_mk(p + 2, le);
		if (first) {
			if (p[0] != 'v' || !sb_str_eq(v, "0"))
				FAIL("SDP does not start with v=0");
			first = 0;
		}
		switch (p[0]) {
		case 'm': {
			struct sb_str media, port, proto, fmt;
			const char *q = v.p, *e = v.p + v.len, *slash;
			uint32_t port_v;

			in_audio = 0;
			q = next_field(q, e, &media);
			q = next_field(q, e, &port);
			q = next_field(q, e, &proto);
			if (media.len == 0 || port.len == 0 || proto.len == 0)
				FAIL("Bad SDP m= line");
			if (!sb_str_eq(media, "audio") || done_audio)
				break;
			slash = sb_str_chr(port, '/'); /* port/count */
			if (slash)
				port.len = (uint32_t)(slash - port.p);
			if (!sb_str_to_u32(port, 65535, &port_v))
				FAIL("Bad SDP m= port");
			if (!sb_str_eq(proto, "RTP/AVP") && !sb_str_eq(proto, "RTP/AVPF") &&
			    !sb_str_eq(proto, "RTP/SAVP") && !sb_str_eq(proto, "RTP/SAVPF"))
				FAIL("Unsupported SDP m= transport");
			s->audio_port = (uint16_t)port_v;
			s->has_audio = 1;
			in_audio = 1;
			done_audio = 1;
			for (;;) {
				uint32_t pt;

				q = next_field(q, e, &fmt);
				if (fmt.len == 0)
					break;
				if (!sb_str_to_u32(fmt, 127, &pt))
					FAIL("Bad SDP payload type");
				if (s->n_pts < SB_SDP_MAX_PT)
					s->pts[s->n_pts++] = (uint8_t)pt;
			}
			if (s->n_pts == 0)
				FAIL("SDP m=audio without payload types");
			break;
		}
		case 'c': {
			uint32_t ip;

			if (done_audio && !in_audio)
				break; /* c= of another media section */
			if (parse_c(v, &ip) < 0)
				FAIL("Bad or non-IPv4 SDP c= line");
			if (in_audio) {
				s->c_ip = ip;
				media_c = 1;
			} else if (!media_c) {
				s->c_ip = ip;
			}
			s->has_c = 1;
			break;
		}
		case 'a':
			if (done_audio && !in_audio)
				break;
			if (v.len > 7 && memcmp(v.p, "rtpmap:", 7) == 0) {
				struct sb_sdp_rtpmap m;

				if (parse_rtpmap(sb_str_mk(v.p + 7, v.p + v.len), &m) < 0)
					FAIL("Bad SDP a=rtpmap");
				if (in_audio && s->n_rtpmap < SB_SDP_MAX_PT)
					s->rtpmap[s->n_rtpmap++] = m;
			} else if (v.len > 6 && memcmp(v.p, "ptime:", 6) == 0) {
				uint32_t pt;

				if (!sb_str_to_u32(sb_str_mk(v.p + 6, v.p + v.len), 1000, &pt) || pt == 0)
					FAIL("Bad SDP a=ptime");
				s->ptime = (uint16_t)pt;
			} else if (sb_str_eq(v, "sendrecv")) {
				s->dir = SB_SDP_SENDRECV;
			} else if (sb_str_eq(v, "sendonly")) {
				s->dir = SB_SDP_SENDONLY;
			} else if (sb_str_eq(v, "recvonly")) {
				s->dir = SB_SDP_RECVONLY;
			} else if (sb_str_eq(v, "inactive")) {
				s->dir = SB_SDP_INACTIVE;
			}
			break;
		default:
			break;
		}
		p = nx;
	}
	if (first)
		FAIL("Empty SDP");
	if (!s->has_audio)
		FAIL("SDP has no m=audio line");
	if (!s->has_c)
		FAIL("SDP has no c= line for audio");
	return 0;
}

const struct sb_sdp_rtpmap *sb_sdp_rtpmap_find(const struct sb_sdp *s, uint8_t pt)
{
	for (unsigned i = 0; i < s->n_rtpmap; i++)
		if (s->rtpmap[i].pt == pt)
			return &s->rtpmap[i];
	return NULL;
}

void sb_sdp_write(struct sb_buf *b, const struct sb_sdp *c, uint32_t ip_be, uint16_t port,
		  uint64_t sess_id, uint64_t sess_ver)
{
	static const char *const dirs[] = { "sendrecv", "sendonly", "recvonly", "inactive" };

	sb_buf_printf(b, "v=0\r\no=switchboard %llu %llu IN IP4 ", (unsigned long long)sess_id,
		      (unsigned long long)sess_ver);
	sb_buf_ipv4(b, ip_be);
	sb_buf_puts(b, "\r\ns=switchboard\r\nc=IN IP4 ");
	sb_buf_ipv4(b, ip_be);
	sb_buf_printf(b, "\r\nt=0 0\r\nm=audio %u RTP/AVP", port);
	for (unsigned i = 0; i < c->n_pts; i++)
		sb_buf_printf(b, " %u", c->pts[i]);
	sb_buf_puts(b, "\r\n");
	for (unsigned i = 0; i < c->n_pts; i++) {
		const struct sb_sdp_rtpmap *m = sb_sdp_rtpmap_find(c, c->pts[i]);

		if (m == NULL)
			continue;
		sb_buf_printf(b, "a=rtpmap:%u ", m->pt);
		sb_buf_str(b, m->enc);
		sb_buf_printf(b, "/%u", m->rate);
		if (m->channels)
			sb_buf_printf(b, "/%u", m->channels);
		sb_buf_puts(b, "\r\n");
	}
	if (c->ptime)
		sb_buf_printf(b, "a=ptime:%u\r\n", c->ptime);
	sb_buf_printf(b, "a=%s\r\n", dirs[c->dir]);
}
