/* SPDX-License-Identifier: MIT */
/*
 * guest_test — runs as the payload of the qemu guest (tests/kmod/run.sh)
 * and checks sb_relay.ko end to end on real namespaces and veths:
 *
 *   1  ABI: every call before HELLO, a wrong ABI number or struct size is
 *      refused (-EPROTO) and poisons the file; a second HELLO -EALREADY.
 *   2  Without CAP_NET_ADMIN: reads work, changes -EPERM.  Bad adds.
 *   3  A call A <-> B relayed in the kernel both ways: every packet
 *      arrives with the gateway's addresses and ports and a valid UDP
 *      checksum (A->B enters with CHECKSUM_PARTIAL, B->A with a full
 *      checksum, some with none), the legs' counters equal what was sent,
 *      RTP loss equals the gap we made, and the gateway's own sockets on
 *      those ports see nothing.  A's packet before B latched goes to the
 *      stack (counted "passed").
 *   4  A third host C is rejected on both legs (strict, latched).
 *   5  Untouched: an unknown port, a fragmented datagram and one with IP
 *      options reach the gateway's normal sockets, unchanged.
 *   6  DEL stops relaying: traffic then reaches the normal sockets.
 *   7  A namespace with live entries goes away.
 *   8  A device that cached routes point through goes away.
 *   9  Unload with live entries while traffic flows; reload works.
 *  10  Copy ring: bad set-ups refused, one ring per namespace; mapped, it
 *      holds exactly the packets relayed on the leg with SB_RELAY_F_COPY
 *      (source, leg, lengths, payload bytes), full -> copies dropped and
 *      counted while relaying goes on; the reader's tail frees slots;
 *      closing the file removes the ring.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_lib.h"

#define LEG_A 30000
#define LEG_B 30002
#define PORT_A 4000
#define PORT_B 5000
#define PORT_C 6000
#define UNKNOWN_PORT 31000
#define PAYLOAD 172 /* 12 RTP + 160 bytes of G.711 */

static struct host A, B, C;

static void rtp_fill(uint8_t *p, uint16_t seq, uint32_t ssrc)
{
	p[0] = 0x80;
	p[1] = 8;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	memset(p + 4, 0, 4);
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
	for (int i = 12; i < PAYLOAD; i++)
		p[i] = (uint8_t)(seq + i);
}

static void send_to(int fd, const char *ip, uint16_t port, const void *buf, size_t n)
{
	struct sockaddr_in to = sbk_sin(ip, port);

	CHECK(sendto(fd, buf, n, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)n,
	      "sendto %s:%u: %s", ip, port, strerror(errno));
}

/* Expect exactly one RTP packet with seq from ip:port on fd. */
static void expect_rtp(int fd, uint16_t seq, uint32_t ssrc, const char *ip, uint16_t port)
{
	uint8_t buf[2048], want[PAYLOAD];
	struct sockaddr_in from;
	int n = sbk_recv_from(fd, buf, sizeof(buf), &from, 5000);
	char s[INET_ADDRSTRLEN];

	CHECK(n >= 0, "seq %u: nothing received", seq);
	inet_ntop(AF_INET, &from.sin_addr, s, sizeof(s));
	CHECK(strcmp(s, ip) == 0 && ntohs(from.sin_port) == port,
	      "seq %u from %s:%u, want %s:%u", seq, s, ntohs(from.sin_port), ip, port);
	rtp_fill(want, seq, ssrc);
	CHECK(n == PAYLOAD && memcmp(buf, want, PAYLOAD) == 0, "seq %u: payload differs (%d bytes)",
	      seq, n);
}

static void expect_nothing(int fd, const char *what)
{
	uint8_t buf[4096];
	struct sockaddr_in from;
	int n = sbk_recv_from(fd, buf, sizeof(buf), &from, 150);

	CHECK(n < 0, "%s: got %d bytes", what, n);
}

/* Expect n datagrams of len bytes from ip:port (untouched by the module). */
static void expect_plain(int fd, int n, int len, const char *ip, uint16_t port, const char *what)
{
	for (int i = 0; i < n; i++) {
		uint8_t buf[4096];
		struct sockaddr_in from;
		int got = sbk_recv_from(fd, buf, sizeof(buf), &from, 5000);
		char s[INET_ADDRSTRLEN];

		CHECK(got >= 0, "%s: datagram %d of %d missing", what, i + 1, n);
		inet_ntop(AF_INET, &from.sin_addr, s, sizeof(s));
		CHECK(got == len && strcmp(s, ip) == 0 && ntohs(from.sin_port) == port,
		      "%s: %d bytes from %s:%u", what, got, s, ntohs(from.sin_port));
	}
}

static uint64_t reason(int fd, enum sb_relay_reason r)
{
	struct sb_relay_info in;

	sbk_info(fd, &in);
	CHECK(in.n_reasons == SB_RELAY_R_N, "n_reasons %u", in.n_reasons);
	return in.reason[r];
}

