/* SPDX-License-Identifier: MIT */
/*
 * dpprompt.c — prompts on the workers: the shared store, its loader
 * thread, and the per-leg player driven by the worker's timer.
 *
 * PROMPT_LOAD never reads a file on a worker: the worker queues the
 * request on the loader's ring (multi-producer, one consumer) and answers
 * nothing yet (-EINPROGRESS); the loader thread reads, converts and stores
 * the prompt (sb_prompt_load_file(): WAV to PCMU, PCMA and 8 kHz linear,
 * once), then posts the status on the requesting worker's completion ring
 * (one producer, one consumer), and that worker's timer sends the
 * SB_EVT_RESULT (the event ring keeps its single producer).  The store's
 * reference counts are atomic (media/prompt.c), so a prompt replaced or
 * unloaded while calls play it lives until the last player lets go.
 *
 * Playing: one 20 ms frame per tick of the worker's timer, sent through
 * sb_dpm_originate() (continuous SSRC/sequence/timestamp, SRTP when the
 * leg sends SRTP); while it plays, what the leg would have relayed to its
 * peer is dropped (counted MEDIA), and relaying resumes, re-anchored,
 * after it.
 *
 * Opus legs: the store keeps no pre-encoded Opus (its frames would depend
 * on each leg's bitrate, complexity, FEC and DTX), so the player hands out
 * the 8 kHz linear frames (S16_8K, shared like the G.711 ones) and the
 * worker encodes each one on the tick.  The encoder is the one that
 * already makes the leg's stream: the transcoder fed by the connected leg
 * (dpm_prompt_enc()); its state, timestamps and settings carry on through
 * prompt and speech, and that transcoder only decodes while the prompt
 * owns the output (dpmedia.c xcode_tick), so one encoder never runs twice
 * per 20 ms.  A leg with no transcoder feeding it gets its own encoder at
 * PROMPT_PLAY (command time).  Nothing is allocated per frame.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "dpm_priv.h"
#include "dpmedia.h"
#include "legs.h"
#include "worker.h"

#define LOAD_RING 64u

struct load_req {
	uint32_t worker, req_id, prompt, leg, leg_gen;
	char path[SB_PROMPT_PATH_MAX];
};
_Static_assert(sizeof(struct load_req) % 4 == 0, "rte_ring element size");

struct load_done {
	uint32_t req_id, prompt, leg, leg_gen;
	int32_t status;
};

struct sb_dpm_shared {
	struct sb_prompt_store *store;
	uint32_t max_prompts;
	unsigned n_workers;
	struct rte_ring *req;                   /* workers -> loader */
	struct rte_ring *done[SB_MAX_WORKERS];  /* loader -> worker i */
	pthread_t thr;
	int thr_started;
	_Atomic int stop;
};

static void *loader_main(void *arg)
{
	struct sb_dpm_shared *sh = arg;

	while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
		struct load_req r;
		struct load_done d;
		struct sb_wav wav;

		if (rte_ring_sc_dequeue_elem(sh->req, &r, sizeof(r)) != 0) {
			usleep(1000); /* not a worker: sleeping here costs no packet */
			continue;
		}
		r.path[sizeof(r.path) - 1] = '\0';
		d.status = sb_prompt_load_file(sh->store, r.prompt, r.path, &wav);
		if (d.status == -EEXIST) { /* "load (or replace)": players keep the old one */
			sb_prompt_unload(sh->store, r.prompt);
			d.status = sb_prompt_load_file(sh->store, r.prompt, r.path, &wav);
		}
		d.req_id = r.req_id;
		d.prompt = r.prompt;
		d.leg = r.leg;
		d.leg_gen = r.leg_gen;
		while (rte_ring_sp_enqueue_elem(sh->done[r.worker], &d, sizeof(d)) != 0 &&
		       !atomic_load_explicit(&sh->stop, memory_order_relaxed))
			usleep(1000); /* the worker drains it every millisecond */
	}
	return NULL;
}

struct sb_dpm_shared *sb_dpm_shared_create(uint32_t max_prompts, unsigned n_workers)
{
	struct sb_dpm_shared *sh;
	char name[64];
	int rc;

