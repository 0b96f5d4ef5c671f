/* SPDX-License-Identifier: MIT */
/*
 * guest_call — a whole SIP call through sb-control on the kernel media
 * backend, inside the qemu guest (tests/kmod/run.sh runs it between
 * guest_backend and guest_test in the same boot).  sb-control is the real
 * program (linked statically, /sb-control-static in the initramfs) with
 * `media: backend: kernel`, a hotline and an agent; this program plays the
 * caller (host A) and the agent (host B) over real UDP through the gateway
 * (the initial namespace, where sb-control and sb_relay.ko run):
 *
 *   1  sb-control starts on the module (start-up reconciliation logged) and
 *      answers OPTIONS on 192.0.2.1:5060; the module holds no entry.
 *   2  The agent REGISTERs with a SHA-256 digest (401, then 200).
 *   3  The caller INVITEs the hotline; the agent gets the INVITE with SDP on
 *      the media address, rings, answers with its SDP; ACKs both ways.  The
 *      module now holds the call: 2 RTP entries (+ 2 RTCP), each connected
 *      to the other, peers from the SDP.
 *   4  RTP both ways between the caller's and the agent's sockets through
 *      the gateway's address, and RTCP on port + 1: every packet arrives, in
 *      order, from the gateway's leg port; the module's counters for the two entries equal
 *      what was sent (packets, bytes, 0 rejected, 0 lost) and its RELAYED
 *      count grew by exactly that much; the gateway's UDP sockets (all of
 *      them: sb-control's SIP and media sockets) received nothing meanwhile.
 *   5  The caller hangs up: BYE relayed to the agent; the module's entries
 *      are gone (count back to 0).
 *   6  sb-control stops cleanly; its log says no packet was passed up to its
 *      media sockets; the CDR in its SQLite store holds the call with the
 *      kernel's counters.
 * Then everything it made is gone (namespaces, module unloaded: which also
 * proves sb-control closed the device) so that guest_test starts fresh.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_lib.h"
/* sip_status, sip_hdr, sip_body, sip_is_method; sip_challenge, sipc_authz
 * (digest written against OpenSSL, not sb-control's code) */
#include "sipc_auth.h"
#include "cpdb.h"

#define SBC "/sb-control-static"
#define WORK "/tmp/kcall"
#define CFG WORK "/sb.yaml"
#define DB WORK "/sb.db"
#define LOGF WORK "/sb-control.log"
#define SIP_PORT 5060
#define UA_PORT 5062  /* caller's and agent's SIP port, each on its host */
#define RTP_A 4000    /* caller's RTP port (its SDP) */
#define RTP_B 5000    /* agent's */
#define PMIN 40000
#define PMAX 40099
#define N_AB 150      /* RTP packets caller -> agent */
#define N_BA 120      /* agent -> caller */
#define N_RTCP 4      /* each way, on port + 1 */
#define PAYLOAD 172   /* 12 bytes of RTP header + 160 of G.711 (20 ms) */

static struct host A, B;
static pid_t ctl;

static void dump_log(void)
{
	char line[1024];
	FILE *f = fopen(LOGF, "r");

	if (f == NULL)
		return;
	printf("--- sb-control log ---\n");
	while (fgets(line, sizeof(line), f))
		fputs(line, stdout);
	printf("--- end of log ---\n");
	fclose(f);
}

/* CHECK, with sb-control's log on the console when it fails */
#define CK(c, ...) do { if (!(c)) { dump_log(); FAIL(__VA_ARGS__); } } while (0)

static bool log_has(const char *s)
{
	char buf[65536];
	FILE *f = fopen(LOGF, "r");
	size_t n;

	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strstr(buf, s) != NULL;
}

/* ---- a SIP UA on one host: sends to sb-control at GW_A:5060 ---- */

struct ua {
	int fd;
	const char *ip;
	struct sockaddr_in srv;
};

static void ua_open(struct ua *u, const struct host *h)
{
	u->fd = sbk_udp_bind(h->nsfd, h->ip, UA_PORT, 0);
	u->ip = h->ip;
	u->srv = sbk_sin(GW_A, SIP_PORT);
}

static void ua_send_raw(struct ua *u, const char *m, size_t len)
{
	CK(sendto(u->fd, m, len, 0, (struct sockaddr *)&u->srv, sizeof(u->srv)) == (ssize_t)len,
	   "sip sendto: %s", strerror(errno));
}