static void test_abi(void)
{
	struct sb_relay_hello h;
	struct sb_relay_stats st;
	int fd = open("/dev/sb_relay", O_RDWR);

	CHECK(fd >= 0, "open: %s", strerror(errno));
	CHECK(sbk_get(fd, GW_A, LEG_A, &st) == -EPROTO, "GET before HELLO not refused");
	sb_relay_hello_init(&h);
	h.abi = SB_RELAY_ABI + 1;
	CHECK(sbk_ioc(fd, SB_RELAY_IOC_HELLO, &h) == -EPROTO, "wrong ABI number accepted");
	sb_relay_hello_init(&h);
	CHECK(sbk_ioc(fd, SB_RELAY_IOC_HELLO, &h) == -EPROTO, "file not poisoned by a mismatch");
	close(fd);

	fd = open("/dev/sb_relay", O_RDWR);
	sb_relay_hello_init(&h);
	h.sizes[SB_RELAY_SZ_STATS] += 8; /* a control built with another layout */
	CHECK(sbk_ioc(fd, SB_RELAY_IOC_HELLO, &h) == -EPROTO, "wrong struct size accepted");
	close(fd);

	fd = open("/dev/sb_relay", O_RDWR);
	sb_relay_hello_init(&h);
	h.n_sizes = SB_RELAY_SZ_N - 1;
	CHECK(sbk_ioc(fd, SB_RELAY_IOC_HELLO, &h) == -EPROTO, "wrong size count accepted");
	close(fd);

	fd = open("/dev/sb_relay", O_RDWR);
	sb_relay_hello_init(&h);
	CHECK(sbk_ioc(fd, SB_RELAY_IOC_HELLO, &h) == 0, "good HELLO refused");
	CHECK(h.max_entries > 0 && h.flags_known == SB_RELAY_F_KNOWN, "HELLO answer");
	CHECK(sbk_ioc(fd, SB_RELAY_IOC_HELLO, &h) == -EALREADY, "second HELLO");
	/* an ioctl number with another size is unknown */
	CHECK(sbk_ioc(fd, _IOWR(SB_RELAY_IOC_MAGIC, 5, struct sb_relay_leg), &h) == -ENOTTY,
	      "foreign ioctl size");
	close(fd);
	printf("ok 1 ABI check: mismatches refused with EPROTO, file poisoned\n");
}

static void test_perms_and_args(int fd)
{
	pid_t pid = fork();

	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		struct __user_cap_header_struct hd = { .version = _LINUX_CAPABILITY_VERSION_3 };
		struct __user_cap_data_struct d[2];
		struct sb_relay_stats st;
		int cfd = sbk_dev_open();

		memset(d, 0, sizeof(d));
		if (syscall(SYS_capset, &hd, d) != 0)
			_exit(2);
		if (sbk_leg_add(cfd, GW_A, 30100, NULL, 0, 0) != -EPERM)
			_exit(3);
		if (sbk_get(cfd, GW_A, 30100, &st) != -ENOENT) /* reading needs no capability */
			_exit(4);
		_exit(0);
	}
	int status;

	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "no-CAP_NET_ADMIN child: %d", status);

	CHECK(sbk_leg_add(fd, "10.9.9.9", 30000, NULL, 0, 0) == -EADDRNOTAVAIL, "foreign address");
	CHECK(sbk_leg_add(fd, GW_A, 0, NULL, 0, 0) == -EINVAL, "port 0");
	CHECK(sbk_leg_add(fd, GW_A, 30100, NULL, 0, 1u << 7) == -EINVAL, "unknown flag");
	CHECK(sbk_leg_add(fd, GW_A, 30100, H_A, 0, 0) == -EINVAL, "half a peer");
	CHECK(sbk_leg_add(fd, GW_A, 30100, NULL, 0, 0) == 0, "add");
	CHECK(sbk_leg_add(fd, GW_A, 30100, NULL, 0, 0) == -EEXIST, "duplicate");
	CHECK(sbk_connect(fd, GW_A, 30100, GW_A, 30100) == -EINVAL, "self connect");
	CHECK(sbk_connect(fd, GW_A, 30100, GW_B, 30102) == -ENOENT, "connect to nothing");
	struct sb_relay_addr k = sbk_addr(GW_A, 30100);

	CHECK(sbk_ioc(fd, SB_RELAY_IOC_DEL, &k) == 0, "del");
	CHECK(sbk_ioc(fd, SB_RELAY_IOC_DEL, &k) == -ENOENT, "del twice");

	/* LIST pages through 40 entries in creation order, 16 at a time */
	static struct sb_relay_list l;
	unsigned seen = 0, pages = 0;

	for (int i = 0; i < 40; i++)
		CHECK(sbk_leg_add(fd, GW_A, (uint16_t)(32000 + 2 * i), NULL, 0, 0) == 0, "add %d", i);
	memset(&l, 0, sizeof(l));
	do {
		CHECK(sbk_ioc(fd, SB_RELAY_IOC_LIST, &l) == 0, "LIST");
		for (unsigned i = 0; i < l.count; i++, seen++)
			CHECK(ntohs(l.ent[i].local.port) == 32000 + 2 * seen, "LIST order at %u", seen);
		pages++;
	} while (l.count == SB_RELAY_LIST_MAX);
	CHECK(seen == 40 && pages == 3, "LIST: %u entries in %u pages", seen, pages);
	for (int i = 0; i < 40; i++) {
		k = sbk_addr(GW_A, (uint16_t)(32000 + 2 * i));
		CHECK(sbk_ioc(fd, SB_RELAY_IOC_DEL, &k) == 0, "del %d", i);
	}
	printf("ok 2 CAP_NET_ADMIN needed to change, bad arguments refused, LIST pages\n");
}

