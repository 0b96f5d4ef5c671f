/* SPDX-License-Identifier: MIT */
/*
 * media/dpdk.c — the media backend for sb-dataplane: binary commands on the
 * per-worker SP/SC command rings of the shm segment (sb/dp_abi.h), results
 * matched by req_id from the event rings, which the loop polls (every 1 ms
 * while a command is in flight, every 20 ms otherwise).  While commands are
 * in flight a timerfd also wakes the loop every FINE_POLL_US to take the
 * answers: a call set-up waits for two round trips (LEG_ADD before the
 * agent is invited, LEG_MOD + CONNECT before the caller gets its 200), and
 * the 1 ms tick alone added ~2 ms to every set-up (bench/cps).
 *
 * Only the loop thread touches this state.  Control is the single producer
 * of every command ring and the single consumer of every event ring.
 *
 * Restart.  Control keeps its own record of every leg (struct leg_rec,
 * indexed like the dataplane's table): port, worker, the expected peer from
 * SDP, the peer the dataplane learned (SB_EVT_PEER_LATCHED), flags, the leg
 * it is connected to, and counters of earlier generations.  The dataplane
 * is declared lost when its segment is STOPPED, its heartbeat is stale, its
 * pid is gone, or a new segment took the name.  Calls stay up meanwhile.
 * On re-attach:
 *   - same generation (it only stalled): nothing to redo; legs whose fate
 *     is unknown (commands failed by the loss) are deleted to be sure;
 *   - new generation: counters seen last in the old segment are folded into
 *     each leg's base, then every live leg is re-added (learned peer if any,
 *     else the expected one) and every connected pair re-connected, all ADDs
 *     before any CONNECT (same worker ring, so order holds), paced by ring
 *     room.  A leg whose re-add fails, or that does not fit a changed
 *     geometry, is reported SB_MEDIA_EV_LOST.
 *   - ABI 4 media state goes back the same way: every loaded prompt
 *     (PROMPT_LOAD) first, each leg's LEG_MEDIA (keys, codec, DTMF) right
 *     behind its ADD, then after the CONNECTs each conference member's
 *     CONF_JOIN and each looping prompt's PROMPT_PLAY (music on hold).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "media/alloc.h"
#include "media/backend.h"
#include "media/codec.h"
#include "sb/dp_shm.h"

#define PEND_N          4096u  /* in-flight commands; power of two */
#define PEND_TIMEOUT_MS 2000u
#define ATTACH_RETRY_MS 200u
#define POLL_BUSY_MS    1u
#define POLL_IDLE_MS    20u
#define FINE_POLL_US    100u   /* timerfd period while commands are in flight */
#define HEALTH_MS       100u
#define INODE_CHECK_MS  500u
#define HB_STALE_NS     2000000000ull

enum rec_state {
	REC_FREE = 0,
	REC_ALLOC,    /* index and port reserved, not (or no longer) added */
	REC_ADDING,   /* the owner's LEG_ADD is in flight */
	REC_LIVE,     /* added: must exist in whatever dataplane is attached */
	REC_DELETING, /* the owner's LEG_DEL is in flight */
	REC_ZOMBIE,   /* released by its owner while a dataplane may still hold it */
};

struct leg_rec {
	uint8_t state;        /* enum rec_state */
	uint8_t in_dp;        /* the attached generation has it (ADD answered 0) */
	uint8_t resync;       /* new generation: re-add not sent yet */
	uint8_t lost;         /* could not be brought back; owner told */
	uint8_t orphan;       /* outside the current geometry: never back to the pools */
	uint8_t maybe_in_dp;  /* an ADD or DEL was cut off by a loss: fate unknown */
	uint8_t addr;         /* local address: media_ip + addr (ABI 3 local_addr) */
	uint16_t worker;
	uint16_t port;
	uint16_t latched_port;
	uint32_t gen;
	uint32_t latched_ip;  /* learned by the dataplane; 0 = none */
	uint32_t fwd;         /* connected leg index, SB_LEG_NONE */
	uint64_t owner;       /* cookie of the owner's LEG_ADD */
	/* body of the last LEG_ADD/MOD (expected peer from SDP, flags,
	 * timeout, ...): replayed as the re-add, whatever the ABI grows */
	struct sb_cmd_leg cmd;
	struct sb_media_counters base; /* earlier generations */
	struct sb_media_counters last; /* last seen in a generation that went away */
	/* ABI 4 media state, replayed after a restart like cmd above */
	uint8_t has_media;    /* media holds the last LEG_MEDIA body */
	uint8_t rs_media;     /* new generation: LEG_MEDIA not re-sent yet */
	uint8_t in_conf;      /* member of conference conf */
	uint8_t rs_conf;      /* ... CONF_JOIN not re-sent yet */
	uint8_t looping;      /* a LOOP prompt plays on it */
	uint8_t rs_loop;      /* ... PROMPT_PLAY not re-sent yet */
	uint32_t conf, conf_mode, conf_target, conf_target_gen;
	uint32_t loop_prompt;
	struct sb_cmd_media media;
};

/* A prompt control loaded: loaded again into every new generation. */
struct prompt_rec {
	char path[SB_PROMPT_PATH_MAX];  /* "" = none */
	bool unsent;                    /* not in the attached generation yet */
};

enum pend_kind { PK_OWNER = 0, PK_RESYNC_ADD, PK_RESYNC_CONNECT, PK_CLEANUP_DEL,
		 PK_RESYNC_MEDIA, /* LEG_MEDIA / CONF_JOIN / PROMPT_PLAY re-sent */
		 PK_PROMPT_LOAD };

struct pend {
	uint32_t req_id;    /* 0 = free slot */
	uint16_t cmd;
	uint8_t kind;       /* enum pend_kind */
	uint64_t cookie;
	uint64_t deadline_ms;
	uint32_t leg, leg_gen; /* echoed by the result: a mismatch is stale */
};

struct media_dpdk {
	struct sb_media base;      /* must be first */
	struct sb_loop *loop;
	char instance[48];
	struct sb_dp_shm shm;
	bool attached;
	bool ever_attached;
	bool pid_check;            /* dp_pid is visible from here */
	uint64_t generation;       /* of the attached (or last attached) segment */
	uint64_t dead_gen;         /* lost because its pid was gone: never again */
	bool dead_gen_set;
	ino_t ino;                 /* inode of the attached segment */
	uint64_t lost_ms;          /* when it was lost; 0 = not lost */
	/* geometry the pools and records were built for */
	uint32_t g_max_legs, g_n_workers;
	uint16_t g_port_min, g_port_span;
	unsigned g_n_addrs;
	struct sb_media_alloc alloc;
	bool alloc_ok;
	uint64_t alloc_epoch;
	struct leg_rec *rec;       /* [n_rec] */
	uint32_t n_rec;
	/* re-programming after a restart */
	bool resync_on;
	unsigned resync_phase;     /* 0 = adds (+ media), 1 = connects, 2 = conferences and
				    * looping prompts, 3 = all sent */
	uint32_t resync_cursor;
	unsigned resync_inflight, resync_legs, resync_pairs, resync_calls, resync_failed;
	uint64_t resync_t0_ms;
	struct sb_timer t_attach;
	struct sb_timer t_poll;
	int fine_fd;               /* timerfd, -1 = none (the 1 ms tick only) */
	bool fine_on;
	uint64_t next_health_ms, next_inode_ms;
	char last_why[256];
	uint32_t next_req;
	unsigned n_pending;
	struct prompt_rec prompts[SB_MEDIA_PROMPTS_MAX];
	unsigned prompts_unsent;
	struct pend pend[PEND_N];
};

static struct media_dpdk *to_dp(struct sb_media *m)
{
	return (struct media_dpdk *)m;
}

static bool dp_is_ready(struct sb_media *m)
{
	return to_dp(m)->attached;
}

static uint32_t dp_media_ip(struct sb_media *m)
{
	struct media_dpdk *d = to_dp(m);
	return d->attached ? d->shm.hdr->media_ip : 0;
}

static void ctr_add(struct sb_media_counters *a, const struct sb_media_counters *b)
{
	a->rx_pkts += b->rx_pkts;
	a->rx_bytes += b->rx_bytes;
	a->tx_pkts += b->tx_pkts;
	a->tx_bytes += b->tx_bytes;
	a->rej_src += b->rej_src;
}

/* The record of a leg handle, or NULL when the handle is stale. */
static struct leg_rec *rec_of(struct media_dpdk *d, const struct sb_media_leg *leg)
{
	struct leg_rec *r;

	if (leg->idx == UINT32_MAX || leg->idx >= d->n_rec || leg->epoch != d->alloc_epoch)
		return NULL;
	r = &d->rec[leg->idx];
	if (r->state == REC_FREE || r->state == REC_ZOMBIE || r->gen != leg->gen)
		return NULL;
	return r;
}

static void rec_unlink(struct media_dpdk *d, uint32_t idx)
{
	struct leg_rec *r = &d->rec[idx];

	if (r->fwd != SB_LEG_NONE && r->fwd < d->n_rec && d->rec[r->fwd].fwd == idx)
		d->rec[r->fwd].fwd = SB_LEG_NONE;
	r->fwd = SB_LEG_NONE;
}

/* Back to the pools, record cleared. */
static void rec_release(struct media_dpdk *d, uint32_t idx)
{
	struct leg_rec *r = &d->rec[idx];

	rec_unlink(d, idx);
	if (!r->orphan && d->alloc_ok)
		sb_media_alloc_put_addr(&d->alloc, idx, r->worker, r->addr, r->port);
	memset(r, 0, sizeof(*r));
	r->fwd = SB_LEG_NONE;
}

