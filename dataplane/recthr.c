/* SPDX-License-Identifier: MIT */
/*
 * recthr.c — the recorder thread of sb-dataplane (see rectap.h): a plain
 * pthread, never a worker lcore.  Per pass:
 *   1. snapshot how many frames wait on each worker's frame ring;
 *   2. take the workers' start/stop requests (at most REQ_BURST) and hand
 *      them to libsbrec (sb_rec_start_seg/sb_rec_stop);
 *   3. sb_rec_poll_bounded() with the snapshot: every frame it takes was
 *      pushed after its recording's start, so none is dropped as unknown;
 *   4. libsbrec's events -> SB_EVT_REC_* on the owning worker's evq.
 * All file I/O (io_uring, the open, the rename, stat) happens here.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_malloc.h>

#include "rec_priv.h"
#include "worker.h"

#define RECOVER_DEPTH 4 /* subdirectory levels the start-up pass visits */

static struct sb_ring *ring_alloc(struct sb_dprec *d, unsigned k, uint32_t slots, uint32_t esz)
{
	size_t sz = sb_ring_memsize(slots, esz);
	void *m = NULL;

	if (sz == 0 || posix_memalign(&m, SB_CACHE_LINE, sz) != 0)
		return NULL;
	sb_ring_init(m, slots, esz);
	d->mem[k] = m;
	return m;
}

static void dprec_free(struct sb_dprec *d)
{
	for (unsigned i = 0; i < RTE_DIM(d->mem); i++)
		free(d->mem[i]);
	for (unsigned i = 0; i < SB_MAX_WORKERS; i++)
		free(d->w[i].slot);
	sb_rec_free(d->rec);
	free(d->leg_map);
	free(d->own);
	free(d);
}

struct sb_dprec *sb_dprec_create(const struct sb_dprec_cfg *cfg, char *why, unsigned why_len)
{
	struct sb_rec_cfg rc;
	struct sb_dprec *d;
	struct stat st;
	size_t dl = strlen(cfg->dir);

