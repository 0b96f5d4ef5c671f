/* SPDX-License-Identifier: MIT */
/*
 * media/kernel.c — the media backend on sb_relay.ko; the contract is in
 * media/kernel.h.  Only the loop thread touches this state.
 *
 * Records are indexed like the allocator's legs (struct krec); port_idx
 * maps a port of our range back to its record, so a LIST entry finds its
 * leg in O(1).  The ioctls are synchronous: every owner command is carried
 * out at once and its (cookie, status) queued; a 0 ms timer hands the
 * queue to the done callback on the next loop turn.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "media/alloc.h"
#include "media/kernel.h"
#include "uapi/sb_relay.h"

#define DONE_N          8192u  /* queued completions; power of two */
#define POLL_DEFAULT_MS 1000u
#define TIMEOUT_DEFAULT_MS 60000u /* as the dataplane's SB_MEDIA_TIMEOUT_MS */
#define BIND_TRIES      8
#define DRAIN_BURST     64
#define TAG_RTCP        0x80000000u /* epoll data: the socket on port + 1 */

enum krec_state {
	KR_FREE = 0,
	KR_ALLOC,   /* index, port and socket reserved; no entry in the module */
	KR_LIVE,    /* the module has the entry; an owner holds the leg */
	KR_ORPHAN,  /* the module has the entry; nobody owns it: deleted when silent */
};

struct krec {
	uint8_t state;         /* enum krec_state */
	uint8_t timed_out;     /* TIMEOUT told for the current silence */
	uint8_t silent;        /* orphan: silent at the last sweep */
	uint8_t rtcp_on;       /* the module has the RTCP entry (port + 1) */
	uint16_t port;
	uint16_t fwd_port;     /* orphan: its connected partner's port; 0 = none */
	uint32_t gen;
	int fd[2];             /* UDP sockets on media_ip:port, port + 1; -1 = none */
	uint32_t fwd;          /* connected record, UINT32_MAX = none */
	uint64_t owner;        /* cookie of the owner's leg_add */
	uint32_t flags;        /* SB_RELAY_F_* as programmed */
	uint32_t call_no;
	uint32_t peer_ip;      /* expected (programmed), network order */
	uint16_t peer_port;    /* host order */
	uint16_t told_port;    /* latched peer told to the owner (host order) */
	uint32_t told_ip;
	uint32_t timeout_ms;
	uint64_t added_ms;
	uint64_t punted;       /* packets our socket got */
};

struct done_ent {
	uint64_t cookie;
	int status;
};

struct media_kernel {
	struct sb_media base;  /* must be first */
	struct sb_loop *loop;
	char dev[64];
	int fd;                /* /dev/sb_relay */
	int epfd;              /* the legs' sockets; itself watched by the loop */
	bool ep_in_loop;
	bool ready;            /* start-up reconciliation done */
	uint32_t media_ip;
	uint16_t port_min, port_max;
	uint32_t poll_ms;
	struct sb_media_alloc alloc;
	uint32_t n_rec;
	struct krec *rec;      /* [n_rec] */
	uint32_t *port_idx;    /* [port_max - port_min + 1]: record, UINT32_MAX = none */
	struct sb_timer t_done, t_poll;
	struct done_ent done_q[DONE_N];
	uint32_t done_head, done_n;
	struct sb_media_kernel_stats st;
	bool warned_unknown;
	struct sb_relay_list list; /* LIST buffer (1.7 KB: not on the stack) */
};

static struct media_kernel *to_k(struct sb_media *m)
{
	return (struct media_kernel *)m;
}

static const char *ip_str(uint32_t ip, char *buf)
{
	return inet_ntop(AF_INET, &ip, buf, INET_ADDRSTRLEN);
}

static struct sb_relay_addr kaddr(const struct media_kernel *k, uint16_t port)
{
	return (struct sb_relay_addr){ .ip = k->media_ip, .port = htons(port) };
}

static int kioc(struct media_kernel *k, unsigned long cmd, void *arg)
{
	return ioctl(k->fd, cmd, arg) == 0 ? 0 : -errno;
}

static bool port_ours(const struct media_kernel *k, uint16_t port)
{
	return port >= k->port_min && port <= k->port_max;
}

static uint32_t *port_slot(struct media_kernel *k, uint16_t port)
{
	return &k->port_idx[port - k->port_min];
}

/* ---- completions on the next loop turn ---- */

static int queue_done(struct media_kernel *k, uint64_t cookie, int status)
{
	if (k->done_n == DONE_N)
		return -EBUSY;
	k->done_q[(k->done_head + k->done_n) & (DONE_N - 1)] =
		(struct done_ent){ .cookie = cookie, .status = status };
	k->done_n++;
	if (!sb_timer_is_armed(&k->t_done))
		sb_timer_arm(k->loop, &k->t_done, 0);
	return 0;
}

static void on_done(struct sb_timer *t, void *arg)
{
	struct media_kernel *k = arg;
	uint32_t n = k->done_n; /* not those queued by the callbacks: next turn */

	(void)t;
	while (n-- && k->done_n) {
		struct done_ent e = k->done_q[k->done_head];

		k->done_head = (k->done_head + 1) & (DONE_N - 1);
		k->done_n--;
		k->base.done(k->base.done_arg, e.cookie, e.status);
	}
	if (k->done_n && !sb_timer_is_armed(&k->t_done))
		sb_timer_arm(k->loop, &k->t_done, 0);
}

/* ---- leg sockets ---- */

