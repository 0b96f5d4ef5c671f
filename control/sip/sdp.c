/* SPDX-License-Identifier: MIT */
/*
 * sip/sdp.c — RFC 4566 parser and writer (see sdp.h).  One pass over the
 * lines; each value is a slice, numbers are range-checked, addresses go
 * through inet_pton on a bounded stack copy.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "sip/sdp.h"

#define FAIL(w) do { if (why) *why = (w); return -EBADMSG; } while (0)

/* ---- small helpers ---- */

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

static bool starts(struct sb_str v, const char *lit, struct sb_str *rest)
{
	size_t n = strlen(lit);

	if (v.len < n || memcmp(v.p, lit, n) != 0)
		return false;
	*rest = sb_str_mk(v.p + n, v.p + v.len);
	return true;
}

static bool to_u64(struct sb_str s, uint64_t *out)
{
	uint64_t v = 0;

	if (s.len == 0 || s.len > 19)
		return false;
	for (uint32_t i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
	}
	*out = v;
	return true;
}

static bool is_token(struct sb_str s)
{
	if (s.len == 0)
		return false;
	for (uint32_t i = 0; i < s.len; i++)
		if ((unsigned char)s.p[i] <= ' ' || (unsigned char)s.p[i] >= 0x7f)
			return false;
	return true;
}

/* "IN IP4 a.b.c.d[/ttl[/n]]" or "IN IP6 x::y[/n]" */
static int parse_addr(struct sb_str nt, struct sb_str at, struct sb_str addr, struct sb_sdp_addr *a)
{
	char tmp[INET6_ADDRSTRLEN + 1];
	const char *slash = sb_str_chr(addr, '/');

	if (!sb_str_eq(nt, "IN"))
		return -1;
	if (slash)
		addr.len = (uint32_t)(slash - addr.p);
	if (addr.len == 0 || addr.len >= sizeof(tmp))
		return -1;
	memset(a, 0, sizeof(*a));
	if (sb_str_eq(at, "IP4")) {
		if (!sb_str_to_ipv4(addr, &a->ip4))
			return -1;
		a->family = 4;
		return 0;
	}
	if (sb_str_eq(at, "IP6")) {
		memcpy(tmp, addr.p, addr.len);
		tmp[addr.len] = '\0';
		if (inet_pton(AF_INET6, tmp, a->ip6) != 1)
			return -1;
		a->family = 6;
		return 0;
	}
	return -1;
}

static int parse_c(struct sb_str v, struct sb_sdp_addr *a)
{
	struct sb_str nt, at, addr, extra;
	const char *p = v.p, *e = v.p + v.len;

	p = next_field(p, e, &nt);
	p = next_field(p, e, &at);
	p = next_field(p, e, &addr);
	next_field(p, e, &extra);
	if (extra.len)
		return -1;
	return parse_addr(nt, at, addr, a);
}

/* ---- base64 (RFC 4648) ---- */

