/* SPDX-License-Identifier: MIT */
/* sip_core_t — sb-control on real UDP sockets on 127.0.0.1, no dataplane
 * (the instance does not exist): OPTIONS, REGISTER (401 challenge, 200 with
 * Contact and expires after digest, 403 unknown user, unregister), INVITE to an unknown number (404),
 * INVITE while the dataplane is absent (100 then 503, retransmission gets
 * the 503 again, stops after ACK), malformed requests (400 naming the
 * problem) and garbage (dropped), 501, 481, then a clean SIGTERM and the
 * failed calls' CDR rows in SQLite.
 *
 *   sip_core_t /path/to/sb-control */
#include <sqlite3.h>

#include "sipc_auth.h"

static char dir[64], logp[128];
static pid_t pid;

static void fail_dump(const char *what)
{
	fprintf(stderr, "FAILED: %s\n--- sb-control log ---\n", what);
	dump_file(logp);
	if (pid > 0)
		control_stop(pid);
	exit(1);
}

#define CHECK(c) do { if (!(c)) fail_dump(#c); } while (0)

static sqlite3_int64 count(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	sqlite3_int64 v = -1;

	CHECK(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

#define SDP "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
	    "m=audio 40000 RTP/AVP 0\r\n"

int main(int argc, char **argv)
{
	char cfg[128], db[128], buf[8192], v[512];
	struct sipc ua, agent;
	uint16_t port;
	FILE *f;

	if (argc < 2)
		return T_SKIP;
	cp_workdir("/tmp/sb_sip_core_t", dir, cfg, db, logp);
	port = sipc_free_port();
	f = fopen(cfg, "w");
	T_ASSERT(f);
	fprintf(f, "instance: nodp%d\nsip:\n  listen: [127.0.0.1:%u]\nstore:\n  sqlite: %s\n"
		   "agents:\n  - user: agent1\n    password: secret\n"
		   "hotlines:\n  - number: \"800100\"\n    agents: [agent1]\n",
		(int)getpid(), port, db);
	fclose(f);

	pid = control_start(argv[1], cfg, logp);
	sipc_open(&ua, port);
	sipc_open(&agent, port);
	control_wait_up(&ua);

	/* REGISTER: 401, then 200 with our Contact and expires after digest */
	unsigned cseq = 1;
	snprintf(v, sizeof(v), "Contact: <sip:agent1@127.0.0.1:%u>\nExpires: 600\n", agent.port);
	CHECK(sipc_register(&agent, "MD5", "agent1", "secret", "reg1", &cseq, v, buf,
			    sizeof(buf)) == 200);
	CHECK(sip_hdr(buf, "Contact", v, sizeof(v)) == 0);
	CHECK(strstr(v, "expires=600") != NULL);
	CHECK(sip_hdr(buf, "To", v, sizeof(v)) == 0 && strstr(v, "tag=") != NULL);
	CHECK(sip_hdr(buf, "Via", v, sizeof(v)) == 0 && strstr(v, "received=127.0.0.1") &&
	      strstr(v, "rport="));

	/* compact form, no Contact: a query listing the binding */
	sipc_send(&agent, "REGISTER sip:127.0.0.1 SIP/2.0\n"
			  "v: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKr2;rport\n"
			  "f: <sip:agent1@127.0.0.1>;tag=a1\nt: <sip:agent1@127.0.0.1>\n"
			  "i: reg1\nCSeq: 9 REGISTER\nl: 0\n\n", agent.port);
	CHECK(sipc_expect_status(&agent, buf, sizeof(buf), 401, 2000) == 0);
	CHECK(sipc_register(&agent, "SHA-256", "agent1", "secret", "reg1", &cseq, "", buf,
			    sizeof(buf)) == 200);
	CHECK(sip_hdr(buf, "Contact", v, sizeof(v)) == 0 && strstr(v, "expires=6"));
	snprintf(buf, sizeof(buf), "127.0.0.1:%u", agent.port);
	CHECK(strstr(v, buf) != NULL);

	/* unknown user: challenged like anyone, then refused */
	{
		unsigned cs = 1;
		CHECK(sipc_register(&ua, "MD5", "mallory", "secret", "reg2", &cs, "", buf,
				    sizeof(buf)) == 403);
	}

	/* INVITE to an unknown number: 404, and no 100 first */
	sipc_send(&ua, "INVITE sip:999@127.0.0.1 SIP/2.0\n"
		       "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKi1;rport\n"
		       "From: <sip:alice@127.0.0.1>;tag=c1\nTo: <sip:999@127.0.0.1>\n"
		       "Call-ID: inv404\nCSeq: 1 INVITE\nContact: <sip:alice@127.0.0.1:%u>\n"
		       "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
		 ua.port, ua.port, strlen(SDP), SDP);
	CHECK(sipc_recv(&ua, buf, sizeof(buf), 2000) > 0 && sip_status(buf) == 404);
	CHECK(sip_hdr(buf, "To", v, sizeof(v)) == 0 && strstr(v, "tag="));
	sipc_send(&ua, "ACK sip:999@127.0.0.1 SIP/2.0\n"
		       "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKi1;rport\n"
		       "From: <sip:alice@127.0.0.1>;tag=c1\nTo: %s\n"
		       "Call-ID: inv404\nCSeq: 1 ACK\nContent-Length: 0\n\n", ua.port, v);

	/* INVITE to the hotline with no dataplane: 100 Trying, then 503 */
	sipc_send(&ua, "INVITE sip:800100@127.0.0.1 SIP/2.0\n"
		       "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKi2;rport\n"
		       "From: <sip:alice@127.0.0.1>;tag=c2\nTo: <sip:800100@127.0.0.1>\n"
		       "Call-ID: inv503\nCSeq: 1 INVITE\nContact: <sip:alice@127.0.0.1:%u>\n"
		       "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
		 ua.port, ua.port, strlen(SDP), SDP);
	CHECK(sipc_recv(&ua, buf, sizeof(buf), 2000) > 0 && sip_status(buf) == 100);
	CHECK(sipc_expect_status(&ua, buf, sizeof(buf), 503, 2000) == 0);
	/* a retransmitted INVITE gets the 503 again, from state */
	sipc_send(&ua, "INVITE sip:800100@127.0.0.1 SIP/2.0\n"
		       "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKi2;rport\n"
		       "From: <sip:alice@127.0.0.1>;tag=c2\nTo: <sip:800100@127.0.0.1>\n"
		       "Call-ID: inv503\nCSeq: 1 INVITE\nContact: <sip:alice@127.0.0.1:%u>\n"
		       "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
		 ua.port, ua.port, strlen(SDP), SDP);
	CHECK(sipc_expect_status(&ua, buf, sizeof(buf), 503, 2000) == 0);
	/* without an ACK the 503 is retransmitted (timer G) */
	CHECK(sipc_expect_status(&ua, buf, sizeof(buf), 503, 1500) == 0);
	sip_hdr(buf, "To", v, sizeof(v));
	sipc_send(&ua, "ACK sip:800100@127.0.0.1 SIP/2.0\n"
		       "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKi2;rport\n"
		       "From: <sip:alice@127.0.0.1>;tag=c2\nTo: %s\n"
		       "Call-ID: inv503\nCSeq: 1 ACK\nContent-Length: 0\n\n", ua.port, v);
	usleep(100000);
	while (sipc_recv(&ua, buf, sizeof(buf), 10) > 0)
		;
	CHECK(sipc_recv(&ua, buf, sizeof(buf), 2500) < 0); /* ACK stopped them */

	/* malformed: 400 with the reason */
	sipc_send(&ua, "INVITE sip:800100@127.0.0.1 SIP/2.0\n"
		       "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKm1;rport\n"
		       "From: <sip:alice@127.0.0.1>;tag=c3\nTo: <sip:800100@127.0.0.1>\n"
		       "CSeq: 1 INVITE\nContent-Length: 0\n\n", ua.port);
	CHECK(sipc_recv(&ua, buf, sizeof(buf), 2000) > 0 && sip_status(buf) == 400);
	CHECK(strstr(buf, "400 Missing Call-ID header\r\n") != NULL);
	sipc_send(&ua, "OPTIONS sip:x@127.0.0.1 SIP/2.0\n"
		       "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKm2;rport\n"
		       "From: <sip:a@h>;tag=1\nTo: <sip:b@h>\nCall-ID: m2\nCSeq: 1 OPTIONS\n"
		       "Content-Length: 50\n\nshort", ua.port);
	CHECK(sipc_recv(&ua, buf, sizeof(buf), 2000) > 0 && sip_status(buf) == 400);
	CHECK(strstr(buf, "Content-Length") != NULL);
	sipc_send(&ua, "INVITE 800100 SIP/2.0\n"
		       "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKm3;rport\n"
		       "From: <sip:a@h>;tag=1\nTo: <sip:b@h>\nCall-ID: m3\nCSeq: 1 INVITE\n"
		       "Content-Length: 0\n\n", ua.port);
	CHECK(sipc_recv(&ua, buf, sizeof(buf), 2000) > 0 && sip_status(buf) == 400);
	CHECK(strstr(buf, "scheme") != NULL);
	/* garbage: dropped, no answer */
	sipc_send(&ua, "\x01\x02 hello there\n\n");
	sipc_send(&ua, "SIP/2.0 200 OK\n\n");
	CHECK(sipc_recv(&ua, buf, sizeof(buf), 300) < 0);

	/* methods we do not do, and a BYE for nothing */
	sipc_send(&ua, "INFO sip:x@127.0.0.1 SIP/2.0\n"
		       "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKn1;rport\n"
		       "From: <sip:a@h>;tag=1\nTo: <sip:b@h>\nCall-ID: n1\nCSeq: 1 INFO\n\n", ua.port);
	CHECK(sipc_recv(&ua, buf, sizeof(buf), 2000) > 0 && sip_status(buf) == 501);
	sipc_send(&ua, "BYE sip:x@127.0.0.1 SIP/2.0\n"
		       "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKn2;rport\n"
		       "From: <sip:a@h>;tag=1\nTo: <sip:b@h>;tag=2\nCall-ID: n2\nCSeq: 1 BYE\n\n",
		 ua.port);
	CHECK(sipc_recv(&ua, buf, sizeof(buf), 2000) > 0 && sip_status(buf) == 481);

	/* without rport the response goes to the Via port */
	{
		struct sipc other;
		sipc_open(&other, port);
		sipc_send(&ua, "OPTIONS sip:x@127.0.0.1 SIP/2.0\n"
			       "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKo1\n"
			       "From: <sip:a@h>;tag=1\nTo: <sip:b@h>\nCall-ID: o1\nCSeq: 1 OPTIONS\n\n",
			 other.port);
		CHECK(sipc_recv(&other, buf, sizeof(buf), 2000) > 0 && sip_status(buf) == 200);
		close(other.fd);
	}

	/* unregister */
	CHECK(sipc_register(&agent, "MD5", "agent1", "secret", "reg1", &cseq,
			    "Contact: *\nExpires: 0\n", buf, sizeof(buf)) == 200);
	CHECK(sip_hdr(buf, "Contact", v, sizeof(v)) < 0);

	CHECK(control_stop(pid) == 0);
	pid = 0;
	CHECK(count(db, "SELECT count(*) FROM cdr") == 2);
	CHECK(count(db, "SELECT count(*) FROM cdr WHERE call_id='inv404' AND status=404 "
			"AND hotline='999' AND caller='alice'") == 1);
	CHECK(count(db, "SELECT count(*) FROM cdr WHERE call_id='inv503' AND status=503 "
			"AND hotline='800100' AND answer_ms IS NULL") == 1);

	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	T_ASSERT(system(buf) == 0);
	return 0;
}
