/* SPDX-License-Identifier: MIT */
/*
 * sip/sdp_oa.c — RFC 3264 offer/answer (see sdp_oa.h).  Codecs are
 * compared by enum sb_codec (name, clock and channels folded in once by the
 * parser), never by payload-type number: the two sides of a bridged call
 * may number the same codec differently, and the media layer maps them.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "sip/sdp_oa.h"

#define FAILF(c, t) do { if (f) { f->warn = (c); f->text = (t); } return -ENOTSUP; } while (0)

void sb_sdp_oa_cfg_default(struct sb_sdp_oa_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->codecs[cfg->n_codecs++] = SB_CODEC_PCMU;
	cfg->codecs[cfg->n_codecs++] = SB_CODEC_PCMA;
	cfg->codecs[cfg->n_codecs++] = SB_CODEC_OPUS;
	cfg->codecs[cfg->n_codecs++] = SB_CODEC_TEL_EVENT;
	cfg->srtp_suites = (1u << SB_SRTP_AES_CM_128_HMAC_SHA1_80) |
			   (1u << SB_SRTP_AES_CM_128_HMAC_SHA1_32) |
			   (1u << SB_SRTP_AEAD_AES_128_GCM);
}

static bool is_savp(unsigned proto)
{
	return proto == SB_SDP_RTP_SAVP || proto == SB_SDP_RTP_SAVPF;
}

static bool cfg_has(const struct sb_sdp_oa_cfg *cfg, enum sb_codec c)
{
	return memchr(cfg->codecs, c, cfg->n_codecs) != NULL;
}

static void codec_from(struct sb_sdp_codec *d, const struct sb_sdp_rtpmap *r)
{
	d->pt = r->pt;
	d->codec = r->codec;
	d->channels = r->channels;
	d->rate = r->rate;
	d->enc = r->enc;
	d->fmtp = r->fmtp;
}

static const struct sb_sdp_codec *find_codec(const struct sb_sdp_neg *n, enum sb_codec c,
					     uint32_t rate)
{
	for (unsigned i = 0; i < n->n_codecs; i++)
		if (n->codecs[i].codec == c && (rate == 0 || n->codecs[i].rate == rate))
			return &n->codecs[i];
	return NULL;
}

static void stream_from(struct sb_sdp_neg *x, const struct sb_sdp_media *m, int idx)
{
	x->m_idx = (int8_t)idx;
	x->proto = m->proto;
	x->dir = m->dir;
	x->rtcp_mux = m->rtcp_mux;
	x->port = m->port;
	x->rtcp_port = m->rtcp_port;
	x->ptime = m->ptime;
	x->maxptime = m->maxptime;
	x->addr = m->c;
}

int sb_sdp_oa_accept(const struct sb_sdp_oa_cfg *cfg, const struct sb_sdp *offer,
		     struct sb_sdp_neg *x, struct sb_sdp_fail *f)
{
	unsigned warn = 304;
	const char *text = "No audio stream offered";

	for (unsigned i = 0; i < offer->n_media; i++) {
		const struct sb_sdp_media *m = &offer->m[i];
		const struct sb_sdp_crypto *key = NULL;
		bool audio = false;

		if (m->type != SB_SDP_AUDIO || m->port == 0)
			continue;
		memset(x, 0, sizeof(*x));
		if (m->proto == SB_SDP_PROTO_OTHER || m->proto == SB_SDP_UDP_TLS_RTP_SAVP ||
		    m->proto == SB_SDP_UDP_TLS_RTP_SAVPF) {
			warn = 302;
			text = "Audio transport not supported (RTP/AVP or RTP/SAVP with SDES only)";
			continue;
		}
		if (is_savp(m->proto)) {
			for (unsigned k = 0; k < m->n_crypto && key == NULL; k++)
				if (m->crypto[k].suite != SB_SRTP_UNKNOWN &&
				    (cfg->srtp_suites & (1u << m->crypto[k].suite)))
					key = &m->crypto[k];
			if (key == NULL) {
				warn = 302;
				text = cfg->srtp_suites ? "No supported SRTP crypto suite offered"
							: "SRTP not available";
				continue;
			}
		}
		/* our preference order; the offerer's numbers */
		for (unsigned c = 0; c < cfg->n_codecs; c++) {
			if (cfg->codecs[c] == SB_CODEC_TEL_EVENT)
				continue;
			for (unsigned k = 0; k < m->n_pts && x->n_codecs < SB_SDP_NEG_MAX; k++) {
				const struct sb_sdp_rtpmap *r = sb_sdp_rtpmap_find(m, m->pts[k]);

				if (r && r->codec == cfg->codecs[c]) {
					codec_from(&x->codecs[x->n_codecs++], r);
					audio = true;
				}
			}
		}
		if (!audio) {
			warn = 305;
			text = "No common audio codec (PCMU, PCMA, opus)";
			continue;
		}
		if (cfg_has(cfg, SB_CODEC_TEL_EVENT))
			for (unsigned k = 0; k < m->n_pts && x->n_codecs < SB_SDP_NEG_MAX; k++) {
				const struct sb_sdp_rtpmap *r = sb_sdp_rtpmap_find(m, m->pts[k]);

				if (r && r->codec == SB_CODEC_TEL_EVENT)
					codec_from(&x->codecs[x->n_codecs++], r);
			}
		stream_from(x, m, (int)i);
		if (key) {
			x->has_key = true;
			x->key = *key;
		}
		return 0;
	}
	memset(x, 0, sizeof(*x));
	x->m_idx = -1;
	FAILF(warn, text);
}

