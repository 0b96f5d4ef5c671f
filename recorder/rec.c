/* SPDX-License-Identifier: MIT */
/*
 * rec.c — the recorder thread (sb/rec.h).
 *
 * Per call: a reorder window of W stereo sample frames already in the file
 * format (untouched slots hold silence, so gaps come out silent); samples
 * leave the window hold_ms behind the newest one and are copied into the
 * call's current I/O buffer.  A full buffer becomes one write at its file
 * offset.  Buffers come from a fixed pool (registered with io_uring once),
 * buffer offsets are multiples of 4096 (data starts at SB_REC_HDR_SIZE), so
 * O_DIRECT needs nothing else.  An empty pool is not waited for: the
 * samples are counted lost, the file offset still advances (a hole, read as
 * zeros) so the two channels stay in time.
 *
 * Segment flush (every segment_ms of audio): the partial buffer is written
 * (from a copy, so the original keeps filling), then when no write of the
 * call is in flight an fdatasync linked to the header rewrite is submitted.
 * Writes of one call may complete out of order; overlapping writes carry
 * identical bytes in their overlap, so the order does not matter.
 *
 * Submissions are batched: SQEs are prepared during a poll and submitted
 * once at its end; completions are reaped all at once at its start.
 *
 * Kinds of file (sb/rec.h): K_WAV, the window holds the file's own bytes
 * (stereo PCM16 or G.711) and goes out as it is; K_MONO and K_OPUS, the
 * window holds stereo PCM16 which leaves mixed (mono WAV) or through the
 * Opus encoder and libogg (bytes of pages); K_PCAP, no window: each
 * captured packet becomes a pcapng block.  For K_OPUS and K_PCAP the
 * file is a byte stream: fb is 1 and "samples" in the lost/hole counts
 * are bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <opus/opus.h>

#include "sb/dtmf.h"
#include "sb/g711.h"
#include "sb/rec.h"

#include "rec_fmt.h"

#define ALIGN 4096u
#define NOBUF 0xffffffffu
#define CMD_SLOTS 256
#define EV_SLOTS 1024
#define FRAME_BURST 64

enum { OP_WRITE = 1, OP_SYNC = 2, OP_HDR = 3 };
enum { CS_FREE, CS_OPEN, CS_CLOSING };
enum { FL_IDLE, FL_WAIT, FL_SYNC };
enum { CMD_START = 1, CMD_STOP = 2 };
enum { K_WAV, K_MONO, K_OPUS, K_PCAP };

#define OPUS_FRAME 160      /* 20 ms at 8 kHz: one encoded packet */
#define DEC_MAX 960         /* 120 ms at 8 kHz: the longest Opus packet */
#define GUARD (SB_REC_MASK_GUARD_MS * (SB_REC_RATE / 1000))
#define TEV_OPEN (60 * (SB_REC_RATE / 1000)) /* an event not ended yet: its next update */
#define NS_PER_SAMPLE (1000000000ull / SB_REC_RATE)

struct rec_cmd {
	uint32_t op, call_id, fmt, seg_ms; /* seg_ms: 0 = cfg.segment_ms */
	uint32_t flags, pad;               /* SB_REC_OPT_* */
	char path[SB_REC_PATH_MAX];
};
_Static_assert(sizeof(struct rec_cmd) % 8 == 0, "command ring element");

struct rec_buf {
	uint8_t *data;
	uint64_t off;  /* file offset, multiple of ALIGN */
	uint32_t fill; /* bytes of data valid */
	uint32_t wlen; /* length of the write in flight */
};

struct rec_call {
	uint32_t id;
	uint8_t state, flush, kind, bps; /* bps: window bytes per sample */
	uint16_t fmt;         /* enum sb_rec_fmt */
	uint16_t fb;          /* file bytes per sample frame (1: a byte stream) */
	uint8_t wfb;          /* window bytes per stereo sample frame */
	uint8_t sil;          /* silence byte of the format (and of the window) */
	bool mask;            /* SB_REC_OPT_MASK_DTMF */
	uint8_t div[SB_REC_CHANS];       /* RTP clock / 8 kHz of each channel's stream */
	bool failed, degraded, direct, stop_pending, final_started, flush_again;
	int fd;
	int err;
	bool anchored[SB_REC_CHANS];
	uint32_t base_ts[SB_REC_CHANS];
	int64_t base_pos[SB_REC_CHANS];
	uint64_t chan_end[SB_REC_CHANS]; /* sample position after the channel's newest sample */
	uint64_t emit_pos;    /* window start: samples before it are in buffers */
	uint64_t max_pos;
	uint64_t seg_next;    /* emit_pos of the next segment flush */
	uint64_t seg;         /* segment length, samples */
	uint64_t file_off;    /* next data byte */
	uint64_t sync_end;    /* file_off when the running flush started */
	uint64_t sync_goal;   /* data end the fdatasync in flight covers */
	uint64_t ok_end;      /* highest end of a successful write */
	uint64_t fail_off;    /* lowest offset of a failed write */
	uint64_t synced_end;  /* data end covered by the last good fdatasync */
	uint64_t holes;       /* sample frames lost to an empty pool */
	uint32_t cur;         /* buffer being filled, NOBUF if none */
	uint32_t inflight_w, inflight_s;
	uint8_t *win;
	/* SB_REC_SUPER's samples (window slots, PCM16, zero = nothing), summed
	 * into the agent's side as they leave the window; sup_on once the
	 * call had any (else the mixing is skipped) */
	int16_t *sup;
	bool sup_on;
	uint8_t *hdr;         /* ALIGN bytes in the registered header slab */
	/* DTMF masking: the latest masked interval of each channel (sample
	 * positions), the in-band detector and where it expects the next sample */
	int64_t mask_from[SB_REC_CHANS], mask_to[SB_REC_CHANS];
	uint64_t ib_next[SB_REC_CHANS];
	struct sb_dtmf_ib ib[SB_REC_CHANS];
	OpusDecoder *dec[SB_REC_CHANS];  /* Opus input, made at the channel's first packet */
	/* Ogg Opus output */
	OpusEncoder *enc;
	ogg_stream_state os;
	bool os_init;
	uint8_t och;          /* encoded channels */
	uint16_t en;          /* sample frames waiting in epcm */
	uint32_t preskip;     /* 48 kHz units */
	uint64_t enc_samples; /* sample frames given to the encoder */
	int16_t epcm[2 * OPUS_FRAME];
	/* a payload in several ring elements (SB_REC_FRAME_MORE) */
	uint8_t *asm_buf;     /* SB_REC_ASM_MAX bytes */
	uint16_t asm_len;
	bool asm_on, asm_bad;
	struct sb_rec_frame asm_first; /* its first element's fields (payload unused) */
	/* pcap */
	uint64_t pk_first, pk_last, pk_seg; /* capture times (ns); pk_seg: segment start */
	char path[SB_REC_PATH_MAX];
};

struct sb_rec {
	struct sb_rec_cfg cfg;
	struct io_uring ring;
	bool fixed;
	unsigned wmask;          /* window frames - 1 */
	unsigned hold, seg;      /* in samples */
	uint64_t inflight;
	unsigned closing;        /* calls in CS_CLOSING */
	unsigned open;

	struct sb_rec_prod *prod; /* nprod, cache aligned */
	struct sb_ring *cmd, *ev;

	struct rec_call *calls;
	uint32_t *call_free, ncall_free;
	uint32_t *hash, hmask;   /* call slot + 1, 0 = empty (linear probing) */

	struct rec_buf *bufs;
	uint32_t *buf_free, nbuf_free;
	uint8_t *pool, *hdr_slab, *win_slab, *asm_slab;
	int16_t *sup_slab;       /* [max_calls][W]: the supervisor planes */
	uint8_t scratch[REC_EPB_MAX > 4096 ? REC_EPB_MAX : 4096]; /* mono mix, pages, EPBs */

	uint64_t cnt[SB_REC_C_N];

	pthread_t thr;
	_Atomic bool run;
	bool thr_started;
	void *ring_mem[2];       /* command and event rings */
};

static const char *const ev_desc[SB_REC_EV_N] = {
	[SB_REC_EV_NONE] = "none",
#define _(s, d) [SB_REC_EV_##s] = d,
	SB_REC_EVENTS(_)
#undef _
};

static const char *const cnt_name[SB_REC_C_N] = {
#define _(s, d) [SB_REC_C_##s] = #s,
	SB_REC_COUNTERS(_)
#undef _
};

const char *sb_rec_ev_desc(unsigned type)
{
	return type < SB_REC_EV_N ? ev_desc[type] : "?";
}

const char *sb_rec_cnt_name(unsigned c)
{
	return c < SB_REC_C_N ? cnt_name[c] : "?";
}

/* single writer (the recorder thread); readers see a torn-free value */
static void cnt_add(struct sb_rec *r, enum sb_rec_cnt c, uint64_t v)
{
	__atomic_store_n(&r->cnt[c], r->cnt[c] + v, __ATOMIC_RELAXED);
}

