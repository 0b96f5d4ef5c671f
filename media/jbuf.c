/* SPDX-License-Identifier: MIT */
/*
 * jbuf.c — adaptive jitter buffer (sb/jbuf.h).  Slots are indexed by
 * sequence number modulo SB_JBUF_SLOTS; everything buffered lies in
 * [next_seq, next_seq + SB_JBUF_SLOTS), so a slot in use always holds the
 * sequence number that maps to it and duplicates are one compare.
 * Nothing here allocates after sb_jbuf_create().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sb/jbuf.h"

#define MASK (SB_JBUF_SLOTS - 1u)

struct slot {
	uint8_t  used;
	uint8_t  pad;
	uint16_t seq;
	uint16_t len;
	uint16_t pad2;
	uint32_t ts;
};

struct sb_jbuf {
	uint32_t frame, min, max, maxpl;
	uint8_t  primed;        /* a packet has been seen */
	uint8_t  started;       /* playout running */
	uint8_t  have_transit;
	uint8_t  pad;
	uint16_t next_seq;      /* next sequence number to play */
	uint16_t newest_seq;
	uint32_t play_ts;       /* timestamp the next tick plays */
	uint32_t newest_ts;
	uint32_t prev_transit;
	unsigned count;         /* slots in use */
	unsigned hold;          /* ticks before the next delay change */
	int64_t  j16;           /* RFC 3550 J, scaled by 16 */
	int64_t  level8;        /* smoothed level, scaled by 8 */
	struct sb_jbuf_stats st;
	struct slot slot[SB_JBUF_SLOTS];
	uint8_t  mem[];         /* SB_JBUF_SLOTS * maxpl payload bytes */
};

static const char *const drop_name[SB_JBUF_DROP_N] = {
#define _(n, d) [SB_JBUF_DROP_##n] = #n,
	SB_JBUF_DROPS(_)
#undef _
};
static const char *const drop_desc[SB_JBUF_DROP_N] = {
#define _(n, d) [SB_JBUF_DROP_##n] = d,
	SB_JBUF_DROPS(_)
#undef _
};

const char *sb_jbuf_drop_name(enum sb_jbuf_drop d)
{
	return (unsigned)d < SB_JBUF_DROP_N ? drop_name[d] : NULL;
}

const char *sb_jbuf_drop_desc(enum sb_jbuf_drop d)
{
	return (unsigned)d < SB_JBUF_DROP_N ? drop_desc[d] : NULL;
}

void sb_jbuf_free(struct sb_jbuf *jb)
{
	free(jb);
}

struct sb_jbuf *sb_jbuf_create(const struct sb_jbuf_cfg *cfg)
{
	struct sb_jbuf *jb;
	uint32_t frame, min, max, maxpl;

	if (cfg == NULL || cfg->clock == 0 || cfg->frame_ms == 0)
		goto inval;
	frame = (uint32_t)((uint64_t)cfg->clock * cfg->frame_ms / 1000);
	min = (uint32_t)((uint64_t)cfg->clock * (cfg->min_ms ? cfg->min_ms : 40) / 1000);
	max = (uint32_t)((uint64_t)cfg->clock * (cfg->max_ms ? cfg->max_ms : 200) / 1000);
	maxpl = cfg->max_payload ? cfg->max_payload : 1276;
	/* the ring must hold max delay plus a frame of arrival phase */
	if (frame == 0 || min > max || max / frame + 2 > SB_JBUF_SLOTS)
		goto inval;
	jb = calloc(1, sizeof(*jb) + (size_t)SB_JBUF_SLOTS * maxpl);
	if (jb == NULL)
		return NULL;
	jb->frame = frame;
	jb->min = min;
	jb->max = max;
	jb->maxpl = maxpl;
	jb->st.target = min;
	return jb;
inval:
	errno = EINVAL;
	return NULL;
}

const struct sb_jbuf_stats *sb_jbuf_stats(const struct sb_jbuf *jb)
{
	return &jb->st;
}

uint32_t sb_jbuf_frame_ts(const struct sb_jbuf *jb)
{
	return jb->frame;
}

static int drop(struct sb_jbuf *jb, enum sb_jbuf_drop why)
{
	jb->st.drop[why]++;
	return -(1 + (int)why);
}