static void test_relay(int fd)
{
	enum { NB = 60, NB0 = 10, NA = 100, GAP = 5 };
	struct sb_relay_stats sa, sb;
	struct sb_relay_list l;
	uint64_t relayed0 = reason(fd, SB_RELAY_R_RELAYED), csum_a, csum_b;
	uint8_t pkt[PAYLOAD];
	int one = 1;

	/* A's side checksums in software only on the gateway side: A sends
	 * CHECKSUM_PARTIAL (veth offload on), the gateway finishes it in
	 * skb_checksum_help on ga/gb, the receivers verify every byte. */
	sbk_set_tx_csum(A.nsfd, A.ifname, true);
	sbk_set_tx_csum(B.nsfd, B.ifname, false);
	sbk_set_tx_csum(g_root_ns, A.gwif, false);
	sbk_set_tx_csum(g_root_ns, B.gwif, false);
	csum_a = sbk_snmp_udp(A.nsfd, "InCsumErrors");
	csum_b = sbk_snmp_udp(B.nsfd, "InCsumErrors");

	int sa_fd = sbk_udp_bind(A.nsfd, H_A, PORT_A, 0);
	int sb_fd = sbk_udp_bind(B.nsfd, H_B, PORT_B, 0);
	int sb0_fd = sbk_udp_bind(B.nsfd, H_B, PORT_B + 1, 0);
	int gwa = sbk_udp_bind(g_root_ns, GW_A, LEG_A, 0); /* control's port reservations */
	int gwb = sbk_udp_bind(g_root_ns, GW_B, LEG_B, 0);

	CHECK(setsockopt(sb0_fd, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one)) == 0, "SO_NO_CHECK");
	/* A: peer from SDP, strict.  B: unknown peer, learn and lock. */
	CHECK(sbk_leg_add(fd, GW_A, LEG_A, H_A, PORT_A, SB_RELAY_F_STRICT | SB_RELAY_F_RTP) == 0,
	      "add A");
	CHECK(sbk_leg_add(fd, GW_B, LEG_B, NULL, 0,
			  SB_RELAY_F_LATCH | SB_RELAY_F_STRICT | SB_RELAY_F_RTP) == 0, "add B");
	CHECK(sbk_connect(fd, GW_A, LEG_A, GW_B, LEG_B) == 0, "connect");

	/* B has not spoken: A's packet has no destination yet -> the stack */
	rtp_fill(pkt, 0, 0xaaaa);
	send_to(sa_fd, GW_A, LEG_A, pkt, sizeof(pkt));
	expect_plain(gwa, 1, PAYLOAD, H_A, PORT_A, "before B latched");

	/* B -> A: NB packets, the first NB0 without UDP checksum */
	for (int i = 0; i < NB; i++) {
		rtp_fill(pkt, (uint16_t)(1000 + i), 0xbbbb);
		send_to(i < NB0 ? sb0_fd : sb_fd, GW_B, LEG_B, pkt, sizeof(pkt));
		if (i == NB0 - 1) /* B latches to its first source; the rest come */
			usleep(1000); /* from the other port and are rejected below */
	}
	for (int i = 0; i < NB0; i++)
		expect_rtp(sa_fd, (uint16_t)(1000 + i), 0xbbbb, GW_A, LEG_A);
	expect_nothing(sa_fd, "B's second port after latching");
	CHECK(sbk_get(fd, GW_B, LEG_B, &sb) == 0, "get B");
	CHECK(sb.rejected == NB - NB0 && sb.rx_pkts == NB0, "B latched to its first port: rx %llu rej %llu",
	      (unsigned long long)sb.rx_pkts, (unsigned long long)sb.rejected);
	CHECK(ntohs(sb.peer.port) == PORT_B + 1 && (sb.state & SB_RELAY_S_LATCHED), "B's peer");

	/* Re-program B to its real port (as control does after a re-INVITE). */
	struct sb_relay_leg mod;

	memset(&mod, 0, sizeof(mod));
	mod.local = sbk_addr(GW_B, LEG_B);
	mod.peer = sbk_addr(H_B, PORT_B);
	mod.flags = SB_RELAY_F_STRICT | SB_RELAY_F_RTP;
	CHECK(sbk_ioc(fd, SB_RELAY_IOC_MOD, &mod) == 0, "mod B");
	for (int i = 0; i < NB; i++) {
		rtp_fill(pkt, (uint16_t)(1000 + NB0 + i), 0xbbbb);
		send_to(sb_fd, GW_B, LEG_B, pkt, sizeof(pkt));
		if (i % 20 == 19)
			for (int j = i - 19; j <= i; j++)
				expect_rtp(sa_fd, (uint16_t)(1000 + NB0 + j), 0xbbbb, GW_A, LEG_A);
	}

	/* A -> B: NA packets, sequence numbers with a gap of GAP */
	for (int i = 0; i < NA; i++) {
		uint16_t seq = (uint16_t)(1 + i + (i >= NA / 2 ? GAP : 0));

		rtp_fill(pkt, seq, 0xaaaa);
		send_to(sa_fd, GW_A, LEG_A, pkt, sizeof(pkt));
		expect_rtp(sb_fd, seq, 0xaaaa, GW_B, LEG_B);
	}
	expect_nothing(gwa, "gateway socket A");
	expect_nothing(gwb, "gateway socket B");

	CHECK(sbk_get(fd, GW_A, LEG_A, &sa) == 0, "get A");
	CHECK(sbk_get(fd, GW_B, LEG_B, &sb) == 0, "get B");
	printf("   leg A: rx %llu/%llu B tx %llu rej %llu passed %llu lost %llu state %#x idle %u ms\n",
	       (unsigned long long)sa.rx_pkts, (unsigned long long)sa.rx_bytes,
	       (unsigned long long)sa.tx_pkts, (unsigned long long)sa.rejected,
	       (unsigned long long)sa.passed, (unsigned long long)sa.rtp_lost, sa.state, sa.idle_ms);
	printf("   leg B: rx %llu/%llu B tx %llu rej %llu passed %llu lost %llu state %#x\n",
	       (unsigned long long)sb.rx_pkts, (unsigned long long)sb.rx_bytes,
	       (unsigned long long)sb.tx_pkts, (unsigned long long)sb.rejected,
	       (unsigned long long)sb.passed, (unsigned long long)sb.rtp_lost, sb.state);
	CHECK(sa.rx_pkts == NA && sa.rx_bytes == (uint64_t)NA * PAYLOAD, "A rx counters");
	CHECK(sa.tx_pkts == NB0 + NB && sa.tx_bytes == (uint64_t)(NB0 + NB) * PAYLOAD, "A tx counters");
	CHECK(sa.passed == 1 && sa.rejected == 0, "A passed/rejected");
	CHECK(sa.rtp_lost == GAP, "A RTP loss %llu, want %d", (unsigned long long)sa.rtp_lost, GAP);
	CHECK(sb.rx_pkts == NB0 + NB && sb.tx_pkts == NA && sb.rejected == NB - NB0, "B counters");
	CHECK(sb.rtp_lost == 0, "B RTP loss %llu", (unsigned long long)sb.rtp_lost);
	CHECK((sa.state & SB_RELAY_S_LATCHED) && (sa.state & SB_RELAY_S_CONNECTED), "A state");
	CHECK(sa.fwd.port == htons(LEG_B) && sa.peer.port == htons(PORT_A), "A fwd/peer");
	CHECK(sa.last_seen_ns != 0 && sa.idle_ms < 10000, "A last seen");
	CHECK(reason(fd, SB_RELAY_R_RELAYED) - relayed0 == NA + NB0 + NB, "global relayed counter");
	CHECK(sbk_snmp_udp(A.nsfd, "InCsumErrors") == csum_a, "checksum errors at A");
	CHECK(sbk_snmp_udp(B.nsfd, "InCsumErrors") == csum_b, "checksum errors at B");

	memset(&l, 0, sizeof(l));
	CHECK(sbk_ioc(fd, SB_RELAY_IOC_LIST, &l) == 0 && l.count == 2, "LIST: %u", l.count);
	CHECK(l.ent[0].local.port == htons(LEG_A) && l.ent[1].local.port == htons(LEG_B) &&
	      l.ent[0].rx_pkts == NA, "LIST content");
	CHECK(sbk_ioc(fd, SB_RELAY_IOC_LIST, &l) == 0 && l.count == 0, "LIST end");
	printf("ok 3 call relayed in the kernel both ways: %d + %d packets, counters match, "
	       "RTP loss %d, gateway sockets saw nothing, checksums valid\n", NA, NB0 + NB, GAP);
	close(sb0_fd);

	/* ---- 4: a third host ---- */
	int sc_fd = sbk_udp_bind(C.nsfd, H_C, PORT_C, 0);

	for (int i = 0; i < 20; i++) {
		rtp_fill(pkt, (uint16_t)i, 0xcccc);
		send_to(sc_fd, GW_A, LEG_A, pkt, sizeof(pkt));
		send_to(sc_fd, GW_B, LEG_B, pkt, sizeof(pkt));
	}
	/* softirq may run later (ksoftirqd) on a loaded host: poll, 5 s at most */
	for (int i = 0; i < 500; i++) {
		CHECK(sbk_get(fd, GW_A, LEG_A, &sa) == 0 && sbk_get(fd, GW_B, LEG_B, &sb) == 0, "get");
		if (sa.rejected >= 20 && sb.rejected >= NB - NB0 + 20)
			break;
		usleep(10000);
	}
	CHECK(sa.rejected == 20, "A rejected %llu", (unsigned long long)sa.rejected);
	CHECK(sb.rejected == NB - NB0 + 20, "B rejected %llu", (unsigned long long)sb.rejected);
	expect_nothing(sb_fd, "C's packets at B");
	expect_nothing(sa_fd, "C's packets at A");
	expect_nothing(gwa, "C's packets at the gateway");
	printf("ok 4 third host rejected by latching on both legs (20 + 20)\n");

	/* ---- 5: untouched ---- */
	uint64_t no_entry0 = reason(fd, SB_RELAY_R_NO_ENTRY), frag0 = reason(fd, SB_RELAY_R_FRAG);
	uint64_t opts0 = reason(fd, SB_RELAY_R_IP_OPTS);
	int gwu = sbk_udp_bind(g_root_ns, GW_A, UNKNOWN_PORT, 0);
	static uint8_t big[3000];

	for (int i = 0; i < 5; i++)
		send_to(sa_fd, GW_A, UNKNOWN_PORT, pkt, sizeof(pkt));
	expect_plain(gwu, 5, PAYLOAD, H_A, PORT_A, "unknown port");
	CHECK(reason(fd, SB_RELAY_R_NO_ENTRY) - no_entry0 >= 5, "NO_ENTRY counted");

	memset(big, 0x5a, sizeof(big));
	send_to(sa_fd, GW_A, LEG_A, big, sizeof(big)); /* 3 fragments at MTU 1500 */
	expect_plain(gwa, 1, (int)sizeof(big), H_A, PORT_A, "fragmented datagram");
	CHECK(reason(fd, SB_RELAY_R_FRAG) - frag0 >= 2, "FRAG counted");

	uint8_t opts[4] = { 1, 1, 1, 0 }; /* NOP NOP NOP EOL */

	CHECK(setsockopt(sa_fd, IPPROTO_IP, IP_OPTIONS, opts, sizeof(opts)) == 0, "IP_OPTIONS");
	send_to(sa_fd, GW_A, LEG_A, pkt, sizeof(pkt));
	expect_plain(gwa, 1, PAYLOAD, H_A, PORT_A, "datagram with IP options");
	CHECK(reason(fd, SB_RELAY_R_IP_OPTS) - opts0 == 1, "IP_OPTS counted");
	CHECK(setsockopt(sa_fd, IPPROTO_IP, IP_OPTIONS, NULL, 0) == 0, "IP_OPTIONS off");
	expect_nothing(sb_fd, "untouched packets at B");
	CHECK(sbk_get(fd, GW_A, LEG_A, &sa) == 0 && sa.rx_pkts == NA, "A rx unchanged");
	printf("ok 5 unknown port, fragments and IP options reach the normal stack untouched\n");
	close(gwu);

	/* ---- 6: delete stops relaying ---- */
	struct sb_relay_addr ka = sbk_addr(GW_A, LEG_A);

	CHECK(sbk_ioc(fd, SB_RELAY_IOC_DEL, &ka) == 0, "del A");
	CHECK(sbk_get(fd, GW_A, LEG_A, &sa) == -ENOENT, "A gone");
	for (int i = 0; i < 5; i++) {
		send_to(sa_fd, GW_A, LEG_A, pkt, sizeof(pkt));
		send_to(sb_fd, GW_B, LEG_B, pkt, sizeof(pkt));
	}
	expect_plain(gwa, 5, PAYLOAD, H_A, PORT_A, "A after delete");
	expect_plain(gwb, 5, PAYLOAD, H_B, PORT_B, "B after its partner's delete");
	expect_nothing(sb_fd, "B after delete");
	expect_nothing(sa_fd, "A after delete");
	CHECK(sbk_get(fd, GW_B, LEG_B, &sb) == 0 && !(sb.state & SB_RELAY_S_CONNECTED) &&
	      sb.passed == 5, "B disconnected and passing");
	struct sb_relay_addr kb = sbk_addr(GW_B, LEG_B);

	CHECK(sbk_ioc(fd, SB_RELAY_IOC_DEL, &kb) == 0, "del B");
	printf("ok 6 delete stops relaying; the stack gets the packets again\n");
	close(sa_fd);
	close(sb_fd);
	close(sc_fd);
	close(gwa);
	close(gwb);
}