uint64_t sb_rec_counter(const struct sb_rec *r, enum sb_rec_cnt c)
{
	return c < SB_REC_C_N ? __atomic_load_n(&r->cnt[c], __ATOMIC_RELAXED) : 0;
}

unsigned sb_rec_calls_open(const struct sb_rec *r)
{
	return __atomic_load_n(&r->open, __ATOMIC_RELAXED);
}

static uint32_t pow2_ge(uint32_t x)
{
	uint32_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

/* ---- call table: open addressing on call id, backward-shift delete ---- */

static uint32_t h32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	return x;
}

static struct rec_call *call_find(struct sb_rec *r, uint32_t id)
{
	for (uint32_t i = h32(id) & r->hmask;; i = (i + 1) & r->hmask) {
		uint32_t s = r->hash[i];

		if (s == 0)
			return NULL;
		if (r->calls[s - 1].id == id)
			return &r->calls[s - 1];
	}
}

static void hash_insert(struct sb_rec *r, uint32_t id, uint32_t slot)
{
	uint32_t i = h32(id) & r->hmask;

	while (r->hash[i] != 0)
		i = (i + 1) & r->hmask;
	r->hash[i] = slot + 1;
}

static void hash_delete(struct sb_rec *r, uint32_t id)
{
	uint32_t i = h32(id) & r->hmask, j;

	while (r->calls[r->hash[i] - 1].id != id)
		i = (i + 1) & r->hmask;
	/* shift back every later entry of the cluster that may move into
	 * the hole (its home is not cyclically in (i, j]) */
	for (j = (i + 1) & r->hmask; r->hash[j] != 0; j = (j + 1) & r->hmask) {
		uint32_t home = h32(r->calls[r->hash[j] - 1].id) & r->hmask;

		if (((j - home) & r->hmask) >= ((j - i) & r->hmask)) {
			r->hash[i] = r->hash[j];
			i = j;
		}
	}
	r->hash[i] = 0;
}

/* ---- events ---- */

static void ev_push(struct sb_rec *r, unsigned type, const struct rec_call *c, int err)
{
	struct sb_rec_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.err = err;
	if (c != NULL) {
		ev.call_id = c->id;
		memcpy(ev.path, c->path, sizeof(ev.path));
	}
	if (sb_ring_enqueue_burst(r->ev, &ev, 1) == 0)
		cnt_add(r, SB_REC_C_EV_DROPPED, 1);
}

unsigned sb_rec_event_poll(struct sb_rec *r, struct sb_rec_event *ev, unsigned n)
{
	return sb_ring_dequeue_burst(r->ev, ev, n);
}

/* ---- I/O ---- */

static uint32_t buf_get(struct sb_rec *r)
{
	return r->nbuf_free ? r->buf_free[--r->nbuf_free] : NOBUF;
}

static void buf_put(struct sb_rec *r, uint32_t b)
{
	r->buf_free[r->nbuf_free++] = b;
}

static struct io_uring_sqe *rec_sqe(struct sb_rec *r, unsigned need)
{
	/* a linked pair must go in one submission: make room for both */
	if (io_uring_sq_space_left(&r->ring) < need) {
		io_uring_submit(&r->ring);
		cnt_add(r, SB_REC_C_SUBMITS, 1);
	}
	return io_uring_get_sqe(&r->ring);
}

static uint64_t ud_make(unsigned op, const struct sb_rec *r, const struct rec_call *c, uint32_t b)
{
	return op | (uint64_t)(c - r->calls) << 2 | (uint64_t)b << 32;
}

static void call_fail(struct sb_rec *r, struct rec_call *c, int err, unsigned type);

/* Write len bytes of buffer b (or the header when b == NOBUF) for c. */
static void submit_write(struct sb_rec *r, struct rec_call *c, uint32_t b, uint32_t len)
{
	struct io_uring_sqe *sqe = rec_sqe(r, 1);
	uint8_t *p = b == NOBUF ? c->hdr : r->bufs[b].data;
	uint64_t off = b == NOBUF ? 0 : r->bufs[b].off;
	unsigned idx = b == NOBUF ? r->cfg.nbufs : b;

	if (sqe == NULL) {
		if (b != NOBUF)
			buf_put(r, b);
		call_fail(r, c, -EBUSY, SB_REC_EV_WRITE_FAILED);
		return;
	}
	if (b != NOBUF)
		r->bufs[b].wlen = len;
	if (r->fixed)
		io_uring_prep_write_fixed(sqe, c->fd, p, len, off, idx);
	else
		io_uring_prep_write(sqe, c->fd, p, len, off);
	io_uring_sqe_set_data64(sqe, ud_make(OP_WRITE, r, c, b));
	c->inflight_w++;
	r->inflight++;
}

/* The call's length in samples (8 kHz): its timeline, or for a capture
 * the time from its first packet to its last. */
static uint64_t call_total(const struct rec_call *c)
{
	if (c->kind == K_PCAP)
		return c->pk_last > c->pk_first ? (c->pk_last - c->pk_first) / NS_PER_SAMPLE : 0;
	return c->emit_pos;
}

static bool kind_stream(unsigned kind)
{
	return kind == K_OPUS || kind == K_PCAP;
}

static uint64_t call_held(const struct rec_call *c)
{
	uint64_t end = c->ok_end < c->fail_off ? c->ok_end : c->fail_off;
	uint64_t held = end > SB_REC_HDR_SIZE ? (end - SB_REC_HDR_SIZE) / c->fb : 0;

	if (c->fd < 0)
		return 0;
	if (kind_stream(c->kind)) {
		/* bytes of a stream are not samples: the share of the bytes
		 * that made it, applied to the call's length */
		uint64_t fileb = c->file_off - SB_REC_HDR_SIZE, total = call_total(c);

		if (held > fileb)
			held = fileb;
		held = held > c->holes ? held - c->holes : 0;
		if (held == fileb)
			return total; /* all of it (also: nothing to write yet) */
		return (uint64_t)((double)total * (double)held / (double)fileb);
	}
	if (held > c->emit_pos)
		held = c->emit_pos;
	return held > c->holes ? held - c->holes : 0;
}

/* The header block of c for data_bytes: WAV sizes; the stream formats'
 * block was made at open and never changes. */
static void hdr_build(struct rec_call *c, uint64_t data_bytes)
{
	if (!kind_stream(c->kind))
		sb_rec_wav_header(c->hdr, (enum sb_rec_fmt)c->fmt, data_bytes);
}

static void call_fail(struct sb_rec *r, struct rec_call *c, int err, unsigned type)
{
	if (c->failed)
		return;
	c->failed = true;
	c->err = err;
	cnt_add(r, err == -ENOSPC ? SB_REC_C_ERR_ENOSPC :
		   err == -EIO ? SB_REC_C_ERR_EIO : SB_REC_C_ERR_OTHER, 1);
	if (c->cur != NOBUF) {
		buf_put(r, c->cur);
		c->cur = NOBUF;
	}
	ev_push(r, type, c, err);
}

/* The data (and header) of c so far: write the partial buffer, then
 * (call_progress) fdatasync + header once no write is in flight. */
static void call_progress(struct sb_rec *r, struct rec_call *c);

static void flush_begin(struct sb_rec *r, struct rec_call *c, bool final)
{
	if (c->failed || c->fd < 0)
		return;
	if (c->flush != FL_IDLE) {
		/* the disk is behind by a whole segment: flush again as soon as
		 * this one ends rather than skip a segment */
		c->flush_again = !final;
		return;
	}
	if (c->cur != NOBUF && r->bufs[c->cur].fill > 0) {
		struct rec_buf *b = &r->bufs[c->cur];
		uint32_t len = b->fill;

		if (final) {
			if (c->direct) { /* pad to a block; ftruncate cuts it at close */
				len = (len + ALIGN - 1) & ~(ALIGN - 1);
				memset(b->data + b->fill, c->sil, len - b->fill);
			}
			submit_write(r, c, c->cur, len);
			c->cur = NOBUF;
		} else {
			uint32_t nb;

			if (c->direct)
				len &= ~(ALIGN - 1);
			/* no spare buffer: the segment covers the full buffers only */
			if (len > 0 && (nb = buf_get(r)) != NOBUF) {
				struct rec_buf *n = &r->bufs[nb];

				memcpy(n->data, b->data, b->fill);
				n->off = b->off;
				n->fill = b->fill;
				submit_write(r, c, c->cur, len);
				c->cur = nb;
			}
		}
	}
	c->sync_end = c->file_off;
	c->flush = FL_WAIT;
	call_progress(r, c);
}

