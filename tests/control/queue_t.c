/* SPDX-License-Identifier: MIT */
/* queue_t — hotline queues (b2bua/queue.h, the engine acd/acd.h) in the
 * B2BUA end to end over real UDP.  sb-control runs as a child on
 * 127.0.0.1; this process plays the callers, three registered agents and
 * the "dataplane" (a thread answering commands on a real shm segment).
 *
 * Queue "sales" (round-robin, agent1..3, ring_timeout 1 s, wrap_up 1 s)
 * behind 800200; queue "tiny" (agent3 only, max_wait 2 s) behind 800300.
 *
 *  a. four calls one after the other, each answered and hung up, with the
 *     wrap-up over between them: offered to agent1, agent2, agent3, agent1
 *     (round-robin; "first free agent" would give agent1 every time); the
 *     caller hears 180 before any agent is offered;
 *  b. the next call goes to agent2, which rings (180) and never answers:
 *     after ~1 s it gets CANCEL and the call is offered to agent3, which
 *     answers (call X up);
 *  c. call Y goes to agent1 (agent2 is held back after its no-answer);
 *     call Z finds nobody free: 180, no offer; agent3 hangs up X; after
 *     its 1 s wrap-up (not before) Z is offered to agent3;
 *  d. a call to 800300 (agent3 busy with Z) waits 2 s and gets 480 with
 *     a Reason header naming the queue's maximum wait.
 *
 *   queue_t /path/to/sb-control */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <time.h>

#include "sb/dp_shm.h"

#include "cpdb.h"
#include "sipc_auth.h"
#include "fake_dp.h"

#define MEDIA_IP "203.0.113.10"
static char dir[64], logp[128], shm_name[64];
static pid_t pid;

static void fail_dump(const char *what, int line)
{
	fprintf(stderr, "FAILED line %d: %s\n--- sb-control log ---\n", line, what);
	dump_file(logp);
	if (pid > 0)
		control_stop(pid);
	shm_unlink(shm_name);
	exit(1);
}

#define CHECK(c) do { if (!(c)) fail_dump(#c, __LINE__); } while (0)

/* ---- the fake dataplane: fake_dp.h's recording one ---- */

static struct fake_dp_rec dp;

/* ---- SIP ---- */

/* One UA's view of its dialog with sb-control. */
struct ua {
	struct sipc s;
	const char *name;
	char callid[256];
	char from[1100];   /* its own From (with its tag) */
	char to[512];      /* sb-control's (with our tag) */
	char ruri[256];    /* sb-control's Contact */
	unsigned cseq;
	char inv[8192];    /* agents: the INVITE being offered */
};

static struct ua ag[3] = { { .name = "agent1" }, { .name = "agent2" }, { .name = "agent3" } };
static struct ua callers[8];
static char caller_names[8][16];
static int branch_no;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char *sdp(unsigned port)
{
	static char b[4][512];
	static int k;
	char *o = b[k++ & 3];

	snprintf(o, 512, "v=0\r\no=- 1 %u IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n"
		 "a=rtpmap:101 telephone-event/8000\r\n", port, port);
	return o;
}

static void contact_uri(const char *msg, char *out, size_t cap)
{
	char v[512], *s, *e;

	CHECK(sip_hdr(msg, "Contact", v, sizeof(v)) == 0);
	s = strchr(v, '<');
	e = s ? strchr(s, '>') : NULL;
	CHECK(s && e);
	snprintf(out, cap, "%.*s", (int)(e - s - 1), s + 1);
}

static void ua_req(struct ua *u, const char *method)
{
	sipc_send(&u->s, "%s %s SIP/2.0\n"
			 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKq%d;rport\n"
			 "Max-Forwards: 70\nFrom: %s\nTo: %s\nCall-ID: %s\nCSeq: %u %s\n"
			 "Content-Length: 0\n\n",
		  method, u->ruri, u->s.port, ++branch_no, u->from, u->to, u->callid, ++u->cseq,
		  method);
}

static void ua_ack(struct ua *u, unsigned cseq)
{
	sipc_send(&u->s, "ACK %s SIP/2.0\n"
			 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKq%d;rport\n"
			 "Max-Forwards: 70\nFrom: %s\nTo: %s\nCall-ID: %s\nCSeq: %u ACK\n"
			 "Content-Length: 0\n\n",
		  u->ruri, u->s.port, ++branch_no, u->from, u->to, u->callid, cseq);
}

