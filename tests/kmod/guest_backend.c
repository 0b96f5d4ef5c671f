/* SPDX-License-Identifier: MIT */
/*
 * guest_backend — control's kernel media backend (control/media/kernel.c,
 * linked as is with control's loop, log and allocator) driven through the
 * media-backend API against the real sb_relay.ko, inside the qemu guest
 * (tests/kmod/run.sh runs it before guest_test in the same boot).
 *
 *   1  ABI: a backend built for another ABI is refused (EPROTO); no device
 *      (ENOENT) is refused too.
 *   2  Two legs allocated: even ports of the range, each reserved by the
 *      backend's own socket; ADD answers come on a later loop turn, in order.
 *   3  Before CONNECT the module passes A's packet up: the backend's socket
 *      catches and counts it (punted).
 *   4  A call relayed in the kernel: counters the backend reports equal what
 *      was sent both ways, a third host is counted rejected, and the
 *      backend's sockets saw nothing more; a latched event per leg with the
 *      peer; MOD answered.
 *   5  Media timeout: a pair with a 1 s timeout reports TIMEOUT once per
 *      leg (also the leg that never got media), the long-timeout call none.
 *   6  DEL: entries gone from the module, ports free for anyone.
 *   7  Restart: a backend destroyed without deleting leaves its entries; a
 *      new one deletes the silent ones at start-up, adopts a pair whose
 *      media still flows (media keeps flowing, its ports are not handed
 *      out), deletes that pair once it falls silent, and leaves other
 *      addresses' and ports' entries alone.
 * Then everything it made is gone (namespaces, module unloaded) so that
 * guest_test starts from a fresh guest.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_lib.h"
#include "log.h"
#include "loop.h"
#include "media/kernel.h"

#define PMIN 40000
#define PMAX 40099
#define PORT_A 4000
#define PORT_B 5000
#define PORT_C 6000
#define PAYLOAD 172
#define POLL_MS 50
#define TMO_MS 500 /* the short media timeout */

static struct host A, B, C;
static struct sb_loop *loop;

/* what the backend told us */
#define MAXREC 64
static struct { uint64_t cookie; int status; } dones[MAXREC];
static unsigned n_done;
static struct { uint64_t owner; int ev; } evs[MAXREC];
static unsigned n_ev;
static struct { uint64_t owner; uint32_t ip; uint16_t port; } lat[MAXREC];
static unsigned n_lat;

static void on_done(void *arg, uint64_t cookie, int status)
{
	(void)arg;
	CHECK(n_done < MAXREC, "too many completions");
	dones[n_done].cookie = cookie;
	dones[n_done++].status = status;
}

static void on_event(void *arg, uint64_t owner, enum sb_media_event ev)
{
	(void)arg;
	CHECK(n_ev < MAXREC, "too many events");
	evs[n_ev].owner = owner;
	evs[n_ev++].ev = (int)ev;
}

static void on_latched(void *arg, uint64_t owner, uint32_t ip, uint16_t port)
{
	(void)arg;
	CHECK(n_lat < MAXREC, "too many latch events");
	lat[n_lat].owner = owner;
	lat[n_lat].ip = ip;
	lat[n_lat++].port = port;
}

static void spin(unsigned ms)
{
	uint64_t end = sbk_now_ns() + (uint64_t)ms * 1000000u;

	while (sbk_now_ns() < end)
		sb_loop_run_once(loop, 10);
}

static unsigned count_ev(uint64_t owner, int ev)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_ev; i++)
		n += evs[i].owner == owner && evs[i].ev == ev;
	return n;
}

static const void *find_lat(uint64_t owner)
{
	for (unsigned i = 0; i < n_lat; i++)
		if (lat[i].owner == owner)
			return &lat[i];
	return NULL;
}

/* Wait (3 s at most) until owner has n events ev. */
static void wait_ev(uint64_t owner, int ev, unsigned n)
{
	for (int i = 0; i < 300 && count_ev(owner, ev) < n; i++)
		sb_loop_run_once(loop, 10);
	CHECK(count_ev(owner, ev) == n, "owner %llu: %u events %d, want %u",
	      (unsigned long long)owner, count_ev(owner, ev), ev, n);
}