static void test_netns_exit(void)
{
	int nsfd, fd;
	struct sb_relay_info in;

	CHECK(unshare(CLONE_NEWNET) == 0, "unshare");
	nsfd = open("/proc/self/ns/net", O_RDONLY);
	sbk_sh_ok("ip link set lo up && ip addr add 10.200.0.1/32 dev lo");
	fd = sbk_dev_open();
	CHECK(sbk_leg_add(fd, "10.200.0.1", 1000, NULL, 0, 0) == 0, "add in netns");
	CHECK(sbk_leg_add(fd, "10.200.0.1", 1002, "10.200.0.1", 7, 0) == 0, "add in netns");
	CHECK(sbk_connect(fd, "10.200.0.1", 1000, "10.200.0.1", 1002) == 0, "connect in netns");
	sbk_info(fd, &in);
	CHECK(in.entries == 2, "entries in the netns: %u", in.entries);
	close(fd);
	sbk_enter(g_root_ns);
	fd = sbk_dev_open();
	sbk_info(fd, &in);
	CHECK(in.entries == 0, "the root namespace sees another's entries");
	close(fd);
	close(nsfd); /* last reference: the namespace and its entries go */
	printf("ok 7 entries are per namespace; a namespace with live entries went away\n");
}

/* A leg's cached route goes through a veth that disappears with its
 * namespace: the device must unregister (our cache holds a dst, not the
 * device) and the leg must fall back to the stack (no route). */
