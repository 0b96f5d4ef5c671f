/* SPDX-License-Identifier: MIT */
/*
 * b2bua/callrec.c — call recording (issue 7) from the B2BUA's side:
 *
 *   - a call whose hotline, or that hotline's queue, says `record: true`
 *     is recorded from the moment it is answered (media connected) until
 *     it ends: caller on the left, agent on the right, one file
 *     TENANT/YYYYMMDD/cIDX-GEN.wav under `recording: dir` (the dataplane's
 *     --rec-dir), indexed in the store (store/recidx.c) at start;
 *   - a blind transfer keeps the agent leg (re-pointed): same file; an
 *     attended one replaces it: the new agent leg is attached to the same
 *     recording when it lives on the same worker, else the caller's side
 *     goes on alone (the dataplane records a pair on one worker only);
 *   - the dataplane's DONE / ERROR / RECOVERED events update the index
 *     (duration, bytes, share, completeness, error);
 *   - retention: every `sweep_s` the store deletes the recordings (files
 *     and rows) of each tenant older than its retention.
 * Recording failures never touch the call: they are logged and indexed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "b2bua/call_priv.h"
#include "b2bua/queue.h"
#include "log.h"

static int call_queue(const struct sb_call *c)
{
	int q = c->hotline >= 0 ? c->cp->cfg->hotlines[c->hotline].queue : -1;

	return q >= 0 ? q : cpq_call_queue(c); /* the queue an IVR chose (b2bua/ivr.c) */
}

static bool call_recorded(const struct sb_call *c)
{
	const struct sb_config *cfg = c->cp->cfg;
	int q = call_queue(c);

	if (c->hotline < 0)
		return false;
	return cfg->hotlines[c->hotline].record || (q >= 0 && cfg->queues[q].record);
}

static const char *call_tenant(const struct sb_call *c)
{
	const struct sb_config *cfg = c->cp->cfg;
	int q = call_queue(c);

	if (q >= 0 && cfg->queues[q].tenant[0])
		return cfg->queues[q].tenant;
	if (c->agent >= 0 && cfg->agents[c->agent].tenant[0])
		return cfg->agents[c->agent].tenant;
	return "default";
}

/* The recording's format for rec_start (with the masking flag), its file
 * extension and the word the index keeps (recorder/: sb_rec_fmt_name). */
static unsigned rec_fmt(const struct sb_cfg_recording *rc)
{
	return rc->format | (rc->mask_dtmf ? SB_MEDIA_REC_F_MASK_DTMF : 0);
}

static const char *rec_ext(const struct sb_cfg_recording *rc)
{
	return rc->format == SB_MEDIA_REC_PCAP ? "pcapng" :
	       rc->format == SB_MEDIA_REC_OPUS || rc->format == SB_MEDIA_REC_OPUS_MONO ? "opus" :
	       "wav";
}

static const char *rec_fmt_word(const struct sb_cfg_recording *rc)
{
	switch (rc->format) {
	case SB_MEDIA_REC_PCM16: return "pcm16";
	case SB_MEDIA_REC_MONO: return "wav-mono";
	case SB_MEDIA_REC_OPUS: return "ogg-opus";
	case SB_MEDIA_REC_OPUS_MONO: return "ogg-opus-mono";
	case SB_MEDIA_REC_PCAP: return "pcap";
	default: return "g711";
	}
}