static int sock_open(struct media_kernel *k, uint16_t port, uint32_t tag)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = k->media_ip };
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    epoll_ctl(k->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static void sock_close(struct media_kernel *k, struct krec *r)
{
	for (int i = 0; i < 2; i++) {
		if (r->fd[i] >= 0) {
			/* explicitly: a copy of the fd (a forked child) would keep it
			 * in the set, level-triggered, under an index reused by then */
			epoll_ctl(k->epfd, EPOLL_CTL_DEL, r->fd[i], NULL);
			close(r->fd[i]);
		}
		r->fd[i] = -1;
	}
}

/* Both ports of a leg: 0, or -errno with neither open. */
static int socks_open(struct media_kernel *k, struct krec *r, uint16_t port, uint32_t idx)
{
	int fd = sock_open(k, port, idx);

	if (fd < 0)
		return fd;
	r->fd[0] = fd;
	fd = sock_open(k, (uint16_t)(port + 1), idx | TAG_RTCP);
	if (fd < 0) {
		sock_close(k, r);
		return fd;
	}
	r->fd[1] = fd;
	return 0;
}

/* What the module passed up: read, count, drop.  Bounded per turn. */
static void on_sockets(void *arg, uint32_t events)
{
	struct media_kernel *k = arg;
	struct epoll_event evs[64];
	int n = epoll_wait(k->epfd, evs, 64, 0);

	(void)events;
	for (int i = 0; i < n; i++) {
		uint32_t idx = evs[i].data.u32 & ~TAG_RTCP;
		int fd = idx < k->n_rec ? k->rec[idx].fd[evs[i].data.u32 & TAG_RTCP ? 1 : 0] : -1;
		struct krec *r = idx < k->n_rec ? &k->rec[idx] : NULL;
		char buf[2048];

		if (fd < 0)
			continue;
		for (int j = 0; j < DRAIN_BURST; j++) {
			if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0)
				break;
			r->punted++;
			k->st.punted_pkts++;
		}
	}
}

/* ---- records ---- */

static struct krec *rec_of(struct media_kernel *k, const struct sb_media_leg *leg)
{
	struct krec *r;

	if (leg->idx == UINT32_MAX || leg->idx >= k->n_rec || leg->epoch != 1)
		return NULL;
	r = &k->rec[leg->idx];
	if (r->gen != leg->gen || (r->state != KR_ALLOC && r->state != KR_LIVE))
		return NULL;
	return r;
}

static void rec_unlink(struct media_kernel *k, uint32_t idx)
{
	struct krec *r = &k->rec[idx];

	if (r->fwd < k->n_rec && k->rec[r->fwd].fwd == idx)
		k->rec[r->fwd].fwd = UINT32_MAX;
	r->fwd = UINT32_MAX;
}

/* Socket closed, index and port back to the pools. */
static void rec_release(struct media_kernel *k, uint32_t idx)
{
	struct krec *r = &k->rec[idx];

	rec_unlink(k, idx);
	sock_close(k, r);
	if (r->state == KR_LIVE)
		k->st.live--;
	else if (r->state == KR_ORPHAN)
		k->st.orphans--;
	*port_slot(k, r->port) = UINT32_MAX;
	sb_media_alloc_put(&k->alloc, idx, 0, r->port);
	r->state = KR_FREE;
	r->owner = 0;
	r->rtcp_on = 0;
}

static void rec_orphan(struct media_kernel *k, uint32_t idx)
{
	struct krec *r = &k->rec[idx];

	if (r->state == KR_LIVE)
		k->st.live--;
	r->fwd_port = r->fwd < k->n_rec ? k->rec[r->fwd].port : 0;
	r->state = KR_ORPHAN;
	r->owner = 0;
	r->silent = 0;
	k->st.orphans++;
}

/* ---- operations ---- */

static bool k_is_ready(struct sb_media *m)
{
	return to_k(m)->ready;
}

static uint32_t k_media_ip(struct sb_media *m)
{
	return to_k(m)->ready ? to_k(m)->media_ip : 0;
}

static int k_leg_alloc(struct sb_media *m, int worker, struct sb_media_leg *out)
{
	struct media_kernel *k = to_k(m);
	int rc = -ENOSPC;

	if (!k->ready)
		return -ENOTCONN;
	if (worker > 0)
		return -EINVAL; /* one "worker": the kernel */
	for (int t = 0; t < BIND_TRIES; t++) {
		uint32_t idx, gen;
		uint16_t port, w;
		struct krec *r;

		rc = sb_media_alloc_get(&k->alloc, 0, &idx, &gen, &port, &w);
		if (rc < 0)
			return rc;
		r = &k->rec[idx];
		memset(r, 0, sizeof(*r));
		r->fd[0] = r->fd[1] = -1;
		rc = socks_open(k, r, port, idx);
		if (rc < 0) {
			/* another program holds the port: next one (this one comes
			 * round again at the tail of the FIFO) */
			sb_media_alloc_put(&k->alloc, idx, 0, port);
			if (rc == -EADDRINUSE)
				continue;
			sb_warn("media: kernel: cannot bind ports %u/%u: %s", port, port + 1,
				strerror(-rc));
			return rc == -EMFILE || rc == -ENFILE ? -ENOSPC : rc;
		}
		r->state = KR_ALLOC;
		r->gen = gen;
		r->port = port;
		r->fwd = UINT32_MAX;
		*port_slot(k, port) = idx;
		/* the backend contract: alloc clears sdp (plain RTP until the
		 * owner sets what offer/answer agreed, before leg_add) */
		memset(&out->sdp, 0, sizeof(out->sdp));
		out->idx = idx;
		out->gen = gen;
		out->port = port;
		out->worker = 0;
		out->ip = 0; /* one address: media_ip() */
		out->epoch = 1;
		return 0;
	}
	sb_warn("media: kernel: %d ports in a row are taken by other programs", BIND_TRIES);
	return -ENOSPC;
}