/* Expect the completion of cookie with status 0 (waits a few turns). */
static void expect_done(uint64_t cookie)
{
	for (int t = 0; t < 100; t++) {
		for (unsigned i = 0; i < n_done; i++)
			if (dones[i].cookie == cookie) {
				CHECK(dones[i].status == 0, "cookie %llu: status %d",
				      (unsigned long long)cookie, dones[i].status);
				return;
			}
		sb_loop_run_once(loop, 10);
	}
	FAIL("no completion for cookie %llu", (unsigned long long)cookie);
}

static struct sb_media *backend(uint32_t timeout_ms)
{
	struct sb_media_kernel_params p = { .media_ip = inet_addr(GW_A), .port_min = PMIN,
					    .port_max = PMAX, .poll_ms = POLL_MS };
	struct sb_media *m = sb_media_kernel_create(loop, &p, on_done, NULL);

	CHECK(m != NULL, "kernel backend: %s", strerror(errno));
	m->event = on_event;
	m->latched = on_latched;
	m->timeout_ms = timeout_ms;
	CHECK(!m->ops->is_ready(m), "ready before reconciling");
	for (int i = 0; i < 200 && !m->ops->is_ready(m); i++)
		sb_loop_run_once(loop, 10);
	CHECK(m->ops->is_ready(m), "backend not ready");
	CHECK(m->ops->media_ip(m) == inet_addr(GW_A), "media ip");
	return m;
}

static void send_n(int fd, const char *ip, uint16_t port, int n, uint16_t seq0)
{
	uint8_t p[PAYLOAD];
	struct sockaddr_in to = sbk_sin(ip, port);

	for (int i = 0; i < n; i++) {
		memset(p, 0, sizeof(p));
		p[0] = 0x80;
		p[1] = 8;
		p[2] = (uint8_t)((seq0 + i) >> 8);
		p[3] = (uint8_t)(seq0 + i);
		CHECK(sendto(fd, p, sizeof(p), 0, (struct sockaddr *)&to, sizeof(to)) == PAYLOAD,
		      "sendto: %s", strerror(errno));
	}
}

/* n datagrams on fd, all from ip:port */
static void recv_n(int fd, int n, const char *ip, uint16_t port, const char *what)
{
	for (int i = 0; i < n; i++) {
		uint8_t buf[2048];
		struct sockaddr_in from;
		int got = sbk_recv_from(fd, buf, sizeof(buf), &from, 5000);

		CHECK(got == PAYLOAD, "%s: datagram %d of %d: %d", what, i + 1, n, got);
		CHECK(from.sin_addr.s_addr == inet_addr(ip) && ntohs(from.sin_port) == port,
		      "%s: from %s:%u", what, inet_ntoa(from.sin_addr), ntohs(from.sin_port));
	}
}

static int drain(int fd, int wait_ms)
{
	uint8_t buf[2048];
	struct sockaddr_in from;
	int n = 0;

	while (sbk_recv_from(fd, buf, sizeof(buf), &from, wait_ms) >= 0)
		n++;
	return n;
}

static bool port_bindable(uint16_t port)
{
	struct sockaddr_in s = sbk_sin(GW_A, port);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok = bind(fd, (struct sockaddr *)&s, sizeof(s)) == 0;

	close(fd);
	return ok;
}

static int dev_get(int fd, const char *ip, uint16_t port, struct sb_relay_stats *st)
{
	return sbk_get(fd, ip, port, st);
}

static struct sb_media_kernel_stats kst(struct sb_media *m)
{
	struct sb_media_kernel_stats s;

	sb_media_kernel_stats(m, &s);
	return s;
}

