/* SPDX-License-Identifier: MIT */
/* dp_restart_t — the DPDK media backend (control/media/dpdk.c) across
 * dataplane restarts, without SIP.  The "dataplane" is a forked process
 * that creates the real segment (sb_dp_shm_create: new inode, new
 * generation, its own pid and heartbeat) and answers commands on the real
 * rings; it logs every command it receives into a shared page so the test
 * can check what control re-programmed, in which order.  The backend runs
 * on a real sb_loop in this process.
 *
 *  1. two calls (legs A-B and C-D) added and connected; B learns a peer
 *     (SB_EVT_PEER_LATCHED), A gets a latch event of a stale generation;
 *  2. kill -9 of the dataplane: lost within ~0.5 s (pid gone), counters as
 *     last seen; call 2's legs are deleted while it is away;
 *  3. a new dataplane: exactly ADD A (SDP peer, flags kept), ADD B (learned
 *     peer, no LATCH), then CONNECT A-B; same ports; counters add up;
 *  4. a stale result and a media timeout of a stale leg generation are
 *     ignored; a real media timeout reaches the owner of leg A;
 *  5. heartbeat stall > 2 s, then beats again: same generation, nothing
 *     re-added, counters not counted twice;
 *  6. clean stop (STOPPED) and a dataplane that refuses B's re-add: the
 *     owner of B is told SB_MEDIA_EV_LOST, once;
 *  7. a new geometry (more legs, wider port ranges), 300 calls, kill -9:
 *     600 re-adds and 300 connects through 64-slot command rings (paced
 *     on ring room), each leg once, each CONNECT after both its ADDs;
 *  8. port ranges shrink on restart: legs that no longer fit their
 *     worker's range are reported lost, the others re-added and their
 *     ports kept out of the pools. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop.h"
#include "media/backend.h"
#include "sb/dp_shm.h"
#include "test.h"

#define LOG_MAX 1024

struct ctl {
	_Atomic int ready;        /* child: segment READY */
	_Atomic int beat;         /* 1: refresh the heartbeat */
	_Atomic int stop_clean;   /* child: STOPPED, unlink, exit 0 */
	_Atomic int fail_add_leg; /* LEG_ADD of this index answered -EEXIST; -1 none */
	_Atomic int n_inject;     /* parent sets msgs then the count; child zeroes it */
	union sb_msg inject[8];
	_Atomic int set_ctr;      /* parent: write ctr_* into leg ctr_leg's stats */
	uint32_t ctr_leg;
	uint64_t ctr_rx, ctr_tx;
	uint32_t max_legs;        /* geometry of the next dataplane */
	uint16_t port_span;
	_Atomic int n_log;
	union sb_msg log[LOG_MAX];
};

static struct ctl *ctl;
static char inst[32];
static pid_t child_pid;

/* A failed assertion exits: take the fake dataplane and its segment along. */
static void kill_child(void)
{
	char name[64];

	if (child_pid > 0 && getpid() != child_pid) {
		kill(child_pid, SIGKILL);
		waitpid(child_pid, NULL, 0);
		snprintf(name, sizeof(name), "/switchboard.%s", inst);
		shm_unlink(name);
	}
}

