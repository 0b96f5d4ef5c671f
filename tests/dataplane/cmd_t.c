/* SPDX-License-Identifier: MIT */
/*
 * cmd_t — drive a running sb-dataplane through the shared segment as control
 * would: attach (ABI checks), READY state and heartbeat, every command with
 * its success and error results, counters kept after LEG_DEL, a burst of
 * commands, then SIGTERM: clean exit, state STOPPED, segment unlinked.
 *
 *   cmd_t SB_DATAPLANE WORKDIR
 * Exit 0 pass, 1 fail, 77 skip (not root, or DPDK cannot initialise).
 */
#include <sys/prctl.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sb/dp_shm.h"
#include "sb/rtp.h"
#include "preload.h"
#include "test.h"

#define MAX_LEGS 64u

static struct sb_dp_shm shm;
static uint32_t next_req = 1;
static union sb_msg timeouts[8]; /* SB_EVT_MEDIA_TIMEOUT seen while waiting */
static unsigned n_timeouts;

static void note_event(const union sb_msg *ev)
{
	if (ev->h.type == SB_EVT_MEDIA_TIMEOUT) {
		T_ASSERT_EQ_U64(ev->h.len, sizeof(struct sb_evt_timeout));
		if (n_timeouts < 8)
			timeouts[n_timeouts] = *ev;
		n_timeouts++;
	}
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void write_empty_pcap(const char *path)
{
	static const uint32_t hdr[6] = {0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, 1};
	FILE *f = fopen(path, "wb");

	T_ASSERT(f != NULL);
	T_ASSERT(fwrite(hdr, sizeof(hdr), 1, f) == 1);
	fclose(f);
}

/* Send one command and wait for its result; other events are skipped. */
static int32_t cmd(union sb_msg *m)
{
	struct sb_ring *c = sb_dp_shm_cmd_ring(&shm, 0), *e = sb_dp_shm_evt_ring(&shm, 0);
	uint32_t req = next_req++;

	m->h.req_id = req;
	T_ASSERT(sb_ring_enqueue_bulk(c, m, 1) == 1);
	for (int i = 0; i < 5000; i++) {
		union sb_msg ev;

		while (sb_ring_dequeue_burst(e, &ev, 1) == 1) {
			if (ev.h.type != SB_EVT_RESULT) {
				note_event(&ev);
				continue;
			}
			T_ASSERT_EQ_U64(ev.h.req_id, req);
			T_ASSERT_EQ_U64(ev.h.len, sizeof(struct sb_evt_result));
			T_ASSERT_EQ_U64(ev.result.cmd_type, m->h.type);
			return ev.result.status;
		}
		sleep_ms(1);
	}
	fprintf(stderr, "no result for request %u\n", req);
	exit(1);
}

static int32_t leg_cmd(uint16_t type, uint32_t leg, uint32_t gen, uint16_t port,
		       const char *peer, uint16_t peer_port, uint32_t flags)
{
	union sb_msg m;

	memset(&m, 0, sizeof(m));
	m.h.type = type;
	m.h.len = sizeof(m.leg);
	m.h.leg = leg;
	m.h.leg_gen = gen;
	m.leg.local_port = port;
	m.leg.peer_ip = peer ? inet_addr(peer) : 0;
	m.leg.peer_port = peer_port;
	m.leg.flags = flags;
	return cmd(&m);
}

static int32_t hdr_cmd(uint16_t type, uint16_t len, uint32_t leg, uint32_t gen)
{
	union sb_msg m;

	memset(&m, 0, sizeof(m));
	m.h.type = type;
	m.h.len = len;
	m.h.leg = leg;
	m.h.leg_gen = gen;
	return cmd(&m);
}

static int32_t connect_cmd(uint32_t a, uint32_t ga, uint32_t b, uint32_t gb)
{
	union sb_msg m;

	memset(&m, 0, sizeof(m));
	m.h.type = SB_CMD_LEG_CONNECT;
	m.h.len = sizeof(m.connect);
	m.h.leg = a;
	m.h.leg_gen = ga;
	m.connect.leg_b = b;
	m.connect.leg_b_gen = gb;
	return cmd(&m);
}

static int child_failed_eal(const char *errlog)
{
	char buf[4096];
	FILE *f = fopen(errlog, "r");
	size_t n;

	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	fputs(buf, stderr);
	return strstr(buf, "cannot initialise DPDK EAL") != NULL &&
	       strstr(buf, "Invalid 'command line' arguments") == NULL;
}

static char run_dir[128];

/* EAL leaves /var/run/dpdk/<prefix> behind; remove ours at exit. */
static void remove_run_dir(void)
{
	char cmd[200];

	if (run_dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", run_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", run_dir);
	}
}

