/* SPDX-License-Identifier: MIT */
/* config_t — a valid file loads; each kind of mistake is reported as
 * FILE:LINE: message naming the key, on the right line. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "test.h"
#include "cfg_test.h"

#define GOOD_HEAD "instance: demo\nsip:\n  listen: [192.0.2.1:5060, 198.51.100.1:5060]\n"

int main(void)
{
	struct sb_config c;
	char err[512];

	snprintf(cfg_dir, sizeof(cfg_dir), "/tmp/sb_config_t.XXXXXX");
	T_ASSERT(mkdtemp(cfg_dir) != NULL);

	T_ASSERT(sb_config_load(&c, cfg_write(
		"# comment\n"
		"instance: demo\n"
		"sip:\n"
		"  listen: [192.0.2.1:5060, 198.51.100.1:5060]   # one UDP socket per entry\n"
		"  ring_timeout: 20\n"
		"store:\n"
		"  sqlite: /tmp/sb/switchboard.db\n"
		"agents:\n"
		"  - user: agent1\n"
		"    password: secret\n"
		"  - user: agent2\n"
		"hotlines:\n"
		"  - number: \"800100\"\n"
		"    agents: [agent1, agent2]\n"
		"  - number: 800200\n"
		"    agents:\n"
		"      - agent2\n"), err, sizeof(err)) == 0);
	T_ASSERT(strcmp(c.instance, "demo") == 0 && c.n_listen == 2);
	T_ASSERT(c.listen[0].ip == inet_addr("192.0.2.1") && c.listen[0].port == 5060);
	T_ASSERT(c.listen[1].ip == inet_addr("198.51.100.1"));
	T_ASSERT(c.ring_timeout_s == 20 && strcmp(c.sqlite, "/tmp/sb/switchboard.db") == 0);
	T_ASSERT(c.n_agents == 2 && strcmp(c.agents[0].password, "secret") == 0);
	T_ASSERT(c.agents[1].password[0] == '\0');
	T_ASSERT(c.n_hotlines == 2 && strcmp(c.hotlines[0].number, "800100") == 0);
	T_ASSERT(c.hotlines[0].n_agents == 2 && c.hotlines[0].agents[1] == 1);
	T_ASSERT(c.hotlines[1].n_agents == 1 && c.hotlines[1].agents[0] == 1);
	T_ASSERT(sb_config_hotline_find(&c, "800200", 6) == 1);
	T_ASSERT(sb_config_agent_find(&c, "agent3", 6) == -1);
	sb_config_free(&c);

	/* minimal: store, agents and hotlines are optional; default ring timeout */
	T_ASSERT(sb_config_load(&c, cfg_write(GOOD_HEAD), err, sizeof(err)) == 0);
	T_ASSERT(c.ring_timeout_s == 30 && c.sqlite[0] == '\0' && c.n_agents == 0);
	T_ASSERT(c.media_timeout_s == 0); /* the dataplane's default */
	T_ASSERT(c.n_media_codecs == 0); /* sip/sdp_oa.h's default list */
	sb_config_free(&c);
	T_ASSERT(sb_config_load(&c, cfg_write(GOOD_HEAD "media:\n  codecs: [opus, PCMA, "
					      "telephone-event]\n"), err, sizeof(err)) == 0);
	T_ASSERT(c.n_media_codecs == 3 && c.media_codecs[0] == SB_CODEC_OPUS &&
		 c.media_codecs[1] == SB_CODEC_PCMA && c.media_codecs[2] == SB_CODEC_TEL_EVENT);
	sb_config_free(&c);
	T_ASSERT(sb_config_load(&c, cfg_write(GOOD_HEAD "media:\n  timeout: 90\n"), err,
			       sizeof(err)) == 0);
	T_ASSERT(c.media_timeout_s == 90);
	T_ASSERT(c.media_backend == SB_CFG_MEDIA_DPDK); /* the default */
	sb_config_free(&c);
	T_ASSERT(sb_config_load(&c, cfg_write(GOOD_HEAD "media:\n  backend: dpdk\n"), err,
			       sizeof(err)) == 0);
	T_ASSERT(c.media_backend == SB_CFG_MEDIA_DPDK);
	sb_config_free(&c);
	/* the kernel backend: address required, default port range, poll */
	T_ASSERT(sb_config_load(&c, cfg_write(GOOD_HEAD "media:\n  backend: kernel\n"
					      "  address: 192.0.2.1\n"), err, sizeof(err)) == 0);
	T_ASSERT(c.media_backend == SB_CFG_MEDIA_KERNEL && c.media_ip == inet_addr("192.0.2.1"));
	T_ASSERT(c.media_port_min == 20000 && c.media_port_max == 29999 && c.media_poll_ms == 0);
	sb_config_free(&c);
	T_ASSERT(sb_config_load(&c, cfg_write(GOOD_HEAD "media:\n  timeout: 5\n  backend: kernel\n"
					      "  address: 198.51.100.1\n  port_min: 40000\n"
					      "  port_max: 40099\n  poll_ms: 50\n"),
			       err, sizeof(err)) == 0);
	T_ASSERT(c.media_backend == SB_CFG_MEDIA_KERNEL && c.media_ip == inet_addr("198.51.100.1"));
	T_ASSERT(c.media_port_min == 40000 && c.media_port_max == 40099 && c.media_poll_ms == 50);
	T_ASSERT(c.media_timeout_s == 5);
	sb_config_free(&c);

	/* digest defaults: SHA-256 then MD5, 300 s nonces, RFC 2069 off */
	T_ASSERT(sb_config_load(&c, cfg_write(GOOD_HEAD), err, sizeof(err)) == 0);
	T_ASSERT(strcmp(c.auth.realm, "switchboard") == 0 && c.auth.nonce_ttl_s == 300);
	T_ASSERT(c.auth.n_algs == 2 && c.auth.algs[0] == SB_AUTH_SHA256 &&
		 c.auth.algs[1] == SB_AUTH_MD5 && !c.auth.md5_without_qop);
	T_ASSERT(c.registrar.min_expires_s == 60 && c.registrar.max_expires_s == 3600 &&
		 c.registrar.default_expires_s == 3600 && c.registrar.max_contacts == 4);
	sb_config_free(&c);
	/* auth, registrar and precomputed HA1s (upper case hex is stored lower) */
	T_ASSERT(sb_config_load(&c, cfg_write(GOOD_HEAD
		"auth:\n  realm: example.net\n  nonce_ttl: 60\n  algorithms: [md5]\n"
		"  md5_without_qop: true\n"
		"registrar:\n  min_expires: 10\n  max_expires: 300\n  max_contacts: 16\n"
		"agents:\n  - user: a1\n    ha1_md5: 0123456789ABCDEF0123456789abcdef\n"
		"    ha1_sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"),
		err, sizeof(err)) == 0);
	T_ASSERT(strcmp(c.auth.realm, "example.net") == 0 && c.auth.nonce_ttl_s == 60);
	T_ASSERT(c.auth.n_algs == 1 && c.auth.algs[0] == SB_AUTH_MD5 && c.auth.md5_without_qop);
	/* default_expires follows max_expires when not given */
	T_ASSERT(c.registrar.min_expires_s == 10 && c.registrar.max_expires_s == 300 &&
		 c.registrar.default_expires_s == 300 && c.registrar.max_contacts == 16);
	T_ASSERT(strcmp(c.agents[0].ha1_md5, "0123456789abcdef0123456789abcdef") == 0);
	T_ASSERT(strlen(c.agents[0].ha1_sha256) == 64 && c.agents[0].password[0] == '\0');
	sb_config_free(&c);

	/* sip: overload: defaults (off, but the scanner list) and a full section */
	T_ASSERT(sb_config_load(&c, cfg_write(GOOD_HEAD), err, sizeof(err)) == 0);
	T_ASSERT(c.overload.max_cps == 0 && c.overload.max_calls == 0 &&
		 c.overload.source_rps == 0 && c.overload.retry_after_s == 5 &&
		 c.overload.ban_s == 60 && c.overload.n_scanners == 4 &&
		 strcmp(c.overload.scanners[0], "friendly-scanner") == 0 &&
		 strcmp(c.overload.scanners[3], "VaxSIPUserAgent") == 0);
	sb_config_free(&c);
	T_ASSERT(sb_config_load(&c, cfg_write(GOOD_HEAD "  overload:\n    max_cps: 50\n"
					      "    max_calls: 900\n    retry_after: 7\n"
					      "    source_rps: 30\n    ban_seconds: 120\n"
					      "    scanners: [evil-ua]\n"), err, sizeof(err)) == 0);
	T_ASSERT(c.overload.max_cps == 50 && c.overload.max_calls == 900 &&
		 c.overload.retry_after_s == 7 && c.overload.source_rps == 30 &&
		 c.overload.ban_s == 120 && c.overload.n_scanners == 1 &&
		 strcmp(c.overload.scanners[0], "evil-ua") == 0);
	sb_config_free(&c);
	T_ASSERT(sb_config_load(&c, cfg_write(GOOD_HEAD "  overload:\n    scanners: []\n"), err,
				sizeof(err)) == 0 && c.overload.n_scanners == 0);
	sb_config_free(&c);
	cfg_bad(GOOD_HEAD "  overload:\n    max_cps: lots\n", 5, "'max_cps' must be");
	cfg_bad(GOOD_HEAD "  overload:\n    retry_after: 0\n", 5, "'retry_after' must be 1..3600");
	cfg_bad(GOOD_HEAD "  overload:\n    ban_seconds: 0\n", 5, "'ban_seconds'");
	cfg_bad(GOOD_HEAD "  overload:\n    burst: 3\n", 5, "unknown key 'burst' in 'overload'");
	cfg_bad(GOOD_HEAD "  overload:\n    scanners: sipvicious\n", 5, "'scanners' must be a list");
	cfg_bad(GOOD_HEAD "  overload:\n    scanners:\n      - a\n      - ''\n", 7,
	    "must not be empty");
	cfg_bad(GOOD_HEAD "  overload: 5\n", 4, "'overload' must be a mapping");

	T_ASSERT(sb_config_load(&c, "/nonexistent/sb.yaml", err, sizeof(err)) == -ENOENT);
	T_ASSERT(strstr(err, "/nonexistent/sb.yaml") != NULL);

	cfg_bad("instance: demo\nsip:\n  listen: [1.2.3.4:5060\n", 4, "");           /* YAML syntax */
	cfg_bad(GOOD_HEAD "color: blue\n", 4, "unknown key 'color'");
	cfg_bad("instance: demo\nsip:\n  listen: [1.2.3.4:5060]\n  port: 5\n", 4, "unknown key 'port' in 'sip'");
	cfg_bad("sip:\n  listen: [1.2.3.4:5060]\n", 1, "missing 'instance'");
	cfg_bad("instance: demo\n", 1, "missing 'sip'");
	cfg_bad("instance: [a]\nsip:\n  listen: [1.2.3.4:5060]\n", 1, "'instance' must be a string");
	cfg_bad("instance: a/b\nsip:\n  listen: [1.2.3.4:5060]\n", 1, "'instance'");
	cfg_bad("instance: demo\nsip:\n  listen: [1.2.3.4:5060, nothost:1]\n", 3, "'listen' entry");
	cfg_bad("instance: demo\nsip:\n  listen:\n    - 1.2.3.4:5060\n    - 1.2.3.4:99999\n", 5, "'listen' entry");
	cfg_bad("instance: demo\nsip:\n  listen: [1.2.3.4:5060, 1.2.3.4:5060]\n", 3, "twice");
	cfg_bad("instance: demo\nsip:\n  listen: 1.2.3.4:5060\n", 3, "'listen' must be a list");
	cfg_bad("instance: demo\nsip:\n  listen: []\n", 3, "must not be empty");
	cfg_bad("instance: demo\nsip: {}\n", 2, "needs a 'listen'");
	cfg_bad(GOOD_HEAD "  ring_timeout: 0\n", 4, "'ring_timeout'");
	/* session timers and OPTIONS keep-alive (b2bua/dialog.c, registrar.c) */
	cfg_bad(GOOD_HEAD "  session_expires: 60\n", 4, "'session_expires' is below 'min_se'");
	cfg_bad(GOOD_HEAD "  min_se: 0\n", 4, "'min_se' must be 1..86400");
	cfg_bad(GOOD_HEAD "  options_failures: 0\n", 4, "'options_failures' must be 1..100");
	T_ASSERT(sb_config_load(&c, cfg_write(GOOD_HEAD "  session_expires: 4\n  min_se: 2\n"
					      "  options_interval: 5\n  options_failures: 2\n"),
				err, sizeof(err)) == 0);
	T_ASSERT(c.session_expires_s == 4 && c.min_se_s == 2 && c.options_interval_s == 5 &&
		 c.options_failures == 2);
	sb_config_free(&c);
	T_ASSERT(sb_config_load(&c, cfg_write(GOOD_HEAD), err, sizeof(err)) == 0);
	T_ASSERT(c.session_expires_s == 1800 && c.min_se_s == 90 && c.options_interval_s == 0 &&
		 c.options_failures == 3);
	sb_config_free(&c);
	cfg_bad(GOOD_HEAD "media:\n  timeout: 0\n", 5, "'timeout' must be a number in 1..86400");
	cfg_bad(GOOD_HEAD "media:\n  timeout: 10\n  idle: 3\n", 6, "unknown key 'idle' in 'media'");
	cfg_bad(GOOD_HEAD "media:\n  backend: vpp\n", 5, "'backend' must be dpdk or kernel");
	cfg_bad(GOOD_HEAD "media:\n  codecs: PCMU\n", 5, "'codecs' must be a list");
	cfg_bad(GOOD_HEAD "media:\n  codecs:\n    - PCMA\n    - G729\n", 7, "unknown codec");
	cfg_bad(GOOD_HEAD "media:\n  codecs: [PCMA, pcma]\n", 5, "listed twice");
	cfg_bad(GOOD_HEAD "media:\n  codecs: [telephone-event]\n", 5, "at least one audio codec");
	cfg_bad(GOOD_HEAD "media:\n  timeout: 10\n  backend: kernel\n", 6,
	    "'backend: kernel' needs 'address: IPV4'");
	cfg_bad(GOOD_HEAD "media:\n  backend: kernel\n  address: 192.0.2.300\n", 6,
	    "'address' must be an IPv4 address");
	cfg_bad(GOOD_HEAD "media:\n  backend: kernel\n  address: 0.0.0.0\n", 6,
	    "'address' must be an IPv4 address");
	cfg_bad(GOOD_HEAD "media:\n  address: 192.0.2.1\n", 5, "'address' is only for 'backend: kernel'");
	cfg_bad(GOOD_HEAD "media:\n  backend: dpdk\n  port_min: 30000\n", 6,
	    "'port_min' is only for 'backend: kernel'");
	cfg_bad(GOOD_HEAD "media:\n  backend: kernel\n  address: 192.0.2.1\n  port_min: 80\n", 7,
	    "'port_min' must be a number in 1024..65534");
	cfg_bad(GOOD_HEAD "media:\n  backend: kernel\n  address: 192.0.2.1\n  port_min: 30000\n"
	    "  port_max: 30001\n", 8, "'port_max' must be at least 'port_min' + 3");
	cfg_bad(GOOD_HEAD "media:\n  backend: kernel\n  address: 192.0.2.1\n  poll_ms: 5\n", 7,
	    "'poll_ms' must be a number in 10..60000");
	cfg_bad(GOOD_HEAD "auth:\n  nonce_ttl: 301\n", 5, "'nonce_ttl' must be a number in 1..300");
	cfg_bad(GOOD_HEAD "auth:\n  algorithms: [SHA-1]\n", 5, "unknown digest algorithm");
	cfg_bad(GOOD_HEAD "auth:\n  algorithms:\n    - MD5\n    - md5\n", 7, "listed twice");
	cfg_bad(GOOD_HEAD "auth:\n  algorithms: []\n", 5, "must not be empty");
	cfg_bad(GOOD_HEAD "auth:\n  realm: 'a\"b'\n", 5, "'realm' must not hold quotes");
	cfg_bad(GOOD_HEAD "auth:\n  md5_without_qop: maybe\n", 5, "must be true or false");
	cfg_bad(GOOD_HEAD "auth:\n  opaque: x\n", 5, "unknown key 'opaque' in 'auth'");
	cfg_bad(GOOD_HEAD "registrar:\n  min_expires: 100\n  max_expires: 50\n", 5, "above 'max_expires'");
	cfg_bad(GOOD_HEAD "registrar:\n  max_contacts: 17\n", 5, "'max_contacts' must be a number in 1..16");
	cfg_bad(GOOD_HEAD "registrar:\n  default_expires: 5\n", 5, "'default_expires' must lie between");
	cfg_bad(GOOD_HEAD "agents:\n  - user: a1\n    ha1_md5: 0123\n", 6, "'ha1_md5' must be 32 hex digits");
	cfg_bad(GOOD_HEAD "agents:\n  - user: a1\n"
		      "    ha1_sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg\n",
	    6, "'ha1_sha256' must be 64 hex digits");
	cfg_bad(GOOD_HEAD "agents:\n  - user: a1\n    password: x\n"
		      "    ha1_md5: 0123456789abcdef0123456789abcdef\n", 7, "not both");
	cfg_bad(GOOD_HEAD "store:\n  mysql: x\n", 5, "unknown key 'mysql' in 'store'");
	cfg_bad(GOOD_HEAD "store:\n  sqlite: ''\n", 5, "'sqlite' must not be empty");
	cfg_bad(GOOD_HEAD "agents:\n  - user: a1\n    pin: 1\n", 6, "unknown key 'pin' in an agent");
	cfg_bad(GOOD_HEAD "agents:\n  - password: x\n", 5, "agent needs a 'user'");
	cfg_bad(GOOD_HEAD "agents:\n  - user: a1\n  - user: a1\n", 6, "agent 'a1' is defined twice");
	cfg_bad(GOOD_HEAD "agents: a1\n", 4, "'agents' must be a list");
	cfg_bad(GOOD_HEAD "agents:\n  - user: a1\nhotlines:\n  - number: 1\n    agents: [a1, a9]\n", 8,
	    "unknown agent 'a9'");
	cfg_bad(GOOD_HEAD "agents:\n  - user: a1\nhotlines:\n  - agents: [a1]\n", 7, "needs a 'number'");
	cfg_bad(GOOD_HEAD "agents:\n  - user: a1\nhotlines:\n  - number: 1\n    agents: [a1]\n"
		      "  - number: 1\n    agents: [a1]\n", 9, "hotline '1' is defined twice");
	cfg_bad(GOOD_HEAD "agents:\n  - user: a1\nhotlines:\n  - number: 1\n", 7, "needs an 'agents' list");
	cfg_bad(GOOD_HEAD "agents:\n  - user: a1\nhotlines:\n  - number: 1\n    queue: q\n", 8,
	    "hotline '1': 'queue' names no queue");

	/* queues (b2bua/queue.h): a full one, defaults, the hotline form */