static void codec_free(struct rec_call *c)
{
	for (unsigned ch = 0; ch < SB_REC_CHANS; ch++) {
		if (c->dec[ch] != NULL)
			opus_decoder_destroy(c->dec[ch]);
		c->dec[ch] = NULL;
	}
	if (c->enc != NULL)
		opus_encoder_destroy(c->enc);
	c->enc = NULL;
	if (c->os_init)
		ogg_stream_clear(&c->os);
	c->os_init = false;
}

static void call_finish(struct sb_rec *r, struct rec_call *c)
{
	uint64_t total = call_total(c), held = call_held(c);
	struct sb_rec_event ev;
	char part[SB_REC_PATH_MAX + 8];

	snprintf(part, sizeof(part), "%s.part", c->path);
	if (c->fd >= 0) {
		uint64_t size = c->failed ? SB_REC_HDR_SIZE + held * c->fb : c->file_off;

		if (c->failed && kind_stream(c->kind)) {
			/* the bytes that made it, whole or not: the next start's
			 * recovery is not run on a closed file, players resync */
			uint64_t end = c->ok_end < c->fail_off ? c->ok_end : c->fail_off;

			size = end > SB_REC_HDR_SIZE ? end : SB_REC_HDR_SIZE;
		}
		if (c->failed) {
			/* the header block exists already: overwriting it needs
			 * no new space even on a full disk */
			hdr_build(c, size - SB_REC_HDR_SIZE);
			if (pwrite(c->fd, c->hdr, ALIGN, 0) != ALIGN)
				cnt_add(r, SB_REC_C_ERR_OTHER, 1);
		}
		/* exact size: cuts an O_DIRECT pad, extends a final hole */
		if (ftruncate(c->fd, size) < 0)
			cnt_add(r, SB_REC_C_ERR_OTHER, 1);
		close(c->fd);
		if (rename(part, c->path) < 0)
			cnt_add(r, SB_REC_C_ERR_OTHER, 1);
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = SB_REC_EV_CLOSED;
	ev.call_id = c->id;
	ev.err = c->err;
	ev.complete = c->fd >= 0 && !c->failed && c->holes == 0 && held == total;
	ev.share_pm = total ? (uint32_t)(held * 1000 / total) : (c->fd >= 0 && !c->failed ? 1000 : 0);
	ev.file_ms = held * 1000 / SB_REC_RATE;
	ev.call_ms = total * 1000 / SB_REC_RATE;
	memcpy(ev.path, c->path, sizeof(ev.path));
	if (sb_ring_enqueue_burst(r->ev, &ev, 1) == 0)
		cnt_add(r, SB_REC_C_EV_DROPPED, 1);
	cnt_add(r, SB_REC_C_CALLS_CLOSED, 1);
	if (!ev.complete)
		cnt_add(r, SB_REC_C_CALLS_INCOMPLETE, 1);

	codec_free(c);
	hash_delete(r, c->id);
	c->state = CS_FREE;
	r->call_free[r->ncall_free++] = (uint32_t)(c - r->calls);
	r->closing--;
	__atomic_store_n(&r->open, r->open - 1, __ATOMIC_RELAXED);
}

static void call_progress(struct sb_rec *r, struct rec_call *c)
{
	if (c->flush == FL_WAIT && c->inflight_w == 0) {
		struct io_uring_sqe *sqe;
		/* the header claims only what the sync covers; at close the
		 * whole length (call_finish sets it: a trailing hole left by an
		 * empty pool is silence the file must still span) */
		uint64_t end = c->final_started || c->sync_end < c->ok_end ? c->sync_end : c->ok_end;

		if (c->failed) {
			c->flush = FL_IDLE;
		} else if ((sqe = rec_sqe(r, 2)) == NULL) {
			c->flush = FL_IDLE;
			call_fail(r, c, -EBUSY, SB_REC_EV_SYNC_FAILED);
		} else {
			io_uring_prep_fsync(sqe, c->fd, IORING_FSYNC_DATASYNC);
			io_uring_sqe_set_data64(sqe, ud_make(OP_SYNC, r, c, NOBUF));
			sqe->flags |= IOSQE_IO_LINK;
			end -= (end - SB_REC_HDR_SIZE) % c->fb;
			c->sync_goal = end;
			hdr_build(c, end - SB_REC_HDR_SIZE);
			sqe = io_uring_get_sqe(&r->ring);
			if (r->fixed)
				io_uring_prep_write_fixed(sqe, c->fd, c->hdr, ALIGN, 0, r->cfg.nbufs);
			else
				io_uring_prep_write(sqe, c->fd, c->hdr, ALIGN, 0);
			io_uring_sqe_set_data64(sqe, ud_make(OP_HDR, r, c, NOBUF));
			c->inflight_s += 2;
			r->inflight += 2;
			c->flush = FL_SYNC;
		}
	}
	if (c->flush == FL_IDLE && c->flush_again && !c->final_started) {
		c->flush_again = false;
		flush_begin(r, c, false);
		return;
	}
	if (c->state != CS_CLOSING || c->flush != FL_IDLE)
		return;
	if (!c->final_started && !c->failed && c->fd >= 0) {
		c->final_started = true;
		flush_begin(r, c, true);
		return;
	}
	if (c->inflight_w == 0 && c->inflight_s == 0)
		call_finish(r, c);
}

static void complete_one(struct sb_rec *r, uint64_t ud, int res)
{
	unsigned op = ud & 3;
	struct rec_call *c = &r->calls[(ud >> 2) & 0x3fffffff];
	uint32_t b = (uint32_t)(ud >> 32);

	r->inflight--;
	switch (op) {
	case OP_WRITE: {
		uint64_t off = b == NOBUF ? 0 : r->bufs[b].off;
		uint32_t len = b == NOBUF ? ALIGN : r->bufs[b].wlen;

		c->inflight_w--;
		if (b != NOBUF)
			buf_put(r, b);
		if (res == (int)len) {
			if (off + len > c->ok_end)
				c->ok_end = off + len;
			cnt_add(r, SB_REC_C_WRITES, 1);
			cnt_add(r, SB_REC_C_WRITE_BYTES, len);
		} else {
			/* a short write is the file system running out of room */
			if (off < c->fail_off)
				c->fail_off = off;
			call_fail(r, c, res < 0 ? res : -ENOSPC, SB_REC_EV_WRITE_FAILED);
		}
		break;
	}
	case OP_SYNC:
		c->inflight_s--;
		if (res < 0) {
			/* the page cache took the writes but the disk did not:
			 * only what an earlier sync covered is known to be there */
			if (c->synced_end < c->fail_off)
				c->fail_off = c->synced_end;
			call_fail(r, c, res, SB_REC_EV_SYNC_FAILED);
		} else {
			c->synced_end = c->sync_goal;
			cnt_add(r, SB_REC_C_SYNCS, 1);
		}
		break;
	case OP_HDR:
		c->inflight_s--;
		if (res < 0 && res != -ECANCELED)
			call_fail(r, c, res, SB_REC_EV_WRITE_FAILED);
		break;
	}
	if (c->flush == FL_SYNC && c->inflight_s == 0)
		c->flush = FL_IDLE;
	call_progress(r, c);
}

static unsigned reap(struct sb_rec *r)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	io_uring_for_each_cqe(&r->ring, head, cqe) {
		complete_one(r, cqe->user_data, cqe->res);
		n++;
	}
	io_uring_cq_advance(&r->ring, n);
	return n;
}

/* ---- assembly ---- */

/* Append bytes (whole sample frames) of c's timeline to its file. */
static void out_append(struct sb_rec *r, struct rec_call *c, const uint8_t *src, uint64_t bytes)
{
	while (bytes > 0) {
		struct rec_buf *b;
		uint64_t k;

		if (c->failed || c->fd < 0) {
			cnt_add(r, SB_REC_C_SAMPLES_LOST, bytes / c->fb);
			c->file_off += bytes;
			return;
		}
		if (c->cur == NOBUF) {
			c->cur = buf_get(r);
			if (c->cur == NOBUF) {
				/* degrade, never wait: a hole keeps the channels in time */
				cnt_add(r, SB_REC_C_SAMPLES_LOST, bytes / c->fb);
				cnt_add(r, SB_REC_C_POOL_EXHAUSTED, 1);
				if (!c->degraded)
					ev_push(r, SB_REC_EV_DEGRADED, c, -ENOBUFS);
				c->degraded = true;
				c->holes += bytes / c->fb;
				c->file_off += bytes;
				return;
			}
			b = &r->bufs[c->cur];
			b->off = c->file_off & ~(uint64_t)(ALIGN - 1);
			b->fill = (uint32_t)(c->file_off - b->off);
			memset(b->data, c->sil, b->fill);
		}
		b = &r->bufs[c->cur];
		k = r->cfg.buf_size - b->fill;
		if (k > bytes)
			k = bytes;
		memcpy(b->data + b->fill, src, k);
		b->fill += (uint32_t)k;
		c->file_off += k;
		src += k;
		bytes -= k;
		if (b->fill == r->cfg.buf_size) {
			submit_write(r, c, c->cur, r->cfg.buf_size);
			c->cur = NOBUF;
		}
	}
}

