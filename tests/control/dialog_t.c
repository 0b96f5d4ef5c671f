/* SPDX-License-Identifier: MIT */
/* dialog_t — the two dialogs of a B2BUA call, end to end over real UDP.
 * sb-control runs as a child on 127.0.0.1; this process is the caller, the
 * agent and the "dataplane" (a thread answering commands on a real shm
 * segment and recording every LEG_MOD).
 *
 *  1. initial INVITE with Max-Forwards 10 reaches the agent with 9;
 *  2. re-INVITE from the caller (new RTP port, a=sendonly): relayed into
 *     the agent's dialog (its CSeq, its tags, Max-Forwards - 1, SDP on our
 *     agent leg), ACKed there, answer relayed back on our caller leg,
 *     LEG_MOD of both legs with the new ports, our 200 stops at the ACK;
 *  3. re-INVITE from the agent (resume, new port): into the caller's
 *     dialog (From = our tag, R-URI = the caller's Contact, CSeq 1);
 *  4. glare: the agent's re-INVITE while the caller's is pending -> 491;
 *  5. UPDATE from the agent relayed as UPDATE;
 *  6. hold with c=0.0.0.0: a=sendonly toward the agent, the caller's leg
 *     keeps its address;
 *  7. offerless re-INVITE answered with the session as it is;
 *  8. unknown dialog -> 481, CSeq going back -> 500, Max-Forwards 0 ->
 *     483 (in and out of dialog), OPTIONS in and out of dialog -> 200 with
 *     Allow/Accept/Supported, our own INVITE looping back -> 482, the
 *     caller's INVITE again by another branch (merged) -> 482;
 *     Record-Route turned into each side's route set (in order for the
 *     caller, reversed for the agent) and sent as Route;
 *  9. BYE from the caller: BYE in the agent's dialog with its next CSeq,
 *     one CDR.
 *
 * With "timers" (session timers, RFC 4028, session_expires 4 s, min_se 2):
 *  T1. Session-Expires below Min-SE -> 422 with Min-SE;
 *  T2. the caller's refresher=uac honoured in our 200 (Require: timer),
 *      the agent asked with Session-Expires/Min-SE; its 2xx says nothing
 *      so we refresh it: UPDATE at half the interval, refused 501 ->
 *      re-INVITE with our SDP, ACKed;
 *  T3. the caller refreshes once (UPDATE, 200 with Session-Expires), then
 *      stops: BYE to both sides, CDR hangup_by session_timer;
 *  T4. the agent answers our INVITE 422 with Min-SE 6: the INVITE again
 *      (same Call-ID and From tag, CSeq 2, Session-Expires/Min-SE 6).
 *
 *   dialog_t /path/to/sb-control [timers] */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "sb/dp_shm.h"

#include "cpdb.h"
#include "fake_dp.h"
#include "sipc_auth.h"

#define MEDIA_IP "203.0.113.10"

static char dir[64], logp[128], shm_name[64];
static pid_t pid;

static void fail_dump(const char *what, int line)
{
	control_fail_report(what, line, logp, pid);
	shm_unlink(shm_name);
	exit(1);
}

#define CHECK(c) do { if (!(c)) fail_dump(#c, __LINE__); } while (0)

/* ---- the fake dataplane ---- */

#define MAX_MODS FAKE_DP_MAX

static struct fake_dp_rec dp;

/* ---- SIP ---- */

static struct sipc caller, agent;

/* what each side knows of its dialog */
static char c_to[512];        /* To of the caller's dialog (with our tag) */
static char c_ruri[256];      /* our Contact in the 200 to the caller */
static unsigned c_cseq = 10;
static char a_from[1100];      /* the agent's From (its To of our INVITE + its tag) */
static char a_to[512];        /* the agent's To (our From) */
static char a_callid[256];
static char a_ruri[256];      /* our Contact in the INVITE */
static unsigned a_cseq = 1;
static unsigned port_a, port_b; /* our legs: toward the caller, toward the agent */
static int branch_no;
static int c_last_br, a_last_br; /* branch of each side's last request */