/* The owner is done with it; a dataplane we cannot reach now may still
 * hold it: keep index and port out of the pools until we know. */
static void rec_drop(struct media_dpdk *d, uint32_t idx, bool maybe_held)
{
	struct leg_rec *r = &d->rec[idx];

	if (maybe_held) {
		rec_unlink(d, idx);
		r->state = REC_ZOMBIE;
		r->maybe_in_dp = 1;
		return;
	}
	rec_release(d, idx);
}

static void emit(struct media_dpdk *d, const struct leg_rec *r, enum sb_media_event ev)
{
	if (d->base.event)
		d->base.event(d->base.event_arg, r->owner, ev);
}

static void arm_poll(struct media_dpdk *d)
{
	if (!d->attached)
		return;
	sb_timer_arm(d->loop, &d->t_poll,
		     d->n_pending || d->resync_on ? POLL_BUSY_MS : POLL_IDLE_MS);
}

/* Start or stop the timerfd that polls the event rings every FINE_POLL_US
 * while commands are in flight (one syscall per start and stop). */
static void fine_poll(struct media_dpdk *d, bool on)
{
	struct itimerspec its = { 0 };

	if (d->fine_fd < 0 || d->fine_on == on)
		return;
	if (on)
		its.it_value.tv_nsec = its.it_interval.tv_nsec = FINE_POLL_US * 1000L;
	if (timerfd_settime(d->fine_fd, 0, &its, NULL) == 0)
		d->fine_on = on;
}

static int submit(struct media_dpdk *d, unsigned worker, union sb_msg *msg, uint64_t cookie,
		  enum pend_kind kind)
{
	uint32_t id;
	struct pend *p;

	if (!d->attached)
		return -ENOTCONN;
	if (worker >= d->shm.hdr->n_workers)
		return -EINVAL;
	do {
		id = ++d->next_req;
	} while (id == 0);
	p = &d->pend[id & (PEND_N - 1)];
	if (p->req_id) {
		d->next_req--; /* the id is not used: try it again later */
		return -EBUSY;
	}
	msg->h.req_id = id;
	if (sb_ring_enqueue_bulk(sb_dp_shm_cmd_ring(&d->shm, worker), msg, 1) != 1) {
		d->next_req--;
		return -EBUSY;
	}
	*p = (struct pend){ .req_id = id, .cmd = msg->h.type, .kind = (uint8_t)kind,
			    .cookie = cookie, .deadline_ms = sb_mono_ms() + PEND_TIMEOUT_MS,
			    .leg = msg->h.leg, .leg_gen = msg->h.leg_gen };
	d->n_pending++;
	if (d->n_pending == 1)
		sb_timer_arm(d->loop, &d->t_poll, POLL_BUSY_MS);
	fine_poll(d, true);
	return 0;
}

/* The leg's recorded command, as a ring message of that type. */
static void msg_leg(union sb_msg *msg, uint16_t type, uint32_t idx, const struct leg_rec *r)
{
	memset(msg, 0, sizeof(*msg));
	msg->leg = r->cmd;
	msg->leg.h = (struct sb_msg_hdr){ .type = type, .len = sizeof(struct sb_cmd_leg),
					  .leg = idx, .leg_gen = r->gen };
	msg->leg.local_port = r->port;
	msg->leg.worker = r->worker;
	/* ABI 3: the leg's (address, port) pair, from the allocator that
	 * spreads legs over the dataplane's --media-addrs */
	msg->leg.local_addr = r->addr;
}

/* Record what the owner asked for a leg (LEG_ADD or LEG_MOD), with what
 * SDP negotiated for it (RTCP mux and port, payload-type map; SRTP keys
 * go in LEG_MEDIA: leg_media). */
static void rec_set_cmd(struct media_dpdk *d, struct leg_rec *r, const struct sb_media_leg *leg,
			uint32_t peer_ip, uint16_t peer_port, uint32_t flags, uint32_t call_no)
{
	_Static_assert(SB_MEDIA_MAX_PT == SB_PT_MAP_MAX, "pt map sizes differ");
	memset(&r->cmd, 0, sizeof(r->cmd));
	r->cmd.peer_ip = peer_ip;
	r->cmd.peer_port = peer_port;
	r->cmd.flags = (flags & SB_MEDIA_F_LATCH ? SB_LEG_F_LATCH : 0) |
		       (flags & SB_MEDIA_F_STRICT ? SB_LEG_F_STRICT : 0) |
		       (leg->sdp.rtcp_mux ? SB_LEG_F_RTCP_MUX : 0);
	r->cmd.call_id = call_no;
	r->cmd.timeout_ms = d->base.timeout_ms;
	r->cmd.peer_rtcp_port = leg->sdp.peer_rtcp_port;
	for (unsigned i = 0; i < leg->sdp.n_pt && i < SB_PT_MAP_MAX; i++) {
		r->cmd.pt_map[i].pt_in = leg->sdp.pt[i].pt_in & 0x7f;
		r->cmd.pt_map[i].pt_out = leg->sdp.pt[i].pt_out & 0x7f;
		r->cmd.pt_map[i].clock_hz = leg->sdp.pt[i].clock_hz;
		r->cmd.n_pt_map = (uint8_t)(i + 1);
	}
}

static void msg_connect(union sb_msg *msg, uint32_t a, const struct leg_rec *ra, uint32_t b,
			const struct leg_rec *rb)
{
	memset(msg, 0, sizeof(*msg));
	msg->connect.h = (struct sb_msg_hdr){ .type = SB_CMD_LEG_CONNECT,
					      .len = sizeof(struct sb_cmd_connect),
					      .leg = a, .leg_gen = ra->gen };
	msg->connect.leg_b = b;
	msg->connect.leg_b_gen = rb->gen;
}

/* ---- ABI 4 media messages ---- */

static void msg_hdr(union sb_msg *msg, uint16_t type, uint16_t len, uint32_t idx, uint32_t gen)
{
	memset(msg, 0, sizeof(*msg));
	msg->h = (struct sb_msg_hdr){ .type = type, .len = len, .leg = idx, .leg_gen = gen };
}

static void msg_media(union sb_msg *msg, uint32_t idx, const struct leg_rec *r)
{
	msg_hdr(msg, SB_CMD_LEG_MEDIA, sizeof(struct sb_cmd_media), idx, r->gen);
	msg->media = r->media;
	msg->media.h = msg->h;
}

static void msg_conf(union sb_msg *msg, uint32_t idx, const struct leg_rec *r)
{
	msg_hdr(msg, SB_CMD_CONF_JOIN, sizeof(struct sb_cmd_conf), idx, r->gen);
	msg->conf.conf = r->conf;
	msg->conf.mode = r->conf_mode;
	msg->conf.target = r->conf_target;
	msg->conf.target_gen = r->conf_target_gen;
}

static void msg_prompt(union sb_msg *msg, uint16_t type, uint32_t idx, uint32_t gen,
		       uint32_t prompt, uint32_t flags)
{
	msg_hdr(msg, type, sizeof(struct sb_cmd_prompt), idx, gen);
	msg->prompt.prompt = prompt;
	msg->prompt.flags = flags;
}

static int dp_codec_of(unsigned c)
{
	switch (c) {
	case SB_CODEC_NONE: return SB_DP_CODEC_NONE;
	case SB_CODEC_PCMU: return SB_DP_CODEC_PCMU;
	case SB_CODEC_PCMA: return SB_DP_CODEC_PCMA;
	case SB_CODEC_OPUS: return SB_DP_CODEC_OPUS;
	default: return -1;
	}
}

static int dp_srtp_of(unsigned s)
{
	switch (s) {
	case SB_SRTP_NONE: return SB_DP_SRTP_NONE;
	case SB_SRTP_AES_CM_128_HMAC_SHA1_80: return SB_DP_SRTP_AES_CM_128_HMAC_SHA1_80;
	case SB_SRTP_AES_CM_128_HMAC_SHA1_32: return SB_DP_SRTP_AES_CM_128_HMAC_SHA1_32;
	case SB_SRTP_AEAD_AES_128_GCM: return SB_DP_SRTP_AEAD_AES_128_GCM;
	default: return -1;
	}
}

/* The LEG_MEDIA body for a leg's keys (leg->sdp) and processing p.
 * -EINVAL for a suite or codec the ABI has no number for. */
static int media_body(struct sb_cmd_media *b, const struct sb_media_leg *leg,
		      const struct sb_media_proc *p)
{
	int rx = dp_srtp_of(leg->sdp.rx.suite), tx = dp_srtp_of(leg->sdp.tx.suite);
	int codec = dp_codec_of(p ? p->codec : SB_CODEC_NONE);

	_Static_assert(sizeof(b->rx_key) == SB_SRTP_KEY_SALT_MAX, "SDES key sizes differ");
	if (rx < 0 || tx < 0 || codec < 0 || leg->sdp.rx.key_len > sizeof(b->rx_key) ||
	    leg->sdp.tx.key_len > sizeof(b->tx_key))
		return -EINVAL;
	memset(b, 0, sizeof(*b));
	b->srtp_rx = (uint8_t)rx;
	b->srtp_tx = (uint8_t)tx;
	if (rx) {
		b->rx_key_len = leg->sdp.rx.key_len;
		memcpy(b->rx_key, leg->sdp.rx.key, leg->sdp.rx.key_len);
	}
	if (tx) {
		b->tx_key_len = leg->sdp.tx.key_len;
		memcpy(b->tx_key, leg->sdp.tx.key, leg->sdp.tx.key_len);
	}
	b->opus_complexity = 0xff;
	if (p == NULL)
		return 0;
	b->codec = (uint8_t)codec;
	b->pt = p->pt & 0x7f;
	b->channels = p->channels ? p->channels : 1;
	b->clock_hz = p->clock_hz;
	b->dtmf_pt = p->dtmf_pt & 0x7f;
	b->dtmf_clock_hz = p->dtmf_pt ? (p->dtmf_clock_hz ? p->dtmf_clock_hz : 8000) : 0;
	b->ptime_ms = p->ptime;
	b->flags = (p->flags & SB_MEDIA_P_DTMF ? SB_MEDIA_DTMF_4733 : 0) |
		   (p->flags & SB_MEDIA_P_INBAND ? SB_MEDIA_DTMF_INBAND : 0) |
		   (p->flags & SB_MEDIA_P_DTMF_STRIP ? SB_MEDIA_DTMF_STRIP : 0);
	return 0;
}