static void k_leg_free(struct sb_media *m, struct sb_media_leg *leg)
{
	struct media_kernel *k = to_k(m);
	struct krec *r = rec_of(k, leg);

	if (r != NULL) {
		if (r->state == KR_ALLOC)
			rec_release(k, leg->idx);
		else /* shutdown: the module keeps carrying it until it falls silent */
			rec_orphan(k, leg->idx);
	}
	leg->idx = UINT32_MAX;
}

static uint32_t relay_flags(uint32_t media_flags)
{
	return (media_flags & SB_MEDIA_F_LATCH ? SB_RELAY_F_LATCH : 0) |
	       (media_flags & SB_MEDIA_F_STRICT ? SB_RELAY_F_STRICT : 0) | SB_RELAY_F_RTP;
}

static int del_entry(struct media_kernel *k, const struct sb_relay_addr *local)
{
	struct sb_relay_addr a = *local;
	int rc = kioc(k, SB_RELAY_IOC_DEL, &a);

	return rc == -ENOENT ? 0 : rc;
}

/* The module forwards payloads as they are: a leg whose sides number a
 * codec differently (payload-type rewriting) or that SRTP protects is not
 * "only relaying" and needs the DPDK backend.  (caps has no
 * SB_MEDIA_CAP_SRTP, so the B2BUA does not offer keys on this backend.) */
static int leg_check_sdp(const struct krec *r, const struct sb_media_leg *leg)
{
	if (leg->sdp.rx.suite != 0 || leg->sdp.tx.suite != 0) {
		sb_warn("media: kernel: port %u: SRTP needs the DPDK backend", r->port);
		return -EOPNOTSUPP;
	}
	for (unsigned i = 0; i < leg->sdp.n_pt && i < SB_MEDIA_MAX_PT; i++)
		if ((leg->sdp.pt[i].pt_in & 0x7f) != (leg->sdp.pt[i].pt_out & 0x7f)) {
			sb_warn("media: kernel: port %u: payload type %u -> %u needs rewriting: "
				"the DPDK backend does that, the kernel relays payloads as they are",
				r->port, leg->sdp.pt[i].pt_in, leg->sdp.pt[i].pt_out);
			return -EOPNOTSUPP;
		}
	return 0;
}

static int leg_write(struct media_kernel *k, struct krec *r, unsigned long cmd, uint32_t peer_ip,
		     uint16_t peer_port, uint32_t flags, uint32_t call_no)
{
	struct sb_relay_leg l;

	memset(&l, 0, sizeof(l));
	l.local = kaddr(k, r->port);
	l.peer.ip = peer_port ? peer_ip : 0;
	l.peer.port = peer_ip ? htons(peer_port) : 0;
	if (l.peer.port == 0)
		l.peer.ip = 0; /* half a peer is refused: treat as unknown */
	l.flags = relay_flags(flags);
	l.call_id = call_no;
	return kioc(k, cmd, &l);
}

/* The RTCP entry of a leg: port + 1 to the peer's RTCP port (a=rtcp, else
 * its RTP port + 1), connected like the RTP pair.  None with rtcp-mux: RTCP
 * then rides on the RTP entry.  RTCP is not worth failing a call for: a
 * refusal is logged and the leg goes on without it. */
static void rtcp_write(struct media_kernel *k, struct krec *r, const struct sb_media_leg *leg,
		       uint32_t peer_ip, uint16_t peer_port, uint32_t flags, uint32_t call_no)
{
	struct sb_relay_addr a = kaddr(k, (uint16_t)(r->port + 1));
	uint16_t rport = leg->sdp.peer_rtcp_port ? leg->sdp.peer_rtcp_port :
			 peer_port && peer_port < 65535 ? (uint16_t)(peer_port + 1) : 0;
	struct sb_relay_leg l;
	int rc;

	if (leg->sdp.rtcp_mux) {
		if (r->rtcp_on && del_entry(k, &a) == 0)
			r->rtcp_on = 0;
		return;
	}
	memset(&l, 0, sizeof(l));
	l.local = a;
	if (peer_ip && rport) {
		l.peer.ip = peer_ip;
		l.peer.port = htons(rport);
	}
	l.flags = relay_flags(flags) & ~SB_RELAY_F_RTP;
	l.call_id = call_no;
	rc = kioc(k, r->rtcp_on ? SB_RELAY_IOC_MOD : SB_RELAY_IOC_ADD, &l);
	if (rc == 0)
		r->rtcp_on = 1;
	else
		sb_warn("media: kernel: RTCP port %u (call %u): %s; RTCP not relayed", r->port + 1,
			call_no, strerror(-rc));
}

static int k_leg_add(struct sb_media *m, const struct sb_media_leg *leg, uint32_t peer_ip,
		     uint16_t peer_port, uint32_t flags, uint32_t call_no, uint64_t cookie)
{
	struct media_kernel *k = to_k(m);
	struct krec *r = rec_of(k, leg);
	int st;

	if (!k->ready)
		return -ENOTCONN;
	if (r == NULL || r->state != KR_ALLOC)
		return -EINVAL;
	if (k->done_n == DONE_N)
		return -EBUSY;
	st = leg_check_sdp(r, leg);
	if (st < 0)
		return st;
	st = leg_write(k, r, SB_RELAY_IOC_ADD, peer_ip, peer_port, flags, call_no);
	if (st == 0) {
		r->state = KR_LIVE;
		k->st.live++;
		r->owner = cookie;
		r->flags = relay_flags(flags);
		r->call_no = call_no;
		r->peer_ip = peer_ip;
		r->peer_port = peer_port;
		r->told_ip = 0;
		r->told_port = 0;
		r->timed_out = 0;
		r->timeout_ms = m->timeout_ms ? m->timeout_ms : TIMEOUT_DEFAULT_MS;
		r->added_ms = sb_mono_ms();
		rtcp_write(k, r, leg, peer_ip, peer_port, flags, call_no);
	} else {
		sb_warn("media: kernel: ADD port %u (call %u): %s", r->port, call_no, strerror(-st));
	}
	return queue_done(k, cookie, st);
}