	if (cfg->n_workers == 0 || cfg->n_workers > SB_MAX_WORKERS || cfg->max_recs == 0) {
		snprintf(why, why_len, "recorder: bad configuration");
		return NULL;
	}
	/* dir + '/' + relative path + ".part" must fit libsbrec's path */
	if (dl == 0 || dl + 1 + SB_REC_REL_PATH_MAX > SB_REC_PATH_MAX) {
		snprintf(why, why_len, "--rec-dir '%s': empty or longer than %u bytes", cfg->dir,
			 (unsigned)(SB_REC_PATH_MAX - 1 - SB_REC_REL_PATH_MAX));
		return NULL;
	}
	if (stat(cfg->dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(why, why_len, "--rec-dir '%s': %s", cfg->dir,
			 errno != 0 && !S_ISDIR(st.st_mode) ? strerror(errno) : "not a directory");
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		goto out_nomem;
	d->cfg = *cfg;
	memcpy(d->dir, cfg->dir, dl + 1);
	while (dl > 1 && d->dir[dl - 1] == '/') /* "dir/" -> "dir": relative paths strip it */
		d->dir[--dl] = '\0';
	d->cfg.dir = d->dir;
	if (d->cfg.segment_s == 0)
		d->cfg.segment_s = 60;
	d->leg_map = malloc((size_t)cfg->max_legs * sizeof(uint32_t));
	d->own = calloc((size_t)cfg->max_recs * cfg->n_workers, sizeof(*d->own));
	if (d->leg_map == NULL || d->own == NULL)
		goto out_nomem;
	for (uint32_t i = 0; i < cfg->max_legs; i++)
		d->leg_map[i] = MAP_NONE;
	d->n_own = cfg->max_recs * cfg->n_workers;

	memset(&rc, 0, sizeof(rc));
	rc.nprod = cfg->n_workers;
	rc.ring_slots = cfg->ring_slots;
	rc.max_calls = cfg->max_recs * cfg->n_workers;
	rc.buf_size = 32768;               /* 1 s of PCM16 stereo: few, large writes */
	rc.nbufs = rc.max_calls + 64;      /* one filling per call + writes in flight */
	rc.segment_ms = d->cfg.segment_s * 1000u;
	rc.o_direct = cfg->o_direct != 0;
	d->rec = sb_rec_create(&rc);
	if (d->rec == NULL) {
		snprintf(why, why_len, "recorder: %s (ring %u frames, %u recordings)",
			 strerror(errno), cfg->ring_slots, rc.max_calls);
		dprec_free(d);
		return NULL;
	}
	for (unsigned i = 0; i < cfg->n_workers; i++) {
		struct dprec_w *rw = &d->w[i];
		struct timespec rt, mt;

		rw->d = d;
		/* pcap times: the worker's clock is CLOCK_MONOTONIC (clock.h) */
		clock_gettime(CLOCK_REALTIME, &rt);
		clock_gettime(CLOCK_MONOTONIC, &mt);
		rw->wall_off = ((uint64_t)rt.tv_sec - (uint64_t)mt.tv_sec) * 1000000000ull +
			       (uint64_t)rt.tv_nsec - (uint64_t)mt.tv_nsec;
		rw->prod = sb_rec_prod(d->rec, i);
		rw->req = ring_alloc(d, 2 * i, REQ_SLOTS, sizeof(struct dprec_req));
		rw->evq = ring_alloc(d, 2 * i + 1, EVQ_SLOTS, sizeof(union sb_msg));
		rw->slot = calloc(cfg->max_recs, sizeof(*rw->slot));
		if (rw->req == NULL || rw->evq == NULL || rw->slot == NULL)
			goto out_nomem;
	}
	return d;

out_nomem:
	snprintf(why, why_len, "recorder: out of memory");
	if (d != NULL)
		dprec_free(d);
	return NULL;
}

void sb_dprec_attach(struct sb_dprec *d, struct sb_worker *w)
{
	if (d != NULL && w->id < d->cfg.n_workers)
		w->rec = &d->w[w->id];
}

uint64_t sb_dprec_counter(const struct sb_dprec *d, const char *name)
{
	for (unsigned c = 0; c < SB_REC_C_N; c++)
		if (strcmp(sb_rec_cnt_name(c), name) == 0)
			return sb_rec_counter(d->rec, c);
	return 0;
}

/* ---- recorder thread ---- */

static struct dprec_own *own_find(struct sb_dprec *d, uint32_t rec_id)
{
	for (unsigned i = 0; i < d->n_own; i++)
		if (d->own[i].used && d->own[i].rec_id == rec_id)
			return &d->own[i];
	return NULL;
}

static void rel_path(const struct sb_dprec *d, const char *full, char *out)
{
	size_t dl = strlen(d->dir);

	if (strncmp(full, d->dir, dl) == 0 && full[dl] == '/')
		full += dl + 1;
	if ((unsigned)snprintf(out, SB_REC_REL_PATH_MAX, "%s", full) >= SB_REC_REL_PATH_MAX)
		out[SB_REC_REL_PATH_MAX - 1] = '\0'; /* a deep recovered file: cut, still unique enough to log */
}

/* To the owner's evq (the recorder is its only producer). */
static void evq_push(struct sb_dprec *d, unsigned worker, const union sb_msg *m)
{
	if (sb_ring_enqueue_bulk(d->w[worker].evq, m, 1) == 0)
		fprintf(stderr, "sb-dataplane: recorder: event queue of worker %u full, "
			"recording event lost\n", worker);
}

static void evt_init(union sb_msg *m, uint16_t type, const struct dprec_own *o)
{
	memset(m, 0, sizeof(*m));
	m->rec_evt.h.type = type;
	m->rec_evt.h.len = sizeof(m->rec_evt);
	m->rec_evt.h.leg = o != NULL ? o->leg : SB_LEG_NONE;
	m->rec_evt.h.leg_gen = o != NULL ? o->leg_gen : 0;
	if (o != NULL) {
		m->rec_evt.rec_id = o->rec_id;
		memcpy(m->rec_evt.path, o->path, sizeof(m->rec_evt.path));
	}
}

static void recover_cb(void *arg, const struct sb_rec_event *ev)
{
	struct sb_dprec *d = arg;
	union sb_msg m;
	struct stat st;

	evt_init(&m, SB_EVT_REC_RECOVERED, NULL);
	m.rec_evt.status = ev->type == SB_REC_EV_RECOVERED ? 0 : ev->err;
	m.rec_evt.file_ms = (uint32_t)ev->file_ms;
	if (ev->type == SB_REC_EV_RECOVERED && stat(ev->path, &st) == 0)
		m.rec_evt.bytes = (uint64_t)st.st_size;
	rel_path(d, ev->path, m.rec_evt.path);
	printf("sb-dataplane: recorder: %s %s (%u ms)\n",
	       ev->type == SB_REC_EV_RECOVERED ? "recovered" : "could not recover",
	       m.rec_evt.path, m.rec_evt.file_ms);
	fflush(stdout); /* a log file: the operator (and a test) see it now */
	evq_push(d, 0, &m);
}

static void recover_tree(struct sb_dprec *d, const char *dir, unsigned depth)
{
	struct dirent *de;
	DIR *dd;

	sb_rec_recover_dir(dir, recover_cb, d);
	if (depth == 0 || (dd = opendir(dir)) == NULL)
		return;
	while ((de = readdir(dd)) != NULL) {
		char sub[SB_REC_PATH_MAX];

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if ((unsigned)snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) < sizeof(sub))
			recover_tree(d, sub, depth - 1);
	}
	closedir(dd);
}

/* Subdirectories below --rec-dir are created on demand (tenant/date/...);
 * --rec-dir itself must exist (a missing one is an event, not a mkdir). */
static void mkdirs_below(const struct sb_dprec *d, char *full)
{
	size_t dl = strlen(d->dir);

	for (char *p = full + dl + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(full, 0755) < 0 && errno != EEXIST) {
			*p = '/';
			return; /* the open fails and says why */
		}
		*p = '/';
	}
}