/* ---- re-programming after a restart ---- */

/* Re-add one leg: the peer it learned (it is that peer's media we carry),
 * else the one SDP gave.  A learned peer is not learned again: without
 * LATCH the first packet of a stranger cannot take the leg over. */
static int resync_add(struct media_dpdk *d, uint32_t idx)
{
	struct leg_rec *r = &d->rec[idx];
	union sb_msg msg;
	int rc;

	if (!r->resync)
		goto media;
	msg_leg(&msg, SB_CMD_LEG_ADD, idx, r);
	if (r->latched_ip != 0) {
		msg.leg.peer_ip = r->latched_ip;
		msg.leg.peer_port = r->latched_port;
		msg.leg.flags &= ~SB_LEG_F_LATCH;
	}
	rc = submit(d, r->worker, &msg, 0, PK_RESYNC_ADD);
	if (rc < 0)
		return rc;
	r->resync = 0;
	d->resync_inflight++;
	d->resync_legs++;
media:
	/* its keys, codec and DTMF right behind the ADD (same ring) */
	if (!r->rs_media)
		return 0;
	msg_media(&msg, idx, r);
	rc = submit(d, r->worker, &msg, 0, PK_RESYNC_MEDIA);
	if (rc == 0) {
		r->rs_media = 0;
		d->resync_inflight++;
	}
	return rc;
}

/* Before the owner's own command on a leg that was not re-added yet. */
static int resync_leg_now(struct media_dpdk *d, uint32_t idx)
{
	return d->rec[idx].resync || d->rec[idx].rs_media ? resync_add(d, idx) : 0;
}

/* Phase 2 of a re-programming: conference membership and a looping
 * prompt (music on hold), once every leg is back and connected. */
static int resync_extra(struct media_dpdk *d, uint32_t idx)
{
	struct leg_rec *r = &d->rec[idx];
	union sb_msg msg;
	int rc;

	if (r->rs_conf) {
		msg_conf(&msg, idx, r);
		rc = submit(d, r->worker, &msg, 0, PK_RESYNC_MEDIA);
		if (rc < 0)
			return rc;
		r->rs_conf = 0;
		d->resync_inflight++;
	}
	if (r->rs_loop) {
		msg_prompt(&msg, SB_CMD_PROMPT_PLAY, idx, r->gen, r->loop_prompt, SB_PROMPT_LOOP);
		rc = submit(d, r->worker, &msg, 0, PK_RESYNC_MEDIA);
		if (rc < 0)
			return rc;
		r->rs_loop = 0;
		d->resync_inflight++;
	}
	return 0;
}

/* Every loaded prompt the attached generation lacks (worker 0: prompts
 * are shared by all workers); the rest at the next poll when a ring is
 * full. */
static void prompts_send(struct media_dpdk *d)
{
	for (uint32_t i = 0; d->attached && d->prompts_unsent && i < SB_MEDIA_PROMPTS_MAX; i++) {
		struct prompt_rec *p = &d->prompts[i];
		union sb_msg msg;

		if (!p->unsent)
			continue;
		msg_hdr(&msg, SB_CMD_PROMPT_LOAD, sizeof(struct sb_cmd_prompt_load), SB_LEG_NONE, 0);
		msg.prompt_load.prompt = i;
		memcpy(msg.prompt_load.path, p->path, sizeof(msg.prompt_load.path));
		if (submit(d, 0, &msg, i, PK_PROMPT_LOAD) < 0)
			return;
		p->unsent = false;
		d->prompts_unsent--;
	}
}

/* A new generation knows none of them. */
static void prompts_all_unsent(struct media_dpdk *d)
{
	d->prompts_unsent = 0;
	for (uint32_t i = 0; i < SB_MEDIA_PROMPTS_MAX; i++) {
		d->prompts[i].unsent = d->prompts[i].path[0] != '\0';
		d->prompts_unsent += d->prompts[i].unsent;
	}
}

static void resync_log_done(struct media_dpdk *d)
{
	sb_info("media: re-programmed %u calls (%u legs, %u connections) on dataplane %s "
		"generation %llx in %llu ms; %u failed",
		d->resync_calls, d->resync_legs, d->resync_pairs, d->instance,
		(unsigned long long)d->generation,
		(unsigned long long)(sb_mono_ms() - d->resync_t0_ms), d->resync_failed);
	d->resync_on = false;
}

/* As many commands as the rings and the pending table take; resumed at the
 * next poll.  All ADDs (each followed by its LEG_MEDIA) go out before any
 * CONNECT, and every CONNECT before conference joins and looping prompts. */
static void resync_step(struct media_dpdk *d)
{
	while (d->attached && d->resync_phase < 3) {
		uint32_t i = d->resync_cursor;
		struct leg_rec *r;
		int rc = 0;

		if (i >= d->n_rec) {
			d->resync_phase++;
			d->resync_cursor = 0;
			continue;
		}
		r = &d->rec[i];
		if (d->resync_phase == 0) {
			if (r->state == REC_LIVE && (r->resync || r->rs_media))
				rc = resync_add(d, i);
		} else if (d->resync_phase == 2) {
			if (r->state == REC_LIVE && !r->lost && (r->rs_conf || r->rs_loop))
				rc = resync_extra(d, i);
		} else if (r->state == REC_LIVE && !r->lost && r->fwd != SB_LEG_NONE && i < r->fwd &&
			   r->fwd < d->n_rec && d->rec[r->fwd].state == REC_LIVE &&
			   !d->rec[r->fwd].lost) {
			union sb_msg msg;

			msg_connect(&msg, i, r, r->fwd, &d->rec[r->fwd]);
			rc = submit(d, r->worker, &msg, 0, PK_RESYNC_CONNECT);
			if (rc == 0) {
				d->resync_inflight++;
				d->resync_pairs++;
			}
		}
		if (rc == -EBUSY)
			return; /* ring or pending table full: next poll */
		d->resync_cursor++;
	}
	if (d->resync_on && d->resync_phase >= 3 && d->resync_inflight == 0)
		resync_log_done(d);
}

/* Distinct calls among the legs about to be re-added (for the log). */
static unsigned count_calls(const struct media_dpdk *d)
{
	uint32_t max = 0;
	unsigned n = 0;
	uint8_t *seen;

	for (uint32_t i = 0; i < d->n_rec; i++)
		if (d->rec[i].resync && d->rec[i].cmd.call_id > max)
			max = d->rec[i].cmd.call_id;
	seen = calloc((size_t)max + 1, 1);
	if (seen == NULL)
		return 0;
	for (uint32_t i = 0; i < d->n_rec; i++)
		if (d->rec[i].resync && !seen[d->rec[i].cmd.call_id]) {
			seen[d->rec[i].cmd.call_id] = 1;
			n++;
		}
	free(seen);
	return n;
}

/* ---- completions ---- */

static void complete_owner(struct media_dpdk *d, const struct pend *p, int status)
{
	struct leg_rec *r = p->leg < d->n_rec ? &d->rec[p->leg] : NULL;

	if (r && r->gen == p->leg_gen) {
		switch (p->cmd) {
		case SB_CMD_LEG_ADD:
			if (r->state != REC_ADDING)
				break;
			if (status == 0) {
				r->state = REC_LIVE;
				r->in_dp = 1;
			} else {
				r->state = REC_ALLOC;
				if (status == -ECONNRESET || status == -ETIMEDOUT)
					r->maybe_in_dp = 1;
			}
			break;
		case SB_CMD_LEG_DEL:
			if (r->state != REC_DELETING)
				break;
			/* cut off by a loss: the dataplane may still hold it */
			rec_drop(d, p->leg, status == -ECONNRESET || status == -ETIMEDOUT);
			break;
		default:
			break;
		}
	}
	d->base.done(d->base.done_arg, p->cookie, status);
}

