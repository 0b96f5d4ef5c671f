/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "guest_lib.h"

int g_root_ns = -1;

void sbk_finish(int rc)
{
	const char *what = rc == 0 ? "PASS" : rc == 77 ? "SKIP" : "FAIL";

	fflush(stdout);
	if (rc == 0 && getenv("SBK_MORE") != NULL) {
		/* run.sh runs another program in this guest after us: the
		 * verdict is the last program's; ours is a part */
		printf("SBK-PART: PASS\n");
		fflush(stdout);
		exit(0);
	}
	printf("SBK-RESULT: %s rc=%d\n", what, rc);
	fflush(stdout);
	fflush(stderr);
	sync();
	/* isa-debug-exit at 0xf4: qemu exits with (rc << 1) | 1 */
	if (ioperm(0xf4, 4, 1) == 0)
		outb((unsigned char)rc, 0xf4);
	reboot(RB_POWER_OFF);
	_exit(rc);
}

void sbk_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stdout, "FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fprintf(stdout, "\n");
	sbk_finish(1);
}

static int vsh(const char *fmt, va_list ap)
{
	char cmd[512];

	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	int st = system(cmd);

	if (st != 0)
		fprintf(stdout, "sh: '%s' -> %d\n", cmd, st);
	return st;
}

int sbk_sh(const char *fmt, ...)
{
	va_list ap;
	int st;

	va_start(ap, fmt);
	st = vsh(fmt, ap);
	va_end(ap);
	return st;
}

void sbk_sh_ok(const char *fmt, ...)
{
	va_list ap;
	int st;

	va_start(ap, fmt);
	st = vsh(fmt, ap);
	va_end(ap);
	CHECK(st == 0, "shell command failed");
}

void sbk_enter(int nsfd)
{
	CHECK(setns(nsfd, CLONE_NEWNET) == 0, "setns: %s", strerror(errno));
}

void sbk_guest_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	g_root_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	CHECK(g_root_ns >= 0, "open root netns: %s", strerror(errno));
	sbk_sh_ok("ip link set lo up");
	if (access("/sys/module/veth", F_OK) != 0)
		sbk_sh_ok("insmod /veth.ko");
}

/* ---- rtnetlink: one veth pair, the peer created straight in a netns ---- */

struct nlbuf {
	char b[1024];
	unsigned len;
};