static void child_main(void)
{
	struct sb_dp_shm shm;
	struct sb_dp_shm_params prm = {
		.n_workers = 2, .max_legs = ctl->max_legs, .cmd_slots = 64, .evt_slots = 64,
		.port_min = 30000, .port_span = ctl->port_span, .media_ip = 0x0a7100cb,
	};

	if (sb_dp_shm_create(&shm, inst, &prm) < 0)
		_exit(3);
	atomic_store(&shm.hdr->heartbeat_ns, sb_now_ns());
	sb_dp_shm_set_state(&shm, SB_DP_READY);
	atomic_store(&ctl->ready, 1);
	for (;;) {
		if (atomic_load(&ctl->stop_clean)) {
			sb_dp_shm_detach(&shm, 1);
			_exit(0);
		}
		if (atomic_load(&ctl->beat))
			atomic_store(&shm.hdr->heartbeat_ns, sb_now_ns());
		for (unsigned w = 0; w < shm.hdr->n_workers; w++) {
			union sb_msg m, ev;

			while (sb_ring_dequeue_burst(sb_dp_shm_cmd_ring(&shm, w), &m, 1) == 1) {
				struct sb_leg_stats *ls =
					sb_dp_shm_leg_stats(&shm, m.h.leg % shm.hdr->max_legs);
				int n = atomic_load(&ctl->n_log);
				int32_t status = 0;

				if (n < LOG_MAX) {
					ctl->log[n] = m;
					atomic_store(&ctl->n_log, n + 1);
				}
				if (m.h.type == SB_CMD_LEG_ADD &&
				    (int)m.h.leg == atomic_load(&ctl->fail_add_leg)) {
					status = -EEXIST;
				} else if (m.h.type == SB_CMD_LEG_ADD) {
					memset(ls, 0, sizeof(*ls));
					ls->leg_gen = m.h.leg_gen;
					ls->local_port = m.leg.local_port;
					ls->active = 1;
				} else if (m.h.type == SB_CMD_LEG_DEL) {
					ls->active = 0;
				}
				memset(&ev, 0, sizeof(ev));
				ev.result.h = (struct sb_msg_hdr){ .type = SB_EVT_RESULT,
					.len = sizeof(struct sb_evt_result), .req_id = m.h.req_id,
					.leg = m.h.leg, .leg_gen = m.h.leg_gen };
				ev.result.status = status;
				ev.result.cmd_type = m.h.type;
				while (sb_ring_enqueue_bulk(sb_dp_shm_evt_ring(&shm, w), &ev, 1) != 1)
					usleep(100);
			}
		}
		if (atomic_load(&ctl->n_inject)) {
			for (int i = 0; i < atomic_load(&ctl->n_inject); i++)
				while (sb_ring_enqueue_bulk(sb_dp_shm_evt_ring(&shm, 0),
							    &ctl->inject[i], 1) != 1)
					usleep(100);
			atomic_store(&ctl->n_inject, 0);
		}
		if (atomic_load(&ctl->set_ctr)) {
			struct sb_leg_stats *ls = sb_dp_shm_leg_stats(&shm, ctl->ctr_leg);
			ls->rx_pkts = ctl->ctr_rx;
			ls->rx_bytes = ctl->ctr_rx * 172;
			ls->tx_pkts = ctl->ctr_tx;
			ls->tx_bytes = ctl->ctr_tx * 172;
			atomic_store(&ctl->set_ctr, 0);
		}
		usleep(200);
	}
}

static pid_t child_start(void)
{
	pid_t pid;

	atomic_store(&ctl->ready, 0);
	atomic_store(&ctl->stop_clean, 0);
	atomic_store(&ctl->beat, 1);
	atomic_store(&ctl->n_log, 0);
	pid = fork();
	T_ASSERT(pid >= 0);
	if (pid == 0)
		child_main();
	child_pid = pid;
	for (int i = 0; i < 5000 && !atomic_load(&ctl->ready); i++)
		usleep(1000);
	T_ASSERT(atomic_load(&ctl->ready));
	return pid;
}

/* ---- the backend's user ---- */

struct done_rec { uint64_t cookie; int status; };
static struct done_rec dones[1024];
static int n_done;
static struct { uint64_t owner; enum sb_media_event ev; } evs[1024];
static int n_ev;

static void on_done(void *arg, uint64_t cookie, int status)
{
	(void)arg;
	T_ASSERT(n_done < 1024);
	dones[n_done++] = (struct done_rec){ cookie, status };
}

static void on_ev(void *arg, uint64_t owner, enum sb_media_event ev)
{
	(void)arg;
	T_ASSERT(n_ev < 1024);
	evs[n_ev].owner = owner;
	evs[n_ev++].ev = ev;
}

static int done_status(uint64_t cookie)
{
	for (int i = 0; i < n_done; i++)
		if (dones[i].cookie == cookie)
			return dones[i].status;
	return 1; /* not yet */
}

static struct sb_loop *loop;
static struct sb_media *md;

static int stop_fd = -1;

/* The loop is stopped from an fd, not from a timer: stopping inside a
 * timer callback would leave the other timers of that tick for later. */