/* ---- output of the non-WAV kinds ---- */

static int16_t s16(const uint8_t *p)
{
	return (int16_t)(uint16_t)(p[0] | p[1] << 8);
}

/* Every page libogg has ready (flush: also a partial one) to the file. */
static void ogg_out(struct sb_rec *r, struct rec_call *c, bool flush)
{
	ogg_page pg;

	while (flush ? ogg_stream_flush(&c->os, &pg) : ogg_stream_pageout(&c->os, &pg)) {
		out_append(r, c, pg.header, (uint64_t)pg.header_len);
		out_append(r, c, pg.body, (uint64_t)pg.body_len);
	}
}

/* Encode the OPUS_FRAME sample frames in epcm; last: the stream's end
 * (real_end: sample frames of the call, for the end trimming). */
static void opus_packet_out(struct sb_rec *r, struct rec_call *c, bool last)
{
	uint8_t pkt[400];
	ogg_packet op;
	opus_int32 n;

	n = opus_encode(c->enc, c->epcm, OPUS_FRAME, pkt, sizeof(pkt));
	if (n < 0) { /* cannot happen with a valid encoder; keep the timing */
		pkt[0] = 0xf8; /* a TOC alone: a 20 ms CELT frame of silence */
		n = 1;
	}
	memset(&op, 0, sizeof(op));
	op.packet = pkt;
	op.bytes = n;
	op.packetno = (ogg_int64_t)(2 + c->enc_samples / OPUS_FRAME);
	c->enc_samples += OPUS_FRAME;
	/* RFC 7845 4: a granule position counts the 48 kHz samples decoded
	 * so far, pre-skip included; the last one is the pre-skip plus the
	 * call's length, which trims the padding of the final packets */
	op.granulepos = (ogg_int64_t)(last ? c->preskip + 6 * c->emit_pos : 6 * c->enc_samples);
	op.e_o_s = last;
	ogg_stream_packetin(&c->os, &op);
	c->en = 0;
	ogg_out(r, c, last);
}

/* k stereo PCM16 window frames to the encoder */
static void opus_feed(struct sb_rec *r, struct rec_call *c, const uint8_t *src, uint64_t k)
{
	for (uint64_t i = 0; i < k; i++, src += 4) {
		if (c->och == 2) {
			c->epcm[2 * c->en] = s16(src);
			c->epcm[2 * c->en + 1] = s16(src + 2);
		} else {
			int32_t m = (int32_t)s16(src) + s16(src + 2);

			c->epcm[c->en] = (int16_t)(m > 32767 ? 32767 : m < -32768 ? -32768 : m);
		}
		if (++c->en == OPUS_FRAME)
			opus_packet_out(r, c, false);
	}
}

/* The stream's last packets: the partial frame padded with silence, and
 * more silence until the decoder's output covers the encoder's delay
 * (the pre-skip) past the call's end; EOS on the last; every page out. */
static void opus_finish(struct sb_rec *r, struct rec_call *c)
{
	if (c->kind != K_OPUS || !c->os_init)
		return;
	for (;;) {
		bool last = 6 * (c->enc_samples + OPUS_FRAME) >= c->preskip + 6 * c->emit_pos;

		memset(c->epcm + (size_t)c->en * c->och, 0,
		       (size_t)(OPUS_FRAME - c->en) * c->och * sizeof(int16_t));
		opus_packet_out(r, c, last);
		if (last)
			break;
	}
}

/* k sample frames of the window (from src) to the file, by kind */
static void emit_chunk(struct sb_rec *r, struct rec_call *c, const uint8_t *src, uint64_t k)
{
	switch (c->kind) {
	case K_WAV:
		out_append(r, c, src, k * c->wfb);
		break;
	case K_MONO:
		while (k > 0) {
			uint64_t m = k < sizeof(r->scratch) / 2 ? k : sizeof(r->scratch) / 2;

			for (uint64_t i = 0; i < m; i++, src += 4) {
				int32_t v = (int32_t)s16(src) + s16(src + 2);

				v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
				r->scratch[2 * i] = (uint8_t)v;
				r->scratch[2 * i + 1] = (uint8_t)((uint32_t)v >> 8);
			}
			out_append(r, c, r->scratch, m * 2);
			k -= m;
		}
		break;
	case K_OPUS:
		opus_feed(r, c, src, k);
		break;
	}
}

/* The supervisor plane's slots [slot, slot + k) summed (saturating) into
 * the agent's side of the window, then back to zero.  G.711: decoded,
 * summed, encoded again (only where the supervisor said something). */
static void sup_mix(struct rec_call *c, uint64_t slot, uint64_t k)
{
	int16_t *sp = c->sup + slot;
	uint8_t *o = c->win + slot * c->wfb + SB_REC_AGENT * c->bps;

	for (uint64_t i = 0; i < k; i++, o += c->wfb) {
		int32_t v;

		if (sp[i] == 0)
			continue;
		if (c->bps == 2)
			v = (int32_t)s16(o) + sp[i];
		else
			v = (int32_t)(c->fmt == SB_REC_FMT_ULAW ? sb_g711_ulaw_dec_tab[*o]
								: sb_g711_alaw_dec_tab[*o]) + sp[i];
		v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
		if (c->bps == 2) {
			o[0] = (uint8_t)v;
			o[1] = (uint8_t)((uint32_t)v >> 8);
		} else {
			*o = c->fmt == SB_REC_FMT_ULAW ? sb_g711_ulaw_enc1((int16_t)v)
						       : sb_g711_alaw_enc1((int16_t)v);
		}
		sp[i] = 0;
	}
}

/* Move the window start to target: samples go to the file, slots back to
 * silence; a segment boundary starts a flush. */
static void emit_to(struct sb_rec *r, struct rec_call *c, uint64_t target)
{
	unsigned W = r->wmask + 1;

	while (c->emit_pos < target) {
		uint64_t slot = c->emit_pos & r->wmask, k = target - c->emit_pos;

		if (k > W - slot)
			k = W - slot;
		if (k > c->seg_next - c->emit_pos)
			k = c->seg_next - c->emit_pos;
		if (c->sup_on)
			sup_mix(c, slot, k);
		emit_chunk(r, c, c->win + slot * c->wfb, k);
		memset(c->win + slot * c->wfb, c->sil, k * c->wfb);
		c->emit_pos += k;
		if (c->emit_pos == c->seg_next) {
			c->seg_next += c->seg;
			if (c->kind == K_OPUS) /* every packet so far in whole pages */
				ogg_out(r, c, true);
			flush_begin(r, c, false);
		}
	}
}

/* n samples of one channel into window slots from slot (no wrap inside):
 * one loop per case, no branch per sample. */
static void put_run(struct rec_call *c, uint8_t *o, const uint8_t *in, unsigned n,
		    unsigned codec)
{
	const int16_t *dec = codec == SB_REC_PCMU ? sb_g711_ulaw_dec_tab : sb_g711_alaw_dec_tab;
	unsigned fb = c->wfb;

	if (c->wfb == 4) {
		for (unsigned i = 0; i < n; i++, o += 4) {
			uint16_t s = (uint16_t)dec[in[i]];

			o[0] = (uint8_t)s; /* little-endian on any host */
			o[1] = (uint8_t)(s >> 8);
		}
	} else if ((c->fmt == SB_REC_FMT_ULAW) == (codec == SB_REC_PCMU)) {
		for (unsigned i = 0; i < n; i++, o += fb)
			*o = in[i];
	} else if (c->fmt == SB_REC_FMT_ULAW) {
		for (unsigned i = 0; i < n; i++, o += fb)
			*o = sb_g711_ulaw_enc1(dec[in[i]]);
	} else {
		for (unsigned i = 0; i < n; i++, o += fb)
			*o = sb_g711_alaw_enc1(dec[in[i]]);
	}
}

static void put_lin(struct rec_call *c, unsigned mask, uint64_t pos, unsigned ch,
		    const int16_t *in, unsigned len);

static void put_samples(struct rec_call *c, unsigned mask, uint64_t pos, unsigned ch,
			const uint8_t *in, unsigned len, unsigned codec)
{
	unsigned slot = (unsigned)(pos & mask), first = mask + 1 - slot;
	uint8_t *base = c->win + ch * c->bps;

	if (ch == SB_REC_SUPER) { /* its own plane, linear */
		const int16_t *dec = codec == SB_REC_PCMU ? sb_g711_ulaw_dec_tab
							  : sb_g711_alaw_dec_tab;
		int16_t lin[SB_REC_PAYLOAD_MAX];

		for (unsigned i = 0; i < len; i++)
			lin[i] = dec[in[i]];
		put_lin(c, mask, pos, ch, lin, len);
		return;
	}

	if (first > len)
		first = len;
	put_run(c, base + (size_t)slot * c->wfb, in, first, codec);
	if (first < len) /* the window wraps inside this frame */
		put_run(c, base, in + first, len - first, codec);
}