static struct rtattr *nl_put(struct nlbuf *m, unsigned short type, const void *data, unsigned n)
{
	struct rtattr *a = (struct rtattr *)(m->b + NLMSG_ALIGN(m->len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(n);
	if (n)
		memcpy(RTA_DATA(a), data, n);
	m->len = NLMSG_ALIGN(m->len) + RTA_ALIGN(a->rta_len);
	return a;
}

static void nl_end(struct nlbuf *m, struct rtattr *a)
{
	a->rta_len = (unsigned short)(m->b + m->len - (char *)a);
}

static void veth_create(const char *name, const char *peer, int peer_nsfd)
{
	struct nlbuf m;
	struct nlmsghdr *h = (struct nlmsghdr *)m.b;
	struct ifinfomsg *ifi;
	struct rtattr *li, *data, *pi;
	char ack[1024];
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	CHECK(fd >= 0, "netlink socket");
	memset(&m, 0, sizeof(m));
	h->nlmsg_type = RTM_NEWLINK;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
	m.len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	nl_put(&m, IFLA_IFNAME, name, (unsigned)strlen(name) + 1);
	li = nl_put(&m, IFLA_LINKINFO, NULL, 0);
	nl_put(&m, IFLA_INFO_KIND, "veth", 5);
	data = nl_put(&m, IFLA_INFO_DATA, NULL, 0);
	pi = nl_put(&m, VETH_INFO_PEER, NULL, 0);
	m.len += sizeof(struct ifinfomsg); /* the peer's ifinfomsg, zeroed */
	nl_put(&m, IFLA_IFNAME, peer, (unsigned)strlen(peer) + 1);
	nl_put(&m, IFLA_NET_NS_FD, &peer_nsfd, sizeof(peer_nsfd));
	nl_end(&m, pi);
	nl_end(&m, data);
	nl_end(&m, li);
	h->nlmsg_len = m.len;
	ifi = NLMSG_DATA(h);
	ifi->ifi_family = AF_UNSPEC;
	CHECK(send(fd, m.b, m.len, 0) == (ssize_t)m.len, "netlink send");
	ssize_t n = recv(fd, ack, sizeof(ack), 0);
	struct nlmsghdr *r = (struct nlmsghdr *)ack;

	CHECK(n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) && r->nlmsg_type == NLMSG_ERROR,
	      "netlink answer");
	int err = ((struct nlmsgerr *)NLMSG_DATA(r))->error;

	CHECK(err == 0, "veth %s/%s: %s", name, peer, strerror(-err));
	close(fd);
}

void sbk_host_create(struct host *h, const char *name, const char *ip, const char *gw)
{
	memset(h, 0, sizeof(*h));
	h->name = name;
	h->ip = ip;
	h->gw = gw;
	snprintf(h->ifname, sizeof(h->ifname), "v%s", name);
	snprintf(h->gwif, sizeof(h->gwif), "g%s", name);
	CHECK(unshare(CLONE_NEWNET) == 0, "unshare: %s", strerror(errno));
	h->nsfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	CHECK(h->nsfd >= 0, "open netns");
	sbk_enter(g_root_ns);
	veth_create(h->gwif, h->ifname, h->nsfd);
	sbk_sh_ok("ip addr add %s/24 dev %s && ip link set %s up", gw, h->gwif, h->gwif);
	sbk_enter(h->nsfd);
	sbk_sh_ok("ip link set lo up && ip addr add %s/24 dev %s && ip link set %s up && "
		  "ip route add default via %s", ip, h->ifname, h->ifname, gw);
	sbk_enter(g_root_ns);
}

void sbk_set_tx_csum(int nsfd, const char *ifname, bool on)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_STXCSUM, .data = on };
	struct ifreq ifr;
	int fd;

	sbk_enter(nsfd);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ev;
	CHECK(ioctl(fd, SIOCETHTOOL, &ifr) == 0, "ethtool tx %s: %s", ifname, strerror(errno));
	close(fd);
	sbk_enter(g_root_ns);
}

struct sockaddr_in sbk_sin(const char *ip, uint16_t port)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons(port);
	inet_pton(AF_INET, ip, &s.sin_addr);
	return s;
}

int sbk_udp_bind(int nsfd, const char *ip, uint16_t port, int rcvbuf)
{
	struct sockaddr_in s = sbk_sin(ip, port);
	int fd;

	sbk_enter(nsfd);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0, "socket");
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	CHECK(bind(fd, (struct sockaddr *)&s, sizeof(s)) == 0, "bind %s:%u: %s", ip, port,
	      strerror(errno));
	sbk_enter(g_root_ns);
	return fd;
}

int sbk_recv_from(int fd, void *buf, int len, struct sockaddr_in *from, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	socklen_t sl = sizeof(*from);

	if (poll(&p, 1, timeout_ms) != 1)
		return -1;
	return (int)recvfrom(fd, buf, (size_t)len, MSG_DONTWAIT, (struct sockaddr *)from, &sl);
}

