/* SPDX-License-Identifier: MIT */
/*
 * prompt.c — the prompt store (load: parse, decode, resample, encode once)
 * and the per-leg player (per frame: a pointer into the prompt).  See
 * sb/prompt.h for the contract.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <speex/speex_resampler.h>

#include "sb/g711.h"
#include "sb/prompt.h"

/* Load time only, but a load should not stall the thread that runs it:
 * 60 s of PCM16 to all 8 formats took 0.47/0.51/0.77 s from 8/16/48 kHz
 * at 8 against 0.85/0.62/0.96 s at 10 (one run, noisy 2-core box), with
 * the same 90+ dB tone SNR in tests/media/prompt_t.c; G.711 is ~38 dB. */
#define PROMPT_RESAMPLE_QUALITY 8
#define PROMPT_ALIGN 64u

static const struct {
	const char *name;
	uint32_t rate;
	uint16_t frame_bytes;
	uint16_t sample_bytes;
} prompt_fmt[SB_PROMPT_FMT_N] = {
#define _(n, r, b, s) [SB_PROMPT_##n] = { #n, r, b, s },
	SB_PROMPT_FMTS(_)
#undef _
};

struct sb_prompt_store {
	pthread_mutex_t lock;        /* protects slot[]; never taken per frame */
	atomic_uint refs;            /* owner + one per prompt alive */
	atomic_uint_fast64_t bytes;  /* prompt memory alive */
	atomic_uint count;           /* prompts alive */
	uint32_t fmt_mask;
	uint32_t max;
	struct sb_prompt *slot[];    /* by id; each holds one reference */
};

struct sb_prompt {
	atomic_uint refs;
	uint32_t id;
	uint32_t n_frames;
	uint32_t fmt_mask;
	size_t bytes;                 /* this allocation */
	struct sb_prompt_store *store;
	const uint8_t *frames[SB_PROMPT_FMT_N]; /* into the same allocation */
};

unsigned sb_prompt_fmt_rate(enum sb_prompt_fmt f)
{
	return (unsigned)f < SB_PROMPT_FMT_N ? prompt_fmt[f].rate : 0;
}

unsigned sb_prompt_fmt_frame_bytes(enum sb_prompt_fmt f)
{
	return (unsigned)f < SB_PROMPT_FMT_N ? prompt_fmt[f].frame_bytes : 0;
}

const char *sb_prompt_fmt_name(enum sb_prompt_fmt f)
{
	return (unsigned)f < SB_PROMPT_FMT_N ? prompt_fmt[f].name : NULL;
}

static void store_put(struct sb_prompt_store *s)
{
	if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1) {
		pthread_mutex_destroy(&s->lock);
		free(s);
	}
}

struct sb_prompt_store *sb_prompt_store_create(uint32_t fmt_mask, uint32_t max_prompts)
{
	struct sb_prompt_store *s;

	if (fmt_mask == 0 || (fmt_mask & ~SB_PROMPT_FMT_ALL) || max_prompts == 0 ||
	    max_prompts > (1u << 20)) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s) + (size_t)max_prompts * sizeof(s->slot[0]));
	if (s == NULL)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	atomic_init(&s->refs, 1);
	atomic_init(&s->bytes, 0);
	atomic_init(&s->count, 0);
	s->fmt_mask = fmt_mask;
	s->max = max_prompts;
	return s;
}

void sb_prompt_store_free(struct sb_prompt_store *s)
{
	if (s == NULL)
		return;
	for (uint32_t i = 0; i < s->max; i++)
		sb_prompt_unload(s, i);
	store_put(s);     /* prompts still played keep the store until they go */
}

uint64_t sb_prompt_store_bytes(const struct sb_prompt_store *s)
{
	return atomic_load_explicit(&s->bytes, memory_order_relaxed);
}

uint32_t sb_prompt_store_count(const struct sb_prompt_store *s)
{
	return atomic_load_explicit(&s->count, memory_order_relaxed);
}

/* ---- load: decode, resample, encode ---- */

/* in (n_in samples at rin) to out at rout: exactly n_out = n_in * rout / rin
 * samples (rounded up) with the filter delay removed, then zeros up to cap.
 * 0 or -ENOMEM. */