static void test_refused(void)
{
	struct sb_media_kernel_params p = { .media_ip = inet_addr(GW_A), .port_min = PMIN,
					    .port_max = PMAX, .abi = SB_RELAY_ABI + 1 };

	errno = 0;
	CHECK(sb_media_kernel_create(loop, &p, on_done, NULL) == NULL && errno == EPROTO,
	      "another ABI accepted (errno %d)", errno);
	p.abi = 0;
	p.media_ip = inet_addr("10.9.9.9"); /* not an address of this host */
	errno = 0;
	CHECK(sb_media_kernel_create(loop, &p, on_done, NULL) == NULL && errno == EADDRNOTAVAIL,
	      "foreign media address: errno %d", errno);
	p.media_ip = inet_addr(GW_A);
	p.dev = "/dev/sb_relay_nonexistent";
	errno = 0;
	CHECK(sb_media_kernel_create(loop, &p, on_done, NULL) == NULL && errno == ENOENT,
	      "missing device: errno %d", errno);
	printf("ok 1 backend refuses a module of another ABI (EPROTO), a foreign media address "
	       "and a missing device\n");
}

int main(void)
{
	enum { NB = 40, NA = 50, NC = 7 };
	struct sb_media *m;
	struct sb_media_leg la = { 0 }, lb = { 0 }, lc = { 0 }, ld = { 0 }, le = { 0 }, lf = { 0 };
	struct sb_media_leg lx = { 0 }; /* the owner sets .sdp before leg_add */
	struct sb_media_counters ca, cb;
	struct sb_relay_stats st;
	int dfd;

	sbk_guest_init();
	if (access("/sys/module/sb_relay", F_OK) != 0)
		CHECK(sbk_sh("insmod /sb_relay.ko") == 0, "insmod sb_relay.ko");
	sbk_host_create(&A, "a", H_A, GW_A);
	sbk_host_create(&B, "b", H_B, GW_B);
	sbk_host_create(&C, "c", H_C, GW_C);
	loop = sb_loop_create();
	CHECK(loop != NULL, "loop");
	dfd = sbk_dev_open(); /* to look at the module behind the backend's back */

	test_refused();

	/* ---- 2: legs ---- */
	m = backend(60000);
	CHECK(m->ops->leg_alloc(m, -1, &la) == 0 && m->ops->leg_alloc(m, la.worker, &lb) == 0,
	      "alloc");
	CHECK(la.port >= PMIN && la.port + 1 <= PMAX && la.port % 2 == 0 && lb.port != la.port &&
	      lb.port % 2 == 0, "ports %u %u", la.port, lb.port);
	CHECK(!port_bindable(la.port) && !port_bindable(lb.port) && !port_bindable(la.port + 1) &&
	      !port_bindable(lb.port + 1), "ports not reserved by sockets");
	CHECK(m->ops->leg_add(m, &la, inet_addr(H_A), PORT_A, SB_MEDIA_F_LATCH | SB_MEDIA_F_STRICT,
			      7, 101) == 0, "add a");
	CHECK(m->ops->leg_add(m, &lb, 0, 0, SB_MEDIA_F_LATCH, 7, 102) == 0, "add b");
	CHECK(n_done == 0, "completion inside the submitting call");
	sb_loop_run_once(loop, 10);
	CHECK(n_done == 2 && dones[0].cookie == 101 && dones[1].cookie == 102 &&
	      dones[0].status == 0 && dones[1].status == 0, "ADD completions: %u", n_done);
	CHECK(dev_get(dfd, GW_A, la.port, &st) == 0 && st.call_id == 7 &&
	      st.peer.port == htons(PORT_A) && (st.flags & SB_RELAY_F_STRICT) &&
	      (st.flags & SB_RELAY_F_RTP), "entry a in the module");
	/* payload-type rewriting is not relaying: the DPDK backend's job */
	memset(&lx, 0, sizeof(lx));
	lx.sdp.n_pt = 1; /* alloc clears it (backend.h), as the DPDK backend does */
	CHECK(m->ops->leg_alloc(m, -1, &lx) == 0 && lx.sdp.n_pt == 0, "alloc kept sdp");
	lx.sdp.n_pt = 1; /* what offer/answer would set before leg_add */
	lx.sdp.pt[0] = (struct sb_media_pt){ .pt_in = 96, .pt_out = 97, .clock_hz = 8000 };
	CHECK(m->ops->leg_add(m, &lx, 0, 0, SB_MEDIA_F_LATCH, 7, 109) == -EOPNOTSUPP,
	      "a payload-type map accepted");
	m->ops->leg_free(m, &lx);
	CHECK(m->caps == 0, "the kernel backend claims capabilities (SRTP)");
	printf("ok 2 two legs: ports %u, %u reserved by the backend's sockets; ADDs answered "
	       "on the next turn; a payload-type map refused (EOPNOTSUPP)\n", la.port, lb.port);

	/* ---- 3: passed up before CONNECT ---- */
	int sa = sbk_udp_bind(A.nsfd, H_A, PORT_A, 0);
	int sb = sbk_udp_bind(B.nsfd, H_B, PORT_B, 0);
	int sc = sbk_udp_bind(C.nsfd, H_C, PORT_C, 0);

	send_n(sa, GW_A, la.port, 1, 1);
	for (int i = 0; i < 300 && kst(m).punted_pkts < 1; i++)
		sb_loop_run_once(loop, 10);
	CHECK(kst(m).punted_pkts == 1, "passed packet not caught: %llu",
	      (unsigned long long)kst(m).punted_pkts);
	printf("ok 3 before CONNECT the module passed A's packet up; the backend's socket "
	       "caught it\n");

	/* ---- 4: the call ---- */
	CHECK(m->ops->connect(m, &la, &lb, 103) == 0, "connect");
	expect_done(103);
	send_n(sb, GW_A, lb.port, NB, 1000); /* B speaks first: b latches to it */
	recv_n(sa, NB, GW_A, la.port, "B->A");
	send_n(sa, GW_A, la.port, NA, 2);
	recv_n(sb, NA, GW_A, lb.port, "A->B");
	send_n(sc, GW_A, la.port, NC, 1); /* a third host, on a strict leg */
	spin(4 * POLL_MS);
	CHECK(drain(sa, 100) == 0 && drain(sb, 100) == 0, "C's packets relayed");
	CHECK(m->ops->leg_counters(m, &la, &ca) == 0 && m->ops->leg_counters(m, &lb, &cb) == 0,
	      "counters");
	printf("   a: rx %llu/%llu tx %llu/%llu rej %llu; b: rx %llu tx %llu rej %llu\n",
	       (unsigned long long)ca.rx_pkts, (unsigned long long)ca.rx_bytes,
	       (unsigned long long)ca.tx_pkts, (unsigned long long)ca.tx_bytes,
	       (unsigned long long)ca.rej_src, (unsigned long long)cb.rx_pkts,
	       (unsigned long long)cb.tx_pkts, (unsigned long long)cb.rej_src);
	CHECK(ca.rx_pkts == NA && ca.rx_bytes == (uint64_t)NA * PAYLOAD, "a rx");
	CHECK(ca.tx_pkts == NB && ca.tx_bytes == (uint64_t)NB * PAYLOAD, "a tx");
	CHECK(cb.rx_pkts == NB && cb.rx_bytes == (uint64_t)NB * PAYLOAD, "b rx");
	CHECK(cb.tx_pkts == NA && cb.tx_bytes == (uint64_t)NA * PAYLOAD, "b tx");
	CHECK(ca.rej_src == NC && cb.rej_src == 0, "rejected: a %llu b %llu",
	      (unsigned long long)ca.rej_src, (unsigned long long)cb.rej_src);
	CHECK(kst(m).punted_pkts == 1, "the backend's sockets saw relayed packets: %llu",
	      (unsigned long long)kst(m).punted_pkts);
	{
		const struct { uint64_t owner; uint32_t ip; uint16_t port; } *ea = find_lat(101),
									   *eb = find_lat(102);

		CHECK(eb != NULL && eb->ip == inet_addr(H_B) && eb->port == PORT_B,
		      "latched event of b");
		CHECK(ea != NULL && ea->ip == inet_addr(H_A) && ea->port == PORT_A,
		      "latched event of a");
		CHECK(n_lat == 2, "latched events: %u (once per peer)", n_lat);
	}
	CHECK(m->ops->leg_mod(m, &lb, inet_addr(H_B), PORT_B, SB_MEDIA_F_STRICT, 7, 104) == 0,
	      "mod");
	expect_done(104);
	CHECK(dev_get(dfd, GW_A, lb.port, &st) == 0 && st.peer.ip == inet_addr(H_B) &&
	      !(st.flags & SB_RELAY_F_LATCH), "mod in the module");
	{
		/* RTCP: port + 1 to the peers' port + 1, both ways */
		int ra = sbk_udp_bind(A.nsfd, H_A, PORT_A + 1, 0);
		int rb = sbk_udp_bind(B.nsfd, H_B, PORT_B + 1, 0);

		send_n(ra, GW_A, (uint16_t)(la.port + 1), 3, 1);
		recv_n(rb, 3, GW_A, (uint16_t)(lb.port + 1), "RTCP A->B");
		send_n(rb, GW_A, (uint16_t)(lb.port + 1), 2, 1);
		recv_n(ra, 2, GW_A, (uint16_t)(la.port + 1), "RTCP B->A");
		CHECK(dev_get(dfd, GW_A, (uint16_t)(la.port + 1), &st) == 0 && st.rx_pkts == 3 &&
		      st.tx_pkts == 2 && !(st.flags & SB_RELAY_F_RTP) &&
		      st.peer.port == htons(PORT_A + 1), "RTCP entry of a");
		CHECK(m->ops->leg_counters(m, &la, &ca) == 0 && ca.rx_pkts == NA, "RTCP in RTP counters");
		spin(2 * POLL_MS);
		CHECK(kst(m).punted_pkts == 1, "RTCP reached the backend's sockets");
		close(ra);
		close(rb);
	}
	printf("ok 4 call relayed in the kernel: counters from the backend match (%d + %d "
	       "packets, %d rejected), its sockets saw nothing; latched events with the "
	       "peers; MOD; RTCP relayed on port + 1\n", NA, NB, NC);

	/* ---- 5: media timeout ---- */
	m->timeout_ms = TMO_MS; /* legs added from now on */
	CHECK(m->ops->leg_alloc(m, -1, &lc) == 0 && m->ops->leg_alloc(m, 0, &ld) == 0, "alloc");
	CHECK(m->ops->leg_add(m, &lc, inet_addr(H_A), PORT_A + 2, SB_MEDIA_F_STRICT, 8, 201) == 0 &&
	      m->ops->leg_add(m, &ld, inet_addr(H_B), PORT_B + 2, SB_MEDIA_F_STRICT, 8, 202) == 0,
	      "add c d");
	CHECK(m->ops->connect(m, &lc, &ld, 203) == 0, "connect c d");
	expect_done(203);
	{
		int sa2 = sbk_udp_bind(A.nsfd, H_A, PORT_A + 2, 0);
		int sb2 = sbk_udp_bind(B.nsfd, H_B, PORT_B + 2, 0);

		send_n(sa2, GW_A, lc.port, 3, 1);
		recv_n(sb2, 3, GW_A, ld.port, "c->d");
		spin(TMO_MS * 2 / 5);
		CHECK(count_ev(201, SB_MEDIA_EV_TIMEOUT) == 0, "c timed out early");
		wait_ev(201, SB_MEDIA_EV_TIMEOUT, 1);
		wait_ev(202, SB_MEDIA_EV_TIMEOUT, 1); /* d never got media: silent since ADD */
		spin(TMO_MS * 5 / 2); /* more than two timeouts: told once per silence */
		CHECK(count_ev(201, SB_MEDIA_EV_TIMEOUT) == 1, "c: %u timeouts",
		      count_ev(201, SB_MEDIA_EV_TIMEOUT));
		CHECK(count_ev(202, SB_MEDIA_EV_TIMEOUT) == 1, "d: %u timeouts",
		      count_ev(202, SB_MEDIA_EV_TIMEOUT));
		CHECK(count_ev(101, SB_MEDIA_EV_TIMEOUT) == 0 && count_ev(102, SB_MEDIA_EV_TIMEOUT) == 0,
		      "the 60 s call timed out");
		/* media again, then silence: a new timeout */
		send_n(sa2, GW_A, lc.port, 2, 10);
		recv_n(sb2, 2, GW_A, ld.port, "c->d again");
		spin(TMO_MS / 4);
		CHECK(count_ev(201, SB_MEDIA_EV_TIMEOUT) == 1, "c: timeout while media flows");
		wait_ev(201, SB_MEDIA_EV_TIMEOUT, 2);
		close(sa2);
		close(sb2);
	}
	printf("ok 5 media timeout (%u ms) told once per silence and leg, again after new "
	       "media, none for the 60 s call\n", TMO_MS);

	/* ---- 6: delete ---- */
	uint16_t pa = la.port, pb = lb.port;

	CHECK(m->ops->leg_del(m, &la, 105) == 0 && m->ops->leg_del(m, &lb, 106) == 0, "del");
	CHECK(la.idx == UINT32_MAX && lb.idx == UINT32_MAX, "handles released");
	expect_done(105);
	expect_done(106);
	CHECK(dev_get(dfd, GW_A, pa, &st) == -ENOENT && dev_get(dfd, GW_A, pb, &st) == -ENOENT &&
	      dev_get(dfd, GW_A, (uint16_t)(pa + 1), &st) == -ENOENT &&
	      dev_get(dfd, GW_A, (uint16_t)(pb + 1), &st) == -ENOENT,
	      "entries still in the module after DEL");
	CHECK(port_bindable(pa) && port_bindable(pb) && port_bindable((uint16_t)(pa + 1)) &&
	      port_bindable((uint16_t)(pb + 1)), "ports not given back");
	CHECK(m->ops->leg_counters(m, &la, &ca) == -EINVAL, "counters of a deleted handle");
	printf("ok 6 DEL: entries gone from the module, ports free\n");

	/* ---- 7: control restarts ---- */
	uint16_t pc = lc.port, pd = ld.port, pe, pf;
	int sb4 = sbk_udp_bind(B.nsfd, H_B, PORT_B + 4, 0);
	pid_t child;

	CHECK(m->ops->leg_alloc(m, -1, &le) == 0 && m->ops->leg_alloc(m, 0, &lf) == 0, "alloc");
	pe = le.port;
	pf = lf.port;
	CHECK(m->ops->leg_add(m, &le, inet_addr(H_A), PORT_A + 4, SB_MEDIA_F_STRICT, 9, 301) == 0 &&
	      m->ops->leg_add(m, &lf, inet_addr(H_B), PORT_B + 4, SB_MEDIA_F_STRICT, 9, 302) == 0,
	      "add e f");
	CHECK(m->ops->connect(m, &le, &lf, 303) == 0, "connect e f");
	expect_done(303);
	/* someone else's entries: another address, a port outside our range */
	CHECK(sbk_leg_add(dfd, GW_B, PMIN + 10, NULL, 0, 0) == 0, "foreign add");
	CHECK(sbk_leg_add(dfd, GW_A, 31000, NULL, 0, 0) == 0, "foreign add");
	child = fork();
	CHECK(child >= 0, "fork");
	if (child == 0) { /* A speaks on e every 20 ms, 20 s at most */
		int s;

		/* not the backend's sockets: a copy would keep their ports */
		for (int fd = 3; fd < 1024; fd++)
			if (fd != A.nsfd && fd != g_root_ns)
				close(fd);
		s = sbk_udp_bind(A.nsfd, H_A, PORT_A + 4, 0);

		for (int i = 0; i < 1000; i++) {
			send_n(s, GW_A, pe, 1, (uint16_t)i);
			usleep(20000);
		}
		_exit(0);
	}
	recv_n(sb4, 3, GW_A, pf, "e->f before the restart");
	sb_media_destroy(m); /* no DEL: as a control that exits or dies */
	m = NULL;
	CHECK(dev_get(dfd, GW_A, pc, &st) == 0 && dev_get(dfd, GW_A, pd, &st) == 0 &&
	      dev_get(dfd, GW_A, pe, &st) == 0 && dev_get(dfd, GW_A, pf, &st) == 0,
	      "entries gone with the backend");
	n_done = n_ev = n_lat = 0;

	m = backend(TMO_MS);
	{
		struct sb_media_kernel_stats k2 = kst(m);

		printf("   restart: deleted %llu, adopted %llu, foreign %llu\n",
		       (unsigned long long)k2.start_deleted, (unsigned long long)k2.start_adopted,
		       (unsigned long long)k2.foreign);
		/* c, d and their RTCP entries; e, f (+ RTCP) adopted */
		CHECK(k2.start_deleted == 4 && k2.start_adopted == 2 && k2.foreign == 2 &&
		      k2.orphans == 2, "reconciliation counts");
	}
	CHECK(dev_get(dfd, GW_A, pc, &st) == -ENOENT && dev_get(dfd, GW_A, pd, &st) == -ENOENT,
	      "stale silent entries left in the module");
	CHECK(dev_get(dfd, GW_A, pe, &st) == 0 && dev_get(dfd, GW_A, pf, &st) == 0 &&
	      dev_get(dfd, GW_A, (uint16_t)(pe + 1), &st) == 0 &&
	      dev_get(dfd, GW_A, (uint16_t)(pf + 1), &st) == 0,
	      "a pair with flowing media was cut");
	drain(sb4, 0);
	recv_n(sb4, 5, GW_A, pf, "e->f after the restart");
	CHECK(!port_bindable(pe) && !port_bindable(pf), "adopted ports not reserved");
	for (int i = 0; i < 20; i++) {
		CHECK(m->ops->leg_alloc(m, -1, &lx) == 0, "alloc %d", i);
		CHECK(lx.port != pe && lx.port != pf, "adopted port %u handed out", lx.port);
		m->ops->leg_free(m, &lx);
	}
	CHECK(n_ev == 0 && n_done == 0, "events for orphans");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	for (int i = 0; i < 400 && kst(m).orphans_deleted < 2; i++)
		sb_loop_run_once(loop, 10);
	CHECK(kst(m).orphans_deleted == 2 && kst(m).orphans == 0, "silent orphans: %llu deleted",
	      (unsigned long long)kst(m).orphans_deleted);
	CHECK(dev_get(dfd, GW_A, pe, &st) == -ENOENT && dev_get(dfd, GW_A, pf, &st) == -ENOENT &&
	      dev_get(dfd, GW_A, (uint16_t)(pe + 1), &st) == -ENOENT &&
	      dev_get(dfd, GW_A, (uint16_t)(pf + 1), &st) == -ENOENT,
	      "silent orphans left in the module");
	CHECK(port_bindable(pe) && port_bindable(pf), "orphans' ports not given back");
	CHECK(dev_get(dfd, GW_B, PMIN + 10, &st) == 0 && dev_get(dfd, GW_A, 31000, &st) == 0,
	      "someone else's entries were touched");
	CHECK(kst(m).punted_pkts == 0, "the new backend's sockets saw relayed packets");
	printf("ok 7 restart: 2 silent legs of the old run deleted (+ RTCP), a pair with flowing media "
	       "adopted (media went on, ports kept) and deleted once silent; 2 foreign entries "
	       "left alone\n");

	sb_media_destroy(m);
	{
		struct sb_relay_addr k1 = sbk_addr(GW_B, PMIN + 10), k2 = sbk_addr(GW_A, 31000);

		CHECK(sbk_ioc(dfd, SB_RELAY_IOC_DEL, &k1) == 0 && sbk_ioc(dfd, SB_RELAY_IOC_DEL, &k2) == 0,
		      "del foreign");
	}
	close(dfd);
	close(sa);
	close(sb);
	close(sc);
	close(sb4);
	sb_loop_free(loop);
	/* leave a fresh guest for guest_test: namespaces and their veths gone,
	 * module unloaded (which also proves no backend kept the device open) */
	close(A.nsfd);
	close(B.nsfd);
	close(C.nsfd);
	{
		int gone = 0;

		for (int i = 0; i < 100 && !gone; i++) {
			gone = sbk_sh("ip link show ga >/dev/null 2>&1 || ip link show gb >/dev/null "
				      "2>&1 || ip link show gc >/dev/null 2>&1") != 0;
			if (!gone)
				usleep(100000);
		}
		CHECK(gone, "veths still there after 10 s");
	}
	CHECK(sbk_sh("rmmod sb_relay") == 0, "rmmod: the device is still held open?");
	printf("all backend checks passed\n");
	sbk_finish(0);
}
