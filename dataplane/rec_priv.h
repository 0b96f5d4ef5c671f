/* SPDX-License-Identifier: MIT */
/*
 * rec_priv.h — layouts shared by rectap.c (worker side) and recthr.c
 * (recorder thread).  Not for anyone else.
 */
#ifndef SB_DP_REC_PRIV_H
#define SB_DP_REC_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sb/rec.h"
#include "sb/ring.h"

#include "rectap.h"

#define REQ_SLOTS  256u  /* worker -> recorder requests, per worker */
#define EVQ_SLOTS  256u  /* recorder -> worker events, per worker */
#define REQ_BURST  16u   /* requests taken per recorder pass, all workers */
#define MAP_NONE   UINT32_MAX
/* leg_map[leg] = slot << MAP_CH_BITS | enum sb_rec_chan */
#define MAP_CH_BITS 2u
#define MAP_CH_MASK 3u

enum { REQ_START = 1, REQ_STOP = 2 };

/* worker -> recorder */
struct dprec_req {
	uint32_t op, rec_id;
	uint32_t fmt;    /* enum sb_rec_fmt */
	uint32_t seg_ms;
	uint32_t leg, leg_gen; /* caller leg: the events' h.leg */
	uint32_t flags, pad;   /* SB_REC_OPT_* */
	char path[SB_REC_REL_PATH_MAX];
};
_Static_assert(sizeof(struct dprec_req) % 8 == 0, "ring element");

enum { SLOT_FREE = 0, SLOT_ON, SLOT_CLOSING };

/* One recording on a worker (worker-private). */
struct dprec_slot {
	uint32_t rec_id;
	uint32_t leg[SB_REC_CHANS], gen[SB_REC_CHANS]; /* SB_LEG_NONE: detached (or no supervisor) */
	uint8_t state;
	uint8_t paused;
	uint8_t stop_pending;    /* stop could not be queued yet: retried by the poll */
	uint8_t pcap : 1;        /* pcapng: the packets, not the audio */
	uint8_t mask : 1;        /* DTMF masking: telephone-event payloads go too */
	uint64_t frames;         /* pushed */
	uint64_t drop_full;      /* ring full */
};

/* Per worker: written by that worker only (but the rings' other ends). */
struct dprec_w {
	struct sb_dprec *d;
	struct sb_rec_prod *prod;
	struct sb_ring *req;     /* worker -> recorder */
	struct sb_ring *evq;     /* recorder -> worker */
	struct dprec_slot *slot; /* [max_recs] */
	uint64_t skipped;        /* packets not recorded: not G.711 or malformed */
	uint64_t wall_off;       /* CLOCK_REALTIME - CLOCK_MONOTONIC (ns) at create: pcap times */
};

/* Recorder thread's map rec_id -> owner (recorder-private). */
struct dprec_own {
	uint32_t rec_id;
	uint16_t worker;
	uint8_t used;
	uint8_t open_failed; /* libsbrec never took it: synthesize DONE at stop */
	uint32_t leg, leg_gen;
	int32_t err;
	char path[SB_REC_REL_PATH_MAX];
};

struct sb_dprec {
	struct sb_dprec_cfg cfg;
	char dir[SB_REC_PATH_MAX];
	struct sb_rec *rec;
	uint32_t *leg_map;       /* [max_legs]: slot << 1 | channel; each worker writes its legs' */
	struct dprec_w w[SB_MAX_WORKERS];
	struct dprec_own *own;   /* [max_recs * n_workers] */
	unsigned n_own;
	pthread_t thr;
	bool thr_started;
	_Atomic int run;
	_Atomic int final;       /* destroy: stop everything, then exit */
	_Atomic int recovered;   /* recovery pass done */
	void *mem[2 * SB_MAX_WORKERS];
};

#endif /* SB_DP_REC_PRIV_H */
