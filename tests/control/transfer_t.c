/* SPDX-License-Identifier: MIT */
/* transfer_t — blind transfer by REFER (RFC 3515) in the B2BUA, end to end
 * over real UDP.  sb-control runs as a child on 127.0.0.1; this process is
 * the caller, two agents and the "dataplane" (a thread answering commands
 * on a real shm segment, recording every LEG_MOD and counting CONNECTs).
 *
 *  1. call up: caller -> 800100 -> agent1;
 *  2. REFER from the caller's side -> 403; without Refer-To, with a bad
 *     one or a Replaces without from-tag -> 400; Replaces naming no
 *     dialog of ours -> 202, NOTIFY 100, NOTIFY 481;
 *  3. REFER to a name nobody has -> 202, NOTIFY "100 Trying" (Event: refer,
 *     active, message/sipfrag), NOTIFY "404 Not Found" (terminated);
 *  4. REFER to agent2 which answers 486 -> NOTIFY "486 Busy Here"; the
 *     call goes on with agent1 (a re-INVITE from the caller reaches it);
 *  5. REFER to agent2 which answers: its INVITE offers OUR AGENT-SIDE LEG
 *     (same port, media address, Referred-By agent1); 200 -> ACK, LEG_MOD
 *     of that leg to agent2's port, no new CONNECT, no re-INVITE to the
 *     caller, NOTIFY "200 OK" terminated;reason=noresource to agent1;
 *     agent1 does not hang up: our BYE reaches it after ~4 s; the
 *     caller's re-INVITE now goes to agent2;
 *  6. agent2 transfers to the hotline number 800100 (-> agent1, free
 *     again) and hangs up right after the 202: answered, the call goes
 *     on, agent1 takes it, agent2 gets no NOTIFY nor BYE;
 *  7. INVITE with Replaces: naming no dialog -> 481; naming the caller's
 *     dialog with early-only -> 486, without -> 501 (not supported); a
 *     carrier calling an agent by name -> 404 (only agents may);
 *  8. attended: agent1 calls agent2 by name (digest, as agents' INVITEs
 *     are), agent2 answers (the consultation); agent1 REFERs in the
 *     customer call with ?Replaces= naming its consultation dialog: 202,
 *     NOTIFY 100, BYE to agent1 in the consultation, NOTIFY 200; the
 *     caller's leg re-mapped and CONNECTed to agent2's leg (LEG_MOD both,
 *     one CONNECT, the two agent1-facing legs deleted); the caller hears
 *     nothing; REFER with Replaces naming a dialog that is not agent1's ->
 *     NOTIFY 481;
 *  9. a media timeout of agent2's leg (an event naming the consultation
 *     call, which took it) hangs up the joined call: BYE to agent2 in its
 *     consultation dialog and to the caller; CDRs: the customer call with
 *     agent agent2, transferred_by agent1, status 200, hangup_by
 *     media_timeout; the consultation with hangup_by transfer.
 *
 *   transfer_t /path/to/sb-control */
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

/* One UA's view of its dialog with sb-control. */
struct ua {
	struct sipc s;
	const char *name;
	char callid[256];
	char from[1100];   /* its own From (with its tag) */
	char to[512];      /* sb-control's (with our tag) */
	char ruri[256];    /* sb-control's Contact */
	unsigned cseq;
};

static struct ua caller = { .name = "alice" }, ag1 = { .name = "agent1" },
		 ag2 = { .name = "agent2" };
static int branch_no;
static unsigned port_a, port_b; /* our legs: toward the caller, toward the agents */
static unsigned port_cb;        /* the consultation's leg toward agent2 */

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

/* The caller offers PCMU first: the agents answer PCMA, the codec then
 * in use, which a transfer target must be offered alone. */
static const char *csdp(unsigned port)
{
	static char b[512];

	snprintf(b, sizeof(b), "v=0\r\no=- 1 %u IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
		 "t=0 0\r\nm=audio %u RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n"
		 "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n", port, port);
	return b;
}

