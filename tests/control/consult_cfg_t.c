/* SPDX-License-Identifier: MIT */
/* consult_cfg_t — the in-call codes of `feature_codes:` (b2bua/consult.h:
 * consult, conference, complete, cancel, agent_hangup): off by default,
 * values and "" loaded, each mistake reported as FILE:LINE: on the
 * offending line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "test.h"
#include "cfg_test.h"

#define HEAD "instance: demo\nsip:\n  listen: [192.0.2.1:5060]\n"
#define FC "feature_codes:\n"

int main(void)
{
	struct sb_config c;
	char err[512];

	snprintf(cfg_dir, sizeof(cfg_dir), "/tmp/sb_consult_cfg_t.XXXXXX");
	T_ASSERT(mkdtemp(cfg_dir) != NULL);

	/* default: every in-call code off, the agent's hang-up completes */
	T_ASSERT(sb_config_load(&c, cfg_write(HEAD), err, sizeof(err)) == 0);
	T_ASSERT(c.fcodes.consult[0] == '\0' && c.fcodes.conference[0] == '\0' &&
		 c.fcodes.complete[0] == '\0' && c.fcodes.cancel[0] == '\0');
	T_ASSERT(!c.fcodes.hangup_ends && strcmp(c.fcodes.login, "*20") == 0);
	sb_config_free(&c);

	T_ASSERT(sb_config_load(&c, cfg_write(HEAD FC "  consult: \"*2\"\n  conference: \"*3\"\n"
					      "  complete: \"#4\"\n  cancel: \"\"\n"
					      "  agent_hangup: end\n"), err, sizeof(err)) == 0);
	T_ASSERT(strcmp(c.fcodes.consult, "*2") == 0 && strcmp(c.fcodes.conference, "*3") == 0 &&
		 strcmp(c.fcodes.complete, "#4") == 0 && c.fcodes.cancel[0] == '\0');
	T_ASSERT(c.fcodes.hangup_ends);
	sb_config_free(&c);

	cfg_bad(HEAD FC "  consult: \"2\"\n", 5, "'consult' must be '*' or '#' then digits");
	cfg_bad(HEAD FC "  consult: \"*2\"\n  cancel: \"*2a\"\n", 6,
		"'cancel' must be '*' or '#' then digits");
	cfg_bad(HEAD FC "  conference: [\"*3\"]\n", 5, "'conference' must be a short string");
	cfg_bad(HEAD FC "  complete: \"*4444444444444444444\"\n", 5, "'complete' must be a short");
	/* one code the start of another: the longer could never be keyed */
	cfg_bad(HEAD FC "  consult: \"*2\"\n  complete: \"*23\"\n", 6,
		"in-call code 'complete' (*23) starts with 'consult' (*2)");
	cfg_bad(HEAD FC "  conference: \"*3\"\n  cancel: \"*3\"\n", 5,
		"in-call code 'conference' (*3) starts with 'cancel' (*3)");
	cfg_bad(HEAD FC "  agent_hangup: transfer\n", 5, "'agent_hangup' must be 'complete' or 'end'");
	cfg_bad(HEAD FC "  consult: \"*2\"\n  consultt: \"*9\"\n", 6, "unknown key 'consultt'");

	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", cfg_dir);
		T_ASSERT(system(cmd) == 0);
	}
	return 0;
}