int main(int argc, char **argv)
{
	char inst[64], prefix[64], vdev[600], pcap[512], errlog[512], why[256];
	struct sb_worker_stats *ws;
	struct sb_leg_stats *ls;
	uint64_t hb;
	pid_t pid;
	int status, rc = -1;

	if (argc != 3) {
		fprintf(stderr, "usage: cmd_t SB_DATAPLANE WORKDIR\n");
		return 1;
	}
	if (geteuid() != 0) {
		printf("SKIP: needs root for DPDK\n");
		return T_SKIP;
	}
	snprintf(inst, sizeof(inst), "cmdt-%d", (int)getpid());
	snprintf(prefix, sizeof(prefix), "--file-prefix=sbdp-cmdt-%d", (int)getpid());
	snprintf(run_dir, sizeof(run_dir), "/var/run/dpdk/sbdp-cmdt-%d", (int)getpid());
	atexit(remove_run_dir);
	snprintf(pcap, sizeof(pcap), "%s/cmd_t-empty.pcap", argv[2]);
	snprintf(errlog, sizeof(errlog), "%s/cmd_t-dataplane.log", argv[2]);
	snprintf(vdev, sizeof(vdev), "--vdev=net_pcap0,rx_pcap=%s,tx_pcap=/dev/null", pcap);
	write_empty_pcap(pcap);

	pid = fork();
	T_ASSERT(pid >= 0);
	if (pid == 0) {
		int fd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		/* die with the test: a killed or timed-out test must not leave a
		 * child polling a core */
		prctl(PR_SET_PDEATHSIG, SIGKILL);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(argv[1], argv[1], "-l", "0", "--no-huge", "-m", "256", "--no-pci",
		      "--no-telemetry", prefix, vdev, "--", "--instance", inst, "--media-ip",
		      "203.0.113.10", "--prefix-len", "24", "--gateway", "203.0.113.1",
		      "--max-legs", "64", "--port-min", "20000", "--port-span", "100",
		      "--idle-us", "200", (char *)NULL);
		_exit(127);
	}

	/* Attach as control does. */
	for (int i = 0; i < 1000; i++) {
		rc = sb_dp_shm_attach(&shm, inst, why, sizeof(why));
		if (rc == 0)
			break;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			if (child_failed_eal(errlog)) {
				printf("SKIP: DPDK cannot initialise here\n");
				return T_SKIP;
			}
			fprintf(stderr, "sb-dataplane exited early (status %#x)\n", status);
			return 1;
		}
		sleep_ms(10);
	}
	if (rc != 0) {
		fprintf(stderr, "attach: %s\n", why);
		kill(pid, SIGKILL);
		return 1;
	}
	T_ASSERT_EQ_U64(shm.hdr->n_workers, 1);
	T_ASSERT_EQ_U64(shm.hdr->max_legs, MAX_LEGS);
	T_ASSERT_EQ_U64(shm.hdr->media_ip, inet_addr("203.0.113.10"));
	T_ASSERT_EQ_U64(shm.hdr->port_min, 20000);
	T_ASSERT_EQ_U64(shm.hdr->port_span, 100);
	T_ASSERT_EQ_U64(shm.hdr->dp_pid, pid);
	T_ASSERT(memcmp(shm.hdr->media_mac, "\0\0\0\0\0\0", 6) != 0);
	hb = atomic_load(&shm.hdr->heartbeat_ns);
	sleep_ms(350);
	T_ASSERT(atomic_load(&shm.hdr->heartbeat_ns) > hb);
	T_ASSERT(sb_now_ns() - atomic_load(&shm.hdr->heartbeat_ns) < 1000000000u);

	ws = sb_dp_shm_worker_stats(&shm, 0);
	/* NOP, unknown type, bad length */
	T_ASSERT_EQ_U64(hdr_cmd(SB_CMD_NOP, sizeof(struct sb_msg_hdr), 0, 0), 0);
	T_ASSERT(hdr_cmd(99, sizeof(struct sb_msg_hdr), 0, 0) == -ENOTSUP);
	T_ASSERT(hdr_cmd(SB_CMD_LEG_ADD, 20, 0, 0) == -EBADMSG);
	T_ASSERT(hdr_cmd(SB_CMD_NOP, 17, 0, 0) == -EBADMSG);

	/* LEG_ADD and its errors */
	T_ASSERT(leg_cmd(SB_CMD_LEG_ADD, 0, 11, 20000, "192.0.2.10", 5000, 0) == 0);
	T_ASSERT_EQ_U64(ws->legs_active, 1);
	ls = sb_dp_shm_leg_stats(&shm, 0);
	T_ASSERT_EQ_U64(ls->active, 1);
	T_ASSERT_EQ_U64(ls->leg_gen, 11);
	T_ASSERT_EQ_U64(ls->local_port, 20000);
	T_ASSERT_EQ_U64(ls->peer_ip, inet_addr("192.0.2.10"));
	T_ASSERT_EQ_U64(ls->peer_port, 5000);
	T_ASSERT(leg_cmd(SB_CMD_LEG_ADD, 0, 12, 20001, NULL, 0, 0) == -EEXIST);   /* leg in use */
	T_ASSERT(leg_cmd(SB_CMD_LEG_ADD, 1, 1, 20000, NULL, 0, 0) == -EEXIST);    /* port in use */
	T_ASSERT(leg_cmd(SB_CMD_LEG_ADD, 1, 1, 19999, NULL, 0, 0) == -ERANGE);
	T_ASSERT(leg_cmd(SB_CMD_LEG_ADD, 1, 1, 20100, NULL, 0, 0) == -ERANGE);
	T_ASSERT(leg_cmd(SB_CMD_LEG_ADD, MAX_LEGS, 1, 20001, NULL, 0, 0) == -EINVAL);
	T_ASSERT(leg_cmd(SB_CMD_LEG_ADD, 1, 1, 20001, NULL, 0, 0x80) == -EINVAL);
	T_ASSERT(leg_cmd(SB_CMD_LEG_ADD, 1, 3, 20002, NULL, 0, SB_LEG_F_LATCH) == 0);
	T_ASSERT_EQ_U64(ws->legs_active, 2);

	/* LEG_CONNECT */
	T_ASSERT(connect_cmd(0, 11, 1, 3) == 0);
	T_ASSERT(connect_cmd(0, 10, 1, 3) == -ESTALE);
	T_ASSERT(connect_cmd(0, 11, 2, 1) == -ENOENT);
	T_ASSERT(connect_cmd(0, 11, 0, 11) == -EINVAL);
	T_ASSERT(connect_cmd(MAX_LEGS + 5, 1, 0, 11) == -EINVAL);

	/* LEG_MOD: new peer, counters kept */
	T_ASSERT(leg_cmd(SB_CMD_LEG_MOD, 0, 11, 0, "192.0.2.20", 5002, SB_LEG_F_STRICT) == 0);
	T_ASSERT_EQ_U64(ls->peer_ip, inet_addr("192.0.2.20"));
	T_ASSERT_EQ_U64(ls->peer_port, 5002);
	T_ASSERT(leg_cmd(SB_CMD_LEG_MOD, 0, 11, 20001, "192.0.2.20", 5002, 0) == -EINVAL);
	T_ASSERT(leg_cmd(SB_CMD_LEG_MOD, 0, 99, 0, "192.0.2.20", 5002, 0) == -ESTALE);
	T_ASSERT(leg_cmd(SB_CMD_LEG_MOD, 7, 1, 0, "192.0.2.20", 5002, 0) == -ENOENT);

	/* LEG_DEL keeps the counters readable, frees the port */
	T_ASSERT(hdr_cmd(SB_CMD_LEG_DEL, sizeof(struct sb_msg_hdr), 0, 10) == -ESTALE);
	T_ASSERT(hdr_cmd(SB_CMD_LEG_DEL, sizeof(struct sb_msg_hdr), 0, 11) == 0);
	T_ASSERT_EQ_U64(ls->active, 0);
	T_ASSERT_EQ_U64(ls->leg_gen, 11);
	T_ASSERT_EQ_U64(ls->local_port, 20000);
	T_ASSERT_EQ_U64(ls->peer_port, 5002);
	T_ASSERT_EQ_U64(ws->legs_active, 1);
	T_ASSERT(hdr_cmd(SB_CMD_LEG_DEL, sizeof(struct sb_msg_hdr), 0, 11) == -ENOENT);
	T_ASSERT(connect_cmd(1, 3, 0, 11) == -ENOENT);
	T_ASSERT(leg_cmd(SB_CMD_LEG_ADD, 5, 1, 20000, NULL, 0, 0) == 0);
	T_ASSERT(leg_cmd(SB_CMD_LEG_ADD, 0, 12, 20003, NULL, 0, 0) == -EEXIST); /* leg 1's RTCP */
	T_ASSERT(leg_cmd(SB_CMD_LEG_ADD, 0, 12, 20004, NULL, 0, 0) == 0); /* index reused */
	T_ASSERT_EQ_U64(ls->leg_gen, 12);
	T_ASSERT_EQ_U64(ls->active, 1);
	T_ASSERT_EQ_U64(ws->legs_active, 3);

	/* A burst: 200 commands queued at once, answered in order. */
	{
		struct sb_ring *c = sb_dp_shm_cmd_ring(&shm, 0), *e = sb_dp_shm_evt_ring(&shm, 0);
		union sb_msg m[200];
		unsigned got = 0;
		uint64_t cmds_before = ws->cmds;

		memset(m, 0, sizeof(m));
		for (unsigned i = 0; i < 200; i++) {
			m[i].h.type = SB_CMD_NOP;
			m[i].h.len = sizeof(struct sb_msg_hdr);
			m[i].h.req_id = 100000 + i;
		}
		T_ASSERT(sb_ring_enqueue_bulk(c, m, 200) == 200);
		for (int t = 0; t < 5000 && got < 200; t++) {
			union sb_msg ev;

			while (sb_ring_dequeue_burst(e, &ev, 1) == 1) {
				T_ASSERT_EQ_U64(ev.h.type, SB_EVT_RESULT);
				T_ASSERT_EQ_U64(ev.h.req_id, 100000 + got);
				T_ASSERT_EQ_U64(ev.result.status, 0);
				got++;
			}
			if (got < 200)
				sleep_ms(1);
		}
		T_ASSERT_EQ_U64(got, 200);
		T_ASSERT_EQ_U64(ws->cmds - cmds_before, 200);
	}
	T_ASSERT_EQ_U64(ws->evts_dropped, 0);

	/* ABI 2: RTCP on port + 1 (or mux), payload map checks, media timeout */
	{
		union sb_msg m;
		struct sb_leg_stats *l9 = sb_dp_shm_leg_stats(&shm, 9);

		T_ASSERT(leg_cmd(SB_CMD_LEG_ADD, 8, 1, 20099, NULL, 0, 0) == -ERANGE); /* RTCP 20100 */
		T_ASSERT(leg_cmd(SB_CMD_LEG_ADD, 8, 1, 20099, NULL, 0, SB_LEG_F_RTCP_MUX) == 0);
		T_ASSERT(leg_cmd(SB_CMD_LEG_ADD, 9, 1, 20005, NULL, 0, 0) == -EEXIST); /* 20005 = RTCP of 20004 */
		T_ASSERT(leg_cmd(SB_CMD_LEG_MOD, 8, 1, 0, NULL, 0, 0) == -ERANGE); /* mux off: no 20100 */
		T_ASSERT(hdr_cmd(SB_CMD_LEG_DEL, sizeof(struct sb_msg_hdr), 8, 1) == 0);
		memset(&m, 0, sizeof(m));
		m.h.type = SB_CMD_LEG_ADD;
		m.h.len = sizeof(m.leg);
		m.h.leg = 9;
		m.h.leg_gen = 4;
		m.leg.local_port = 20010;
		m.leg.n_pt_map = SB_PT_MAP_MAX + 1;
		T_ASSERT(cmd(&m) == -EINVAL);
		m.leg.n_pt_map = 1;
		m.leg.pt_map[0] = (struct sb_pt_map){.pt_in = 128, .pt_out = 0};
		T_ASSERT(cmd(&m) == -EINVAL);
		m.leg.pt_map[0] = (struct sb_pt_map){.pt_in = 111, .pt_out = 107, .clock_hz = 48000};
		m.leg.peer_ip = inet_addr("192.0.2.30");
		m.leg.peer_port = 6000;
		m.leg.timeout_ms = 300;
		n_timeouts = 0;
		T_ASSERT(cmd(&m) == 0);
		T_ASSERT_EQ_U64(l9->rtcp_peer_port, 6001);
		T_ASSERT_EQ_U64(l9->rtcp_mux, 0);
		T_ASSERT_EQ_U64(l9->latch_state, SB_LATCH_IDLE);
		/* the private preload wrapper is refused on the ring */
		memset(&m, 0, sizeof(m));
		m.h.type = SB_CMD_PRELOAD_AT;
		m.h.len = sizeof(m.h);
		T_ASSERT(cmd(&m) == -ENOTSUP);
		/* no media for 300 ms: one event, then silence (once per silence period) */
		for (int i = 0; i < 300 && n_timeouts == 0; i++) {
			sleep_ms(10);
			T_ASSERT_EQ_U64(hdr_cmd(SB_CMD_NOP, sizeof(struct sb_msg_hdr), 0, 0), 0);
		}
		T_ASSERT_EQ_U64(n_timeouts, 1);
		T_ASSERT_EQ_U64(timeouts[0].h.leg, 9);
		T_ASSERT_EQ_U64(timeouts[0].h.leg_gen, 4);
		T_ASSERT_EQ_U64(timeouts[0].timeout.timeout_ms, 300);
		T_ASSERT(timeouts[0].timeout.idle_ms >= 300 && timeouts[0].timeout.idle_ms < 2000);
		for (int i = 0; i < 50; i++) {
			sleep_ms(10);
			T_ASSERT_EQ_U64(hdr_cmd(SB_CMD_NOP, sizeof(struct sb_msg_hdr), 0, 0), 0);
		}
		T_ASSERT_EQ_U64(n_timeouts, 1);
		T_ASSERT_EQ_U64(l9->timeouts, 1);
		/* LEG_MOD keeps counters; the legs with the 60 s default stayed quiet */
		T_ASSERT_EQ_U64(sb_dp_shm_leg_stats(&shm, 5)->timeouts, 0);
	}

	/* SIGTERM: clean exit, STOPPED in the mapping we hold, name unlinked. */
	T_ASSERT(kill(pid, SIGTERM) == 0);
	T_ASSERT(waitpid(pid, &status, 0) == pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "sb-dataplane exit status %#x\n", status);
		child_failed_eal(errlog);
		return 1;
	}
	T_ASSERT_EQ_U64(atomic_load(&shm.hdr->state), SB_DP_STOPPED);
	{
		char name[80];

		snprintf(name, sizeof(name), "/switchboard.%s", inst);
		T_ASSERT(shm_open(name, O_RDONLY, 0) < 0 && errno == ENOENT);
	}
	sb_dp_shm_detach(&shm, 0);
	printf("cmd_t: ok\n");
	return 0;
}
