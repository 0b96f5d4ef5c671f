/* SPDX-License-Identifier: MIT */
/*
 * rectap.c — the worker's side of recording (see rectap.h): commands,
 * the per-packet tap, leg reset, event forwarding.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>

#include "dpm_priv.h"
#include "legs.h"
#include "rec_priv.h"
#include "rec_rtp.h"
#include "rectap.h"
#include "worker.h"

/* The leg must be active, on w, of that generation. */
static int rec_leg_check(struct sb_worker *w, uint32_t idx, uint32_t gen)
{
	if (idx >= w->legs->max)
		return -EINVAL;
	if (!w->legs->x[idx].active)
		return -ENOENT;
	if (w->legs->x[idx].worker != w->id)
		return -EXDEV;
	if (w->legs->x[idx].gen != gen)
		return -ESTALE;
	return 0;
}

/* Relative, NUL-terminated, no "..": the dataplane writes only under
 * --rec-dir whatever control asks. */
static bool rec_path_ok(const char *p)
{
	size_t n = strnlen(p, SB_REC_REL_PATH_MAX);

	if (n == 0 || n == SB_REC_REL_PATH_MAX || p[0] == '/')
		return false;
	for (const char *s = p; s != NULL; s = strchr(s, '/')) {
		if (*s == '/')
			s++;
		if (s[0] == '.' && s[1] == '.' && (s[2] == '/' || s[2] == '\0'))
			return false;
		if (s[0] == '/' || s[0] == '\0') /* "a//b", trailing '/' */
			return false;
	}
	return true;
}

static struct dprec_slot *slot_find(struct dprec_w *rw, uint32_t rec_id)
{
	for (unsigned i = 0; i < rw->d->cfg.max_recs; i++)
		if (rw->slot[i].state != SLOT_FREE && rw->slot[i].rec_id == rec_id)
			return &rw->slot[i];
	return NULL;
}

static void leg_attach(struct sb_worker *w, struct dprec_slot *s, unsigned ch, uint32_t leg,
		       uint32_t gen)
{
	struct dprec_w *rw = w->rec;

	s->leg[ch] = leg;
	s->gen[ch] = gen;
	rw->d->leg_map[leg] = (uint32_t)(s - rw->slot) << MAP_CH_BITS | ch;
	w->legs->leg[leg].flags |= SB_LEGI_REC;
}

static void leg_detach(struct sb_worker *w, struct dprec_slot *s, unsigned ch)
{
	uint32_t leg = s->leg[ch];

	if (leg == SB_LEG_NONE)
		return;
	w->rec->d->leg_map[leg] = MAP_NONE;
	w->legs->leg[leg].flags &= (uint8_t)~SB_LEGI_REC;
	s->leg[ch] = SB_LEG_NONE;
}

static int req_push(struct dprec_w *rw, const struct dprec_req *q)
{
	return sb_ring_enqueue_bulk(rw->req, q, 1) ? 0 : -EAGAIN;
}

/* Queue the stop; on a full ring the poll retries (stop_pending). */
static void slot_stop(struct sb_worker *w, struct dprec_slot *s)
{
	struct dprec_req q = {.op = REQ_STOP, .rec_id = s->rec_id};

	leg_detach(w, s, 0);
	leg_detach(w, s, 1);
	leg_detach(w, s, SB_REC_SUPER);
	s->state = SLOT_CLOSING;
	s->stop_pending = req_push(w->rec, &q) < 0;
}

