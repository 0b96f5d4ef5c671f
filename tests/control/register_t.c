/* SPDX-License-Identifier: MIT */
/* register_t — sb-control's registrar on real UDP sockets on 127.0.0.1
 * (no dataplane): 401 with SHA-256 then MD5 challenges, REGISTER with
 * SHA-256 and with MD5, two contacts with their own expiry, a third refused
 * (max_contacts 2), 423 with Min-Expires, a query listing the bindings, the
 * short binding removed by the sweep timer on its own, a replayed nc, an
 * expired nonce (stale=true), a nonce used from another port, an unknown
 * user and a wrong password answered byte for byte alike (but the To tag),
 * an agent registering someone else's AOR, INVITE from a registered
 * agent's address (its REGISTER's source) challenged, a wrong password
 * there refused, from elsewhere (even a Contact address) not, Contact: *.
 *
 *   register_t /path/to/sb-control */
#include "sipc_auth.h"

static char dir[64], logp[128];
static const char *g_last = ""; /* the last message received, for failures */
static pid_t pid;

static void fail_dump(const char *what, int line)
{
	fprintf(stderr, "FAILED line %d: %s\n--- last message ---\n%s\n--- sb-control log ---\n",
		line, what, g_last);
	dump_file(logp);
	if (pid > 0)
		control_stop(pid);
	exit(1);
}

#define CHECK(c) do { if (!(c)) fail_dump(#c, __LINE__); } while (0)
#define STARTS(s, lit) (strncmp((s), lit, sizeof(lit) - 1) == 0)

static unsigned g_branch;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* One REGISTER from c as To-user `to`; authz may be "" ; returns status. */
static int reg(struct sipc *c, const char *to, unsigned cseq, const char *authz,
	       const char *hdrs, char *buf, size_t cap)
{
	g_branch++;
	sipc_send(c, "REGISTER sip:127.0.0.1 SIP/2.0\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKrt%u;rport\n"
		     "From: <sip:%s@127.0.0.1>;tag=f%u\nTo: <sip:%s@127.0.0.1>\n"
		     "Call-ID: regt-%u\nCSeq: %u REGISTER\n%s%sContent-Length: 0\n\n",
		  c->port, g_branch, to, c->port, to, c->port, cseq, authz, hdrs);
	for (;;) { /* skip anything that is not about this REGISTER */
		char cs[64];

		if (sipc_recv(c, buf, cap, 2000) < 0)
			return -1;
		g_last = buf;
		if (sip_hdr(buf, "CSeq", cs, sizeof(cs)) == 0 && strstr(cs, "REGISTER") &&
		    sip_status(buf) >= 200)
			return sip_status(buf);
	}
}

/* INVITE from c; waits for a final response, ACKs it; returns its status. */
static int invite(struct sipc *c, const char *callid, unsigned cseq, const char *authz,
		  char *buf, size_t cap)
{
	char to[256];

	g_branch++;
	sipc_send(c, "INVITE sip:999@127.0.0.1 SIP/2.0\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKinv%u;rport\n"
		     "From: <sip:agent1@127.0.0.1>;tag=i%u\nTo: <sip:999@127.0.0.1>\n"
		     "Call-ID: %s\nCSeq: %u INVITE\n%sContent-Length: 0\n\n",
		  c->port, g_branch, cseq, callid, cseq, authz);
	for (;;) {
		if (sipc_recv(c, buf, cap, 2000) < 0)
			return -1;
		if (sip_status(buf) >= 200)
			break;
	}
	sip_hdr(buf, "To", to, sizeof(to));
	sipc_send(c, "ACK sip:999@127.0.0.1 SIP/2.0\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKinv%u;rport\n"
		     "From: <sip:agent1@127.0.0.1>;tag=i%u\nTo: %s\n"
		     "Call-ID: %s\nCSeq: %u ACK\nContent-Length: 0\n\n",
		  c->port, g_branch, cseq, to, callid, cseq);
	return sip_status(buf);
}