/* Caller n calls number; it must hear 180 (it waits in the queue). */
static void call_in(int n, const char *number)
{
	struct ua *u = &callers[n];
	char buf[8192];

	snprintf(u->callid, sizeof(u->callid), "queue-call-%d", n);
	snprintf(u->from, sizeof(u->from), "<sip:%s@127.0.0.1>;tag=c-%d", u->name, n);
	u->cseq = 10;
	sipc_send(&u->s, "INVITE sip:%s@127.0.0.1:%u SIP/2.0\n"
			 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKinv%d;rport\n"
			 "Max-Forwards: 70\nFrom: %s\n"
			 "To: <sip:%s@127.0.0.1>\nCall-ID: %s\nCSeq: 10 INVITE\n"
			 "Contact: <sip:%s@127.0.0.1:%u>\n"
			 "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
		  number, u->s.server, u->s.port, n, u->from, number, u->callid, u->name,
		  u->s.port, strlen(sdp(41000 + 2 * (unsigned)n)), sdp(41000 + 2 * (unsigned)n));
	CHECK(sipc_expect_status(&u->s, buf, sizeof(buf), 180, 3000) == 0);
}

/* Agent a is offered a call within ms (no other agent may be). */
static void offered(int a, int ms)
{
	CHECK(sipc_expect_method(&ag[a].s, ag[a].inv, sizeof(ag[a].inv), "INVITE", ms) == 0);
}

/* No INVITE reaches any agent for ms. */
static void no_offer(int ms)
{
	char buf[8192];
	uint64_t end = mono_ms() + (uint64_t)ms;

	for (int a = 0; a < 3; a++) {
		int64_t left = (int64_t)(end - mono_ms());

		while (sipc_recv(&ag[a].s, buf, sizeof(buf), left > 0 ? (int)left : 1) > 0) {
			CHECK(!sip_is_method(buf, "INVITE"));
			left = (int64_t)(end - mono_ms());
			if (left <= 0)
				break;
		}
	}
}

