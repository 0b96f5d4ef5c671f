/* SPDX-License-Identifier: MIT */
/* sipp_txn_t — transactions end to end with real SIPp on 127.0.0.1:
 * SIPp callers -> sb-control -> SIPp agents (registered with digest), the
 * dataplane played by this process (a real segment; every command is
 * answered ok), so no DPDK and no root is needed.
 *
 *  a. retransmitted INVITE (the same INVITE sent twice): one call, one
 *     INVITE to the agent, the call completes (caller exit 0)
 *  b. CANCEL before the answer: 200 + 487 to the caller, the agent's INVITE
 *     is CANCELled (agent logs CANCELLED)
 *  c. an agent that never answers: ring timeout -> 480 to the caller, the
 *     agent is CANCELled
 *  d. the whole call over TCP (caller and agent with -t t1)
 *  e. hold and resume by re-INVITE (caller-hold.xml / agent-hold.xml):
 *     a=sendonly reaches the agent, its a=recvonly comes back, resume
 *
 * Then the CDRs: one row per call with the right status, and the
 * transaction counters in sb-control's log (retransmission absorbed,
 * CANCELs, TCP messages).
 *
 *   sipp_txn_t SB_CONTROL SCENARIO_DIR     (exit 77 without sipp) */
#include <sys/prctl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "sb/dp_shm.h"

#include "cpdb.h"
#include "fake_dp.h"
#include "sipc.h"

#define MEDIA_IP "203.0.113.10"

static char dir[64], logp[128];
static pid_t pid;
static pid_t agents[4];

static void stop_agents(void)
{
	for (int i = 0; i < 4; i++)
		if (agents[i] > 0) {
			kill(agents[i], SIGTERM);
			waitpid(agents[i], NULL, 0);
			agents[i] = 0;
		}
}

static void fail_dump(const char *what, int line)
{
	char p[160];

	fprintf(stderr, "FAILED line %d: %s\n--- sb-control log ---\n", line, what);
	dump_file(logp);
	for (int i = 1; i <= 4; i++) {
		snprintf(p, sizeof(p), "%s/agent%d.events", dir, i);
		fprintf(stderr, "--- %s ---\n", p);
		dump_file(p);
	}
	stop_agents();
	if (pid > 0)
		control_stop(pid);
	exit(1);
}

#define CHECK(c) do { if (!(c)) fail_dump(#c, __LINE__); } while (0)

/* ---- SIPp ---- */

static const char *scen;
static uint16_t port;

static pid_t sipp_spawn(const char *name, char *const extra[], bool wait_it, int *status)
{
	char out[160];
	pid_t p = fork();

	CHECK(p >= 0);
	if (p == 0) {
		char *argv[48];
		int n = 0, fd;
		static char target[32];

		/* die with the test: a killed or timed-out test must not leave a
		 * child polling a core */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		snprintf(out, sizeof(out), "%s/%s.out", dir, name);
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			dup2(fd, 0);
		snprintf(target, sizeof(target), "127.0.0.1:%u", port);
		argv[n++] = "sipp";
		argv[n++] = target;
		for (int i = 0; extra[i]; i++)
			argv[n++] = extra[i];
		argv[n++] = "-i";
		argv[n++] = "127.0.0.1";
		argv[n++] = "-mi";
		argv[n++] = "127.0.0.1";
		argv[n++] = "-nostdin";
		argv[n++] = "-default_behaviors";
		argv[n++] = "all,-abortunexp";
		argv[n] = NULL;
		execvp("sipp", argv);
		_exit(127);
	}
	if (wait_it) {
		/* bounded: a stuck scenario fails the test instead of hanging it */
		for (int i = 0; i < 3000; i++) {
			if (waitpid(p, status, WNOHANG) == p)
				return p;
			usleep(10000);
		}
		kill(p, SIGKILL);
		waitpid(p, status, 0);
		*status = -1;
	}
	return p;
}