	if (n_workers == 0 || n_workers > SB_MAX_WORKERS) {
		errno = EINVAL;
		return NULL;
	}
	sh = calloc(1, sizeof(*sh));
	if (sh == NULL)
		return NULL;
	sh->max_prompts = max_prompts != 0 ? max_prompts : SB_DPM_DEF_PROMPTS;
	sh->n_workers = n_workers;
	sh->store = sb_prompt_store_create(SB_PROMPT_FMT_BIT(SB_PROMPT_PCMU) |
						   SB_PROMPT_FMT_BIT(SB_PROMPT_PCMA) |
						   SB_PROMPT_FMT_BIT(SB_PROMPT_S16_8K),
					   sh->max_prompts);
	if (sh->store == NULL)
		goto out_free;
	snprintf(name, sizeof(name), "dpm_req_%p", (void *)sh);
	sh->req = rte_ring_create_elem(name, sizeof(struct load_req), LOAD_RING, SOCKET_ID_ANY,
				       RING_F_SC_DEQ);
	if (sh->req == NULL)
		goto out_store;
	for (unsigned i = 0; i < n_workers; i++) {
		snprintf(name, sizeof(name), "dpm_done%u_%p", i, (void *)sh);
		sh->done[i] = rte_ring_create_elem(name, sizeof(struct load_done), LOAD_RING,
						   SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (sh->done[i] == NULL)
			goto out_rings;
	}
	rc = pthread_create(&sh->thr, NULL, loader_main, sh);
	if (rc != 0) {
		errno = rc;
		goto out_rings;
	}
	sh->thr_started = 1;
	return sh;

out_rings:
	for (unsigned i = 0; i < n_workers; i++)
		rte_ring_free(sh->done[i]);
	rte_ring_free(sh->req);
out_store:
	sb_prompt_store_free(sh->store);
out_free:
	free(sh);
	if (errno == 0)
		errno = ENOMEM;
	return NULL;
}

void sb_dpm_shared_free(struct sb_dpm_shared *sh)
{
	if (sh == NULL)
		return;
	atomic_store_explicit(&sh->stop, 1, memory_order_relaxed);
	if (sh->thr_started)
		pthread_join(sh->thr, NULL);
	for (unsigned i = 0; i < sh->n_workers; i++)
		rte_ring_free(sh->done[i]);
	rte_ring_free(sh->req);
	sb_prompt_store_free(sh->store); /* players still holding prompts keep them */
	free(sh);
}

struct sb_prompt_store *sb_dpm_shared_store(struct sb_dpm_shared *sh)
{
	return sh->store;
}

int dpm_prompt_load(struct sb_worker *w, const struct sb_cmd_prompt_load *c)
{
	struct sb_dpm_shared *sh = w->media->sh;
	struct load_req r;
	size_t n;

	if (sh == NULL)
		return -ENOTSUP;
	n = strnlen(c->path, sizeof(c->path));
	if (c->prompt >= sh->max_prompts || c->flags != 0 || n == 0 || n == sizeof(c->path) ||
	    c->path[0] != '/' || w->id >= sh->n_workers)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	r.worker = w->id;
	r.req_id = c->h.req_id;
	r.prompt = c->prompt;
	r.leg = c->h.leg;
	r.leg_gen = c->h.leg_gen;
	memcpy(r.path, c->path, n);
	if (rte_ring_mp_enqueue_elem(sh->req, &r, sizeof(r)) != 0)
		return -EBUSY;
	return -EINPROGRESS;
}

void dpm_prompt_poll_loads(struct sb_worker *w)
{
	struct sb_dpm_shared *sh = w->media->sh;
	struct load_done d;

	if (sh == NULL || w->id >= sh->n_workers)
		return;
	for (unsigned k = 0; k < 4 && rte_ring_sc_dequeue_elem(sh->done[w->id], &d, sizeof(d)) == 0;
	     k++) {
		union sb_msg ev;

		memset(&ev, 0, sizeof(ev));
		ev.result.h.type = SB_EVT_RESULT;
		ev.result.h.len = sizeof(ev.result);
		ev.result.h.req_id = d.req_id;
		ev.result.h.leg = d.leg;
		ev.result.h.leg_gen = d.leg_gen;
		ev.result.status = d.status;
		ev.result.cmd_type = SB_CMD_PROMPT_LOAD;
		sb_worker_evt_push(w, &ev);
	}
}

/* SB_EVT_PROMPT_DONE for a leg (conf SB_LEG_NONE) or a conference
 * (leg SB_LEG_NONE). */
void dpm_prompt_emit(struct sb_worker *w, uint32_t leg, uint32_t conf,
		     const struct sb_prompt_ev *pe, uint32_t reason)
{
	union sb_msg ev;

	memset(&ev, 0, sizeof(ev));
	ev.prompt_evt.h.type = SB_EVT_PROMPT_DONE;
	ev.prompt_evt.h.len = sizeof(ev.prompt_evt);
	ev.prompt_evt.h.leg = leg;
	ev.prompt_evt.h.leg_gen = leg != SB_LEG_NONE ? w->legs->x[leg].gen : 0;
	ev.prompt_evt.prompt = pe->prompt_id;
	ev.prompt_evt.conf = conf;
	ev.prompt_evt.reason = pe->kind == SB_PROMPT_EV_DONE ? SB_PROMPT_END_DONE : reason;
	ev.prompt_evt.frames = pe->frames;
	sb_worker_evt_push(w, &ev);
}

int dpm_prompt_play(struct sb_worker *w, struct dpm_leg *c, const struct sb_cmd_prompt *cmd,
		    uint64_t now)
{
	struct sb_dpm_shared *sh = w->media->sh;
	enum sb_prompt_fmt f;
	struct sb_prompt *p;
	struct sb_prompt_ev ev;
	int rc;

	if (sh == NULL)
		return -ENOTSUP;
	if ((cmd->flags & ~SB_PROMPT_LOOP) != 0 || cmd->prompt >= sh->max_prompts)
		return -EINVAL;
	if (c->codec == SB_DP_CODEC_PCMU)
		f = SB_PROMPT_PCMU;
	else if (c->codec == SB_DP_CODEC_PCMA)
		f = SB_PROMPT_PCMA;
	else if (c->codec == SB_DP_CODEC_OPUS)
		f = SB_PROMPT_S16_8K; /* encoded per frame on the tick */
	else
		return -ENOTSUP; /* the leg declared no codec */
	if (c->gen == DPM_GEN_DTMF || c->gen == DPM_GEN_TONES)
		return -EBUSY;
	if (c->codec == SB_DP_CODEC_OPUS) {
		if (c->ptime_ms != 20)
			return -ENOTSUP; /* one prompt frame is one packet (as conferences) */
		if (dpm_prompt_enc(w, c) == NULL) {
			struct sb_codec_cfg cfg;

			dpm_codec_cfg(c, 20, &cfg);
			c->penc = sb_enc_create(&cfg, 8000);
			if (c->penc == NULL)
				return errno == EPROTO ? -EPROTO : -ENOMEM;
		}
	}
	p = sb_prompt_get(sh->store, cmd->prompt); /* the store's mutex: a command, not a frame */
	if (p == NULL)
		return -ENOENT;
	rc = sb_prompt_player_start(&c->play, p,
				    f, (cmd->flags & SB_PROMPT_LOOP) ? SB_PROMPT_PLAY_LOOP : SB_PROMPT_PLAY_ONCE,
				    c->leg, &ev);
	if (rc < 0) {
		sb_prompt_put(p);
		return rc;
	}
	if (rc == 1) /* another PLAY stops the one playing */
		dpm_prompt_emit(w, c->leg, SB_LEG_NONE, &ev, SB_PROMPT_END_STOPPED);
	if (c->gen != DPM_GEN_PROMPT)
		c->gen_ts = dpm_gen_ts_start(w, c->leg, dpm_codec_clock(c->codec), now);
	c->gen = DPM_GEN_PROMPT;
	c->gen_marker = 1;
	c->gen_next_tsc = now;
	c->play_req = cmd->prompt;
	return 0;
}

void dpm_prompt_stop(struct sb_worker *w, struct dpm_leg *c, uint32_t reason)
{
	struct sb_prompt_ev ev;

	if (sb_prompt_player_stop(&c->play, &ev) == 1)
		dpm_prompt_emit(w, c->leg, SB_LEG_NONE, &ev, reason);
	if (c->gen == DPM_GEN_PROMPT)
		c->gen = DPM_GEN_IDLE;
}

/* The encoder making Opus leg c's stream: the transcoder its connected
 * leg feeds it through, else the leg's own (c->penc, maybe NULL).  Looked
 * up per frame, never kept: LEG_CONNECT or LEG_MEDIA may rebuild the
 * transcoder while a prompt plays. */
struct sb_enc *dpm_prompt_enc(struct sb_worker *w, struct dpm_leg *c)
{
	uint32_t fwd = w->legs->leg[c->leg].fwd;
	struct dpm_leg *src = fwd != SB_LEG_NONE ? dpm_ctx(w->media, fwd) : NULL;