static void req_handle(struct sb_dprec *d, unsigned worker, const struct dprec_req *q)
{
	struct dprec_own *o = own_find(d, q->rec_id);
	char full[SB_REC_PATH_MAX];
	union sb_msg m;
	int rc;

	if (q->op == REQ_STOP) {
		if (o == NULL)
			return;
		if (o->open_failed) { /* libsbrec never had it: answer for it */
			evt_init(&m, SB_EVT_REC_DONE, o);
			m.rec_evt.status = o->err;
			evq_push(d, o->worker, &m);
			o->used = 0;
			return;
		}
		sb_rec_stop(d->rec, q->rec_id);
		return;
	}
	if (o == NULL)
		for (unsigned i = 0; i < d->n_own && o == NULL; i++)
			if (!d->own[i].used)
				o = &d->own[i];
	if (o == NULL)
		return; /* cannot happen: max_recs per worker bounds the starts */
	memset(o, 0, sizeof(*o));
	o->used = 1;
	o->rec_id = q->rec_id;
	o->worker = (uint16_t)worker;
	o->leg = q->leg;
	o->leg_gen = q->leg_gen;
	memcpy(o->path, q->path, sizeof(o->path));
	o->path[sizeof(o->path) - 1] = '\0';
	/* cannot be cut: sb_dprec_create() bounded the directory's length */
	if ((unsigned)snprintf(full, sizeof(full), "%s/%s", d->dir, o->path) >= sizeof(full)) {
		rc = -ENAMETOOLONG;
	} else {
		mkdirs_below(d, full);
		rc = sb_rec_start_opts(d->rec, q->rec_id, full, (enum sb_rec_fmt)q->fmt, q->seg_ms,
				       q->flags);
	}
	if (rc < 0) { /* -EAGAIN cannot happen (REQ_BURST < libsbrec's per-pass commands) */
		o->open_failed = 1;
		o->err = rc;
		evt_init(&m, SB_EVT_REC_ERR, o);
		m.rec_evt.status = rc;
		m.rec_evt.kind = SB_REC_ERR_OPEN;
		evq_push(d, worker, &m);
	}
}