static int caller(const char *name, const char *xml, const char *number, bool tcp)
{
	char sf[256], log[160], lport[8], mport[8];
	int st = 0;
	char *argv[] = { "-sf", sf, "-s", (char *)number, "-m", "1", "-l", "1",
			 "-p", lport, "-mp", mport, "-timeout", "20s",
			 "-trace_err", "-error_file", log, tcp ? "-t" : NULL, "t1", NULL };

	snprintf(sf, sizeof(sf), "%s/%s", scen, xml);
	snprintf(log, sizeof(log), "%s/%s.err", dir, name);
	snprintf(lport, sizeof(lport), "%u", sipc_free_port());
	snprintf(mport, sizeof(mport), "%u", sipc_free_port());
	sipp_spawn(name, argv, true, &st);
	if (!(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		char p[200];

		fprintf(stderr, "--- %s: SIPp exit %d ---\n", name, st >= 0 && WIFEXITED(st) ?
			WEXITSTATUS(st) : -1);
		snprintf(p, sizeof(p), "%s/%s.out", dir, name);
		dump_file(p);
		dump_file(log);
		return -1;
	}
	return 0;
}

static void agent(int i, const char *answer_xml, bool tcp)
{
	static char sf[4][256], oocsf[4][256], user[4][16], ev[4][160], lport[4][8], mport[4][8];
	char *argv[] = { "-sf", sf[i], "-oocsf", oocsf[i], "-m", "1", "-s", user[i], "-au", user[i],
			 "-ap", "secret", "-p", lport[i], "-mp", mport[i], "-trace_logs",
			 "-log_file", ev[i], tcp ? "-t" : NULL, "t1", NULL };
	int st;

	snprintf(sf[i], sizeof(sf[i]), "%s/agent.xml", scen);
	snprintf(oocsf[i], sizeof(oocsf[i]), "%s/%s", scen, answer_xml);
	snprintf(user[i], sizeof(user[i]), "agent%d", i + 1);
	snprintf(ev[i], sizeof(ev[i]), "%s/agent%d.events", dir, i + 1);
	snprintf(lport[i], sizeof(lport[i]), "%u", sipc_free_port());
	snprintf(mport[i], sizeof(mport[i]), "%u", sipc_free_port());
	agents[i] = sipp_spawn(user[i], argv, false, &st);
}

/* lines of path containing s */
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

static void wait_line(const char *path, const char *s, int n, int ms)
{
	for (int i = 0; i < ms / 50; i++) {
		if (count_lines(path, s) >= n)
			return;
		usleep(50000);
	}
	fprintf(stderr, "no '%s' (x%d) in %s\n", s, n, path);
	CHECK(!"expected line");
}

/* the figure after `what` in the log line starting with `line` */
static long long log_figure(const char *line, const char *what)
{
	char buf[2048];
	long long v = -1;
	FILE *f = fopen(logp, "r");

	if (f == NULL)
		return -1;
	while (fgets(buf, sizeof(buf), f)) {
		char *p = strstr(buf, line), *w;

		if (p == NULL || (w = strstr(p, what)) == NULL)
			continue;
		/* "N what": walk back over the number */
		while (w > p && w[-1] == ' ')
			w--;
		while (w > p && w[-1] >= '0' && w[-1] <= '9')
			w--;
		v = atoll(w);
	}
	fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	struct fake_dp_ok dp = { 0 };
	char inst[32], cfg[128], db[128], ev[4][160], buf[256];
	struct sipc ua;

	if (argc < 3)
		return T_SKIP;
	if (system("sipp -v >/dev/null 2>&1") != 0 && system("command -v sipp >/dev/null") != 0) {
		fprintf(stderr, "no sipp: skipping\n");
		return T_SKIP;
	}
	scen = argv[2];
	snprintf(inst, sizeof(inst), "sipe%d", (int)getpid());
	if (fake_dp_create(&dp.shm, inst, 1, 200, MEDIA_IP) < 0) {
		fprintf(stderr, "no /dev/shm: skipping\n");
		return T_SKIP;
	}
	T_ASSERT(pthread_create(&dp.thread, NULL, fake_dp_ok_main, &dp) == 0);

	cp_workdir("/tmp/sb_sipp_txn_t", dir, cfg, db, logp);
	for (int i = 0; i < 4; i++)
		snprintf(ev[i], sizeof(ev[i]), "%s/agent%d.events", dir, i + 1);
	port = sipc_free_port();
	cp_write_cfg(cfg, "instance: %s\nsip:\n  listen: [127.0.0.1:%u]\n  ring_timeout: 2\n  tcp: true\n"
			  "store:\n  sqlite: %s\n"
			  "auth:\n  algorithms: [MD5]\n" /* all SIPp speaks */
			  "agents:\n  - user: agent1\n    password: secret\n"
			  "  - user: agent2\n    password: secret\n  - user: agent3\n    password: secret\n"
			  "  - user: agent4\n    password: secret\n"
			  "hotlines:\n  - number: \"800100\"\n    agents: [agent1]\n"
			  "  - number: \"800200\"\n    agents: [agent2]\n"
			  "  - number: \"800300\"\n    agents: [agent3]\n"
			  "  - number: \"800400\"\n    agents: [agent4]\n",
		inst, port, db);

	pid = control_start(argv[1], cfg, logp);
	sipc_open(&ua, port);
	control_wait_up(&ua);
	usleep(100000); /* the media backend attaches on the loop's first tick */

	agent(0, "agent-answer.xml", false);
	agent(1, "agent-ring.xml", false);
	agent(2, "agent-answer.xml", true);
	agent(3, "agent-hold.xml", false);
	for (int i = 0; i < 4; i++) {
		snprintf(buf, sizeof(buf), "REGISTERED agent%d", i + 1);
		wait_line(ev[i], buf, 1, 10000);
	}

	/* a. the same INVITE twice: one call */
	CHECK(caller("retrans", "caller-retrans.xml", "800100", false) == 0);
	wait_line(ev[0], "ENDED agent1", 1, 3000);
	CHECK(count_lines(ev[0], "ANSWERED agent1") == 1);

	/* b. CANCEL while the agent rings */
	CHECK(caller("cancel", "caller-cancel.xml", "800200", false) == 0);
	wait_line(ev[1], "CANCELLED agent2", 1, 3000);

	/* c. the agent never answers: ring timeout (2 s) */
	CHECK(caller("noanswer", "caller-noanswer.xml", "800200", false) == 0);
	wait_line(ev[1], "CANCELLED agent2", 2, 3000);

	/* d. the whole call over TCP, caller and agent */
	CHECK(caller("tcp", "caller-basic.xml", "800300", true) == 0);
	wait_line(ev[2], "ENDED agent3", 1, 3000);
	CHECK(count_lines(ev[2], "ANSWERED agent3") == 1);

	/* e. hold and resume by re-INVITE, both directions of the relay */
	CHECK(caller("hold", "caller-hold.xml", "800400", false) == 0);
	wait_line(ev[3], "ENDED agent4", 1, 3000);
	CHECK(count_lines(ev[3], "HELD agent4") == 1);
	CHECK(count_lines(ev[3], "RESUMED agent4") == 1);

	usleep(300000);
	stop_agents();
	CHECK(control_stop(pid) == 0);
	pid = 0;
	fake_dp_ok_stop(&dp);

	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr") == 5);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE hotline='800400' AND status=200 AND "
		    "agent='agent4' AND hangup_by='caller'") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE hotline='800100' AND status=200 AND "
		    "agent='agent1' AND answer_ms IS NOT NULL") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE hotline='800200' AND status=487 AND "
		    "hangup_by='caller'") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE hotline='800200' AND status=480 AND "
		    "hangup_by='timeout'") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE hotline='800300' AND status=200 AND "
		    "agent='agent3' AND answer_ms IS NOT NULL") == 1);
	/* the transaction layer and the transports did the work */
	CHECK(log_figure("sip: transactions", "retransmitted requests absorbed") >= 1);
	CHECK(log_figure("sip: transactions", "CANCELs") >= 1);
	CHECK(log_figure("sip: udp", "accepted") >= 2);
	CHECK(log_figure("sip: udp", "messages") >= 8);

	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	T_ASSERT(system(buf) == 0);
	return 0;
}