static int rec_start(struct sb_worker *w, const struct sb_cmd_rec_start *c)
{
	static const uint16_t fmt_map[] = {
		[SB_DP_REC_G711] = SB_REC_FMT_ULAW,
		[SB_DP_REC_PCM16] = SB_REC_FMT_PCM16,
		[SB_DP_REC_ALAW] = SB_REC_FMT_ALAW,
		[SB_DP_REC_ULAW] = SB_REC_FMT_ULAW,
		[SB_DP_REC_MONO] = SB_REC_FMT_MONO,
		[SB_DP_REC_OPUS] = SB_REC_FMT_OPUS,
		[SB_DP_REC_OPUS_MONO] = SB_REC_FMT_OPUS_MONO,
		[SB_DP_REC_PCAP] = SB_REC_FMT_PCAP,
	};
	struct dprec_w *rw = w->rec;
	const uint32_t legs[2] = {c->h.leg, c->agent_leg};
	const uint32_t gens[2] = {c->h.leg_gen, c->agent_leg_gen};
	struct dprec_slot *s;
	struct dprec_req q;
	int rc;

	if (c->fmt >= RTE_DIM(fmt_map) || (c->flags & ~SB_DP_REC_F_MASK_DTMF) ||
	    ((c->flags & SB_DP_REC_F_MASK_DTMF) && c->fmt == SB_DP_REC_PCAP) ||
	    (c->segment_s != 0 && c->segment_s > 3600))
		return -EINVAL;
	if (legs[0] == SB_LEG_NONE && legs[1] == SB_LEG_NONE)
		return -EINVAL;
	for (unsigned ch = 0; ch < 2; ch++) {
		if (legs[ch] == SB_LEG_NONE)
			continue;
		rc = rec_leg_check(w, legs[ch], gens[ch]);
		if (rc < 0)
			return rc;
	}
	if (legs[0] == legs[1])
		return -EINVAL;
	s = slot_find(rw, c->rec_id);
	if (s != NULL && s->state != SLOT_ON)
		return -EBUSY; /* closing: the id is not free yet */
	for (unsigned ch = 0; ch < 2; ch++) {
		uint32_t m;

		if (legs[ch] == SB_LEG_NONE)
			continue;
		m = rw->d->leg_map[legs[ch]];
		if (m != MAP_NONE && (s == NULL || &rw->slot[m >> MAP_CH_BITS] != s))
			return -EBUSY;
	}
	if (s != NULL) { /* re-attach (transfer): same file */
		for (unsigned ch = 0; ch < 2; ch++) {
			if (legs[ch] == SB_LEG_NONE || s->leg[ch] == legs[ch])
				continue;
			leg_detach(w, s, ch);
			if (rw->d->leg_map[legs[ch]] != MAP_NONE) /* it was on the other side */
				leg_detach(w, s, rw->d->leg_map[legs[ch]] & MAP_CH_MASK);
			leg_attach(w, s, ch, legs[ch], gens[ch]);
		}
		return 0;
	}
	if (!rec_path_ok(c->path))
		return -EINVAL;
	for (unsigned i = 0; i < rw->d->cfg.max_recs && s == NULL; i++)
		if (rw->slot[i].state == SLOT_FREE)
			s = &rw->slot[i];
	if (s == NULL)
		return -ENOSPC;
	memset(&q, 0, sizeof(q));
	q.op = REQ_START;
	q.rec_id = c->rec_id;
	q.fmt = fmt_map[c->fmt];
	q.flags = c->flags & SB_DP_REC_F_MASK_DTMF ? SB_REC_OPT_MASK_DTMF : 0;
	q.seg_ms = (uint32_t)(c->segment_s != 0 ? c->segment_s : rw->d->cfg.segment_s) * 1000u;
	q.leg = c->h.leg;
	q.leg_gen = c->h.leg_gen;
	memcpy(q.path, c->path, sizeof(q.path));
	/* the start is queued before any frame of it: the recorder sees it
	 * first (sb_rec_poll_bounded) */
	if (req_push(rw, &q) < 0)
		return -EAGAIN;
	memset(s, 0, sizeof(*s));
	s->rec_id = c->rec_id;
	s->state = SLOT_ON;
	s->leg[0] = s->leg[1] = s->leg[SB_REC_SUPER] = SB_LEG_NONE;
	s->pcap = c->fmt == SB_DP_REC_PCAP;
	s->mask = (c->flags & SB_DP_REC_F_MASK_DTMF) != 0;
	for (unsigned ch = 0; ch < 2; ch++)
		if (legs[ch] != SB_LEG_NONE)
			leg_attach(w, s, ch, legs[ch], gens[ch]);
	return 0;
}

