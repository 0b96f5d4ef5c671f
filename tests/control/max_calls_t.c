/* SPDX-License-Identifier: MIT */
/* max_calls_t — `overload: max_calls` counts live calls only, on real UDP
 * against sb-control with a fake dataplane (a real segment; a thread
 * answers every command ok).  Two agents, max_calls 1:
 *
 *  1. call-1 is set up through an agent;
 *  2. call-2 (another agent is free) gets 503 Too many calls: one is live;
 *  3. call-1 ends (BYE); it lingers 32 s in the call table (CALL_GONE, for
 *     late requests of its dialogs) but is not live: call-3 is let through
 *     to an agent, and call-4 then gets 503 again;
 *  4. the shutdown log counts 2 INVITEs refused at max_calls.
 * The count is O(1) (calltab.c: slots in use minus those lingering), kept
 * at every end and free of a call; this fails if an ended call still
 * counted, or a lingering one was forgotten.
 *
 *   max_calls_t /path/to/sb-control */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "sb/dp_shm.h"
#include "fake_dp.h"
#include "sipc_auth.h"

static char dir[64], logp[128];
static pid_t pid;
static struct fake_dp_ok *seg;

static void fail_dump(const char *what, int line)
{
	control_fail_report(what, line, logp, pid);
	if (seg)
		fake_dp_ok_stop(seg);
	exit(1);
}

#define CHECK(c) do { if (!(c)) fail_dump(#c, __LINE__); } while (0)

#define SDP "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
	    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

static uint16_t p_car;

static void invite(struct sipc *c, const char *callid)
{
	sipc_send(c, "INVITE sip:800100@127.0.0.1:%u SIP/2.0\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s;rport\nMax-Forwards: 70\n"
		     "From: <sip:alice@127.0.0.1>;tag=ct-%s\nTo: <sip:800100@127.0.0.1>\n"
		     "Call-ID: %s\nCSeq: 10 INVITE\nContact: <sip:alice@127.0.0.1:%u>\n"
		     "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
		  p_car, c->port, callid, callid, callid, c->port, strlen(SDP), SDP);
}

/* The final answer to callid's INVITE (provisional ones skipped). */
static int final_for(struct sipc *c, const char *callid, char *buf, size_t cap)
{
	char v[256];

	while (sipc_recv(c, buf, cap, 3000) > 0) {
		int st = sip_status(buf);

		if (st >= 200 && sip_hdr(buf, "Call-ID", v, sizeof(v)) == 0 &&
		    strcmp(v, callid) == 0)
			return st;
	}
	return -1;
}