/* printf-style; "\n" becomes CRLF, as sipc_send */
__attribute__((format(printf, 2, 3)))
static void ua_send(struct ua *u, const char *fmt, ...)
{
	char raw[4096], out[8192];
	size_t o = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	for (const char *p = raw; *p && o + 2 < sizeof(out); p++) {
		if (*p == '\n' && (p == raw || p[-1] != '\r'))
			out[o++] = '\r';
		out[o++] = *p;
	}
	ua_send_raw(u, out, o);
}

/* One message (NUL-terminated) from sb-control; -1 on timeout. */
static int ua_recv(struct ua *u, char *buf, size_t cap, int ms)
{
	struct sockaddr_in from;
	int n = sbk_recv_from(u->fd, buf, (int)cap - 1, &from, ms);

	if (n < 0)
		return -1;
	buf[n] = '\0';
	CK(from.sin_addr.s_addr == u->srv.sin_addr.s_addr && from.sin_port == u->srv.sin_port,
	   "SIP from %s:%u, not sb-control", inet_ntoa(from.sin_addr), ntohs(from.sin_port));
	return n;
}

/* The next final response (1xx skipped): its status, or -1. */
static int ua_final(struct ua *u, char *buf, size_t cap, int ms)
{
	for (int i = 0; i < 10; i++) {
		if (ua_recv(u, buf, cap, ms) < 0)
			return -1;
		if (sip_status(buf) >= 200)
			return sip_status(buf);
	}
	return -1;
}

static int ua_expect_method(struct ua *u, char *buf, size_t cap, const char *method, int ms)
{
	for (int i = 0; i < 10; i++) {
		if (ua_recv(u, buf, cap, ms) < 0)
			return -1;
		if (sip_is_method(buf, method))
			return 0;
	}
	return -1;
}