static void drain(struct ua *u)
{
	char buf[8192];

	while (sipc_recv(&u->s, buf, sizeof(buf), 50) > 0)
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

static bool has_hdr_val(const char *msg, const char *name, const char *want)
{
	char v[1024];

	return sip_hdr(msg, name, v, sizeof(v)) == 0 && strstr(v, want) != NULL;
}

/* A request in u's dialog; extra: header lines ("\n" ends each). */
static void ua_req(struct ua *u, const char *method, const char *extra, const char *body)
{
	sipc_send(&u->s, "%s %s SIP/2.0\n"
			 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKx%d;rport\n"
			 "Max-Forwards: 70\nFrom: %s\nTo: %s\nCall-ID: %s\nCSeq: %u %s\n"
			 "Contact: <sip:%s@127.0.0.1:%u>\n%s%sContent-Length: %zu\n\n%s",
		  method, u->ruri, u->s.port, ++branch_no, u->from, u->to, u->callid, ++u->cseq,
		  method, u->name, u->s.port, extra ? extra : "",
		  body ? "Content-Type: application/sdp\n" : "", body ? strlen(body) : 0,
		  body ? body : "");
}

static void ua_ack(struct ua *u, unsigned cseq)
{
	sipc_send(&u->s, "ACK %s SIP/2.0\n"
			 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKx%d;rport\n"
			 "Max-Forwards: 70\nFrom: %s\nTo: %s\nCall-ID: %s\nCSeq: %u ACK\n"
			 "Content-Length: 0\n\n",
		  u->ruri, u->s.port, ++branch_no, u->from, u->to, u->callid, cseq);
}

/* The agent u answers INVITE inv 200 from media port mport: its dialog. */
static void agent_answer(struct ua *u, const char *inv, const char *tag, unsigned mport)
{
	char v[512], contact[128];

	sip_hdr(inv, "To", v, sizeof(v));
	snprintf(u->from, sizeof(u->from), "%s;tag=%s", v, tag);
	sip_hdr(inv, "From", u->to, sizeof(u->to));
	sip_hdr(inv, "Call-ID", u->callid, sizeof(u->callid));
	contact_uri(inv, u->ruri, sizeof(u->ruri));
	u->cseq = 1;
	snprintf(contact, sizeof(contact), "Contact: <sip:%s@127.0.0.1:%u>\r\n", u->name,
		 u->s.port);
	sipc_respond(&u->s, inv, 200, "OK", tag, contact, sdp(mport));
}

/* NOTIFY to the transferor u: its sipfrag line and state; answered 200. */
static void expect_notify(struct ua *u, const char *frag, bool final)
{
	char req[8192];

	CHECK(sipc_expect_method(&u->s, req, sizeof(req), "NOTIFY", 3000) == 0);
	CHECK(has_hdr_val(req, "Call-ID", u->callid));
	CHECK(has_hdr_val(req, "Event", "refer"));
	CHECK(has_hdr_val(req, "Content-Type", "message/sipfrag"));
	CHECK(has_hdr_val(req, "Subscription-State",
			  final ? "terminated;reason=noresource" : "active"));
	CHECK(strncmp(sip_body(req), frag, strlen(frag)) == 0);
	sipc_respond(&u->s, req, 200, "OK", NULL, NULL, NULL);
}

static void refer(struct ua *u, const char *refer_to, int want)
{
	char buf[8192], h[512];

	if (refer_to)
		snprintf(h, sizeof(h), "Refer-To: %s\nReferred-By: <sip:%s@127.0.0.1>\n", refer_to,
			 u->name);
	else
		h[0] = '\0';
	ua_req(u, "REFER", h, NULL);
	CHECK(sipc_expect_status(&u->s, buf, sizeof(buf), want, 3000) == 0);
	CHECK(has_hdr_val(buf, "CSeq", "REFER"));
}

/* agent1 calls agent2 by name (CSeq and branch n; authz: its digest) */
static void cons_invite(int n, const char *authz)
{
	sipc_send(&ag1.s, "INVITE sip:agent2@127.0.0.1:%u SIP/2.0\n"
			  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKcons%d;rport\n"
			  "Max-Forwards: 70\nFrom: <sip:agent1@127.0.0.1>;tag=cons-1\n"
			  "To: <sip:agent2@127.0.0.1>\nCall-ID: cons-1\nCSeq: %d INVITE\n"
			  "Contact: <sip:agent1@127.0.0.1:%u>\n%s"
			  "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
		  ag1.s.server, ag1.s.port, n, n, ag1.s.port, authz, strlen(sdp(40300)),
		  sdp(40300));
}

static void call_up(void)
{
	char buf[8192], inv[8192];

	sipc_send(&caller.s, "INVITE sip:800100@127.0.0.1:%u SIP/2.0\n"
			     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKinv1;rport\n"
			     "Max-Forwards: 70\nFrom: <sip:alice@127.0.0.1>;tag=ct-1\n"
			     "To: <sip:800100@127.0.0.1>\nCall-ID: xfer-1\nCSeq: 10 INVITE\n"
			     "Contact: <sip:alice@127.0.0.1:%u>\n"
			     "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
		  caller.s.server, caller.s.port, caller.s.port, strlen(csdp(40000)), csdp(40000));
	CHECK(sipc_expect_method(&ag1.s, inv, sizeof(inv), "INVITE", 3000) == 0);
	port_b = sdp_port(inv);
	agent_answer(&ag1, inv, "ag1-1", 40002);
	CHECK(sipc_expect_method(&ag1.s, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(sipc_expect_status(&caller.s, buf, sizeof(buf), 200, 2000) == 0);
	port_a = sdp_port(buf);
	snprintf(caller.from, sizeof(caller.from), "<sip:alice@127.0.0.1>;tag=ct-1");
	sip_hdr(buf, "To", caller.to, sizeof(caller.to));
	snprintf(caller.callid, sizeof(caller.callid), "xfer-1");
	contact_uri(buf, caller.ruri, sizeof(caller.ruri));
	caller.cseq = 10;
	ua_ack(&caller, 10);
	usleep(100000);
	drain(&caller);
	drain(&ag1);
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
	char inst[32], cfg[128], db[128], buf[8192], req[8192], old_callid[256];
	uint16_t p_car, p_agt;
	int mark, connects;

	if (argc < 2)
		return T_SKIP;
	snprintf(inst, sizeof(inst), "sbxfer%d", (int)getpid());
	snprintf(shm_name, sizeof(shm_name), "/switchboard.%s", inst);
	fake_dp_rec_start(&dp, inst, MEDIA_IP);

	cp_workdir("/tmp/sb_transfer_t", dir, cfg, db, logp);
	p_car = sipc_free_port();
	p_agt = sipc_free_port();
	cp_write_cfg(cfg, "instance: %s\nsip:\n  listen: [127.0.0.1:%u, 127.0.0.1:%u]\n"
			  "  options_interval: 0\n"
			  "store:\n  sqlite: %s\n"
			  "agents:\n  - user: agent1\n    password: secret\n"
			  "  - user: agent2\n    password: secret\n"
			  "hotlines:\n  - number: \"800100\"\n    agents: [agent1]\n",
		inst, p_car, p_agt, db);

	pid = control_start(argv[1], cfg, logp);
	sipc_open(&caller.s, p_car);
	sipc_open(&ag1.s, p_agt);
	sipc_open(&ag2.s, p_agt);
	control_wait_up(&caller.s);
	usleep(100000);
	reg(&ag1);
	reg(&ag2);

	/* ---------- 1. call up ---------- */
	call_up();
	CHECK(port_a && port_b && port_a != port_b);
	connects = atomic_load(&dp.n_connect);
	CHECK(connects == 1);

	/* ---------- 2. refused REFERs ---------- */
	refer(&caller, "<sip:agent2@127.0.0.1>", 403);
	refer(&ag1, NULL, 400);
	refer(&ag1, "<sip:agent2@127.0.0.1", 400);
	refer(&ag1, "<sip:agent2@127.0.0.1?Replaces=a%3Bto-tag%3Db>", 400);
	/* Replaces naming no dialog of ours: accepted, then NOTIFY 481 */
	refer(&ag1, "<sip:agent2@127.0.0.1?Replaces=a%3Bto-tag%3Db%3Bfrom-tag%3Dc>", 202);
	expect_notify(&ag1, "SIP/2.0 100 Trying\r\n", false);
	expect_notify(&ag1, "SIP/2.0 481 ", true);

	/* ---------- 3. nobody of that name ---------- */
	refer(&ag1, "<sip:nobody@127.0.0.1>", 202);
	expect_notify(&ag1, "SIP/2.0 100 Trying\r\n", false);
	expect_notify(&ag1, "SIP/2.0 404 Not Found\r\n", true);

	/* ---------- 4. agent2 busy: the call goes on with agent1 ---------- */
	refer(&ag1, "<sip:agent2@127.0.0.1>", 202);
	expect_notify(&ag1, "SIP/2.0 100 Trying\r\n", false);
	CHECK(sipc_expect_method(&ag2.s, req, sizeof(req), "INVITE", 3000) == 0);
	sipc_respond(&ag2.s, req, 486, "Busy Here", "ag2-busy", NULL, NULL);
	CHECK(sipc_expect_method(&ag2.s, buf, sizeof(buf), "ACK", 2000) == 0);
	expect_notify(&ag1, "SIP/2.0 486 Busy Here\r\n", true);
	ua_req(&caller, "INVITE", NULL, sdp(40000));
	CHECK(sipc_expect_method(&ag1.s, req, sizeof(req), "INVITE", 3000) == 0);
	CHECK(has_hdr_val(req, "Call-ID", ag1.callid));
	sipc_respond(&ag1.s, req, 200, "OK", NULL, NULL, sdp(40002));
	CHECK(sipc_expect_method(&ag1.s, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(sipc_expect_status(&caller.s, buf, sizeof(buf), 200, 2000) == 0);
	ua_ack(&caller, caller.cseq);
	usleep(100000);
	drain(&caller);

	/* ---------- 5. blind transfer to agent2 ---------- */
	mark = atomic_load(&dp.n_mod);
	refer(&ag1, "\"Agent 2\" <sip:agent2@127.0.0.1;transport=udp>", 202);
	expect_notify(&ag1, "SIP/2.0 100 Trying\r\n", false);
	CHECK(sipc_expect_method(&ag2.s, req, sizeof(req), "INVITE", 3000) == 0);
	CHECK(strncmp(req, "INVITE sip:agent2@127.0.0.1:", 28) == 0); /* its Contact */
	CHECK(sdp_port(req) == port_b);             /* the leg that faced agent1 */
	CHECK(strstr(sip_body(req), "c=IN IP4 " MEDIA_IP) != NULL);
	CHECK(strstr(sip_body(req), "RTP/AVP 8 101\r\n") != NULL); /* PCMA only, + DTMF */
	CHECK(strstr(sip_body(req), "PCMU") == NULL);
	CHECK(has_hdr_val(req, "Referred-By", "agent1"));
	CHECK(!has_hdr_val(req, "Call-ID", ag1.callid));
	snprintf(old_callid, sizeof(old_callid), "%s", ag1.callid);
	agent_answer(&ag2, req, "ag2-1", 40100);
	CHECK(sipc_expect_method(&ag2.s, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(has_hdr_val(buf, "CSeq", "1 ACK") && has_hdr_val(buf, "To", "tag=ag2-1"));
	{ /* the agent leg now sends to agent2: LEG_MOD, no new CONNECT */
		const struct sb_cmd_leg *lm = fake_dp_rec_find_mod(&dp, mark, port_b, 40100);

		CHECK(lm != NULL);
		CHECK(lm->peer_ip == htonl(INADDR_LOOPBACK));
	}
	expect_notify(&ag1, "SIP/2.0 200 OK\r\n", true);
	CHECK(atomic_load(&dp.n_connect) == connects);
	CHECK(sipc_recv(&caller.s, buf, sizeof(buf), 300) < 0); /* no re-INVITE, no BYE */
	/* agent1 does not hang up: our BYE within XFER_BYE_MS (4 s), in its
	 * old dialog; the call goes on */
	CHECK(sipc_expect_method(&ag1.s, req, sizeof(req), "BYE", 6000) == 0);
	CHECK(has_hdr_val(req, "Call-ID", old_callid) && has_hdr_val(req, "To", "tag=ag1-1"));
	sipc_respond(&ag1.s, req, 200, "OK", NULL, NULL, NULL);
	CHECK(sipc_recv(&caller.s, buf, sizeof(buf), 300) < 0);
	CHECK(sipc_recv(&ag2.s, buf, sizeof(buf), 100) < 0);
	/* the caller's re-INVITE now reaches agent2 in its dialog */
	ua_req(&caller, "INVITE", NULL, sdp(40000));
	CHECK(sipc_expect_method(&ag2.s, req, sizeof(req), "INVITE", 3000) == 0);
	CHECK(has_hdr_val(req, "Call-ID", ag2.callid) && has_hdr_val(req, "CSeq", "2 INVITE"));
	CHECK(sdp_port(req) == port_b);
	sipc_respond(&ag2.s, req, 200, "OK", NULL, NULL, sdp(40100));
	CHECK(sipc_expect_method(&ag2.s, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(sipc_expect_status(&caller.s, buf, sizeof(buf), 200, 2000) == 0);
	ua_ack(&caller, caller.cseq);
	usleep(100000);
	drain(&caller);

	/* ---------- 6. agent2 -> hotline 800100 (agent1), hangs up at once ---------- */
	mark = atomic_load(&dp.n_mod);
	refer(&ag2, "<sip:800100@127.0.0.1>", 202);
	expect_notify(&ag2, "SIP/2.0 100 Trying\r\n", false);
	CHECK(sipc_expect_method(&ag1.s, req, sizeof(req), "INVITE", 3000) == 0);
	ua_req(&ag2, "BYE", NULL, NULL); /* before the target answers */
	CHECK(sipc_expect_status(&ag2.s, buf, sizeof(buf), 200, 2000) == 0);
	CHECK(sipc_recv(&caller.s, buf, sizeof(buf), 200) < 0);
	CHECK(sdp_port(req) == port_b);
	CHECK(has_hdr_val(req, "Referred-By", "agent2"));
	CHECK(!has_hdr_val(req, "Call-ID", old_callid));
	agent_answer(&ag1, req, "ag1-2", 40200);
	CHECK(sipc_expect_method(&ag1.s, buf, sizeof(buf), "ACK", 2000) == 0);
	CHECK(fake_dp_rec_find_mod(&dp, mark, port_b, 40200) != NULL);
	/* agent2 is gone: no NOTIFY, no BYE for it; the caller hears nothing */
	CHECK(sipc_recv(&ag2.s, buf, sizeof(buf), 500) < 0);
	CHECK(sipc_recv(&caller.s, buf, sizeof(buf), 10) < 0);

	/* ---------- 7. INVITE with Replaces ---------- */
	{
		char our_tag[128], v[512], *t = strstr(caller.to, "tag=");
		static const int want[3] = { 481, 486, 501 };

		CHECK(t != NULL);
		snprintf(our_tag, sizeof(our_tag), "%s", t + 4);
		for (int i = 0; i < 3; i++) {
			char h[300];

			if (i == 0)
				snprintf(h, sizeof(h), "Replaces: nosuch;to-tag=a;from-tag=b\n");
			else if (i == 1)
				snprintf(h, sizeof(h), "Replaces: xfer-1;to-tag=%.100s;from-tag=ct-1;"
					 "early-only\n", our_tag);
			else
				snprintf(h, sizeof(h), "Replaces: xfer-1;from-tag=ct-1;to-tag=%.100s\n",
					 our_tag);
			sipc_send(&caller.s, "INVITE sip:800100@127.0.0.1 SIP/2.0\n"
					     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKrp%d;rport\n"
					     "Max-Forwards: 70\nFrom: <sip:bob@127.0.0.1>;tag=rp%d\n"
					     "To: <sip:800100@127.0.0.1>\nCall-ID: rp-%d\nCSeq: 1 INVITE\n"
					     "%sContent-Type: application/sdp\nContent-Length: %zu\n\n%s",
				  caller.s.port, i, i, i, h, strlen(sdp(40050)), sdp(40050));
			CHECK(sipc_expect_status(&caller.s, buf, sizeof(buf), want[i], 2000) == 0);
			sip_hdr(buf, "To", h, sizeof(h)); /* ACK of the non-2xx: its branch */
			sipc_send(&caller.s, "ACK sip:800100@127.0.0.1 SIP/2.0\n"
					     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKrp%d;rport\n"
					     "Max-Forwards: 70\nFrom: <sip:bob@127.0.0.1>;tag=rp%d\n"
					     "To: %s\nCall-ID: rp-%d\nCSeq: 1 ACK\nContent-Length: 0\n\n",
				  caller.s.port, i, i, h, i);
		}
		/* a carrier (no agent's address) cannot call an agent by name */
		sipc_send(&caller.s, "INVITE sip:agent2@127.0.0.1 SIP/2.0\n"
				     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKnm1;rport\n"
				     "Max-Forwards: 70\nFrom: <sip:bob@127.0.0.1>;tag=nm1\n"
				     "To: <sip:agent2@127.0.0.1>\nCall-ID: nm-1\nCSeq: 1 INVITE\n"
				     "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
			  caller.s.port, strlen(sdp(40050)), sdp(40050));
		CHECK(sipc_expect_status(&caller.s, buf, sizeof(buf), 404, 2000) == 0);
		sip_hdr(buf, "To", v, sizeof(v));
		sipc_send(&caller.s, "ACK sip:agent2@127.0.0.1 SIP/2.0\n"
				     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKnm1;rport\n"
				     "Max-Forwards: 70\nFrom: <sip:bob@127.0.0.1>;tag=nm1\n"
				     "To: %s\nCall-ID: nm-1\nCSeq: 1 ACK\nContent-Length: 0\n\n",
			  caller.s.port, v);
		CHECK(sipc_recv(&ag1.s, buf, sizeof(buf), 200) < 0);
		CHECK(sipc_recv(&ag2.s, buf, sizeof(buf), 10) < 0);
		drain(&caller);
	}

	/* ---------- 8. attended transfer agent1 -> agent2 ---------- */
	{
		struct ua cons = { .name = "agent1" }; /* agent1's consultation dialog */
		char realm[64], nonce[64], authz[1024], rt[1024], our_tag[128];
		const char *t;
		int n_conn, n_del;

		cons_invite(1, "");
		CHECK(sipc_expect_status(&ag1.s, buf, sizeof(buf), 401, 2000) == 0);
		sipc_send(&ag1.s, "ACK sip:agent2@127.0.0.1:%u SIP/2.0\n"
				  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKcons1;rport\n"
				  "Max-Forwards: 70\nFrom: <sip:agent1@127.0.0.1>;tag=cons-1\n"
				  "To: %s\nCall-ID: cons-1\nCSeq: 1 ACK\nContent-Length: 0\n\n",
			  ag1.s.server, ag1.s.port, (sip_hdr(buf, "To", rt, sizeof(rt)), rt));
		CHECK(sip_challenge(buf, "SHA-256", realm, nonce, NULL) == 0);
		snprintf(rt, sizeof(rt), "sip:agent2@127.0.0.1:%u", ag1.s.server);
		sipc_authz(authz, sizeof(authz), "SHA-256", "agent1", "secret", realm, nonce, "INVITE",
			   rt, 1, "c0ffee");
		cons_invite(2, authz);
		CHECK(sipc_expect_method(&ag2.s, req, sizeof(req), "INVITE", 3000) == 0);
		port_cb = sdp_port(req);
		CHECK(port_cb != port_a && port_cb != port_b);
		n_conn = atomic_load(&dp.n_connect);
		agent_answer(&ag2, req, "ag2-c", 40400);
		CHECK(sipc_expect_method(&ag2.s, buf, sizeof(buf), "ACK", 2000) == 0);
		CHECK(sipc_expect_status(&ag1.s, buf, sizeof(buf), 200, 2000) == 0);
		snprintf(cons.from, sizeof(cons.from), "<sip:agent1@127.0.0.1>;tag=cons-1");
		sip_hdr(buf, "To", cons.to, sizeof(cons.to));
		snprintf(cons.callid, sizeof(cons.callid), "cons-1");
		contact_uri(buf, cons.ruri, sizeof(cons.ruri));
		cons.cseq = 2;
		cons.s = ag1.s;
		ua_ack(&cons, 2);
		t = strstr(cons.to, "tag=");
		CHECK(t != NULL);
		snprintf(our_tag, sizeof(our_tag), "%s", t + 4);
		for (int i = 0; i < 100 && atomic_load(&dp.n_connect) == n_conn; i++)
			usleep(10000);
		CHECK(atomic_load(&dp.n_connect) == n_conn + 1); /* the consultation's */
		usleep(100000);
		drain(&ag1);
		drain(&ag2);

		/* a Replaces naming the caller's dialog: not agent1's -> 481 */
		snprintf(rt, sizeof(rt), "<sip:agent2@127.0.0.1?Replaces=xfer-1%%3Bto-tag%%3D%s"
			 "%%3Bfrom-tag%%3Dct-1>", strstr(caller.to, "tag=") + 4);
		refer(&ag1, rt, 202);
		expect_notify(&ag1, "SIP/2.0 100 Trying\r\n", false);
		expect_notify(&ag1, "SIP/2.0 481 ", true);

		mark = atomic_load(&dp.n_mod);
		n_conn = atomic_load(&dp.n_connect);
		n_del = atomic_load(&dp.n_del);
		snprintf(rt, sizeof(rt), "<sip:agent2@127.0.0.1?Replaces=cons-1%%3Bto-tag%%3D%s"
			 "%%3Bfrom-tag%%3Dcons-1>", our_tag);
		snprintf(old_callid, sizeof(old_callid), "%s", ag1.callid);
		refer(&ag1, rt, 202);
		expect_notify(&ag1, "SIP/2.0 100 Trying\r\n", false);
		/* agent1's consultation dialog is hung up by us */
		CHECK(sipc_expect_method(&ag1.s, req, sizeof(req), "BYE", 3000) == 0);
		CHECK(has_hdr_val(req, "Call-ID", "cons-1") && has_hdr_val(req, "To", "tag=cons-1"));
		sipc_respond(&ag1.s, req, 200, "OK", NULL, NULL, NULL);
		expect_notify(&ag1, "SIP/2.0 200 OK\r\n", true);
		/* media: the caller's leg and agent2's leg re-programmed and
		 * connected; the old agent1-facing legs deleted */
		CHECK(fake_dp_rec_find_mod(&dp, mark, port_a, 40000) != NULL);
		CHECK(fake_dp_rec_find_mod(&dp, mark, port_cb, 40400) != NULL);
		for (int i = 0; i < 100 && atomic_load(&dp.n_del) < n_del + 2; i++)
			usleep(10000);
		CHECK(atomic_load(&dp.n_connect) == n_conn + 1);
		CHECK(atomic_load(&dp.n_del) == n_del + 2);
		/* agent1 hangs up the customer call's old dialog */
		ua_req(&ag1, "BYE", NULL, NULL);
		CHECK(sipc_expect_status(&ag1.s, buf, sizeof(buf), 200, 2000) == 0);
		CHECK(has_hdr_val(buf, "Call-ID", old_callid));
		if (sipc_recv(&caller.s, buf, sizeof(buf), 300) >= 0) {
			fprintf(stderr, "caller got:\n%s\n", buf);
			CHECK(!"the caller heard of the transfer");
		}
		CHECK(sipc_recv(&ag2.s, buf, sizeof(buf), 10) < 0);
	}

	/* ---------- 9. agent2's leg times out: both sides get BYE ---------- */
	{
		/* the leg came from the consultation: its media events still
		 * name that call, which hands them to the joined call */
		const struct sb_cmd_leg *l = NULL;

		for (int i = 0; i < atomic_load(&dp.n_add) && i < MAX_MODS; i++)
			if (dp.add[i].local_port == port_cb)
				l = &dp.add[i];
		CHECK(l != NULL);
		memset(dp.inject, 0, sizeof(dp.inject));
		dp.inject[0].timeout.h = (struct sb_msg_hdr){ .type = SB_EVT_MEDIA_TIMEOUT,
			.len = sizeof(struct sb_evt_timeout), .leg = l->h.leg,
			.leg_gen = l->h.leg_gen };
		dp.inject[0].timeout.idle_ms = 5001;
		dp.inject[0].timeout.timeout_ms = 5000;
		atomic_store(&dp.n_inject, 1);
	}
	CHECK(sipc_expect_method(&ag2.s, req, sizeof(req), "BYE", 3000) == 0);
	CHECK(has_hdr_val(req, "Call-ID", ag2.callid) && has_hdr_val(req, "To", "tag=ag2-c"));
	sipc_respond(&ag2.s, req, 200, "OK", NULL, NULL, NULL);
	CHECK(sipc_expect_method(&caller.s, req, sizeof(req), "BYE", 3000) == 0);
	CHECK(has_hdr_val(req, "Call-ID", "xfer-1"));
	sipc_respond(&caller.s, req, 200, "OK", NULL, NULL, NULL);
	CHECK(sipc_recv(&ag1.s, buf, sizeof(buf), 300) < 0);
	usleep(300000);

	CHECK(control_stop(pid) == 0);
	pid = 0;
	fake_dp_rec_stop(&dp);
	shm_unlink(shm_name);
	{ /* the counters at shutdown: 7 REFERs got 202 (2: 481, 3: 404, 4: 486,
	   * 5, 6, 8: 481 and the join) */
		char line[1024];
		bool found = false;
		FILE *lf = fopen(logp, "r");

		CHECK(lf != NULL);
		while (!found && fgets(line, sizeof(line), lf))
			found = strstr(line, "transfers: 7 REFERs accepted, 2 blind, 1 attended, "
					     "4 failed") != NULL;
		fclose(lf);
		CHECK(found);
	}
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr") == 3);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='nm-1' AND status=404") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='xfer-1' AND agent='agent2' AND "
			    "transferred_by='agent1' AND transfer_ms >= answer_ms AND status=200 "
			    "AND hangup_by='media_timeout'") == 1);
	CHECK(cp_db_int(db, "SELECT count(*) FROM cdr WHERE call_id='cons-1' AND agent='agent2' AND "
			    "caller='agent1' AND hangup_by='transfer' AND transferred_by IS NULL") == 1);
	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	T_ASSERT(system(buf) == 0);
	return 0;
}