static void stop_cb(void *arg, uint32_t events)
{
	uint64_t n;

	(void)events;
	if (read(stop_fd, &n, sizeof(n)) < 0)
		return;
	sb_loop_stop(arg);
}

static void run_ms(unsigned ms)
{
	struct itimerspec its = { .it_value = { .tv_sec = ms / 1000,
						.tv_nsec = (long)(ms % 1000) * 1000000L } };

	if (stop_fd < 0) {
		stop_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		T_ASSERT(stop_fd >= 0 && sb_loop_add_fd(loop, stop_fd, stop_cb, loop) == 0);
	}
	T_ASSERT(timerfd_settime(stop_fd, 0, &its, NULL) == 0);
	T_ASSERT(sb_loop_run(loop) == 0);
}

/* Run the loop until cond holds (checked every 5 ms); ms it took, or -1. */
#define RUN_UNTIL(cond, max_ms)                                                \
	({                                                                     \
		uint64_t t0_ = sb_mono_ms();                                   \
		long r_ = -1;                                                  \
		while (sb_mono_ms() - t0_ < (max_ms)) {                        \
			run_ms(5);                                             \
			if (cond) {                                            \
				r_ = (long)(sb_mono_ms() - t0_);               \
				break;                                         \
			}                                                      \
		}                                                              \
		r_;                                                            \
	})

static void inject(const union sb_msg *m, int n)
{
	memcpy(ctl->inject, m, sizeof(*m) * (size_t)n);
	atomic_store(&ctl->n_inject, n);
	T_ASSERT(RUN_UNTIL(atomic_load(&ctl->n_inject) == 0, 5000) >= 0);
}

static void set_ctr(const struct sb_media_leg *l, uint64_t rx, uint64_t tx)
{
	ctl->ctr_leg = l->idx;
	ctl->ctr_rx = rx;
	ctl->ctr_tx = tx;
	atomic_store(&ctl->set_ctr, 1);
	T_ASSERT(RUN_UNTIL(atomic_load(&ctl->set_ctr) == 0, 2000) >= 0);
}

static void expect_ctr(const struct sb_media_leg *l, uint64_t rx, uint64_t tx)
{
	struct sb_media_counters c;

	T_ASSERT(md->ops->leg_counters(md, l, &c) == 0);
	T_ASSERT_EQ_U64(c.rx_pkts, rx);
	T_ASSERT_EQ_U64(c.tx_pkts, tx);
	T_ASSERT_EQ_U64(c.rx_bytes, rx * 172);
}

static const union sb_msg *log_at(int i)
{
	return &ctl->log[i];
}

#define IP4(a, b, c, d) htonl(((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

