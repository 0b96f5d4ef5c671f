/* SPDX-License-Identifier: MIT */
/* register_retransmit_t — regression: a retransmitted REGISTER got a
 * different To tag (each copy was answered anew).  sb-control on 127.0.0.1
 * (no dataplane): a REGISTER sent twice with the same branch gets the very
 * same response bytes back (To tag, nonce and all), and the registrar sees
 * it once; the same request with a new branch is a new transaction with a
 * new To tag.  Also over TCP: a REGISTER and an OPTIONS in one write, both
 * answered on that connection.
 *
 *   register_retransmit_t /path/to/sb-control */
#include "sipc.h"

static char dir[64], logp[128];
static pid_t pid;

static void fail_dump(const char *what, int line)
{
	fprintf(stderr, "FAILED line %d: %s\n--- sb-control log ---\n", line, what);
	dump_file(logp);
	if (pid > 0)
		control_stop(pid);
	exit(1);
}

#define CHECK(c) do { if (!(c)) fail_dump(#c, __LINE__); } while (0)

static int count_lines(const char *path, const char *s)
{
	char line[1024];
	int n = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, s))
			n++;
	fclose(f);
	return n;
}

static void reg(struct sipc *c, const char *branch)
{
	sipc_send(c, "REGISTER sip:127.0.0.1 SIP/2.0\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=%s;rport\n"
		     "From: <sip:agent1@127.0.0.1>;tag=rr\nTo: <sip:agent1@127.0.0.1>\n"
		     "Call-ID: regrtx\nCSeq: 1 REGISTER\n"
		     "Contact: <sip:agent1@127.0.0.1:%u>\nExpires: 600\nContent-Length: 0\n\n",
		  c->port, branch, c->port);
}

int main(int argc, char **argv)
{
	char cfg[128], r1[8192], r2[8192], r3[8192], t1[256], t3[256];
	struct sipc ua;
	uint16_t port;
	FILE *f;

	if (argc < 2)
		return T_SKIP;
	snprintf(dir, sizeof(dir), "/tmp/sb_regrtx_t.XXXXXX");
	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(cfg, sizeof(cfg), "%s/sb.yaml", dir);
	snprintf(logp, sizeof(logp), "%s/sb-control.log", dir);
	port = sipc_free_port();
	f = fopen(cfg, "w");
	T_ASSERT(f);
	fprintf(f, "instance: nodp%d\nsip:\n  listen: [127.0.0.1:%u]\n"
		   "agents:\n  - user: agent1\n    password: secret\n"
		   "hotlines:\n  - number: \"800100\"\n    agents: [agent1]\n",
		(int)getpid(), port);
	fclose(f);

	pid = control_start(argv[1], cfg, logp);
	sipc_open(&ua, port);
	control_wait_up(&ua);

	reg(&ua, "z9hG4bKrtx1");
	CHECK(sipc_recv(&ua, r1, sizeof(r1), 2000) > 0);
	CHECK(sip_status(r1) >= 200);
	CHECK(sip_hdr(r1, "To", t1, sizeof(t1)) == 0 && strstr(t1, ";tag="));
	usleep(500000); /* timer E would fire here */
	reg(&ua, "z9hG4bKrtx1");
	CHECK(sipc_recv(&ua, r2, sizeof(r2), 2000) > 0);
	CHECK(strcmp(r1, r2) == 0); /* byte for byte */
	reg(&ua, "z9hG4bKrtx2");    /* a new transaction */
	CHECK(sipc_recv(&ua, r3, sizeof(r3), 2000) > 0);
	CHECK(sip_status(r3) == sip_status(r1));
	CHECK(sip_hdr(r3, "To", t3, sizeof(t3)) == 0 && strcmp(t1, t3) != 0);
	CHECK(sipc_recv(&ua, r3, sizeof(r3), 300) < 0); /* nothing more */

	/* TCP: two requests in one write, both answered on the connection */
	{
		struct sockaddr_in sa = { .sin_family = AF_INET };
		char msg[2048], buf[8192];
		int fd = socket(AF_INET, SOCK_STREAM, 0), n, got = 0;

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = htons(port);
		CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
		n = snprintf(msg, sizeof(msg),
			     "OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\n"
			     "Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKtcp1\r\n"
			     "From: <sip:t@127.0.0.1>;tag=t1\r\nTo: <sip:ping@127.0.0.1>\r\n"
			     "Call-ID: tcp-o1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
			     "OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\n"
			     "Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKtcp2\r\n"
			     "From: <sip:t@127.0.0.1>;tag=t2\r\nTo: <sip:ping@127.0.0.1>\r\n"
			     "Call-ID: tcp-o2\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
		CHECK(write(fd, msg, (size_t)n) == n);
		for (int i = 0; i < 20 && got < (int)sizeof(buf) - 1; i++) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			ssize_t k;

			if (poll(&p, 1, 200) != 1)
				break;
			k = recv(fd, buf + got, sizeof(buf) - 1 - (size_t)got, 0);
			if (k <= 0)
				break;
			got += (int)k;
			buf[got] = '\0';
			if (strstr(buf, "Call-ID: tcp-o2"))
				break;
		}
		CHECK(got > 0 && strncmp(buf, "SIP/2.0 200 ", 12) == 0);
		CHECK(strstr(buf, "Call-ID: tcp-o1\r\n") && strstr(buf, "Call-ID: tcp-o2\r\n"));
		CHECK(strstr(buf, "Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKtcp1;received=127.0.0.1"));
		close(fd);
	}

	CHECK(control_stop(pid) == 0);
	pid = 0;
	/* the retransmission never reached the registrar: the transaction
	 * layer answered it */
	CHECK(count_lines(logp, "client; 1 retransmitted requests absorbed") == 1);
	snprintf(r1, sizeof(r1), "rm -rf %s", dir);
	T_ASSERT(system(r1) == 0);
	return 0;
}
