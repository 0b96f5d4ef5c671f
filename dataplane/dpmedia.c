/* SPDX-License-Identifier: MIT */
/*
 * dpmedia.c — the worker's media path (see dpmedia.h): per-leg contexts,
 * SRTP/SRTCP, RFC 4733 and in-band DTMF, DTMF generation, transcoding,
 * origination.  Prompts are in dpprompt.c, conferences in dpconf.c.
 *
 * Every function here runs on the worker that owns the leg (commands come
 * from its own ring), so nothing is locked.  Per packet: no allocation
 * (an mbuf from the worker's pool for generated packets), no syscall, no
 * log; refusals are counted by drop reason (SB_DROP_SRTP, SB_DROP_MEDIA)
 * in the worker's counters and in the leg's.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_udp.h>

#include "sb/codec.h"
#include "sb/g711.h"
#include "sb/rtp.h"

#include "arp.h"
#include "dpm_priv.h"
#include "dpmedia.h"
#include "legs.h"
#include "relay.h"
#include "worker.h"

#define L2L4 (sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr))

/* ---- pool ---- */

struct sb_dpm *sb_dpm_create(struct sb_worker *w, uint32_t n_legs, uint32_t n_confs,
			     struct sb_dpm_shared *sh)
{
	struct sb_dpm *m;
	uint32_t max = w->legs != NULL ? w->legs->max : 0;

	if (n_legs == 0)
		n_legs = SB_DPM_DEF_LEGS;
	if (n_confs == 0)
		n_confs = SB_DPM_DEF_CONFS;
	m = rte_zmalloc("sb_dpm", sizeof(*m), RTE_CACHE_LINE_SIZE);
	if (m == NULL)
		return NULL;
	m->w = w;
	m->sh = sh;
	m->n = n_legs;
	m->max_legs = max;
	m->ctx_of = rte_malloc("sb_dpm_of", (size_t)(max != 0 ? max : 1) * sizeof(uint32_t), 0);
	m->used = rte_malloc("sb_dpm_used", (size_t)n_legs * sizeof(uint32_t), 0);
	m->ctx = rte_zmalloc("sb_dpm_ctx", (size_t)n_legs * sizeof(struct dpm_leg),
			     RTE_CACHE_LINE_SIZE);
	if (m->ctx_of == NULL || m->used == NULL || m->ctx == NULL || dpm_conf_init(m, n_confs) < 0) {
		sb_dpm_free(m);
		return NULL;
	}
	for (uint32_t i = 0; i < max; i++)
		m->ctx_of[i] = DPM_NONE;
	for (uint32_t i = 0; i < n_legs; i++) {
		m->ctx[i].leg = DPM_NONE;
		m->ctx[i].next_free = i + 1 < n_legs ? i + 1 : DPM_NONE;
	}
	m->free_head = 0;
	m->tick_tsc = sb_ms_to_tsc(&w->clk, 1);
	m->frame_tsc = sb_ms_to_tsc(&w->clk, 20);
	return m;
}

static void ctx_release(struct sb_worker *w, struct dpm_leg *c);

void sb_dpm_free(struct sb_dpm *m)
{
	if (m == NULL)
		return;
	while (m->n_used != 0 && m->ctx != NULL)
		ctx_release(m->w, &m->ctx[m->used[m->n_used - 1]]);
	dpm_conf_fini(m);
	rte_free(m->ctx);
	rte_free(m->used);
	rte_free(m->ctx_of);
	rte_free(m);
}

void sb_dpm_counters(const struct sb_dpm *m, struct sb_dpm_counters *out)
{
	*out = m->cnt;
}

static struct dpm_leg *ctx_get(struct sb_worker *w, uint32_t leg)
{
	struct sb_dpm *m = w->media;
	struct dpm_leg *c = dpm_ctx(m, leg);
	uint32_t i;

	if (c != NULL)
		return c;
	if (m->free_head == DPM_NONE)
		return NULL;
	i = m->free_head;
	c = &m->ctx[i];
	m->free_head = c->next_free;
	memset(c, 0, sizeof(*c));
	c->leg = leg;
	c->next_free = DPM_NONE;
	c->xc_to = DPM_NONE;
	c->conf = DPM_NONE;
	c->used_pos = m->n_used;
	m->used[m->n_used++] = i;
	m->ctx_of[leg] = i;
	sb_prompt_player_init(&c->play);
	return c;
}

/* Stop what the leg generates, free its SRTP contexts, back to the pool. */
static void ctx_release(struct sb_worker *w, struct dpm_leg *c)
{
	struct sb_dpm *m = w->media;
	uint32_t i = (uint32_t)(c - m->ctx), last;

	dpm_prompt_stop(w, c, SB_PROMPT_END_STOPPED);
	dpm_conf_leave(w, c);
	sb_srtp_free(c->srtp_rx);
	sb_srtp_free(c->srtp_tx);
	c->srtp_rx = c->srtp_tx = NULL;
	sb_xcode_free(c->xc);
	c->xc = NULL;
	c->xc_to = DPM_NONE;
	sb_enc_free(c->penc);
	c->penc = NULL;
	if (c->leg < m->max_legs) {
		m->ctx_of[c->leg] = DPM_NONE;
		w->legs->leg[c->leg].flags &= (uint8_t)~SB_LEGI_MEDIA;
	}
	last = m->used[--m->n_used];
	m->used[c->used_pos] = last;
	m->ctx[last].used_pos = c->used_pos;
	memset(c->rx_key, 0, sizeof(c->rx_key)); /* keys do not linger in the pool */
	memset(c->tx_key, 0, sizeof(c->tx_key));
	c->leg = DPM_NONE;
	c->next_free = m->free_head;
	m->free_head = i;
}

void sb_dpm_leg_reset(struct sb_worker *w, uint32_t idx)
{
	struct dpm_leg *c = w->media != NULL ? dpm_ctx(w->media, idx) : NULL;

	if (c != NULL)
		ctx_release(w, c);
	w->legs->leg[idx].flags &= (uint8_t)~SB_LEGI_MEDIA;
}

/* ---- packets: lengths, checksums ---- */

/* Set the UDP payload length of an Ethernet/IPv4/UDP frame to payload
 * (trimming or growing the mbuf), then both checksums in full (the
 * payload changed: incremental updates cannot follow). */
static int pkt_set_len(struct rte_mbuf *m, uint32_t payload, bool udp_csum)
{
	uint32_t want = (uint32_t)L2L4 + payload, have = rte_pktmbuf_data_len(m);
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;

	if (want < have) {
		if (rte_pktmbuf_trim(m, (uint16_t)(have - want)) < 0)
			return -1;
	} else if (want > have) {
		if (rte_pktmbuf_append(m, (uint16_t)(want - have)) == NULL)
			return -1;
	}
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	udp = (struct rte_udp_hdr *)(ip + 1);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(want - sizeof(struct rte_ether_hdr)));
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + payload));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->dgram_cksum = 0; /* 0: not computed (RFC 768), until the caller's next step */
	if (udp_csum)
		udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	return 0;
}

static int pkt_set_payload(struct rte_mbuf *m, uint32_t payload)
{
	return pkt_set_len(m, payload, true);
}