/* REC_LEG: a supervisor's leg in or out of recording s (dp_abi.h) */
static int rec_leg(struct sb_worker *w, struct dprec_slot *s, const struct sb_cmd_rec_leg *c)
{
	struct dprec_w *rw = w->rec;
	uint32_t m;
	int rc;

	if (c->chan != SB_DP_REC_CH_SUPER || c->on > 1 || c->reserved != 0)
		return -EINVAL;
	rc = rec_leg_check(w, c->h.leg, c->h.leg_gen);
	if (rc < 0)
		return rc;
	m = rw->d->leg_map[c->h.leg];
	if (!c->on) {
		if (m == MAP_NONE || &rw->slot[m >> MAP_CH_BITS] != s ||
		    (m & MAP_CH_MASK) != SB_REC_SUPER)
			return -ENOENT; /* not this recording's supervisor */
		leg_detach(w, s, SB_REC_SUPER);
		return 0;
	}
	if (m != MAP_NONE) {
		if (&rw->slot[m >> MAP_CH_BITS] != s)
			return -EBUSY;
		return (m & MAP_CH_MASK) == SB_REC_SUPER ? 0 : -EINVAL; /* caller or agent */
	}
	leg_detach(w, s, SB_REC_SUPER); /* one supervisor leg: the new one */
	leg_attach(w, s, SB_REC_SUPER, c->h.leg, c->h.leg_gen);
	return 0;
}

int sb_dprec_cmd(struct sb_worker *w, const union sb_msg *m)
{
	struct dprec_slot *s;

	if (w->rec == NULL)
		return -ENOTSUP; /* no --rec-dir */
	if (m->h.type == SB_CMD_REC_START)
		return rec_start(w, &m->rec_start);
	s = slot_find(w->rec, m->rec.rec_id);
	if (s == NULL || s->state != SLOT_ON)
		return -ENOENT;
	switch (m->h.type) {
	case SB_CMD_REC_STOP:
		slot_stop(w, s);
		return 0;
	case SB_CMD_REC_PAUSE:
		s->paused = 1;
		return 0;
	case SB_CMD_REC_RESUME:
		s->paused = 0;
		return 0;
	case SB_CMD_REC_LEG:
		return rec_leg(w, s, &m->rec_leg);
	default:
		return -ENOTSUP;
	}
}

/* What a recorded leg's payload type is: SB_REC_PCMU/PCMA, SB_REC_OPUS
 * (the media context says Opus, or a relayed leg's payload map gives the
 * type a 48 kHz clock: the only such codec the dataplane knows),
 * SB_REC_TEV (the media context's telephone-event type, when masking),
 * or UINT32_MAX (not recorded).  Only reached for recorded legs. */
static uint32_t tap_codec(struct sb_worker *w, uint32_t idx, uint8_t pt, bool mask,
			  uint32_t *flags)
{
	const struct sb_leg *l = &w->legs->leg[idx];

	if (pt == SB_REC_PCMU || pt == SB_REC_PCMA)
		return pt;
	if (w->media != NULL && (l->flags & SB_LEGI_MEDIA)) {
		const struct dpm_leg *c = dpm_ctx(w->media, idx);

		if (c != NULL) {
			if (c->codec == SB_DP_CODEC_OPUS && pt == c->pt)
				return SB_REC_OPUS;
			if (mask && c->dtmf_pt != 0 && pt == c->dtmf_pt) {
				if (c->dtmf_clock_hz == 48000)
					*flags |= SB_REC_FRAME_CLK48;
				return SB_REC_TEV;
			}
			return UINT32_MAX;
		}
	}
	for (unsigned i = 0; i < l->n_pt && i < SB_PT_MAP_MAX; i++)
		if (l->pt_in[i] == pt && w->legs->x[idx].pt_clock[i] == 48000)
			return SB_REC_OPUS;
	return UINT32_MAX;
}

/* a[0..alen) then b[0..blen) into elements f[0..) (each a copy of *proto
 * but for len/flags/payload): MORE on all but the last, CONT on all but
 * the first.  Returns the elements used (<= max, the bytes must fit). */
