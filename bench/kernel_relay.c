/* SPDX-License-Identifier: MIT */
/*
 * kernel_relay — packets per second relayed by sb_relay.ko against a
 * user-space relay (recvmmsg/sendmmsg), same topology, same run.  Runs
 * inside the qemu guest (bench/kernel_relay.sh -> tests/kmod/run.sh).
 *
 *   A (192.0.2.10) --va/ga--> gateway --gb/vb--> B (198.51.100.10)
 *
 * The guest has 2 vCPUs.  The sender (pktgen in A's namespace, or sendmmsg
 * bursts without pktgen.ko; as fast as it can) runs on CPU 1; RPS on ga steers the gateway's receive
 * processing to CPU 0, where everything the relay costs happens: for the
 * module the hook, route lookup and output in softirq; for the user-space
 * relay the socket enqueue, the wakeup, recvmmsg and sendmmsg (the relay
 * process is pinned to CPU 0 too).  B's receive also runs on CPU 0 in both
 * cases (its socket is never read: a full receive buffer drops cheaply).
 * The figure is what reaches B's interface per second: CPU 0's relay
 * capacity under an offered load above it (the sender is pktgen when the
 * guest has pktgen.ko, else sendmmsg).  Runs alternate (kmod, user, kmod,
 * ...); the table reports medians, and ratio_vs_userspace is the median of
 * the per-run ratios (adjacent runs, so a loaded host that slows the guest
 * down affects both sides of each ratio alike).  Guest CPU accounting is
 * not used: under TCG on a loaded host it reads ~100 % busy even idle.
 * Under overload the user-space relay also loses time to receive livelock
 * (softirq fills its socket, the process starves): that is part of what
 * it costs, and what rtpengine suffers under bursts.
 *
 * args: [secs per run] [runs]   (default 1.5 s, 3 runs of each)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_lib.h"

#define LEG_A 30000
#define LEG_B 30002
#define USR_A 40000
#define USR_B 40002
#define PORT_A 4000
#define PORT_B 5000
#define PAYLOAD 172
#define BURST 64

static struct host A, B;

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

/* Child: blast from A to ip:port until killed; reports nothing. */
static pid_t start_sender(const char *ip, uint16_t port)
{
	pid_t pid = fork();

	CHECK(pid >= 0, "fork");
	if (pid)
		return pid;
	pin(1);
	int fd = sbk_udp_bind(A.nsfd, H_A, PORT_A, 0);
	static uint8_t pkt[BURST][PAYLOAD];
	struct mmsghdr m[BURST];
	struct iovec iov[BURST];
	struct sockaddr_in to = sbk_sin(ip, port);

	memset(m, 0, sizeof(m));
	for (int i = 0; i < BURST; i++) {
		pkt[i][0] = 0x80;
		iov[i].iov_base = pkt[i];
		iov[i].iov_len = PAYLOAD;
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
		m[i].msg_hdr.msg_name = &to;
		m[i].msg_hdr.msg_namelen = sizeof(to);
	}
	for (uint16_t seq = 0;; seq++) {
		for (int i = 0; i < BURST; i++) {
			pkt[i][2] = (uint8_t)(seq >> 8);
			pkt[i][3] = (uint8_t)seq;
		}
		sendmmsg(fd, m, BURST, 0);
	}
}

/* Child: the user-space relay, GW_A:USR_A -> B, as a minimal rtpengine
 * would do it (no per-packet work beyond the copy the socket API does). */