static int k_leg_mod(struct sb_media *m, const struct sb_media_leg *leg, uint32_t peer_ip,
		     uint16_t peer_port, uint32_t flags, uint32_t call_no, uint64_t cookie)
{
	struct media_kernel *k = to_k(m);
	struct krec *r = rec_of(k, leg);
	int st;

	if (!k->ready)
		return -ENOTCONN;
	if (r == NULL || r->state != KR_LIVE)
		return -EINVAL;
	if (k->done_n == DONE_N)
		return -EBUSY;
	st = leg_check_sdp(r, leg);
	if (st < 0)
		return st;
	st = leg_write(k, r, SB_RELAY_IOC_MOD, peer_ip, peer_port, flags, call_no);
	if (st == 0) {
		if (peer_ip != r->peer_ip || peer_port != r->peer_port) {
			r->told_ip = 0; /* the module learns again, so do we */
			r->told_port = 0;
		}
		r->flags = relay_flags(flags);
		r->call_no = call_no;
		r->peer_ip = peer_ip;
		r->peer_port = peer_port;
		rtcp_write(k, r, leg, peer_ip, peer_port, flags, call_no);
	} else {
		sb_warn("media: kernel: MOD port %u (call %u): %s", r->port, call_no, strerror(-st));
	}
	return queue_done(k, cookie, st);
}

static int k_leg_del(struct sb_media *m, struct sb_media_leg *leg, uint64_t cookie)
{
	struct media_kernel *k = to_k(m);
	struct krec *r = rec_of(k, leg);
	uint32_t idx = leg->idx;
	struct sb_relay_addr a;
	int st;

	if (idx == UINT32_MAX)
		return -EINVAL;
	leg->idx = UINT32_MAX; /* released either way */
	if (r == NULL)
		return -ESTALE;
	if (r->state != KR_LIVE) {
		rec_release(k, idx);
		return -EINVAL;
	}
	a = kaddr(k, r->port);
	st = kioc(k, SB_RELAY_IOC_DEL, &a);
	if (st < 0)
		sb_warn("media: kernel: DEL port %u (call %u): %s", r->port, r->call_no,
			strerror(-st));
	if (r->rtcp_on) {
		a = kaddr(k, (uint16_t)(r->port + 1));
		(void)del_entry(k, &a);
	}
	rec_release(k, idx);
	if (queue_done(k, cookie, st) < 0)
		return -EBUSY; /* released, no callback */
	return 0;
}

static int k_connect(struct sb_media *m, const struct sb_media_leg *a,
		     const struct sb_media_leg *b, uint64_t cookie)
{
	struct media_kernel *k = to_k(m);
	struct krec *ra = rec_of(k, a), *rb = rec_of(k, b);
	struct sb_relay_connect c;
	int st;

	if (!k->ready)
		return -ENOTCONN;
	if (ra == NULL || rb == NULL || ra == rb || ra->state != KR_LIVE || rb->state != KR_LIVE)
		return -EINVAL;
	if (k->done_n == DONE_N)
		return -EBUSY;
	c = (struct sb_relay_connect){ .a = kaddr(k, ra->port), .b = kaddr(k, rb->port) };
	st = kioc(k, SB_RELAY_IOC_CONNECT, &c);
	if (st == 0) {
		if (ra->fwd != b->idx)
			rec_unlink(k, a->idx);
		if (rb->fwd != a->idx)
			rec_unlink(k, b->idx);
		ra->fwd = b->idx;
		rb->fwd = a->idx;
		if (ra->rtcp_on && rb->rtcp_on) {
			c = (struct sb_relay_connect){ .a = kaddr(k, (uint16_t)(ra->port + 1)),
						       .b = kaddr(k, (uint16_t)(rb->port + 1)) };
			if (kioc(k, SB_RELAY_IOC_CONNECT, &c) < 0)
				sb_warn("media: kernel: CONNECT RTCP %u <-> %u: %s; RTCP not "
					"relayed", ra->port + 1, rb->port + 1, strerror(errno));
		}
	} else {
		sb_warn("media: kernel: CONNECT %u <-> %u: %s", ra->port, rb->port, strerror(-st));
	}
	return queue_done(k, cookie, st);
}

static int k_leg_counters(struct sb_media *m, const struct sb_media_leg *leg,
			  struct sb_media_counters *out)
{
	struct media_kernel *k = to_k(m);
	struct krec *r = rec_of(k, leg);
	struct sb_relay_stats s;
	int rc;

	memset(out, 0, sizeof(*out));
	if (r == NULL)
		return leg->idx == UINT32_MAX ? -EINVAL : -ESTALE;
	if (r->state != KR_LIVE)
		return 0; /* not added: nothing carried yet */
	memset(&s, 0, sizeof(s));
	s.local = kaddr(k, r->port);
	rc = kioc(k, SB_RELAY_IOC_GET, &s);
	if (rc < 0)
		return rc == -ENOENT ? -ESTALE : rc;
	*out = (struct sb_media_counters){ .rx_pkts = s.rx_pkts, .rx_bytes = s.rx_bytes,
					   .tx_pkts = s.tx_pkts, .tx_bytes = s.tx_bytes,
					   .rej_src = s.rejected };
	return 0;
}