void dpm_drop(struct sb_worker *w, struct rte_mbuf *m, uint32_t leg, enum sb_drop why)
{
	w->st->drop[why]++;
	if (leg < w->legs->max)
		w->legs->st[leg].drops++;
	rte_pktmbuf_free(m);
}

/* Room for protect to grow the packet: append the trailer's worth first
 * (data must be contiguous: our RX and generated packets are one
 * segment), protect, then the exact length. */
static int pkt_protect(struct sb_worker *w, struct dpm_leg *tc, struct rte_mbuf *m, uint8_t *rtp,
		       uint32_t payload, bool rtcp, uint32_t *out)
{
	unsigned room = rtcp ? SB_SRTCP_MAX_TRAILER : SB_SRTP_MAX_TRAILER;
	int n;

	if (!rte_pktmbuf_is_contiguous(m) || rte_pktmbuf_tailroom(m) < room)
		return -ENOSPC;
	n = rtcp ? sb_srtcp_protect(tc->srtp_tx, rtp, payload, payload + room)
		 : sb_srtp_protect(tc->srtp_tx, rtp, payload, payload + room);
	if (n < 0)
		return n;
	if (pkt_set_payload(m, (uint32_t)n) < 0)
		return -ENOSPC;
	w->media->cnt.srtp_protected++;
	*out = (uint32_t)n;
	return 0;
}

/* ---- HOOK(media): SRTP/SRTCP unprotect before anything trusts the packet ---- */

int sb_dpm_rx(struct sb_worker *w, struct rte_mbuf *m, uint32_t idx, uint8_t *rtp,
	      uint32_t *payload, uint64_t now)
{
	uint32_t li = idx & ~SB_PORT_RTCP;
	struct dpm_leg *c = dpm_ctx(w->media, li);
	bool rtcp;
	int n;

	(void)now;
	if (c == NULL || c->srtp_rx == NULL)
		return 0; /* plain RTP: the relay checks the source */
	rtcp = (idx & SB_PORT_RTCP) ||
	       ((w->legs->leg[li].flags & SB_LEG_F_RTCP_MUX) && sb_rtp_mux_is_rtcp(rtp[1]));
	n = rtcp ? sb_srtcp_unprotect(c->srtp_rx, rtp, *payload)
		 : sb_srtp_unprotect(c->srtp_rx, rtp, *payload);
	if (unlikely(n < 0)) {
		/* forged, replayed or damaged: never latches, never reaches the
		 * peer, never ends the call */
		w->legs->st[li].srtp_drops++;
		w->media->cnt.srtp_refused++;
		dpm_drop(w, m, li, SB_DROP_SRTP);
		return 1;
	}
	{
		/* SRTP in, SRTP out: protect recomputes the checksum, so the
		 * plain packet in between needs none (relay_out_l3 keeps a 0) */
		uint32_t fwd = w->legs->leg[li].fwd;
		struct dpm_leg *tc = !rtcp && fwd != SB_LEG_NONE ? dpm_ctx(w->media, fwd) : NULL;

		if (unlikely(pkt_set_len(m, (uint32_t)n, tc == NULL || tc->srtp_tx == NULL) < 0)) {
			dpm_drop(w, m, li, SB_DROP_SHORT);
			return 1;
		}
	}
	w->media->cnt.srtp_unprotected++;
	*payload = (uint32_t)n;
	return 0;
}

/* ---- DTMF detection ---- */

/* Offset and length of an RTP packet's payload (CSRCs, extension and
 * padding skipped); -1 when malformed. */
int dpm_rtp_payload(const uint8_t *rtp, uint32_t len, uint32_t *off, uint32_t *plen)
{
	uint32_t o = 12u + 4u * (rtp[0] & 0x0fu), end = len;

	if (o > len)
		return -1;
	if (rtp[0] & 0x10) {
		if (o + 4 > len)
			return -1;
		o += 4u + 4u * sb_be16(rtp + o + 2);
		if (o > len)
			return -1;
	}
	if (rtp[0] & 0x20) {
		if (len == 0 || rtp[len - 1] > len - o)
			return -1;
		end -= rtp[len - 1];
	}
	*off = o;
	*plen = end - o;
	return 0;
}

static void dtmf_emit(struct sb_worker *w, uint32_t idx, const struct sb_dtmf_ev *e)
{
	union sb_msg ev;

	if (e->kind != SB_DTMF_END) /* one event per digit, when it ends */
		return;
	memset(&ev, 0, sizeof(ev));
	ev.dtmf_evt.h.type = SB_EVT_DTMF;
	ev.dtmf_evt.h.len = sizeof(ev.dtmf_evt);
	ev.dtmf_evt.h.leg = idx;
	ev.dtmf_evt.h.leg_gen = w->legs->x[idx].gen;
	ev.dtmf_evt.digit = (uint8_t)sb_dtmf_char(e->event);
	ev.dtmf_evt.source = e->src == SB_DTMF_FROM_INBAND ? SB_DTMF_SRC_INBAND : SB_DTMF_SRC_4733;
	ev.dtmf_evt.volume = e->volume;
	ev.dtmf_evt.duration_ms = e->dur_ms;
	ev.dtmf_evt.rtp_ts = e->ts;
	w->media->cnt.dtmf_events++;
	sb_worker_evt_push(w, &ev);
}

static uint64_t now_ms_of(struct sb_worker *w, uint64_t now)
{
	return sb_tsc_to_ns(&w->clk, now) / 1000000u;
}

static void dtmf_4733_rx(struct sb_worker *w, struct dpm_leg *c, uint32_t idx, const uint8_t *rtp,
			 uint32_t off, uint32_t plen, uint64_t now)
{
	struct sb_dtmf_ev out[3];
	int n = sb_dtmf_rx_packet(&c->drx, rtp + off, plen, sb_be32(rtp + 4), sb_be16(rtp + 2),
				  (rtp[1] & 0x80) != 0, now_ms_of(w, now), out);

	for (int i = 0; i < n; i++)
		dtmf_emit(w, idx, &out[i]);
}

/* In-band on a G.711 leg: decode and feed the Goertzel detector.  Frames
 * must be contiguous: a short gap (lost packets) is fed as silence, a
 * long one or a new stream restarts the detector, a late packet is
 * skipped. */
static void dtmf_inband_rx(struct sb_worker *w, struct dpm_leg *c, uint32_t idx,
			   const uint8_t *pl, uint32_t plen, uint32_t ts)
{
	int16_t pcm[480];
	struct sb_dtmf_ev out[12];
	unsigned n, k;

	if (plen > 480)
		plen = 480; /* 60 ms at most */
	if (c->ib_have && ts != c->ib_next_ts) {
		int32_t gap = (int32_t)(ts - c->ib_next_ts);

		if (gap < 0 && gap > -4800)
			return; /* late or duplicate */
		if (gap > 0 && gap <= 480) {
			memset(pcm, 0, (size_t)gap * sizeof(pcm[0]));
			n = sb_dtmf_ib_process(&c->dib, pcm, (unsigned)gap, c->ib_next_ts, out, 12);
			for (k = 0; k < n; k++)
				dtmf_emit(w, idx, &out[k]);
		} else {
			sb_dtmf_ib_init(&c->dib);
		}
	}
	if (c->codec == SB_DP_CODEC_PCMU)
		sb_g711_ulaw_decode(pcm, pl, plen);
	else
		sb_g711_alaw_decode(pcm, pl, plen);
	n = sb_dtmf_ib_process(&c->dib, pcm, plen, ts, out, 12);
	for (k = 0; k < n; k++)
		dtmf_emit(w, idx, &out[k]);
	c->ib_have = 1;
	c->ib_next_ts = ts + plen;
}