static pid_t start_user_relay(void)
{
	int in = sbk_udp_bind(g_root_ns, GW_A, USR_A, 4 << 20);
	int out = sbk_udp_bind(g_root_ns, GW_B, USR_B, 0);
	pid_t pid = fork();

	CHECK(pid >= 0, "fork");
	if (pid) {
		close(in);
		close(out);
		return pid;
	}
	pin(0);
	static uint8_t buf[BURST][2048];
	struct mmsghdr m[BURST];
	struct iovec iov[BURST];
	struct sockaddr_in to = sbk_sin(H_B, PORT_B);

	memset(m, 0, sizeof(m));
	for (int i = 0; i < BURST; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = sizeof(buf[i]);
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	for (;;) {
		int n = recvmmsg(in, m, BURST, MSG_WAITFORONE, NULL);

		if (n <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			iov[i].iov_len = m[i].msg_len;
			m[i].msg_hdr.msg_name = &to;
			m[i].msg_hdr.msg_namelen = sizeof(to);
		}
		sendmmsg(out, m, (unsigned)n, 0);
		for (int i = 0; i < n; i++) {
			iov[i].iov_len = sizeof(buf[i]);
			m[i].msg_hdr.msg_name = NULL;
			m[i].msg_hdr.msg_namelen = 0;
		}
	}
}

/* pktgen (kernel packet generator) in A, on CPU 1: a sender far cheaper
 * than any socket, so that the offered load exceeds both relays. */
static bool use_pktgen;
static char ga_mac[32];

static void pg_write(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pg_write(const char *file, const char *fmt, ...)
{
	char path[128], cmd[256];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "/proc/net/pktgen/%s", file);
	sbk_enter(A.nsfd);
	f = fopen(path, "w");
	CHECK(f != NULL, "open %s: %s", path, strerror(errno));
	fprintf(f, "%s\n", cmd);
	CHECK(fclose(f) == 0, "pktgen %s '%s': %s", file, cmd, strerror(errno));
	sbk_enter(g_root_ns);
}

static bool pktgen_setup(void)
{
	FILE *f;

	if (sbk_sh("insmod /pktgen.ko 2>/dev/null") != 0)
		return false;
	f = fopen("/sys/class/net/ga/address", "r");
	CHECK(f && fscanf(f, "%31s", ga_mac) == 1, "ga address");
	fclose(f);
	pg_write("kpktgend_1", "rem_device_all");
	pg_write("kpktgend_1", "add_device %s", A.ifname);
	pg_write(A.ifname, "count 0");
	pg_write(A.ifname, "clone_skb 0"); /* a fresh skb each time: the relay rewrites it */
	pg_write(A.ifname, "pkt_size %d", 14 + 20 + 8 + PAYLOAD);
	pg_write(A.ifname, "dst_mac %s", ga_mac);
	pg_write(A.ifname, "src_min %s", H_A);
	pg_write(A.ifname, "src_max %s", H_A);
	pg_write(A.ifname, "udp_src_min %d", PORT_A);
	pg_write(A.ifname, "udp_src_max %d", PORT_A);
	return true;
}


static pid_t start_pktgen(const char *ip, uint16_t port)
{
	pg_write(A.ifname, "delay 0");
	pg_write(A.ifname, "dst %s", ip);
	pg_write(A.ifname, "udp_dst_min %u", port);
	pg_write(A.ifname, "udp_dst_max %u", port);
	pid_t pid = fork();

	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		pg_write("pgctrl", "start"); /* returns when stopped */
		_exit(0);
	}
	return pid;
}

static void stop_pktgen(pid_t pid)
{
	pg_write("pgctrl", "stop");
	waitpid(pid, NULL, 0);
}

struct run {
	double kpps;    /* arrived at B */
	double offered; /* sent by A */
};

static struct run measure(const char *ip, uint16_t port, double secs)
{
	struct run r;
	pid_t s = use_pktgen ? start_pktgen(ip, port) : start_sender(ip, port);
	uint64_t b0, a0, b1, a1, t0, t1;

	usleep(200000); /* warm up: ARP, queues full */
	b0 = sbk_if_stat(B.nsfd, B.ifname, "rx_packets");
	a0 = sbk_if_stat(A.nsfd, A.ifname, "tx_packets");
	t0 = sbk_now_ns();
	usleep((useconds_t)(secs * 1e6));
	b1 = sbk_if_stat(B.nsfd, B.ifname, "rx_packets");
	a1 = sbk_if_stat(A.nsfd, A.ifname, "tx_packets");
	t1 = sbk_now_ns();
	if (use_pktgen) {
		stop_pktgen(s);
	} else {
		kill(s, SIGKILL);
		waitpid(s, NULL, 0);
	}
	usleep(100000); /* let the queues drain before the next run */
	r.kpps = (double)(b1 - b0) / ((double)(t1 - t0) / 1e9) / 1e3;
	r.offered = (double)(a1 - a0) / ((double)(t1 - t0) / 1e9) / 1e3;
	return r;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.5;
	int runs = argc > 2 ? atoi(argv[2]) : 3, fd, sink;
	double k[16], u[16], ko[16], uo[16], pr[16];
	struct sb_relay_stats st;
	pid_t relay;