/* ---- polling LIST: events, orphans, start-up reconciliation ---- */

static bool entry_silent(const struct sb_relay_stats *e, uint32_t timeout_ms)
{
	return e->idle_ms == UINT32_MAX || e->idle_ms >= timeout_ms ||
	       !(e->state & SB_RELAY_S_CONNECTED);
}

static void sweep_live(struct media_kernel *k, uint32_t idx, const struct sb_relay_stats *e,
		       uint64_t now)
{
	struct krec *r = &k->rec[idx];
	uint64_t since = r->added_ms;
	uint16_t pport = ntohs(e->peer.port);
	char s[INET_ADDRSTRLEN];

	if ((e->state & SB_RELAY_S_LATCHED) &&
	    (e->peer.ip != r->told_ip || pport != r->told_port)) {
		r->told_ip = e->peer.ip;
		r->told_port = pport;
		k->st.ev_latched++;
		sb_dbg("media: kernel: port %u (call %u) latched to %s:%u", r->port, r->call_no,
		       ip_str(e->peer.ip, s), pport);
		if (k->base.latched)
			k->base.latched(k->base.event_arg, r->owner, e->peer.ip, pport);
		if (r->state != KR_LIVE)
			return; /* the callback deleted or freed it */
	}
	if (e->idle_ms != UINT32_MAX && now > e->idle_ms && now - e->idle_ms > since)
		since = now - e->idle_ms;
	if (now < since || now - since < r->timeout_ms) {
		r->timed_out = 0; /* media (again): a new silence can time out */
		return;
	}
	if (r->timed_out)
		return;
	r->timed_out = 1;
	k->st.ev_timeout++;
	sb_info("media: kernel: port %u (call %u) reports a media timeout: %llu ms without media",
		r->port, r->call_no, (unsigned long long)(now - since));
	if (k->base.event)
		k->base.event(k->base.event_arg, r->owner, SB_MEDIA_EV_TIMEOUT);
}

/* Orphans go when they and their partner have both been silent for the
 * timeout: deleting one side of a call whose other side still speaks would
 * cut that side's media. */
static void reap_orphans(struct media_kernel *k)
{
	for (uint32_t i = 0; i < k->n_rec; i++) {
		struct krec *r = &k->rec[i];
		uint32_t p;
		struct sb_relay_addr a;
		int rc;

		if (r->state != KR_ORPHAN || !r->silent)
			continue;
		if (r->fwd_port && port_ours(k, r->fwd_port)) {
			p = *port_slot(k, r->fwd_port);
			if (p != UINT32_MAX && k->rec[p].state == KR_ORPHAN && !k->rec[p].silent)
				continue;
			if (p != UINT32_MAX && k->rec[p].state == KR_LIVE)
				continue; /* its owner still has the partner: after its DEL */
		}
		a = kaddr(k, r->port);
		rc = del_entry(k, &a);
		if (rc < 0) {
			sb_warn("media: kernel: deleting silent orphan port %u: %s", r->port,
				strerror(-rc));
			continue;
		}
		if (r->rtcp_on) {
			a = kaddr(k, (uint16_t)(r->port + 1));
			(void)del_entry(k, &a);
		}
		sb_info("media: kernel: port %u (call %u of an earlier run or shutdown) silent: "
			"deleted", r->port, r->call_no);
		k->st.orphans_deleted++;
		rec_release(k, i);
	}
}

static void sweep(struct media_kernel *k)
{
	uint64_t now = sb_mono_ms();
	struct sb_relay_list *l = &k->list;
	uint32_t timeout = k->base.timeout_ms ? k->base.timeout_ms : TIMEOUT_DEFAULT_MS;
	int rc;

	k->st.polls++;
	memset(l, 0, sizeof(*l));
	do {
		rc = kioc(k, SB_RELAY_IOC_LIST, l);
		if (rc < 0) {
			sb_warn("media: kernel: LIST: %s", strerror(-rc));
			return;
		}
		for (uint32_t i = 0; i < l->count; i++) {
			const struct sb_relay_stats *e = &l->ent[i];
			uint16_t port = ntohs(e->local.port);
			uint32_t idx;

			if (e->local.ip != k->media_ip || !port_ours(k, port) || (port & 1))
				continue; /* not ours, or an RTCP entry (no events) */
			idx = *port_slot(k, port);
			if (idx == UINT32_MAX) {
				if (!k->warned_unknown)
					sb_warn("media: kernel: port %u of our range is in the module "
						"but not ours (another program?)", port);
				k->warned_unknown = true;
				continue;
			}
			if (k->rec[idx].state == KR_LIVE)
				sweep_live(k, idx, e, now);
			else if (k->rec[idx].state == KR_ORPHAN)
				k->rec[idx].silent = entry_silent(e, timeout);
		}
	} while (l->count == SB_RELAY_LIST_MAX);
	if (k->st.orphans)
		reap_orphans(k);
}

/* Start-up: settle what an earlier run of control left in the module
 * (kernel.h says why we adopt rather than match call ids).  A pair is kept
 * whole when either side still carries media: deleting the silent side
 * (the agent on mute, say) would cut the other side's media. */