/* Linear samples (decoded Opus, masked audio) into the window. */
static void put_lin(struct rec_call *c, unsigned mask, uint64_t pos, unsigned ch,
		    const int16_t *in, unsigned len)
{
	if (ch == SB_REC_SUPER) {
		for (unsigned i = 0; i < len; i++)
			c->sup[(pos + i) & mask] = in[i];
		c->sup_on = true;
		return;
	}
	for (unsigned i = 0; i < len; i++) {
		uint8_t *o = c->win + (size_t)((pos + i) & mask) * c->wfb + ch * c->bps;

		if (c->wfb == 4) {
			o[0] = (uint8_t)in[i];
			o[1] = (uint8_t)((uint16_t)in[i] >> 8);
		} else {
			*o = c->fmt == SB_REC_FMT_ULAW ? sb_g711_ulaw_enc1(in[i])
						       : sb_g711_alaw_enc1(in[i]);
		}
	}
}

/* ---- DTMF masking ---- */

/* Silence [a, b) of channel ch: what is in the window now, and what comes
 * later (the channel's latest interval, merged). */
static void mask_add(struct sb_rec *r, struct rec_call *c, unsigned ch, int64_t a, int64_t b)
{
	int64_t lo, hi, top = (int64_t)(c->emit_pos + r->wmask + 1);

	if (a < 0)
		a = 0;
	if (b <= a)
		return;
	if (a < (int64_t)c->emit_pos)
		cnt_add(r, SB_REC_C_MASK_LATE,
			(uint64_t)((b < (int64_t)c->emit_pos ? b : (int64_t)c->emit_pos) - a));
	lo = a > (int64_t)c->emit_pos ? a : (int64_t)c->emit_pos;
	hi = b < top ? b : top;
	for (int64_t p = lo; p < hi; p++) {
		if (ch == SB_REC_SUPER)
			c->sup[(uint64_t)p & r->wmask] = 0;
		else
			memset(c->win + (size_t)((uint64_t)p & r->wmask) * c->wfb + ch * c->bps,
			       c->sil, c->bps);
	}
	if (a <= c->mask_to[ch] && b >= c->mask_from[ch]) { /* overlaps: merge */
		if (a < c->mask_from[ch])
			c->mask_from[ch] = a;
		if (b > c->mask_to[ch])
			c->mask_to[ch] = b;
	} else if (b > c->mask_to[ch]) {
		c->mask_from[ch] = a;
		c->mask_to[ch] = b;
	}
}

/* In-band: feed the decoded frame to the channel's detector block by
 * block; every block that holds a DTMF pair is masked with its guard. */
static void mask_inband(struct sb_rec *r, struct rec_call *c, unsigned ch, uint64_t pos,
			const int16_t *lin, unsigned n)
{
	struct sb_dtmf_ib *d = &c->ib[ch];
	struct sb_dtmf_ev ev[4];

	if (pos != c->ib_next[ch]) /* not contiguous: a block cannot straddle a gap */
		sb_dtmf_ib_init(d);
	c->ib_next[ch] = pos + n;
	for (unsigned i = 0; i < n;) {
		unsigned run = SB_DTMF_IB_BLOCK - d->n;
		uint64_t hits = d->st.hits;

		if (run > n - i)
			run = n - i;
		sb_dtmf_ib_process(d, lin + i, run, (uint32_t)(pos + i), ev, 4);
		i += run;
		if (d->st.hits != hits) { /* the block ending here */
			int64_t end = (int64_t)(pos + i);

			cnt_add(r, SB_REC_C_MASK_INBAND, 1);
			mask_add(r, c, ch, end - SB_DTMF_IB_BLOCK - GUARD, end + GUARD);
		}
	}
}

/* ---- input ---- */

/* Where a frame of ch with timestamp ts (clock div x 8 kHz) and len
 * samples goes on the timeline; -1: drop it (counted). */
static int64_t frame_pos(struct sb_rec *r, struct rec_call *c, unsigned ch, uint32_t ts,
			 unsigned div, unsigned len)
{
	const int64_t jump = (int64_t)SB_REC_MAX_JUMP_S * SB_REC_RATE;
	int64_t pos;

	if (!c->anchored[ch]) {
anchor:;
		/* a channel that starts later lines up with the other one's
		 * newest sample: the best guess without a shared clock (the
		 * supervisor: the newer of caller and agent) */
		int64_t at = (int64_t)c->emit_pos, other;

		if (ch == SB_REC_SUPER)
			other = (int64_t)(c->anchored[0] && c->chan_end[0] > c->chan_end[1] ?
					  c->chan_end[0] : c->chan_end[1]) - len;
		else
			other = (int64_t)c->chan_end[!ch] - len;
		if ((c->anchored[0] || c->anchored[1]) && other > at)
			at = other;
		c->anchored[ch] = true;
		c->base_ts[ch] = ts;
		c->base_pos[ch] = at;
		c->chan_end[ch] = (uint64_t)at;
		c->div[ch] = (uint8_t)div;
	} else if (div != c->div[ch]) {
		/* another clock (a codec change): continue where it was */
		cnt_add(r, SB_REC_C_REANCHOR, 1);
		c->div[ch] = (uint8_t)div;
		c->base_ts[ch] = ts;
		c->base_pos[ch] = (int64_t)c->chan_end[ch];
	}
	pos = c->base_pos[ch] + (int32_t)(ts - c->base_ts[ch]) / (int32_t)div;
	if (ch == SB_REC_SUPER && (pos > (int64_t)c->chan_end[ch] + jump ||
				   pos + len + 2 * (int64_t)SB_REC_RATE < (int64_t)c->emit_pos)) {
		/* another supervisor (a new stream) or the same one back after
		 * a while: it joins now, like a channel that starts later */
		cnt_add(r, SB_REC_C_REANCHOR, 1);
		goto anchor;
	}
	if (pos > (int64_t)c->chan_end[ch] + jump || pos < (int64_t)c->chan_end[ch] - jump) {
		/* new timestamp base (SSRC change, reset): continue where it was */
		cnt_add(r, SB_REC_C_REANCHOR, 1);
		c->base_ts[ch] = ts;
		c->base_pos[ch] = (int64_t)c->chan_end[ch];
		pos = c->base_pos[ch];
	}
	if (pos + len + 2 * (int64_t)SB_REC_RATE < (int64_t)c->emit_pos) {
		/* more than 2 s behind what is written: not a late packet
		 * (the reorder window is at most 2 s) but a timestamp that went back (a sender that
		 * restarted its clock without a new SSRC, a replayed stream):
		 * dropping would silence the channel until the clock caught
		 * up; continue where the channel (or the file) is instead */
		int64_t at = (int64_t)(c->chan_end[ch] > c->emit_pos ? c->chan_end[ch] : c->emit_pos);

		cnt_add(r, SB_REC_C_REANCHOR, 1);
		c->base_ts[ch] = ts;
		c->base_pos[ch] = at;
		pos = at;
	} else if (pos < (int64_t)c->emit_pos) {
		cnt_add(r, SB_REC_C_DROP_LATE, 1);
		return -1;
	}
	return pos;
}

/* Audio of channel ch: G.711 bytes or an Opus packet (data[0..len)). */
static void audio_in(struct sb_rec *r, struct rec_call *c, const struct sb_rec_frame *f,
		     const uint8_t *data, unsigned len)
{
	int16_t lin[DEC_MAX];
	unsigned ch = f->chan, n = len, div = 1;
	bool silent = f->flags & SB_REC_FRAME_SILENT, use_lin = false;
	int64_t pos;

	if (f->codec == SB_REC_OPUS) {
		int k = opus_packet_get_nb_samples(data, (opus_int32)len, SB_REC_RATE);

		div = 6;
		if (k <= 0 || k > DEC_MAX) {
			cnt_add(r, SB_REC_C_OPUS_BAD, 1);
			return; /* no length: nothing to place */
		}
		n = (unsigned)k;
		use_lin = true;
		if (silent) {
			memset(lin, 0, n * sizeof(int16_t));
		} else {
			int err = 0;

			if (c->dec[ch] == NULL)
				c->dec[ch] = opus_decoder_create(SB_REC_RATE, 1, &err);
			k = c->dec[ch] != NULL ? opus_decode(c->dec[ch], data, (opus_int32)len, lin,
							     DEC_MAX, 0) : -1;
			if (k != (int)n) {
				cnt_add(r, SB_REC_C_OPUS_BAD, 1);
				memset(lin, 0, n * sizeof(int16_t));
			} else {
				cnt_add(r, SB_REC_C_OPUS_DECODED, 1);
			}
		}
	} else if (c->mask && !silent) {
		const int16_t *dec = f->codec == SB_REC_PCMU ? sb_g711_ulaw_dec_tab
							     : sb_g711_alaw_dec_tab;

		for (unsigned i = 0; i < n; i++)
			lin[i] = dec[data[i]];
		use_lin = true;
	}
	pos = frame_pos(r, c, ch, f->ts, div, n);
	if (pos < 0)
		return;
	if ((uint64_t)pos + n > c->emit_pos + r->wmask + 1)
		emit_to(r, c, (uint64_t)pos + n - (r->wmask + 1));
	if (c->mask && use_lin && !silent) {
		int64_t a, b;

		mask_inband(r, c, ch, (uint64_t)pos, lin, n);
		/* the frame's part inside the channel's masked interval */
		a = c->mask_from[ch] > pos ? c->mask_from[ch] : pos;
		b = c->mask_to[ch] < pos + n ? c->mask_to[ch] : pos + n;
		if (a < b)
			memset(lin + (a - pos), 0, (size_t)(b - a) * sizeof(int16_t));
	}
	if (silent) /* silent: the slots already are */
		;
	else if (use_lin)
		put_lin(c, r->wmask, (uint64_t)pos, ch, lin, n);
	else
		put_samples(c, r->wmask, (uint64_t)pos, ch, data, n, f->codec);
	if ((uint64_t)pos + n > c->chan_end[ch])
		c->chan_end[ch] = (uint64_t)pos + n;
	if (c->chan_end[ch] > c->max_pos)
		c->max_pos = c->chan_end[ch];
	if (c->max_pos > c->emit_pos + r->hold)
		emit_to(r, c, c->max_pos - r->hold);
}

