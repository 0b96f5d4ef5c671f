/* SPDX-License-Identifier: MIT */
/* overload_t — `sip: overload:` end to end on real UDP against sb-control,
 * with a fake dataplane (a real segment; a thread answers every command ok).
 * Clients bind different loopback addresses so that per-source limits see
 * different sources:
 *
 *  1. caller (127.0.0.5) sets up a call through agent1 (127.0.0.1);
 *  2. a burst of 8 new INVITEs from 127.0.0.4 above max_cps 2: at least 6
 *     get 503 with Retry-After in retry_after..2*retry_after (2..4), the
 *     rest 100; the established call is untouched;
 *  3. the caller floods 40 OPTIONS (source_rps 20): at most 20 answered,
 *     then it is banned (its OPTIONS unanswered) while 127.0.0.1 still gets
 *     200; its BYE for the live call still gets 200 (in-dialog, live call:
 *     exempt); after ban_seconds (2) its OPTIONS get 200 again;
 *  4. OPTIONS with User-Agent friendly-scanner or SIPVicious get nothing,
 *     a normal User-Agent gets 200;
 *  5. the shutdown log carries the overload counters.
 *
 *   overload_t /path/to/sb-control */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "sb/dp_shm.h"
#include "fake_dp.h"
#include "sipc_auth.h"

static char dir[64], logp[128];
static pid_t pid;
static struct fake_dp_ok *seg; /* removed on failure too: no stale segments */

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

/* A client on a chosen loopback address (127.0.0.x). */
static void open_at(struct sipc *c, const char *ip, uint16_t server)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);

	c->fd = socket(AF_INET, SOCK_DGRAM, 0);
	T_ASSERT(c->fd >= 0);
	inet_pton(AF_INET, ip, &sa.sin_addr);
	T_ASSERT(bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	T_ASSERT(getsockname(c->fd, (struct sockaddr *)&sa, &sl) == 0);
	c->port = ntohs(sa.sin_port);
	c->server = server;
}

static void invite(struct sipc *c, const char *ip, const char *callid)
{
	sipc_send(c, "INVITE sip:800100@127.0.0.1:%u SIP/2.0\n"
		     "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK%s;rport\nMax-Forwards: 70\n"
		     "From: <sip:alice@%s>;tag=ct-%s\nTo: <sip:800100@127.0.0.1>\n"
		     "Call-ID: %s\nCSeq: 10 INVITE\nContact: <sip:alice@%s:%u>\n"
		     "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
		  c->server, ip, c->port, callid, ip, callid, callid, ip, c->port, strlen(SDP),
		  SDP);
}

static unsigned opt_seq;

static void options(struct sipc *c, const char *ip, const char *ua)
{
	opt_seq++;
	sipc_send(c, "OPTIONS sip:127.0.0.1:%u SIP/2.0\n"
		     "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bKo%u;rport\nMax-Forwards: 70\n"
		     "From: <sip:probe@%s>;tag=o%u\nTo: <sip:127.0.0.1>\nCall-ID: opt-%u\n"
		     "CSeq: 1 OPTIONS\n%s%s%sContent-Length: 0\n\n",
		  c->server, ip, c->port, opt_seq, ip, opt_seq, opt_seq, ua ? "User-Agent: " : "",
		  ua ? ua : "", ua ? "\n" : "");
}

/* One OPTIONS: 1 answered 200, 0 no answer within ms. */
static int options_answered(struct sipc *c, const char *ip, const char *ua, int ms)
{
	char buf[4096];

	options(c, ip, ua);
	return sipc_expect_status(c, buf, sizeof(buf), 200, ms) == 0;
}

static void drain(struct sipc *c)
{
	char buf[8192];

	while (sipc_recv(c, buf, sizeof(buf), 50) > 0)
		;
}

