/* SPDX-License-Identifier: MIT */
/*
 * wav.c — the recorder's WAV header block and the start-up recovery of
 * .part files (sb/rec.h).  Our files always have the same layout, so the
 * recovery only accepts that layout (RIFF/WAVE, fmt first, data chunk
 * header at SB_REC_HDR_SIZE - 8) and refuses anything else untouched.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rec_fmt.h"

static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static uint16_t get16(const uint8_t *p) { return p[0] | p[1] << 8; }

static unsigned fmt_bps(unsigned fmt)
{
	return fmt == SB_REC_FMT_PCM16 || fmt == SB_REC_FMT_MONO ? 2 : 1;
}

void sb_rec_wav_header(uint8_t *h, enum sb_rec_fmt fmt, uint64_t data_bytes)
{
	unsigned bps = fmt_bps(fmt), nch = fmt == SB_REC_FMT_MONO ? 1 : 2;
	unsigned tag = fmt == SB_REC_FMT_MONO ? SB_REC_FMT_PCM16 : fmt;
	unsigned fmt_len = tag == SB_REC_FMT_PCM16 ? 16 : 18;
	unsigned junk_off = 12 + 8 + fmt_len;
	/* RIFF sizes are 32 bits: a recording over 4 GiB (~37 h of PCM16
	 * stereo at 8 kHz) keeps a saturated size */
	uint64_t max = UINT32_MAX - SB_REC_HDR_SIZE;

	if (data_bytes > max)
		data_bytes = max - max % (nch * bps);
	memset(h, 0, SB_REC_HDR_SIZE);
	memcpy(h, "RIFF", 4);
	put32(h + 4, (uint32_t)(SB_REC_HDR_SIZE - 8 + data_bytes));
	memcpy(h + 8, "WAVE", 4);
	memcpy(h + 12, "fmt ", 4);
	put32(h + 16, fmt_len);
	put16(h + 20, tag);
	put16(h + 22, nch);                     /* channels: caller, agent (or the mix) */
	put32(h + 24, SB_REC_RATE);
	put32(h + 28, SB_REC_RATE * nch * bps); /* byte rate */
	put16(h + 32, nch * bps);               /* block align */
	put16(h + 34, 8 * bps);                 /* bits per sample */
	/* fmt_len 18: cbSize = 0 (already zero) */
	memcpy(h + junk_off, "JUNK", 4);
	put32(h + junk_off + 4, SB_REC_HDR_SIZE - 8 - (junk_off + 8));
	memcpy(h + SB_REC_HDR_SIZE - 8, "data", 4);
	put32(h + SB_REC_HDR_SIZE - 4, (uint32_t)data_bytes);
}

/* Ogg and pcapng: cut after the last whole page/block (the Ogg one gets
 * EOS).  The file is read whole: a .part is at most one call. */
static int recover_stream(int fd, const struct stat *st, bool ogg, uint64_t *ms)
{
	size_t len = (size_t)st->st_size, lastp = 0, pl;
	uint64_t pkts;
	uint8_t *b = malloc(len ? len : 1);
	long end;
	int rc = 0;

	if (b == NULL)
		return -ENOMEM;
	if (pread(fd, b, len, 0) != (ssize_t)len) {
		rc = -EIO;
		goto out;
	}
	end = ogg ? sb_rec_scan_ogg(b, len, ms, &lastp) : sb_rec_scan_pcapng(b, len, ms, &pkts);
	if (end < 0) {
		rc = (int)end;
		goto out;
	}
	if (ogg && lastp >= SB_REC_HDR_SIZE && (pl = rec_ogg_page_len(b, len, lastp)) != 0) {
		rec_ogg_set_eos(b + lastp, pl);
		if (pwrite(fd, b + lastp, pl, (off_t)lastp) != (ssize_t)pl) {
			rc = -errno;
			goto out;
		}
	}
	if (ftruncate(fd, end) < 0 || fdatasync(fd) < 0)
		rc = -errno;
out:
	free(b);
	return rc;
}

