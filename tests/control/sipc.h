/* SPDX-License-Identifier: MIT */
/*
 * sipc.h — a tiny SIP-over-UDP client for tests on 127.0.0.1, and helpers to
 * run sb-control as a child process.  Header-only: each test stays one program.
 */
#ifndef SB_TEST_SIPC_H
#define SB_TEST_SIPC_H

#include <sys/prctl.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

struct sipc {
	int fd;
	uint16_t port;     /* our port */
	uint16_t server;   /* sb-control's port */
};

static inline void sipc_open(struct sipc *c, uint16_t server)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);

	c->fd = socket(AF_INET, SOCK_DGRAM, 0);
	T_ASSERT(c->fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	T_ASSERT(bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	T_ASSERT(getsockname(c->fd, (struct sockaddr *)&sa, &sl) == 0);
	c->port = ntohs(sa.sin_port);
	c->server = server;
}

/* A port that was free a moment ago (the child binds it right after). */
static inline uint16_t sipc_free_port(void)
{
	struct sipc c;
	uint16_t p;

	sipc_open(&c, 0);
	p = c.port;
	close(c.fd);
	return p;
}

static inline void sipc_send_raw(struct sipc *c, const char *buf, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(c->server);
	T_ASSERT(sendto(c->fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) == (ssize_t)len);
}

/* printf-style message; a bare "\n" becomes CRLF (CRLF stays as it is). */
__attribute__((format(printf, 2, 3)))
static inline void sipc_send(struct sipc *c, const char *fmt, ...)
{
	char raw[8192], out[8192];
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
	out[o] = '\0';
	sipc_send_raw(c, out, o);
}

/* One datagram, NUL-terminated; -1 on timeout. */
static inline int sipc_recv(struct sipc *c, char *buf, size_t cap, int timeout_ms)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, timeout_ms) <= 0)
		return -1;
	n = recv(c->fd, buf, cap - 1, 0);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

static inline int sip_status(const char *m)
{
	return strncmp(m, "SIP/2.0 ", 8) == 0 ? atoi(m + 8) : 0;
}

static inline int sip_is_method(const char *m, const char *method)
{
	size_t n = strlen(method);
	return strncmp(m, method, n) == 0 && m[n] == ' ';
}

/* Value of the first header called name (long form), copied to out; 0/-1. */
static inline int sip_hdr(const char *m, const char *name, char *out, size_t cap)
{
	size_t n = strlen(name);
	const char *p = strstr(m, "\r\n");

	while (p && p[2] != '\r') {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1, *e = strstr(v, "\r\n");
			while (*v == ' ')
				v++;
			snprintf(out, cap, "%.*s", (int)(e - v), v);
			return 0;
		}
		p = strstr(p, "\r\n");
	}
	return -1;
}

static inline const char *sip_body(const char *m)
{
	const char *b = strstr(m, "\r\n\r\n");
	return b ? b + 4 : "";
}

/* Wait for a response with this status (skipping others, e.g. 100); -1. */
static inline int sipc_expect_status(struct sipc *c, char *buf, size_t cap, int status,
				     int timeout_ms)
{
	for (int i = 0; i < 20; i++) {
		if (sipc_recv(c, buf, cap, timeout_ms) < 0)
			return -1;
		if (sip_status(buf) == status)
			return 0;
		if (sip_status(buf) != 100 && sip_status(buf) != 0)
			fprintf(stderr, "(expected %d, got %d)\n", status, sip_status(buf));
	}
	return -1;
}

/* Wait for a request with this method (skipping retransmitted others). */
static inline int sipc_expect_method(struct sipc *c, char *buf, size_t cap, const char *method,
				     int timeout_ms)
{
	for (int i = 0; i < 20; i++) {
		if (sipc_recv(c, buf, cap, timeout_ms) < 0)
			return -1;
		if (sip_is_method(buf, method))
			return 0;
	}
	return -1;
}

/* Response to a request received by a test UA (the agent): Via, From, To
 * (+;tag=), Call-ID, CSeq copied; extra headers and an SDP body optional. */
static inline void sipc_respond(struct sipc *c, const char *req, int code, const char *reason,
				const char *to_tag, const char *extra, const char *sdp)
{
	char out[8192], v[1024];
	int o;
	const char *p;

	o = snprintf(out, sizeof(out), "SIP/2.0 %d %s\r\n", code, reason);
	/* every Via line, in order */
	for (p = strstr(req, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
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
	sipc_send_raw(c, out, (size_t)o);
}

/* ---- sb-control as a child ---- */

/* A fresh work directory PREFIX.XXXXXX with the paths every control test
 * uses in it: sb.yaml, sb.db and sb-control.log (dir holds 64, the others
 * 128). */
static inline void cp_workdir(const char *prefix, char dir[static 64], char cfg[static 128],
			      char db[static 128], char logp[static 128])
{
	T_ASSERT(snprintf(dir, 64, "%s.XXXXXX", prefix) < 64);
	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(cfg, 128, "%s/sb.yaml", dir);
	snprintf(db, 128, "%s/sb.db", dir);
	snprintf(logp, 128, "%s/sb-control.log", dir);
}

static inline pid_t control_start(const char *exe, const char *cfg, const char *log)
{
	pid_t pid = fork();

	T_ASSERT(pid >= 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		/* die with the test: a killed or timed-out test must not leave a
		 * child polling a core */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		execl(exe, exe, "--config", cfg, "--debug", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* SIGTERM and wait (5 s); returns the exit status, or -1. */
static inline int control_stop(pid_t pid)
{
	int st;

	kill(pid, SIGTERM);
	for (int i = 0; i < 500; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static inline void dump_file(const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f))
		fputs(line, stderr);
	fclose(f);
}

/* What a failed control test prints first: the check WHAT that failed at
 * LINE, then sb-control's log (LOGP); the child PID (if > 0) is stopped.
 * The test then removes what else it made and exits 1. */
static inline void control_fail_report(const char *what, int line, const char *logp, pid_t pid)
{
	fprintf(stderr, "FAILED line %d: %s\n--- sb-control log ---\n", line, what);
	dump_file(logp);
	if (pid > 0)
		control_stop(pid);
}

/* Write sb-control's config file CFG (printf FMT); the test fails here if
 * the file cannot be created. */
static inline void cp_write_cfg(const char *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void cp_write_cfg(const char *cfg, const char *fmt, ...)
{
	FILE *f = fopen(cfg, "w");
	va_list ap;

	T_ASSERT(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

/* Wait until sb-control answers OPTIONS on this client's server port. */
static inline void control_wait_up(struct sipc *c)
{
	char buf[4096];

	/* A slow start (ASan) may queue several probes before the loop runs:
	 * it then answers each of them, in order.  Return only on the answer
	 * to the last probe sent, so that no stale 200 waits in the socket
	 * to be taken for the answer to the caller's next request. */
	for (int i = 0; i < 100; i++) {
		char want[32], cid[64];

		sipc_send(c, "OPTIONS sip:ping@127.0.0.1 SIP/2.0\n"
			     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKping%d;rport\n"
			     "From: <sip:t@127.0.0.1>;tag=p\nTo: <sip:ping@127.0.0.1>\n"
			     "Call-ID: ping%d\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n",
			  c->port, i, i);
		snprintf(want, sizeof(want), "ping%d", i);
		while (sipc_recv(c, buf, sizeof(buf), 100) > 0)
			if (sip_status(buf) == 200 && sip_hdr(buf, "Call-ID", cid, sizeof(cid)) == 0 &&
			    strcmp(cid, want) == 0)
				return;
	}
	T_ASSERT(!"sb-control did not come up");
}

#endif
