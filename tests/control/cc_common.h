/* SPDX-License-Identifier: MIT */
/* cc_common.h — SIP callers and agents for the queue and contact-centre
 * tests (queue_t.c, cc_queue_t.c, cc_api_t.c), on sipc.h: INVITE and
 * 180, offers to agents, answer, BYE either way, CANCEL from a caller,
 * extra INVITE headers and feature codes dialled by an agent.  The including test defines NAGENTS (and MEDIA_IP for its
 * fake dataplane); CHECK() reports sb-control's log, stops it, removes
 * the fake dataplane's segment (shm_name) and exits 1. */
#ifndef SB_TEST_CC_COMMON_H
#define SB_TEST_CC_COMMON_H

#include <sys/mman.h>
#include <time.h>

#include "sipc_auth.h"

/* the test's work directory, sb-control's log and PID, the fake
 * dataplane's shm segment: the test fills them in */
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

/* A passed test leaves nothing: its config, the database with SQLite's
 * WAL side files (left while the store's last connection is open), the
 * log, the work directory and the fake dataplane's segment. */
static void cc_remove_work(const char *cfg, const char *db)
{
	char side[160];

	unlink(cfg);
	unlink(db);
	snprintf(side, sizeof(side), "%s-wal", db);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", db);
	unlink(side);
	unlink(logp);
	rmdir(dir);
	shm_unlink(shm_name);
}

struct ua {
	struct sipc s;
	const char *name;
	char callid[256];
	char from[1100];
	char to[512];
	char ruri[256];
	unsigned cseq;
	char inv[8192];    /* agents: the INVITE being offered */
	char number[32];   /* callers: what it called */
	int inv_branch;    /* callers: branch number of its INVITE */
};

static struct ua ag[NAGENTS];
static struct ua callers[16];
static char caller_names[16][16];
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

/* Caller n sends its INVITE to number (extra: header lines "Name: v\n"
 * or ""), nothing awaited (a direct call to an agent rings only when the
 * agent does). */
static void call_send(int n, const char *number, const char *extra)
{
	struct ua *u = &callers[n];

	snprintf(u->callid, sizeof(u->callid), "queue-call-%d", n);
	snprintf(u->from, sizeof(u->from), "<sip:%s@127.0.0.1>;tag=c-%d", u->name, n);
	snprintf(u->number, sizeof(u->number), "%s", number);
	u->cseq = 10;
	u->inv_branch = ++branch_no;
	sipc_send(&u->s, "INVITE sip:%s@127.0.0.1:%u SIP/2.0\n"
			 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKinv%d;rport\n"
			 "Max-Forwards: 70\nFrom: %s\n"
			 "To: <sip:%s@127.0.0.1>\nCall-ID: %s\nCSeq: 10 INVITE\n"
			 "Contact: <sip:%s@127.0.0.1:%u>\n%s"
			 "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
		  number, u->s.server, u->s.port, u->inv_branch, u->from, number, u->callid,
		  u->name, u->s.port, extra, strlen(sdp(41000 + 2 * (unsigned)n)),
		  sdp(41000 + 2 * (unsigned)n));
}

/* ... and hears 180 (it waits in the queue). */
static void call_in_hdr(int n, const char *number, const char *extra)
{
	char buf[8192];

	call_send(n, number, extra);
	CHECK(sipc_expect_status(&callers[n].s, buf, sizeof(buf), 180, 3000) == 0);
}

static __attribute__((unused)) void call_in(int n, const char *number)
{
	call_in_hdr(n, number, "");
}

/* The waiting caller n gives up: CANCEL, 200 for it, 487 (ACKed). */
static __attribute__((unused)) void caller_cancel(int n)
{
	struct ua *u = &callers[n];
	char buf[8192], to[512];

	sipc_send(&u->s, "CANCEL sip:%s@127.0.0.1:%u SIP/2.0\n"
			 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKinv%d;rport\n"
			 "Max-Forwards: 70\nFrom: %s\n"
			 "To: <sip:%s@127.0.0.1>\nCall-ID: %s\nCSeq: 10 CANCEL\n"
			 "Content-Length: 0\n\n",
		  u->number, u->s.server, u->s.port, u->inv_branch, u->from, u->number, u->callid);
	do /* 200 for the CANCEL, then 487 for the INVITE */
		CHECK(sipc_recv(&u->s, buf, sizeof(buf), 3000) > 0);
	while (sip_status(buf) != 487);
	sip_hdr(buf, "To", to, sizeof(to));
	sipc_send(&u->s, "ACK sip:%s@127.0.0.1:%u SIP/2.0\n"
			 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKinv%d;rport\n"
			 "Max-Forwards: 70\nFrom: %s\nTo: %s\nCall-ID: %s\nCSeq: 10 ACK\n"
			 "Content-Length: 0\n\n",
		  u->number, u->s.server, u->s.port, u->inv_branch, u->from, to, u->callid);
}