static void complete_internal(struct media_dpdk *d, const struct pend *p, int status)
{
	struct leg_rec *r = p->leg < d->n_rec ? &d->rec[p->leg] : NULL;
	bool ours = r && r->gen == p->leg_gen;

	switch (p->kind) {
	case PK_RESYNC_ADD:
		d->resync_inflight--;
		if (!ours)
			break;
		if (status == 0) {
			if (r->state == REC_LIVE || r->state == REC_DELETING)
				r->in_dp = 1;
		} else if (r->state == REC_LIVE && !r->lost) {
			sb_warn("media: re-adding leg %u (port %u, call %u) failed: %s",
				p->leg, r->port, r->cmd.call_id, strerror(-status));
			d->resync_failed++;
			r->lost = 1;
			emit(d, r, SB_MEDIA_EV_LOST);
		}
		break;
	case PK_RESYNC_CONNECT:
		d->resync_inflight--;
		if (status != 0 && ours && r->state == REC_LIVE && !r->lost) {
			sb_warn("media: re-connecting leg %u (call %u) failed: %s", p->leg,
				r->cmd.call_id, strerror(-status));
			d->resync_failed++;
			r->lost = 1;
			emit(d, r, SB_MEDIA_EV_LOST);
		}
		break;
	case PK_RESYNC_MEDIA:
		d->resync_inflight--;
		if (status == 0 || !ours || r->state != REC_LIVE || r->lost)
			break;
		if (p->cmd == SB_CMD_PROMPT_PLAY) { /* the call goes on without music */
			sb_warn("media: replaying the prompt on leg %u failed: %s", p->leg,
				strerror(-status));
			r->looping = 0;
			break;
		}
		sb_warn("media: re-programming media (command %u) of leg %u (call %u) failed: %s",
			p->cmd, p->leg, r->cmd.call_id, strerror(-status));
		d->resync_failed++;
		r->lost = 1;
		emit(d, r, SB_MEDIA_EV_LOST);
		break;
	case PK_PROMPT_LOAD:
		if (status != 0)
			sb_warn("media: dataplane %s refused prompt %llu (%s): %s", d->instance,
				(unsigned long long)p->cookie,
				p->cookie < SB_MEDIA_PROMPTS_MAX ? d->prompts[p->cookie].path : "?",
				strerror(-status));
		break;
	case PK_CLEANUP_DEL:
		if (!ours)
			break;
		r->maybe_in_dp = 0;
		if (r->state == REC_ZOMBIE)
			rec_release(d, p->leg);
		break;
	default:
		break;
	}
	if (d->resync_on && d->resync_phase >= 3 && d->resync_inflight == 0)
		resync_log_done(d);
}

static void complete(struct media_dpdk *d, struct pend *p, int status)
{
	struct pend copy = *p;

	p->req_id = 0;
	d->n_pending--;
	if (copy.kind == PK_OWNER)
		complete_owner(d, &copy, status);
	else
		complete_internal(d, &copy, status);
}

static void fail_all_pending(struct media_dpdk *d, int status)
{
	for (unsigned i = 0; i < PEND_N && d->n_pending; i++)
		if (d->pend[i].req_id)
			complete(d, &d->pend[i], status);
}

/* ---- operations ---- */

static int dp_leg_alloc(struct sb_media *m, int worker, struct sb_media_leg *out)
{
	struct media_dpdk *d = to_dp(m);
	struct leg_rec *r;
	uint8_t addr;
	int rc;

	if (!d->attached)
		return -ENOTCONN;
	rc = sb_media_alloc_get_addr(&d->alloc, worker, &out->idx, &out->gen, &addr, &out->port,
				     &out->worker);
	if (rc < 0)
		return rc;
	out->ip = htonl(ntohl(d->shm.hdr->media_ip) + addr); /* the SDP's c= for this leg */
	out->epoch = d->alloc_epoch;
	memset(&out->sdp, 0, sizeof(out->sdp)); /* plain RTP until the owner says more */
	r = &d->rec[out->idx];
	memset(r, 0, sizeof(*r));
	r->state = REC_ALLOC;
	r->gen = out->gen;
	r->port = out->port;
	r->addr = addr;
	r->worker = out->worker;
	r->fwd = SB_LEG_NONE;
	return 0;
}

static void dp_leg_free(struct sb_media *m, struct sb_media_leg *leg)
{
	struct media_dpdk *d = to_dp(m);
	struct leg_rec *r = rec_of(d, leg);

	if (r != NULL) {
		if (r->state == REC_ALLOC)
			rec_drop(d, leg->idx, r->maybe_in_dp);
		else if (r->state == REC_LIVE)
			/* shutdown: the dataplane keeps carrying it; forget it here */
			rec_release(d, leg->idx);
		/* ADDING/DELETING: the pending answer settles it */
	}
	leg->idx = UINT32_MAX;
}

static int dp_leg_add(struct sb_media *m, const struct sb_media_leg *leg, uint32_t peer_ip,
		      uint16_t peer_port, uint32_t flags, uint32_t call_no, uint64_t cookie)
{
	struct media_dpdk *d = to_dp(m);
	struct leg_rec *r = rec_of(d, leg);
	union sb_msg msg;
	int rc;

	if (!d->attached)
		return -ENOTCONN;
	if (r == NULL || r->state != REC_ALLOC || r->orphan)
		return -EINVAL;
	rec_set_cmd(d, r, leg, peer_ip, peer_port, flags, call_no);
	r->latched_ip = 0;
	r->latched_port = 0;
	r->owner = cookie;
	r->maybe_in_dp = 0;
	msg_leg(&msg, SB_CMD_LEG_ADD, leg->idx, r);
	rc = submit(d, leg->worker, &msg, cookie, PK_OWNER);
	if (rc == 0)
		r->state = REC_ADDING;
	else if (rc == -EBUSY)
		sb_warn("media: command ring of worker %u full", leg->worker);
	return rc;
}

static int dp_leg_mod(struct sb_media *m, const struct sb_media_leg *leg, uint32_t peer_ip,
		      uint16_t peer_port, uint32_t flags, uint32_t call_no, uint64_t cookie)
{
	struct media_dpdk *d = to_dp(m);
	struct leg_rec *r = rec_of(d, leg);
	union sb_msg msg;
	int rc;

	if (!d->attached)
		return -ENOTCONN;
	if (r == NULL || r->state != REC_LIVE)
		return -EINVAL;
	if (r->lost)
		return -ENOTCONN;
	rc = resync_leg_now(d, leg->idx);
	if (rc < 0)
		return rc;
	if (peer_ip != r->cmd.peer_ip || peer_port != r->cmd.peer_port) {
		/* a new expected peer: the dataplane learns again, so do we */
		r->latched_ip = 0;
		r->latched_port = 0;
	}
	rec_set_cmd(d, r, leg, peer_ip, peer_port, flags, call_no);
	msg_leg(&msg, SB_CMD_LEG_MOD, leg->idx, r);
	return submit(d, leg->worker, &msg, cookie, PK_OWNER);
}

static int dp_leg_del(struct sb_media *m, struct sb_media_leg *leg, uint64_t cookie)
{
	struct media_dpdk *d = to_dp(m);
	struct leg_rec *r = rec_of(d, leg);
	uint32_t idx = leg->idx;
	union sb_msg msg;
	int rc;

	if (idx == UINT32_MAX)
		return -EINVAL;
	leg->idx = UINT32_MAX; /* released either way, now or when answered */
	if (r == NULL)
		return -ESTALE;
	if (r->state != REC_LIVE) {
		if (r->state == REC_ALLOC)
			rec_drop(d, idx, r->maybe_in_dp);
		return -EINVAL;
	}
	if (!d->attached) {
		/* the dataplane that had it is away; if it comes back as the
		 * same generation it still has it */
		rec_drop(d, idx, true);
		return -ENOTCONN;
	}
	if (!r->in_dp) {
		/* a restart took it away and it was not (or could not be) re-added,
		 * unless a re-add is still in flight: then delete behind it */
		if (r->resync || r->lost) {
			rec_release(d, idx);
			return -ENOENT;
		}
	}
	memset(&msg, 0, sizeof(msg));
	msg.h = (struct sb_msg_hdr){ .type = SB_CMD_LEG_DEL, .len = sizeof(struct sb_msg_hdr),
				     .leg = idx, .leg_gen = r->gen };
	rc = submit(d, r->worker, &msg, cookie, PK_OWNER);
	if (rc == 0) {
		rec_unlink(d, idx);
		r->state = REC_DELETING;
		return 0;
	}
	sb_warn("media: LEG_DEL of leg %u not sent (%s); releasing it anyway", idx, strerror(-rc));
	rec_drop(d, idx, true);
	return rc;
}

static int dp_connect(struct sb_media *m, const struct sb_media_leg *a,
		      const struct sb_media_leg *b, uint64_t cookie)
{
	struct media_dpdk *d = to_dp(m);
	struct leg_rec *ra = rec_of(d, a), *rb = rec_of(d, b);
	union sb_msg msg;
	int rc;

	if (!d->attached)
		return -ENOTCONN;
	if (ra == NULL || rb == NULL || ra == rb || ra->state != REC_LIVE ||
	    rb->state != REC_LIVE)
		return -EINVAL;
	if (ra->lost || rb->lost)
		return -ENOTCONN;
	rc = resync_leg_now(d, a->idx);
	if (rc == 0)
		rc = resync_leg_now(d, b->idx);
	if (rc < 0)
		return rc;
	msg_connect(&msg, a->idx, ra, b->idx, rb);
	rc = submit(d, a->worker, &msg, cookie, PK_OWNER);
	if (rc == 0) {
		if (ra->fwd != b->idx)
			rec_unlink(d, a->idx);
		if (rb->fwd != a->idx)
			rec_unlink(d, b->idx);
		ra->fwd = b->idx;
		rb->fwd = a->idx;
	}
	return rc;
}

static int dp_leg_counters(struct sb_media *m, const struct sb_media_leg *leg,
			   struct sb_media_counters *out)
{
	struct media_dpdk *d = to_dp(m);
	struct leg_rec *r = rec_of(d, leg);
	const volatile struct sb_leg_stats *st;