static const char *sdp(unsigned port, const char *dirattr, const char *ip)
{
	static char b[4][512];
	static int k;
	char *o = b[k++ & 3];

	snprintf(o, 512, "v=0\r\no=- 1 %u IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n"
		 "a=rtpmap:101 telephone-event/8000\r\n%s",
		 port, ip, port, dirattr);
	return o;
}

static void drain(struct sipc *c)
{
	char buf[8192];
	while (sipc_recv(c, buf, sizeof(buf), 50) > 0)
		;
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

static unsigned sdp_port(const char *msg)
{
	unsigned p = 0;
	const char *m = strstr(sip_body(msg), "m=audio ");

	CHECK(m && sscanf(m, "m=audio %u", &p) == 1);
	return p;
}

static void caller_req(const char *method, unsigned cseq, const char *extra, const char *body)
{
	sipc_send(&caller, "%s %s SIP/2.0\n"
			   "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKc%d;rport\n"
			   "%sFrom: <sip:alice@127.0.0.1>;tag=ct-1\nTo: %s\nCall-ID: dlg-1\n"
			   "CSeq: %u %s\nContact: <sip:alice@127.0.0.1:%u>\n%s%s"
			   "Content-Length: %zu\n\n%s",
		  method, c_ruri, caller.port, (c_last_br = ++branch_no),
		  extra && strstr(extra, "Max-Forwards") ? "" : "Max-Forwards: 70\n", c_to, cseq,
		  method, caller.port, extra ? extra : "",
		  body ? "Content-Type: application/sdp\n" : "", body ? strlen(body) : 0,
		  body ? body : "");
}

static void agent_req(const char *method, unsigned cseq, const char *body)
{
	sipc_send(&agent, "%s %s SIP/2.0\n"
			  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKa%d;rport\n"
			  "Max-Forwards: 70\nFrom: %s\nTo: %s\nCall-ID: %s\n"
			  "CSeq: %u %s\nContact: <sip:agent1@127.0.0.1:%u>\n%s"
			  "Content-Length: %zu\n\n%s",
		  method, a_ruri, agent.port, (a_last_br = ++branch_no), a_from, a_to, a_callid, cseq, method,
		  agent.port, body ? "Content-Type: application/sdp\n" : "",
		  body ? strlen(body) : 0, body ? body : "");
}

/* ACK of a 2xx: a new branch; of a non-2xx (same_br): the INVITE's */
static void caller_ack_br(unsigned cseq, bool same_br)
{
	sipc_send(&caller, "ACK %s SIP/2.0\n"
			   "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKc%d;rport\n"
			   "Max-Forwards: 70\nFrom: <sip:alice@127.0.0.1>;tag=ct-1\nTo: %s\n"
			   "Call-ID: dlg-1\nCSeq: %u ACK\nContent-Length: 0\n\n",
		  c_ruri, caller.port, same_br ? c_last_br : ++branch_no, c_to, cseq);
}

static void caller_ack(unsigned cseq)
{
	caller_ack_br(cseq, false);
}

static void agent_ack_br(unsigned cseq, bool same_br)
{
	sipc_send(&agent, "ACK %s SIP/2.0\n"
			  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKa%d;rport\n"
			  "Max-Forwards: 70\nFrom: %s\nTo: %s\nCall-ID: %s\nCSeq: %u ACK\n"
			  "Content-Length: 0\n\n",
		  a_ruri, agent.port, same_br ? a_last_br : ++branch_no, a_from, a_to, a_callid,
		  cseq);
}

static void agent_ack(unsigned cseq)
{
	agent_ack_br(cseq, false);
}

static bool has_hdr_val(const char *msg, const char *name, const char *want)
{
	char v[1024];
	return sip_hdr(msg, name, v, sizeof(v)) == 0 && strstr(v, want) != NULL;
}

static char up_hdrs[256];     /* extra lines of the caller's INVITE */
static char up_answer[8192];  /* our 200 to the caller */
static char up_invite[8192];  /* our INVITE to the agent */

static void call_up(void)
{
	char buf[8192], inv[8192], contact[300], v[512];

	sipc_send(&caller, "INVITE sip:800100@127.0.0.1:%u SIP/2.0\n"
			   "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKinv1;rport\n"
			   "Max-Forwards: 10\nFrom: <sip:alice@127.0.0.1>;tag=ct-1\n"
			   "To: <sip:800100@127.0.0.1>\nCall-ID: dlg-1\nCSeq: 10 INVITE\n"
			   "Contact: <sip:alice@127.0.0.1:%u>\n%s"
			   "Record-Route: <sip:rr1@127.0.0.1:%u;lr>, <sip:rr2@127.0.0.1:%u;lr>\n"
			   "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
		  caller.server, caller.port, caller.port, up_hdrs, caller.port, caller.port,
		  strlen(sdp(40000, "", "127.0.0.1")), sdp(40000, "", "127.0.0.1"));
	CHECK(sipc_expect_method(&agent, inv, sizeof(inv), "INVITE", 3000) == 0);
	/* 1. Max-Forwards of the caller minus one */
	CHECK(sip_hdr(inv, "Max-Forwards", v, sizeof(v)) == 0 && strcmp(v, "9") == 0);
	port_b = sdp_port(inv);
	snprintf(up_invite, sizeof(up_invite), "%s", inv);
	sip_hdr(inv, "To", v, sizeof(v));
	snprintf(a_from, sizeof(a_from), "%s;tag=ag-1", v);
	sip_hdr(inv, "From", a_to, sizeof(a_to));
	sip_hdr(inv, "Call-ID", a_callid, sizeof(a_callid));
	contact_uri(inv, a_ruri, sizeof(a_ruri));
	snprintf(contact, sizeof(contact), "Contact: <sip:agent1@127.0.0.1:%u>\r\n"
		 "Record-Route: <sip:ra1@127.0.0.1:%u;lr>\r\n"
		 "Record-Route: <sip:ra2@127.0.0.1:%u;lr>\r\n", agent.port, agent.port, agent.port);
	sipc_respond(&agent, inv, 200, "OK", "ag-1", contact, sdp(40002, "", "127.0.0.1"));
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	port_a = sdp_port(buf);
	snprintf(up_answer, sizeof(up_answer), "%s", buf);
	sip_hdr(buf, "To", c_to, sizeof(c_to));
	contact_uri(buf, c_ruri, sizeof(c_ruri));
	caller_ack(10);
	usleep(100000);
	drain(&caller);
	drain(&agent);
}

static void timers(const char *db)
{
	char buf[8192], req[8192], contact[300];
	bool bye_a = false, bye_b = false;

	/* T1. too small */
	sipc_send(&caller, "INVITE sip:800100@127.0.0.1 SIP/2.0\n"
			   "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKse1;rport\n"
			   "Max-Forwards: 70\nFrom: <sip:alice@127.0.0.1>;tag=se1\n"
			   "To: <sip:800100@127.0.0.1>\nCall-ID: se-1\nCSeq: 1 INVITE\n"
			   "Supported: timer\nSession-Expires: 1\n"
			   "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
		  caller.port, strlen(sdp(40030, "", "127.0.0.1")), sdp(40030, "", "127.0.0.1"));
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 422, 2000) == 0);
	CHECK(has_hdr_val(buf, "Min-SE", "2"));
	sipc_send(&caller, "ACK sip:800100@127.0.0.1 SIP/2.0\n"
			   "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKse1;rport\n"
			   "Max-Forwards: 70\nFrom: <sip:alice@127.0.0.1>;tag=se1\n"
			   "To: <sip:800100@127.0.0.1>\nCall-ID: se-1\nCSeq: 1 ACK\n"
			   "Content-Length: 0\n\n", caller.port);

	/* T2. up: the caller refreshes its side, we refresh the agent's */
	snprintf(up_hdrs, sizeof(up_hdrs), "Supported: timer\nSession-Expires: 4;refresher=uac\n");
	call_up();
	CHECK(has_hdr_val(up_answer, "Session-Expires", "4;refresher=uac"));
	CHECK(has_hdr_val(up_answer, "Require", "timer"));
	CHECK(has_hdr_val(up_invite, "Session-Expires", "4"));
	CHECK(has_hdr_val(up_invite, "Min-SE", "2"));
	CHECK(has_hdr_val(up_invite, "Supported", "timer"));
	snprintf(contact, sizeof(contact), "Contact: <sip:agent1@127.0.0.1:%u>\r\n", agent.port);

	/* T3 (first half). the caller refreshes at 1 s */
	usleep(1000000);
	caller_req("UPDATE", ++c_cseq, "Session-Expires: 4;refresher=uac\n", NULL);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(has_hdr_val(buf, "Session-Expires", "4;refresher=uac"));
	CHECK(strstr(sip_body(buf), "m=audio") == NULL);

	/* our refresh of the agent's side at 2 s: UPDATE, refused */
	CHECK(sipc_expect_method(&agent, req, sizeof(req), "UPDATE", 3000) == 0);
	CHECK(has_hdr_val(req, "Session-Expires", "4;refresher=uac"));
	CHECK(has_hdr_val(req, "CSeq", "2 UPDATE"));
	sipc_respond(&agent, req, 501, "Not Implemented", NULL, NULL, NULL);
	CHECK(sipc_expect_method(&agent, req, sizeof(req), "INVITE", 2000) == 0);
	CHECK(has_hdr_val(req, "CSeq", "3 INVITE"));
	CHECK(sdp_port(req) == port_b);
	sipc_respond(&agent, req, 200, "OK", NULL, contact, sdp(40002, "", "127.0.0.1"));
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(has_hdr_val(buf, "CSeq", "3 ACK"));

	/* T3. no refresh from the caller after 1 s: gone by 1 + 4 - 1 = 4 s */
	for (int i = 0; i < 40 && !(bye_a && bye_b); i++) {
		if (!bye_a && sipc_recv(&caller, buf, sizeof(buf), 50) > 0 && sip_is_method(buf, "BYE")) {
			sipc_respond(&caller, buf, 200, "OK", NULL, NULL, NULL);
			bye_a = true;
		}
		if (!bye_b && sipc_recv(&agent, buf, sizeof(buf), 50) > 0) {
			if (sip_is_method(buf, "BYE"))
				bye_b = true;
			if (!sip_is_method(buf, "ACK") && !sip_status(buf))
				sipc_respond(&agent, buf, 200, "OK", NULL, NULL, NULL);
		}
	}
	CHECK(bye_a && bye_b);
	usleep(300000);
	drain(&caller);
	drain(&agent);

	/* T4. the agent wants a longer interval: 422, INVITE again with it */
	sipc_send(&caller, "INVITE sip:800100@127.0.0.1 SIP/2.0\n"
			   "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKse422;rport\n"
			   "Max-Forwards: 70\nFrom: <sip:alice@127.0.0.1>;tag=se2\n"
			   "To: <sip:800100@127.0.0.1>\nCall-ID: se-2\nCSeq: 1 INVITE\n"
			   "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
		  caller.port, strlen(sdp(40030, "", "127.0.0.1")), sdp(40030, "", "127.0.0.1"));
	CHECK(sipc_expect_method(&agent, req, sizeof(req), "INVITE", 3000) == 0);
	CHECK(has_hdr_val(req, "CSeq", "1 INVITE") && has_hdr_val(req, "Session-Expires", "4"));
	{
		char cid[256], from[512], v[512];

		sip_hdr(req, "Call-ID", cid, sizeof(cid));
		sip_hdr(req, "From", from, sizeof(from));
		sipc_respond(&agent, req, 422, "Session Interval Too Small", "ag-422",
			     "Min-SE: 6\r\n", NULL);
		CHECK(sipc_expect_method(&agent, req, sizeof(req), "INVITE", 3000) == 0);
		CHECK(has_hdr_val(req, "CSeq", "2 INVITE"));
		CHECK(sip_hdr(req, "Call-ID", v, sizeof(v)) == 0 && strcmp(v, cid) == 0);
		CHECK(sip_hdr(req, "From", v, sizeof(v)) == 0 && strcmp(v, from) == 0);
		CHECK(has_hdr_val(req, "Session-Expires", "6") && has_hdr_val(req, "Min-SE", "6"));
		CHECK(strstr(sip_body(req), "m=audio ") != NULL);
	}
	sipc_respond(&agent, req, 486, "Busy Here", "ag-486", NULL, NULL);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 480, 3000) == 0);
	CHECK(control_stop(pid) == 0);
	pid = 0;
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='dlg-1' AND "
		    "hangup_by='session_timer'") == 1);
}