void sb_sdp_oa_relay_offer(const struct sb_sdp_neg *x, struct sb_sdp_neg *offer)
{
	*offer = *x;
	offer->m_idx = 0; /* we offer one m= line */
	offer->proto = SB_SDP_RTP_AVP;
	offer->has_key = false;
	offer->has_local_key = false;
	offer->rtcp_port = 0;
}

int sb_sdp_oa_match(const struct sb_sdp_neg *o, const struct sb_sdp *answer,
		    struct sb_sdp_neg *y, struct sb_sdp_fail *f)
{
	const struct sb_sdp_media *m;
	bool audio = false;

	memset(y, 0, sizeof(*y));
	y->m_idx = -1;
	if (o->m_idx < 0 || answer->n_media <= (unsigned)o->m_idx)
		FAILF(399, "Answer lacks the offered m= line");
	m = &answer->m[o->m_idx];
	if (m->type != SB_SDP_AUDIO)
		FAILF(399, "Answer's m= line is not the offered audio");
	if (m->port == 0)
		FAILF(304, "Audio stream rejected by the answerer");
	if (m->proto != o->proto)
		FAILF(302, "Answer changed the transport protocol");
	/* audio codecs in the answerer's order, then DTMF; by codec, not number */
	for (int pass = 0; pass < 2; pass++)
		for (unsigned k = 0; k < m->n_pts && y->n_codecs < SB_SDP_NEG_MAX; k++) {
			const struct sb_sdp_rtpmap *r = sb_sdp_rtpmap_find(m, m->pts[k]);
			bool te;

			if (r == NULL || r->codec == SB_CODEC_NONE)
				continue;
			te = r->codec == SB_CODEC_TEL_EVENT;
			if (te != (pass == 1) || !find_codec(o, (enum sb_codec)r->codec, r->rate))
				continue;
			codec_from(&y->codecs[y->n_codecs++], r);
			audio |= !te;
		}
	if (!audio)
		FAILF(305, "Answer has none of the offered codecs");
	if (o->has_local_key) {
		for (unsigned k = 0; k < m->n_crypto && !y->has_key; k++)
			if (m->crypto[k].tag == o->local_key.tag &&
			    m->crypto[k].suite == o->local_key.suite) {
				y->has_key = true;
				y->key = m->crypto[k];
			}
		if (!y->has_key)
			FAILF(302, "Answer has no a=crypto for the offered suite and tag");
	}
	stream_from(y, m, o->m_idx);
	y->rtcp_mux = o->rtcp_mux && m->rtcp_mux; /* mux only when we offered it */
	return 0;
}