	memset(out, 0, sizeof(*out));
	if (r == NULL)
		return leg->idx == UINT32_MAX ? -EINVAL : -ESTALE;
	*out = r->base;
	if (!d->attached || !r->in_dp) {
		/* away, or not re-added yet: as last seen */
		ctr_add(out, &r->last);
		return 0;
	}
	if (leg->idx >= d->shm.hdr->max_legs)
		return -EINVAL;
	st = sb_dp_shm_leg_stats(&d->shm, leg->idx);
	if (st->leg_gen != leg->gen)
		return -ESTALE;
	out->rx_pkts += st->rx_pkts;
	out->rx_bytes += st->rx_bytes;
	out->tx_pkts += st->tx_pkts;
	out->tx_bytes += st->tx_bytes;
	out->rej_src += st->rej_src;
	return 0;
}

/* ---- media processing (ABI 4) ---- */

/* The record of a live leg the owner may program now (re-added first if a
 * restart's re-programming has not reached it yet). */
static int media_rec(struct media_dpdk *d, const struct sb_media_leg *leg, struct leg_rec **out)
{
	struct leg_rec *r = rec_of(d, leg);
	int rc;

	if (!d->attached)
		return -ENOTCONN;
	if (r == NULL || r->state != REC_LIVE)
		return -EINVAL;
	if (r->lost)
		return -ENOTCONN;
	rc = resync_leg_now(d, leg->idx);
	if (rc < 0)
		return rc;
	*out = r;
	return 0;
}

static int dp_leg_media(struct sb_media *m, const struct sb_media_leg *leg,
			const struct sb_media_proc *p, uint64_t cookie)
{
	struct media_dpdk *d = to_dp(m);
	struct sb_cmd_media body;
	struct leg_rec *r;
	union sb_msg msg;
	int rc = media_body(&body, leg, p);

	if (rc < 0)
		return rc;
	body.opus_complexity = d->base.opus_complexity; /* per deployment (media: opus_complexity) */
	rc = media_rec(d, leg, &r);
	if (rc < 0)
		return rc;
	msg_hdr(&msg, SB_CMD_LEG_MEDIA, sizeof(struct sb_cmd_media), leg->idx, r->gen);
	body.h = msg.h;
	msg.media = body;
	rc = submit(d, r->worker, &msg, cookie, PK_OWNER);
	if (rc == 0) {
		r->media = body; /* replayed after a restart */
		r->has_media = 1;
		r->rs_media = 0;
	}
	return rc;
}

static int dp_dtmf_send(struct sb_media *m, const struct sb_media_leg *leg, const char *digits,
			uint16_t duration_ms, uint64_t cookie)
{
	struct media_dpdk *d = to_dp(m);
	size_t n = strlen(digits);
	struct leg_rec *r;
	union sb_msg msg;
	int rc;

	if (n == 0 || n >= sizeof(msg.dtmf.digits) ||
	    strspn(digits, "0123456789*#ABCD") != n)
		return -EINVAL;
	rc = media_rec(d, leg, &r);
	if (rc < 0)
		return rc;
	msg_hdr(&msg, SB_CMD_DTMF_SEND, sizeof(struct sb_cmd_dtmf), leg->idx, r->gen);
	memcpy(msg.dtmf.digits, digits, n + 1);
	msg.dtmf.duration_ms = duration_ms;
	return submit(d, r->worker, &msg, cookie, PK_OWNER);
}

static int dp_prompt_load(struct sb_media *m, uint32_t prompt, const char *path)
{
	struct media_dpdk *d = to_dp(m);
	struct prompt_rec *p;

	if (prompt >= SB_MEDIA_PROMPTS_MAX || path[0] != '/' ||
	    strlen(path) >= sizeof(p->path))
		return -EINVAL;
	p = &d->prompts[prompt];
	snprintf(p->path, sizeof(p->path), "%s", path);
	if (!p->unsent)
		d->prompts_unsent++;
	p->unsent = true;
	prompts_send(d); /* now if attached, else at attach */
	return 0;
}

static int dp_prompt_play(struct sb_media *m, const struct sb_media_leg *leg, uint32_t prompt,
			  uint32_t flags, uint64_t cookie)
{
	struct media_dpdk *d = to_dp(m);
	struct leg_rec *r;
	union sb_msg msg;
	int rc;

	if (prompt >= SB_MEDIA_PROMPTS_MAX || (flags & ~SB_MEDIA_PROMPT_LOOP))
		return -EINVAL;
	rc = media_rec(d, leg, &r);
	if (rc < 0)
		return rc;
	msg_prompt(&msg, SB_CMD_PROMPT_PLAY, leg->idx, r->gen, prompt,
		   flags & SB_MEDIA_PROMPT_LOOP ? SB_PROMPT_LOOP : 0);
	rc = submit(d, r->worker, &msg, cookie, PK_OWNER);
	if (rc == 0) {
		/* a loop is state (replayed after a restart); a one-shot is not */
		r->looping = (flags & SB_MEDIA_PROMPT_LOOP) != 0;
		r->loop_prompt = prompt;
		r->rs_loop = 0;
	}
	return rc;
}

static int dp_prompt_stop(struct sb_media *m, const struct sb_media_leg *leg, uint64_t cookie)
{
	struct media_dpdk *d = to_dp(m);
	struct leg_rec *r;
	union sb_msg msg;
	int rc = media_rec(d, leg, &r);

	if (rc < 0)
		return rc;
	msg_prompt(&msg, SB_CMD_PROMPT_STOP, leg->idx, r->gen, r->loop_prompt, 0);
	rc = submit(d, r->worker, &msg, cookie, PK_OWNER);
	if (rc == 0)
		r->looping = r->rs_loop = 0;
	return rc;
}

static int dp_conf_join(struct sb_media *m, const struct sb_media_leg *leg, uint32_t conf,
			enum sb_media_conf_mode mode, const struct sb_media_leg *target,
			uint64_t cookie)
{
	struct media_dpdk *d = to_dp(m);
	struct leg_rec *r, *rt = NULL;
	union sb_msg msg;
	int rc;

	if (mode < SB_MEDIA_CONF_TALK || mode > SB_MEDIA_CONF_WHISPER ||
	    (mode == SB_MEDIA_CONF_WHISPER) != (target != NULL))
		return -EINVAL;
	rc = media_rec(d, leg, &r);
	if (rc < 0)
		return rc;
	if (target) {
		rt = rec_of(d, target);
		if (rt == NULL || rt == r || rt->worker != r->worker)
			return -EINVAL; /* a conference lives on one worker */
	}
	r->conf = conf;
	r->conf_mode = (uint32_t)mode;
	r->conf_target = target ? target->idx : SB_LEG_NONE;
	r->conf_target_gen = target ? target->gen : 0;
	msg_conf(&msg, leg->idx, r);
	rc = submit(d, r->worker, &msg, cookie, PK_OWNER);
	if (rc == 0) {
		/* its media goes to the mixer now, not to a connected leg: a
		 * restart re-joins it instead of re-connecting */
		rec_unlink(d, leg->idx);
		r->in_conf = 1;
		r->rs_conf = 0;
	}
	return rc;
}

static int dp_conf_leave(struct sb_media *m, const struct sb_media_leg *leg, uint64_t cookie)
{
	struct media_dpdk *d = to_dp(m);
	struct leg_rec *r;
	union sb_msg msg;
	int rc = media_rec(d, leg, &r);

	if (rc < 0)
		return rc;
	msg_hdr(&msg, SB_CMD_CONF_LEAVE, sizeof(struct sb_msg_hdr), leg->idx, r->gen);
	rc = submit(d, r->worker, &msg, cookie, PK_OWNER);
	if (rc == 0)
		r->in_conf = r->rs_conf = 0;
	return rc;
}

/* ---- recording (issue 7) ---- */

static int dp_rec_start(struct sb_media *m, const struct sb_media_leg *caller,
			const struct sb_media_leg *agent, uint32_t rec_id,
			enum sb_media_rec_fmt fmt, const char *path, unsigned segment_s,
			uint64_t cookie)
{
	struct media_dpdk *d = to_dp(m);
	struct leg_rec *r, *ra = NULL;
	union sb_msg msg;
	size_t n = strlen(path);
	int rc;

	if (n == 0 || n >= sizeof(msg.rec_start.path) || path[0] == '/' ||
	    strstr(path, "..") != NULL ||
	    ((unsigned)fmt & 0xffu) > SB_MEDIA_REC_PCAP || ((unsigned)fmt & 0xffu) == 2 ||
	    ((unsigned)fmt & 0xffu) == 3 || ((unsigned)fmt & ~0x1ffu) != 0 ||
	    segment_s > 3600 || (agent != NULL && agent->worker != caller->worker))
		return -EINVAL;
	rc = media_rec(d, caller, &r);
	if (rc == 0 && agent != NULL)
		rc = media_rec(d, agent, &ra);
	if (rc < 0)
		return rc;
	msg_hdr(&msg, SB_CMD_REC_START, sizeof(struct sb_cmd_rec_start), caller->idx, r->gen);
	msg.rec_start.rec_id = rec_id;
	msg.rec_start.agent_leg = agent != NULL ? agent->idx : SB_LEG_NONE;
	msg.rec_start.agent_leg_gen = ra != NULL ? ra->gen : 0;
	msg.rec_start.fmt = (uint8_t)fmt; /* same numbers as enum sb_dp_rec_fmt */
	msg.rec_start.flags = (unsigned)fmt & SB_MEDIA_REC_F_MASK_DTMF ? SB_DP_REC_F_MASK_DTMF : 0;
	msg.rec_start.segment_s = (uint16_t)segment_s;
	memcpy(msg.rec_start.path, path, n + 1);
	return submit(d, r->worker, &msg, cookie, PK_OWNER);
}