static int b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int sb_base64_decode(const char *p, uint32_t n, uint8_t *out, unsigned cap)
{
	uint32_t acc = 0, bits = 0, pad = 0;
	unsigned len = 0;

	while (n > 0 && p[n - 1] == '=') {
		n--;
		if (++pad > 2)
			return -1;
	}
	if (pad && (n + pad) % 4 != 0)
		return -1;
	if (n % 4 == 1)
		return -1; /* 6 bits cannot make a byte */
	for (uint32_t i = 0; i < n; i++) {
		int v = b64_val((unsigned char)p[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (len >= cap)
				return -1;
			out[len++] = (uint8_t)(acc >> bits);
		}
	}
	if (acc & ((1u << bits) - 1))
		return -1; /* non-canonical: leftover bits must be zero */
	return (int)len;
}

void sb_base64_put(struct sb_buf *b, const uint8_t *in, unsigned n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];

	for (unsigned i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		unsigned k = n - i;

		if (k > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (k > 2)
			v |= in[i + 2];
		q[0] = tab[(v >> 18) & 63];
		q[1] = tab[(v >> 12) & 63];
		q[2] = k > 1 ? tab[(v >> 6) & 63] : '=';
		q[3] = k > 2 ? tab[v & 63] : '=';
		sb_buf_put(b, q, 4);
	}
}

/* ---- names ---- */

static const char *const suite_names[SB_SRTP_N] = {
	[SB_SRTP_AES_CM_128_HMAC_SHA1_80] = "AES_CM_128_HMAC_SHA1_80",
	[SB_SRTP_AES_CM_128_HMAC_SHA1_32] = "AES_CM_128_HMAC_SHA1_32",
	[SB_SRTP_AEAD_AES_128_GCM] = "AEAD_AES_128_GCM",
};

static const uint8_t suite_key_len[SB_SRTP_N] = {
	[SB_SRTP_AES_CM_128_HMAC_SHA1_80] = 30,
	[SB_SRTP_AES_CM_128_HMAC_SHA1_32] = 30,
	[SB_SRTP_AEAD_AES_128_GCM] = 28,
};

enum sb_srtp_suite sb_sdp_srtp_suite(struct sb_str name)
{
	for (int s = 0; s < SB_SRTP_N; s++)
		if (suite_names[s] && sb_str_eq(name, suite_names[s]))
			return (enum sb_srtp_suite)s;
	return SB_SRTP_UNKNOWN;
}

const char *sb_sdp_srtp_suite_name(enum sb_srtp_suite s)
{
	return (unsigned)s < SB_SRTP_N ? suite_names[s] : NULL;
}

unsigned sb_sdp_srtp_key_len(enum sb_srtp_suite s)
{
	return (unsigned)s < SB_SRTP_N ? suite_key_len[s] : 0;
}

const char *sb_sdp_dir_name(enum sb_sdp_dir d)
{
	static const char *const n[] = { "sendrecv", "sendonly", "recvonly", "inactive" };

	return (unsigned)d < 4 ? n[d] : "sendrecv";
}

static const char *const proto_names[] = {
	[SB_SDP_RTP_AVP] = "RTP/AVP",
	[SB_SDP_RTP_AVPF] = "RTP/AVPF",
	[SB_SDP_RTP_SAVP] = "RTP/SAVP",
	[SB_SDP_RTP_SAVPF] = "RTP/SAVPF",
	[SB_SDP_UDP_TLS_RTP_SAVP] = "UDP/TLS/RTP/SAVP",
	[SB_SDP_UDP_TLS_RTP_SAVPF] = "UDP/TLS/RTP/SAVPF",
};

const char *sb_sdp_proto_name(enum sb_sdp_proto p)
{
	return (unsigned)p < sizeof(proto_names) / sizeof(proto_names[0]) ? proto_names[p] : NULL;
}

static enum sb_sdp_proto proto_of(struct sb_str s)
{
	for (unsigned p = 1; p < sizeof(proto_names) / sizeof(proto_names[0]); p++)
		if (sb_str_ieq(s, proto_names[p]))
			return (enum sb_sdp_proto)p;
	return SB_SDP_PROTO_OTHER;
}

static enum sb_codec codec_of(struct sb_str enc, uint32_t rate, uint8_t ch)
{
	if (sb_str_ieq(enc, "PCMU") && rate == 8000 && ch <= 1)
		return SB_CODEC_PCMU;
	if (sb_str_ieq(enc, "PCMA") && rate == 8000 && ch <= 1)
		return SB_CODEC_PCMA;
	if (sb_str_ieq(enc, "opus") && rate == 48000 && ch == 2)
		return SB_CODEC_OPUS; /* RFC 7587: always opus/48000/2 */
	if (sb_str_ieq(enc, "telephone-event") && (rate == 8000 || rate == 48000) && ch <= 1)
		return SB_CODEC_TEL_EVENT;
	return SB_CODEC_NONE;
}

/* ---- attributes ---- */

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
	/* encoding names are tokens: nothing else could be written back safely */
	if (!is_token(sb_str_mk(p, slash)))
		return -1;
	memset(m, 0, sizeof(*m));
	m->pt = (uint8_t)pt;
	m->enc = sb_str_mk(p, slash);
	m->rate = rate;
	m->channels = (uint8_t)ch;
	m->codec = (uint8_t)codec_of(m->enc, rate, m->channels);
	return 0;
}