static int reconcile(struct media_kernel *k)
{
	struct sb_relay_list *l = &k->list;
	uint32_t timeout = k->base.timeout_ms ? k->base.timeout_ms : TIMEOUT_DEFAULT_MS;
	uint32_t span = (uint32_t)k->port_max - k->port_min + 1;
	struct sb_relay_stats *ours = NULL;
	uint32_t n = 0, cap = 0, n_adopt = 0;
	uint8_t *used_idx = NULL, *used_port = NULL;
	int rc;

	k->st.foreign = 0; /* counted again if this is a retry */
	memset(l, 0, sizeof(*l));
	do {
		rc = kioc(k, SB_RELAY_IOC_LIST, l);
		if (rc < 0)
			goto out_free;
		for (uint32_t i = 0; i < l->count; i++) {
			const struct sb_relay_stats *e = &l->ent[i];

			if (e->local.ip != k->media_ip || !port_ours(k, ntohs(e->local.port))) {
				k->st.foreign++;
				continue;
			}
			if (n == cap) {
				struct sb_relay_stats *g;

				cap = cap ? 2 * cap : 64;
				g = realloc(ours, cap * sizeof(*ours));
				if (g == NULL) {
					rc = -ENOMEM;
					goto out_free;
				}
				ours = g;
			}
			ours[n++] = *e;
		}
	} while (l->count == SB_RELAY_LIST_MAX);

	used_idx = calloc(k->n_rec, 1);
	used_port = calloc(65536, 1);
	if (used_idx == NULL || used_port == NULL) {
		rc = -ENOMEM;
		goto out_free;
	}
	/* port_idx, still empty, maps our entries' ports to their place in ours[] */
	for (uint32_t i = 0; i < n; i++)
		*port_slot(k, ntohs(ours[i].local.port)) = i;
	for (uint32_t i = 0; i < n; i++) {
		const struct sb_relay_stats *e = &ours[i];
		uint16_t port = ntohs(e->local.port), fport = ntohs(e->fwd.port);
		bool keep = !entry_silent(e, timeout);

		if (port & 1)
			continue; /* RTCP: decided with its RTP entry, below */
		if (!keep && e->fwd.ip == k->media_ip && port_ours(k, fport) &&
		    *port_slot(k, fport) < n)
			keep = !entry_silent(&ours[*port_slot(k, fport)], timeout);
		if (!keep || (port & 1) || port + 1u > k->port_max || n_adopt == k->n_rec) {
			rc = del_entry(k, &e->local);
			if (rc < 0)
				goto out_free;
			k->st.start_deleted++;
			continue;
		}
		used_idx[n_adopt] = 1;
		used_port[port] = 1;
		n_adopt++;
	}
	for (uint32_t i = 0; i < n; i++) { /* RTCP entries go with their RTP entry */
		uint16_t port = ntohs(ours[i].local.port);

		if (!(port & 1))
			continue;
		if (used_port[port - 1]) {
			used_port[port] = 2;
			continue;
		}
		rc = del_entry(k, &ours[i].local);
		if (rc < 0)
			goto out_free;
		k->st.start_deleted++;
	}
	/* the adopted take records 0..n_adopt-1, in LIST order */
	memset(k->port_idx, 0xff, span * sizeof(*k->port_idx));
	n_adopt = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct sb_relay_stats *e = &ours[i];
		uint16_t port = ntohs(e->local.port);
		struct krec *r;

		if (used_port[port] != 1)
			continue;
		r = &k->rec[n_adopt];
		memset(r, 0, sizeof(*r));
		r->state = KR_ORPHAN;
		r->port = port;
		r->call_no = e->call_id;
		r->fwd = UINT32_MAX;
		r->fwd_port = e->fwd.ip == k->media_ip ? ntohs(e->fwd.port) : 0;
		r->fd[0] = r->fd[1] = -1;
		r->rtcp_on = port + 1u <= k->port_max && used_port[port + 1] == 2;
		rc = socks_open(k, r, port, n_adopt);
		if (rc < 0)
			sb_warn("media: kernel: cannot bind adopted ports %u/%u: %s", port, port + 1,
				strerror(-rc));
		*port_slot(k, port) = n_adopt;
		k->alloc.leg_gen[n_adopt]++; /* handles of an earlier run can never match */
		n_adopt++;
		k->st.start_adopted++;
		k->st.orphans++;
	}
	sb_media_alloc_exclude(&k->alloc, used_idx, used_port);
	sb_info("media: kernel: start-up: %llu entries of an earlier run deleted (silent), "
		"%llu kept until their media stops, %llu of other addresses or ports left "
		"alone; ports %u..%u (%u)",
		(unsigned long long)k->st.start_deleted, (unsigned long long)k->st.start_adopted,
		(unsigned long long)k->st.foreign, k->port_min, k->port_max, span);
	rc = 0;
out_free:
	if (rc < 0) /* retried from scratch */
		memset(k->port_idx, 0xff, span * sizeof(*k->port_idx));
	free(ours);
	free(used_idx);
	free(used_port);
	return rc;
}

static void on_poll(struct sb_timer *t, void *arg)
{
	struct media_kernel *k = arg;

	if (!k->ready) {
		int rc = reconcile(k);

		if (rc < 0) {
			sb_err("media: kernel: start-up reconciliation failed: %s (retrying)",
			       strerror(-rc));
			sb_timer_arm(k->loop, t, k->poll_ms);
			return;
		}
		k->ready = true;
	} else {
		sweep(k);
	}
	sb_timer_arm(k->loop, t, k->poll_ms);
}

/* ---- life cycle ---- */

void sb_media_kernel_stats(struct sb_media *m, struct sb_media_kernel_stats *out)
{
	*out = to_k(m)->st;
}