/* callid through to an agent, answered and ACKed; *to gets the caller's To. */
static void call_up(struct sipc *caller, struct sipc *agent, const char *callid, char *to,
		    size_t to_cap)
{
	char buf[8192], inv[8192], ct[300];

	invite(caller, callid);
	CHECK(sipc_expect_method(agent, inv, sizeof(inv), "INVITE", 3000) == 0);
	snprintf(ct, sizeof(ct), "Contact: <sip:agent@127.0.0.1:%u>\r\n", agent->port);
	sipc_respond(agent, inv, 200, "OK", "ag", ct, SDP);
	CHECK(sipc_expect_method(agent, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(final_for(caller, callid, buf, sizeof(buf)) == 200);
	CHECK(sip_hdr(buf, "To", to, to_cap) == 0);
	sipc_send(caller, "ACK sip:800100@127.0.0.1:%u SIP/2.0\n"
			  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKack-%s;rport\n"
			  "Max-Forwards: 70\nFrom: <sip:alice@127.0.0.1>;tag=ct-%s\nTo: %s\n"
			  "Call-ID: %s\nCSeq: 10 ACK\nContent-Length: 0\n\n",
		  p_car, caller->port, callid, callid, to, callid);
}

int main(int argc, char **argv)
{
	struct fake_dp_ok dp = { 0 };
	char inst[32], cfg[128], db[128], buf[8192], to[1024], ct[300];
	struct sipc caller, a1, a2;
	uint16_t p_agt;
	unsigned cseq = 1;
	bool seen = false;
	FILE *f;
	int rc;

	if (argc < 2)
		return T_SKIP;
	snprintf(inst, sizeof(inst), "mxc%d", (int)getpid());
	if (fake_dp_create(&dp.shm, inst, 1, 100, NULL) < 0) {
		fprintf(stderr, "no /dev/shm: skipping\n");
		return T_SKIP;
	}
	T_ASSERT(pthread_create(&dp.thread, NULL, fake_dp_ok_main, &dp) == 0);
	seg = &dp;

	cp_workdir("/tmp/sb_max_calls_t", dir, cfg, db, logp);
	p_car = sipc_free_port();
	p_agt = sipc_free_port();
	cp_write_cfg(cfg, "instance: %s\nsip:\n  listen: [127.0.0.1:%u, 127.0.0.1:%u]\n"
			  "  overload:\n    max_calls: 1\n"
			  "agents:\n  - user: agent1\n    password: secret\n"
			  "  - user: agent2\n    password: secret\n"
			  "hotlines:\n  - number: \"800100\"\n    agents: [agent1, agent2]\n",
		inst, p_car, p_agt);

	pid = control_start(argv[1], cfg, logp);
	sipc_open(&caller, p_car);
	sipc_open(&a1, p_agt);
	sipc_open(&a2, p_agt);
	control_wait_up(&caller);
	usleep(100000); /* attach runs on the loop's first timer tick */
	snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u>;expires=300\n", a1.port);
	CHECK(sipc_register(&a1, "SHA-256", "agent1", "secret", "reg-1", &cseq, ct, buf,
			    sizeof(buf)) == 200);
	snprintf(ct, sizeof(ct), "Contact: <sip:agent2@127.0.0.1:%u>;expires=300\n", a2.port);
	CHECK(sipc_register(&a2, "SHA-256", "agent2", "secret", "reg-2", &cseq, ct, buf,
			    sizeof(buf)) == 200);

	/* 1. one live call (agent1 takes it: first in the hotline) */
	call_up(&caller, &a1, "call-1", to, sizeof(to));

	/* 2. agent2 is free, but max_calls is reached */
	invite(&caller, "call-2");
	CHECK(final_for(&caller, "call-2", buf, sizeof(buf)) == 503);
	CHECK(sipc_recv(&a2, buf, sizeof(buf), 300) < 0); /* agent2 never invited */

	/* 3. call-1 ends and lingers: not live, so call-3 goes through */
	sipc_send(&caller, "BYE sip:800100@127.0.0.1:%u SIP/2.0\n"
			   "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKbye1;rport\n"
			   "Max-Forwards: 70\nFrom: <sip:alice@127.0.0.1>;tag=ct-call-1\nTo: %s\n"
			   "Call-ID: call-1\nCSeq: 11 BYE\nContent-Length: 0\n\n",
		  p_car, caller.port, to);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sipc_expect_method(&a1, buf, sizeof(buf), "BYE", 2000) == 0);
	sipc_respond(&a1, buf, 200, "OK", NULL, NULL, NULL);
	usleep(100000);
	call_up(&caller, &a1, "call-3", to, sizeof(to));
	invite(&caller, "call-4");
	CHECK(final_for(&caller, "call-4", buf, sizeof(buf)) == 503);

	/* 4. shutdown: two refused at max_calls */
	rc = control_stop(pid);
	pid = 0;
	seg = NULL;
	fake_dp_ok_stop(&dp);
	CHECK(rc == 0);
	f = fopen(logp, "r");
	CHECK(f != NULL);
	while (fgets(buf, sizeof(buf), f)) {
		char *p = strstr(buf, "overload: ");
		unsigned long long cps, calls;

		if (p && sscanf(p, "overload: %llu INVITEs refused above max_cps, %llu at max_calls",
				&cps, &calls) == 2) {
			CHECK(cps == 0 && calls == 2);
			seen = true;
		}
	}
	fclose(f);
	CHECK(seen);
	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	T_ASSERT(system(buf) == 0);
	printf("PASS: max_calls counts live calls only (a lingering ended call does not)\n");
	return 0;
}