/* ---- transcoding ---- */

static bool codec_is_g711(uint8_t codec)
{
	return codec == SB_DP_CODEC_PCMU || codec == SB_DP_CODEC_PCMA;
}

uint32_t dpm_codec_clock(uint8_t codec)
{
	return codec == SB_DP_CODEC_OPUS ? 48000u : 8000u;
}

/* The ABI's codec numbers are sb/codec.h's (PCMU 1, PCMA 2, OPUS 3). */
_Static_assert((int)SB_DP_CODEC_PCMU == (int)SB_CODEC_PCMU &&
		       (int)SB_DP_CODEC_PCMA == (int)SB_CODEC_PCMA &&
		       (int)SB_DP_CODEC_OPUS == (int)SB_CODEC_OPUS,
	       "codec numbers differ: map them");

void dpm_codec_cfg(const struct dpm_leg *c, uint16_t ptime_ms, struct sb_codec_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->codec = c->codec;
	cfg->ptime_ms = (uint8_t)ptime_ms;
	cfg->complexity = c->opus_complexity <= 10 ? c->opus_complexity : SB_DPM_OPUS_COMPLEXITY;
	cfg->fec = (c->flags & SB_MEDIA_OPUS_FEC) != 0;
	cfg->dtx = (c->flags & SB_MEDIA_OPUS_DTX) != 0;
	cfg->loss_pct = cfg->fec ? 10 : 0; /* libopus encodes FEC only when it expects loss */
	cfg->rate = c->codec == SB_DP_CODEC_OPUS ? 48000u : 8000u;
	cfg->bitrate = c->opus_bitrate;
}

/* Leg idx's transcoder towards its connected leg: built when both are
 * media legs with different codecs (but for PCMU<->PCMA, converted per
 * packet by table), freed otherwise.  Command time only: libopus and the
 * jitter buffer allocate here. */
static int xcode_update(struct sb_worker *w, uint32_t idx)
{
	struct dpm_leg *c = dpm_ctx(w->media, idx), *tc;
	uint32_t fwd;
	struct sb_codec_cfg in, out;
	struct sb_xcode *x;

	if (c == NULL)
		return 0;
	fwd = w->legs->leg[idx].fwd;
	tc = fwd != SB_LEG_NONE ? dpm_ctx(w->media, fwd) : NULL;
	if (tc == NULL || c->codec == SB_DP_CODEC_NONE || tc->codec == SB_DP_CODEC_NONE ||
	    c->codec == tc->codec || (codec_is_g711(c->codec) && codec_is_g711(tc->codec))) {
		sb_xcode_free(c->xc);
		c->xc = NULL;
		c->xc_to = DPM_NONE;
		return 0;
	}
	dpm_codec_cfg(c, tc->ptime_ms, &in);
	dpm_codec_cfg(tc, tc->ptime_ms, &out);
	x = sb_xcode_create(&in, &out, NULL);
	if (x == NULL)
		return errno == EPROTO ? -EPROTO : errno == EINVAL ? -EINVAL : -ENOMEM;
	sb_xcode_free(c->xc);
	c->xc = x;
	c->xc_to = fwd;
	c->xc_to_codec = tc->codec;
	c->xc_running = 0;
	c->xc_mult = sb_rtp_clock_mult(dpm_codec_clock(c->codec), w->clk.hz);
	return 0;
}

int sb_dpm_connect(struct sb_worker *w, uint32_t a, uint32_t b)
{
	int ra, rb;

	if (w->media == NULL)
		return 0;
	ra = xcode_update(w, a);
	rb = xcode_update(w, b);
	return ra < 0 ? ra : rb;
}

/* A packet of leg idx into its transcoder (the encoder's 20 ms tick in
 * sb_dpm_timer() sends what comes out); telephone-events are re-stamped
 * into the output stream's clock and sent at once. */
static void xcode_rx(struct sb_worker *w, struct dpm_leg *c, struct dpm_leg *tc,
		     struct rte_mbuf *m, uint32_t idx, const uint8_t *rtp, uint32_t payload,
		     uint64_t now)
{
	uint8_t pt = rtp[1] & 0x7f;
	uint32_t off, plen;

	if (dpm_rtp_payload(rtp, payload, &off, &plen) < 0) {
		dpm_drop(w, m, idx, SB_DROP_BAD_RTP);
		return;
	}
	if (pt == c->pt) {
		if (!c->xc_running) { /* a talk spurt starts: the output stream continues */
			c->xc_running = 1;
			c->xc_next_tsc = now + sb_ms_to_tsc(&w->clk, tc->ptime_ms);
			c->xc_ts0 = DPM_NONE; /* set by the first frame out */
		}
		sb_xcode_rx(c->xc, rtp + off, plen, sb_be16(rtp + 2), sb_be32(rtp + 4),
			    sb_rtp_clock_units(now, c->xc_mult));
		c->xc_last_rx_tsc = now;
		w->media->cnt.xc_in++;
		rte_pktmbuf_free(m);
		return;
	}
	if (c->dtmf_pt != 0 && pt == c->dtmf_pt && tc->dtmf_pt != 0 && plen >= 4 &&
	    tc->gen == DPM_GEN_IDLE) {
		/* duration rescaled to the other clock (saturating: one segment) */
		uint32_t oc = tc->dtmf_clock_hz, ic = c->dtmf_clock_hz;
		uint64_t dur = (uint64_t)sb_be16(rtp + off + 2) * oc / ic;
		uint8_t pl[4] = {rtp[off], rtp[off + 1], 0, 0};
		uint32_t ts = w->legs->leg[c->xc_to].last_ts;

		sb_put_be16(pl + 2, (uint16_t)(dur > 0xffff ? 0xffff : dur));
		if ((rtp[1] & 0x80) || !c->xc_running)
			ts = dpm_gen_ts_start(w, c->xc_to, oc, now);
		sb_dpm_originate(w, c->xc_to, tc->dtmf_pt, (rtp[1] & 0x80) != 0, ts, ts, pl, 4, now);
		rte_pktmbuf_free(m);
		return;
	}
	dpm_drop(w, m, idx, SB_DROP_MEDIA); /* no other payload crosses a transcoder */
}

