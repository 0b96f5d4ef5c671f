/* SPDX-License-Identifier: MIT */
/* callback_cfg_t — a queue's `callback_digit:` (b2bua/queue.h
 * cpq_on_dtmf): off by default, one of 0-9, * or # loaded, anything else
 * refused as FILE:LINE: on the offending line.  The same for the dialling
 * back settings (callback_mode/retries/retry_after/ring_timeout) and the
 * `outbound:` trunk (b2bua/callback.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "config.h"
#include "test.h"
#include "cfg_test.h"

#define HEAD "instance: demo\nsip:\n  listen: [192.0.2.1:5060]\n" \
	     "agents:\n  - user: agent1\n    password: secret\n" \
	     "queues:\n  - name: q\n    members: [agent1]\n"

int main(void)
{
	struct sb_config c;
	char err[512];

	snprintf(cfg_dir, sizeof(cfg_dir), "/tmp/sb_callback_cfg_t.XXXXXX");
	T_ASSERT(mkdtemp(cfg_dir) != NULL);

	T_ASSERT(sb_config_load(&c, cfg_write(HEAD), err, sizeof(err)) == 0);
	T_ASSERT(c.n_queues == 1 && c.queues[0].callback_digit == '\0');
	sb_config_free(&c);
	T_ASSERT(sb_config_load(&c, cfg_write(HEAD "  - name: q2\n    members: [agent1]\n"
					      "    callback_digit: \"#\"\n"), err,
				sizeof(err)) == 0);
	T_ASSERT(c.queues[0].callback_digit == '\0' && c.queues[1].callback_digit == '#');
	sb_config_free(&c);
	T_ASSERT(sb_config_load(&c, cfg_write(HEAD "    callback_digit: 5\n"), err,
				sizeof(err)) == 0);
	T_ASSERT(c.queues[0].callback_digit == '5');
	sb_config_free(&c);

	cfg_bad(HEAD "    callback_digit: \"55\"\n", 10, "'callback_digit' must be one of 0-9, * or #");
	cfg_bad(HEAD "    callback_digit: \"a\"\n", 10, "'callback_digit' must be one of 0-9, * or #");
	cfg_bad(HEAD "    callback_digit: \"\"\n", 10, "'callback_digit' must be one of 0-9, * or #");
	cfg_bad(HEAD "    callback_digit: \"\\0\"\n", 10, "'callback_digit' must be one of");
	cfg_bad(HEAD "    callback_digit: [5]\n", 10, "'callback_digit' must be one of");
	cfg_bad(HEAD "    callbak_digit: \"5\"\n", 10, "unknown key 'callbak_digit'");

	/* dialling back (b2bua/callback.c): defaults agent-first, 2 retries
	 * 60 s apart, the customer rung the queue's ring_timeout */
	T_ASSERT(sb_config_load(&c, cfg_write(HEAD "    ring_timeout: 12\n"
					      "    callback_digit: \"5\"\n"), err,
				sizeof(err)) == 0);
	T_ASSERT(!c.queues[0].callback_customer_first && c.queues[0].callback_retries == 2 &&
		 c.queues[0].callback_retry_ms == 60000 && c.queues[0].callback_ring_ms == 12000);
	T_ASSERT(!c.outbound.on);
	sb_config_free(&c);
	T_ASSERT(sb_config_load(&c, cfg_write(HEAD "    callback_digit: \"5\"\n"
					      "    callback_mode: customer-first\n"
					      "    callback_retries: 0\n"
					      "    callback_retry_after: 5\n"
					      "    callback_ring_timeout: 20\n"
					      "outbound:\n  proxy: 192.0.2.50:5070\n"
					      "  from_user: \"+4930123\"\n  prefix: \"0\"\n"),
				err, sizeof(err)) == 0);
	T_ASSERT(c.queues[0].callback_customer_first && c.queues[0].callback_retries == 0 &&
		 c.queues[0].callback_retry_ms == 5000 && c.queues[0].callback_ring_ms == 20000);
	T_ASSERT(c.outbound.on && c.outbound.proxy.port == 5070 &&
		 c.outbound.proxy.ip == htonl(0xc0000232) &&
		 strcmp(c.outbound.from_user, "+4930123") == 0 &&
		 strcmp(c.outbound.prefix, "0") == 0);
	sb_config_free(&c);
	/* from_user defaults to the instance */
	T_ASSERT(sb_config_load(&c, cfg_write(HEAD "outbound:\n  proxy: 192.0.2.50:5060\n"), err,
				sizeof(err)) == 0);
	T_ASSERT(c.outbound.on && strcmp(c.outbound.from_user, "demo") == 0 &&
		 c.outbound.prefix[0] == '\0');
	sb_config_free(&c);

	cfg_bad(HEAD "    callback_digit: \"5\"\n    callback_mode: agent\n", 11,
		"'callback_mode' must be agent-first or customer-first");
	cfg_bad(HEAD "    callback_digit: \"5\"\n    callback_retries: 11\n", 11,
		"'callback_retries' must be a number in 0..10");
	cfg_bad(HEAD "    callback_digit: \"5\"\n    callback_retry_after: 0\n", 11,
		"'callback_retry_after' must be a number in 1..86400");
	cfg_bad(HEAD "    callback_digit: \"5\"\n    callback_ring_timeout: x\n", 11,
		"'callback_ring_timeout' must be a number in 1..3600");
	cfg_bad(HEAD "    callback_retries: 1\n", 10,
		"queue 'q': 'callback_retries' needs a 'callback_digit'");
	cfg_bad(HEAD "outbound:\n  from_user: x\n", 11, "'outbound' needs a 'proxy'");
	cfg_bad(HEAD "outbound:\n  proxy: somewhere\n", 11, "'proxy' must be IPV4:PORT");
	cfg_bad(HEAD "outbound:\n  proxy: 192.0.2.50:0\n", 11, "'proxy' must be IPV4:PORT");
	cfg_bad(HEAD "outbound:\n  proxy: 192.0.2.50:5060\n  from_user: \"a b\"\n", 12,
		"'from_user' may only hold letters, digits and +-_.*#");
	cfg_bad(HEAD "outbound:\n  proxy: 192.0.2.50:5060\n  prefix: \"0@\"\n", 12,
		"'prefix' may only hold");
	cfg_bad(HEAD "outbound:\n  proxy: 192.0.2.50:5060\n  prefix: \"01234567890123456\"\n",
		12, "'prefix' must be a string of at most 15 characters");
	cfg_bad(HEAD "outbound:\n  proxy: 192.0.2.50:5060\n  trunk: x\n", 12,
		"unknown key 'trunk' in 'outbound'");

	/* IVR `transfer N`: a hotline, else with a trunk an outside number */
#define IVR "prompts:\n  welcome: /tmp/w.wav\nivrs:\n  main:\n    prompt: welcome\n" \
	    "    options: {\"1\": transfer \"0155777\", \"2\": transfer 800100}\n" \
	    "hotlines:\n  - number: \"800100\"\n    queue: q\n"
	T_ASSERT(sb_config_load(&c, cfg_write(HEAD IVR "outbound:\n  proxy: 192.0.2.50:5060\n"),
				err, sizeof(err)) == 0);
	T_ASSERT(c.ivr_menus[0].key[1].type == SB_IVR_ACT_OUTSIDE && c.n_outside == 1 &&
		 strcmp(c.outside[c.ivr_menus[0].key[1].arg], "0155777") == 0);
	T_ASSERT(c.ivr_menus[0].key[2].type == SB_IVR_ACT_NUMBER &&
		 c.ivr_menus[0].key[2].arg == 0);
	sb_config_free(&c);
	cfg_bad(HEAD IVR, 15, "'transfer' names no hotline number '0155777'");

	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", cfg_dir);
		T_ASSERT(system(cmd) == 0);
	}
	return 0;
}