static unsigned fill_chunks(struct sb_rec_frame *f, unsigned max,
			    const struct sb_rec_frame *proto, const uint8_t *a, uint32_t alen,
			    const uint8_t *b, uint32_t blen)
{
	uint32_t total = alen + blen, done = 0;
	unsigned n = 0;

	for (; done < total && n < max; n++) {
		uint32_t l = total - done < SB_REC_PAYLOAD_MAX ? total - done : SB_REC_PAYLOAD_MAX;

		memcpy(&f[n], proto, offsetof(struct sb_rec_frame, payload));
		f[n].len = (uint16_t)l;
		f[n].flags |= (done ? SB_REC_FRAME_CONT : 0) |
			      (done + l < total ? SB_REC_FRAME_MORE : 0);
		for (uint32_t k = 0; k < l; k++, done++) /* at most 1024 bytes a packet */
			f[n].payload[k] = done < alen ? a[done] : b[done - alen];
	}
	return n;
}

static void tap_push(struct sb_worker *w, struct dprec_slot *s, const struct sb_rec_frame *f,
		     unsigned n)
{
	unsigned k = sb_rec_push_burst(w->rec->prod, f, n);

	s->frames += k;
	w->st->rec_frames += k;
	if (unlikely(k < n)) { /* ring full: the recorder is behind; never wait */
		s->drop_full += n - k;
		w->st->rec_drop_full += n - k;
	}
}

/* pcap recording: the packet itself, with where it came from */
static void tap_pkt(struct sb_worker *w, struct dprec_slot *s, uint32_t idx, unsigned ch,
		    const uint8_t *rtp, uint32_t len, uint64_t now)
{
	const struct sb_leg *l = &w->legs->leg[idx];
	struct sb_rec_frame f[8], proto = {.call_id = s->rec_id, .chan = (uint8_t)ch,
					   .codec = SB_REC_PKT};
	struct sb_rec_pkt pk = {
		.time_ns = sb_tsc_to_ns(&w->clk, now) + w->rec->wall_off,
		.src_ip = l->peer_ip,
		.dst_ip = rte_cpu_to_be_32(w->media_ip_h + l->addr),
		.src_port = l->peer_port,
		.dst_port = l->local_port,
		.orig_len = (uint16_t)(len > UINT16_MAX ? UINT16_MAX : len),
		.cap_len = (uint16_t)(len < SB_REC_SNAPLEN ? len : SB_REC_SNAPLEN),
	};

	if (s->paused) { /* a pause (card numbers) keeps the packets out too */
		w->rec->skipped++;
		return;
	}
	tap_push(w, s, f, fill_chunks(f, RTE_DIM(f), &proto, (const uint8_t *)&pk, sizeof(pk),
				      rtp, pk.cap_len));
}