/* "tag suite inline:KEY[|lifetime][|mki:len][;more key params] [session params]" */
static int parse_crypto(struct sb_str v, struct sb_sdp_crypto *k, const char **why)
{
	const char *p = v.p, *e = v.p + v.len, *kp_end, *bar;
	struct sb_str tag, suite, kp, key;
	uint32_t tagv;
	unsigned want;
	int n;

	memset(k, 0, sizeof(*k));
	p = next_field(p, e, &tag);
	p = next_field(p, e, &suite);
	p = next_field(p, e, &kp);
	while (p < e && *p == ' ')
		p++;
	k->session_params = sb_str_mk(p, e);
	if (!sb_str_to_u32(tag, 999999999, &tagv) || tag.len > 9)
		FAIL("Bad SDP a=crypto tag");
	if (!is_token(suite))
		FAIL("Bad SDP a=crypto suite");
	k->tag = tagv;
	k->suite_name = suite;
	k->suite = (uint8_t)sb_sdp_srtp_suite(suite);
	if (k->suite == SB_SRTP_UNKNOWN)
		return 0; /* its key parameters may look different: not ours to judge */
	/* only the first key parameter is used (one master key per direction) */
	kp_end = memchr(kp.p, ';', kp.len);
	if (kp_end)
		kp.len = (uint32_t)(kp_end - kp.p);
	if (!starts(kp, "inline:", &key))
		FAIL("Bad SDP a=crypto key method (not inline:)");
	bar = sb_str_chr(key, '|');
	if (bar) {
		struct sb_str rest = sb_str_mk(bar + 1, sb_str_end(key));

		key.len = (uint32_t)(bar - key.p);
		if (rest.len == 0)
			FAIL("Bad SDP a=crypto key parameters");
		while (rest.len) {
			const char *nb = sb_str_chr(rest, '|'), *colon;
			struct sb_str f = nb ? sb_str_mk(rest.p, nb) : rest;
			uint32_t a, b;

			colon = sb_str_chr(f, ':');
			if (colon) { /* MKI:length */
				if (k->mki_len || !sb_str_to_u32(sb_str_mk(f.p, colon), UINT32_MAX, &a) ||
				    !sb_str_to_u32(sb_str_mk(colon + 1, sb_str_end(f)), 128, &b) || b == 0)
					FAIL("Bad SDP a=crypto MKI");
				if (b > 4)
					FAIL("Bad SDP a=crypto MKI (longer than 4 bytes)");
				if (b < 4 && a >= (1u << (8 * b)))
					FAIL("Bad SDP a=crypto MKI (value does not fit its length)");
				k->mki = a;
				k->mki_len = (uint8_t)b;
			} else if (f.len > 2 && f.p[0] == '2' && f.p[1] == '^') {
				if (k->lifetime || !sb_str_to_u32(sb_str_mk(f.p + 2, sb_str_end(f)), 48, &a) ||
				    a == 0)
					FAIL("Bad SDP a=crypto lifetime");
				k->lifetime_log2 = (uint8_t)a;
				k->lifetime = 1ull << a;
			} else {
				uint64_t l;

				if (k->lifetime || !to_u64(f, &l) || l == 0 || l > (1ull << 48))
					FAIL("Bad SDP a=crypto lifetime");
				k->lifetime = l;
			}
			if (nb == NULL)
				break;
			rest = sb_str_mk(nb + 1, sb_str_end(rest));
			if (rest.len == 0)
				FAIL("Bad SDP a=crypto key parameters");
		}
	}
	want = sb_sdp_srtp_key_len((enum sb_srtp_suite)k->suite);
	n = sb_base64_decode(key.p, key.len, k->key, sizeof(k->key));
	if (n < 0)
		FAIL("Bad SDP a=crypto key (not base64)");
	if ((unsigned)n != want)
		FAIL("Bad SDP a=crypto key (wrong length for the suite)");
	k->key_len = (uint8_t)n;
	return 0;
}