/* A response to req: Via lines, From, To (+ tag), Call-ID, CSeq copied. */
static void ua_respond(struct ua *u, const char *req, int code, const char *reason,
		       const char *to_tag, const char *extra, const char *sdp)
{
	char out[8192], v[1024];
	int o = snprintf(out, sizeof(out), "SIP/2.0 %d %s\r\n", code, reason);

	for (const char *p = strstr(req, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
		const char *e = strstr(p + 2, "\r\n");

		if (strncasecmp(p + 2, "Via:", 4) == 0)
			o += snprintf(out + o, sizeof(out) - (size_t)o, "%.*s\r\n",
				      (int)(e - p - 2), p + 2);
	}
	sip_hdr(req, "From", v, sizeof(v));
	o += snprintf(out + o, sizeof(out) - (size_t)o, "From: %s\r\n", v);
	sip_hdr(req, "To", v, sizeof(v));
	o += snprintf(out + o, sizeof(out) - (size_t)o, "To: %s%s%s\r\n", v,
		      to_tag && !strstr(v, "tag=") ? ";tag=" : "",
		      to_tag && !strstr(v, "tag=") ? to_tag : "");
	sip_hdr(req, "Call-ID", v, sizeof(v));
	o += snprintf(out + o, sizeof(out) - (size_t)o, "Call-ID: %s\r\n", v);
	sip_hdr(req, "CSeq", v, sizeof(v));
	o += snprintf(out + o, sizeof(out) - (size_t)o, "CSeq: %s\r\n%s", v, extra ? extra : "");
	if (sdp)
		o += snprintf(out + o, sizeof(out) - (size_t)o,
			      "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
			      strlen(sdp), sdp);
	else
		o += snprintf(out + o, sizeof(out) - (size_t)o, "Content-Length: 0\r\n\r\n");
	ua_send_raw(u, out, (size_t)o);
}

/* ---- sb-control ---- */

static void ctl_config(void)
{
	FILE *f;

	mkdir(WORK, 0755);
	f = fopen(CFG, "w");
	CK(f != NULL, "write %s", CFG);
	fprintf(f, "instance: kcall\n"
		   "sip:\n  listen: [%s:%u]\n  ring_timeout: 10\n"
		   "store:\n  sqlite: %s\n"
		   "agents:\n  - user: agent1\n    password: secret\n"
		   "hotlines:\n  - number: \"800100\"\n    agents: [agent1]\n"
		   "media:\n  backend: kernel\n  address: %s\n  port_min: %u\n  port_max: %u\n"
		   "  poll_ms: 100\n  timeout: 60\n",
		GW_A, SIP_PORT, DB, GW_A, PMIN, PMAX);
	fclose(f);
}

static void ctl_start(void)
{
	ctl = fork();
	CK(ctl >= 0, "fork");
	if (ctl == 0) {
		int fd = open(LOGF, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execl(SBC, SBC, "--config", CFG, "--debug", (char *)NULL);
		_exit(127);
	}
}

/* SIGTERM and wait (10 s): the exit status, or -1. */
static int ctl_stop(void)
{
	int st;

	kill(ctl, SIGTERM);
	for (int i = 0; i < 1000; i++) {
		if (waitpid(ctl, &st, WNOHANG) == ctl)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		usleep(10000);
	}
	kill(ctl, SIGKILL);
	waitpid(ctl, &st, 0);
	return -1;
}

/* ---- RTP ---- */

static void rtp_send(int fd, uint16_t port, int i, uint32_t ssrc)
{
	uint8_t p[PAYLOAD];
	struct sockaddr_in to = sbk_sin(GW_A, port);
	uint16_t seq = (uint16_t)(1000 + i);
	uint32_t ts = 160u * (uint32_t)i;

	memset(p, 0xd5, sizeof(p)); /* A-law silence */
	p[0] = 0x80;
	p[1] = 8; /* PCMA, the agent's answer */
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[4] = (uint8_t)(ts >> 24);
	p[5] = (uint8_t)(ts >> 16);
	p[6] = (uint8_t)(ts >> 8);
	p[7] = (uint8_t)ts;
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
	CK(sendto(fd, p, sizeof(p), 0, (struct sockaddr *)&to, sizeof(to)) == PAYLOAD,
	   "rtp sendto: %s", strerror(errno));
}

/* n packets on fd: each from the gateway's leg port, in order, the sender's SSRC. */
static void rtp_recv(int fd, int n, uint16_t gw_port, uint32_t ssrc, const char *what)
{
	for (int i = 0; i < n; i++) {
		uint8_t p[2048];
		struct sockaddr_in from;
		int got = sbk_recv_from(fd, p, sizeof(p), &from, 5000);

		CK(got == PAYLOAD, "%s: packet %d of %d: %d bytes", what, i + 1, n, got);
		CK(from.sin_addr.s_addr == inet_addr(GW_A) && ntohs(from.sin_port) == gw_port,
		   "%s: from %s:%u, not the gateway's leg %s:%u", what, inet_ntoa(from.sin_addr),
		   ntohs(from.sin_port), GW_A, gw_port);
		CK(((p[2] << 8) | p[3]) == 1000 + i, "%s: packet %d has seq %d", what, i,
		   (p[2] << 8) | p[3]);
		CK(((uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11]) == ssrc,
		   "%s: SSRC", what);
	}
}

static int drain(int fd, int ms)
{
	uint8_t p[2048];
	struct sockaddr_in from;
	int n = 0;

	while (sbk_recv_from(fd, p, sizeof(p), &from, ms) >= 0)
		n++;
	return n;
}

static uint32_t entries(int dfd)
{
	struct sb_relay_info in;

	sbk_info(dfd, &in);
	return in.entries;
}

int main(void)
{
	char buf[8192], inv[8192], v[1024], to[1024], realm[64], nonce[64], authz[1024], sdp[512];
	unsigned agent_leg, caller_leg;
	struct sb_relay_stats sa_st, sb_st;
	struct sb_relay_info i0, i1;
	uint64_t udp_in0, udp_noport0;
	struct ua caller, agent;
	uint64_t t_start = sbk_now_ns();
	int dfd, ra, rb, rca, rcb;

	sbk_guest_init();
	if (access("/sys/module/sb_relay", F_OK) != 0)
		CHECK(sbk_sh("insmod /sb_relay.ko") == 0, "insmod sb_relay.ko");
	CHECK(access(SBC, X_OK) == 0, "no %s in the initramfs", SBC);
	sbk_host_create(&A, "a", H_A, GW_A);
	sbk_host_create(&B, "b", H_B, GW_B);
	dfd = sbk_dev_open(); /* to look at the module behind sb-control's back */
	CHECK(entries(dfd) == 0, "entries before the test");

	/* ---- 1: sb-control on the kernel backend ---- */
	ctl_config();
	ctl_start();
	ua_open(&caller, &A);
	ua_open(&agent, &B);
	for (int i = 0; i < 200 && !log_has("media: kernel: start-up:"); i++)
		usleep(50000);
	CK(log_has("media backend kernel"), "sb-control did not start on the kernel backend");
	CK(log_has("media: kernel: start-up:"), "no start-up reconciliation in 10 s");
	{
		int up = 0;

		for (int i = 0; i < 50 && !up; i++) {
			ua_send(&caller, "OPTIONS sip:ping@%s SIP/2.0\n"
					 "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bKping%d;rport\n"
					 "From: <sip:t@%s>;tag=p\nTo: <sip:ping@%s>\n"
					 "Call-ID: ping%d\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n",
				GW_A, H_A, UA_PORT, i, H_A, GW_A, i);
			up = ua_recv(&caller, buf, sizeof(buf), 200) > 0 && sip_status(buf) == 200;
		}
		CK(up, "sb-control does not answer OPTIONS on %s:%u", GW_A, SIP_PORT);
	}
	printf("ok 1 sb-control started on the kernel backend (%s), answers on %s:%u\n", SBC,
	       GW_A, SIP_PORT);

	/* ---- 2: the agent registers (digest) ---- */
	for (int round = 0; round < 2; round++) {
		ua_send(&agent, "REGISTER sip:%s SIP/2.0\n"
				"Via: SIP/2.0/UDP %s:%u;branch=z9hG4bKreg%d;rport\n"
				"From: <sip:agent1@%s>;tag=rt1\nTo: <sip:agent1@%s>\n"
				"Call-ID: kcall-reg\nCSeq: %d REGISTER\n"
				"Contact: <sip:agent1@%s:%u>;expires=300\n%sContent-Length: 0\n\n",
			GW_A, H_B, UA_PORT, round, GW_A, GW_A, round + 1, H_B, UA_PORT,
			round ? authz : "");
		int st = ua_final(&agent, buf, sizeof(buf), 3000);

		if (round == 0) {
			CK(st == 401, "REGISTER without credentials: %d", st);
			CK(sip_challenge(buf, "SHA-256", realm, nonce, NULL) == 0, "no SHA-256 challenge");
			sipc_authz(authz, sizeof(authz), "SHA-256", "agent1", "secret", realm, nonce,
				   "REGISTER", "sip:" GW_A, 1, "6b8b4567");
		} else {
			CK(st == 200, "REGISTER with a SHA-256 digest: %d", st);
		}
	}
	printf("ok 2 agent1 registered from %s:%u with a SHA-256 digest\n", H_B, UA_PORT);

	/* ---- 3: the call ---- */
	snprintf(sdp, sizeof(sdp),
		 "v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
		 "a=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\n", H_A, H_A, RTP_A);
	ua_send(&caller, "INVITE sip:800100@%s:%u SIP/2.0\n"
			 "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bKkcall1;rport\n"
			 "Max-Forwards: 70\n"
			 "From: \"Alice\" <sip:alice@%s>;tag=ct-kcall1\nTo: <sip:800100@%s>\n"
			 "Call-ID: kcall-1\nCSeq: 10 INVITE\nContact: <sip:alice@%s:%u>\n"
			 "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
		GW_A, SIP_PORT, H_A, UA_PORT, H_A, GW_A, H_A, UA_PORT, strlen(sdp), sdp);
	CK(ua_expect_method(&agent, inv, sizeof(inv), "INVITE", 5000) == 0,
	   "the agent got no INVITE");
	snprintf(v, sizeof(v), "INVITE sip:agent1@%s:%u SIP/2.0\r\n", H_B, UA_PORT);
	CK(strncmp(inv, v, strlen(v)) == 0, "INVITE not to the agent's contact");
	CK(strstr(sip_body(inv), "c=IN IP4 " GW_A "\r\n") != NULL, "agent's SDP not on %s", GW_A);
	CK(strstr(sip_body(inv), "m=audio ") &&
	   sscanf(strstr(sip_body(inv), "m=audio "), "m=audio %u", &agent_leg) == 1 &&
	   agent_leg >= PMIN && agent_leg < PMAX && agent_leg % 2 == 0,
	   "agent leg port outside %u..%u", PMIN, PMAX);
	CK(sbk_get(dfd, GW_A, (uint16_t)agent_leg, &sb_st) == 0 &&
	   !(sb_st.state & SB_RELAY_S_CONNECTED), "agent leg %u not in the module", agent_leg);
	ua_respond(&agent, inv, 180, "Ringing", "ag-kcall1", NULL, NULL);
	snprintf(sdp, sizeof(sdp),
		 "v=0\r\no=- 2 2 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n"
		 "a=rtpmap:101 telephone-event/8000\r\n", H_B, H_B, RTP_B);
	snprintf(v, sizeof(v), "Contact: <sip:agent1@%s:%u>\r\n", H_B, UA_PORT);
	ua_respond(&agent, inv, 200, "OK", "ag-kcall1", v, sdp);
	CK(ua_expect_method(&agent, buf, sizeof(buf), "ACK", 3000) == 0, "no ACK to the agent");
	CK(ua_final(&caller, buf, sizeof(buf), 3000) == 200, "the caller got no 200");
	CK(sip_hdr(buf, "CSeq", v, sizeof(v)) == 0 && strcmp(v, "10 INVITE") == 0, "200 CSeq");
	CK(strstr(sip_body(buf), "c=IN IP4 " GW_A "\r\n") != NULL, "caller's SDP not on %s", GW_A);
	CK(strstr(sip_body(buf), "m=audio ") &&
	   sscanf(strstr(sip_body(buf), "m=audio "), "m=audio %u", &caller_leg) == 1 &&
	   caller_leg >= PMIN && caller_leg < PMAX && caller_leg != agent_leg,
	   "caller leg port");
	CK(strstr(sip_body(buf), " RTP/AVP 8 101\r\n") != NULL, "not the agent's codec");
	sip_hdr(buf, "To", to, sizeof(to));
	ua_send(&caller, "ACK sip:800100@%s:%u SIP/2.0\n"
			 "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bKkcall1ack;rport\n"
			 "Max-Forwards: 70\nFrom: \"Alice\" <sip:alice@%s>;tag=ct-kcall1\nTo: %s\n"
			 "Call-ID: kcall-1\nCSeq: 10 ACK\nContent-Length: 0\n\n",
		GW_A, SIP_PORT, H_A, UA_PORT, H_A, to);
	/* the module holds the call: RTP entries connected to each other with
	 * the peers of the SDP, and the RTCP pair on port + 1 */
	CK(sbk_get(dfd, GW_A, (uint16_t)caller_leg, &sa_st) == 0 &&
	   sbk_get(dfd, GW_A, (uint16_t)agent_leg, &sb_st) == 0, "legs not in the module");
	CK(sa_st.peer.ip == inet_addr(H_A) && sa_st.peer.port == htons(RTP_A) &&
	   sb_st.peer.ip == inet_addr(H_B) && sb_st.peer.port == htons(RTP_B), "peers");
	CK((sa_st.state & SB_RELAY_S_CONNECTED) && (sb_st.state & SB_RELAY_S_CONNECTED) &&
	   sa_st.fwd.port == htons((uint16_t)agent_leg) &&
	   sb_st.fwd.port == htons((uint16_t)caller_leg), "legs not connected to each other");
	CK(sa_st.call_id == sb_st.call_id, "one call, two call numbers");
	CK(entries(dfd) == 4, "module entries during the call: %u (2 RTP + 2 RTCP)", entries(dfd));
	printf("ok 3 call answered: legs %s:%u (caller) <-> %s:%u (agent) connected in the "
	       "module, 4 entries\n", GW_A, caller_leg, GW_A, agent_leg);

	/* ---- 4: RTP both ways, relayed by the kernel ---- */
	ra = sbk_udp_bind(A.nsfd, H_A, RTP_A, 4 << 20);
	rb = sbk_udp_bind(B.nsfd, H_B, RTP_B, 4 << 20);
	usleep(300000); /* let SIP settle: nothing else may reach the gateway below */
	sbk_info(dfd, &i0);
	udp_in0 = sbk_snmp_udp(g_root_ns, "InDatagrams");
	udp_noport0 = sbk_snmp_udp(g_root_ns, "NoPorts");
	for (int i = 0; i < N_AB || i < N_BA; i++) {
		if (i < N_AB)
			rtp_send(ra, (uint16_t)caller_leg, i, 0xa11ce);
		if (i < N_BA)
			rtp_send(rb, (uint16_t)agent_leg, i, 0xb0b);
	}
	rtp_recv(rb, N_AB, (uint16_t)agent_leg, 0xa11ce, "caller -> agent");
	rtp_recv(ra, N_BA, (uint16_t)caller_leg, 0xb0b, "agent -> caller");
	CK(drain(ra, 100) == 0 && drain(rb, 100) == 0, "more packets than were sent");
	/* RTCP: leg port + 1 <-> the SDP port + 1, both ways */
	rca = sbk_udp_bind(A.nsfd, H_A, RTP_A + 1, 0);
	rcb = sbk_udp_bind(B.nsfd, H_B, RTP_B + 1, 0);
	for (int i = 0; i < N_RTCP; i++) {
		rtp_send(rca, (uint16_t)(caller_leg + 1), i, 0xa11ce);
		rtp_send(rcb, (uint16_t)(agent_leg + 1), i, 0xb0b);
	}
	rtp_recv(rcb, N_RTCP, (uint16_t)(agent_leg + 1), 0xa11ce, "RTCP caller -> agent");
	rtp_recv(rca, N_RTCP, (uint16_t)(caller_leg + 1), 0xb0b, "RTCP agent -> caller");
	sbk_info(dfd, &i1);
	{
		uint64_t din = sbk_snmp_udp(g_root_ns, "InDatagrams") - udp_in0;
		uint64_t dno = sbk_snmp_udp(g_root_ns, "NoPorts") - udp_noport0;

		CK(din == 0 && dno == 0, "the gateway's user space saw media: %llu datagrams to "
		   "its sockets, %llu to no port", (unsigned long long)din, (unsigned long long)dno);
	}
	CK(i1.reason[SB_RELAY_R_RELAYED] - i0.reason[SB_RELAY_R_RELAYED] == N_AB + N_BA + 2 * N_RTCP,
	   "module relayed %llu, sent %d",
	   (unsigned long long)(i1.reason[SB_RELAY_R_RELAYED] - i0.reason[SB_RELAY_R_RELAYED]),
	   N_AB + N_BA + 2 * N_RTCP);
	CK(sbk_get(dfd, GW_A, (uint16_t)caller_leg, &sa_st) == 0 &&
	   sbk_get(dfd, GW_A, (uint16_t)agent_leg, &sb_st) == 0, "legs gone");
	printf("   caller leg: rx %llu/%llu tx %llu/%llu rej %llu lost %llu; agent leg: rx "
	       "%llu/%llu tx %llu/%llu rej %llu lost %llu\n",
	       (unsigned long long)sa_st.rx_pkts, (unsigned long long)sa_st.rx_bytes,
	       (unsigned long long)sa_st.tx_pkts, (unsigned long long)sa_st.tx_bytes,
	       (unsigned long long)sa_st.rejected, (unsigned long long)sa_st.rtp_lost,
	       (unsigned long long)sb_st.rx_pkts, (unsigned long long)sb_st.rx_bytes,
	       (unsigned long long)sb_st.tx_pkts, (unsigned long long)sb_st.tx_bytes,
	       (unsigned long long)sb_st.rejected, (unsigned long long)sb_st.rtp_lost);
	CK(sa_st.rx_pkts == N_AB && sa_st.rx_bytes == (uint64_t)N_AB * PAYLOAD &&
	   sa_st.tx_pkts == N_BA && sa_st.tx_bytes == (uint64_t)N_BA * PAYLOAD,
	   "caller leg counters");
	CK(sb_st.rx_pkts == N_BA && sb_st.rx_bytes == (uint64_t)N_BA * PAYLOAD &&
	   sb_st.tx_pkts == N_AB && sb_st.tx_bytes == (uint64_t)N_AB * PAYLOAD,
	   "agent leg counters");
	CK(sa_st.rejected == 0 && sb_st.rejected == 0 && sa_st.passed == 0 && sb_st.passed == 0 &&
	   sa_st.rtp_lost == 0 && sb_st.rtp_lost == 0, "rejected, passed or lost packets");
	CK((sa_st.state & SB_RELAY_S_LATCHED) && (sb_st.state & SB_RELAY_S_LATCHED),
	   "peers not latched");
	printf("ok 4 RTP relayed in the kernel: %d + %d packets (+ %d RTCP each way) arrived in "
	       "order from the gateway's leg ports; module counters match; the gateway's sockets "
	       "saw none\n", N_AB, N_BA, N_RTCP);

	/* ---- 5: the caller hangs up ---- */
	ua_send(&caller, "BYE sip:800100@%s:%u SIP/2.0\n"
			 "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bKkcall1bye;rport\n"
			 "Max-Forwards: 70\nFrom: \"Alice\" <sip:alice@%s>;tag=ct-kcall1\nTo: %s\n"
			 "Call-ID: kcall-1\nCSeq: 11 BYE\nContent-Length: 0\n\n",
		GW_A, SIP_PORT, H_A, UA_PORT, H_A, to);
	CK(ua_final(&caller, buf, sizeof(buf), 3000) == 200, "BYE not answered 200");
	CK(ua_expect_method(&agent, buf, sizeof(buf), "BYE", 3000) == 0, "no BYE to the agent");
	ua_respond(&agent, buf, 200, "OK", NULL, NULL, NULL);
	for (int i = 0; i < 100 && entries(dfd) != 0; i++)
		usleep(20000);
	CK(entries(dfd) == 0, "module entries after BYE: %u", entries(dfd));
	CK(sbk_get(dfd, GW_A, (uint16_t)caller_leg, &sa_st) == -ENOENT &&
	   sbk_get(dfd, GW_A, (uint16_t)agent_leg, &sb_st) == -ENOENT, "legs left in the module");
	printf("ok 5 BYE: relayed to the agent, the module's entries deleted (0 left)\n");

	/* ---- 6: shutdown, log and CDR ---- */
	usleep(300000); /* the agent's 200 to the BYE */
	CK(ctl_stop() == 0, "sb-control did not exit 0 on SIGTERM");
	CK(log_has("media: kernel: 0 packets passed up to our sockets"),
	   "sb-control's media sockets got packets (or no shutdown line)");
	{
		char q[1024];
		long long n;

		snprintf(q, sizeof(q),
			 "SELECT count(*) FROM cdr WHERE call_id='kcall-1' AND status=200 AND "
			 "hangup_by='caller' AND agent='agent1' AND hotline='800100' AND "
			 "caller='alice' AND answer_ms >= start_ms AND end_ms >= answer_ms AND "
			 "caller_rx_pkts=%d AND caller_tx_pkts=%d AND agent_rx_pkts=%d AND "
			 "agent_tx_pkts=%d AND caller_rx_bytes=%d AND agent_rx_bytes=%d",
			 N_AB, N_BA, N_BA, N_AB, N_AB * PAYLOAD, N_BA * PAYLOAD);
		n = cp_db_int(DB, q);
		if (n != 1) {
			printf("   cdr rows: %lld, caller_rx_pkts %lld, agent_rx_pkts %lld\n",
			       (long long)cp_db_int(DB, "SELECT count(*) FROM cdr"),
			       (long long)cp_db_int(DB, "SELECT caller_rx_pkts FROM cdr"),
			       (long long)cp_db_int(DB, "SELECT agent_rx_pkts FROM cdr"));
		}
		CK(n == 1, "no CDR of the call with the kernel's counters");
	}
	printf("ok 6 sb-control exited 0, passed-up packets 0, CDR with the kernel's counters "
	       "(caller rx %d tx %d, agent rx %d tx %d)\n", N_AB, N_BA, N_BA, N_AB);

	/* leave a fresh guest for guest_test */
	close(ra);
	close(rb);
	close(rca);
	close(rcb);
	close(caller.fd);
	close(agent.fd);
	close(dfd);
	close(A.nsfd);
	close(B.nsfd);
	{
		int gone = 0;

		for (int i = 0; i < 100 && !gone; i++) {
			gone = sbk_sh("ip link show ga >/dev/null 2>&1 || ip link show gb >/dev/null "
				      "2>&1") != 0;
			if (!gone)
				usleep(100000);
		}
		CHECK(gone, "veths still there after 10 s");
	}
	CHECK(sbk_sh("rmmod sb_relay") == 0, "rmmod: the device is still held open?");
	printf("all call checks passed (%.1f s)\n", (double)(sbk_now_ns() - t_start) / 1e9);
	sbk_finish(0);
}