/* RFC 4733 event (data[0..len)): mask from its start to its duration. */
static void tev_in(struct sb_rec *r, struct rec_call *c, const struct sb_rec_frame *f,
		   const uint8_t *data, unsigned len)
{
	unsigned ch = f->chan, div = f->flags & SB_REC_FRAME_CLK48 ? 6 : 1;
	uint32_t dur;
	int64_t pos;

	if (!c->mask)
		return;
	if (len < 4) {
		cnt_add(r, SB_REC_C_DROP_BAD, 1);
		return;
	}
	dur = (uint32_t)data[2] << 8 | data[3];
	if (!c->anchored[ch]) {
		pos = frame_pos(r, c, ch, f->ts, div, 0);
	} else {
		/* the event shares its stream's clock: no re-anchoring on it */
		div = c->div[ch];
		pos = c->base_pos[ch] + (int32_t)(f->ts - c->base_ts[ch]) / (int32_t)div;
	}
	if (pos < 0)
		pos = 0;
	cnt_add(r, SB_REC_C_MASK_TEV, 1);
	mask_add(r, c, ch, pos - GUARD,
		 pos + (int64_t)(dur / div) + GUARD + ((data[1] & 0x80) ? 0 : TEV_OPEN));
}

/* A captured packet (struct sb_rec_pkt + bytes) of a pcap recording. */
static void pkt_in(struct sb_rec *r, struct rec_call *c, unsigned ch, const uint8_t *data,
		   unsigned len)
{
	struct sb_rec_pkt pk;
	size_t n;

	if (len < sizeof(pk)) {
		cnt_add(r, SB_REC_C_DROP_BAD, 1);
		return;
	}
	memcpy(&pk, data, sizeof(pk));
	if (pk.cap_len > len - sizeof(pk))
		pk.cap_len = (uint16_t)(len - sizeof(pk));
	if (pk.cap_len > SB_REC_SNAPLEN)
		pk.cap_len = SB_REC_SNAPLEN;
	if (pk.orig_len < pk.cap_len)
		pk.orig_len = pk.cap_len;
	if (c->pk_first == 0 && c->pk_last == 0)
		c->pk_first = c->pk_seg = pk.time_ns;
	if (pk.time_ns > c->pk_last)
		c->pk_last = pk.time_ns;
	n = rec_pcapng_epb(r->scratch, ch, &pk, data + sizeof(pk));
	out_append(r, c, r->scratch, n);
	cnt_add(r, SB_REC_C_PKTS, 1);
	if (pk.time_ns >= c->pk_seg + c->seg * NS_PER_SAMPLE) {
		c->pk_seg = pk.time_ns;
		flush_begin(r, c, false);
	}
}

static void payload_in(struct sb_rec *r, struct rec_call *c, const struct sb_rec_frame *f,
		       const uint8_t *data, unsigned len)
{
	if ((c->kind == K_PCAP) != (f->codec == SB_REC_PKT)) {
		if (c->kind == K_PCAP && f->codec == SB_REC_TEV)
			return; /* a capture has the event packets themselves */
		cnt_add(r, SB_REC_C_DROP_BAD, 1);
		return;
	}
	if (f->codec == SB_REC_PKT)
		pkt_in(r, c, f->chan, data, len);
	else if (f->codec == SB_REC_TEV)
		tev_in(r, c, f, data, len);
	else
		audio_in(r, c, f, data, len);
}

static void frame_in(struct sb_rec *r, const struct sb_rec_frame *f)
{
	struct rec_call *c;
	unsigned ch = f->chan;

	if (ch > SB_REC_SUPER || f->len == 0 || f->len > SB_REC_PAYLOAD_MAX ||
	    (f->codec != SB_REC_PCMU && f->codec != SB_REC_PCMA && f->codec != SB_REC_OPUS &&
	     f->codec != SB_REC_TEV && f->codec != SB_REC_PKT) ||
	    ((f->flags & (SB_REC_FRAME_MORE | SB_REC_FRAME_CONT)) &&
	     (f->codec == SB_REC_PCMU || f->codec == SB_REC_PCMA))) {
		cnt_add(r, SB_REC_C_DROP_BAD, 1);
		return;
	}
	c = call_find(r, f->call_id);
	if (c == NULL || c->state != CS_OPEN) {
		cnt_add(r, SB_REC_C_DROP_NO_CALL, 1);
		return;
	}
	if (c->asm_on && !(f->flags & SB_REC_FRAME_CONT)) {
		/* the rest of the last payload never came (full ring) */
		cnt_add(r, SB_REC_C_DROP_BAD, 1);
		c->asm_on = false;
	}
	if (f->flags & SB_REC_FRAME_CONT) {
		if (!c->asm_on || f->chan != c->asm_first.chan || f->codec != c->asm_first.codec) {
			cnt_add(r, SB_REC_C_DROP_BAD, 1);
			c->asm_on = false;
			return;
		}
	} else if (f->flags & SB_REC_FRAME_MORE) {
		c->asm_on = true;
		c->asm_bad = false;
		c->asm_len = 0;
		memcpy(&c->asm_first, f, offsetof(struct sb_rec_frame, payload));
	} else {
		payload_in(r, c, f, f->payload, f->len);
		return;
	}
	if (c->asm_len + f->len > SB_REC_ASM_MAX)
		c->asm_bad = true;
	else
		memcpy(c->asm_buf + c->asm_len, f->payload, f->len);
	c->asm_len = (uint16_t)(c->asm_len + (c->asm_bad ? 0 : f->len));
	if (f->flags & SB_REC_FRAME_MORE)
		return;
	c->asm_on = false;
	if (c->asm_bad)
		cnt_add(r, SB_REC_C_DROP_BAD, 1);
	else
		payload_in(r, c, &c->asm_first, c->asm_buf, c->asm_len);
}

/* ---- commands ---- */

