/* SPDX-License-Identifier: MIT */
/* media_addrs_t — control places legs on every media address of the
 * dataplane (ABI 3 --media-addrs: a leg is (local_addr, local_port)).
 *
 * The test process plays the dataplane (a real segment saying 3 media
 * addresses, one worker owning 4 ports: 2 legs per address; a thread
 * answers every command and records each LEG_ADD/MOD), two callers and two
 * agents.  Two calls at once need 4 legs, more than one address holds:
 *  - the LEG_ADDs name distinct (local_addr, local_port) pairs on more than
 *    one address;
 *  - every SDP sb-control writes (the INVITE to the agent, the 200 to the
 *    caller) gives in c=/m= the address media_ip + local_addr and the port
 *    of a leg the dataplane was told about (a c= of address 0 for a leg on
 *    address 1 would send the peer's media nowhere);
 *  - hanging up deletes every leg.
 *
 *   media_addrs_t /path/to/sb-control */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "sb/dp_shm.h"

#include "cpdb.h"
#include "fake_dp.h"
#include "sipc_auth.h"

#define MEDIA_IP   "203.0.113.10"
#define N_ADDRS    3u
#define PORT_SPAN  4u /* 20000..20003: legs on 20000 and 20002 */

static char dir[64], logp[128];
static pid_t pid;

static void fail_dump(const char *what, int line)
{
	control_fail_report(what, line, logp, pid);
	exit(1);
}

#define CHECK(c) do { if (!(c)) fail_dump(#c, __LINE__); } while (0)

struct fake_dp {
	struct sb_dp_shm shm;
	pthread_t thread;
	atomic_int stop;
	atomic_int n_add, n_del;
	pthread_mutex_t lock;       /* leg[], live[] */
	struct sb_cmd_leg leg[64];  /* last LEG_ADD/MOD per leg index */
	uint8_t live[64];
};

static int32_t fake_dp_cmd(void *arg, unsigned w, const union sb_msg *m)
{
	struct fake_dp *d = arg;

	(void)w;
	if (m->h.type >= SB_CMD_N || m->h.len != sb_cmd_size[m->h.type] ||
	    (m->h.type != SB_CMD_NOP && m->h.leg >= 64))
		return -EINVAL;
	if (m->h.type == SB_CMD_LEG_ADD || m->h.type == SB_CMD_LEG_MOD) {
		if (m->leg.local_addr >= N_ADDRS)
			return -EINVAL; /* what sb-dataplane answers */
		if (m->h.type == SB_CMD_LEG_ADD) {
			fake_dp_leg_add(&d->shm, m);
			atomic_fetch_add(&d->n_add, 1);
		}
		pthread_mutex_lock(&d->lock);
		d->leg[m->h.leg] = m->leg;
		d->live[m->h.leg] = 1;
		pthread_mutex_unlock(&d->lock);
	} else if (m->h.type == SB_CMD_LEG_DEL) {
		sb_dp_shm_leg_stats(&d->shm, m->h.leg)->active = 0;
		pthread_mutex_lock(&d->lock);
		d->live[m->h.leg] = 0;
		pthread_mutex_unlock(&d->lock);
		atomic_fetch_add(&d->n_del, 1);
	}
	return 0;
}

static void *fake_dp_main(void *arg)
{
	struct fake_dp *d = arg;

	fake_dp_serve(&d->shm, &d->stop, fake_dp_cmd, NULL, d);
	return NULL;
}

/* Live legs the dataplane holds on (addr, port); pairs[] gets each live
 * leg's pair (addr << 16 | port), *n_pairs their count. */
static unsigned legs_on(struct fake_dp *d, unsigned addr, unsigned port, uint32_t *pairs,
			unsigned *n_pairs)
{
	unsigned n = 0, np = 0;

	pthread_mutex_lock(&d->lock);
	for (unsigned i = 0; i < 64; i++) {
		if (!d->live[i])
			continue;
		if (d->leg[i].local_addr == addr && d->leg[i].local_port == port)
			n++;
		pairs[np++] = (uint32_t)d->leg[i].local_addr << 16 | d->leg[i].local_port;
	}
	pthread_mutex_unlock(&d->lock);
	*n_pairs = np;
	return n;
}

