/* SPDX-License-Identifier: MIT */
/*
 * sb/prompt.h — prompts and music on hold: a store of prompts converted
 * once, at load, into every format the deployment uses, and a per-leg
 * player that hands the worker the next 20 ms payload.
 *
 * Load (control side, slow path): sb_prompt_load() parses a WAV file
 * (sb/wav.h), decodes it to linear, resamples it with libspeexdsp (load
 * time only) to each rate in use, encodes each format of the store's mask
 * and keeps the result as immutable 20 ms frames, the last one padded with
 * silence.  Every format of one prompt has the same number of frames.
 *
 * Play (worker, per frame): a struct sb_prompt_player is a fixed-size
 * part of the leg (or conference slot).  sb_prompt_player_start() takes a
 * reference on the prompt; sb_prompt_player_next() returns a pointer into
 * the prompt's frames (no copy, no allocation, no lock, no syscall), the
 * payload length and the RTP timestamp advance; at the end of a once-play
 * it drops the reference and reports a done event.  Many legs play one
 * prompt through the same frames: players hold pointers, the prompt is
 * reference counted, and a prompt unloaded while playing stays alive until
 * its last player stops (then it is freed by whoever drops the last
 * reference: a worker, at stop or done, not per frame).
 *
 * Threads: the store's table has a mutex taken by load, unload and
 * sb_prompt_get() only (commands, never per frame); sb_prompt_put() and the
 * player need no lock (the reference count is atomic).  A player belongs to
 * one thread.
 *
 * Opus (not stored): an Opus leg plays the S16_8K frames, encoded per
 * frame on the worker by the encoder that already makes the leg's stream
 * (dataplane/dpprompt.c): pre-encoded Opus would have to exist once per
 * bitrate, complexity, FEC and DTX setting, and would restart the leg's
 * encoder state at every prompt.
 */
#ifndef SB_PROMPT_H
#define SB_PROMPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sb/wav.h"

#define SB_PROMPT_FRAME_MS 20u
#define SB_PROMPT_MAX_MS   (30u * 60u * 1000u)  /* longer files: -EFBIG */

/* Stored formats.  L16 is the RTP payload (RFC 3551: network byte
 * order); S16 is host-order int16 for sb/mix.h inputs and encoders. */
#define SB_PROMPT_FMTS(_)                       \
	_(PCMU,    8000,  160, 1)               \
	_(PCMA,    8000,  160, 1)               \
	_(L16_8K,  8000,  320, 2)               \
	_(L16_16K, 16000, 640, 2)               \
	_(L16_48K, 48000, 1920, 2)              \
	_(S16_8K,  8000,  320, 2)               \
	_(S16_16K, 16000, 640, 2)               \
	_(S16_48K, 48000, 1920, 2)

enum sb_prompt_fmt {
#define _(n, r, b, s) SB_PROMPT_##n,
	SB_PROMPT_FMTS(_)
#undef _
	SB_PROMPT_FMT_N
};
#define SB_PROMPT_FMT_BIT(f) (1u << (f))
#define SB_PROMPT_FMT_ALL    ((1u << SB_PROMPT_FMT_N) - 1u)

unsigned sb_prompt_fmt_rate(enum sb_prompt_fmt f);        /* Hz; 0 if unknown */
unsigned sb_prompt_fmt_frame_bytes(enum sb_prompt_fmt f); /* payload of 20 ms; 0 if unknown */
const char *sb_prompt_fmt_name(enum sb_prompt_fmt f);     /* "PCMU"; NULL if unknown */

struct sb_prompt_store;
struct sb_prompt;

void sb_prompt_store_free(struct sb_prompt_store *s);  /* NULL ok; unloads all */
/* fmt_mask: SB_PROMPT_FMT_BIT()s of the formats in use (never 0);
 * max_prompts: ids 0..max_prompts-1.  NULL + errno (EINVAL, ENOMEM). */
struct sb_prompt_store *sb_prompt_store_create(uint32_t fmt_mask, uint32_t max_prompts)
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
	__attribute__((malloc, malloc(sb_prompt_store_free, 1)))  /* gcc checks the pairing */
#endif
	;

/* Load a WAV file held in buf under id (control's number).  w (may be
 * NULL) gets the parse result and, on a refused file, the reason.
 *   -EINVAL / -ENOTSUP  the file (w->err says what), or id >= max_prompts
 *   -EFBIG              longer than SB_PROMPT_MAX_MS
 *   -EEXIST             id already loaded (unload first)
 *   -ENOMEM             out of memory, or the resampler could not start */
int sb_prompt_load(struct sb_prompt_store *s, uint32_t id, const uint8_t *buf, size_t len,
		   struct sb_wav *w);
/* The same from a file: also -errno of open/read. */
int sb_prompt_load_file(struct sb_prompt_store *s, uint32_t id, const char *path,
			struct sb_wav *w);