#define Q_AGENTS GOOD_HEAD "agents:\n  - user: a1\n  - user: a2\n  - user: a3\n"
	T_ASSERT(sb_config_load(&c, cfg_write(Q_AGENTS
		"queues:\n"
		"  - name: sales\n"
		"    strategy: longest-idle\n"
		"    members: [a2, a1]\n"
		"    ring_timeout: 7\n"
		"    wrap_up: 3\n"
		"    max_len: 5\n"
		"    max_wait: 60\n"
		"    overflow: spill\n"
		"    join_empty: false\n"
		"    leave_empty: true\n"
		"    early_media: true\n"
		"    transfer_priority: 7\n"
		"  - name: spill\n"
		"    members: [a3]\n"
		"hotlines:\n"
		"  - number: \"800\"\n"
		"    queue: sales\n"
		"  - number: \"801\"\n"
		"    agents: [a1]\n"), err, sizeof(err)) == 0);
	T_ASSERT(c.n_queues == 2 && strcmp(c.queues[0].name, "sales") == 0);
	T_ASSERT(c.queues[0].strategy == 1 && c.queues[0].n_members == 2);
	T_ASSERT(c.queues[0].members[0] == 1 && c.queues[0].members[1] == 0);
	T_ASSERT(c.queues[0].ring_ms == 7000 && c.queues[0].wrapup_ms == 3000);
	T_ASSERT(c.queues[0].max_len == 5 && c.queues[0].max_wait_ms == 60000);
	T_ASSERT(c.queues[0].overflow == 1 && !c.queues[0].join_empty && c.queues[0].leave_empty);
	/* defaults: linear, the sip ring_timeout (30 s), no limits, join when empty */
	T_ASSERT(c.queues[1].strategy == 6 && c.queues[1].ring_ms == 30000);
	T_ASSERT(c.queues[1].wrapup_ms == 0 && c.queues[1].max_len == 0 &&
		 c.queues[1].max_wait_ms == 0 && c.queues[1].overflow == -1);
	T_ASSERT(c.queues[1].join_empty && !c.queues[1].leave_empty);
	/* early media (b2bua/early.c): off unless asked for */
	T_ASSERT(c.queues[0].early_media && !c.queues[1].early_media);
	/* tier 2 (b2bua/xfer.c): a transferred caller's minimum priority, 0 by default */
	T_ASSERT(c.queues[0].transfer_priority == 7 && c.queues[1].transfer_priority == 0);
	T_ASSERT(c.hotlines[0].queue == 0 && c.hotlines[1].queue == -1 &&
		 c.hotlines[1].n_agents == 1);
	T_ASSERT(sb_config_queue_find(&c, "spill", 5) == 1 && sb_config_queue_find(&c, "x", 1) < 0);
	sb_config_free(&c);
	/* line 9 is the first queue's first key */
	cfg_bad(Q_AGENTS "queues:\n  - name: q\n    strategy: fastest\n    members: [a1]\n", 10,
	    "queue 'q': 'strategy' must be one of");
	/* ring-all: every free member at once (b2bua/uac.c forks) */
	T_ASSERT(sb_config_load(&c, cfg_write(Q_AGENTS "queues:\n  - name: q\n"
		"    strategy: ring-all\n    members: [a1, a2]\n"), err, sizeof(err)) == 0);
	T_ASSERT(c.n_queues == 1 && c.queues[0].strategy == 0);
	sb_config_free(&c);
	cfg_bad(Q_AGENTS "queues:\n  - name: q\n    strategy: ring_all\n    members: [a1]\n", 10,
	    "'strategy' must be one of ring-all,");
	cfg_bad(Q_AGENTS "queues:\n  - name: q\n", 9, "queue 'q' needs a 'members' list");
	cfg_bad(Q_AGENTS "queues:\n  - strategy: linear\n", 9, "queue needs a 'name'");
	cfg_bad(Q_AGENTS "queues:\n  - name: q\n    members: [a1, a9]\n", 10,
	    "queue 'q' names unknown agent 'a9'");
	cfg_bad(Q_AGENTS "queues:\n  - name: q\n    members: [a1, a1]\n", 10,
	    "queue 'q' lists agent 'a1' twice");
	cfg_bad(Q_AGENTS "queues:\n  - name: q\n    members: a1\n", 10,
	    "'members' of queue 'q' must be a list");
	cfg_bad(Q_AGENTS "queues:\n  - name: q\n    members: [a1]\n    ring_timeout: 0\n", 11,
	    "'ring_timeout' must be a number in 1..3600");
	cfg_bad(Q_AGENTS "queues:\n  - name: q\n    members: [a1]\n    wrap_up: -1\n", 11,
	    "'wrap_up' must be a number");
	cfg_bad(Q_AGENTS "queues:\n  - name: q\n    members: [a1]\n    max_wait: 99999\n", 11,
	    "'max_wait' must be a number in 0..86400");
	cfg_bad(Q_AGENTS "queues:\n  - name: q\n    members: [a1]\n    max_len: lots\n", 11,
	    "'max_len' must be a number");
	cfg_bad(Q_AGENTS "queues:\n  - name: q\n    members: [a1]\n    overflow: nowhere\n", 11,
	    "queue 'q': 'overflow' names no queue");
	cfg_bad(Q_AGENTS "queues:\n  - name: q\n    members: [a1]\n    overflow: q\n", 11,
	    "'overflow' is the queue itself");
	cfg_bad(Q_AGENTS "queues:\n  - name: q\n    members: [a1]\n    join_empty: maybe\n", 11,
	    "'join_empty' must be true or false");
	cfg_bad(Q_AGENTS "queues:\n  - name: q\n    members: [a1]\n    leave_empty: 1\n", 11,
	    "'leave_empty' must be true or false");
	cfg_bad(Q_AGENTS "queues:\n  - name: q\n    members: [a1]\n    early_media: yes\n", 11,
	    "'early_media' must be true or false");
	cfg_bad(Q_AGENTS "queues:\n  - name: q\n    members: [a1]\n    transfer_priority: 256\n", 11,
	    "'transfer_priority' must be a number in 0..255");
	cfg_bad(Q_AGENTS "queues:\n  - name: q\n    members: [a1]\n    transfer_priority: high\n",
	    11, "'transfer_priority' must be a number in 0..255");
	cfg_bad(Q_AGENTS "queues:\n  - name: q\n    members: [a1]\n    skills: [x]\n", 11,
	    "queue 'q': 'skills' must be a mapping of skill: minimum level");
	cfg_bad(Q_AGENTS "queues:\n  - name: q\n    members: [a1]\n  - name: q\n    members: [a2]\n",
	    11, "queue 'q' is defined twice");
	cfg_bad(Q_AGENTS "queues:\n  - name: q\n    members: [a1]\nhotlines:\n  - number: 1\n"
		     "    agents: [a1]\n    queue: q\n", 14, "hotline '1' has both 'agents' and 'queue'");
	cfg_bad(GOOD_HEAD "queues:\n  - name: q\n    members: [a1]\n", 5,
	    "'queues' need an 'agents' list first");
	cfg_bad(GOOD_HEAD "sip: {}\n", 4, "duplicate key 'sip'");

	/* transaction timers and TCP (sip/txn.h, sip/tx.h) */
	T_ASSERT(sb_config_load(&c, cfg_write("instance: demo\nsip:\n  listen: [192.0.2.1:5060]\n"
					      "  t1_ms: 250\n  t2_ms: 2000\n  t4_ms: 2500\n"
					      "  tcp: false\n  tcp_max_connections: 10\n"
					      "  tcp_idle_timeout: 30\n"), err, sizeof(err)) == 0);
	T_ASSERT(c.t1_ms == 250 && c.t2_ms == 2000 && c.t4_ms == 2500 && !c.tcp &&
		 c.tcp_max_conns == 10 && c.tcp_idle_s == 30);
	sb_config_free(&c);
	T_ASSERT(sb_config_load(&c, cfg_write(GOOD_HEAD), err, sizeof(err)) == 0);
	T_ASSERT(c.t1_ms == 500 && c.t2_ms == 4000 && c.t4_ms == 5000 && c.tcp);
	sb_config_free(&c);
	cfg_bad("instance: demo\nsip:\n  listen: [192.0.2.1:5060]\n  t1_ms: 5\n", 4,
	    "'t1_ms' must be 10..10000");
	cfg_bad("instance: demo\nsip:\n  listen: [192.0.2.1:5060]\n  t1_ms: 800\n  t2_ms: 500\n", 5,
	    "'t2_ms' must not be below 't1_ms'");
	cfg_bad("instance: demo\nsip:\n  listen: [192.0.2.1:5060]\n  tcp: yes\n", 4,
	    "'tcp' must be true or false");

	unlink(cfg_write(""));
	rmdir(cfg_dir);
	return 0;
}