/* One 20 ms tick of leg c's transcoder: decode (or conceal), encode, send. */
static void xcode_tick(struct sb_worker *w, struct dpm_leg *c, uint64_t now)
{
	struct dpm_leg *tc = dpm_ctx(w->media, c->xc_to);
	uint64_t period = sb_ms_to_tsc(&w->clk, tc != NULL ? tc->ptime_ms : 20);

	for (unsigned k = 0; k < 3 && now >= c->xc_next_tsc; k++) {
		uint8_t out[SB_CODEC_MAX_PAYLOAD];
		struct sb_enc_pkt pkt;
		int n;

		c->xc_next_tsc += period;
		if (tc != NULL && tc->gen != DPM_GEN_IDLE) {
			/* a prompt or digits own the output: keep the jitter buffer
			 * and concealment moving, but leave the encoder to the
			 * prompt (dpprompt.c encodes an Opus prompt with it: one
			 * frame per 20 ms, its state continuous), and re-anchor
			 * the timestamps when speech resumes */
			int16_t pcm[SB_CODEC_MAX_FRAME];

			sb_dec_tick(sb_xcode_dec(c->xc), pcm);
			c->xc_ts0 = DPM_NONE;
			continue;
		}
		n = sb_xcode_tick(c->xc, out, sizeof(out), &pkt);
		if (n <= 0 || tc == NULL)
			continue; /* DTX, encoder error (counted there) */
		if (c->xc_ts0 == DPM_NONE) /* first frame of a spurt: continue the output */
			c->xc_ts0 = dpm_gen_ts_start(w, c->xc_to, dpm_codec_clock(tc->codec), now) - pkt.ts;
		sb_dpm_originate(w, c->xc_to, tc->pt, pkt.marker != 0, c->xc_ts0 + pkt.ts,
				 c->xc_ts0 + pkt.ts, out, (unsigned)n, now);
		w->media->cnt.xc_out++;
	}
	if (now >= c->xc_next_tsc)
		c->xc_next_tsc = now + period;
	/* the far end went quiet (hold, end of call): stop encoding silence */
	if (now - c->xc_last_rx_tsc > sb_ms_to_tsc(&w->clk, SB_DPM_XCODE_IDLE_MS))
		c->xc_running = 0;
}

/* ---- HOOK(media-out) ---- */

void sb_dpm_fwd(struct sb_worker *w, struct rte_mbuf *m, uint32_t idx, uint8_t *rtp,
		uint32_t payload, uint64_t now)
{
	struct sb_leg *l = &w->legs->leg[idx], *t;
	struct dpm_leg *c = (l->flags & SB_LEGI_MEDIA) ? dpm_ctx(w->media, idx) : NULL, *tc;
	uint8_t pt = rtp[1] & 0x7f;
	const uint8_t *nh_mac;
	uint32_t off, plen;

	if (c != NULL) {
		if (c->dtmf_pt != 0 && pt == c->dtmf_pt) {
			if ((c->flags & SB_MEDIA_DTMF_4733) && dpm_rtp_payload(rtp, payload, &off, &plen) == 0)
				dtmf_4733_rx(w, c, idx, rtp, off, plen, now);
			if (c->flags & SB_MEDIA_DTMF_STRIP) {
				w->media->cnt.stripped++;
				dpm_drop(w, m, idx, SB_DROP_MEDIA);
				return;
			}
		} else if ((c->flags & SB_MEDIA_DTMF_INBAND) && pt == c->pt &&
			   (c->codec == SB_DP_CODEC_PCMU || c->codec == SB_DP_CODEC_PCMA) &&
			   dpm_rtp_payload(rtp, payload, &off, &plen) == 0) {
			dtmf_inband_rx(w, c, idx, rtp + off, plen, sb_be32(rtp + 4));
		}
	}
	if (c != NULL && c->conf != DPM_NONE) { /* a member's audio goes to the mixer only */
		dpm_conf_rx(w, c, m, idx, rtp, payload, now);
		return;
	}
	if (l->fwd == SB_LEG_NONE) {
		dpm_drop(w, m, idx, SB_DROP_NO_FWD);
		return;
	}
	t = &w->legs->leg[l->fwd];
	tc = (t->flags & SB_LEGI_MEDIA) ? dpm_ctx(w->media, l->fwd) : NULL;
	if (c != NULL && c->xc != NULL && c->xc_to == l->fwd && tc != NULL) {
		xcode_rx(w, c, tc, m, idx, rtp, payload, now);
		return;
	}
	if (tc != NULL && (tc->gen != DPM_GEN_IDLE || tc->conf != DPM_NONE)) {
		dpm_drop(w, m, idx, SB_DROP_MEDIA); /* a prompt, digits or a conference own t's output */
		return;
	}
	if (c != NULL && tc != NULL && c->dtmf_pt != 0 && pt == c->dtmf_pt && tc->dtmf_pt == 0 &&
	    tc->codec != SB_DP_CODEC_NONE) {
		dpm_drop(w, m, idx, SB_DROP_MEDIA); /* the other side has no telephone-event */
		return;
	}
	if (t->peer_ip == 0 || t->peer_port == 0) {
		dpm_drop(w, m, idx, SB_DROP_NO_FWD);
		return;
	}
	nh_mac = sb_arp_lookup(w, sb_arp_nexthop(t->peer_ip, w->media_ip, w->netmask, w->gateway),
			       now);
	if (nh_mac == NULL) {
		dpm_drop(w, m, idx, SB_DROP_NO_ARP);
		return;
	}
	if (c != NULL && tc != NULL && pt == c->pt && c->codec != tc->codec &&
	    codec_is_g711(c->codec) && codec_is_g711(tc->codec) &&
	    dpm_rtp_payload(rtp, payload, &off, &plen) == 0) {
		/* PCMU <-> PCMA: table look-ups in place, no jitter buffer */
		uint8_t tmp[SB_G711_MAX_PKT];

		if (plen > sizeof(tmp)) {
			dpm_drop(w, m, idx, SB_DROP_MEDIA);
			return;
		}
		if (c->codec == SB_DP_CODEC_PCMU)
			sb_g711_ulaw_to_alaw(tmp, rtp + off, plen);
		else
			sb_g711_alaw_to_ulaw(tmp, rtp + off, plen);
		memcpy(rtp + off, tmp, plen);
		rtp[1] = (uint8_t)((rtp[1] & 0x80) | tc->pt);
		sb_relay_rtp_out(w, m, idx, rtp, nh_mac, now);
		pkt_set_payload(m, payload); /* the payload changed: full checksums */
		w->media->cnt.g711_converted++;
	} else {
		sb_relay_rtp_out(w, m, idx, rtp, nh_mac, now);
	}
	if (tc != NULL && tc->srtp_tx != NULL) {
		int rc = pkt_protect(w, tc, m, rtp, payload, false, &payload);

		if (rc < 0) {
			w->legs->st[l->fwd].srtp_drops++;
			dpm_drop(w, m, l->fwd, SB_DROP_SRTP);
			return;
		}
	}
	w->st->relayed++;
	sb_relay_count_tx(w, t, l->fwd, payload);
	sb_worker_tx_push(w, m, l->fwd, payload);
}

uint32_t sb_dpm_rtcp_out(struct sb_worker *w, struct rte_mbuf *m, uint32_t t_idx, uint8_t *b,
			 uint32_t payload)
{
	struct dpm_leg *tc = dpm_ctx(w->media, t_idx);
	uint32_t n;

	if (tc == NULL || tc->srtp_tx == NULL)
		return payload;
	if (pkt_protect(w, tc, m, b, payload, true, &n) < 0) {
		w->legs->st[t_idx].srtp_drops++;
		dpm_drop(w, m, t_idx, SB_DROP_SRTP);
		return 0;
	}
	return n;
}