static void test_device_gone(void)
{
	struct host D;
	int fd = sbk_dev_open(), sa_fd, gw_fd, sd_fd;
	uint8_t pkt[PAYLOAD];
	struct sb_relay_stats st;

	sbk_host_create(&D, "d", "198.18.0.10", "198.18.0.1");
	sa_fd = sbk_udp_bind(A.nsfd, H_A, PORT_A, 0);
	sd_fd = sbk_udp_bind(D.nsfd, "198.18.0.10", 7000, 0);
	gw_fd = sbk_udp_bind(g_root_ns, GW_A, 30020, 0);
	CHECK(sbk_leg_add(fd, GW_A, 30020, H_A, PORT_A, SB_RELAY_F_STRICT) == 0, "add");
	CHECK(sbk_leg_add(fd, "198.18.0.1", 30022, "198.18.0.10", 7000, SB_RELAY_F_STRICT) == 0,
	      "add");
	CHECK(sbk_connect(fd, GW_A, 30020, "198.18.0.1", 30022) == 0, "connect");
	for (int i = 0; i < 5; i++) {
		rtp_fill(pkt, (uint16_t)i, 0xdddd);
		send_to(sa_fd, GW_A, 30020, pkt, sizeof(pkt));
		expect_rtp(sd_fd, (uint16_t)i, 0xdddd, "198.18.0.1", 30022);
	}
	close(sd_fd);
	close(D.nsfd); /* D's namespace goes, and with it both ends of the veth */
	int gone = 0;

	for (int i = 0; i < 100 && !gone; i++) {
		gone = sbk_sh("ip link show gd >/dev/null 2>&1") != 0;
		if (!gone)
			usleep(100000);
	}
	CHECK(gone, "gd still registered after 10 s (a reference leaked?)");
	send_to(sa_fd, GW_A, 30020, pkt, sizeof(pkt));
	expect_plain(gw_fd, 1, PAYLOAD, H_A, PORT_A, "no route any more: to the stack");
	CHECK(sbk_get(fd, "198.18.0.1", 30022, &st) == 0, "get");
	CHECK(sbk_get(fd, GW_A, 30020, &st) == 0 && st.rx_pkts == 5 && st.passed == 1,
	      "rx %llu passed %llu", (unsigned long long)st.rx_pkts, (unsigned long long)st.passed);
	close(sa_fd);
	close(gw_fd);
	close(fd); /* the legs stay: unloaded with the module in the next step */
	printf("ok 8 a relayed-to device disappeared: unregistered at once, leg falls back to the stack\n");
}