int main(int argc, char **argv)
{
	struct fake_dp_ok dp = { 0 };
	char inst[32], cfg[128], buf[8192], inv[8192], v[1024], to[1024], ct[300];
	struct sipc caller, agent, burst, other;
	uint16_t p_car, p_agt;
	unsigned cseq = 1;
	int n503 = 0, n100 = 0, answered = 0, rc;
	FILE *f;

	if (argc < 2)
		return T_SKIP;
	snprintf(inst, sizeof(inst), "ovl%d", (int)getpid());
	if (fake_dp_create(&dp.shm, inst, 1, 100, NULL) < 0) {
		fprintf(stderr, "no /dev/shm: skipping\n");
		return T_SKIP;
	}
	T_ASSERT(pthread_create(&dp.thread, NULL, fake_dp_ok_main, &dp) == 0);
	seg = &dp;

	snprintf(dir, sizeof(dir), "/tmp/sb_overload_t.XXXXXX");
	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(cfg, sizeof(cfg), "%s/sb.yaml", dir);
	snprintf(logp, sizeof(logp), "%s/sb-control.log", dir);
	p_car = sipc_free_port();
	p_agt = sipc_free_port();
	cp_write_cfg(cfg, "instance: %s\nsip:\n  listen: [127.0.0.1:%u, 127.0.0.1:%u]\n"
			  "  ring_timeout: 10\n  overload:\n    max_cps: 2\n    retry_after: 2\n"
			  "    source_rps: 20\n    ban_seconds: 2\n"
			  "agents:\n  - user: agent1\n    password: secret\n"
			  "hotlines:\n  - number: \"800100\"\n    agents: [agent1]\n",
		inst, p_car, p_agt);

	pid = control_start(argv[1], cfg, logp);
	open_at(&caller, "127.0.0.5", p_car);
	open_at(&burst, "127.0.0.4", p_car);
	open_at(&other, "127.0.0.1", p_car);
	sipc_open(&agent, p_agt);
	control_wait_up(&other);
	usleep(100000); /* attach runs on the loop's first timer tick */
	snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u>;expires=300\n", agent.port);
	CHECK(sipc_register(&agent, "SHA-256", "agent1", "secret", "agent-reg", &cseq, ct, buf,
			    sizeof(buf)) == 200);
	usleep(1100000); /* the token bucket is full again */

	/* ---------- 1. an established call ---------- */
	invite(&caller, "127.0.0.5", "call-1");
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 100, 2000) == 0);
	CHECK(sipc_expect_method(&agent, inv, sizeof(inv), "INVITE", 3000) == 0);
	snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u>\r\n", agent.port);
	sipc_respond(&agent, inv, 200, "OK", "ag1", ct, SDP);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	sip_hdr(buf, "To", to, sizeof(to));
	sipc_send(&caller, "ACK sip:800100@127.0.0.1:%u SIP/2.0\n"
			   "Via: SIP/2.0/UDP 127.0.0.5:%u;branch=z9hG4bKack1;rport\n"
			   "Max-Forwards: 70\nFrom: <sip:alice@127.0.0.5>;tag=ct-call-1\nTo: %s\n"
			   "Call-ID: call-1\nCSeq: 10 ACK\nContent-Length: 0\n\n",
		  p_car, caller.port, to);
	usleep(1100000); /* refill */

	/* ---------- 2. a burst of new INVITEs above max_cps ---------- */
	for (int i = 0; i < 8; i++) {
		snprintf(v, sizeof(v), "burst-%d", i);
		invite(&burst, "127.0.0.4", v);
	}
	{
		/* per burst INVITE: 503, or let through (100, then 480: the only
		 * agent is busy with call-1); retransmitted 503s counted once */
		bool got503[8] = { 0 }, through[8] = { 0 };

		while (sipc_recv(&burst, buf, sizeof(buf), 400) > 0) {
			int st = sip_status(buf), i;

			CHECK(sip_hdr(buf, "Call-ID", v, sizeof(v)) == 0 &&
			      sscanf(v, "burst-%d", &i) == 1 && i >= 0 && i < 8);
			if (st == 503) {
				unsigned ra = 0;

				CHECK(sip_hdr(buf, "Retry-After", v, sizeof(v)) == 0);
				CHECK(sscanf(v, "%u", &ra) == 1 && ra >= 2 && ra <= 4);
				got503[i] = true;
			} else {
				CHECK(st == 100 || st == 480);
				through[i] = true;
			}
		}
		for (int i = 0; i < 8; i++) {
			CHECK(got503[i] != through[i]);
			n503 += got503[i];
			n100 += through[i];
		}
	}
	CHECK(n503 + n100 == 8 && n503 >= 6);
	drain(&agent);

	/* ---------- 3. a flooding source is banned, its live call is not ---------- */
	drain(&caller);
	for (int i = 0; i < 40; i++)
		options(&caller, "127.0.0.5", NULL);
	while (sipc_recv(&caller, buf, sizeof(buf), 300) > 0)
		answered += sip_status(buf) == 200;
	CHECK(answered >= 1 && answered <= 20);
	CHECK(!options_answered(&caller, "127.0.0.5", NULL, 300));
	CHECK(options_answered(&other, "127.0.0.1", NULL, 1000)); /* other sources unaffected */
	/* BYE in the dialog of its live call: answered although banned */
	sipc_send(&caller, "BYE sip:800100@127.0.0.1:%u SIP/2.0\n"
			   "Via: SIP/2.0/UDP 127.0.0.5:%u;branch=z9hG4bKbye1;rport\n"
			   "Max-Forwards: 70\nFrom: <sip:alice@127.0.0.5>;tag=ct-call-1\nTo: %s\n"
			   "Call-ID: call-1\nCSeq: 11 BYE\nContent-Length: 0\n\n",
		  p_car, caller.port, to);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sip_hdr(buf, "CSeq", v, sizeof(v)) == 0 && strcmp(v, "11 BYE") == 0);
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "BYE", 2000) == 0);
	sipc_respond(&agent, buf, 200, "OK", NULL, NULL, NULL);
	/* the call is gone: still banned for anything else */
	CHECK(!options_answered(&caller, "127.0.0.5", NULL, 300));
	usleep(2200000); /* ban_seconds */
	CHECK(options_answered(&caller, "127.0.0.5", NULL, 1000));

	/* ---------- 4. scanners ---------- */
	CHECK(!options_answered(&other, "127.0.0.1", "friendly-scanner", 500));
	CHECK(!options_answered(&other, "127.0.0.1", "SIPVicious 0.3.4", 500));
	CHECK(options_answered(&other, "127.0.0.1", "Linphone/5.2", 1000));

	/* ---------- 5. counters at shutdown ---------- */
	rc = control_stop(pid);
	pid = 0;
	seg = NULL;
	fake_dp_ok_stop(&dp);
	CHECK(rc == 0);
	{
		char line[1024];
		bool seen = false;

		f = fopen(logp, "r");
		CHECK(f != NULL);
		while (fgets(line, sizeof(line), f)) {
			char *p = strstr(line, "overload: ");
			unsigned long long cps, calls, bans, dropb, drops;

			if (p && sscanf(p, "overload: %llu INVITEs refused above max_cps, %llu at "
					   "max_calls; %llu sources banned, %llu requests dropped "
					   "from banned sources, %llu from scanners",
					&cps, &calls, &bans, &dropb, &drops) == 5) {
				CHECK(cps == (unsigned long long)n503 && calls == 0 && bans == 1 &&
				      dropb >= 20 && drops == 2);
				seen = true;
			}
		}
		fclose(f);
		CHECK(seen);
	}
	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	T_ASSERT(system(buf) == 0);
	return 0;
}