static int prompt_resample(const int16_t *in, uint32_t n_in, uint32_t rin, int16_t *out,
			   uint32_t cap, uint32_t rout)
{
	static const int16_t zeros[512];
	uint32_t n_out = (uint32_t)(((uint64_t)n_in * rout + rin - 1) / rin);
	uint32_t got = 0, used = 0;
	SpeexResamplerState *st;
	int err;

	if (rin == rout) {
		memcpy(out, in, (size_t)n_in * 2);
		memset(out + n_in, 0, (size_t)(cap - n_in) * 2);
		return 0;
	}
	st = speex_resampler_init(1, rin, rout, PROMPT_RESAMPLE_QUALITY, &err);
	if (st == NULL)
		return -ENOMEM;
	/* the first output sample is the first input sample, not the delay */
	speex_resampler_skip_zeros(st);
	while (used < n_in && got < n_out) {
		spx_uint32_t il = n_in - used, ol = n_out - got;

		speex_resampler_process_int(st, 0, in + used, &il, out + got, &ol);
		used += il;
		got += ol;
		if (il == 0 && ol == 0)
			break;
	}
	/* the filter still holds the tail: push it out with silence */
	for (unsigned k = 0; k < 64 && got < n_out; k++) {
		spx_uint32_t il = 512, ol = n_out - got;

		speex_resampler_process_int(st, 0, zeros, &il, out + got, &ol);
		got += ol;
	}
	speex_resampler_destroy(st);
	memset(out + got, 0, (size_t)(cap - got) * 2);
	return 0;
}

static struct sb_prompt *prompt_build(struct sb_prompt_store *s, uint32_t id,
				      const struct sb_wav *w, int *rc)
{
	uint32_t n_frames = (uint32_t)(((uint64_t)w->n_samples * 50 + w->rate - 1) / w->rate);
	int16_t *src = NULL, *lin[3] = { NULL, NULL, NULL };
	static const uint32_t rates[3] = { 8000, 16000, 48000 };
	struct sb_prompt *p = NULL;
	size_t off, total;
	uint8_t *mem;

	/* sizes: header, then each format's frames, each 64-byte aligned */
	off = (sizeof(*p) + PROMPT_ALIGN - 1) & ~(size_t)(PROMPT_ALIGN - 1);
	total = off;
	for (unsigned f = 0; f < SB_PROMPT_FMT_N; f++)
		if (s->fmt_mask & SB_PROMPT_FMT_BIT(f))
			total += ((size_t)n_frames * prompt_fmt[f].frame_bytes + PROMPT_ALIGN - 1) &
				 ~(size_t)(PROMPT_ALIGN - 1);
	*rc = -ENOMEM;
	src = malloc((size_t)w->n_samples * 2);
	if (src == NULL)
		goto out;
	if (w->format == SB_WAV_PCM16)
		for (uint32_t i = 0; i < w->n_samples; i++)
			src[i] = (int16_t)(w->data[2 * i] | w->data[2 * i + 1] << 8);
	else if (w->format == SB_WAV_ULAW)
		sb_g711_ulaw_decode(src, w->data, w->n_samples);
	else
		sb_g711_alaw_decode(src, w->data, w->n_samples);

	/* linear at each rate some format needs */
	for (unsigned r = 0; r < 3; r++) {
		uint32_t cap = n_frames * (rates[r] / 50);
		bool need = false;

		for (unsigned f = 0; f < SB_PROMPT_FMT_N; f++)
			need |= (s->fmt_mask & SB_PROMPT_FMT_BIT(f)) && prompt_fmt[f].rate == rates[r];
		if (!need)
			continue;
		lin[r] = malloc((size_t)cap * 2);
		if (lin[r] == NULL || prompt_resample(src, w->n_samples, w->rate, lin[r], cap, rates[r]) < 0)
			goto out;
	}

	mem = aligned_alloc(PROMPT_ALIGN, total);
	if (mem == NULL)
		goto out;
	p = (struct sb_prompt *)mem;
	memset(p, 0, sizeof(*p));
	atomic_init(&p->refs, 1);
	p->id = id;
	p->n_frames = n_frames;
	p->fmt_mask = s->fmt_mask;
	p->bytes = total;
	p->store = s;
	for (unsigned f = 0; f < SB_PROMPT_FMT_N; f++) {
		unsigned r = prompt_fmt[f].rate == 8000 ? 0 : prompt_fmt[f].rate == 16000 ? 1 : 2;
		uint32_t ns = n_frames * (prompt_fmt[f].rate / 50);
		uint8_t *dst = mem + off;

		if (!(s->fmt_mask & SB_PROMPT_FMT_BIT(f)))
			continue;
		switch (f) {
		case SB_PROMPT_PCMU:
			sb_g711_ulaw_encode(dst, lin[r], ns);
			break;
		case SB_PROMPT_PCMA:
			sb_g711_alaw_encode(dst, lin[r], ns);
			break;
		case SB_PROMPT_L16_8K:
		case SB_PROMPT_L16_16K:
		case SB_PROMPT_L16_48K:
			for (uint32_t i = 0; i < ns; i++) {
				dst[2 * i] = (uint8_t)((uint16_t)lin[r][i] >> 8);
				dst[2 * i + 1] = (uint8_t)lin[r][i];
			}
			break;
		default:   /* S16: host order */
			memcpy(dst, lin[r], (size_t)ns * 2);
			break;
		}
		p->frames[f] = dst;
		off += ((size_t)n_frames * prompt_fmt[f].frame_bytes + PROMPT_ALIGN - 1) &
		       ~(size_t)(PROMPT_ALIGN - 1);
	}
	*rc = 0;
out:
	for (unsigned r = 0; r < 3; r++)
		free(lin[r]);
	free(src);
	return p;
}