static void test_unload_live(void)
{
	int fd = sbk_dev_open(), gwa;
	uint8_t pkt[PAYLOAD];
	pid_t pid;

	CHECK(sbk_leg_add(fd, GW_A, LEG_A, H_A, PORT_A, SB_RELAY_F_STRICT) == 0, "add A");
	CHECK(sbk_leg_add(fd, GW_B, LEG_B, H_B, PORT_B, SB_RELAY_F_STRICT) == 0, "add B");
	CHECK(sbk_connect(fd, GW_A, LEG_A, GW_B, LEG_B) == 0, "connect");
	close(fd);
	gwa = sbk_udp_bind(g_root_ns, GW_A, LEG_A, 1 << 20);

	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) { /* A blasts until killed */
		int s = sbk_udp_bind(A.nsfd, H_A, PORT_A, 0);
		struct sockaddr_in to = sbk_sin(GW_A, LEG_A);

		rtp_fill(pkt, 0, 1);
		for (;;)
			sendto(s, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to));
	}
	usleep(200000);
	uint64_t t0 = sbk_now_ns();

	CHECK(sbk_sh("rmmod sb_relay") == 0, "rmmod with live entries and traffic");
	uint64_t t1 = sbk_now_ns();

	usleep(100000);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* After unload the stack owns the port again. */
	uint8_t buf[4096];
	struct sockaddr_in from;

	CHECK(sbk_recv_from(gwa, buf, sizeof(buf), &from, 1000) == PAYLOAD,
	      "after unload the gateway socket gets A's packets");
	close(gwa);
	CHECK(sbk_sh("insmod /sb_relay.ko") == 0, "reload");
	fd = sbk_dev_open();
	CHECK(sbk_leg_add(fd, GW_A, LEG_A, H_A, PORT_A, 0) == 0, "add after reload");
	close(fd);
	CHECK(sbk_sh("rmmod sb_relay") == 0, "rmmod with a live entry, no traffic");
	printf("ok 9 unload with live entries under traffic (rmmod %llu ms), reload, unload\n",
	       (unsigned long long)((t1 - t0) / 1000000));
}

/* The next slot of the ring, or NULL when the module has not filled it. */
static const struct sb_relay_ring_slot *ring_peek(const uint8_t *map, uint64_t tail)
{
	const struct sb_relay_ring_hdr *h = (const void *)map;
	const struct sb_relay_ring_slot *sl =
		(const void *)(map + 4096 + (tail & (h->slots - 1)) * h->slot_size);

	return __atomic_load_n(&sl->seq, __ATOMIC_ACQUIRE) == tail + 1 ? sl : NULL;
}