int main(int argc, char **argv)
{
	char inst[32], cfg[128], db[128], buf[8192], req[8192], v[1024], contact[300];
	uint16_t p_car, p_agt;
	int mark;

	bool timer_mode;

	if (argc < 2)
		return T_SKIP;
	timer_mode = argc > 2 && strcmp(argv[2], "timers") == 0;
	snprintf(inst, sizeof(inst), "sipgdlg%d", (int)getpid());
	snprintf(shm_name, sizeof(shm_name), "/switchboard.%s", inst);
	fake_dp_rec_start(&dp, inst, MEDIA_IP);

	cp_workdir("/tmp/sb_dialog_t", dir, cfg, db, logp);
	p_car = sipc_free_port();
	p_agt = sipc_free_port();
	cp_write_cfg(cfg, "instance: %s\nsip:\n  listen: [127.0.0.1:%u, 127.0.0.1:%u]\n"
			  "  session_expires: %u\n  min_se: %u\n  options_interval: 0\n"
			  "store:\n  sqlite: %s\n"
			  "agents:\n  - user: agent1\n    password: secret\n"
			  "hotlines:\n  - number: \"800100\"\n    agents: [agent1]\n",
		inst, p_car, p_agt, timer_mode ? 4 : 1800, timer_mode ? 2 : 90, db);

	pid = control_start(argv[1], cfg, logp);
	sipc_open(&caller, p_car);
	sipc_open(&agent, p_agt);
	control_wait_up(&caller);
	usleep(100000);
	{
		char ct[128];
		unsigned cseq = 1;

		snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u>;expires=300\n",
			 agent.port);
		CHECK(sipc_register(&agent, "SHA-256", "agent1", "secret", "agent-reg", &cseq, ct,
				    buf, sizeof(buf)) == 200);
	}
	snprintf(contact, sizeof(contact), "Contact: <sip:agent1@127.0.0.1:%u>\r\n", agent.port);

	if (timer_mode) {
		timers(db);
		fake_dp_rec_stop(&dp);
		shm_unlink(shm_name);
		snprintf(buf, sizeof(buf), "rm -rf %s", dir);
		T_ASSERT(system(buf) == 0);
		return 0;
	}

	/* ---------- 1. call up (Max-Forwards checked inside) ---------- */
	call_up();
	CHECK(port_a && port_b && port_a != port_b);

	/* ---------- 2. re-INVITE from the caller: new port, sendonly ---------- */
	mark = atomic_load(&dp.n_mod);
	caller_req("INVITE", ++c_cseq, NULL, sdp(40010, "a=sendonly\r\n", "127.0.0.1"));
	CHECK(sipc_expect_method(&agent, req, sizeof(req), "INVITE", 3000) == 0);
	CHECK(has_hdr_val(req, "CSeq", "2 INVITE"));
	CHECK(has_hdr_val(req, "Call-ID", a_callid));
	CHECK(has_hdr_val(req, "To", "tag=ag-1"));
	CHECK(sip_hdr(req, "From", v, sizeof(v)) == 0 && strcmp(v, a_to) == 0);
	CHECK(sip_hdr(req, "Max-Forwards", v, sizeof(v)) == 0 && strcmp(v, "69") == 0);
	CHECK(strncmp(req, "INVITE sip:agent1@127.0.0.1:", 28) == 0); /* its Contact */
	/* route set from the 2xx's Record-Route, reversed (RFC 3261 12.1.2) */
	snprintf(v, sizeof(v), "\r\nRoute: <sip:ra2@127.0.0.1:%u;lr>\r\n"
		 "Route: <sip:ra1@127.0.0.1:%u;lr>\r\n", agent.port, agent.port);
	CHECK(strstr(req, v) != NULL);
	CHECK(sdp_port(req) == port_b);
	CHECK(strstr(sip_body(req), "c=IN IP4 " MEDIA_IP) != NULL);
	CHECK(strstr(sip_body(req), "a=sendonly") != NULL);
	sipc_respond(&agent, req, 200, "OK", NULL, contact, sdp(40012, "a=recvonly\r\n", "127.0.0.1"));
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(has_hdr_val(buf, "CSeq", "2 ACK"));
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(has_hdr_val(buf, "CSeq", "11 INVITE"));
	CHECK(sdp_port(buf) == port_a);
	CHECK(strstr(sip_body(buf), "a=recvonly") != NULL);
	CHECK(strstr(sip_body(buf), "c=IN IP4 " MEDIA_IP) != NULL);
	CHECK(fake_dp_rec_find_mod(&dp, mark, port_a, 40010) != NULL);
	CHECK(fake_dp_rec_find_mod(&dp, mark, port_b, 40012) != NULL);
	caller_ack(c_cseq);
	/* ACKed: no 200 retransmission (T1 = 500 ms) */
	CHECK(sipc_recv(&caller, buf, sizeof(buf), 1200) < 0);

	/* ---------- 3. re-INVITE from the agent: resume, new port ---------- */
	mark = atomic_load(&dp.n_mod);
	agent_req("INVITE", ++a_cseq, sdp(40014, "", "127.0.0.1"));
	CHECK(sipc_expect_method(&caller, req, sizeof(req), "INVITE", 3000) == 0);
	snprintf(v, sizeof(v), "INVITE sip:alice@127.0.0.1:%u SIP/2.0", caller.port);
	CHECK(strncmp(req, v, strlen(v)) == 0);
	/* route set from the INVITE's Record-Route, in order (12.1.1) */
	snprintf(v, sizeof(v), "\r\nRoute: <sip:rr1@127.0.0.1:%u;lr>\r\n"
		 "Route: <sip:rr2@127.0.0.1:%u;lr>\r\n", caller.port, caller.port);
	CHECK(strstr(req, v) != NULL);
	CHECK(has_hdr_val(req, "CSeq", "1 INVITE"));
	CHECK(has_hdr_val(req, "Call-ID", "dlg-1"));
	CHECK(has_hdr_val(req, "To", "tag=ct-1"));
	{
		const char *t = strstr(c_to, "tag=");

		CHECK(t && has_hdr_val(req, "From", t));
	}
	CHECK(sdp_port(req) == port_a);
	CHECK(strstr(sip_body(req), "a=sendonly") == NULL && strstr(sip_body(req), "a=recvonly") == NULL);
	snprintf(v, sizeof(v), "Contact: <sip:alice@127.0.0.1:%u>\r\n", caller.port);
	sipc_respond(&caller, req, 200, "OK", NULL, v, sdp(40016, "", "127.0.0.1"));
	CHECK(sipc_expect_method(&caller, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(has_hdr_val(buf, "CSeq", "1 ACK"));
	CHECK(sipc_expect_status(&agent, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sdp_port(buf) == port_b);
	CHECK(fake_dp_rec_find_mod(&dp, mark, port_b, 40014) != NULL);
	CHECK(fake_dp_rec_find_mod(&dp, mark, port_a, 40016) != NULL);
	agent_ack(a_cseq);
	usleep(100000);
	drain(&caller);
	drain(&agent);

	/* ---------- 4. glare ---------- */
	caller_req("INVITE", ++c_cseq, NULL, sdp(40016, "", "127.0.0.1"));
	CHECK(sipc_expect_method(&agent, req, sizeof(req), "INVITE", 3000) == 0);
	CHECK(has_hdr_val(req, "CSeq", "3 INVITE"));
	agent_req("INVITE", ++a_cseq, sdp(40014, "", "127.0.0.1"));
	CHECK(sipc_expect_status(&agent, buf, sizeof(buf), 491, 2000) == 0);
	agent_ack_br(a_cseq, true); /* ACK of the 491: its transaction's */
	sipc_respond(&agent, req, 200, "OK", NULL, contact, sdp(40014, "", "127.0.0.1"));
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(has_hdr_val(buf, "CSeq", "3 ACK"));
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	caller_ack(c_cseq);

	/* ---------- 5. UPDATE from the agent ---------- */
	mark = atomic_load(&dp.n_mod);
	agent_req("UPDATE", ++a_cseq, sdp(40020, "", "127.0.0.1"));
	CHECK(sipc_expect_method(&caller, req, sizeof(req), "UPDATE", 3000) == 0);
	CHECK(has_hdr_val(req, "CSeq", "2 UPDATE"));
	CHECK(sdp_port(req) == port_a);
	sipc_respond(&caller, req, 200, "OK", NULL, NULL, sdp(40016, "", "127.0.0.1"));
	CHECK(sipc_expect_status(&agent, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(has_hdr_val(buf, "CSeq", " UPDATE"));
	CHECK(sdp_port(buf) == port_b);
	CHECK(fake_dp_rec_find_mod(&dp, mark, port_b, 40020) != NULL);

	/* ---------- 6. hold with c=0.0.0.0 from the caller ---------- */
	mark = atomic_load(&dp.n_mod);
	caller_req("INVITE", ++c_cseq, NULL, sdp(40016, "", "0.0.0.0"));
	CHECK(sipc_expect_method(&agent, req, sizeof(req), "INVITE", 3000) == 0);
	CHECK(has_hdr_val(req, "CSeq", "4 INVITE"));
	CHECK(strstr(sip_body(req), "a=sendonly") != NULL);
	CHECK(strstr(sip_body(req), "0.0.0.0") == NULL);
	sipc_respond(&agent, req, 200, "OK", NULL, contact, sdp(40020, "a=recvonly\r\n", "127.0.0.1"));
	CHECK(sipc_expect_method(&agent, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	caller_ack(c_cseq);
	{
		const struct sb_cmd_leg *lm = fake_dp_rec_find_mod(&dp, mark, port_a, 0);

		CHECK(lm != NULL && lm->peer_ip != 0); /* the caller's leg keeps its peer */
	}

	/* ---------- 7. offerless re-INVITE: the session as it is ---------- */
	caller_req("INVITE", ++c_cseq, NULL, NULL);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sdp_port(buf) == port_a);
	caller_ack(c_cseq);
	CHECK(sipc_recv(&agent, buf, sizeof(buf), 300) < 0); /* not relayed */

	/* ---------- 8. errors, OPTIONS, loops ---------- */
	{
		char bad_to[512];

		snprintf(bad_to, sizeof(bad_to), "<sip:800100@127.0.0.1>;tag=nosuchtag");
		sipc_send(&caller, "BYE %s SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKbad1;rport\n"
				   "Max-Forwards: 70\nFrom: <sip:alice@127.0.0.1>;tag=ct-1\nTo: %s\n"
				   "Call-ID: dlg-1\nCSeq: 99 BYE\nContent-Length: 0\n\n",
			  c_ruri, caller.port, bad_to);
		CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 481, 2000) == 0);
		sipc_send(&caller, "BYE %s SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKbad2;rport\n"
				   "Max-Forwards: 70\nFrom: <sip:alice@127.0.0.1>;tag=ct-1\nTo: %s\n"
				   "Call-ID: no-such-call\nCSeq: 99 BYE\nContent-Length: 0\n\n",
			  c_ruri, caller.port, c_to);
		CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 481, 2000) == 0);
	}
	caller_req("OPTIONS", ++c_cseq, NULL, NULL);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(has_hdr_val(buf, "Allow", "UPDATE") && has_hdr_val(buf, "Allow", "INVITE"));
	CHECK(sip_hdr(buf, "Supported", v, sizeof(v)) == 0);
	CHECK(has_hdr_val(buf, "Accept", "application/sdp"));
	caller_req("INFO", 5, NULL, NULL); /* CSeq went back */
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 500, 2000) == 0);
	caller_req("INVITE", ++c_cseq, "Max-Forwards: 0\n", sdp(40016, "", "127.0.0.1"));
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 483, 2000) == 0);
	caller_ack_br(c_cseq, true);
	CHECK(sipc_recv(&agent, buf, sizeof(buf), 200) < 0);
	sipc_send(&caller, "OPTIONS sip:800100@127.0.0.1 SIP/2.0\n"
			   "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKopt1;rport\n"
			   "From: <sip:t@127.0.0.1>;tag=o1\nTo: <sip:800100@127.0.0.1>\n"
			   "Call-ID: opt-1\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n", caller.port);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(has_hdr_val(buf, "Allow", "UPDATE") && has_hdr_val(buf, "Accept", "application/sdp"));
	CHECK(sip_hdr(buf, "Supported", v, sizeof(v)) == 0);
	sipc_send(&caller, "INVITE sip:800100@127.0.0.1 SIP/2.0\n"
			   "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKmf0;rport\n"
			   "Max-Forwards: 0\nFrom: <sip:alice@127.0.0.1>;tag=mf0\n"
			   "To: <sip:800100@127.0.0.1>\nCall-ID: mf-0\nCSeq: 1 INVITE\n"
			   "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
		  caller.port, strlen(sdp(40030, "", "127.0.0.1")), sdp(40030, "", "127.0.0.1"));
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 483, 2000) == 0);
	/* our INVITE to the agent, come back (as if its Contact pointed at us) */
	sipc_send(&caller, "INVITE %s SIP/2.0\n"
			   "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKloop;rport\n"
			   "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKours;rport\n"
			   "Max-Forwards: 68\nFrom: %s\nTo: <sip:agent1@127.0.0.1>\nCall-ID: %s\n"
			   "CSeq: 1 INVITE\nContent-Type: application/sdp\nContent-Length: %zu\n\n%s",
		  c_ruri, caller.port, p_agt, a_to, a_callid, strlen(sdp(40030, "", "127.0.0.1")),
		  sdp(40030, "", "127.0.0.1"));
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 482, 2000) == 0);
	/* the caller's INVITE again by another branch (merged request) */
	sipc_send(&caller, "INVITE sip:800100@127.0.0.1 SIP/2.0\n"
			   "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKmerged;rport\n"
			   "Max-Forwards: 70\nFrom: <sip:alice@127.0.0.1>;tag=ct-1\n"
			   "To: <sip:800100@127.0.0.1>\nCall-ID: dlg-1\nCSeq: 10 INVITE\n"
			   "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
		  caller.port, strlen(sdp(40030, "", "127.0.0.1")), sdp(40030, "", "127.0.0.1"));
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 482, 2000) == 0);
	sipc_send(&caller, "ACK sip:800100@127.0.0.1 SIP/2.0\n"
			   "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKmerged;rport\n"
			   "Max-Forwards: 70\nFrom: <sip:alice@127.0.0.1>;tag=ct-1\n"
			   "To: %s\nCall-ID: dlg-1\nCSeq: 10 ACK\nContent-Length: 0\n\n",
		  caller.port, (sip_hdr(buf, "To", v, sizeof(v)), v));
	CHECK(sipc_recv(&agent, buf, sizeof(buf), 200) < 0);

	/* ---------- 9. BYE from the caller, in the agent's dialog ---------- */
	caller_req("BYE", ++c_cseq, NULL, NULL);
	CHECK(sipc_expect_status(&caller, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sipc_expect_method(&agent, req, sizeof(req), "BYE", 3000) == 0);
	CHECK(has_hdr_val(req, "CSeq", "5 BYE"));
	CHECK(has_hdr_val(req, "To", "tag=ag-1"));
	CHECK(has_hdr_val(req, "Call-ID", a_callid));
	sipc_respond(&agent, req, 200, "OK", NULL, NULL, NULL);
	usleep(300000);

	CHECK(control_stop(pid) == 0);
	pid = 0;
	fake_dp_rec_stop(&dp);
	shm_unlink(shm_name);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr") == 1);
	{ /* the counters at shutdown: every case above counted once */
		char line[1024];
		bool found = false;
		FILE *lf = fopen(logp, "r");

		CHECK(lf != NULL);
		while (!found && fgets(line, sizeof(line), lf))
			found = strstr(line, "dialogs: 7 re-INVITEs, 1 UPDATEs") &&
				strstr(line, "1 glare (491), 2 no dialog (481), 1 CSeq out of order "
					     "(500), 2 Max-Forwards 0 (483), 2 loops (482)");
		fclose(lf);
		CHECK(found);
	}
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='dlg-1' AND hangup_by='caller' AND "
		    "status=200") == 1);

	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	T_ASSERT(system(buf) == 0);
	return 0;
}