	if (src != NULL && src->xc != NULL && src->xc_to == c->leg)
		return sb_xcode_enc(src->xc); /* G.711 -> Opus: 8 kHz in, as S16_8K */
	return c->penc;
}

/* One S16_8K prompt frame encoded for Opus leg c and sent; 0, or -ENOENT
 * when no encoder is left (the transcoder went away mid-prompt). */
static int prompt_opus_frame(struct sb_worker *w, struct dpm_leg *c,
			     const struct sb_prompt_frame *fr, uint64_t now)
{
	struct sb_enc *e = dpm_prompt_enc(w, c);
	uint8_t out[SB_CODEC_MAX_PAYLOAD];
	struct sb_enc_pkt pkt;
	int n;

	if (e == NULL)
		return -ENOENT;
	/* frames are 320-byte slices of one allocation: int16-aligned */
	n = sb_enc_encode(e, (const int16_t *)(const void *)fr->data, out, sizeof(out), &pkt);
	if (n > 0) {
		sb_dpm_originate(w, c->leg, c->pt, c->gen_marker != 0 || pkt.marker != 0, c->gen_ts,
				 c->gen_ts, out, (unsigned)n, now);
		c->gen_marker = 0;
	}
	/* n == 0: DTX, nothing to send; n < 0: counted by the encoder.  The
	 * timestamp moves on either way: the prompt keeps real time. */
	c->gen_ts += 48000u / 50u;
	return 0;
}

void dpm_prompt_tick(struct sb_worker *w, struct dpm_leg *c, uint64_t now)
{
	struct sb_dpm *m = w->media;

	/* catch up at most 3 frames after a stall, then re-base */
	for (unsigned k = 0; k < 3 && now >= c->gen_next_tsc; k++) {
		struct sb_prompt_frame fr;
		struct sb_prompt_ev ev;
		int r = sb_prompt_player_next(&c->play, &fr, &ev);

		if (r == SB_PROMPT_FRAME && c->codec == SB_DP_CODEC_OPUS) {
			if (prompt_opus_frame(w, c, &fr, now) < 0) {
				dpm_prompt_stop(w, c, SB_PROMPT_END_ERROR);
				return;
			}
			c->gen_next_tsc += m->frame_tsc;
			m->cnt.prompt_frames++;
			continue;
		}
		if (r == SB_PROMPT_FRAME) {
			sb_dpm_originate(w, c->leg, c->pt, c->gen_marker != 0, c->gen_ts, c->gen_ts,
					 fr.data, fr.len, now);
			c->gen_marker = 0;
			c->gen_ts += fr.ts_step;
			c->gen_next_tsc += m->frame_tsc;
			m->cnt.prompt_frames++;
			continue;
		}
		if (r == SB_PROMPT_DONE)
			dpm_prompt_emit(w, c->leg, SB_LEG_NONE, &ev, SB_PROMPT_END_DONE);
		c->gen = DPM_GEN_IDLE;
		return;
	}
	if (now >= c->gen_next_tsc)
		c->gen_next_tsc = now + m->frame_tsc;
}

struct sb_prompt *dpm_prompt_get(struct sb_worker *w, uint32_t prompt)
{
	struct sb_dpm_shared *sh = w->media->sh;

	if (sh == NULL || prompt >= sh->max_prompts)
		return NULL;
	return sb_prompt_get(sh->store, prompt); /* the store's mutex: a command, not a frame */
}
