/* SPDX-License-Identifier: MIT */
/*
 * guest_lib.h — helpers for programs that run inside the qemu guest booted
 * by tests/kmod/run.sh (the kmod test and bench/kernel_relay): network
 * namespaces and veths, UDP sockets bound in a namespace, the sb_relay
 * ioctls, and the verdict (a marker line on the console and qemu's
 * isa-debug-exit port).
 *
 * Topology (documentation ranges, DESIGN.md):
 *   gateway = the initial namespace; hosts A, B, C each in a namespace of
 *   their own, linked to it by a veth:
 *     A 192.0.2.10    <-> ga 192.0.2.1     (caller)
 *     B 198.51.100.10 <-> gb 198.51.100.1  (agent)
 *     C 203.0.113.10  <-> gc 203.0.113.1   (a third host)
 *   each host's default route points at the gateway.
 */
#ifndef SBK_GUEST_LIB_H
#define SBK_GUEST_LIB_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "uapi/sb_relay.h"

#define GW_A "192.0.2.1"
#define H_A "192.0.2.10"
#define GW_B "198.51.100.1"
#define H_B "198.51.100.10"
#define GW_C "203.0.113.1"
#define H_C "203.0.113.10"

struct host {
	const char *name;   /* "a" */
	int nsfd;           /* its network namespace */
	const char *ip, *gw;
	char ifname[16];    /* inside the host: "va" */
	char gwif[16];      /* in the gateway: "ga" */
};

extern int g_root_ns;

/* Print "SBK-RESULT: PASS|FAIL|SKIP" and leave through isa-debug-exit with
 * rc (0 pass, 1 fail, 77 skip); power off if that port is absent.  With
 * SBK_MORE set (run.sh: another program follows) a pass prints
 * "SBK-PART: PASS" and exits 0 instead, leaving the guest running. */
void sbk_finish(int rc) __attribute__((noreturn));
void sbk_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
#define FAIL(...) sbk_fail(__FILE__, __LINE__, __VA_ARGS__)
#define CHECK(c, ...) do { if (!(c)) FAIL(__VA_ARGS__); } while (0)

void sbk_guest_init(void);        /* mounts, lo up, veth.ko; remembers the root ns */
int sbk_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sbk_sh_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sbk_host_create(struct host *h, const char *name, const char *ip, const char *gw);
void sbk_enter(int nsfd);         /* setns(nsfd) */
void sbk_set_tx_csum(int nsfd, const char *ifname, bool on);
int sbk_udp_bind(int nsfd, const char *ip, uint16_t port, int rcvbuf);
struct sockaddr_in sbk_sin(const char *ip, uint16_t port);
/* Receive with a timeout in ms: bytes, or -1 on timeout. */
int sbk_recv_from(int fd, void *buf, int len, struct sockaddr_in *from, int timeout_ms);
uint64_t sbk_now_ns(void);
uint64_t sbk_snmp_udp(int nsfd, const char *field); /* /proc/net/snmp Udp: field */
uint64_t sbk_if_stat(int nsfd, const char *ifname, const char *stat);

/* /dev/sb_relay */
int sbk_dev_open(void);           /* open + HELLO; fails the test on error */
struct sb_relay_addr sbk_addr(const char *ip, uint16_t port);
int sbk_ioc(int fd, unsigned long cmd, void *arg); /* 0 or -errno */
int sbk_leg_add(int fd, const char *lip, uint16_t lport, const char *pip, uint16_t pport,
		uint32_t flags);
int sbk_connect(int fd, const char *ip_a, uint16_t port_a, const char *ip_b, uint16_t port_b);
int sbk_get(int fd, const char *ip, uint16_t port, struct sb_relay_stats *st);
void sbk_info(int fd, struct sb_relay_info *in);

#endif