/* STOP / PAUSE / RESUME: addressed by the caller leg (its worker and the
 * result's leg); the dataplane finds the recording by rec_id. */
static int dp_rec_cmd(struct media_dpdk *d, uint16_t type, const struct sb_media_leg *caller,
		      uint32_t rec_id, uint64_t cookie)
{
	struct leg_rec *r = rec_of(d, caller);
	union sb_msg msg;

	if (!d->attached)
		return -ENOTCONN;
	if (r == NULL || r->lost)
		return -EINVAL;
	msg_hdr(&msg, type, sizeof(struct sb_cmd_rec), caller->idx, r->gen);
	msg.rec.rec_id = rec_id;
	return submit(d, r->worker, &msg, cookie, PK_OWNER);
}

static int dp_rec_stop(struct sb_media *m, const struct sb_media_leg *caller, uint32_t rec_id,
		       uint64_t cookie)
{
	return dp_rec_cmd(to_dp(m), SB_CMD_REC_STOP, caller, rec_id, cookie);
}

static int dp_rec_pause(struct sb_media *m, const struct sb_media_leg *caller, uint32_t rec_id,
			bool pause, uint64_t cookie)
{
	return dp_rec_cmd(to_dp(m), pause ? SB_CMD_REC_PAUSE : SB_CMD_REC_RESUME, caller, rec_id,
			  cookie);
}

static int dp_rec_leg(struct sb_media *m, const struct sb_media_leg *sup, uint32_t rec_id,
		      bool on, uint64_t cookie)
{
	struct media_dpdk *d = to_dp(m);
	struct leg_rec *r = rec_of(d, sup);
	union sb_msg msg;

	if (!d->attached)
		return -ENOTCONN;
	if (r == NULL || r->lost)
		return -EINVAL;
	msg_hdr(&msg, SB_CMD_REC_LEG, sizeof(struct sb_cmd_rec_leg), sup->idx, r->gen);
	msg.rec_leg.rec_id = rec_id;
	msg.rec_leg.chan = SB_DP_REC_CH_SUPER;
	msg.rec_leg.on = on;
	return submit(d, r->worker, &msg, cookie, PK_OWNER);
}

static void on_rec_event(struct media_dpdk *d, const union sb_msg *ev)
{
	struct sb_media_rec_info info;
	const struct sb_evt_rec *e = &ev->rec_evt;

	memset(&info, 0, sizeof(info));
	info.ev = ev->h.type == SB_EVT_REC_DONE ? SB_MEDIA_REC_DONE :
		  ev->h.type == SB_EVT_REC_ERR ? SB_MEDIA_REC_ERROR : SB_MEDIA_REC_RECOVERED;
	info.rec_id = e->rec_id;
	info.status = e->status;
	info.bytes = e->bytes;
	info.file_ms = e->file_ms;
	info.call_ms = e->call_ms;
	info.share_pm = e->share_pm;
	info.drop_full = e->drop_full;
	info.complete = e->complete != 0;
	memcpy(info.path, e->path, sizeof(info.path));
	info.path[sizeof(info.path) - 1] = '\0';
	if (info.ev == SB_MEDIA_REC_DONE)
		sb_info("media: recording %u closed: %s, %u of %u ms (%u per mille%s)%s%s",
			info.rec_id, info.path, info.file_ms, info.call_ms, info.share_pm,
			info.complete ? ", complete" : "", info.status ? ": " : "",
			info.status ? strerror(-info.status) : "");
	else
		sb_warn("media: recording %u %s: %s%s%s", info.rec_id,
			info.ev == SB_MEDIA_REC_ERROR ? "error" : "recovered after a crash",
			info.path, info.status ? ": " : "", info.status ? strerror(-info.status) : "");
	if (d->base.rec_event)
		d->base.rec_event(d->base.event_arg, &info);
}

/* ---- events ---- */

/* The record an unsolicited event names, or NULL when it is stale (another
 * generation of that index, or a leg we no longer carry). */
static struct leg_rec *evt_rec(struct media_dpdk *d, const struct sb_msg_hdr *h)
{
	struct leg_rec *r;

	if (h->leg >= d->n_rec)
		return NULL;
	r = &d->rec[h->leg];
	if (r->gen != h->leg_gen || (r->state != REC_LIVE && r->state != REC_ADDING) || r->lost)
		return NULL;
	return r;
}

static void on_event(struct media_dpdk *d, const union sb_msg *ev)
{
	struct leg_rec *r;

	switch (ev->h.type) {
	case SB_EVT_RESULT: {
		struct pend *p = &d->pend[ev->h.req_id & (PEND_N - 1)];

		if (p->req_id == 0 || p->req_id != ev->h.req_id || p->leg != ev->h.leg ||
		    p->leg_gen != ev->h.leg_gen) {
			sb_warn("media: ignoring result for unknown request %u (leg %u gen %u)",
				ev->h.req_id, ev->h.leg, ev->h.leg_gen);
			return;
		}
		if (ev->result.status)
			sb_warn("media: command %u on leg %u failed: %s", ev->result.cmd_type,
				ev->h.leg, strerror(-ev->result.status));
		complete(d, p, ev->result.status);
		break;
	}
	case SB_EVT_PEER_LATCHED:
		r = evt_rec(d, &ev->h);
		if (r == NULL) {
			sb_dbg("media: stale latch event for leg %u gen %u", ev->h.leg, ev->h.leg_gen);
			return;
		}
		r->latched_ip = ev->peer.peer_ip;
		r->latched_port = ev->peer.peer_port;
		sb_dbg("media: leg %u latched to peer port %u", ev->h.leg, ev->peer.peer_port);
		break;
	case SB_EVT_DTMF:
		r = evt_rec(d, &ev->h);
		if (r == NULL) {
			sb_dbg("media: stale DTMF event for leg %u gen %u", ev->h.leg, ev->h.leg_gen);
			return;
		}
		sb_dbg("media: leg %u (call %u): DTMF '%c' %u ms", ev->h.leg, r->cmd.call_id,
		       ev->dtmf_evt.digit >= 0x20 && ev->dtmf_evt.digit < 0x7f ? ev->dtmf_evt.digit : '?',
		       ev->dtmf_evt.duration_ms);
		if (d->base.dtmf)
			d->base.dtmf(d->base.event_arg, r->owner, (char)ev->dtmf_evt.digit,
				     ev->dtmf_evt.duration_ms);
		break;
	case SB_EVT_PROMPT_DONE:
		if (ev->h.leg == SB_LEG_NONE) {
			sb_dbg("media: prompt %u on conference %u ended (%u)", ev->prompt_evt.prompt,
			       ev->prompt_evt.conf, ev->prompt_evt.reason);
			return;
		}
		r = evt_rec(d, &ev->h);
		if (r == NULL)
			return;
		if (r->looping && r->loop_prompt == ev->prompt_evt.prompt)
			r->looping = r->rs_loop = 0;
		if (ev->prompt_evt.reason == SB_PROMPT_END_ERROR)
			sb_warn("media: prompt %u could not play on leg %u (call %u)",
				ev->prompt_evt.prompt, ev->h.leg, r->cmd.call_id);
		if (d->base.prompt_done)
			d->base.prompt_done(d->base.event_arg, r->owner, ev->prompt_evt.prompt,
					    ev->prompt_evt.reason);
		break;
	case SB_EVT_REC_DONE:
	case SB_EVT_REC_ERR:
	case SB_EVT_REC_RECOVERED:
		on_rec_event(d, ev);
		break;
	case SB_EVT_MEDIA_TIMEOUT:
		r = evt_rec(d, &ev->h);
		if (r == NULL) {
			sb_info("media: ignoring media timeout for leg %u gen %u (gone or stale)",
				ev->h.leg, ev->h.leg_gen);
			return;
		}
		sb_info("media: leg %u (port %u, call %u) reports a media timeout: %u ms "
			"without media", ev->h.leg, r->port, r->cmd.call_id, ev->timeout.idle_ms);
		emit(d, r, SB_MEDIA_EV_TIMEOUT);
		break;
	default:
		sb_warn("media: unknown event type %u", ev->h.type);
	}
}

/* ---- losing and finding the dataplane ---- */

static void detach(struct media_dpdk *d, const char *why)
{
	unsigned live = 0;

	/* the old segment stays mapped until here: read its counters last */
	for (uint32_t i = 0; i < d->n_rec; i++) {
		struct leg_rec *r = &d->rec[i];
		const volatile struct sb_leg_stats *st;

		if (r->state != REC_LIVE && r->state != REC_DELETING)
			continue;
		live += r->state == REC_LIVE;
		if (!r->in_dp || i >= d->shm.hdr->max_legs)
			continue;
		st = sb_dp_shm_leg_stats(&d->shm, i);
		if (st->leg_gen != r->gen)
			continue;
		r->last = (struct sb_media_counters){ .rx_pkts = st->rx_pkts,
			.rx_bytes = st->rx_bytes, .tx_pkts = st->tx_pkts,
			.tx_bytes = st->tx_bytes, .rej_src = st->rej_src };
	}
	sb_warn("media: dataplane %s generation %llx lost: %s; %u live legs keep their "
		"calls, re-programmed when it is back", d->instance,
		(unsigned long long)d->generation, why, live);
	d->attached = false;
	d->lost_ms = sb_mono_ms();
	d->resync_on = false;
	sb_timer_cancel(d->loop, &d->t_poll);
	fail_all_pending(d, -ECONNRESET);
	sb_dp_shm_detach(&d->shm, 0);
	d->last_why[0] = '\0';
	sb_timer_arm(d->loop, &d->t_attach, ATTACH_RETRY_MS);
}