/* The (address index, port) of the audio in an SDP body we received. */
static void sdp_addr_port(struct fake_dp *d, const char *body, unsigned *addr, unsigned *port)
{
	char ip[64];
	struct in_addr a;
	const char *c = strstr(body, "c=IN IP4 "), *m = strstr(body, "m=audio ");

	CHECK(c != NULL && m != NULL);
	CHECK(sscanf(c, "c=IN IP4 %63[0-9.]", ip) == 1 && inet_pton(AF_INET, ip, &a) == 1);
	CHECK(sscanf(m, "m=audio %u", port) == 1);
	*addr = ntohl(a.s_addr) - ntohl(d->shm.hdr->media_ip);
	CHECK(*addr < N_ADDRS);
}

#define SDP_CALLER "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
		   "m=audio 40000 RTP/AVP 0\r\n"
#define SDP_AGENT  "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
		   "m=audio 40010 RTP/AVP 0\r\n"

static void caller_invite(struct sipc *c, const char *callid)
{
	sipc_send(c, "INVITE sip:800100@127.0.0.1:%u SIP/2.0\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s;rport\n"
		     "Max-Forwards: 70\n"
		     "From: <sip:alice@127.0.0.1>;tag=ct-%s\nTo: <sip:800100@127.0.0.1>\n"
		     "Call-ID: %s\nCSeq: 10 INVITE\nContact: <sip:alice@127.0.0.1:%u>\n"
		     "Content-Type: application/sdp\nContent-Length: %zu\n\n%s",
		  c->server, c->port, callid, callid, callid, c->port, strlen(SDP_CALLER),
		  SDP_CALLER);
}

static void caller_req(struct sipc *c, const char *method, const char *callid, const char *to,
		       int cseq)
{
	sipc_send(c, "%s sip:800100@127.0.0.1:%u SIP/2.0\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s%s%d;rport\n"
		     "Max-Forwards: 70\n"
		     "From: <sip:alice@127.0.0.1>;tag=ct-%s\nTo: %s\n"
		     "Call-ID: %s\nCSeq: %d %s\nContent-Length: 0\n\n",
		  method, c->server, c->port, method, callid, cseq, callid, to, callid, cseq, method);
}