static void call_open(struct sb_rec *r, const struct rec_cmd *cmd)
{
	char part[SB_REC_PATH_MAX + 8];
	struct rec_call *c;
	uint32_t slot;
	int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;

	if (call_find(r, cmd->call_id) != NULL)
		return; /* already recording: a repeated start is harmless */
	if (r->ncall_free == 0) {
		struct rec_call tmp = { .id = cmd->call_id };

		memcpy(tmp.path, cmd->path, sizeof(tmp.path));
		cnt_add(r, SB_REC_C_CALL_TABLE_FULL, 1);
		ev_push(r, SB_REC_EV_OPEN_FAILED, &tmp, -EMFILE);
		return;
	}
	slot = r->call_free[--r->ncall_free];
	c = &r->calls[slot];
	{
		uint8_t *win = c->win, *hdr = c->hdr, *asm_buf = c->asm_buf;
		int16_t *sup = c->sup;

		memset(c, 0, sizeof(*c));
		c->win = win;
		c->sup = sup;
		c->hdr = hdr;
		c->asm_buf = asm_buf;
	}
	c->id = cmd->call_id;
	c->state = CS_OPEN;
	c->fmt = (uint16_t)cmd->fmt;
	c->mask = cmd->flags & SB_REC_OPT_MASK_DTMF;
	c->kind = cmd->fmt == SB_REC_FMT_MONO ? K_MONO :
		  cmd->fmt == SB_REC_FMT_OPUS || cmd->fmt == SB_REC_FMT_OPUS_MONO ? K_OPUS :
		  cmd->fmt == SB_REC_FMT_PCAP ? K_PCAP : K_WAV;
	/* the window: the file's own bytes for a stereo WAV, else PCM16 */
	c->bps = cmd->fmt == SB_REC_FMT_ULAW || cmd->fmt == SB_REC_FMT_ALAW ? 1 : 2;
	c->wfb = (uint8_t)(2 * c->bps);
	c->fb = c->kind == K_WAV ? c->wfb : c->kind == K_MONO ? 2 : 1;
	c->sil = cmd->fmt == SB_REC_FMT_ULAW ? 0xff : cmd->fmt == SB_REC_FMT_ALAW ? 0xd5 : 0;
	for (unsigned ch = 0; ch < SB_REC_CHANS; ch++) {
		sb_dtmf_ib_init(&c->ib[ch]);
		c->mask_from[ch] = c->mask_to[ch] = -1;
	}
	c->cur = NOBUF;
	c->seg = cmd->seg_ms != 0 ? (uint64_t)cmd->seg_ms * (SB_REC_RATE / 1000) : r->seg;
	c->seg_next = c->seg;
	c->file_off = SB_REC_HDR_SIZE;
	c->fail_off = UINT64_MAX;
	c->synced_end = SB_REC_HDR_SIZE;
	memcpy(c->path, cmd->path, sizeof(c->path));
	memset(c->win, c->sil, (size_t)(r->wmask + 1) * c->wfb);
	memset(c->sup, 0, (size_t)(r->wmask + 1) * sizeof(int16_t));
	hash_insert(r, c->id, slot);
	__atomic_store_n(&r->open, r->open + 1, __ATOMIC_RELAXED);
	cnt_add(r, SB_REC_C_CALLS_OPENED, 1);

	/* one synchronous open per call, on the recorder thread, never on
	 * a worker */
	snprintf(part, sizeof(part), "%s.part", c->path);
	if (r->cfg.o_direct) {
		c->fd = open(part, flags | O_DIRECT, 0644);
		if (c->fd >= 0)
			c->direct = true;
		else if (errno == EINVAL)
			cnt_add(r, SB_REC_C_DIRECT_FALLBACK, 1);
	}
	if (!c->direct)
		c->fd = open(part, flags, 0644);
	if (c->fd < 0) {
		c->err = -errno;
		cnt_add(r, SB_REC_C_OPEN_FAILED, 1);
		ev_push(r, SB_REC_EV_OPEN_FAILED, c, c->err);
		return; /* the call stays in the table: its share is 0 */
	}
	/* a valid (empty) file from the first moment */
	if (c->kind == K_OPUS) {
		int err = 0;
		opus_int32 la = 0;

		c->och = cmd->fmt == SB_REC_FMT_OPUS ? 2 : 1;
		/* VoIP at 8 kHz: 16 kbit/s mono; stereo 48 kbit/s, as below that
		 * (and at complexity 2) the joint stereo coding leaks one side
		 * into the other by more than -20 dB (rec_formats and
		 * rec_crash_stream check 100:1).  Complexity 2: ~37 % less CPU
		 * than 5 (record_bench) for narrowband speech */
		c->enc = opus_encoder_create(SB_REC_RATE, c->och, OPUS_APPLICATION_VOIP, &err);
		if (c->enc == NULL ||
		    opus_encoder_ctl(c->enc, OPUS_SET_BITRATE(c->och == 2 ? 48000 : 16000)) != OPUS_OK ||
		    opus_encoder_ctl(c->enc, OPUS_SET_COMPLEXITY(2)) != OPUS_OK ||
		    opus_encoder_ctl(c->enc, OPUS_GET_LOOKAHEAD(&la)) != OPUS_OK ||
		    ogg_stream_init(&c->os, (int)(h32(c->id) ^ (uint32_t)time(NULL))) != 0) {
			c->err = -ENOMEM;
			call_fail(r, c, -ENOMEM, SB_REC_EV_WRITE_FAILED);
			return;
		}
		c->os_init = true;
		c->preskip = (uint32_t)la * (48000 / SB_REC_RATE);
		if (rec_ogg_header(c->hdr, &c->os, c->och, c->preskip) < 0) {
			call_fail(r, c, -EINVAL, SB_REC_EV_WRITE_FAILED);
			return;
		}
	} else if (c->kind == K_PCAP) {
		rec_pcapng_header(c->hdr);
	} else {
		sb_rec_wav_header(c->hdr, (enum sb_rec_fmt)c->fmt, 0);
	}
	submit_write(r, c, NOBUF, ALIGN);
	ev_push(r, SB_REC_EV_OPENED, c, 0);
}

static void call_close_begin(struct sb_rec *r, struct rec_call *c)
{
	c->stop_pending = false;
	emit_to(r, c, c->max_pos);
	opus_finish(r, c);
	c->state = CS_CLOSING;
	r->closing++;
	call_progress(r, c);
}

/* ---- the loop ---- */

unsigned sb_rec_prod_count(struct sb_rec *r, unsigned p)
{
	return p < r->cfg.nprod ? sb_ring_count(r->prod[p].ring) : 0;
}

unsigned sb_rec_poll(struct sb_rec *r)
{
	return sb_rec_poll_bounded(r, NULL);
}

unsigned sb_rec_poll_bounded(struct sb_rec *r, const uint32_t *limit)
{
	struct rec_cmd cmds[16];
	struct sb_rec_frame fr[FRAME_BURST];
	struct rec_call *stops[16];
	unsigned work = reap(r), ncmd, nstop = 0;

	ncmd = sb_ring_dequeue_burst(r->cmd, cmds, 16);
	work += ncmd;
	for (unsigned i = 0; i < ncmd; i++) {
		struct rec_call *c;

		if (cmds[i].op == CMD_START) {
			call_open(r, &cmds[i]);
		} else if ((c = call_find(r, cmds[i].call_id)) != NULL &&
			   c->state == CS_OPEN && !c->stop_pending) {
			/* after this pass's frames: they may belong to it */
			c->stop_pending = true;
			stops[nstop++] = c;
		}
	}
	for (unsigned p = 0; p < r->cfg.nprod; p++) {
		/* bounded per ring per pass so one busy worker cannot starve
		 * completions */
		unsigned left = limit != NULL ? limit[p] : 8 * FRAME_BURST;

		for (unsigned round = 0; round < 8 && left > 0; round++) {
			unsigned n = sb_ring_dequeue_burst(r->prod[p].ring, fr,
							   left < FRAME_BURST ? left : FRAME_BURST);

			left -= n;
			for (unsigned i = 0; i < n; i++)
				frame_in(r, &fr[i]);
			cnt_add(r, SB_REC_C_FRAMES, n);
			work += n;
			if (n < FRAME_BURST)
				break;
		}
	}
	for (unsigned i = 0; i < nstop; i++)
		call_close_begin(r, stops[i]);
	if (io_uring_sq_ready(&r->ring) > 0) {
		io_uring_submit(&r->ring);
		cnt_add(r, SB_REC_C_SUBMITS, 1);
	}
	return work;
}

int sb_rec_drain(struct sb_rec *r, unsigned timeout_ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		unsigned w = sb_rec_poll(r);

		if (w == 0 && r->closing == 0 && r->inflight == 0 && sb_ring_count(r->cmd) == 0)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > timeout_ms)
			return -ETIMEDOUT;
		if (w == 0 && r->inflight > 0) {
			struct io_uring_cqe *cqe;
			struct __kernel_timespec ts = { .tv_nsec = 1000000 };

			io_uring_wait_cqe_timeout(&r->ring, &cqe, &ts);
		}
	}
}