	if (runs < 1 || runs > 16 || secs <= 0)
		FAIL("usage: kernel_relay [secs] [runs<=16]");
	sbk_guest_init();
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("kernel_relay: needs 2 vCPUs (run.sh --smp 2)\n");
		sbk_finish(77);
	}
	sbk_host_create(&A, "a", H_A, GW_A);
	sbk_host_create(&B, "b", H_B, GW_B);
	sbk_sh_ok("echo 1 > /sys/class/net/%s/queues/rx-0/rps_cpus", A.gwif);
	sink = sbk_udp_bind(B.nsfd, H_B, PORT_B, 256 << 10); /* never read */
	use_pktgen = pktgen_setup();
	CHECK(sbk_sh("insmod /sb_relay.ko") == 0, "insmod");
	fd = sbk_dev_open();
	CHECK(sbk_leg_add(fd, GW_A, LEG_A, H_A, PORT_A, SB_RELAY_F_STRICT | SB_RELAY_F_RTP) == 0, "add");
	CHECK(sbk_leg_add(fd, GW_B, LEG_B, H_B, PORT_B, SB_RELAY_F_STRICT | SB_RELAY_F_RTP) == 0, "add");
	CHECK(sbk_connect(fd, GW_A, LEG_A, GW_B, LEG_B) == 0, "connect");
	relay = start_user_relay();

	for (int i = 0; i < runs; i++) {
		struct run r = measure(GW_A, LEG_A, secs);

		k[i] = r.kpps;
		ko[i] = r.offered;
		r = measure(GW_A, USR_A, secs);
		u[i] = r.kpps;
		uo[i] = r.offered;
		pr[i] = u[i] > 0 ? k[i] / u[i] : 0; /* adjacent runs: host drift cancels */
		printf("BENCH| run %d: kmod %.1f kpps (offered %.1f), userspace %.1f kpps (offered %.1f), "
		       "ratio %.2f\n", i + 1, k[i], ko[i], u[i], uo[i], pr[i]);
	}
	kill(relay, SIGKILL);
	waitpid(relay, NULL, 0);
	CHECK(sbk_get(fd, GW_A, LEG_A, &st) == 0, "get");
	CHECK(st.rx_pkts > 0 && st.rejected == 0, "the module carried the kmod runs");
	close(fd);
	close(sink);

	double km = median(k, runs), um = median(u, runs), kom = median(ko, runs), uom = median(uo, runs);
	double ratio = median(pr, runs), of_medians = um > 0 ? km / um : 0;
	/* the relay kept up with everything offered: its capacity is higher
	 * than what we measured, and the ratio a lower bound */
	bool k_bound = km >= 0.95 * kom, u_bound = um >= 0.95 * uom;

	printf("BENCH| kernel_relay: %d runs of %.1f s, %d-byte UDP payload, A -> gateway -> B, "
	       "relay on vCPU 0, sender (%s) on vCPU 1, medians\n", runs, secs, PAYLOAD,
	       use_pktgen ? "pktgen" : "sendmmsg");
	printf("BENCH| %-30s %12s %14s\n", "relay", "kpps at B", "offered kpps");
	printf("BENCH| %-30s %12.1f %14.1f%s\n", "sb_relay.ko (netfilter)", km, kom,
	       k_bound ? "  (kept up with the sender: capacity is higher)" : "");
	printf("BENCH| %-30s %12.1f %14.1f%s\n", "user space recvmmsg/sendmmsg", um, uom,
	       u_bound ? "  (kept up with the sender: capacity is higher)" : "");
	printf("BENCH| ratio kmod / user space: %.2f%s (median of per-run ratios; ratio of medians %.2f)\n",
	       ratio, k_bound && !u_bound ? " or more" : "", of_medians);
	printf("BENCH| module counters: leg A rx %llu pkts, %llu bytes\n",
	       (unsigned long long)st.rx_pkts, (unsigned long long)st.rx_bytes);
	printf("BENCH| {\"bench\":\"kernel_relay\",\"kmod_kpps\":%.1f,\"userspace_kpps\":%.1f,"
	       "\"ratio_vs_userspace\":%.2f,\"ratio_of_medians\":%.2f,"
	       "\"kmod_offered_kpps\":%.1f,\"userspace_offered_kpps\":%.1f,"
	       "\"kmod_sender_bound\":%s,\"userspace_sender_bound\":%s,"
	       "\"runs\":%d,\"secs\":%.1f,\"payload\":%d,\"guest_cpus\":2,\"sender\":\"%s\"}\n",
	       km, um, ratio, of_medians, kom, uom, k_bound ? "true" : "false",
	       u_bound ? "true" : "false", runs, secs, PAYLOAD,
	       use_pktgen ? "pktgen" : "sendmmsg");
	sbk_finish(0);
}