int sb_prompt_load(struct sb_prompt_store *s, uint32_t id, const uint8_t *buf, size_t len,
		   struct sb_wav *w)
{
	struct sb_wav wl;
	struct sb_prompt *p;
	int rc;

	if (w == NULL)
		w = &wl;
	rc = sb_wav_parse(buf, len, w);
	if (rc < 0)
		return rc;
	if (id >= s->max)
		return -EINVAL;
	if ((uint64_t)w->n_samples * 1000 > (uint64_t)SB_PROMPT_MAX_MS * w->rate)
		return -EFBIG;
	pthread_mutex_lock(&s->lock);
	rc = s->slot[id] != NULL ? -EEXIST : 0;
	pthread_mutex_unlock(&s->lock);
	if (rc < 0)
		return rc;      /* checked early: do not convert a file for nothing */

	p = prompt_build(s, id, w, &rc);
	if (p == NULL)
		return rc;
	pthread_mutex_lock(&s->lock);
	if (s->slot[id] != NULL) {       /* a concurrent load of the same id won */
		pthread_mutex_unlock(&s->lock);
		free(p);
		return -EEXIST;
	}
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->bytes, p->bytes, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
	s->slot[id] = p;      /* published under the lock: sb_prompt_get() takes it */
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int sb_prompt_load_file(struct sb_prompt_store *s, uint32_t id, const char *path,
			struct sb_wav *w)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out_close;
	}
	/* 30 min of 48 kHz PCM16 plus headers; anything bigger is refused */
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)SB_PROMPT_MAX_MS * 96 + (1 << 20)) {
		rc = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
		goto out_close;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (buf == NULL) {
		rc = -ENOMEM;
		goto out_close;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			goto out_free;
		}
		got += (size_t)n;
	}
	rc = sb_prompt_load(s, id, buf, got, w);
out_free:
	free(buf);
out_close:
	close(fd);
	return rc;
}

int sb_prompt_unload(struct sb_prompt_store *s, uint32_t id)
{
	struct sb_prompt *p;

	if (id >= s->max)
		return -ENOENT;
	pthread_mutex_lock(&s->lock);
	p = s->slot[id];
	s->slot[id] = NULL;
	pthread_mutex_unlock(&s->lock);
	if (p == NULL)
		return -ENOENT;
	sb_prompt_put(p);
	return 0;
}

struct sb_prompt *sb_prompt_get(struct sb_prompt_store *s, uint32_t id)
{
	struct sb_prompt *p = NULL;

	if (id >= s->max)
		return NULL;
	pthread_mutex_lock(&s->lock);
	p = s->slot[id];
	if (p != NULL)   /* the slot's reference keeps it above zero */
		atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&s->lock);
	return p;
}