int main(void)
{
	struct sb_media_leg A, B, C, D, E, F;
	pid_t pid;
	long ms;
	int rc;

	atexit(kill_child);
	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(ctl != MAP_FAILED);
	memset(ctl, 0, sizeof(*ctl));
	atomic_store(&ctl->fail_add_leg, -1);
	ctl->max_legs = 64;
	ctl->port_span = 100;
	snprintf(inst, sizeof(inst), "dpdrst%d", (int)getpid());
	signal(SIGPIPE, SIG_IGN);

	pid = child_start();
	loop = sb_loop_create();
	T_ASSERT(loop != NULL);
	md = sb_media_dpdk_create(loop, inst, on_done, NULL);
	T_ASSERT(md != NULL);
	md->event = on_ev;
	md->timeout_ms = 3000;
	T_ASSERT(RUN_UNTIL(md->ops->is_ready(md), 4000) >= 0);

	/* ---- 1. two calls ---- */
	T_ASSERT(md->ops->leg_alloc(md, -1, &A) == 0);
	T_ASSERT(md->ops->leg_alloc(md, A.worker, &B) == 0);
	T_ASSERT(md->ops->leg_alloc(md, -1, &C) == 0);
	T_ASSERT(md->ops->leg_alloc(md, C.worker, &D) == 0);
	T_ASSERT(md->ops->leg_alloc(md, -1, &E) == 0); /* never added */
	T_ASSERT(md->ops->leg_add(md, &A, IP4(192, 0, 2, 10), 6000,
				  SB_MEDIA_F_LATCH | SB_MEDIA_F_STRICT, 7, 0xA) == 0);
	T_ASSERT(md->ops->leg_add(md, &B, 0, 0, SB_MEDIA_F_LATCH, 7, 0xB) == 0);
	T_ASSERT(md->ops->leg_add(md, &C, IP4(192, 0, 2, 11), 6002, SB_MEDIA_F_STRICT, 8, 0xC) == 0);
	T_ASSERT(md->ops->leg_add(md, &D, IP4(198, 51, 100, 11), 6002, 0, 8, 0xD) == 0);
	T_ASSERT(RUN_UNTIL(n_done == 4, 2000) >= 0);
	T_ASSERT(done_status(0xA) == 0 && done_status(0xB) == 0 && done_status(0xC) == 0 &&
		 done_status(0xD) == 0);
	T_ASSERT(md->ops->leg_mod(md, &B, IP4(198, 51, 100, 10), 6000,
				  SB_MEDIA_F_LATCH | SB_MEDIA_F_STRICT, 7, 0xB1) == 0);
	T_ASSERT(md->ops->connect(md, &A, &B, 0xAB) == 0);
	T_ASSERT(md->ops->connect(md, &D, &C, 0xDC) == 0);
	T_ASSERT(RUN_UNTIL(n_done == 7, 2000) >= 0);
	T_ASSERT(done_status(0xB1) == 0 && done_status(0xAB) == 0 && done_status(0xDC) == 0);
	{
		union sb_msg ev[2];

		memset(ev, 0, sizeof(ev));
		ev[0].peer.h = (struct sb_msg_hdr){ .type = SB_EVT_PEER_LATCHED,
			.len = sizeof(struct sb_evt_peer), .leg = B.idx, .leg_gen = B.gen };
		ev[0].peer.peer_ip = IP4(198, 51, 100, 99);
		ev[0].peer.peer_port = 7000;
		ev[1] = ev[0];
		ev[1].peer.h.leg = A.idx;
		ev[1].peer.h.leg_gen = A.gen + 5; /* stale: must not stick to A */
		inject(ev, 2);
		run_ms(100); /* the backend polls every 20 ms when idle */
	}
	set_ctr(&A, 100, 90);
	set_ctr(&B, 90, 100);
	expect_ctr(&A, 100, 90);
	expect_ctr(&B, 90, 100);

	/* ---- 2. kill -9 ---- */
	T_ASSERT(kill(pid, SIGKILL) == 0);
	T_ASSERT(waitpid(pid, NULL, 0) == pid);
	ms = RUN_UNTIL(!md->ops->is_ready(md), 3000);
	T_ASSERT(ms >= 0);
	fprintf(stderr, "lost after kill -9: %ld ms\n", ms);
	T_ASSERT(ms < 1900); /* pid check: the 2 s heartbeat would be later */
	expect_ctr(&A, 100, 90); /* as last seen */
	T_ASSERT(md->ops->leg_alloc(md, -1, &F) == -ENOTCONN);
	/* call 2 ends while the dataplane is away: released, no callback */
	n_done = 0;
	T_ASSERT(md->ops->leg_del(md, &C, 0xC0) < 0 && C.idx == UINT32_MAX);
	T_ASSERT(md->ops->leg_del(md, &D, 0xD0) < 0 && D.idx == UINT32_MAX);
	run_ms(300);
	T_ASSERT(n_done == 0 && n_ev == 0);

	/* ---- 3. a new dataplane: re-programmed ---- */
	pid = child_start();
	ms = RUN_UNTIL(md->ops->is_ready(md) && atomic_load(&ctl->n_log) >= 3, 3000);
	T_ASSERT(ms >= 0);
	fprintf(stderr, "re-attached and re-programmed after %ld ms\n", ms);
	run_ms(100);
	T_ASSERT(atomic_load(&ctl->n_log) == 3);
	{
		const union sb_msg *a = log_at(0), *b = log_at(1), *k = log_at(2);

		if (a->h.leg != A.idx) { /* re-added in index order */
			const union sb_msg *x = a;
			a = b;
			b = x;
		}
		T_ASSERT(a->h.type == SB_CMD_LEG_ADD && a->h.leg == A.idx && a->h.leg_gen == A.gen);
		T_ASSERT(a->leg.local_port == A.port && a->leg.worker == A.worker);
		T_ASSERT(a->leg.peer_ip == IP4(192, 0, 2, 10) && a->leg.peer_port == 6000);
		T_ASSERT(a->leg.flags == (SB_LEG_F_LATCH | SB_LEG_F_STRICT) && a->leg.call_id == 7);
		T_ASSERT(a->leg.timeout_ms == 3000 && b->leg.timeout_ms == 3000);
		T_ASSERT(b->h.type == SB_CMD_LEG_ADD && b->h.leg == B.idx && b->h.leg_gen == B.gen);
		T_ASSERT(b->leg.local_port == B.port);
		T_ASSERT(b->leg.peer_ip == IP4(198, 51, 100, 99) && b->leg.peer_port == 7000);
		T_ASSERT(b->leg.flags == SB_LEG_F_STRICT); /* learned: not learned again */
		T_ASSERT(k->h.type == SB_CMD_LEG_CONNECT);
		T_ASSERT((k->h.leg == A.idx && k->connect.leg_b == B.idx &&
			  k->h.leg_gen == A.gen && k->connect.leg_b_gen == B.gen) ||
			 (k->h.leg == B.idx && k->connect.leg_b == A.idx &&
			  k->h.leg_gen == B.gen && k->connect.leg_b_gen == A.gen));
	}
	T_ASSERT(n_done == 0 && n_ev == 0); /* internal: the owner hears nothing */
	/* ports of live legs are not handed out again */
	T_ASSERT(md->ops->leg_alloc(md, A.worker, &F) == 0);
	T_ASSERT(F.port != A.port && F.port != B.port && F.idx != A.idx && F.idx != B.idx);
	md->ops->leg_free(md, &F);
	expect_ctr(&A, 100, 90);
	set_ctr(&A, 10, 9);
	expect_ctr(&A, 110, 99); /* old generation + new */
	expect_ctr(&B, 90, 100);

	/* ---- 4. stale news is ignored, a media timeout is not ---- */
	{
		union sb_msg ev[4];

		memset(ev, 0, sizeof(ev));
		ev[0].result.h = (struct sb_msg_hdr){ .type = SB_EVT_RESULT,
			.len = sizeof(struct sb_evt_result), .req_id = 3, .leg = A.idx,
			.leg_gen = A.gen };
		ev[0].result.status = -ENOENT;
		ev[1].h = (struct sb_msg_hdr){ .type = SB_EVT_MEDIA_TIMEOUT,
			.len = sizeof(struct sb_msg_hdr), .leg = A.idx, .leg_gen = A.gen + 1 };
		ev[2].h = ev[1].h;
		ev[2].h.leg = E.idx; /* allocated, never added */
		ev[2].h.leg_gen = E.gen;
		ev[3].h = ev[1].h; /* the real one, last: when it is in, so are the others */
		ev[3].h.leg_gen = A.gen;
		inject(ev, 4);
		T_ASSERT(RUN_UNTIL(n_ev >= 1, 3000) >= 0);
		run_ms(50);
		T_ASSERT(n_done == 0);
		T_ASSERT(n_ev == 1 && evs[0].owner == 0xA && evs[0].ev == SB_MEDIA_EV_TIMEOUT);
		n_ev = 0;
	}

	/* ---- 5. a stall: same generation, nothing re-added ---- */
	atomic_store(&ctl->n_log, 0);
	atomic_store(&ctl->beat, 0);
	ms = RUN_UNTIL(!md->ops->is_ready(md), 4000);
	T_ASSERT(ms >= 1500);
	expect_ctr(&A, 110, 99);
	atomic_store(&ctl->beat, 1);
	T_ASSERT(RUN_UNTIL(md->ops->is_ready(md), 4000) >= 0);
	run_ms(100);
	T_ASSERT(atomic_load(&ctl->n_log) == 0);
	expect_ctr(&A, 110, 99);
	set_ctr(&A, 20, 18);
	expect_ctr(&A, 120, 108);

	/* ---- 6. clean stop; the next dataplane refuses B ---- */
	atomic_store(&ctl->fail_add_leg, (int)B.idx);
	atomic_store(&ctl->stop_clean, 1);
	T_ASSERT(waitpid(pid, &rc, 0) == pid && WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
	T_ASSERT(RUN_UNTIL(!md->ops->is_ready(md), 3000) >= 0);
	pid = child_start();
	T_ASSERT(RUN_UNTIL(n_ev >= 1, 3000) >= 0);
	run_ms(100);
	T_ASSERT(n_ev == 1 && evs[0].owner == 0xB && evs[0].ev == SB_MEDIA_EV_LOST);
	expect_ctr(&A, 120, 108);
	/* the owner hangs up: B is gone already, A is deleted */
	T_ASSERT(md->ops->leg_del(md, &B, 0xB0) < 0);
	T_ASSERT(md->ops->leg_del(md, &A, 0xA0) == 0);
	T_ASSERT(RUN_UNTIL(done_status(0xA0) == 0, 2000) >= 0);
	md->ops->leg_free(md, &E);

	/* ---- 7. many calls on a new geometry; re-programming paced by ring room ---- */
	{
		enum { NCALL = 300 };
		static struct sb_media_leg L[2 * NCALL];
		static int add_pos[2 * NCALL];
		int n, pos;

		atomic_store(&ctl->fail_add_leg, -1);
		ctl->max_legs = 1024;
		ctl->port_span = 1000;
		atomic_store(&ctl->stop_clean, 1);
		T_ASSERT(waitpid(pid, &rc, 0) == pid && WIFEXITED(rc));
		T_ASSERT(RUN_UNTIL(!md->ops->is_ready(md), 3000) >= 0);
		pid = child_start();
		T_ASSERT(RUN_UNTIL(md->ops->is_ready(md), 4000) >= 0);
		n_done = 0;
		for (int i = 0; i < NCALL; i++) {
			T_ASSERT(md->ops->leg_alloc(md, -1, &L[2 * i]) == 0);
			T_ASSERT(md->ops->leg_alloc(md, L[2 * i].worker, &L[2 * i + 1]) == 0);
		}
		/* 64-slot command rings: the owner paces itself on -EBUSY */
		for (int i = 0; i < 2 * NCALL;) {
			rc = md->ops->leg_add(md, &L[i], IP4(192, 0, 2, 10), (uint16_t)(6000 + 2 * i),
					      SB_MEDIA_F_STRICT, (uint32_t)(100 + i / 2),
					      (uint64_t)(0x1000 + i));
			if (rc == -EBUSY) {
				run_ms(2);
				continue;
			}
			T_ASSERT(rc == 0);
			i++;
		}
		T_ASSERT(RUN_UNTIL(n_done == 2 * NCALL, 5000) >= 0);
		for (int i = 0; i < NCALL;) {
			rc = md->ops->connect(md, &L[2 * i], &L[2 * i + 1], (uint64_t)(0x2000 + i));
			if (rc == -EBUSY) {
				run_ms(2);
				continue;
			}
			T_ASSERT(rc == 0);
			i++;
		}
		T_ASSERT(RUN_UNTIL(n_done == 3 * NCALL, 5000) >= 0);
		for (int i = 0; i < n_done; i++)
			T_ASSERT(dones[i].status == 0);

		T_ASSERT(kill(pid, SIGKILL) == 0);
		T_ASSERT(waitpid(pid, NULL, 0) == pid);
		T_ASSERT(RUN_UNTIL(!md->ops->is_ready(md), 3000) >= 0);
		pid = child_start();
		ms = RUN_UNTIL(atomic_load(&ctl->n_log) >= 3 * NCALL, 10000);
		T_ASSERT(ms >= 0);
		fprintf(stderr, "%d calls (%d legs) re-programmed through 64-slot rings: "
			"%ld ms after the new dataplane was up\n", NCALL, 2 * NCALL, ms);
		run_ms(100);
		n = atomic_load(&ctl->n_log);
		T_ASSERT_EQ_U64(n, 3 * NCALL);
		/* every leg re-added once, each pair connected once, after both ADDs */
		for (int i = 0; i < 2 * NCALL; i++)
			add_pos[i] = -1;
		for (pos = 0; pos < n; pos++) {
			const union sb_msg *m = log_at(pos);
			int i = -1;

			if (m->h.type == SB_CMD_LEG_ADD) {
				for (int j = 0; j < 2 * NCALL; j++)
					if (L[j].idx == m->h.leg)
						i = j;
				T_ASSERT(i >= 0 && add_pos[i] < 0 && m->h.leg_gen == L[i].gen);
				T_ASSERT(m->leg.local_port == L[i].port && m->leg.peer_port == 6000 + 2 * i);
				add_pos[i] = pos;
			} else {
				T_ASSERT(m->h.type == SB_CMD_LEG_CONNECT);
				for (int j = 0; j < NCALL; j++)
					if ((L[2 * j].idx == m->h.leg && L[2 * j + 1].idx == m->connect.leg_b) ||
					    (L[2 * j + 1].idx == m->h.leg && L[2 * j].idx == m->connect.leg_b))
						i = j;
				T_ASSERT(i >= 0 && add_pos[2 * i] >= 0 && add_pos[2 * i + 1] >= 0);
				add_pos[2 * i] = INT32_MAX; /* connected: a second CONNECT fails */
			}
		}
		for (int i = 0; i < NCALL; i++)
			T_ASSERT(add_pos[2 * i] == INT32_MAX && add_pos[2 * i + 1] >= 0);
		T_ASSERT(n_ev == 1); /* only phase 6's loss */

		/* ---- 8. port ranges shrink: legs outside their worker's new
		 * range are lost (owner told), the others are kept ---- */
		{
			int fits[2 * NCALL], n_fit = 0, n_pairs = 0, n_adds = 0, n_conns = 0;
			struct sb_media_leg X;

			for (int i = 0; i < 2 * NCALL; i++) {
				uint32_t lo = 30000u + 500u * L[i].worker;

				fits[i] = L[i].port >= lo && L[i].port + 1u < lo + 500u;
				n_fit += fits[i];
			}
			for (int i = 0; i < NCALL; i++)
				n_pairs += fits[2 * i] && fits[2 * i + 1];
			T_ASSERT(n_fit > 0 && n_fit < 2 * NCALL); /* both kinds */
			n_ev = 0;
			ctl->port_span = 500;
			atomic_store(&ctl->stop_clean, 1);
			T_ASSERT(waitpid(pid, &rc, 0) == pid && WIFEXITED(rc));
			T_ASSERT(RUN_UNTIL(!md->ops->is_ready(md), 3000) >= 0);
			pid = child_start();
			T_ASSERT(RUN_UNTIL(atomic_load(&ctl->n_log) >= n_fit + n_pairs, 10000) >= 0);
			run_ms(100);
			T_ASSERT_EQ_U64(n_ev, 2 * NCALL - n_fit);
			for (int e = 0; e < n_ev; e++) {
				int i = (int)(evs[e].owner - 0x1000);

				T_ASSERT(evs[e].ev == SB_MEDIA_EV_LOST && i >= 0 && i < 2 * NCALL &&
					 !fits[i]);
			}
			for (pos = 0; pos < atomic_load(&ctl->n_log); pos++) {
				n_adds += log_at(pos)->h.type == SB_CMD_LEG_ADD;
				n_conns += log_at(pos)->h.type == SB_CMD_LEG_CONNECT;
			}
			T_ASSERT(n_adds == n_fit && n_conns == n_pairs);
			/* kept ports are not handed out again */
			while (md->ops->leg_alloc(md, -1, &X) == 0) {
				for (int i = 0; i < 2 * NCALL; i++)
					T_ASSERT(!fits[i] || (X.port != L[i].port && X.idx != L[i].idx));
				T_ASSERT(X.port >= 30000 && X.port < 31000);
			}
		}
		for (int i = 0; i < 2 * NCALL; i++)
			md->ops->leg_free(md, &L[i]);
	}

	sb_media_destroy(md);
	sb_loop_del_fd(loop, stop_fd);
	close(stop_fd);
	sb_loop_free(loop);
	atomic_store(&ctl->stop_clean, 1);
	T_ASSERT(waitpid(pid, &rc, 0) == pid && WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
	return 0;
}