static void *rec_thread(void *arg)
{
	struct sb_rec *r = arg;

	while (atomic_load_explicit(&r->run, memory_order_acquire)) {
		if (sb_rec_poll(r) == 0) {
			struct timespec ts = { .tv_nsec = 1000000 };

			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

int sb_rec_thread_start(struct sb_rec *r)
{
	int rc;

	if (r->thr_started)
		return -EALREADY;
	atomic_store(&r->run, true);
	rc = pthread_create(&r->thr, NULL, rec_thread, r);
	if (rc != 0)
		return -rc;
	r->thr_started = true;
	return 0;
}

void sb_rec_thread_stop(struct sb_rec *r)
{
	if (!r->thr_started)
		return;
	atomic_store(&r->run, false);
	pthread_join(r->thr, NULL);
	r->thr_started = false;
}

/* ---- control side ---- */

static int cmd_push(struct sb_rec *r, const struct rec_cmd *cmd)
{
	return sb_ring_enqueue_bulk(r->cmd, cmd, 1) ? 0 : -EAGAIN;
}

int sb_rec_start(struct sb_rec *r, uint32_t call_id, const char *path, enum sb_rec_fmt fmt)
{
	return sb_rec_start_seg(r, call_id, path, fmt, 0);
}

int sb_rec_start_seg(struct sb_rec *r, uint32_t call_id, const char *path,
		     enum sb_rec_fmt fmt, unsigned segment_ms)
{
	return sb_rec_start_opts(r, call_id, path, fmt, segment_ms, 0);
}

int sb_rec_start_opts(struct sb_rec *r, uint32_t call_id, const char *path,
		      enum sb_rec_fmt fmt, unsigned segment_ms, unsigned flags)
{
	struct rec_cmd cmd = { .op = CMD_START, .call_id = call_id, .fmt = fmt,
			       .seg_ms = segment_ms, .flags = flags };
	size_t l = strlen(path);

	if (sb_rec_fmt_name(fmt) == NULL || (flags & ~SB_REC_OPT_MASK_DTMF) ||
	    ((flags & SB_REC_OPT_MASK_DTMF) && fmt == SB_REC_FMT_PCAP))
		return -EINVAL;
	if (segment_ms != 0 && segment_ms < 100)
		return -EINVAL;
	if (l == 0 || l >= sizeof(cmd.path))
		return -ENAMETOOLONG;
	memcpy(cmd.path, path, l + 1);
	return cmd_push(r, &cmd);
}

int sb_rec_stop(struct sb_rec *r, uint32_t call_id)
{
	struct rec_cmd cmd = { .op = CMD_STOP, .call_id = call_id };

	return cmd_push(r, &cmd);
}

struct sb_rec_prod *sb_rec_prod(struct sb_rec *r, unsigned i)
{
	return i < r->cfg.nprod ? &r->prod[i] : NULL;
}

/* ---- create / free ---- */

static struct sb_ring *ring_new(struct sb_rec *r, unsigned k, uint32_t slots, uint32_t esz)
{
	size_t sz = sb_ring_memsize(slots, esz);
	void *m = NULL;

	if (sz == 0 || posix_memalign(&m, SB_CACHE_LINE, sz) != 0)
		return NULL;
	sb_ring_init(m, slots, esz);
	r->ring_mem[k] = m;
	return m;
}

/* sb_rec_create's unwind and sb_rec_free (which the compiler pairs with
 * the create only, so the create cannot call it) */
static void rec_destroy(struct sb_rec *r)
{
	sb_rec_thread_stop(r);
	if (r->calls != NULL)
		for (unsigned i = 0; i < r->cfg.max_calls; i++) {
			if (r->calls[i].state != CS_FREE && r->calls[i].fd >= 0)
				close(r->calls[i].fd); /* left as .part, like a crash */
			codec_free(&r->calls[i]);
		}
	if (r->ring.ring_fd > 0)
		io_uring_queue_exit(&r->ring); /* waits for what is in flight */
	if (r->prod != NULL)
		for (unsigned i = 0; i < r->cfg.nprod; i++)
			free(r->prod[i].ring);
	free(r->prod);
	for (unsigned i = 0; i < 2; i++)
		free(r->ring_mem[i]);
	free(r->calls);
	free(r->call_free);
	free(r->hash);
	free(r->bufs);
	free(r->buf_free);
	free(r->pool);
	free(r->hdr_slab);
	free(r->win_slab);
	free(r->sup_slab);
	free(r->asm_slab);
	free(r);
}

void sb_rec_free(struct sb_rec *r)
{
	if (r != NULL)
		rec_destroy(r);
}

struct sb_rec *sb_rec_create(const struct sb_rec_cfg *cfg_in)
{
	struct io_uring_params p;
	struct sb_rec_cfg cfg = *cfg_in;
	struct iovec *iov = NULL;
	struct sb_rec *r;
	unsigned W;
	int rc;

	if (cfg.segment_ms == 0)
		cfg.segment_ms = 60000;
	if (cfg.hold_ms == 0)
		cfg.hold_ms = 200;
	if (cfg.sq_entries == 0)
		cfg.sq_entries = 256;
	if (cfg.nprod == 0 || cfg.max_calls == 0 || cfg.max_calls > (1u << 24) ||
	    cfg.nbufs == 0 || cfg.buf_size == 0 || cfg.buf_size % ALIGN != 0 ||
	    sb_ring_memsize(cfg.ring_slots, sizeof(struct sb_rec_frame)) == 0 ||
	    cfg.hold_ms > 2000 || cfg.segment_ms < 100) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->cfg = cfg;
	r->hold = cfg.hold_ms * (SB_REC_RATE / 1000);
	r->seg = cfg.segment_ms * (SB_REC_RATE / 1000);
	/* room for the hold plus a jittered frame on either side */
	W = pow2_ge(2 * (r->hold + 2 * SB_REC_PAYLOAD_MAX));
	r->wmask = W - 1;
	r->hmask = pow2_ge(2 * cfg.max_calls) - 1;

	r->prod = aligned_alloc(SB_CACHE_LINE, cfg.nprod * sizeof(*r->prod));
	r->calls = calloc(cfg.max_calls, sizeof(*r->calls));
	r->call_free = calloc(cfg.max_calls, sizeof(uint32_t));
	r->hash = calloc(r->hmask + 1, sizeof(uint32_t));
	r->bufs = calloc(cfg.nbufs, sizeof(*r->bufs));
	r->buf_free = calloc(cfg.nbufs, sizeof(uint32_t));
	r->win_slab = malloc((size_t)cfg.max_calls * W * 4);
	r->sup_slab = malloc((size_t)cfg.max_calls * W * sizeof(int16_t));
	r->asm_slab = malloc((size_t)cfg.max_calls * SB_REC_ASM_MAX);
	if (r->asm_slab == NULL || r->prod == NULL || r->calls == NULL || r->call_free == NULL || r->hash == NULL ||
	    r->bufs == NULL || r->buf_free == NULL || r->win_slab == NULL || r->sup_slab == NULL ||
	    posix_memalign((void **)&r->pool, ALIGN, (size_t)cfg.nbufs * cfg.buf_size) != 0 ||
	    posix_memalign((void **)&r->hdr_slab, ALIGN, (size_t)cfg.max_calls * ALIGN) != 0)
		goto out_nomem;
	memset(r->prod, 0, cfg.nprod * sizeof(*r->prod));
	for (unsigned i = 0; i < cfg.nprod; i++) {
		size_t sz = sb_ring_memsize(cfg.ring_slots, sizeof(struct sb_rec_frame));
		void *m = NULL;

		if (posix_memalign(&m, SB_CACHE_LINE, sz) != 0)
			goto out_nomem;
		sb_ring_init(m, cfg.ring_slots, sizeof(struct sb_rec_frame));
		r->prod[i].ring = m;
	}
	r->cmd = ring_new(r, 0, CMD_SLOTS, sizeof(struct rec_cmd));
	r->ev = ring_new(r, 1, EV_SLOTS, sizeof(struct sb_rec_event));
	if (r->cmd == NULL || r->ev == NULL)
		goto out_nomem;
	for (unsigned i = 0; i < cfg.max_calls; i++) {
		r->calls[i].win = r->win_slab + (size_t)i * W * 4;
		r->calls[i].sup = r->sup_slab + (size_t)i * W;
		r->calls[i].hdr = r->hdr_slab + (size_t)i * ALIGN;
		r->calls[i].asm_buf = r->asm_slab + (size_t)i * SB_REC_ASM_MAX;
		r->calls[i].fd = -1;
		r->call_free[i] = cfg.max_calls - 1 - i;
	}
	r->ncall_free = cfg.max_calls;
	for (unsigned i = 0; i < cfg.nbufs; i++) {
		r->bufs[i].data = r->pool + (size_t)i * cfg.buf_size;
		r->buf_free[i] = cfg.nbufs - 1 - i;
	}
	r->nbuf_free = cfg.nbufs;

	/* every request that can be in flight fits in the CQ: one write per
	 * buffer, a header write and a sync + header pair per call */
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = pow2_ge(cfg.nbufs + 3 * cfg.max_calls + cfg.sq_entries);
	rc = io_uring_queue_init_params(cfg.sq_entries, &r->ring, &p);
	if (rc < 0) {
		r->ring.ring_fd = -1;
		free(iov);
		rec_destroy(r);
		errno = -rc;
		return NULL;
	}
	if (!cfg.no_fixed) {
		iov = calloc(cfg.nbufs + 1, sizeof(*iov));
		if (iov == NULL)
			goto out_nomem;
		for (unsigned i = 0; i < cfg.nbufs; i++)
			iov[i] = (struct iovec){ r->bufs[i].data, cfg.buf_size };
		iov[cfg.nbufs] = (struct iovec){ r->hdr_slab, (size_t)cfg.max_calls * ALIGN };
		/* pinned memory may be refused (RLIMIT_MEMLOCK): plain writes then */
		r->fixed = io_uring_register_buffers(&r->ring, iov, cfg.nbufs + 1) == 0;
		free(iov);
	}
	return r;

out_nomem:
	free(iov);
	rec_destroy(r);
	errno = ENOMEM;
	return NULL;
}

bool sb_rec_fixed_buffers(const struct sb_rec *r)
{
	return r->fixed;
}