static int name_inode(const char *name, ino_t *out)
{
	struct stat st;
	int fd = shm_open(name, O_RDONLY, 0);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -errno;
	}
	close(fd);
	*out = st.st_ino;
	return 0;
}

static bool pid_gone(uint32_t pid)
{
	return pid != 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

static void check_health(struct media_dpdk *d, uint64_t now_ms)
{
	struct sb_dp_shm_hdr *h = d->shm.hdr;
	uint32_t st = atomic_load_explicit(&h->state, memory_order_acquire);
	uint64_t hb = atomic_load_explicit(&h->heartbeat_ns, memory_order_acquire);
	uint64_t now_ns = sb_now_ns();
	char why[128];
	ino_t ino;

	d->next_health_ms = now_ms + HEALTH_MS;
	if (st != SB_DP_READY) {
		snprintf(why, sizeof(why), "segment state %u", st);
		detach(d, why);
	} else if (now_ns > hb && now_ns - hb > HB_STALE_NS) {
		snprintf(why, sizeof(why), "heartbeat %llu ms old",
			 (unsigned long long)((now_ns - hb) / 1000000));
		detach(d, why);
	} else if (d->pid_check && pid_gone(h->dp_pid)) {
		snprintf(why, sizeof(why), "pid %u is gone", h->dp_pid);
		d->dead_gen = d->generation;
		d->dead_gen_set = true;
		detach(d, why);
	} else if (now_ms >= d->next_inode_ms) {
		d->next_inode_ms = now_ms + INODE_CHECK_MS;
		if (name_inode(d->shm.name, &ino) == 0 && ino != d->ino) {
			snprintf(why, sizeof(why), "a new segment took the name %s", d->shm.name);
			detach(d, why);
		}
	}
}

static void take_events(struct media_dpdk *d)
{
	union sb_msg evs[32];

	for (unsigned w = 0; d->attached && w < d->shm.hdr->n_workers; w++) {
		struct sb_ring *r = sb_dp_shm_evt_ring(&d->shm, w);
		unsigned n;

		while (d->attached && (n = sb_ring_dequeue_burst(r, evs, 32)) > 0)
			for (unsigned i = 0; i < n && d->attached; i++)
				on_event(d, &evs[i]);
	}
}

static void on_fine(void *arg, uint32_t events)
{
	struct media_dpdk *d = arg;
	uint64_t expirations;

	(void)events;
	if (read(d->fine_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		sb_dbg("media: timerfd read: %s", strerror(errno));
	take_events(d);
	if (!d->attached || d->n_pending == 0)
		fine_poll(d, false);
}

static void on_poll(struct sb_timer *t, void *arg)
{
	struct media_dpdk *d = arg;
	uint64_t now = sb_mono_ms();

	(void)t;
	if (!d->attached) {
		fine_poll(d, false);
		return;
	}
	take_events(d);
	if (!d->attached) {
		fine_poll(d, false);
		return;
	}
	if (d->n_pending) {
		for (unsigned i = 0; i < PEND_N; i++)
			if (d->pend[i].req_id && d->pend[i].deadline_ms < now) {
				sb_warn("media: request %u (cmd %u) timed out", d->pend[i].req_id,
					d->pend[i].cmd);
				complete(d, &d->pend[i], -ETIMEDOUT);
			}
	}
	if (d->prompts_unsent)
		prompts_send(d);
	if (d->resync_on)
		resync_step(d);
	if (now >= d->next_health_ms)
		check_health(d, now);
	arm_poll(d);
}

/* Media addresses the segment's dataplane owns (ABI 3; 0 = 1), at most
 * what sb_cmd_leg.local_addr can name. */
static unsigned hdr_n_addrs(const struct sb_dp_shm_hdr *h)
{
	unsigned n = h->n_media_addrs;

	return n == 0 ? 1u : n > SB_MEDIA_ALLOC_ADDRS_MAX ? SB_MEDIA_ALLOC_ADDRS_MAX : n;
}

static bool geometry_same(const struct media_dpdk *d, const struct sb_dp_shm_hdr *h)
{
	return d->g_max_legs == h->max_legs && d->g_n_workers == h->n_workers &&
	       d->g_port_min == h->port_min && d->g_port_span == h->port_span &&
	       d->g_n_addrs == hdr_n_addrs(h);
}

/* Does a kept leg still fit the new geometry? */
static bool rec_fits(const struct sb_dp_shm_hdr *h, uint32_t idx, const struct leg_rec *r)
{
	uint32_t lo;

	if (idx >= h->max_legs || sb_dp_port_worker(h, r->port) != (int)r->worker ||
	    r->addr >= hdr_n_addrs(h))
		return false;
	lo = (uint32_t)h->port_min + (uint32_t)r->worker * h->port_span;
	return (uint32_t)r->port + 1 < lo + h->port_span; /* RTCP too */
}

/* Pools and records for the attached segment's geometry.  The first time
 * they are made; after a restart with the same geometry they are kept as
 * they are (legs keep index and port); otherwise they are rebuilt around
 * the legs that still fit, and the others are orphaned. */
static int pools_for(struct media_dpdk *d, const struct sb_dp_shm_hdr *h)
{
	uint8_t *used_idx = NULL, *used_port = NULL;
	struct leg_rec *rec;
	uint32_t n_rec;
	int rc;

	if (d->alloc_ok && geometry_same(d, h))
		return 0;
	n_rec = h->max_legs > d->n_rec ? h->max_legs : d->n_rec;
	rec = realloc(d->rec, (size_t)n_rec * sizeof(*rec));
	if (rec == NULL)
		return -ENOMEM;
	for (uint32_t i = d->n_rec; i < n_rec; i++) {
		memset(&rec[i], 0, sizeof(rec[i]));
		rec[i].fwd = SB_LEG_NONE;
	}
	d->rec = rec;
	d->n_rec = n_rec;
	if (!d->alloc_ok) {
		rc = sb_media_alloc_init_addrs(&d->alloc, h->max_legs, h->n_workers,
					       hdr_n_addrs(h), h->port_min, h->port_span);
		if (rc < 0)
			return rc;
		d->alloc_ok = true;
		d->alloc_epoch++;
		goto out_geometry;
	}

	used_idx = calloc(h->max_legs, 1);
	used_port = calloc((size_t)hdr_n_addrs(h) * 65536u, 1); /* by SB_MEDIA_SLOT() */
	if (used_idx == NULL || used_port == NULL) {
		rc = -ENOMEM;
		goto out_free;
	}
	{
		struct sb_media_alloc na;
		uint32_t kept = 0, orphaned = 0;

		rc = sb_media_alloc_init_addrs(&na, h->max_legs, h->n_workers, hdr_n_addrs(h),
					       h->port_min, h->port_span);
		if (rc < 0)
			goto out_free;
		for (uint32_t i = 0; i < d->n_rec; i++) {
			struct leg_rec *r = &d->rec[i];

			if (r->state == REC_FREE)
				continue;
			if (r->state == REC_ZOMBIE) { /* a new generation: gone with it */
				memset(r, 0, sizeof(*r));
				r->fwd = SB_LEG_NONE;
				continue;
			}
			if (!r->orphan && rec_fits(h, i, r)) {
				used_idx[i] = 1;
				used_port[SB_MEDIA_SLOT(r->addr, r->port)] = 1;
				if (i < d->alloc.max_legs && i < na.max_legs)
					na.leg_gen[i] = d->alloc.leg_gen[i];
				kept++;
				continue;
			}
			r->orphan = 1;
			orphaned++;
			if (r->state == REC_LIVE && !r->lost) {
				r->lost = 1;
				r->resync = 0;
				emit(d, r, SB_MEDIA_EV_LOST);
			}
		}
		/* generations survive for indexes both geometries have */
		for (uint32_t i = 0; i < na.max_legs && i < d->alloc.max_legs; i++)
			na.leg_gen[i] = d->alloc.leg_gen[i];
		sb_media_alloc_exclude(&na, used_idx, used_port);
		sb_media_alloc_fini(&d->alloc);
		d->alloc = na;
		sb_warn("media: dataplane geometry changed (legs %u->%u, workers %u->%u, ports "
			"%u+%u -> %u+%u, addresses %u->%u): %u legs kept, %u lost",
			d->g_max_legs, h->max_legs, d->g_n_workers, h->n_workers, d->g_port_min,
			d->g_port_span, h->port_min, h->port_span, d->g_n_addrs, hdr_n_addrs(h),
			kept, orphaned);
	}
	rc = 0;
out_free:
	free(used_idx);
	free(used_port);
	if (rc < 0)
		return rc;
out_geometry:
	d->g_max_legs = h->max_legs;
	d->g_n_workers = h->n_workers;
	d->g_port_min = h->port_min;
	d->g_port_span = h->port_span;
	d->g_n_addrs = hdr_n_addrs(h);
	return 0;
}

static void resync_start(struct media_dpdk *d)
{
	d->resync_on = true;
	d->resync_phase = 0;
	d->resync_cursor = 0;
	d->resync_inflight = d->resync_legs = d->resync_pairs = d->resync_failed = 0;
	d->resync_calls = count_calls(d);
	d->resync_t0_ms = sb_mono_ms();
}

static void cleanup_del(struct media_dpdk *d, uint32_t idx)
{
	union sb_msg msg;

	memset(&msg, 0, sizeof(msg));
	msg.h = (struct sb_msg_hdr){ .type = SB_CMD_LEG_DEL, .len = sizeof(struct sb_msg_hdr),
				     .leg = idx, .leg_gen = d->rec[idx].gen };
	(void)submit(d, d->rec[idx].worker, &msg, 0, PK_CLEANUP_DEL);
}

/* Attached again to the generation we lost: it only stalled.  Its legs are
 * as we left them and their counters went on; settle the ones whose last
 * command was cut off, and finish a re-programming the loss interrupted
 * (delete first where a re-add may have landed: same ring, so in order). */
static void reattach_same(struct media_dpdk *d)
{
	unsigned unsure = 0, legs = 0;

	for (uint32_t i = 0; i < d->n_rec; i++) {
		struct leg_rec *r = &d->rec[i];

		memset(&r->last, 0, sizeof(r->last));
		if (r->maybe_in_dp && (r->state == REC_ZOMBIE || r->state == REC_ALLOC)) {
			cleanup_del(d, i);
			unsure++;
		} else if (r->state == REC_LIVE && !r->in_dp && !r->lost && !r->orphan) {
			if (!r->resync)
				cleanup_del(d, i);
			r->resync = 1;
			r->rs_media = r->has_media;
			r->rs_conf = r->in_conf;
			r->rs_loop = r->looping;
			legs++;
		}
	}
	sb_info("media: re-attached to dataplane %s, same generation %llx, after %llu ms; "
		"%u legs of unknown fate deleted, %u legs to re-add", d->instance,
		(unsigned long long)d->generation, (unsigned long long)(sb_mono_ms() - d->lost_ms),
		unsure, legs);
	if (legs) {
		resync_start(d);
		resync_step(d);
	}
}

/* Attached to a new dataplane: everything we carried must be re-created. */
static void reattach_new(struct media_dpdk *d, uint64_t old_gen)
{
	unsigned legs = 0;

	for (uint32_t i = 0; i < d->n_rec; i++) {
		struct leg_rec *r = &d->rec[i];

		r->maybe_in_dp = 0;
		r->in_dp = 0;
		if (r->state == REC_ZOMBIE) {
			rec_release(d, i);
			continue;
		}
		ctr_add(&r->base, &r->last);
		memset(&r->last, 0, sizeof(r->last));
		r->resync = r->state == REC_LIVE && !r->lost && !r->orphan;
		r->rs_media = r->resync && r->has_media;
		r->rs_conf = r->resync && r->in_conf;
		r->rs_loop = r->resync && r->looping;
		legs += r->resync;
	}
	/* prompts before any leg: a looping prompt is replayed last */
	prompts_all_unsent(d);
	prompts_send(d);
	resync_start(d);
	sb_info("media: re-attached to dataplane %s: new generation %llx (was %llx) after "
		"%llu ms; re-programming %u calls (%u legs)", d->instance,
		(unsigned long long)d->generation, (unsigned long long)old_gen,
		(unsigned long long)(d->resync_t0_ms - d->lost_ms), d->resync_calls, legs);
	resync_step(d);
}

static void on_attach(struct sb_timer *t, void *arg)
{
	struct media_dpdk *d = arg;
	const struct sb_dp_shm_hdr *h;
	uint64_t old_gen = d->generation;
	bool same;
	char why[256];
	int rc;

	(void)t;
	rc = sb_dp_shm_attach(&d->shm, d->instance, why, sizeof(why));
	if (rc < 0) {
		/* log each new reason once, not every 200 ms */
		if (strcmp(why, d->last_why) != 0) {
			sb_warn("media: dataplane %s not attached: %s (retrying every %u ms)",
				d->instance, why, ATTACH_RETRY_MS);
			snprintf(d->last_why, sizeof(d->last_why), "%s", why);
		}
		sb_timer_arm(d->loop, t, ATTACH_RETRY_MS);
		return;
	}
	h = d->shm.hdr;
	{
		/* a dataplane that died without marking STOPPED leaves a READY
		 * segment behind: do not attach to it until it beats again */
		uint64_t hb = atomic_load_explicit(&d->shm.hdr->heartbeat_ns, memory_order_acquire);
		uint64_t now = sb_now_ns();

		if ((now > hb && now - hb > HB_STALE_NS) ||
		    (d->dead_gen_set && h->generation == d->dead_gen)) {
			snprintf(why, sizeof(why), "segment %s is READY but its dataplane is gone "
				 "(generation %llx)", d->shm.name,
				 (unsigned long long)h->generation);
			if (strcmp(why, d->last_why) != 0) {
				sb_warn("media: dataplane %s not attached: %s (retrying every %u ms)",
					d->instance, why, ATTACH_RETRY_MS);
				snprintf(d->last_why, sizeof(d->last_why), "%s", why);
			}
			sb_dp_shm_detach(&d->shm, 0);
			sb_timer_arm(d->loop, t, ATTACH_RETRY_MS);
			return;
		}
	}
	rc = pools_for(d, h);
	if (rc < 0) {
		sb_err("media: cannot size leg/port pools: %s", strerror(-rc));
		sb_dp_shm_detach(&d->shm, 0);
		sb_timer_arm(d->loop, t, ATTACH_RETRY_MS);
		return;
	}
	if (name_inode(d->shm.name, &d->ino) < 0)
		d->ino = 0;
	/* a dataplane in another pid namespace: its pid means nothing here */
	d->pid_check = !pid_gone(h->dp_pid);
	same = d->ever_attached && h->generation == old_gen;
	if (!same) {
		/* results meant for an earlier control process; but recording
		 * news is about files, not requests: a crash's .part repaired
		 * before we attached still goes to the index */
		for (unsigned w = 0; w < h->n_workers; w++) {
			union sb_msg ev;
			while (sb_ring_dequeue_burst(sb_dp_shm_evt_ring(&d->shm, w), &ev, 1))
				if (ev.h.type >= SB_EVT_REC_DONE && ev.h.type <= SB_EVT_REC_RECOVERED)
					on_rec_event(d, &ev);
		}
	}
	d->generation = h->generation;
	d->attached = true;
	d->last_why[0] = '\0';
	d->next_health_ms = sb_mono_ms() + HEALTH_MS;
	d->next_inode_ms = sb_mono_ms() + INODE_CHECK_MS;
	{
		const uint8_t *ip = (const uint8_t *)&h->media_ip;
		sb_info("media: attached to dataplane %s: generation %llx, pid %u, %u workers, "
			"%u legs, media %u.%u.%u.%u ports %u..%u",
			d->instance, (unsigned long long)h->generation, h->dp_pid, h->n_workers,
			h->max_legs, ip[0], ip[1], ip[2], ip[3], h->port_min,
			h->port_min + h->port_span * h->n_workers - 1);
	}
	if (d->ever_attached) {
		if (same)
			reattach_same(d);
		else
			reattach_new(d, old_gen);
	} else {
		prompts_send(d); /* loaded before the first attach */
	}
	d->ever_attached = true;
	d->lost_ms = 0;
	arm_poll(d);
}

static void dp_destroy(struct sb_media *m)
{
	struct media_dpdk *d = to_dp(m);

	sb_timer_cancel(d->loop, &d->t_attach);
	sb_timer_cancel(d->loop, &d->t_poll);
	if (d->fine_fd >= 0) {
		sb_loop_del_fd(d->loop, d->fine_fd);
		close(d->fine_fd);
	}
	if (d->attached)
		sb_dp_shm_detach(&d->shm, 0);
	if (d->alloc_ok)
		sb_media_alloc_fini(&d->alloc);
	free(d->rec);
	free(d);
}

static const struct sb_media_ops dpdk_ops = {
	.name = "dpdk",
	.is_ready = dp_is_ready,
	.media_ip = dp_media_ip,
	.leg_alloc = dp_leg_alloc,
	.leg_free = dp_leg_free,
	.leg_add = dp_leg_add,
	.leg_mod = dp_leg_mod,
	.leg_del = dp_leg_del,
	.connect = dp_connect,
	.leg_counters = dp_leg_counters,
	.leg_media = dp_leg_media,
	.dtmf_send = dp_dtmf_send,
	.prompt_load = dp_prompt_load,
	.prompt_play = dp_prompt_play,
	.prompt_stop = dp_prompt_stop,
	.conf_join = dp_conf_join,
	.conf_leave = dp_conf_leave,
	.rec_start = dp_rec_start,
	.rec_stop = dp_rec_stop,
	.rec_pause = dp_rec_pause,
	.rec_leg = dp_rec_leg,
	.destroy = dp_destroy,
};

struct sb_media *sb_media_dpdk_create(struct sb_loop *loop, const char *instance,
				      sb_media_done_cb *done, void *done_arg)
{
	struct media_dpdk *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	/* ABI 4 (checked at attach) carries keys, codecs, DTMF, prompts and
	 * the mixer: everything a call needs beyond relaying is here */
	d->base = (struct sb_media){ .ops = &dpdk_ops, .done = done, .done_arg = done_arg,
				     .caps = SB_MEDIA_CAP_SRTP | SB_MEDIA_CAP_PROC |
					     SB_MEDIA_CAP_REC,
				     .opus_complexity = 0xff };
	d->loop = loop;
	snprintf(d->instance, sizeof(d->instance), "%s", instance);
	sb_timer_init(&d->t_attach, on_attach, d);
	sb_timer_init(&d->t_poll, on_poll, d);
	/* without it set-up is slower, nothing else: carry on */
	d->fine_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->fine_fd >= 0 && sb_loop_add_fd(loop, d->fine_fd, on_fine, d) < 0) {
		close(d->fine_fd);
		d->fine_fd = -1;
	}
	sb_timer_arm(loop, &d->t_attach, 0);
	return &d->base;
}