static bool dir_sends(unsigned d)
{
	return d == SB_SDP_SENDRECV || d == SB_SDP_SENDONLY;
}

static bool dir_recvs(unsigned d)
{
	return d == SB_SDP_SENDRECV || d == SB_SDP_RECVONLY;
}

static enum sb_sdp_dir dir_of(bool send, bool recv)
{
	return send ? (recv ? SB_SDP_SENDRECV : SB_SDP_SENDONLY)
		    : (recv ? SB_SDP_RECVONLY : SB_SDP_INACTIVE);
}

enum sb_sdp_dir sb_sdp_oa_answer_dir(enum sb_sdp_dir offered)
{
	return dir_of(dir_recvs(offered), dir_sends(offered));
}

enum sb_sdp_dir sb_sdp_oa_bridge_dir(unsigned x_dir, unsigned y_dir)
{
	return dir_of(dir_recvs(x_dir) && dir_sends(y_dir), dir_sends(x_dir) && dir_recvs(y_dir));
}

int sb_sdp_oa_new_key(struct sb_sdp_crypto *k, enum sb_srtp_suite suite, uint32_t tag)
{
	unsigned len = sb_sdp_srtp_key_len(suite);
	unsigned got = 0;

	memset(k, 0, sizeof(*k));
	if (len == 0)
		return -EINVAL;
	while (got < len) {
		ssize_t n = getrandom(k->key + got, len - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -EIO;
		}
		got += (unsigned)n;
	}
	k->tag = tag;
	k->suite = (uint8_t)suite;
	k->key_len = (uint8_t)len;
	return 0;
}

void sb_sdp_oa_srtp_of(struct sb_media_srtp *d, const struct sb_sdp_crypto *k)
{
	memset(d, 0, sizeof(*d));
	d->suite = k->suite;
	d->key_len = k->key_len;
	d->mki_len = k->mki_len;
	d->mki = k->mki;
	memcpy(d->key, k->key, k->key_len <= sizeof(d->key) ? k->key_len : sizeof(d->key));
}

static void pt_add(struct sb_media_sdp *leg, const struct sb_sdp_codec *in,
		   const struct sb_sdp_codec *out)
{
	struct sb_media_pt *p;

	if (leg == NULL || leg->n_pt >= SB_MEDIA_MAX_PT)
		return;
	p = &leg->pt[leg->n_pt++];
	p->pt_in = in->pt;
	p->pt_out = out->pt;
	p->codec = in->codec;
	p->channels = in->channels;
	p->clock_hz = in->rate;
}

void sb_sdp_oa_leg_params(const struct sb_sdp_neg *x, struct sb_media_sdp *leg)
{
	memset(leg, 0, sizeof(*leg));
	for (unsigned i = 0; i < x->n_codecs; i++)
		pt_add(leg, &x->codecs[i], &x->codecs[i]);
	leg->rtcp_mux = x->rtcp_mux;
	leg->peer_rtcp_port = x->rtcp_mux ? 0 : x->rtcp_port;
	leg->ptime = x->ptime;
	if (x->has_key)
		sb_sdp_oa_srtp_of(&leg->rx, &x->key);
}

/* telephone-event must run at the audio codec's clock (RFC 4733 2.1) */
static uint32_t te_rate(const struct sb_sdp_codec *audio)
{
	return audio->codec == SB_CODEC_OPUS ? 48000 : audio->rate;
}

int sb_sdp_oa_bridge(const struct sb_sdp_neg *x, const struct sb_sdp_neg *y,
		     struct sb_sdp_neg *ax, struct sb_media_sdp *leg_x,
		     struct sb_media_sdp *leg_y, struct sb_sdp_fail *f)
{
	const struct sb_sdp_codec *yc = NULL, *xc = NULL, *yte, *xte;