/* a=rtcp:port [IN IP4 addr] */
static int parse_rtcp(struct sb_str v, struct sb_sdp_media *m)
{
	const char *p = v.p, *e = v.p + v.len;
	struct sb_str port, nt, at, addr, extra;
	uint32_t pv;

	p = next_field(p, e, &port);
	if (!sb_str_to_u32(port, 65535, &pv) || pv == 0)
		return -1;
	m->rtcp_port = (uint16_t)pv;
	p = next_field(p, e, &nt);
	if (nt.len == 0)
		return 0;
	p = next_field(p, e, &at);
	p = next_field(p, e, &addr);
	next_field(p, e, &extra);
	if (extra.len)
		return -1;
	return parse_addr(nt, at, addr, &m->rtcp_addr);
}

/* ---- m= and the end of a media section ---- */

struct fmtp_pending {
	uint8_t n;
	uint8_t pt[SB_SDP_MAX_PT];
	struct sb_str v[SB_SDP_MAX_PT];
};

static bool is_rtp(enum sb_sdp_proto p)
{
	return p != SB_SDP_PROTO_OTHER;
}

static int parse_m(struct sb_str v, struct sb_sdp_media *m, const char **why)
{
	struct sb_str media, port, proto, fmt;
	const char *q = v.p, *e = v.p + v.len, *slash;
	uint32_t pv, np = 1;

	memset(m, 0, sizeof(*m));
	q = next_field(q, e, &media);
	q = next_field(q, e, &port);
	q = next_field(q, e, &proto);
	if (!is_token(media) || port.len == 0 || !is_token(proto))
		FAIL("Bad SDP m= line");
	while (q < e && *q == ' ')
		q++;
	m->fmts = sb_str_mk(q, e);
	slash = sb_str_chr(port, '/'); /* port/count */
	if (slash) {
		if (!sb_str_to_u32(sb_str_mk(slash + 1, sb_str_end(port)), 65535, &np) || np == 0)
			FAIL("Bad SDP m= port count");
		port.len = (uint32_t)(slash - port.p);
	}
	if (!sb_str_to_u32(port, 65535, &pv))
		FAIL("Bad SDP m= port");
	m->media = media;
	m->type = sb_str_eq(media, "audio") ? SB_SDP_AUDIO
		: sb_str_eq(media, "video") ? SB_SDP_VIDEO : SB_SDP_MEDIA_OTHER;
	m->proto_name = proto;
	m->proto = (uint8_t)proto_of(proto);
	m->port = (uint16_t)pv;
	m->n_ports = (uint16_t)np;
	if (m->fmts.len == 0)
		FAIL("SDP m= line without formats");
	if (!is_rtp(m->proto))
		return 0;
	for (;;) {
		uint32_t pt;

		q = next_field(q, e, &fmt);
		if (fmt.len == 0)
			break;
		if (!sb_str_to_u32(fmt, 127, &pt))
			FAIL("Bad SDP payload type");
		if (m->n_pts < SB_SDP_MAX_PT && memchr(m->pts, (int)pt, m->n_pts) == NULL)
			m->pts[m->n_pts++] = (uint8_t)pt;
	}
	return 0;
}