static void ring_pop(uint8_t *map, uint64_t *tail)
{
	struct sb_relay_ring_hdr *h = (void *)map;

	__atomic_store_n(&h->tail, ++*tail, __ATOMIC_RELEASE);
}

/* Slot of A's packet seq (5 s at most for it to appear). */
static void ring_expect(uint8_t *map, uint64_t *tail, uint16_t seq, uint64_t *last_ts)
{
	const struct sb_relay_ring_slot *sl = NULL;
	uint8_t want[PAYLOAD];

	for (int i = 0; i < 500 && (sl = ring_peek(map, *tail)) == NULL; i++)
		usleep(10000);
	CHECK(sl != NULL, "ring: no slot %llu (seq %u)", (unsigned long long)*tail, seq);
	rtp_fill(want, seq, 0xaaaa);
	CHECK(sl->leg.ip == inet_addr(GW_A) && sl->leg.port == htons(LEG_A) &&
	      sl->src.ip == inet_addr(H_A) && sl->src.port == htons(PORT_A) && sl->call_id == 42,
	      "ring slot %llu: leg, source or call", (unsigned long long)*tail);
	CHECK(sl->len == PAYLOAD && sl->caplen == 64 && sl->reserved == 0 &&
	      memcmp(sl + 1, want, 64) == 0, "ring slot %llu: len %u caplen %u or bytes",
	      (unsigned long long)*tail, sl->len, sl->caplen);
	CHECK(sl->ts_ns != 0 && sl->ts_ns >= *last_ts, "ring slot time");
	*last_ts = sl->ts_ns;
	ring_pop(map, tail);
}