	/* the answerer's first codec that X offered too */
	for (unsigned i = 0; i < y->n_codecs && xc == NULL; i++) {
		if (y->codecs[i].codec == SB_CODEC_TEL_EVENT)
			continue;
		yc = &y->codecs[i];
		xc = find_codec(x, (enum sb_codec)yc->codec, 0);
	}
	if (xc == NULL)
		FAILF(305, "No codec common to both sides (transcoding not available)");
	yte = find_codec(y, SB_CODEC_TEL_EVENT, te_rate(yc));
	xte = find_codec(x, SB_CODEC_TEL_EVENT, te_rate(xc));
	if (yte == NULL || xte == NULL)
		yte = xte = NULL;

	memset(ax, 0, sizeof(*ax));
	ax->m_idx = x->m_idx;
	ax->proto = x->proto;
	ax->dir = (uint8_t)sb_sdp_oa_bridge_dir(x->dir, y->dir);
	ax->rtcp_mux = x->rtcp_mux;
	/* ptime is what the receiver wants: Y receives what X sends */
	ax->ptime = y->ptime ? y->ptime : x->ptime;
	ax->maxptime = y->maxptime;
	ax->codecs[0] = *xc;
	ax->codecs[0].fmtp = yc->fmtp; /* Y decodes: its parameters (opus FEC/DTX) */
	ax->n_codecs = 1;
	if (xte)
		ax->codecs[ax->n_codecs++] = *xte;
	if (x->has_key) {
		if (sb_sdp_oa_new_key(&ax->local_key, (enum sb_srtp_suite)x->key.suite,
				      x->key.tag) < 0) {
			if (f) {
				f->warn = 399;
				f->text = "No randomness for an SRTP key";
			}
			return -EIO;
		}
		ax->has_local_key = true;
		ax->has_key = true;
		ax->key = x->key;
	}
	if (leg_x) {
		memset(leg_x, 0, sizeof(*leg_x));
		pt_add(leg_x, xc, yc);
		if (xte)
			pt_add(leg_x, xte, yte);
		leg_x->rtcp_mux = x->rtcp_mux;
		leg_x->peer_rtcp_port = x->rtcp_mux ? 0 : x->rtcp_port;
		leg_x->ptime = ax->ptime;
		if (x->has_key) {
			sb_sdp_oa_srtp_of(&leg_x->rx, &x->key);
			sb_sdp_oa_srtp_of(&leg_x->tx, &ax->local_key);
		}
	}
	if (leg_y) {
		memset(leg_y, 0, sizeof(*leg_y));
		pt_add(leg_y, yc, xc);
		if (yte)
			pt_add(leg_y, yte, xte);
		leg_y->rtcp_mux = y->rtcp_mux;
		leg_y->peer_rtcp_port = y->rtcp_mux ? 0 : y->rtcp_port;
		leg_y->ptime = x->ptime ? x->ptime : y->ptime;
		if (y->has_key)
			sb_sdp_oa_srtp_of(&leg_y->rx, &y->key);
		if (y->has_local_key)
			sb_sdp_oa_srtp_of(&leg_y->tx, &y->local_key);
	}
	return 0;
}

/* ---- writers ---- */

static void write_head(struct sb_buf *b, const struct sb_sdp_local *l)
{
	sb_buf_printf(b, "v=0\r\no=switchboard %llu %llu ", (unsigned long long)l->sess_id,
		      (unsigned long long)l->sess_ver);
	sb_sdp_put_addr(b, &l->addr);
	sb_buf_puts(b, "\r\ns=switchboard\r\nc=");
	sb_sdp_put_addr(b, &l->addr);
	sb_buf_puts(b, "\r\nt=0 0\r\n");
}

