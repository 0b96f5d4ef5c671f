/* SPDX-License-Identifier: MIT */
/* Helpers for the recorder tests: G.711 tone frames, a WAV reader that
 * walks the chunks like a player would, Goertzel power, temp dirs. */
#ifndef SB_REC_TEST_H
#define SB_REC_TEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sb/g711.h"
#include "sb/rec.h"
#include "test.h"

/* Frame k (160 samples, 20 ms) of a tone of hz on chan, G.711 codec. */
static inline void tone_frame(struct sb_rec_frame *f, uint32_t call, unsigned chan,
			      unsigned codec, double hz, uint32_t ts0, unsigned k)
{
	memset(f, 0, sizeof(*f));
	f->call_id = call;
	f->chan = chan;
	f->codec = codec;
	f->len = 160;
	f->ts = ts0 + k * 160;
	for (unsigned i = 0; i < 160; i++) {
		double t = (double)(k * 160 + i) / 8000.0;
		int16_t s = (int16_t)lrint(8000.0 * sin(2 * M_PI * hz * t));

		f->payload[i] = codec == SB_REC_PCMU ? sb_g711_ulaw_enc1(s) : sb_g711_alaw_enc1(s);
	}
}

struct wav {
	unsigned fmt, channels, rate, bits;
	uint32_t riff_size, data_size;
	uint64_t file_size;
	uint64_t frames;      /* stereo sample frames (from data_size) */
	int16_t *l, *r;       /* decoded to linear */
};

static inline uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static inline uint16_t rd16(const uint8_t *p) { return p[0] | p[1] << 8; }

/* 0 or a negative code naming the check that failed. */
static inline int wav_read(const char *path, struct wav *w)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *b;
	long n;
	size_t off = 12, doff = 0;

	memset(w, 0, sizeof(*w));
	if (fp == NULL)
		return -1;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	b = malloc(n > 0 ? n : 1);
	if (fread(b, 1, n, fp) != (size_t)n) {
		fclose(fp);
		free(b);
		return -2;
	}
	fclose(fp);
	w->file_size = n;
	if (n < 44 || memcmp(b, "RIFF", 4) || memcmp(b + 8, "WAVE", 4)) {
		free(b);
		return -3;
	}
	w->riff_size = rd32(b + 4);
	while (off + 8 <= (size_t)n) {
		uint32_t len = rd32(b + off + 4);

		if (!memcmp(b + off, "fmt ", 4)) {
			w->fmt = rd16(b + off + 8);
			w->channels = rd16(b + off + 10);
			w->rate = rd32(b + off + 12);
			w->bits = rd16(b + off + 22);
		} else if (!memcmp(b + off, "data", 4)) {
			w->data_size = len;
			doff = off + 8;
			break;
		}
		off += 8 + len + (len & 1);
	}
	if (doff == 0 || w->fmt == 0 || w->channels != 2 || w->rate != 8000 ||
	    doff + w->data_size > (size_t)n || w->riff_size + 8 > (uint64_t)n) {
		free(b);
		return -4;
	}
	w->frames = w->data_size / (w->channels * w->bits / 8);
	w->l = calloc(w->frames + 1, sizeof(int16_t));
	w->r = calloc(w->frames + 1, sizeof(int16_t));
	for (uint64_t i = 0; i < w->frames; i++) {
		const uint8_t *p = b + doff + i * (w->bits / 8) * 2;

		if (w->fmt == 1) {
			w->l[i] = (int16_t)rd16(p);
			w->r[i] = (int16_t)rd16(p + 2);
		} else if (w->fmt == 7) {
			w->l[i] = sb_g711_ulaw_dec1(p[0]);
			w->r[i] = sb_g711_ulaw_dec1(p[1]);
		} else {
			w->l[i] = sb_g711_alaw_dec1(p[0]);
			w->r[i] = sb_g711_alaw_dec1(p[1]);
		}
	}
	free(b);
	return 0;
}

static inline void wav_free(struct wav *w)
{
	free(w->l);
	free(w->r);
}

/* Goertzel power of hz over x[0..n), normalised by n^2. */
static inline double goertzel(const int16_t *x, size_t n, double hz)
{
	double k = 2 * cos(2 * M_PI * hz / 8000.0), s1 = 0, s2 = 0;

	for (size_t i = 0; i < n; i++) {
		double s = x[i] + k * s1 - s2;

		s2 = s1;
		s1 = s;
	}
	return (s1 * s1 + s2 * s2 - k * s1 * s2) / ((double)n * n);
}

/* The channel holds hz (and not other): power ratio of at least 100. */
static inline int tone_is(const int16_t *x, size_t n, double hz, double other)
{
	double a = goertzel(x, n, hz), b = goertzel(x, n, other);

	if (!(a > 100.0 * b && a > 1e5)) {
		fprintf(stderr, "tone %.0f: power %.3g vs %.0f: %.3g\n", hz, a, other, b);
		return 0;
	}
	return 1;
}

static inline double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* rm -r of a flat directory tree (two levels at most) made by a test. */
static inline void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[1024];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= sizeof(p))
			continue;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rm_tree(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/* The test's temp dir, removed at exit even when an assertion fails. */
static char t_dir[256];

static inline void t_dir_cleanup(void)
{
	if (t_dir[0])
		rm_tree(t_dir);
}

static inline int t_dir_make(const char *tmpl)
{
	snprintf(t_dir, sizeof(t_dir), "%s", tmpl);
	if (mkdtemp(t_dir) == NULL)
		return -errno;
	atexit(t_dir_cleanup);
	return 0;
}

/* Poll the recorder until n events are collected or timeout. */
static inline unsigned collect_events(struct sb_rec *r, struct sb_rec_event *ev,
				      unsigned max, unsigned ms)
{
	unsigned n = 0;
	double t0 = now_ms();

	while (n < max && now_ms() - t0 < ms) {
		sb_rec_poll(r);
		n += sb_rec_event_poll(r, ev + n, max - n);
	}
	return n;
}

#endif