/* ---- RTCP across a transcoder ----
 *
 * A relayed RTCP compound describes the sender's stream: SR sender info
 * (SSRC, RTP timestamp in its clock, packet and octet counts) and report
 * blocks about what it received.  Across a transcoder the far peer gets a
 * different stream from us (other SSRC, 48 kHz instead of 8 kHz, other
 * packet sizes and counts), so relaying those fields unchanged would
 * corrupt its lip-sync, loss and bandwidth figures.  Choice: rewrite in
 * place rather than terminate and generate.  Rewriting keeps the sender's
 * NTP time (so the far peer's LSR/DLSR round trip measures through us, and
 * relay.c's RTT bookkeeping keeps working), its SDES (CNAME) and its
 * timing (no RTCP scheduler or report interval of our own on the worker,
 * and nothing is sent when the peers send nothing), at a cost of a few
 * field writes on a packet that comes every few seconds.  What changes:
 *   - sender SSRC of every packet (SR, RR, SDES chunks, BYE, feedback,
 *     APP, XR) -> the SSRC we send on t;
 *   - SR RTP timestamp -> t's output timestamp at arrival (its last one
 *     plus the time since, in t's codec clock), as the relay's rewrite
 *     pairs the sender's NTP with the time it reached us;
 *   - SR packet / octet counts -> what we sent on t (RTP payload octets);
 *   - the report block about our stream to l's peer (its loss and jitter
 *     concern a stream t's peer never sent) -> our own reception report of
 *     t's peer's stream, measured on leg t (SSRC, fraction and cumulative
 *     lost, extended highest sequence, jitter in its clock, LSR/DLSR of
 *     the last SR t's peer sent us); other blocks are left alone;
 *   - feedback's media SSRC (our stream to l's peer) -> t's peer's SSRC.
 *     NACK sequence numbers cannot be mapped through a codec change; audio
 *     legs do not use them.
 * PCMU <-> PCMA is converted per packet (same clock, sequence and counts):
 * the relay's rewrite is right for it and it does not come here. */

static bool rtcp_xcoded(struct sb_dpm *m, uint32_t l_idx, uint32_t t_idx)
{
	const struct dpm_leg *c = dpm_ctx(m, l_idx), *tc = dpm_ctx(m, t_idx);

	return c != NULL && tc != NULL &&
	       ((c->xc != NULL && c->xc_to == t_idx) || (tc->xc != NULL && tc->xc_to == l_idx));
}

int sb_dpm_rtcp_xcode(struct sb_worker *w, uint32_t l_idx, uint32_t t_idx, uint8_t *b,
		      const struct sb_rtcp_pkt *p, int n, uint64_t now)
{
	struct sb_dpm *m = w->media;
	struct sb_leg *l = &w->legs->leg[l_idx], *t = &w->legs->leg[t_idx];
	struct dpm_leg *c, *tc;
	uint32_t t_clock, t_ts, dlsr = 0;
	bool have_rx;

	if (m == NULL || !rtcp_xcoded(m, l_idx, t_idx))
		return 0;
	if (!(t->out_state & SB_OUT_INIT))
		return -1; /* no stream of ours on t yet: nothing true to say */
	c = dpm_ctx(m, l_idx);
	tc = dpm_ctx(m, t_idx);
	t_clock = dpm_codec_clock(tc->codec);
	t_ts = t->last_ts + (uint32_t)(((unsigned __int128)(now - t->last_out_tsc) * t_clock) /
				       w->clk.hz);
	have_rx = (t->rx.flags & SB_RTP_SRC_F_ACTIVE) != 0;
	if (tc->peer_lsr != 0)
		dlsr = (uint32_t)(((unsigned __int128)(now - tc->peer_lsr_tsc) << 16) / w->clk.hz);
	for (int i = 0; i < n; i++) {
		uint8_t *pk = b + p[i].off;
		uint16_t offs[32];
		unsigned ns = 0;

		switch (p[i].pt) {
		case SB_RTCP_SR:
			/* for the next report block we write about l's peer's stream */
			c->peer_lsr = (sb_be32(pk + 8) << 16) | (sb_be32(pk + 12) >> 16);
			c->peer_lsr_tsc = now;
			/* relay.c's RTT: t's peer answers with this NTP as LSR */
			w->legs->x[t_idx].sr_lsr = c->peer_lsr;
			w->legs->x[t_idx].sr_tsc = now;
			sb_put_be32(pk + 16, t_ts);
			sb_put_be32(pk + 20, tc->o_pkts);
			sb_put_be32(pk + 24, tc->o_octets);
			/* fall through */
		case SB_RTCP_RR:
			offs[ns++] = 4;
			for (unsigned k = 0; k < p[i].count; k++) {
				uint8_t *rb = pk + sb_rtcp_rb_off(&p[i], k);
				int32_t lost;

				if (!(l->out_state & SB_OUT_INIT) || sb_be32(rb) != l->out_ssrc)
					continue; /* not about our stream */
				lost = have_rx ? sb_rtp_src_lost(&t->rx) : 0;
				sb_put_be32(rb, have_rx ? t->rx.ssrc : 0);
				sb_put_be32(rb + 4, ((uint32_t)w->legs->st[t_idx].fraction_lost << 24) |
							    ((uint32_t)lost & 0xffffffu));
				sb_put_be32(rb + 8, have_rx ? sb_rtp_src_ext_max(&t->rx) : 0);
				sb_put_be32(rb + 12, have_rx ? sb_rtp_src_jitter(&t->rx) : 0);
				sb_put_be32(rb + 16, tc->peer_lsr);
				sb_put_be32(rb + 20, dlsr);
			}
			break;
		case SB_RTCP_RTPFB:
		case SB_RTCP_PSFB:
			if (p[i].len >= 12 && (l->out_state & SB_OUT_INIT) &&
			    sb_be32(pk + 8) == l->out_ssrc)
				sb_put_be32(pk + 8, have_rx ? t->rx.ssrc : 0);
			/* fall through */
		case SB_RTCP_APP:
		case SB_RTCP_XR:
			offs[ns++] = 4;
			break;
		case SB_RTCP_SDES:
		case SB_RTCP_BYE:
			ns = sb_rtcp_sender_ssrcs(pk, &p[i], offs, 32);
			break;
		default:
			break;
		}
		for (unsigned k = 0; k < ns; k++)
			sb_put_be32(pk + offs[k], t->out_ssrc);
	}
	return 1;
}

/* ---- origination ---- */

uint32_t dpm_gen_ts_start(struct sb_worker *w, uint32_t t_idx, uint32_t clock, uint64_t now)
{
	const struct sb_leg *t = &w->legs->leg[t_idx];
	uint64_t adv;
	uint32_t step;

	if (!(t->out_state & SB_OUT_INIT))
		return (uint32_t)rte_rand();
	adv = (uint64_t)(((unsigned __int128)(now - t->last_out_tsc) * clock) / w->clk.hz);
	step = t->ts_step != 0 ? t->ts_step : clock / 50u;
	if (adv < step)
		adv = step;
	return t->last_ts + (uint32_t)adv;
}