int main(int argc, char **argv)
{
	static struct fake_dp dp = { .lock = PTHREAD_MUTEX_INITIALIZER };
	char inst[32], cfg[128], db[128], buf[8192], inv[8192], to[2][1024], ct[300];
	struct sipc caller[2], agent[2];
	int rang[2] = { -1, -1 };
	unsigned cseq = 1, addr, port, n_pairs, addrs_used = 0;
	uint32_t pairs[64];
	uint16_t p_sip;

	if (argc < 2)
		return T_SKIP;
	snprintf(inst, sizeof(inst), "mad%d", (int)getpid());
	if (fake_dp_create(&dp.shm, inst, 1, PORT_SPAN, MEDIA_IP) < 0) {
		fprintf(stderr, "no /dev/shm: skipping\n");
		return T_SKIP;
	}
	dp.shm.hdr->n_media_addrs = N_ADDRS; /* before control attaches */
	T_ASSERT(pthread_create(&dp.thread, NULL, fake_dp_main, &dp) == 0);

	cp_workdir("/tmp/sb_media_addrs_t", dir, cfg, db, logp);
	p_sip = sipc_free_port();
	cp_write_cfg(cfg, "instance: %s\nsip:\n  listen: [127.0.0.1:%u]\n  ring_timeout: 10\n"
			  "store:\n  sqlite: %s\n"
			  "agents:\n  - user: agent1\n    password: secret\n"
			  "  - user: agent2\n    password: secret\n"
			  "hotlines:\n  - number: \"800100\"\n    agents: [agent1, agent2]\n",
		     inst, p_sip, db);

	pid = control_start(argv[1], cfg, logp);
	for (int i = 0; i < 2; i++) {
		sipc_open(&caller[i], p_sip);
		sipc_open(&agent[i], p_sip);
	}
	control_wait_up(&caller[0]);
	usleep(100000);
	for (int i = 0; i < 2; i++) {
		char user[16], callid[32];

		snprintf(user, sizeof(user), "agent%d", i + 1);
		snprintf(callid, sizeof(callid), "agent-reg-%d", i);
		snprintf(ct, sizeof(ct), "Contact: <sip:%s@127.0.0.1:%u>;expires=300\n", user,
			 agent[i].port);
		CHECK(sipc_register(&agent[i], "SHA-256", user, "secret", callid, &cseq, ct, buf,
				    sizeof(buf)) == 200);
	}

	/* two calls at once: 4 legs, 2 per address */
	for (int k = 0; k < 2; k++) {
		char callid[16];
		int a = -1;

		snprintf(callid, sizeof(callid), "mad-%d", k);
		caller_invite(&caller[k], callid);
		for (int t = 0; t < 40 && a < 0; t++)
			for (int i = 0; i < 2 && a < 0; i++)
				if (rang[0] != i && sipc_expect_method(&agent[i], inv, sizeof(inv),
								       "INVITE", 50) == 0)
					a = i;
		CHECK(a >= 0);
		rang[k] = a;
		/* our offer to the agent: its leg's own address and port */
		sdp_addr_port(&dp, sip_body(inv), &addr, &port);
		CHECK(legs_on(&dp, addr, port, pairs, &n_pairs) == 1);
		addrs_used |= 1u << addr;
		snprintf(ct, sizeof(ct), "Contact: <sip:agent%d@127.0.0.1:%u>\r\n", a + 1,
			 agent[a].port);
		sipc_respond(&agent[a], inv, 200, "OK", "ag", ct, SDP_AGENT);
		CHECK(sipc_expect_method(&agent[a], buf, sizeof(buf), "ACK", 2000) == 0);
		CHECK(sipc_expect_status(&caller[k], buf, sizeof(buf), 200, 3000) == 0);
		/* our answer to the caller: the caller's leg */
		sdp_addr_port(&dp, sip_body(buf), &addr, &port);
		CHECK(legs_on(&dp, addr, port, pairs, &n_pairs) == 1);
		addrs_used |= 1u << addr;
		sip_hdr(buf, "To", to[k], sizeof(to[k]));
		caller_req(&caller[k], "ACK", callid, to[k], 10);
	}
	/* more legs than one address holds: distinct pairs, two addresses */
	legs_on(&dp, 0, 0, pairs, &n_pairs);
	CHECK(n_pairs == 4);
	for (unsigned i = 0; i < n_pairs; i++)
		for (unsigned j = i + 1; j < n_pairs; j++)
			CHECK(pairs[i] != pairs[j]);
	CHECK(addrs_used == 3u); /* addresses 0 and 1, each seen in an SDP */
	CHECK(atomic_load(&dp.n_add) == 4);

	for (int k = 0; k < 2; k++) {
		char callid[16];

		snprintf(callid, sizeof(callid), "mad-%d", k);
		caller_req(&caller[k], "BYE", callid, to[k], 11);
		CHECK(sipc_expect_status(&caller[k], buf, sizeof(buf), 200, 2000) == 0);
		CHECK(sipc_expect_method(&agent[rang[k]], buf, sizeof(buf), "BYE", 2000) == 0);
		sipc_respond(&agent[rang[k]], buf, 200, "OK", NULL, NULL, NULL);
	}
	for (int i = 0; i < 20 && atomic_load(&dp.n_del) < 4; i++)
		usleep(50000);
	CHECK(atomic_load(&dp.n_del) == 4);

	CHECK(control_stop(pid) == 0);
	pid = 0;
	atomic_store(&dp.stop, 1);
	pthread_join(dp.thread, NULL);
	sb_dp_shm_detach(&dp.shm, 1);
	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	T_ASSERT(system(buf) == 0);
	return 0;
}