static void write_stream(struct sb_buf *b, const struct sb_sdp_neg *n, uint16_t port)
{
	const char *proto = sb_sdp_proto_name((enum sb_sdp_proto)n->proto);

	sb_buf_printf(b, "m=audio %u %s", port, proto ? proto : "RTP/AVP");
	for (unsigned i = 0; i < n->n_codecs; i++)
		sb_buf_printf(b, " %u", n->codecs[i].pt);
	sb_buf_puts(b, "\r\n");
	for (unsigned i = 0; i < n->n_codecs; i++) {
		const struct sb_sdp_codec *c = &n->codecs[i];

		sb_buf_printf(b, "a=rtpmap:%u ", c->pt);
		sb_buf_str(b, c->enc);
		sb_buf_printf(b, "/%u", c->rate);
		if (c->channels)
			sb_buf_printf(b, "/%u", c->channels);
		sb_buf_puts(b, "\r\n");
		if (c->fmtp.len) {
			sb_buf_printf(b, "a=fmtp:%u ", c->pt);
			sb_buf_str(b, c->fmtp);
			sb_buf_puts(b, "\r\n");
		}
	}
	if (n->ptime)
		sb_buf_printf(b, "a=ptime:%u\r\n", n->ptime);
	if (n->maxptime)
		sb_buf_printf(b, "a=maxptime:%u\r\n", n->maxptime);
	if (n->rtcp_mux)
		sb_buf_puts(b, "a=rtcp-mux\r\n");
	if (n->has_local_key)
		sb_sdp_put_crypto(b, &n->local_key);
	sb_buf_printf(b, "a=%s\r\n", sb_sdp_dir_name((enum sb_sdp_dir)n->dir));
}

void sb_sdp_oa_write_offer(struct sb_buf *b, const struct sb_sdp_neg *o,
			   const struct sb_sdp_local *local)
{
	write_head(b, local);
	write_stream(b, o, local->port);
}

void sb_sdp_oa_write_answer(struct sb_buf *b, const struct sb_sdp *offer,
			    const struct sb_sdp_neg *ans, const struct sb_sdp_local *local)
{
	write_head(b, local);
	for (unsigned i = 0; i < offer->n_media; i++) {
		const struct sb_sdp_media *m = &offer->m[i];

		if ((int)i == ans->m_idx) {
			write_stream(b, ans, local->port);
			continue;
		}
		/* rejected: port 0, the offered formats (RFC 3264 section 6) */
		sb_buf_puts(b, "m=");
		sb_buf_str(b, m->media);
		sb_buf_puts(b, " 0 ");
		sb_buf_str(b, m->proto_name);
		sb_buf_puts(b, " ");
		sb_buf_str(b, m->fmts);
		sb_buf_puts(b, "\r\n");
	}
}

int sb_sdp_oa_answer(const struct sb_sdp_oa_cfg *cfg, const struct sb_sdp *offer,
		     const struct sb_sdp_local *local, struct sb_sdp_neg *ans, struct sb_buf *out,
		     struct sb_sdp_fail *f)
{
	struct sb_sdp_neg x;
	const struct sb_sdp_codec *te;
	int rc;

	rc = sb_sdp_oa_accept(cfg, offer, &x, f);
	if (rc < 0)
		return rc;
	memset(ans, 0, sizeof(*ans));
	ans->m_idx = x.m_idx;
	ans->proto = x.proto;
	ans->dir = (uint8_t)sb_sdp_oa_answer_dir((enum sb_sdp_dir)x.dir);
	ans->rtcp_mux = x.rtcp_mux;
	ans->ptime = x.ptime;
	ans->port = local->port;
	ans->addr = local->addr;
	ans->codecs[ans->n_codecs++] = x.codecs[0]; /* accept() sorted by our preference */
	te = find_codec(&x, SB_CODEC_TEL_EVENT, te_rate(&x.codecs[0]));
	if (te)
		ans->codecs[ans->n_codecs++] = *te;
	if (x.has_key) {
		if (sb_sdp_oa_new_key(&ans->local_key, (enum sb_srtp_suite)x.key.suite,
				      x.key.tag) < 0) {
			if (f) {
				f->warn = 399;
				f->text = "No randomness for an SRTP key";
			}
			return -EIO;
		}
		ans->has_local_key = true;
		ans->has_key = true;
		ans->key = x.key;
	}
	sb_sdp_oa_write_answer(out, offer, ans, local);
	return 0;
}