static void k_destroy(struct sb_media *m)
{
	struct media_kernel *k = to_k(m);

	/* at shutdown: how much media climbed into user space (the module
	 * passes up only what it cannot relay; tests/kmod asserts 0 for a call) */
	if (k->ready)
		sb_info("media: kernel: %llu packets passed up to our sockets, %llu LIST sweeps, "
			"%llu latched and %llu timeout events, %llu orphans deleted",
			(unsigned long long)k->st.punted_pkts, (unsigned long long)k->st.polls,
			(unsigned long long)k->st.ev_latched, (unsigned long long)k->st.ev_timeout,
			(unsigned long long)k->st.orphans_deleted);
	sb_timer_cancel(k->loop, &k->t_done);
	sb_timer_cancel(k->loop, &k->t_poll);
	if (k->ep_in_loop)
		sb_loop_del_fd(k->loop, k->epfd);
	/* entries stay in the module: the next run adopts or deletes them */
	for (uint32_t i = 0; i < k->n_rec && k->rec; i++)
		sock_close(k, &k->rec[i]);
	if (k->epfd >= 0)
		close(k->epfd);
	if (k->fd >= 0)
		close(k->fd);
	sb_media_alloc_fini(&k->alloc);
	free(k->rec);
	free(k->port_idx);
	free(k);
}

/* ---- media processing: not here ----
 * sb_relay.ko relays payloads as they are.  SRTP, transcoding, DTMF,
 * prompts and mixing run on the DPDK workers only: DESIGN.md places a call
 * that needs them on the DPDK backend, and caps (no SB_MEDIA_CAP_*) tells
 * the B2BUA so before it asks.  Asked anyway: -ENOTSUP, nothing sent. */
static int k_leg_media(struct sb_media *m, const struct sb_media_leg *leg,
		       const struct sb_media_proc *p, uint64_t cookie)
{
	(void)m, (void)leg, (void)p, (void)cookie;
	return -ENOTSUP;
}

static int k_dtmf_send(struct sb_media *m, const struct sb_media_leg *leg, const char *digits,
		       uint16_t duration_ms, uint64_t cookie)
{
	(void)m, (void)leg, (void)digits, (void)duration_ms, (void)cookie;
	return -ENOTSUP;
}

static int k_prompt_load(struct sb_media *m, uint32_t prompt, const char *path)
{
	(void)m, (void)prompt, (void)path;
	return -ENOTSUP;
}

static int k_prompt_play(struct sb_media *m, const struct sb_media_leg *leg, uint32_t prompt,
			 uint32_t flags, uint64_t cookie)
{
	(void)m, (void)leg, (void)prompt, (void)flags, (void)cookie;
	return -ENOTSUP;
}

static int k_prompt_stop(struct sb_media *m, const struct sb_media_leg *leg, uint64_t cookie)
{
	(void)m, (void)leg, (void)cookie;
	return -ENOTSUP;
}

static int k_conf_join(struct sb_media *m, const struct sb_media_leg *leg, uint32_t conf,
		       enum sb_media_conf_mode mode, const struct sb_media_leg *target,
		       uint64_t cookie)
{
	(void)m, (void)leg, (void)conf, (void)mode, (void)target, (void)cookie;
	return -ENOTSUP;
}

static int k_conf_leave(struct sb_media *m, const struct sb_media_leg *leg, uint64_t cookie)
{
	(void)m, (void)leg, (void)cookie;
	return -ENOTSUP;
}

/* Recording needs the DPDK recorder thread (issue 7): not here either. */
static int k_rec_start(struct sb_media *m, const struct sb_media_leg *caller,
		       const struct sb_media_leg *agent, uint32_t rec_id,
		       enum sb_media_rec_fmt fmt, const char *path, unsigned segment_s,
		       uint64_t cookie)
{
	(void)m, (void)caller, (void)agent, (void)rec_id, (void)fmt, (void)path;
	(void)segment_s, (void)cookie;
	return -ENOTSUP;
}

static int k_rec_stop(struct sb_media *m, const struct sb_media_leg *caller, uint32_t rec_id,
		      uint64_t cookie)
{
	(void)m, (void)caller, (void)rec_id, (void)cookie;
	return -ENOTSUP;
}

static int k_rec_pause(struct sb_media *m, const struct sb_media_leg *caller, uint32_t rec_id,
		       bool pause, uint64_t cookie)
{
	(void)m, (void)caller, (void)rec_id, (void)pause, (void)cookie;
	return -ENOTSUP;
}

static const struct sb_media_ops kernel_ops = {
	.name = "kernel",
	.is_ready = k_is_ready,
	.media_ip = k_media_ip,
	.leg_alloc = k_leg_alloc,
	.leg_free = k_leg_free,
	.leg_add = k_leg_add,
	.leg_mod = k_leg_mod,
	.leg_del = k_leg_del,
	.connect = k_connect,
	.leg_counters = k_leg_counters,
	.leg_media = k_leg_media,
	.dtmf_send = k_dtmf_send,
	.prompt_load = k_prompt_load,
	.prompt_play = k_prompt_play,
	.prompt_stop = k_prompt_stop,
	.conf_join = k_conf_join,
	.conf_leave = k_conf_leave,
	.rec_start = k_rec_start,
	.rec_stop = k_rec_stop,
	.rec_pause = k_rec_pause,
	.destroy = k_destroy,
};