int sb_dpm_originate(struct sb_worker *w, uint32_t t_idx, uint8_t pt, bool marker, uint32_t ts,
		     uint32_t last_ts, const uint8_t *pl, unsigned len, uint64_t now)
{
	struct sb_leg *t = &w->legs->leg[t_idx];
	struct dpm_leg *tc = dpm_ctx(w->media, t_idx);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	const uint8_t *nh_mac;
	struct rte_mbuf *m;
	uint32_t payload = 12u + len;
	uint16_t seq;
	uint8_t *rtp;

	if (t->peer_ip == 0 || t->peer_port == 0) {
		w->st->drop[SB_DROP_NO_FWD]++;
		w->legs->st[t_idx].drops++;
		return -ENOTCONN;
	}
	nh_mac = sb_arp_lookup(w, sb_arp_nexthop(t->peer_ip, w->media_ip, w->netmask, w->gateway),
			       now);
	if (nh_mac == NULL) {
		w->st->drop[SB_DROP_NO_ARP]++;
		w->legs->st[t_idx].drops++;
		return -EHOSTUNREACH;
	}
	m = rte_pktmbuf_alloc(w->pool);
	if (m == NULL || (eth = (struct rte_ether_hdr *)rte_pktmbuf_append(
				  m, (uint16_t)(L2L4 + payload))) == NULL) {
		rte_pktmbuf_free(m);
		w->st->drop[SB_DROP_TX_FULL]++;
		w->legs->st[t_idx].drops++;
		return -ENOMEM;
	}
	if (!(t->out_state & SB_OUT_INIT)) { /* we are the first stream out of t */
		t->out_ssrc = (uint32_t)rte_rand();
		t->src_ssrc = ~t->out_ssrc;
		t->last_seq = (uint16_t)rte_rand();
		t->seq_delta = 0;
		t->ts_delta = 0;
		t->ts_step = 0;
		t->out_state = SB_OUT_INIT;
		w->legs->st[t_idx].out_ssrc = t->out_ssrc;
	}
	seq = (uint16_t)(t->last_seq + 1u);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	udp = (struct rte_udp_hdr *)(ip + 1);
	rtp = (uint8_t *)(udp + 1);
	memcpy(&eth->dst_addr, nh_mac, RTE_ETHER_ADDR_LEN);
	rte_ether_addr_copy(&w->mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = 0x45;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(w->media_ip_h + t->addr);
	ip->dst_addr = t->peer_ip;
	udp->src_port = rte_cpu_to_be_16(t->local_port);
	udp->dst_port = rte_cpu_to_be_16(t->peer_port);
	rtp[0] = 0x80;
	rtp[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	sb_put_be16(rtp + 2, seq);
	sb_put_be32(rtp + 4, ts);
	sb_put_be32(rtp + 8, t->out_ssrc);
	memcpy(rtp + 12, pl, len);
	if (tc != NULL && tc->srtp_tx != NULL) {
		if (pkt_protect(w, tc, m, rtp, payload, false, &payload) < 0) {
			rte_pktmbuf_free(m);
			w->legs->st[t_idx].srtp_drops++;
			w->st->drop[SB_DROP_SRTP]++;
			w->legs->st[t_idx].drops++;
			return -EIO;
		}
	} else {
		pkt_set_payload(m, payload); /* lengths and checksums */
	}
	/* what is relayed next re-anchors after us (legs.h) */
	t->last_seq = seq;
	t->last_ts = last_ts;
	t->last_out_tsc = now;
	t->out_state |= SB_OUT_RESYNC;
	w->legs->st[t_idx].out_pt_last = pt;
	if (tc != NULL) { /* SR sender info across a transcoder (sb_dpm_rtcp_xcode) */
		tc->o_pkts++;
		tc->o_octets += len;
	}
	w->media->cnt.gen_pkts++;
	sb_relay_count_tx(w, t, t_idx, payload);
	sb_worker_tx_push(w, m, t_idx, payload);
	return 0;
}

/* ---- DTMF generation (RFC 4733) ---- */

static uint32_t ms_units(uint32_t ms, uint32_t clock)
{
	return (uint32_t)((uint64_t)ms * clock / 1000u);
}

static int dtmf_digit_start(struct dpm_leg *c, uint32_t ts)
{
	uint32_t clock = c->dtmf_clock_hz;

	c->dpend_valid = 0;
	return sb_dtmf_tx_start(&c->dtx, (unsigned)sb_dtmf_event_of(c->digits[c->dpos]), c->d_vol,
				ms_units(c->d_dur_ms, clock), ms_units(50, clock), ts);
}

static void dtmf_gen_stop(struct dpm_leg *c)
{
	c->gen = DPM_GEN_IDLE;
	c->dpend_valid = 0;
	c->digits[0] = '\0';
}

static void dtmf_gen_tick(struct sb_worker *w, struct dpm_leg *c, uint64_t now)
{
	uint32_t clock = c->dtmf_clock_hz;

	for (unsigned guard = 0; guard < 16; guard++) {
		uint64_t due;

		if (!c->dpend_valid) {
			if (sb_dtmf_tx_next(&c->dtx, &c->dpend) == 0) {
				/* digit over: the next one after the gap */
				uint32_t adv = c->d_dur_ms + c->d_gap_ms;

				if (c->digits[++c->dpos] == '\0') {
					dtmf_gen_stop(c);
					return;
				}
				c->gen_start_tsc += sb_ms_to_tsc(&w->clk, adv);
				c->gen_ts += ms_units(adv, clock);
				if (dtmf_digit_start(c, c->gen_ts) < 0) {
					dtmf_gen_stop(c);
					return;
				}
				continue;
			}
			c->dpend_valid = 1;
		}
		due = c->gen_start_tsc +
		      (uint64_t)(((unsigned __int128)c->dpend.send_at * w->clk.hz) / clock);
		if (due > now) {
			c->gen_next_tsc = due;
			return;
		}
		sb_dpm_originate(w, c->leg, c->dtmf_pt, c->dpend.marker, c->dpend.ts,
				 c->dpend.ts + c->dpend.send_at, c->dpend.pl, 4, now);
		c->dpend_valid = 0;
	}
	c->gen_next_tsc = now;
}

/* ---- DTMF as tones (a G.711 leg without telephone-event) ---- */

/* Row and column frequencies of a digit (Q.23). */
static void tone_freqs(char ch, float *lo, float *hi)
{
	static const char pad[4][5] = {"123A", "456B", "789C", "*0#D"};
	static const float row[4] = {697, 770, 852, 941}, col[4] = {1209, 1336, 1477, 1633};

	if (ch >= 'a' && ch <= 'd')
		ch = (char)(ch - 'a' + 'A');
	*lo = *hi = 0;
	for (unsigned r = 0; r < 4; r++)
		for (unsigned k = 0; k < 4; k++)
			if (pad[r][k] == ch) {
				*lo = row[r];
				*hi = col[k];
			}
}

/* One 20 ms frame of the digits: tone for d_dur_ms, silence for d_gap_ms,
 * digit after digit (about -7 and -5 dBm0: the high tone 2 dB up, as Q.23
 * twist allows), encoded in the leg's law and sent in its stream. */
static void tones_tick(struct sb_worker *w, struct dpm_leg *c, uint64_t now)
{
	int16_t pcm[160];
	uint8_t pl[160];
	uint32_t dur = c->d_dur_ms * 8u, cycle = (c->d_dur_ms + c->d_gap_ms) * 8u;
	bool last = false;

	for (unsigned s = 0; s < 160; s++) {
		float lo, hi, t;

		if (c->tone_pos == cycle) { /* next digit */
			c->tone_pos = 0;
			if (c->digits[c->dpos + 1] != '\0')
				c->dpos++;
			else
				last = true;
		}
		if (last || c->tone_pos >= dur) {
			pcm[s] = 0;
		} else {
			tone_freqs(c->digits[c->dpos], &lo, &hi);
			t = (float)c->tone_pos / 8000.0f;
			pcm[s] = (int16_t)(7000.0f * sinf(2.0f * (float)M_PI * lo * t) +
					   8800.0f * sinf(2.0f * (float)M_PI * hi * t));
		}
		if (!last)
			c->tone_pos++;
	}
	if (c->codec == SB_DP_CODEC_PCMU)
		sb_g711_ulaw_encode(pl, pcm, 160);
	else
		sb_g711_alaw_encode(pl, pcm, 160);
	sb_dpm_originate(w, c->leg, c->pt, c->gen_marker != 0, c->gen_ts, c->gen_ts, pl, 160, now);
	c->gen_marker = 0;
	c->gen_ts += 160;
	c->gen_next_tsc += w->media->frame_tsc;
	if (now >= c->gen_next_tsc)
		c->gen_next_tsc = now + w->media->frame_tsc;
	if (last) {
		c->gen = DPM_GEN_IDLE;
		c->digits[0] = '\0';
	}
}

static int dtmf_send_cmd(struct sb_worker *w, struct dpm_leg *c, const struct sb_cmd_dtmf *d,
			 uint64_t now)
{
	unsigned n;
	bool tones = c->dtmf_pt == 0;

	if (tones && c->codec != SB_DP_CODEC_PCMU && c->codec != SB_DP_CODEC_PCMA)
		return -ENOTSUP; /* no telephone-event, and no G.711 to carry tones */
	if (c->gen != DPM_GEN_IDLE)
		return -EBUSY;
	for (n = 0; n < sizeof(d->digits) && d->digits[n] != '\0'; n++)
		if (sb_dtmf_event_of(d->digits[n]) < 0)
			return -EINVAL;
	if (n == 0 || d->volume > 63 || d->duration_ms > 5000 || d->gap_ms > 5000)
		return -EINVAL;
	memcpy(c->digits, d->digits, n);
	c->digits[n] = '\0';
	c->dpos = 0;
	c->d_dur_ms = d->duration_ms != 0 ? d->duration_ms : 100;
	c->d_gap_ms = d->gap_ms != 0 ? d->gap_ms : 50;
	c->d_vol = d->volume != 0 ? d->volume : 10;
	c->gen_start_tsc = now;
	if (tones) {
		c->gen_ts = dpm_gen_ts_start(w, c->leg, 8000u, now);
		c->tone_pos = 0;
		c->gen_marker = 1;
		c->gen = DPM_GEN_TONES;
		c->gen_next_tsc = now;
		return 0;
	}
	c->gen_ts = dpm_gen_ts_start(w, c->leg, c->dtmf_clock_hz, now);
	if (dtmf_digit_start(c, c->gen_ts) < 0)
		return -EINVAL;
	c->gen = DPM_GEN_DTMF;
	c->gen_next_tsc = now;
	return 0;
}

/* ---- commands ---- */

static int dpm_leg_check(struct sb_worker *w, uint32_t idx, uint32_t gen)
{
	if (idx >= w->legs->max)
		return -EINVAL;
	if (!w->legs->x[idx].active)
		return -ENOENT;
	if (w->legs->x[idx].gen != gen)
		return -ESTALE;
	if (w->legs->x[idx].worker != w->id)
		return -EINVAL;
	return 0;
}

static bool media_is_zero(const struct sb_cmd_media *c)
{
	return c->srtp_rx == 0 && c->srtp_tx == 0 && c->codec == 0 && c->dtmf_pt == 0 &&
	       c->flags == 0;
}

/* One direction's SRTP context: kept when suite and key are unchanged (a
 * re-INVITE must not reset the rollover counter or the replay window). */
static int srtp_set(struct sb_srtp **ctx, uint8_t *suite_now, uint8_t *key_now, uint8_t suite,
		    const uint8_t *key, uint8_t key_len)
{
	struct sb_srtp *s;

	if (suite == SB_DP_SRTP_NONE) {
		sb_srtp_free(*ctx);
		*ctx = NULL;
		*suite_now = 0;
		return 0;
	}
	if (*ctx != NULL && *suite_now == suite && memcmp(key_now, key, key_len) == 0)
		return 0;
	s = sb_srtp_create((enum sb_srtp_prof)suite, key, key_len);
	if (s == NULL)
		return errno == EINVAL ? -EINVAL : -ENOMEM;
	sb_srtp_free(*ctx);
	*ctx = s;
	*suite_now = suite;
	memset(key_now, 0, SB_SRTP_MAX_KEY);
	memcpy(key_now, key, key_len);
	return 0;
}

static int leg_media_cmd(struct sb_worker *w, const struct sb_cmd_media *cm)
{
	struct dpm_leg *c;
	uint32_t idx = cm->h.leg;
	int rc = dpm_leg_check(w, idx, cm->h.leg_gen);

	if (rc < 0)
		return rc;
	if (media_is_zero(cm)) { /* back to a plain relay leg */
		sb_dpm_leg_reset(w, idx);
		return 0;
	}
	if ((cm->flags & ~SB_MEDIA_F_KNOWN) != 0 || cm->srtp_rx > SB_DP_SRTP_AEAD_AES_128_GCM ||
	    cm->srtp_tx > SB_DP_SRTP_AEAD_AES_128_GCM || cm->pt > 127 || cm->dtmf_pt > 127 ||
	    (cm->srtp_rx != 0 && cm->rx_key_len != sb_srtp_key_len(cm->srtp_rx)) ||
	    (cm->srtp_tx != 0 && cm->tx_key_len != sb_srtp_key_len(cm->srtp_tx)) ||
	    cm->channels > 2 || cm->codec > SB_DP_CODEC_OPUS)
		return -EINVAL;
	if (cm->ptime_ms != 0 && cm->ptime_ms != 10 && cm->ptime_ms != 20 && cm->ptime_ms != 40 &&
	    cm->ptime_ms != 60)
		return -EINVAL;
	if (cm->codec == SB_DP_CODEC_OPUS && cm->channels > 1)
		return -ENOTSUP; /* stereo Opus: not yet */
	if ((cm->flags & SB_MEDIA_DTMF_INBAND) && cm->codec != SB_DP_CODEC_PCMU &&
	    cm->codec != SB_DP_CODEC_PCMA)
		return -ENOTSUP; /* in-band detection needs a G.711 leg */
	c = ctx_get(w, idx);
	if (c == NULL)
		return -ENOSPC;
	if (c->conf != DPM_NONE && (c->codec != cm->codec || c->pt != cm->pt ||
				    (cm->ptime_ms != 0 ? cm->ptime_ms : 20) != c->ptime_ms))
		dpm_conf_leave(w, c); /* its decoder no longer fits: control joins it again */
	rc = srtp_set(&c->srtp_rx, &c->srtp_rx_suite, c->rx_key, cm->srtp_rx, cm->rx_key,
		      cm->rx_key_len);
	if (rc == 0)
		rc = srtp_set(&c->srtp_tx, &c->srtp_tx_suite, c->tx_key, cm->srtp_tx, cm->tx_key,
			      cm->tx_key_len);
	if (rc < 0) {
		if (!(w->legs->leg[idx].flags & SB_LEGI_MEDIA))
			ctx_release(w, c); /* a fresh context: nothing to keep */
		return rc;
	}
	if (c->dtmf_pt != cm->dtmf_pt || c->dtmf_clock_hz != (cm->dtmf_clock_hz ? cm->dtmf_clock_hz : 8000u) ||
	    !(w->legs->leg[idx].flags & SB_LEGI_MEDIA)) {
		c->dtmf_clock_hz = cm->dtmf_clock_hz != 0 ? cm->dtmf_clock_hz : 8000u;
		sb_dtmf_rx_init(&c->drx, c->dtmf_clock_hz, 0);
	}
	if (!(c->flags & SB_MEDIA_DTMF_INBAND) || c->codec != cm->codec) {
		sb_dtmf_ib_init(&c->dib);
		c->ib_have = 0;
	}
	if (c->gen == DPM_GEN_PROMPT && c->codec != cm->codec)
		dpm_prompt_stop(w, c, SB_PROMPT_END_ERROR); /* its frames are in the old codec */
	if (c->penc != NULL &&
	    (c->codec != cm->codec || c->opus_complexity != cm->opus_complexity ||
	     c->opus_bitrate != cm->opus_bitrate ||
	     ((c->flags ^ cm->flags) & (SB_MEDIA_OPUS_FEC | SB_MEDIA_OPUS_DTX)) != 0 ||
	     c->ptime_ms != (cm->ptime_ms != 0 ? cm->ptime_ms : 20))) {
		if (c->gen == DPM_GEN_PROMPT)
			dpm_prompt_stop(w, c, SB_PROMPT_END_STOPPED); /* its encoder goes */
		sb_enc_free(c->penc); /* the next PROMPT_PLAY builds one to the new settings */
		c->penc = NULL;
	}
	c->flags = cm->flags;
	c->codec = cm->codec;
	c->pt = cm->pt;
	c->dtmf_pt = cm->dtmf_pt;
	c->channels = cm->channels != 0 ? cm->channels : 1;
	c->clock_hz = cm->clock_hz != 0 ? cm->clock_hz : 8000u;
	c->ptime_ms = cm->ptime_ms != 0 ? cm->ptime_ms : 20;
	c->opus_complexity = cm->opus_complexity;
	c->opus_bitrate = cm->opus_bitrate;
	w->legs->leg[idx].flags |= SB_LEGI_MEDIA;
	/* transcoders of this leg and of its connected leg follow the codecs */
	return sb_dpm_connect(w, idx, w->legs->leg[idx].fwd != SB_LEG_NONE
					      ? w->legs->leg[idx].fwd
					      : idx);
}

int sb_dpm_cmd(struct sb_worker *w, const union sb_msg *m)
{
	struct dpm_leg *c;
	int rc;

	if (w->media == NULL)
		return -ENOTSUP;
	switch (m->h.type) {
	case SB_CMD_LEG_MEDIA:
		return leg_media_cmd(w, &m->media);
	case SB_CMD_DTMF_SEND:
		rc = dpm_leg_check(w, m->h.leg, m->h.leg_gen);
		if (rc < 0)
			return rc;
		c = dpm_ctx(w->media, m->h.leg);
		if (c == NULL)
			return -ENOTSUP; /* LEG_MEDIA first: which payload type */
		return dtmf_send_cmd(w, c, &m->dtmf, dpm_now(w->media, rte_rdtsc()));
	case SB_CMD_PROMPT_LOAD:
		return dpm_prompt_load(w, &m->prompt_load);
	case SB_CMD_CONF_JOIN:
	case SB_CMD_CONF_LEAVE:
		rc = dpm_leg_check(w, m->h.leg, m->h.leg_gen);
		if (rc < 0)
			return rc;
		if (m->h.type == SB_CMD_CONF_JOIN)
			return dpm_conf_join(w, &m->conf);
		c = dpm_ctx(w->media, m->h.leg);
		if (c != NULL)
			dpm_conf_leave(w, c); /* not a member: nothing to do, 0 */
		return 0;
	case SB_CMD_PROMPT_PLAY:
	case SB_CMD_PROMPT_STOP:
		if (m->h.leg == SB_LEG_NONE) /* to a conference */
			return dpm_conf_prompt(w, &m->prompt, m->h.type == SB_CMD_PROMPT_PLAY);
		rc = dpm_leg_check(w, m->h.leg, m->h.leg_gen);
		if (rc < 0)
			return rc;
		c = dpm_ctx(w->media, m->h.leg);
		if (m->h.type == SB_CMD_PROMPT_STOP) {
			if (c != NULL && c->gen == DPM_GEN_PROMPT)
				dpm_prompt_stop(w, c, SB_PROMPT_END_STOPPED);
			return 0;
		}
		if (c == NULL)
			return -ENOTSUP; /* LEG_MEDIA first: which codec */
		return dpm_prompt_play(w, c, &m->prompt, dpm_now(w->media, rte_rdtsc()));
	default:
		return -ENOTSUP;
	}
}

/* ---- timer ---- */

void sb_dpm_timer(struct sb_worker *w, uint64_t now)
{
	struct sb_dpm *m = w->media;

	m->now_seen = now;
	if (now < m->next_tick_tsc)
		return;
	m->next_tick_tsc = now + m->tick_tsc;
	dpm_prompt_poll_loads(w);
	dpm_conf_timer(w, now);
	for (uint32_t i = 0; i < m->n_used; i++) {
		struct dpm_leg *c = &m->ctx[m->used[i]];
		struct sb_dtmf_ev ev;

		if (c->gen != DPM_GEN_IDLE && now >= c->gen_next_tsc) {
			if (c->gen == DPM_GEN_DTMF)
				dtmf_gen_tick(w, c, now);
			else if (c->gen == DPM_GEN_TONES)
				tones_tick(w, c, now);
			else
				dpm_prompt_tick(w, c, now);
		}
		if (c->xc_running && now >= c->xc_next_tsc)
			xcode_tick(w, c, now);
		if ((c->flags & SB_MEDIA_DTMF_4733) && c->drx.state == 1 &&
		    sb_dtmf_rx_poll(&c->drx, now_ms_of(w, now), &ev) == 1)
			dtmf_emit(w, c->leg, &ev);
	}
}