/* Agent a is offered a call within ms; returns the caller index named in
 * its From (the B2BUA keeps the caller's user), -1 if none. */
static int offered(int a, int ms)
{
	char from[512], *p;

	CHECK(sipc_expect_method(&ag[a].s, ag[a].inv, sizeof(ag[a].inv), "INVITE", ms) == 0);
	CHECK(sip_hdr(ag[a].inv, "From", from, sizeof(from)) == 0);
	p = strstr(from, "caller");
	return p ? atoi(p + 6) : -1;
}

/* No INVITE reaches any agent for ms. */
static __attribute__((unused)) void no_offer(int ms)
{
	char buf[8192];
	uint64_t end = mono_ms() + (uint64_t)ms;

	for (int a = 0; a < NAGENTS; a++) {
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
/* u takes the INVITE it holds (u->inv): its side of the dialog (tag,
 * Call-ID, the Contact to send requests to) and a 200 with an SDP on
 * port; the ACK is not awaited. */
static void ua_send_200(struct ua *u, const char *tag, unsigned port)
{
	char v[512], contact[128];

	sip_hdr(u->inv, "To", v, sizeof(v));
	snprintf(u->from, sizeof(u->from), "%s;tag=%s", v, tag);
	sip_hdr(u->inv, "From", u->to, sizeof(u->to));
	sip_hdr(u->inv, "Call-ID", u->callid, sizeof(u->callid));
	contact_uri(u->inv, u->ruri, sizeof(u->ruri));
	u->cseq = 1;
	snprintf(contact, sizeof(contact), "Contact: <sip:%s@127.0.0.1:%u>\r\n", u->name,
		 u->s.port);
	sipc_respond(&u->s, u->inv, 200, "OK", tag, contact, sdp(port));
}

/* Agent a takes its offer for caller n: 200 (dialog tag "<prefix>a-n"),
 * the ACK awaited; nothing about the caller's side. */
static void agent_accept(int a, int n, const char *prefix)
{
	char buf[8192], tag[32];

	snprintf(tag, sizeof(tag), "%s%d-%d", prefix, a, n);
	ua_send_200(&ag[a], tag, 42000 + 2 * (unsigned)a);
	CHECK(sipc_expect_method(&ag[a].s, buf, sizeof(buf), "ACK", 2000) == 0);
}

/* The caller n gets the 200 (into buf) and ACKs it. */
static void caller_answered(int n, char *buf, size_t cap)
{
	struct ua *u = &callers[n];

	CHECK(sipc_expect_status(&u->s, buf, cap, 200, 2000) == 0);
	sip_hdr(buf, "To", u->to, sizeof(u->to));
	contact_uri(buf, u->ruri, sizeof(u->ruri));
	ua_ack(u, 10);
}

static void answer(int a, int n)
{
	char buf[8192];

	agent_accept(a, n, "ag");
	caller_answered(n, buf, sizeof(buf));
}

/* Agent a rings (180) and never answers: CANCEL within ms, 200 + 487. */
static __attribute__((unused)) void no_answer(int a, int ms)
{
	char buf[8192], tag[32];

	snprintf(tag, sizeof(tag), "ring-%d", ++branch_no);
	sipc_respond(&ag[a].s, ag[a].inv, 180, "Ringing", tag, NULL, NULL);
	CHECK(sipc_expect_method(&ag[a].s, buf, sizeof(buf), "CANCEL", ms) == 0);
	sipc_respond(&ag[a].s, buf, 200, "OK", NULL, NULL, NULL);
	sipc_respond(&ag[a].s, ag[a].inv, 487, "Request Terminated", tag, NULL, NULL);
}

static __attribute__((unused)) void caller_bye(int n, int a)
{
	char buf[8192];

	ua_req(&callers[n], "BYE");
	CHECK(sipc_expect_status(&callers[n].s, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sipc_expect_method(&ag[a].s, buf, sizeof(buf), "BYE", 2000) == 0);
	sipc_respond(&ag[a].s, buf, 200, "OK", NULL, NULL, NULL);
}

static void agent_bye(int a, int n)
{
	char buf[8192];

	ua_req(&ag[a], "BYE");
	CHECK(sipc_expect_status(&ag[a].s, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sipc_expect_method(&callers[n].s, buf, sizeof(buf), "BYE", 2000) == 0);
	sipc_respond(&callers[n].s, buf, 200, "OK", NULL, NULL, NULL);
}

/* u dials code from its socket (registered agent or not): the final
 * status (ACKed); its Reason header into reason (cap 256) when given.
 * A 401 (agents' INVITEs are authenticated) is answered once with the
 * digest of u->name / "secret". */
static __attribute__((unused)) int dial_code(struct ua *u, const char *code, char *reason)
{
	char buf[8192], to[512], authz[1024] = "", realm[64], nonce[64], uri[96];
	int st = 0, br = 0, cseq = 0;

	snprintf(uri, sizeof(uri), "sip:%s@127.0.0.1:%u", code, u->s.server);
	for (int round = 0; round < 2; round++) {
		br = ++branch_no;
		cseq++;
		sipc_send(&u->s, "INVITE %s SIP/2.0\n"
				 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKfc%d;rport\n"
				 "Max-Forwards: 70\nFrom: <sip:%s@127.0.0.1>;tag=fc%d\n"
				 "To: <sip:%s@127.0.0.1>\nCall-ID: fc-%s-%d\nCSeq: %d INVITE\n"
				 "Contact: <sip:%s@127.0.0.1:%u>\n%s"
				 "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
			  uri, u->s.port, br, u->name, br, code, u->name, br, cseq,
			  u->name, u->s.port, authz, strlen(sdp(43000)), sdp(43000));
		do {
			CHECK(sipc_recv(&u->s, buf, sizeof(buf), 2000) > 0);
			st = sip_status(buf);
		} while (st < 200);
		sip_hdr(buf, "To", to, sizeof(to));
		sipc_send(&u->s, "ACK %s SIP/2.0\n"
				 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKfc%d;rport\n"
				 "Max-Forwards: 70\nFrom: <sip:%s@127.0.0.1>;tag=fc%d\nTo: %s\n"
				 "Call-ID: fc-%s-%d\nCSeq: %d ACK\nContent-Length: 0\n\n",
			  uri, u->s.port, br, u->name, br, to, u->name, br, cseq);
		if (st != 401 || round)
			break;
		CHECK(sip_challenge(buf, "SHA-256", realm, nonce, NULL) == 0);
		sipc_authz(authz, sizeof(authz), "SHA-256", u->name, "secret", realm, nonce,
			   "INVITE", uri, 1, "0a4f113c");
	}
	if (reason && sip_hdr(buf, "Reason", reason, 256) != 0)
		reason[0] = '\0';
	return st;
}

/* Agent a (in a call) REFERs it to sip:target@127.0.0.1: 202. */
static __attribute__((unused)) void refer(int a, const char *target)
{
	struct ua *u = &ag[a];
	char buf[8192];

	sipc_send(&u->s, "REFER %s SIP/2.0\n"
			 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKq%d;rport\n"
			 "Max-Forwards: 70\nFrom: %s\nTo: %s\nCall-ID: %s\nCSeq: %u REFER\n"
			 "Refer-To: <sip:%s@127.0.0.1>\nReferred-By: <sip:%s@127.0.0.1>\n"
			 "Content-Length: 0\n\n",
		  u->ruri, u->s.port, ++branch_no, u->from, u->to, u->callid, ++u->cseq, target,
		  u->name);
	CHECK(sipc_expect_status(&u->s, buf, sizeof(buf), 202, 3000) == 0);
}

/* A NOTIFY (refer) to agent a whose sipfrag starts with frag: 200. */
static __attribute__((unused)) void expect_notify(int a, const char *frag)
{
	char req[8192];

	CHECK(sipc_expect_method(&ag[a].s, req, sizeof(req), "NOTIFY", 3000) == 0);
	CHECK(strncmp(sip_body(req), frag, strlen(frag)) == 0);
	sipc_respond(&ag[a].s, req, 200, "OK", NULL, NULL, NULL);
}

/* Agent a answers an INVITE that is not a queue offer to a caller (a
 * transfer target): 200, the ACK; its dialog kept for a BYE. */
static __attribute__((unused)) void answer_plain(int a)
{
	struct ua *g = &ag[a];
	char buf[8192], tag[32];

	CHECK(sipc_expect_method(&g->s, g->inv, sizeof(g->inv), "INVITE", 3000) == 0);
	snprintf(tag, sizeof(tag), "agp%d-%d", a, ++branch_no);
	ua_send_200(g, tag, 42100 + 2 * (unsigned)a);
	CHECK(sipc_expect_method(&g->s, buf, sizeof(buf), "ACK", 2000) == 0);
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

/* With sb-control started: callers 0..n_callers-1 ("caller<i>") on port
 * p_car and the agents (names[], password "secret") on p_agt; once it
 * answers OPTIONS, the agents register. */
static __attribute__((unused)) void uas_start(const char *const names[NAGENTS], int n_callers,
					      uint16_t p_car,
		      uint16_t p_agt)
{
	CHECK(n_callers <= (int)(sizeof(callers) / sizeof(callers[0])));
	for (int i = 0; i < n_callers; i++) {
		snprintf(caller_names[i], sizeof(caller_names[i]), "caller%d", i);
		callers[i].name = caller_names[i];
		sipc_open(&callers[i].s, p_car);
	}
	for (int a = 0; a < NAGENTS; a++) {
		ag[a].name = names[a];
		sipc_open(&ag[a].s, p_agt);
	}
	control_wait_up(&callers[0].s);
	usleep(100000);
	for (int a = 0; a < NAGENTS; a++)
		reg(&ag[a]);
}

#endif