/* Forget id (-ENOENT if not loaded); players keep what they hold. */
int sb_prompt_unload(struct sb_prompt_store *s, uint32_t id);

/* A reference on id's prompt, or NULL if none is loaded. */
struct sb_prompt *sb_prompt_get(struct sb_prompt_store *s, uint32_t id);
void sb_prompt_put(struct sb_prompt *p);      /* frees at zero; NULL ok */
#define sb_prompt_release(pp) do { sb_prompt_put(*(pp)); *(pp) = NULL; } while (0)

uint32_t sb_prompt_id(const struct sb_prompt *p);
uint32_t sb_prompt_frames(const struct sb_prompt *p);    /* 20 ms frames, every format */
uint32_t sb_prompt_refs(const struct sb_prompt *p);      /* references now (tests, stats) */
bool sb_prompt_has_fmt(const struct sb_prompt *p, enum sb_prompt_fmt f);
/* Frame i of format f (NULL if out of range or not stored). */
const uint8_t *sb_prompt_frame(const struct sb_prompt *p, enum sb_prompt_fmt f, uint32_t i);

/* Bytes of prompt memory alive (loaded, or unloaded but still played). */
uint64_t sb_prompt_store_bytes(const struct sb_prompt_store *s);
uint32_t sb_prompt_store_count(const struct sb_prompt_store *s); /* prompts alive */

/* ---- player (per leg, fixed size, one thread) ---- */

/* (PLAY_: SB_PROMPT_LOOP is the ring ABI's flag, sb/dp_abi.h) */
enum sb_prompt_mode { SB_PROMPT_PLAY_ONCE = 0, SB_PROMPT_PLAY_LOOP = 1 };
enum sb_prompt_ev_kind { SB_PROMPT_EV_DONE = 1, SB_PROMPT_EV_STOPPED = 2 };

/* Reported to control through the event ring (fixed layout, 16 bytes). */
struct sb_prompt_ev {
	uint32_t prompt_id;
	uint32_t tag;      /* the player's tag: control's leg or conference slot */
	uint32_t frames;   /* 20 ms frames played since start */
	uint8_t  kind;     /* enum sb_prompt_ev_kind */
	uint8_t  mode;     /* enum sb_prompt_mode */
	uint16_t loops;    /* LOOP: completed passes (saturates) */
};
_Static_assert(sizeof(struct sb_prompt_ev) == 16, "event ring layout: bump SB_DP_ABI");

struct sb_prompt_frame {
	const uint8_t *data;   /* into the prompt: valid until the next call on the player */
	uint16_t len;          /* payload bytes */
	uint16_t ts_step;      /* RTP timestamp advance after this frame (samples) */
	uint32_t index;        /* frame number within the prompt */
};

struct sb_prompt_player {
	struct sb_prompt *p;   /* our reference; NULL when idle */
	const uint8_t *base;   /* frames of the chosen format */
	uint32_t n_frames;
	uint32_t pos;          /* next frame */
	uint32_t played;
	uint32_t tag;
	uint16_t frame_bytes;
	uint16_t ts_step;
	uint16_t loops;
	uint8_t  mode;
	uint8_t  state;        /* idle / playing / finishing (last frame out) */
};

enum { SB_PROMPT_IDLE = 0, SB_PROMPT_FRAME = 1, SB_PROMPT_DONE = 2 };

void sb_prompt_player_init(struct sb_prompt_player *pl);
/* Play p (the player takes the caller's reference on success; on error
 * the caller still owns it) in format f, once or looped; tag is echoed in
 * events.  A player already playing is stopped first: returns 1 and
 * fills *ev (STOPPED, or DONE if it had finished), else 0.
 *   -EINVAL  unknown format or mode; -ENOENT  p lacks format f */
int sb_prompt_player_start(struct sb_prompt_player *pl, struct sb_prompt *p,
			   enum sb_prompt_fmt f, enum sb_prompt_mode mode, uint32_t tag,
			   struct sb_prompt_ev *ev);
/* Per 20 ms tick.  SB_PROMPT_FRAME: *fr is the next payload.
 * SB_PROMPT_DONE: a once-play ended (its last frame went out on the
 * previous call); the reference is dropped and *ev filled.  SB_PROMPT_IDLE:
 * nothing playing.  A loop wraps from the last frame to the first with no
 * gap. */
int sb_prompt_player_next(struct sb_prompt_player *pl, struct sb_prompt_frame *fr,
			  struct sb_prompt_ev *ev);
/* Stop now: 1 and *ev filled (STOPPED; DONE if the last frame was already
 * out), or 0 when idle.  Drops the reference. */
int sb_prompt_player_stop(struct sb_prompt_player *pl, struct sb_prompt_ev *ev);
static inline bool sb_prompt_player_is_playing(const struct sb_prompt_player *pl)
{
	return pl->p != NULL;
}

#endif