uint64_t sbk_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t sbk_snmp_udp(int nsfd, const char *field)
{
	char names[512], vals[512], line[512];
	uint64_t v = UINT64_MAX;
	FILE *f;

	sbk_enter(nsfd);
	f = fopen("/proc/self/net/snmp", "r");
	sbk_enter(g_root_ns);
	CHECK(f != NULL, "snmp");
	names[0] = 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Udp: ", 5) != 0)
			continue;
		if (names[0] == 0) {
			snprintf(names, sizeof(names), "%s", line);
			continue;
		}
		snprintf(vals, sizeof(vals), "%s", line);
		char *sn, *sv, *n = strtok_r(names, " \n", &sn), *val = strtok_r(vals, " \n", &sv);

		while (n && val) {
			if (strcmp(n, field) == 0)
				v = strtoull(val, NULL, 10);
			n = strtok_r(NULL, " \n", &sn);
			val = strtok_r(NULL, " \n", &sv);
		}
		break;
	}
	fclose(f);
	CHECK(v != UINT64_MAX, "no Udp %s", field);
	return v;
}

uint64_t sbk_if_stat(int nsfd, const char *ifname, const char *stat)
{
	/* /proc/self/net/dev follows the caller's namespace (sysfs does not) */
	static const char *const col[] = { "rx_bytes", "rx_packets", "rx_errs", "rx_drop",
					   "rx_fifo", "rx_frame", "rx_compressed", "rx_multicast",
					   "tx_bytes", "tx_packets" };
	char line[512], name[32];
	unsigned long long v[10];
	int want = -1;
	FILE *f;

	for (int i = 0; i < 10; i++)
		if (strcmp(col[i], stat) == 0)
			want = i;
	CHECK(want >= 0, "unknown stat %s", stat);
	sbk_enter(nsfd);
	f = fopen("/proc/self/net/dev", "r");
	sbk_enter(g_root_ns);
	CHECK(f != NULL, "open /proc/self/net/dev");
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (!c)
			continue;
		*c = ' ';
		if (sscanf(line, "%31s %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", name,
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) == 11 &&
		    strcmp(name, ifname) == 0) {
			fclose(f);
			return v[want];
		}
	}
	fclose(f);
	FAIL("no interface %s", ifname);
}

/* ---- /dev/sb_relay ---- */

int sbk_ioc(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) == 0 ? 0 : -errno;
}

int sbk_dev_open(void)
{
	struct sb_relay_hello h;
	int fd = open("/dev/" SB_RELAY_DEV_NAME, O_RDWR | O_CLOEXEC);

	CHECK(fd >= 0, "open /dev/sb_relay: %s", strerror(errno));
	sb_relay_hello_init(&h);
	CHECK(sbk_ioc(fd, SB_RELAY_IOC_HELLO, &h) == 0, "HELLO refused");
	return fd;
}

struct sb_relay_addr sbk_addr(const char *ip, uint16_t port)
{
	struct sb_relay_addr a;

	memset(&a, 0, sizeof(a));
	if (ip)
		inet_pton(AF_INET, ip, &a.ip);
	a.port = htons(port);
	return a;
}

int sbk_leg_add(int fd, const char *lip, uint16_t lport, const char *pip, uint16_t pport,
		uint32_t flags)
{
	struct sb_relay_leg l;

	memset(&l, 0, sizeof(l));
	l.local = sbk_addr(lip, lport);
	l.peer = sbk_addr(pip, pport);
	l.flags = flags;
	l.call_id = 42;
	return sbk_ioc(fd, SB_RELAY_IOC_ADD, &l);
}

int sbk_connect(int fd, const char *ip_a, uint16_t port_a, const char *ip_b, uint16_t port_b)
{
	struct sb_relay_connect c;

	memset(&c, 0, sizeof(c));
	c.a = sbk_addr(ip_a, port_a);
	c.b = sbk_addr(ip_b, port_b);
	return sbk_ioc(fd, SB_RELAY_IOC_CONNECT, &c);
}

int sbk_get(int fd, const char *ip, uint16_t port, struct sb_relay_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->local = sbk_addr(ip, port);
	return sbk_ioc(fd, SB_RELAY_IOC_GET, st);
}

void sbk_info(int fd, struct sb_relay_info *in)
{
	memset(in, 0, sizeof(*in));
	CHECK(sbk_ioc(fd, SB_RELAY_IOC_INFO, in) == 0, "INFO");
}