static unsigned events_handle(struct sb_dprec *d)
{
	struct sb_rec_event ev[16];
	unsigned n = sb_rec_event_poll(d->rec, ev, RTE_DIM(ev));

	for (unsigned i = 0; i < n; i++) {
		struct dprec_own *o = own_find(d, ev[i].call_id);
		union sb_msg m;
		struct stat st;
		uint8_t kind = 0;

		if (o == NULL)
			continue;
		switch (ev[i].type) {
		case SB_REC_EV_CLOSED:
			evt_init(&m, SB_EVT_REC_DONE, o);
			m.rec_evt.status = ev[i].err;
			m.rec_evt.file_ms = (uint32_t)ev[i].file_ms;
			m.rec_evt.call_ms = (uint32_t)ev[i].call_ms;
			m.rec_evt.share_pm = (uint16_t)ev[i].share_pm;
			m.rec_evt.complete = (uint8_t)ev[i].complete;
			if (stat(ev[i].path, &st) == 0)
				m.rec_evt.bytes = (uint64_t)st.st_size;
			evq_push(d, o->worker, &m);
			o->used = 0;
			continue;
		case SB_REC_EV_OPEN_FAILED:
			kind = SB_REC_ERR_OPEN;
			if (ev[i].err == -EMFILE) /* never entered libsbrec's table */
				o->open_failed = 1, o->err = ev[i].err;
			break;
		case SB_REC_EV_WRITE_FAILED:
			kind = SB_REC_ERR_WRITE;
			break;
		case SB_REC_EV_SYNC_FAILED:
			kind = SB_REC_ERR_SYNC;
			break;
		case SB_REC_EV_DEGRADED:
			kind = SB_REC_ERR_DEGRADED;
			break;
		default:
			continue; /* OPENED: nothing to say */
		}
		evt_init(&m, SB_EVT_REC_ERR, o);
		m.rec_evt.status = ev[i].err;
		m.rec_evt.kind = kind;
		evq_push(d, o->worker, &m);
	}
	return n;
}

static unsigned rec_pass(struct sb_dprec *d)
{
	uint32_t limit[SB_MAX_WORKERS];
	unsigned work = 0, taken = 0;

	for (unsigned p = 0; p < d->cfg.n_workers; p++)
		limit[p] = sb_rec_prod_count(d->rec, p);
	for (unsigned p = 0; p < d->cfg.n_workers && taken < REQ_BURST; p++) {
		struct dprec_req q[REQ_BURST];
		unsigned n = sb_ring_dequeue_burst(d->w[p].req, q, REQ_BURST - taken);

		for (unsigned i = 0; i < n; i++)
			req_handle(d, p, &q[i]);
		taken += n;
	}
	work += taken;
	work += sb_rec_poll_bounded(d->rec, limit);
	work += events_handle(d);
	return work;
}

static void *rec_thread(void *arg)
{
	struct sb_dprec *d = arg;

	recover_tree(d, d->dir, RECOVER_DEPTH);
	atomic_store(&d->recovered, 1);
	while (atomic_load_explicit(&d->run, memory_order_acquire)) {
		if (rec_pass(d) == 0) {
			struct timespec ts = {.tv_nsec = 1000000};

			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

int sb_dprec_start(struct sb_dprec *d)
{
	int rc;

	atomic_store(&d->run, 1);
	rc = pthread_create(&d->thr, NULL, rec_thread, d);
	if (rc != 0)
		return -rc;
	pthread_setname_np(d->thr, "sb-recorder");
	d->thr_started = true;
	return 0;
}

/* After the workers stopped: what they queued, then every open recording
 * closed; events go straight to the event rings (the workers are gone, so
 * this thread is their only producer now). */
void sb_dprec_destroy(struct sb_dprec *d, struct sb_worker *const *w, unsigned n_w,
		      unsigned timeout_ms)
{
	struct timespec t0, t;

	if (d == NULL)
		return;
	if (d->thr_started) {
		atomic_store(&d->run, 0);
		pthread_join(d->thr, NULL);
	}
	rec_pass(d); /* requests the workers left (their stops included) */
	for (unsigned i = 0; i < d->n_own; i++)
		if (d->own[i].used && !d->own[i].open_failed)
			sb_rec_stop(d->rec, d->own[i].rec_id);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		unsigned busy = 0;

		rec_pass(d);
		for (unsigned i = 0; i < n_w; i++)
			while (sb_dprec_poll(w[i]) != 0)
				;
		for (unsigned i = 0; i < d->n_own; i++)
			busy += d->own[i].used && !d->own[i].open_failed;
		if (busy == 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > timeout_ms)
			break; /* left as .part: the next start recovers them */
		{
			struct timespec ts = {.tv_nsec = 1000000};

			nanosleep(&ts, NULL);
		}
	}
	for (unsigned i = 0; i < n_w; i++) {
		while (sb_dprec_poll(w[i]) != 0)
			;
		w[i]->rec = NULL;
	}
	dprec_free(d);
}