static void finish_media(struct sb_sdp_media *m, const struct sb_sdp *s, const struct fmtp_pending *f,
			 bool has_dir)
{
	static const struct { uint8_t pt; const char *enc; } stat[] = {
		{ 0, "PCMU" }, { 3, "GSM" }, { 4, "G723" }, { 8, "PCMA" }, { 9, "G722" },
		{ 18, "G729" },
	};

	if (!has_dir)
		m->dir = s->dir;
	if (m->c.family == 0)
		m->c = s->c;
	/* static payload types may come without rtpmap (RFC 3551) */
	for (unsigned i = 0; i < m->n_pts; i++) {
		if (sb_sdp_rtpmap_find(m, m->pts[i]))
			continue;
		for (unsigned k = 0; k < sizeof(stat) / sizeof(stat[0]); k++) {
			struct sb_sdp_rtpmap *r;

			if (stat[k].pt != m->pts[i])
				continue;
			r = &m->rtpmap[m->n_rtpmap++];
			memset(r, 0, sizeof(*r));
			r->pt = stat[k].pt;
			r->enc = sb_str_mk(stat[k].enc, stat[k].enc + strlen(stat[k].enc));
			r->rate = 8000;
			r->codec = (uint8_t)codec_of(r->enc, 8000, 0);
		}
	}
	for (unsigned i = 0; i < f->n; i++)
		for (unsigned k = 0; k < m->n_rtpmap; k++)
			if (m->rtpmap[k].pt == f->pt[i])
				m->rtpmap[k].fmtp = f->v[i];
}

int sb_sdp_parse(const char *buf, const char *end, struct sb_sdp *s, const char **why)
{
	const char *p = buf;
	struct sb_sdp_media *cur = NULL;
	struct fmtp_pending fp = { 0 };
	bool first = true, has_dir = false, has_o = false;
	int rc;

	memset(s, 0, sizeof(*s));
	s->dir = SB_SDP_SENDRECV;
	while (p < end) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		const char *le = lf ? lf : end, *nx = lf ? lf + 1 : end;
		struct sb_str v, rest;

		if (le > p && le[-1] == '\r')
			le--;
		if (le == p) { /* tolerate empty lines (trailing CRLF) */
			p = nx;
			continue;
		}
		if (le - p < 2 || p[1] != '=')
			FAIL("SDP line is not type=value");
		v = sb_str_mk(p + 2, le);
		if (memchr(v.p, '\0', v.len) || memchr(v.p, '\r', v.len))
			FAIL("SDP line with NUL or bare CR");
		if (first) {
			if (p[0] != 'v' || !sb_str_eq(v, "0"))
				FAIL("SDP does not start with v=0");
			first = false;
		}
		switch (p[0]) {
		case 'o': {
			struct sb_str user, id, ver, nt, at, addr;
			const char *q = v.p, *e = v.p + v.len;

			if (cur || has_o)
				FAIL("SDP o= line out of place");
			q = next_field(q, e, &user);
			q = next_field(q, e, &id);
			q = next_field(q, e, &ver);
			q = next_field(q, e, &nt);
			q = next_field(q, e, &at);
			next_field(q, e, &addr);
			if (!is_token(user) || !to_u64(id, &s->sess_id) || !to_u64(ver, &s->sess_ver) ||
			    parse_addr(nt, at, addr, &s->o_addr) < 0) {
				/* hostnames in o= are legal and harmless: only the numbers matter */
				if (!is_token(user) || !to_u64(id, &s->sess_id) ||
				    !to_u64(ver, &s->sess_ver) || !sb_str_eq(nt, "IN") || addr.len == 0)
					FAIL("Bad SDP o= line");
				memset(&s->o_addr, 0, sizeof(s->o_addr));
			}
			s->o_user = user;
			has_o = true;
			break;
		}
		case 'm':
			if (cur)
				finish_media(cur, s, &fp, has_dir);
			if (s->n_media >= SB_SDP_MAX_MEDIA)
				FAIL("SDP has too many m= lines");
			cur = &s->m[s->n_media++];
			memset(&fp, 0, sizeof(fp));
			has_dir = false;
			rc = parse_m(v, cur, why);
			if (rc < 0)
				return rc;
			break;
		case 'c':
			if (parse_c(v, cur ? &cur->c : &s->c) < 0)
				FAIL("Bad SDP c= line");
			break;
		case 'a': {
			uint8_t d = 0xff;

			if (sb_str_eq(v, "sendrecv"))
				d = SB_SDP_SENDRECV;
			else if (sb_str_eq(v, "sendonly"))
				d = SB_SDP_SENDONLY;
			else if (sb_str_eq(v, "recvonly"))
				d = SB_SDP_RECVONLY;
			else if (sb_str_eq(v, "inactive"))
				d = SB_SDP_INACTIVE;
			if (d != 0xff) {
				if (cur) {
					cur->dir = d;
					has_dir = true;
				} else {
					s->dir = d;
				}
				break;
			}
			if (cur == NULL || !is_rtp(cur->proto))
				break; /* other session attributes: not ours */
			if (starts(v, "rtpmap:", &rest)) {
				struct sb_sdp_rtpmap m;

				if (parse_rtpmap(rest, &m) < 0)
					FAIL("Bad SDP a=rtpmap");
				if (memchr(cur->pts, m.pt, cur->n_pts) && !sb_sdp_rtpmap_find(cur, m.pt))
					cur->rtpmap[cur->n_rtpmap++] = m;
			} else if (starts(v, "fmtp:", &rest)) {
				const char *sp = memchr(rest.p, ' ', rest.len);
				uint32_t pt;

				if (sp == NULL || !sb_str_to_u32(sb_str_mk(rest.p, sp), 127, &pt))
					FAIL("Bad SDP a=fmtp");
				if (fp.n < SB_SDP_MAX_PT) {
					fp.pt[fp.n] = (uint8_t)pt;
					fp.v[fp.n++] = sb_str_trim(sb_str_mk(sp + 1, sb_str_end(rest)));
				}
			} else if (starts(v, "ptime:", &rest)) {
				uint32_t t;

				if (!sb_str_to_u32(rest, 1000, &t) || t == 0)
					FAIL("Bad SDP a=ptime");
				cur->ptime = (uint16_t)t;
			} else if (starts(v, "maxptime:", &rest)) {
				uint32_t t;

				if (!sb_str_to_u32(rest, 1000, &t) || t == 0)
					FAIL("Bad SDP a=maxptime");
				cur->maxptime = (uint16_t)t;
			} else if (starts(v, "rtcp:", &rest)) {
				if (parse_rtcp(rest, cur) < 0)
					FAIL("Bad SDP a=rtcp");
			} else if (sb_str_eq(v, "rtcp-mux")) {
				cur->rtcp_mux = true;
			} else if (starts(v, "crypto:", &rest)) {
				struct sb_sdp_crypto k;

				rc = parse_crypto(rest, &k, why);
				if (rc < 0)
					return rc;
				if (cur->n_crypto < SB_SDP_MAX_CRYPTO)
					cur->crypto[cur->n_crypto++] = k;
			}
			break;
		}
		default:
			break;
		}
		p = nx;
	}
	if (first)
		FAIL("Empty SDP");
	if (cur)
		finish_media(cur, s, &fp, has_dir);
	for (unsigned i = 0; i < s->n_media; i++)
		if (s->m[i].port && s->m[i].c.family == 0)
			FAIL("SDP m= line without c= (none at session or media level)");
	return 0;
}