void call_rec_start(struct sb_call *c)
{
	struct sb_cp *cp = c->cp;
	struct sb_media *md = cp->media;
	const struct sb_cfg_recording *rc = &cp->cfg->recording;
	int64_t now = (int64_t)sb_wall_ms();
	time_t t = (time_t)(now / 1000);
	struct tm tm;
	char day[16], tenant[41];
	int rc_;

	if (c->rec.on || !call_recorded(c))
		return;
	if (!sb_media_has(md, SB_MEDIA_CAP_REC)) {
		sb_warn("call %u: `record: true`, but the %s backend cannot record", c->idx,
			md->ops->name);
		return;
	}
	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y%m%d", &tm);
	/* never 0: RECOVERED events carry 0 */
	c->rec.id = ++cp->rec_seq != 0 ? cp->rec_seq : ++cp->rec_seq;
	/* a tenant name becomes one path component: letters, digits, '-', '_' */
	snprintf(tenant, sizeof(tenant), "%s", call_tenant(c));
	for (char *p = tenant; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			*p = '_';
	snprintf(c->rec.path, sizeof(c->rec.path), "%s/%.8s/c%u-%u.%s", tenant, day, c->idx,
		 c->rec.id, rec_ext(rc));
	rc_ = md->ops->rec_start(md, &c->leg[SIDE_A], &c->leg[SIDE_B], c->rec.id,
				 (enum sb_media_rec_fmt)rec_fmt(rc), c->rec.path,
				 rc->segment_s, call_cookie(c, OP_AUX));
	if (rc_ < 0) {
		sb_warn("call %u: recording not started: %s", c->idx, strerror(-rc_));
		return;
	}
	c->pending++;
	c->rec.on = true;
	sb_info("call %u: recording %u to %s", c->idx, c->rec.id, c->rec.path);
	if (cp->store) {
		struct sb_rec_row row;
		int q = call_queue(c);
		struct sb_str cid = sb_sip_msg_hdr(c->a_msg, SB_HDR_CALL_ID);

		memset(&row, 0, sizeof(row));
		sb_str_copy(row.call_id, sizeof(row.call_id), cid);
		snprintf(row.tenant, sizeof(row.tenant), "%s", call_tenant(c));
		if (q >= 0)
			snprintf(row.queue, sizeof(row.queue), "%s", cp->cfg->queues[q].name);
		if (c->agent >= 0)
			snprintf(row.agent, sizeof(row.agent), "%s", cp->cfg->agents[c->agent].user);
		snprintf(row.path, sizeof(row.path), "%s", c->rec.path);
		snprintf(row.format, sizeof(row.format), "%s", rec_fmt_word(rc));
		row.start_ms = now;
		sb_store_rec_started(cp->store, &row);
	}
}

void call_rec_stop(struct sb_call *c)
{
	struct sb_media *md = c->cp->media;

	if (!c->rec.on)
		return;
	c->rec.on = false;
	if (c->leg_st[SIDE_A] == LEG_ADDED &&
	    md->ops->rec_stop(md, &c->leg[SIDE_A], c->rec.id, call_cookie(c, OP_AUX)) == 0)
		c->pending++;
	/* else: deleting the legs stops it on the dataplane (DONE follows) */
}

void call_rec_agent_changed(struct sb_call *c)
{
	struct sb_media *md = c->cp->media;
	int rc;

	if (!c->rec.on)
		return;
	if (c->leg[SIDE_B].worker != c->leg[SIDE_A].worker) {
		sb_info("call %u: recording %u: the new agent leg is on another worker; the "
			"caller's side goes on alone", c->idx, c->rec.id);
		return;
	}
	rc = md->ops->rec_start(md, &c->leg[SIDE_A], &c->leg[SIDE_B], c->rec.id,
				(enum sb_media_rec_fmt)rec_fmt(&c->cp->cfg->recording),
				c->rec.path, c->cp->cfg->recording.segment_s, call_cookie(c, OP_AUX));
	if (rc == 0)
		c->pending++;
	else
		sb_warn("call %u: recording %u: new agent leg not attached: %s", c->idx, c->rec.id,
			strerror(-rc));
}

/* ---- events from the dataplane ---- */

static void on_rec_event(void *arg, const struct sb_media_rec_info *in)
{
	struct sb_cp *cp = arg;
	struct sb_rec_result r;

	if (cp->store == NULL || in->path[0] == '\0')
		return;
	memset(&r, 0, sizeof(r));
	snprintf(r.path, sizeof(r.path), "%s", in->path);
	r.err = in->status;
	switch (in->ev) {
	case SB_MEDIA_REC_DONE:
		r.state = SB_REC_ST_DONE;
		r.complete = in->complete;
		r.share_pm = in->share_pm;
		break;
	case SB_MEDIA_REC_RECOVERED:
		r.state = SB_REC_ST_RECOVERED;
		r.complete = 0;
		r.share_pm = 0; /* unknown: the call's length died with the dataplane */
		break;
	default:
		r.state = SB_REC_ST_ERROR;
		break;
	}
	r.duration_ms = in->file_ms;
	r.bytes = in->bytes;
	sb_store_rec_update(cp->store, &r);
}

/* ---- retention ---- */

static void sweep_tenant(struct sb_cp *cp, const char *tenant, uint32_t days, int64_t now)
{
	if (days == 0)
		return;
	sb_store_rec_sweep(cp->store, tenant, now - (int64_t)days * 86400000, cp->cfg->recording.dir);
}

static bool listed(const struct sb_cfg_recording *r, const char *tenant)
{
	for (unsigned i = 0; i < r->n_tenants; i++)
		if (strcmp(r->tenants[i].tenant, tenant) == 0)
			return true;
	return false;
}

/* The tenants the configuration knows (queues, agents, "default") get the
 * default retention unless listed; listed ones their own.  A tenant seen
 * twice is swept twice: harmless, the second finds nothing. */
static void rec_sweep(struct sb_timer *t, void *arg)
{
	struct sb_cp *cp = arg;
	const struct sb_config *cfg = cp->cfg;
	const struct sb_cfg_recording *r = &cfg->recording;
	int64_t now = (int64_t)sb_wall_ms();

	for (unsigned i = 0; i < r->n_tenants; i++)
		sweep_tenant(cp, r->tenants[i].tenant, r->tenants[i].days, now);
	if (r->retention_days != 0) {
		if (!listed(r, "default"))
			sweep_tenant(cp, "default", r->retention_days, now);
		for (unsigned i = 0; i < cfg->n_queues; i++)
			if (!listed(r, cfg->queues[i].tenant) &&
			    strcmp(cfg->queues[i].tenant, "default") != 0)
				sweep_tenant(cp, cfg->queues[i].tenant, r->retention_days, now);
		for (unsigned i = 0; i < cfg->n_agents; i++)
			if (!listed(r, cfg->agents[i].tenant) &&
			    strcmp(cfg->agents[i].tenant, "default") != 0)
				sweep_tenant(cp, cfg->agents[i].tenant, r->retention_days, now);
	}
	sb_timer_arm(cp->loop, t, (uint64_t)r->sweep_s * 1000u);
}

void call_rec_init(struct sb_cp *cp)
{
	const struct sb_cfg_recording *r = &cp->cfg->recording;

	cp->media->rec_event = on_rec_event;
	sb_timer_init(&cp->t_rec_sweep, rec_sweep, cp);
	if (cp->store != NULL && r->dir[0] != '\0' && (r->retention_days != 0 || r->n_tenants != 0))
		sb_timer_arm(cp->loop, &cp->t_rec_sweep, 1000); /* soon after start, then sweep_s */
}
