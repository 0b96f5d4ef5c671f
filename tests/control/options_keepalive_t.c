/* SPDX-License-Identifier: MIT */
/* options_keepalive_t — OPTIONS keep-alive to registered contacts, over
 * real UDP with sb-control as a child (options_interval 1 s, 2 failures,
 * T1 20 ms so that timer F is 1.28 s):
 *  1. the agent's contact gets OPTIONS (Request-URI = its Contact) every
 *     interval; a 200 and even a 404 keep it;
 *  2. unanswered twice in a row: the binding is dropped with a log line,
 *     and the OPTIONS stop;
 *  3. a new REGISTER brings it back and the pings start again.
 *
 *   options_keepalive_t /path/to/sb-control */
#include <stdbool.h>

#include "sipc_auth.h"

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

static bool log_has(const char *needle)
{
	char line[1024];
	bool found = false;
	FILE *f = fopen(logp, "r");

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/* The next new OPTIONS (retransmissions of the previous one skipped). */
static int next_options(struct sipc *c, char *buf, size_t cap, char *last_branch, int ms)
{
	char via[512];

	for (int i = 0; i < 50; i++) {
		if (sipc_expect_method(c, buf, cap, "OPTIONS", ms) < 0)
			return -1;
		sip_hdr(buf, "Via", via, sizeof(via));
		if (strcmp(via, last_branch) != 0) {
			snprintf(last_branch, 512, "%s", via);
			return 0;
		}
	}
	return -1;
}

static void do_register(struct sipc *agent, unsigned *cseq)
{
	char ct[128], buf[4096];

	snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u>;expires=300\n", agent->port);
	CHECK(sipc_register(agent, "SHA-256", "agent1", "secret", "ka-reg", cseq, ct, buf,
			    sizeof(buf)) == 200);
}

int main(int argc, char **argv)
{
	char cfg[128], buf[8192], want[128], last[512] = "";
	struct sipc agent;
	uint16_t port;
	unsigned cseq = 1;
	FILE *f;

	if (argc < 2)
		return T_SKIP;
	snprintf(dir, sizeof(dir), "/tmp/sb_ka_t.XXXXXX");
	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(cfg, sizeof(cfg), "%s/sb.yaml", dir);
	snprintf(logp, sizeof(logp), "%s/sb-control.log", dir);
	port = sipc_free_port();
	f = fopen(cfg, "w");
	T_ASSERT(f);
	fprintf(f, "instance: sipgka%d\nsip:\n  listen: [127.0.0.1:%u]\n  t1_ms: 20\n  t2_ms: 100\n"
		   "  options_interval: 1\n  options_failures: 2\n"
		   "agents:\n  - user: agent1\n    password: secret\n"
		   "hotlines:\n  - number: \"800100\"\n    agents: [agent1]\n",
		(int)getpid(), port);
	fclose(f);
	pid = control_start(argv[1], cfg, logp);
	sipc_open(&agent, port);
	control_wait_up(&agent);
	do_register(&agent, &cseq);

	/* 1. pings; any answer keeps the contact */
	snprintf(want, sizeof(want), "OPTIONS sip:agent1@127.0.0.1:%u SIP/2.0\r\n", agent.port);
	CHECK(next_options(&agent, buf, sizeof(buf), last, 2500) == 0);
	CHECK(strncmp(buf, want, strlen(want)) == 0);
	CHECK(strstr(buf, "\r\nCSeq: 1 OPTIONS\r\n") && strstr(buf, "\r\nMax-Forwards: 70\r\n"));
	sipc_respond(&agent, buf, 200, "OK", "a1", NULL, NULL);
	CHECK(next_options(&agent, buf, sizeof(buf), last, 2500) == 0);
	sipc_respond(&agent, buf, 404, "Not Found", "a1", NULL, NULL);
	CHECK(next_options(&agent, buf, sizeof(buf), last, 2500) == 0);
	sipc_respond(&agent, buf, 200, "OK", "a1", NULL, NULL);
	CHECK(!log_has("OPTIONS in a row"));

	/* 2. silence: two timeouts in a row drop it */
	for (int i = 0; i < 100 && !log_has("did not answer 2 OPTIONS in a row; dropped"); i++)
		usleep(100000);
	CHECK(log_has("agent agent1 contact sip:agent1@127.0.0.1"));
	CHECK(log_has("did not answer 2 OPTIONS in a row; dropped"));
	while (sipc_recv(&agent, buf, sizeof(buf), 300) > 0) /* retransmissions in flight */
		;
	CHECK(sipc_recv(&agent, buf, sizeof(buf), 1500) < 0); /* no more pings */

	/* 3. back again */
	do_register(&agent, &cseq);
	last[0] = '\0';
	CHECK(next_options(&agent, buf, sizeof(buf), last, 2500) == 0);
	CHECK(strncmp(buf, want, strlen(want)) == 0);
	sipc_respond(&agent, buf, 200, "OK", "a1", NULL, NULL);

	CHECK(control_stop(pid) == 0);
	pid = 0;
	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	T_ASSERT(system(buf) == 0);
	return 0;
}