const struct sb_sdp_media *sb_sdp_audio(const struct sb_sdp *s)
{
	for (unsigned i = 0; i < s->n_media; i++)
		if (s->m[i].type == SB_SDP_AUDIO && s->m[i].port && is_rtp(s->m[i].proto))
			return &s->m[i];
	return NULL;
}

const struct sb_sdp_rtpmap *sb_sdp_rtpmap_find(const struct sb_sdp_media *m, uint8_t pt)
{
	for (unsigned i = 0; i < m->n_rtpmap; i++)
		if (m->rtpmap[i].pt == pt)
			return &m->rtpmap[i];
	return NULL;
}

/* ---- writing ---- */

void sb_sdp_put_addr(struct sb_buf *b, const struct sb_sdp_addr *a)
{
	char tmp[INET6_ADDRSTRLEN];

	if (a->family == 6 && inet_ntop(AF_INET6, a->ip6, tmp, sizeof(tmp))) {
		sb_buf_printf(b, "IN IP6 %s", tmp);
		return;
	}
	sb_buf_puts(b, "IN IP4 ");
	sb_buf_ipv4(b, a->family == 4 ? a->ip4 : 0);
}

void sb_sdp_put_crypto(struct sb_buf *b, const struct sb_sdp_crypto *k)
{
	const char *name = sb_sdp_srtp_suite_name((enum sb_srtp_suite)k->suite);

	if (name == NULL)
		return;
	sb_buf_printf(b, "a=crypto:%u %s inline:", k->tag, name);
	sb_base64_put(b, k->key, k->key_len);
	if (k->lifetime_log2)
		sb_buf_printf(b, "|2^%u", k->lifetime_log2);
	else if (k->lifetime)
		sb_buf_printf(b, "|%llu", (unsigned long long)k->lifetime);
	if (k->mki_len)
		sb_buf_printf(b, "|%u:%u", k->mki, k->mki_len);
	sb_buf_puts(b, "\r\n");
}