/* RFC 3550 6.4.1: J += (|D| - J) / 16, D the change in transit time.  A
 * jump (resync, clock step) is capped so one packet cannot pin the
 * target at max for seconds. */
static void jitter_update(struct sb_jbuf *jb, uint32_t ts, uint32_t arrival)
{
	uint32_t transit = arrival - ts;
	int64_t d, t;

	if (jb->have_transit) {
		d = (int32_t)(transit - jb->prev_transit);
		if (d < 0)
			d = -d;
		if (d > 2 * (int64_t)jb->max)
			d = 2 * (int64_t)jb->max;
		jb->j16 += d - ((jb->j16 + 8) >> 4);
	}
	jb->prev_transit = transit;
	jb->have_transit = 1;
	jb->st.jitter = (uint32_t)(jb->j16 >> 4);
	t = jb->frame + 3 * (int64_t)jb->st.jitter;
	if (t < jb->min)
		t = jb->min;
	if (t > jb->max)
		t = jb->max;
	jb->st.target = (uint32_t)t;
}

int sb_jbuf_put(struct sb_jbuf *jb, const uint8_t *pl, unsigned len,
		uint16_t seq, uint32_t ts, uint32_t arrival)
{
	struct slot *s;
	int16_t dseq;

	jb->st.packets++;
	if (len == 0 || len > jb->maxpl)
		return drop(jb, SB_JBUF_DROP_SIZE);
	if (!jb->primed) {
		jb->primed = 1;
		jb->next_seq = jb->newest_seq = seq;
		jb->play_ts = jb->newest_ts = ts;
	}
	dseq = (int16_t)(uint16_t)(seq - jb->next_seq);
	/* Far from playout: not a late or early packet but a sender that
	 * restarted (new sequence or timestamp base); with nothing buffered
	 * that is a resync, otherwise the odd one out is refused. */
	if (dseq < -1024 || dseq >= (int)SB_JBUF_SLOTS ||
	    (jb->started && (int32_t)(ts - jb->play_ts) < -(int32_t)(SB_JBUF_SLOTS * jb->frame))) {
		if (jb->count != 0)
			return drop(jb, SB_JBUF_DROP_TOO_FAR);
		jb->st.resync++;
		jb->next_seq = jb->newest_seq = seq;
		jb->play_ts = jb->newest_ts = ts;
		jb->have_transit = 0;
		dseq = 0;
	}
	if (jb->started) {
		if (dseq < 0)
			return drop(jb, SB_JBUF_DROP_LATE);
		if ((int32_t)(ts - jb->play_ts) < 0) {
			/* its tick has been concealed already (EMPTY) */
			if (dseq == 0) {
				jb->next_seq++;
				jb->st.lost++;
			}
			return drop(jb, SB_JBUF_DROP_LATE);
		}
	} else if (dseq < 0) {
		/* reordered while priming: an earlier packet starts playout */
		if ((uint16_t)(jb->newest_seq - seq) >= SB_JBUF_SLOTS)
			return drop(jb, SB_JBUF_DROP_TOO_FAR);
		jb->next_seq = seq;
		jb->play_ts = ts;
		dseq = 0;
	}
	s = &jb->slot[seq & MASK];
	if (s->used)
		return drop(jb, SB_JBUF_DROP_DUP);
	jitter_update(jb, ts, arrival);
	s->used = 1;
	s->seq = seq;
	s->ts = ts;
	s->len = (uint16_t)len;
	memcpy(jb->mem + (size_t)(seq & MASK) * jb->maxpl, pl, len);
	if (jb->count++ == 0 || (int16_t)(uint16_t)(seq - jb->newest_seq) > 0) {
		jb->newest_seq = seq;
		jb->newest_ts = ts;
	}
	return 0;
}

static struct slot *slot_of(struct sb_jbuf *jb, uint16_t seq)
{
	struct slot *s = &jb->slot[seq & MASK];

	return s->used && s->seq == seq ? s : NULL;
}

static const uint8_t *data_of(const struct sb_jbuf *jb, uint16_t seq)
{
	return jb->mem + (size_t)(seq & MASK) * jb->maxpl;
}

