/* SPDX-License-Identifier: MIT */
/* callback_cfg_t — a queue's `callback_digit:` (b2bua/queue.h
 * cpq_on_dtmf): off by default, one of 0-9, * or # loaded, anything else
 * refused as FILE:LINE: on the offending line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", cfg_dir);
		T_ASSERT(system(cmd) == 0);
	}
	return 0;
}