/* Repair one file (dir fd, name ends in .part).  0 or -errno; fills ev. */
static int recover_one(int dfd, const char *dir, const char *name, struct sb_rec_event *ev)
{
	uint8_t h[SB_REC_HDR_SIZE];
	char final[NAME_MAX + 1];
	size_t nl = strlen(name) - 5;
	struct stat st;
	unsigned fmt, block;
	uint64_t data;
	int fd, rc = 0;

	memset(ev, 0, sizeof(*ev));
	ev->type = SB_REC_EV_RECOVER_FAILED;
	memcpy(final, name, nl);
	final[nl] = '\0';
	if ((unsigned)snprintf(ev->path, sizeof(ev->path), "%s/%s", dir, final) >= sizeof(ev->path))
		ev->path[sizeof(ev->path) - 1] = '\0';
	fd = openat(dfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return ev->err = -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out_close;
	}
	/* a crash before the first header write leaves nothing we can name
	 * the format of */
	if (!S_ISREG(st.st_mode) || st.st_size < SB_REC_HDR_SIZE ||
	    pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		rc = -EBADMSG;
		goto out_close;
	}
	if (!memcmp(h, "OggS", 4) || !memcmp(h, "\x0a\x0d\x0d\x0a", 4)) {
		uint64_t ms = 0;

		rc = recover_stream(fd, &st, h[0] == 'O', &ms);
		if (rc < 0)
			goto out_close;
		if (renameat(dfd, name, dfd, final) < 0) {
			rc = -errno;
			goto out_close;
		}
		ev->type = SB_REC_EV_RECOVERED;
		ev->file_ms = ms;
		goto out_close;
	}
	fmt = get16(h + 20);
	if (fmt == SB_REC_FMT_PCM16 && get16(h + 22) == 1)
		fmt = SB_REC_FMT_MONO;
	if (memcmp(h, "RIFF", 4) || memcmp(h + 8, "WAVE", 4) || memcmp(h + 12, "fmt ", 4) ||
	    memcmp(h + SB_REC_HDR_SIZE - 8, "data", 4) ||
	    (get16(h + 22) != 2 && fmt != SB_REC_FMT_MONO) ||
	    (fmt != SB_REC_FMT_PCM16 && fmt != SB_REC_FMT_ALAW && fmt != SB_REC_FMT_ULAW &&
	     fmt != SB_REC_FMT_MONO)) {
		rc = -EBADMSG;
		goto out_close;
	}
	block = (fmt == SB_REC_FMT_MONO ? 1 : 2) * fmt_bps(fmt);
	data = (uint64_t)st.st_size - SB_REC_HDR_SIZE;
	data -= data % block; /* a torn last sample frame is not audio */
	sb_rec_wav_header(h, fmt, data);
	if (pwrite(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    ftruncate(fd, SB_REC_HDR_SIZE + data) < 0 || fdatasync(fd) < 0) {
		rc = -errno;
		goto out_close;
	}
	if (renameat(dfd, name, dfd, final) < 0) {
		rc = -errno;
		goto out_close;
	}
	ev->type = SB_REC_EV_RECOVERED;
	ev->file_ms = data / block * 1000 / SB_REC_RATE;
out_close:
	close(fd);
	ev->err = rc;
	return rc;
}

int sb_rec_recover_dir(const char *dir,
		       void (*cb)(void *arg, const struct sb_rec_event *ev), void *arg)
{
	struct sb_rec_event ev;
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l <= 5 || strcmp(de->d_name + l - 5, ".part") != 0)
			continue;
		if (recover_one(dirfd(d), dir, de->d_name, &ev) == 0)
			n++;
		if (cb != NULL)
			cb(arg, &ev);
	}
	/* the renames must survive a second crash */
	fsync(dirfd(d));
	closedir(d);
	return n;
}