static enum sb_jbuf_kind tick(struct sb_jbuf *jb, struct sb_jbuf_frame *f,
			      enum sb_jbuf_kind k, uint64_t *ctr)
{
	f->kind = (uint8_t)k;
	f->ts = jb->play_ts;
	jb->play_ts += jb->frame;
	(*ctr)++;
	return k;
}

enum sb_jbuf_kind sb_jbuf_get(struct sb_jbuf *jb, struct sb_jbuf_frame *f)
{
	int64_t level = 0;
	int shrink = 0;

	memset(f, 0, sizeof(*f));
	if (!jb->started) {
		if (jb->count == 0 ||
		    (int32_t)(jb->newest_ts + jb->frame - jb->play_ts) < (int32_t)jb->st.target) {
			jb->st.wait++;
			f->kind = SB_JBUF_WAIT;
			return SB_JBUF_WAIT;
		}
		jb->started = 1;
		jb->level8 = (int64_t)(jb->newest_ts + jb->frame - jb->play_ts) * 8;
	}
	if (jb->hold)
		jb->hold--;
	if (jb->count) {
		level = (int32_t)(jb->newest_ts + jb->frame - jb->play_ts);
		if (level < 0)
			level = 0;
		/* EWMA, 1/8 per tick: smooths the arrival phase */
		jb->level8 += level - ((jb->level8 + 4) >> 3);
		level = jb->level8 >> 3;
		jb->st.level = (uint32_t)level;
		if (jb->hold == 0 && level + jb->frame / 2 < jb->st.target &&
		    level + jb->frame <= jb->max) {
			/* grow: conceal one frame and do not advance */
			jb->level8 += (int64_t)jb->frame * 8;
			jb->hold = 4;
			jb->st.expand++;
			f->kind = SB_JBUF_EXPAND;
			f->ts = jb->play_ts;
			return SB_JBUF_EXPAND;
		}
		shrink = jb->hold == 0 && level > (int64_t)jb->st.target + jb->frame + jb->frame / 2;
	}
	for (unsigned guard = 0; guard <= SB_JBUF_SLOTS; guard++) {
		struct slot *s = slot_of(jb, jb->next_seq);

		if (s != NULL) {
			int32_t d = (int32_t)(s->ts - jb->play_ts);
			struct slot *n;

			if (d >= (int32_t)jb->frame)   /* sequence contiguous, time jumped */
				return tick(jb, f, SB_JBUF_GAP, &jb->st.gap);
			n = slot_of(jb, (uint16_t)(jb->next_seq + 1));
			if (shrink && n != NULL && n->ts - s->ts == jb->frame) {
				s->used = 0;
				jb->count--;
				jb->next_seq++;
				jb->play_ts = n->ts;
				jb->level8 -= (int64_t)jb->frame * 8;
				jb->hold = 10;
				jb->st.shrink++;
				shrink = 0;
				continue;
			}
			s->used = 0;
			jb->count--;
			f->kind = SB_JBUF_FRAME;
			f->seq = s->seq;
			f->ts = s->ts;
			f->data = data_of(jb, s->seq);
			f->len = s->len;
			jb->next_seq++;
			jb->play_ts = s->ts + jb->frame;
			jb->st.played++;
			return SB_JBUF_FRAME;
		}
		if (jb->count) {
			uint32_t presumed = 0;
			int32_t d;

			for (uint16_t k = 1; k < SB_JBUF_SLOTS; k++) {
				struct slot *n = slot_of(jb, (uint16_t)(jb->next_seq + k));

				if (n != NULL) {
					presumed = n->ts - k * jb->frame;
					break;
				}
			}
			d = (int32_t)(presumed - jb->play_ts);
			if (d < 0) {        /* concealed already while EMPTY */
				jb->next_seq++;
				jb->st.lost++;
				continue;
			}
			if (d >= (int32_t)jb->frame)
				return tick(jb, f, SB_JBUF_GAP, &jb->st.gap);
			jb->next_seq++;
			tick(jb, f, SB_JBUF_LOST, &jb->st.lost);
			s = slot_of(jb, jb->next_seq);
			if (s != NULL && s->ts == jb->play_ts) {
				f->next = data_of(jb, s->seq);
				f->next_len = s->len;
			}
			return SB_JBUF_LOST;
		}
		break;
	}
	return tick(jb, f, SB_JBUF_EMPTY, &jb->st.empty);
}