void sb_prompt_put(struct sb_prompt *p)
{
	struct sb_prompt_store *s;

	if (p == NULL || atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
		return;
	s = p->store;
	atomic_fetch_sub_explicit(&s->bytes, p->bytes, memory_order_relaxed);
	atomic_fetch_sub_explicit(&s->count, 1, memory_order_relaxed);
	free(p);
	store_put(s);
}

uint32_t sb_prompt_id(const struct sb_prompt *p)
{
	return p->id;
}

uint32_t sb_prompt_frames(const struct sb_prompt *p)
{
	return p->n_frames;
}

uint32_t sb_prompt_refs(const struct sb_prompt *p)
{
	return atomic_load_explicit(&((struct sb_prompt *)p)->refs, memory_order_relaxed);
}

bool sb_prompt_has_fmt(const struct sb_prompt *p, enum sb_prompt_fmt f)
{
	return (unsigned)f < SB_PROMPT_FMT_N && p->frames[f] != NULL;
}

const uint8_t *sb_prompt_frame(const struct sb_prompt *p, enum sb_prompt_fmt f, uint32_t i)
{
	if (!sb_prompt_has_fmt(p, f) || i >= p->n_frames)
		return NULL;
	return p->frames[f] + (size_t)i * prompt_fmt[f].frame_bytes;
}

/* ---- player ---- */

enum { PL_IDLE = 0, PL_PLAYING = 1, PL_FINISHING = 2 };

void sb_prompt_player_init(struct sb_prompt_player *pl)
{
	memset(pl, 0, sizeof(*pl));
}

static void player_end(struct sb_prompt_player *pl, struct sb_prompt_ev *ev, unsigned kind)
{
	memset(ev, 0, sizeof(*ev));
	ev->prompt_id = pl->p->id;
	ev->tag = pl->tag;
	ev->frames = pl->played;
	ev->kind = (uint8_t)kind;
	ev->mode = pl->mode;
	ev->loops = pl->loops;
	sb_prompt_release(&pl->p);
	pl->base = NULL;
	pl->state = PL_IDLE;
}

int sb_prompt_player_stop(struct sb_prompt_player *pl, struct sb_prompt_ev *ev)
{
	if (pl->p == NULL)
		return 0;
	player_end(pl, ev, pl->state == PL_FINISHING ? SB_PROMPT_EV_DONE : SB_PROMPT_EV_STOPPED);
	return 1;
}

int sb_prompt_player_start(struct sb_prompt_player *pl, struct sb_prompt *p,
			   enum sb_prompt_fmt f, enum sb_prompt_mode mode, uint32_t tag,
			   struct sb_prompt_ev *ev)
{
	int stopped;

	if ((unsigned)f >= SB_PROMPT_FMT_N || (mode != SB_PROMPT_PLAY_ONCE && mode != SB_PROMPT_PLAY_LOOP))
		return -EINVAL;
	if (!sb_prompt_has_fmt(p, f))
		return -ENOENT;
	stopped = sb_prompt_player_stop(pl, ev);
	pl->p = p;
	pl->base = p->frames[f];
	pl->n_frames = p->n_frames;
	pl->pos = 0;
	pl->played = 0;
	pl->tag = tag;
	pl->frame_bytes = prompt_fmt[f].frame_bytes;
	pl->ts_step = (uint16_t)(prompt_fmt[f].rate / 50);
	pl->loops = 0;
	pl->mode = (uint8_t)mode;
	pl->state = PL_PLAYING;
	return stopped;
}

int sb_prompt_player_next(struct sb_prompt_player *pl, struct sb_prompt_frame *fr,
			  struct sb_prompt_ev *ev)
{
	if (pl->state != PL_PLAYING) {
		if (pl->state == PL_FINISHING) {
			player_end(pl, ev, SB_PROMPT_EV_DONE);
			return SB_PROMPT_DONE;
		}
		return SB_PROMPT_IDLE;
	}
	fr->data = pl->base + (size_t)pl->pos * pl->frame_bytes;
	fr->len = pl->frame_bytes;
	fr->ts_step = pl->ts_step;
	fr->index = pl->pos;
	pl->played++;
	if (++pl->pos == pl->n_frames) {
		if (pl->mode == SB_PROMPT_PLAY_LOOP) {
			pl->pos = 0;
			if (pl->loops != UINT16_MAX)
				pl->loops++;
		} else {
			/* keep the reference: fr->data points into the prompt */
			pl->state = PL_FINISHING;
		}
	}
	return SB_PROMPT_FRAME;
}