/* HELLO: the module compares our ABI number and every struct size. */
static int hello(struct media_kernel *k, uint32_t abi)
{
	struct sb_relay_hello h;
	int rc;

	sb_relay_hello_init(&h);
	h.abi = abi;
	rc = kioc(k, SB_RELAY_IOC_HELLO, &h);
	if (rc == -EPROTO) {
		sb_err("media: kernel: %s refused our ABI %u (struct sizes hello %u, leg %u, "
		       "stats %u, list %u): the loaded sb_relay.ko was built from another "
		       "kmod/uapi/sb_relay.h; load the module built with this control",
		       k->dev, abi, h.sizes[SB_RELAY_SZ_HELLO], h.sizes[SB_RELAY_SZ_LEG],
		       h.sizes[SB_RELAY_SZ_STATS], h.sizes[SB_RELAY_SZ_LIST]);
		return rc;
	}
	if (rc < 0) {
		sb_err("media: kernel: HELLO on %s: %s", k->dev, strerror(-rc));
		return rc;
	}
	if ((h.flags_known & SB_RELAY_F_KNOWN) != SB_RELAY_F_KNOWN) {
		sb_err("media: kernel: %s lacks leg flags %#x we need", k->dev,
		       SB_RELAY_F_KNOWN & ~h.flags_known);
		return -EPROTO;
	}
	return (int)(h.max_entries > INT32_MAX ? INT32_MAX : h.max_entries);
}

/* Every leg holds a socket: make room for them if the hard limit allows. */
static void raise_nofile(uint32_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want + 256u)
		return;
	rl.rlim_cur = rl.rlim_max < want + 256u ? rl.rlim_max : want + 256u;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want + 256u)
		sb_warn("media: kernel: open file limit %llu is below the %u sockets of our legs: "
			"calls beyond it are refused", (unsigned long long)rl.rlim_cur, want);
}

struct sb_media *sb_media_kernel_create(struct sb_loop *loop,
					const struct sb_media_kernel_params *p,
					sb_media_done_cb *done, void *done_arg)
{
	struct media_kernel *k;
	uint32_t span, n_ports, max_entries;
	char s[INET_ADDRSTRLEN];
	int rc;

	if (p->media_ip == 0 || p->port_min < 2 || p->port_max <= p->port_min) {
		sb_err("media: kernel: needs a media address and a port range (got %s, %u..%u)",
		       ip_str(p->media_ip, s), p->port_min, p->port_max);
		errno = EINVAL;
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return NULL;
	k->base = (struct sb_media){ .ops = &kernel_ops, .done = done, .done_arg = done_arg };
	k->loop = loop;
	k->fd = k->epfd = -1;
	snprintf(k->dev, sizeof(k->dev), "%s", p->dev ? p->dev : "/dev/" SB_RELAY_DEV_NAME);
	k->media_ip = p->media_ip;
	k->port_min = p->port_min;
	k->port_max = p->port_max;
	k->poll_ms = p->poll_ms ? p->poll_ms : POLL_DEFAULT_MS;
	sb_timer_init(&k->t_done, on_done, k);
	sb_timer_init(&k->t_poll, on_poll, k);

	{
		/* say it now, not at every call: the address must be ours */
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = k->media_ip };
		int t = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		rc = t < 0 ? -errno : bind(t, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
		if (t >= 0)
			close(t);
		if (rc < 0) {
			sb_err("media: kernel: media address %s is not usable here: %s",
			       ip_str(k->media_ip, s), strerror(-rc));
			goto out_free;
		}
	}
	k->fd = open(k->dev, O_RDWR | O_CLOEXEC);
	if (k->fd < 0) {
		rc = -errno;
		sb_err("media: kernel: cannot open %s: %s%s", k->dev, strerror(-rc),
		       rc == -ENOENT ? " (is sb_relay.ko loaded? insmod kmod's sb_relay.ko)" : "");
		goto out_free;
	}
	rc = hello(k, p->abi ? p->abi : SB_RELAY_ABI);
	if (rc < 0)
		goto out_free;
	max_entries = (uint32_t)rc;
	span = (uint32_t)p->port_max - p->port_min + 1;
	n_ports = span / 2;
	k->n_rec = n_ports < max_entries ? n_ports : max_entries;
	if (k->n_rec == 0) {
		rc = -EINVAL;
		sb_err("media: kernel: no room: %u ports, module table %u", span, max_entries);
		goto out_free;
	}
	k->rec = calloc(k->n_rec, sizeof(*k->rec));
	k->port_idx = malloc(span * sizeof(*k->port_idx));
	if (k->rec == NULL || k->port_idx == NULL) {
		rc = -ENOMEM;
		goto out_free;
	}
	for (uint32_t i = 0; i < k->n_rec; i++) {
		k->rec[i].fd[0] = k->rec[i].fd[1] = -1;
		k->rec[i].fwd = UINT32_MAX;
	}
	memset(k->port_idx, 0xff, span * sizeof(*k->port_idx));
	rc = sb_media_alloc_init(&k->alloc, k->n_rec, 1, p->port_min, (uint16_t)(span > 65535 ? 65535 : span));
	if (rc < 0)
		goto out_free;
	k->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (k->epfd < 0) {
		rc = -errno;
		goto out_free;
	}
	rc = sb_loop_add_fd(loop, k->epfd, on_sockets, k);
	if (rc < 0)
		goto out_free;
	k->ep_in_loop = true;
	raise_nofile(2 * k->n_rec); /* RTP and RTCP socket per leg */
	sb_info("media: kernel: %s opened (ABI %u), media %s ports %u..%u, %u legs, module "
		"table %u, events every %u ms", k->dev, SB_RELAY_ABI, ip_str(k->media_ip, s),
		k->port_min, k->port_max, k->n_rec, max_entries, k->poll_ms);
	/* reconciliation on the first turn: the owner sets timeout_ms first */
	sb_timer_arm(loop, &k->t_poll, 0);
	return &k->base;

out_free:
	k_destroy(&k->base);
	errno = -rc;
	return NULL;
}