void sb_sdp_write(struct sb_buf *b, const struct sb_sdp *s)
{
	sb_buf_puts(b, "v=0\r\no=");
	if (s->o_user.len)
		sb_buf_str(b, s->o_user);
	else
		sb_buf_puts(b, "-");
	sb_buf_printf(b, " %llu %llu ", (unsigned long long)s->sess_id,
		      (unsigned long long)s->sess_ver);
	sb_sdp_put_addr(b, &s->o_addr);
	sb_buf_puts(b, "\r\ns=-\r\n");
	if (s->c.family) {
		sb_buf_puts(b, "c=");
		sb_sdp_put_addr(b, &s->c);
		sb_buf_puts(b, "\r\n");
	}
	sb_buf_puts(b, "t=0 0\r\n");
	for (unsigned i = 0; i < s->n_media; i++) {
		const struct sb_sdp_media *m = &s->m[i];

		sb_buf_puts(b, "m=");
		sb_buf_str(b, m->media);
		sb_buf_printf(b, " %u", m->port);
		if (m->n_ports > 1)
			sb_buf_printf(b, "/%u", m->n_ports);
		sb_buf_puts(b, " ");
		sb_buf_str(b, m->proto_name);
		if (is_rtp(m->proto)) {
			for (unsigned k = 0; k < m->n_pts; k++)
				sb_buf_printf(b, " %u", m->pts[k]);
		} else {
			sb_buf_puts(b, " ");
			sb_buf_str(b, m->fmts);
		}
		sb_buf_puts(b, "\r\n");
		if (m->c.family) {
			sb_buf_puts(b, "c=");
			sb_sdp_put_addr(b, &m->c);
			sb_buf_puts(b, "\r\n");
		}
		for (unsigned k = 0; k < m->n_rtpmap; k++) {
			const struct sb_sdp_rtpmap *r = &m->rtpmap[k];

			sb_buf_printf(b, "a=rtpmap:%u ", r->pt);
			sb_buf_str(b, r->enc);
			sb_buf_printf(b, "/%u", r->rate);
			if (r->channels)
				sb_buf_printf(b, "/%u", r->channels);
			sb_buf_puts(b, "\r\n");
			if (r->fmtp.len) {
				sb_buf_printf(b, "a=fmtp:%u ", r->pt);
				sb_buf_str(b, r->fmtp);
				sb_buf_puts(b, "\r\n");
			}
		}
		if (m->ptime)
			sb_buf_printf(b, "a=ptime:%u\r\n", m->ptime);
		if (m->maxptime)
			sb_buf_printf(b, "a=maxptime:%u\r\n", m->maxptime);
		if (m->rtcp_port) {
			sb_buf_printf(b, "a=rtcp:%u", m->rtcp_port);
			if (m->rtcp_addr.family) {
				sb_buf_puts(b, " ");
				sb_sdp_put_addr(b, &m->rtcp_addr);
			}
			sb_buf_puts(b, "\r\n");
		}
		if (m->rtcp_mux)
			sb_buf_puts(b, "a=rtcp-mux\r\n");
		for (unsigned k = 0; k < m->n_crypto; k++)
			sb_sdp_put_crypto(b, &m->crypto[k]);
		sb_buf_printf(b, "a=%s\r\n", sb_sdp_dir_name((enum sb_sdp_dir)m->dir));
	}
}