/* A fresh nonce for c (401 to a credential-less REGISTER). */
static void get_nonce(struct sipc *c, const char *alg, char *nonce, char *buf, size_t cap)
{
	char realm[64];

	CHECK(reg(c, "agent1", 1, "", "", buf, cap) == 401);
	CHECK(sip_challenge(buf, alg, realm, nonce, NULL) == 0);
	CHECK(strcmp(realm, "sbtest") == 0);
}

static void authz(char *out, const char *alg, const char *user, const char *pass,
		  const char *nonce, unsigned nc)
{
	sipc_authz(out, 1024, alg, user, pass, "sbtest", nonce, "REGISTER", "sip:127.0.0.1", nc,
		   "9f8e7d6c");
}

static int count_contacts(const char *m)
{
	int n = 0;

	for (const char *p = m; (p = strstr(p, "\r\nContact: ")) != NULL; p += 2)
		n++;
	return n;
}

/* The response with the To tag masked. */
static void mask_tag(char *m)
{
	char *t = strstr(m, "\r\nTo: ");
	char *tag = t ? strstr(t, ";tag=") : NULL;

	CHECK(tag != NULL);
	for (char *p = tag + 5; *p && *p != '\r' && *p != ';'; p++)
		*p = 'X';
}

int main(int argc, char **argv)
{
	char cfg[128], buf[8192], buf2[8192], v[512], nonce[64], h[1024], ct[256];
	struct sipc a, b, car;
	uint16_t port;
	uint64_t t_nonce;
	FILE *f;

	if (argc < 2)
		return T_SKIP;
	snprintf(dir, sizeof(dir), "/tmp/sb_register_t.XXXXXX");
	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(cfg, sizeof(cfg), "%s/sb.yaml", dir);
	snprintf(logp, sizeof(logp), "%s/sb-control.log", dir);
	port = sipc_free_port();
	f = fopen(cfg, "w");
	T_ASSERT(f);
	fprintf(f, "instance: noreg%d\nsip:\n  listen: [127.0.0.1:%u]\n"
		   "auth:\n  realm: sbtest\n  nonce_ttl: 2\n"
		   "registrar:\n  min_expires: 2\n  max_expires: 120\n  max_contacts: 2\n"
		   "agents:\n  - user: agent1\n    password: secret\n"
		   "  - user: agent2\n    ha1_md5: %s\n"
		   "hotlines:\n  - number: \"800100\"\n    agents: [agent1]\n",
		(int)getpid(), port, "0000000000000000000000000000000a");
	fclose(f);

	pid = control_start(argv[1], cfg, logp);
	sipc_open(&a, port);
	sipc_open(&b, port);
	sipc_open(&car, port);
	control_wait_up(&a);

	/* 401: SHA-256 first, then MD5, one nonce, qop auth */
	CHECK(reg(&a, "agent1", 1, "", "", buf, sizeof(buf)) == 401);
	{
		const char *s = strstr(buf, "algorithm=SHA-256"), *m = strstr(buf, "algorithm=MD5");
		char n2[64], realm[64];

		CHECK(s && m && s < m && strstr(buf, "qop=\"auth\"") && !strstr(buf, "stale"));
		CHECK(STARTS(buf, "SIP/2.0 401 Unauthorized\r\n"));
		CHECK(sip_challenge(buf, "SHA-256", realm, nonce, NULL) == 0);
		CHECK(sip_challenge(buf, "MD5", realm, n2, NULL) == 0 && strcmp(nonce, n2) == 0);
	}

	/* contact 1 with SHA-256, for 60 s (Expires header) */
	authz(h, "SHA-256", "agent1", "secret", nonce, 1);
	snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u>\nExpires: 60\n", a.port);
	CHECK(reg(&a, "agent1", 2, h, ct, buf, sizeof(buf)) == 200);
	CHECK(count_contacts(buf) == 1 && strstr(buf, ";expires=60\r\n"));

	/* a replayed nc on another request: 401, stale=false */
	CHECK(reg(&a, "agent1", 3, h, ct, buf, sizeof(buf)) == 401);
	CHECK(strstr(buf, "stale") == NULL);

	/* contact 2 with MD5 (nc 2 on the same nonce), 3 s by its own param */
	authz(h, "MD5", "agent1", "secret", nonce, 2);
	snprintf(ct, sizeof(ct), "Contact: <sip:agent1@127.0.0.1:%u;ob>;expires=3\n", b.port);
	CHECK(reg(&a, "agent1", 4, h, ct, buf, sizeof(buf)) == 200);
	CHECK(count_contacts(buf) == 2);
	snprintf(v, sizeof(v), "<sip:agent1@127.0.0.1:%u>;expires=", a.port);
	CHECK(strstr(buf, v) != NULL);
	snprintf(v, sizeof(v), "<sip:agent1@127.0.0.1:%u;ob>;expires=3\r\n", b.port);
	CHECK(strstr(buf, v) != NULL);

	/* 423 below min_expires, nothing changed */
	authz(h, "MD5", "agent1", "secret", nonce, 3);
	CHECK(reg(&a, "agent1", 5, h, "Contact: <sip:agent1@127.0.0.1:9>;expires=1\n", buf,
		  sizeof(buf)) == 423);
	CHECK(sip_hdr(buf, "Min-Expires", v, sizeof(v)) == 0 && strcmp(v, "2") == 0);
	CHECK(STARTS(buf, "SIP/2.0 423 Interval Too Brief\r\n"));
	/* a Contact that is no SIP URI, or folded inside its <>: 400 */
	authz(h, "MD5", "agent1", "secret", nonce, 4);
	CHECK(reg(&a, "agent1", 5, h, "Contact: <http://127.0.0.1:9>\n", buf, sizeof(buf)) == 400);
	CHECK(STARTS(buf, "SIP/2.0 400 Bad Contact URI\r\n"));
	/* a third contact: over max_contacts */
	authz(h, "MD5", "agent1", "secret", nonce, 5);
	CHECK(reg(&a, "agent1", 6, h, "Contact: <sip:agent1@127.0.0.1:9>\n", buf,
		  sizeof(buf)) == 403);
	/* a query (no Contact) lists both */
	authz(h, "MD5", "agent1", "secret", nonce, 6);
	CHECK(reg(&a, "agent1", 7, h, "", buf, sizeof(buf)) == 200);
	CHECK(count_contacts(buf) == 2);
	/* agent1 registering agent2's AOR */
	authz(h, "MD5", "agent1", "secret", nonce, 7);
	CHECK(reg(&a, "agent2", 8, h, "", buf, sizeof(buf)) == 403);

	/* INVITE from agent1's registered address needs credentials; the
	 * same INVITE from a carrier address goes straight on (404 here) */
	CHECK(invite(&a, "inv-agent", 1, "", buf, sizeof(buf)) == 401);
	CHECK(sip_challenge(buf, "SHA-256", v, nonce, NULL) == 0);
	sipc_authz(h, sizeof(h), "SHA-256", "agent1", "wrong", "sbtest", nonce, "INVITE",
		   "sip:999@127.0.0.1", 1, "ab");
	CHECK(invite(&a, "inv-agent", 2, h, buf, sizeof(buf)) == 403);
	sipc_authz(h, sizeof(h), "SHA-256", "agent1", "secret", "sbtest", nonce, "INVITE",
		   "sip:999@127.0.0.1", 2, "ab");
	CHECK(invite(&a, "inv-agent", 3, h, buf, sizeof(buf)) == 404);
	CHECK(invite(&car, "inv-carrier", 1, "", buf, sizeof(buf)) == 404);
	/* agent1's second Contact names b's address, but the REGISTER came
	 * from a: a Contact is the agent's claim, so b is not an agent's */
	CHECK(invite(&b, "inv-b", 1, "", buf, sizeof(buf)) == 404);

	/* a nonce is bound to the address it was issued to */
	get_nonce(&a, "SHA-256", nonce, buf, sizeof(buf));
	authz(h, "SHA-256", "agent1", "secret", nonce, 1);
	CHECK(reg(&b, "agent1", 9, h, "", buf, sizeof(buf)) == 401);
	CHECK(strstr(buf, "stale") == NULL);

	/* unknown user and wrong password: the same 403, byte for byte (same
	 * request bytes, To tag masked); the Authorization names the user */
	get_nonce(&car, "SHA-256", nonce, buf, sizeof(buf));
	authz(h, "SHA-256", "mallory", "secret", nonce, 1);
	g_branch = 1000;
	CHECK(reg(&car, "agent1", 10, h, "", buf, sizeof(buf)) == 403);
	authz(h, "SHA-256", "agent1", "wrong", nonce, 1);
	g_branch = 1000;
	CHECK(reg(&car, "agent1", 10, h, "", buf2, sizeof(buf2)) == 403);
	mask_tag(buf);
	mask_tag(buf2);
	CHECK(strcmp(buf, buf2) == 0);
	/* an agent without a password (ha1_md5 only, not matching): 403 too */
	authz(h, "MD5", "agent2", "secret", nonce, 2);
	g_branch = 1000;
	CHECK(reg(&car, "agent1", 10, h, "", buf2, sizeof(buf2)) == 403);
	mask_tag(buf2);
	CHECK(strcmp(buf, buf2) == 0);

	/* expired nonce (nonce_ttl 2 s) with the right password: stale=true */
	get_nonce(&a, "MD5", nonce, buf, sizeof(buf));
	t_nonce = mono_ms();
	/* the 3 s binding goes on its own: wait for the sweep to log it */
	for (int i = 0; i < 50; i++) {
		char line[512];
		int seen = 0;

		f = fopen(logp, "r");
		CHECK(f);
		while (fgets(line, sizeof(line), f))
			seen |= strstr(line, ";ob expired") != NULL;
		fclose(f);
		if (seen)
			break;
		CHECK(i < 49);
		usleep(100000);
	}
	while (mono_ms() < t_nonce + 2100)
		usleep(50000);
	authz(h, "MD5", "agent1", "secret", nonce, 1);
	CHECK(reg(&a, "agent1", 11, h, "", buf, sizeof(buf)) == 401);
	CHECK(strstr(buf, "stale=true") != NULL);
	/* fresh nonce: the query shows only the 60 s contact left */
	CHECK(sip_challenge(buf, "MD5", v, nonce, NULL) == 0);
	authz(h, "MD5", "agent1", "secret", nonce, 1);
	CHECK(reg(&a, "agent1", 12, h, "", buf, sizeof(buf)) == 200);
	CHECK(count_contacts(buf) == 1);
	snprintf(v, sizeof(v), "<sip:agent1@127.0.0.1:%u>;expires=", a.port);
	CHECK(strstr(buf, v) != NULL);

	/* Contact: * with Expires: 0 removes everything */
	authz(h, "MD5", "agent1", "secret", nonce, 2);
	CHECK(reg(&a, "agent1", 13, h, "Contact: *\nExpires: 0\n", buf, sizeof(buf)) == 200);
	CHECK(count_contacts(buf) == 0);
	authz(h, "MD5", "agent1", "secret", nonce, 3);
	CHECK(reg(&a, "agent1", 14, h, "", buf, sizeof(buf)) == 200);
	CHECK(count_contacts(buf) == 0);
	/* Contact: * without Expires: 0 is a 400 */
	authz(h, "MD5", "agent1", "secret", nonce, 4);
	CHECK(reg(&a, "agent1", 15, h, "Contact: *\n", buf, sizeof(buf)) == 400);
	/* with no binding left, INVITEs from that address are no longer agents' */
	CHECK(invite(&a, "inv-agent4", 1, "", buf, sizeof(buf)) == 404);

	CHECK(control_stop(pid) == 0);
	pid = 0;
	unlink(cfg);
	unlink(logp);
	rmdir(dir);
	printf("register: ok\n");
	return 0;
}