/* Agent a answers its offer: the caller n gets 200 and ACKs. */
static void answer(int a, int n)
{
	struct ua *g = &ag[a], *u = &callers[n];
	char v[512], contact[128], buf[8192], tag[32];

	snprintf(tag, sizeof(tag), "ag%d-%d", a, n);
	sip_hdr(g->inv, "To", v, sizeof(v));
	snprintf(g->from, sizeof(g->from), "%s;tag=%s", v, tag);
	sip_hdr(g->inv, "From", g->to, sizeof(g->to));
	sip_hdr(g->inv, "Call-ID", g->callid, sizeof(g->callid));
	contact_uri(g->inv, g->ruri, sizeof(g->ruri));
	g->cseq = 1;
	snprintf(contact, sizeof(contact), "Contact: <sip:%s@127.0.0.1:%u>\r\n", g->name,
		 g->s.port);
	sipc_respond(&g->s, g->inv, 200, "OK", tag, contact, sdp(42000 + 2 * (unsigned)a));
	CHECK(sipc_expect_method(&g->s, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(sipc_expect_status(&u->s, buf, sizeof(buf), 200, 2000) == 0);
	sip_hdr(buf, "To", u->to, sizeof(u->to));
	contact_uri(buf, u->ruri, sizeof(u->ruri));
	ua_ack(u, 10);
}

/* The caller n hangs up its call with agent a. */
static void caller_bye(int n, int a)
{
	char buf[8192];

	ua_req(&callers[n], "BYE");
	CHECK(sipc_expect_status(&callers[n].s, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sipc_expect_method(&ag[a].s, buf, sizeof(buf), "BYE", 2000) == 0);
	sipc_respond(&ag[a].s, buf, 200, "OK", NULL, NULL, NULL);
}

/* The agent a hangs up its call with caller n. */
static void agent_bye(int a, int n)
{
	char buf[8192];

	ua_req(&ag[a], "BYE");
	CHECK(sipc_expect_status(&ag[a].s, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sipc_expect_method(&callers[n].s, buf, sizeof(buf), "BYE", 2000) == 0);
	sipc_respond(&callers[n].s, buf, 200, "OK", NULL, NULL, NULL);
}

static void reg(struct ua *u)
{
	char ct[128], buf[8192], cid[32];
	unsigned cseq = 1;

	snprintf(ct, sizeof(ct), "Contact: <sip:%s@127.0.0.1:%u>;expires=300\n", u->name,
		 u->s.port);
	snprintf(cid, sizeof(cid), "%s-reg", u->name);
	CHECK(sipc_register(&u->s, "SHA-256", u->name, "secret", cid, &cseq, ct, buf,
			    sizeof(buf)) == 200);
}

int main(int argc, char **argv)
{
	char inst[32], cfg[128], db[128], buf[8192], reason[256];
	uint16_t p_car, p_agt;
	uint64_t t0;
	FILE *f;

	if (argc < 2)
		return T_SKIP;
	snprintf(inst, sizeof(inst), "sbqueue%d", (int)getpid());
	snprintf(shm_name, sizeof(shm_name), "/switchboard.%s", inst);
	fake_dp_rec_start(&dp, inst, MEDIA_IP);

	cp_workdir("/tmp/sb_queue_t", dir, cfg, db, logp);
	p_car = sipc_free_port();
	p_agt = sipc_free_port();
	f = fopen(cfg, "w");
	T_ASSERT(f);
	fprintf(f, "instance: %s\nsip:\n  listen: [127.0.0.1:%u, 127.0.0.1:%u]\n"
		   "  options_interval: 0\n"
		   "store:\n  sqlite: %s\n"
		   "agents:\n  - user: agent1\n    password: secret\n"
		   "  - user: agent2\n    password: secret\n"
		   "  - user: agent3\n    password: secret\n"
		   "queues:\n"
		   "  - name: sales\n    strategy: round-robin\n"
		   "    members: [agent1, agent2, agent3]\n"
		   "    ring_timeout: 1\n    wrap_up: 1\n    max_wait: 30\n"
		   "  - name: tiny\n    members: [agent3]\n    max_wait: 2\n"
		   "hotlines:\n  - number: \"800200\"\n    queue: sales\n"
		   "  - number: \"800300\"\n    queue: tiny\n",
		inst, p_car, p_agt, db);
	fclose(f);

	pid = control_start(argv[1], cfg, logp);
	for (int i = 0; i < 8; i++) {
		snprintf(caller_names[i], sizeof(caller_names[i]), "caller%d", i);
		callers[i].name = caller_names[i];
		sipc_open(&callers[i].s, p_car);
	}
	for (int a = 0; a < 3; a++)
		sipc_open(&ag[a].s, p_agt);
	control_wait_up(&callers[0].s);
	usleep(100000);
	for (int a = 0; a < 3; a++)
		reg(&ag[a]);

	/* ---------- a. round-robin over four calls ---------- */
	{
		static const int want[4] = { 0, 1, 2, 0 };

		for (int i = 0; i < 4; i++) {
			call_in(i, "800200");
			offered(want[i], 3000);
			CHECK(strstr(ag[want[i]].inv, "INVITE sip:") == ag[want[i]].inv);
			answer(want[i], i);
			caller_bye(i, want[i]);
			usleep(1300000); /* wrap-up (1 s) over */
		}
		no_offer(100);
	}

	/* ---------- b. agent2 does not answer: agent3 gets the call ---------- */
	call_in(4, "800200");
	offered(1, 3000);
	sipc_respond(&ag[1].s, ag[1].inv, 180, "Ringing", "ag2-ring", NULL, NULL);
	t0 = mono_ms();
	CHECK(sipc_expect_method(&ag[1].s, buf, sizeof(buf), "CANCEL", 3000) == 0);
	CHECK(mono_ms() - t0 >= 800); /* ring_timeout 1 s */
	sipc_respond(&ag[1].s, buf, 200, "OK", NULL, NULL, NULL);
	sipc_respond(&ag[1].s, ag[1].inv, 487, "Request Terminated", "ag2-ring", NULL, NULL);
	offered(2, 3000);
	answer(2, 4); /* call X: caller4 - agent3 */

	/* ---------- c. a waiting caller gets the next agent that frees up ---------- */
	call_in(5, "800200");
	offered(0, 3000); /* agent2 is held back after its no-answer */
	answer(0, 5);     /* call Y: caller5 - agent1 */
	call_in(6, "800200");
	no_offer(300);    /* call Z waits: nobody is free */
	agent_bye(2, 4);  /* agent3 ends X: wrap-up 1 s */
	t0 = mono_ms();
	no_offer(700);
	offered(2, 2000);
	CHECK(mono_ms() - t0 >= 900);
	answer(2, 6);     /* call Z: caller6 - agent3 */

	/* ---------- d. maximum wait: 480 with a Reason ---------- */
	call_in(7, "800300");
	t0 = mono_ms();
	CHECK(sipc_expect_status(&callers[7].s, buf, sizeof(buf), 480, 4000) == 0);
	CHECK(mono_ms() - t0 >= 1500);
	CHECK(sip_hdr(buf, "Reason", reason, sizeof(reason)) == 0);
	CHECK(strstr(reason, "queue maximum wait") != NULL);
	no_offer(100);

	caller_bye(5, 0);
	caller_bye(6, 2);
	usleep(200000);

	CHECK(control_stop(pid) == 0);
	pid = 0;
	fake_dp_rec_stop(&dp);
	/* every call wrote its CDR: 7 answered (200), the timed-out one 480 */
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr") == 8);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE status = 480") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE agent = 'agent3'") >= 3);
	unlink(cfg);
	unlink(db);
	unlink(logp);
	rmdir(dir);
	shm_unlink(shm_name); /* the fake dataplane's segment (detach leaves it) */
	return 0;
}