static void test_ring(void)
{
	enum { N1 = 5, NB = 3, N2 = 20, SLOTS = 8 };
	struct sb_relay_ring r;
	struct sb_relay_stats st;
	struct sb_relay_leg mod;
	uint8_t pkt[PAYLOAD], *map;
	uint64_t tail = 0, ts = 0;
	int fd, fd2, sa_fd, sb_fd;

	CHECK(sbk_sh("insmod /sb_relay.ko") == 0, "insmod for the ring");
	fd = sbk_dev_open();
	fd2 = sbk_dev_open();
	memset(&r, 0, sizeof(r));
	CHECK(sbk_ioc(fd, SB_RELAY_IOC_RING_STATS, &r) == -ENOENT, "stats without a ring");
	CHECK(mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED &&
	      errno == EINVAL, "mmap without a ring");
	{
		static const struct { uint32_t slots, snap; } bad[] = {
			{ 0, 64 }, { 1, 64 }, { 6, 64 }, { 1u << 17, 64 }, { 8, 0 }, { 8, 4096 },
			{ 65536, 2048 }, /* 134 MB */
		};

		for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			memset(&r, 0, sizeof(r));
			r.slots = bad[i].slots;
			r.snaplen = bad[i].snap;
			CHECK(sbk_ioc(fd, SB_RELAY_IOC_RING_SETUP, &r) == -EINVAL,
			      "ring %u slots x %u bytes accepted", bad[i].slots, bad[i].snap);
		}
	}
	memset(&r, 0, sizeof(r));
	r.slots = SLOTS;
	r.snaplen = 64;
	CHECK(sbk_ioc(fd, SB_RELAY_IOC_RING_SETUP, &r) == 0, "ring setup");
	CHECK(r.slot_size == 112 && r.hdr_size == 4096 && r.map_size == 8192,
	      "ring geometry: slot %u hdr %u map %llu", r.slot_size, r.hdr_size,
	      (unsigned long long)r.map_size);
	CHECK(sbk_ioc(fd, SB_RELAY_IOC_RING_SETUP, &r) == -EBUSY, "second ring on one file");
	CHECK(sbk_ioc(fd2, SB_RELAY_IOC_RING_SETUP, &r) == -EBUSY, "second ring in the namespace");
	CHECK(mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED,
	      "mmap longer than the ring");
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096) == MAP_FAILED, "mmap at an offset");
	map = mmap(NULL, r.map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED, "mmap ring: %s", strerror(errno));
	{
		const struct sb_relay_ring_hdr *h = (const void *)map;

		CHECK(h->magic == SB_RELAY_RING_MAGIC && h->slots == SLOTS && h->slot_size == 112 &&
		      h->snaplen == 64 && h->tail == 0 && h->dropped == 0, "ring header");
	}

	/* A's leg copies, B's does not */
	CHECK(sbk_leg_add(fd, GW_A, LEG_A, H_A, PORT_A,
			  SB_RELAY_F_STRICT | SB_RELAY_F_RTP | SB_RELAY_F_COPY) == 0, "add A copy");
	CHECK(sbk_leg_add(fd, GW_B, LEG_B, H_B, PORT_B, SB_RELAY_F_STRICT | SB_RELAY_F_RTP) == 0,
	      "add B");
	CHECK(sbk_connect(fd, GW_A, LEG_A, GW_B, LEG_B) == 0, "connect");
	sa_fd = sbk_udp_bind(A.nsfd, H_A, PORT_A, 1 << 20);
	sb_fd = sbk_udp_bind(B.nsfd, H_B, PORT_B, 1 << 20);
	for (int i = 0; i < N1; i++) {
		rtp_fill(pkt, (uint16_t)(100 + i), 0xaaaa);
		send_to(sa_fd, GW_A, LEG_A, pkt, sizeof(pkt));
		expect_rtp(sb_fd, (uint16_t)(100 + i), 0xaaaa, GW_B, LEG_B);
	}
	for (int i = 0; i < NB; i++) {
		rtp_fill(pkt, (uint16_t)(500 + i), 0xbbbb);
		send_to(sb_fd, GW_B, LEG_B, pkt, sizeof(pkt));
		expect_rtp(sa_fd, (uint16_t)(500 + i), 0xbbbb, GW_A, LEG_A);
	}
	for (int i = 0; i < N1; i++)
		ring_expect(map, &tail, (uint16_t)(100 + i), &ts);
	CHECK(ring_peek(map, tail) == NULL, "B's packets copied (B has no COPY)");

	/* full: SLOTS more fit, the rest are counted, all are relayed */
	for (int i = 0; i < N2; i++) {
		rtp_fill(pkt, (uint16_t)(200 + i), 0xaaaa);
		send_to(sa_fd, GW_A, LEG_A, pkt, sizeof(pkt));
		expect_rtp(sb_fd, (uint16_t)(200 + i), 0xaaaa, GW_B, LEG_B);
	}
	CHECK(sbk_ioc(fd, SB_RELAY_IOC_RING_STATS, &r) == 0 && r.copied == N1 + SLOTS &&
	      r.dropped == N2 - SLOTS, "ring stats: copied %llu dropped %llu",
	      (unsigned long long)r.copied, (unsigned long long)r.dropped);
	CHECK(((const struct sb_relay_ring_hdr *)(const void *)map)->dropped == N2 - SLOTS,
	      "dropped in the header");
	CHECK(sbk_get(fd, GW_A, LEG_A, &st) == 0 && st.rx_pkts == N1 + N2, "A rx %llu",
	      (unsigned long long)st.rx_pkts);
	for (int i = 0; i < SLOTS; i++)
		ring_expect(map, &tail, (uint16_t)(200 + i), &ts);
	CHECK(ring_peek(map, tail) == NULL, "more slots than room");
	/* room again */
	rtp_fill(pkt, 300, 0xaaaa);
	send_to(sa_fd, GW_A, LEG_A, pkt, sizeof(pkt));
	expect_rtp(sb_fd, 300, 0xaaaa, GW_B, LEG_B);
	ring_expect(map, &tail, 300, &ts);

	/* COPY off: relayed, not copied */
	memset(&mod, 0, sizeof(mod));
	mod.local = sbk_addr(GW_A, LEG_A);
	mod.peer = sbk_addr(H_A, PORT_A);
	mod.flags = SB_RELAY_F_STRICT | SB_RELAY_F_RTP;
	CHECK(sbk_ioc(fd, SB_RELAY_IOC_MOD, &mod) == 0, "mod A");
	rtp_fill(pkt, 301, 0xaaaa);
	send_to(sa_fd, GW_A, LEG_A, pkt, sizeof(pkt));
	expect_rtp(sb_fd, 301, 0xaaaa, GW_B, LEG_B);
	CHECK(ring_peek(map, tail) == NULL && sbk_ioc(fd, SB_RELAY_IOC_RING_STATS, &r) == 0 &&
	      r.copied == N1 + SLOTS + 1, "copied without COPY");

	/* the ring goes with its file; the entries stay */
	CHECK(munmap(map, r.map_size) == 0, "munmap");
	close(fd);
	memset(&r, 0, sizeof(r));
	r.slots = 2;
	r.snaplen = 1;
	CHECK(sbk_ioc(fd2, SB_RELAY_IOC_RING_SETUP, &r) == 0, "ring not released with its file");
	CHECK(sbk_get(fd2, GW_A, LEG_A, &st) == 0, "entries went with the ring's file");
	close(fd2);
	close(sa_fd);
	close(sb_fd);
	CHECK(sbk_sh("rmmod sb_relay") == 0, "rmmod after the ring");
	printf("ok 10 copy ring: bad set-ups refused, one per namespace; %d copies of the COPY "
	       "leg only (source, leg, bytes), full: %d dropped and counted while relaying "
	       "went on; freed by the reader's tail; removed with its file\n",
	       N1 + SLOTS + 1, N2 - SLOTS);
}

int main(void)
{
	int fd;

	sbk_guest_init();
	sbk_host_create(&A, "a", H_A, GW_A);
	sbk_host_create(&B, "b", H_B, GW_B);
	sbk_host_create(&C, "c", H_C, GW_C);
	CHECK(sbk_sh("insmod /sb_relay.ko") == 0, "insmod sb_relay.ko");

	test_abi();
	fd = sbk_dev_open();
	test_perms_and_args(fd);
	test_relay(fd);
	close(fd);
	test_netns_exit();
	test_device_gone();
	test_unload_live();
	test_ring();
	printf("all kmod checks passed\n");
	sbk_finish(0);
}