void sb_dprec_tap(struct sb_worker *w, uint32_t idx, const uint8_t *rtp, uint32_t len,
		  uint64_t now)
{
	struct dprec_w *rw = w->rec;
	struct sb_rec_frame f[8]; /* 80 ms of G.711, or an Opus packet of up to 1000 bytes */
	struct dprec_slot *s;
	uint32_t m, off = 0, plen, ts, codec, flags = 0;
	unsigned n = 0;
	uint8_t pt;

	if (unlikely(rw == NULL))
		return;
	m = rw->d->leg_map[idx];
	if (unlikely(m == MAP_NONE))
		return;
	s = &rw->slot[m >> MAP_CH_BITS];
	if (s->pcap) {
		tap_pkt(w, s, idx, m & MAP_CH_MASK, rtp, len, now);
		return;
	}
	pt = rtp[1] & 0x7f;
	plen = sb_rec_rtp_payload(rtp, len, &off);
	if (plen == 0 || (codec = tap_codec(w, idx, pt, s->mask, &flags)) == UINT32_MAX)
		goto skip;
	ts = (uint32_t)rtp[4] << 24 | (uint32_t)rtp[5] << 16 | (uint32_t)rtp[6] << 8 | rtp[7];
	if (codec == SB_REC_OPUS || codec == SB_REC_TEV) {
		/* one payload, in as many elements as it needs; a paused Opus
		 * frame is still copied: its length is in the packet (the
		 * recorder writes silence for it, it does not decode it) */
		struct sb_rec_frame proto = {.call_id = s->rec_id, .ts = ts, .chan = (uint8_t)(m & MAP_CH_MASK),
					     .codec = (uint8_t)codec,
					     .flags = flags | (s->paused ? SB_REC_FRAME_SILENT : 0)};

		if (plen > SB_REC_SNAPLEN)
			goto skip;
		tap_push(w, s, f, fill_chunks(f, RTE_DIM(f), &proto, rtp + off, plen, NULL, 0));
		return;
	}
	if (plen > 4 * SB_REC_PAYLOAD_MAX)
		goto skip;
	for (; plen > 0; n++) { /* off: first payload byte */
		uint16_t l = (uint16_t)(plen < SB_REC_PAYLOAD_MAX ? plen : SB_REC_PAYLOAD_MAX);

		f[n].call_id = s->rec_id;
		f[n].ts = ts;
		f[n].chan = (uint8_t)(m & MAP_CH_MASK);
		f[n].codec = (uint8_t)codec;
		f[n].len = l;
		f[n].flags = s->paused ? SB_REC_FRAME_SILENT : 0;
		if (!s->paused) /* paused: silence, the audio is not even copied */
			memcpy(f[n].payload, rtp + off, l);
		ts += l;
		off += l;
		plen -= l;
	}
	tap_push(w, s, f, n);
	return;
skip:
	rw->skipped++;
}

void sb_dprec_leg_reset(struct sb_worker *w, uint32_t idx)
{
	struct dprec_w *rw = w->rec;
	struct dprec_slot *s;
	uint32_t m;

	w->legs->leg[idx].flags &= (uint8_t)~SB_LEGI_REC;
	if (rw == NULL || (m = rw->d->leg_map[idx]) == MAP_NONE)
		return;
	s = &rw->slot[m >> MAP_CH_BITS];
	leg_detach(w, s, m & MAP_CH_MASK);
	if (s->state == SLOT_ON && s->leg[0] == SB_LEG_NONE && s->leg[1] == SB_LEG_NONE)
		slot_stop(w, s); /* nobody left to record */
}

/* One event from the recorder: complete DONE with what only the worker
 * knows (ring drops), free the slot, pass it on. */
static void evt_forward(struct sb_worker *w, union sb_msg *ev)
{
	struct dprec_w *rw = w->rec;

	if (ev->h.type == SB_EVT_REC_DONE) {
		struct dprec_slot *s = slot_find(rw, ev->rec_evt.rec_id);

		if (s != NULL) {
			ev->rec_evt.drop_full = (uint32_t)s->drop_full;
			if (s->drop_full != 0) {
				/* frames the recorder never saw: the file cannot know */
				uint64_t pm = s->frames * 1000u / (s->frames + s->drop_full);

				ev->rec_evt.complete = 0;
				if (pm < ev->rec_evt.share_pm)
					ev->rec_evt.share_pm = (uint16_t)pm;
			}
			s->state = SLOT_FREE;
		}
	}
	sb_worker_evt_push(w, ev);
}

unsigned sb_dprec_poll(struct sb_worker *w)
{
	struct dprec_w *rw = w->rec;
	union sb_msg ev[8];
	unsigned n;

	if (rw == NULL)
		return 0;
	for (unsigned i = 0; i < rw->d->cfg.max_recs; i++) {
		struct dprec_slot *s = &rw->slot[i];

		if (unlikely(s->stop_pending)) {
			struct dprec_req q = {.op = REQ_STOP, .rec_id = s->rec_id};

			s->stop_pending = req_push(rw, &q) < 0;
		}
	}
	n = sb_ring_dequeue_burst(rw->evq, ev, RTE_DIM(ev));
	for (unsigned i = 0; i < n; i++)
		evt_forward(w, &ev[i]);
	return n;
}
