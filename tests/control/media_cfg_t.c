/* SPDX-License-Identifier: MIT */
/* media_cfg_t — the media-processing configuration (config.h: prompts,
 * supervision, a queue's moh, an agent's supervisor/srtp, media transcode):
 * a valid file loads with the values and defaults; each mistake is
 * reported as FILE:LINE: message on the offending line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "test.h"
#include "cfg_test.h"

#define HEAD "instance: demo\nsip:\n  listen: [192.0.2.1:5060]\n"
#define AGENTS "agents:\n  - user: agent1\n    password: x\n  - user: boss\n    password: x\n"

int main(void)
{
	struct sb_config c;
	char err[512];

	snprintf(cfg_dir, sizeof(cfg_dir), "/tmp/sb_media_cfg_t.XXXXXX");
	T_ASSERT(mkdtemp(cfg_dir) != NULL);

	/* defaults: no prompts, codes *51, *52, *53; nobody supervises */
	T_ASSERT(sb_config_load(&c, cfg_write(HEAD AGENTS), err, sizeof(err)) == 0);
	T_ASSERT(c.n_prompts == 0 && !c.media_transcode);
	T_ASSERT(c.media_opus_complexity == SB_CFG_OPUS_COMPLEXITY_DP); /* the dataplane's */
	T_ASSERT(strcmp(c.supervision.listen, "*51") == 0 &&
		 strcmp(c.supervision.whisper, "*52") == 0 &&
		 strcmp(c.supervision.barge, "*53") == 0);
	T_ASSERT(!c.agents[0].supervisor && !c.agents[1].supervisor && !c.agents[0].srtp);
	sb_config_free(&c);

	T_ASSERT(sb_config_load(&c, cfg_write(
		HEAD "media:\n  transcode: true\n"
		"prompts:\n  welcome: /srv/welcome.wav\n  moh: /srv/moh.wav\n"
		"agents:\n  - user: agent1\n    password: x\n    srtp: true\n"
		"  - user: boss\n    password: x\n  - user: lead\n    password: x\n"
		"    supervisor: true\n"
		"supervision:\n  listen: \"#71\"\n  whisper: \"#72\"\n  barge: \"#73\"\n"
		"  supervisors: [boss]\n"
		"queues:\n  - name: q1\n    members: [agent1]\n    moh: moh\n"
		"  - name: q2\n    members: [agent1]\n"
		"hotlines:\n  - number: \"1\"\n    queue: q1\n"), err, sizeof(err)) == 0);
	T_ASSERT(c.media_transcode && c.n_prompts == 2);
	T_ASSERT(c.media_opus_complexity == SB_CFG_OPUS_COMPLEXITY_DP);
	T_ASSERT(strcmp(c.prompts[1].name, "moh") == 0 &&
		 strcmp(c.prompts[1].path, "/srv/moh.wav") == 0);
	T_ASSERT(c.queues[0].moh == 1 && c.queues[1].moh == -1);
	T_ASSERT(c.agents[0].srtp && !c.agents[0].supervisor);
	T_ASSERT(c.agents[1].supervisor && c.agents[2].supervisor); /* list, flag */
	T_ASSERT(strcmp(c.supervision.listen, "#71") == 0 &&
		 strcmp(c.supervision.barge, "#73") == 0);
	T_ASSERT(sb_config_prompt_find(&c, "welcome", 7) == 0);
	sb_config_free(&c);

	cfg_bad(HEAD "prompts:\n  moh: srv/moh.wav\n", 5, "path must be absolute");
	cfg_bad(HEAD "prompts:\n  moh: /a\n  moh: /b\n", 6, "defined twice");
	cfg_bad(HEAD "prompts: [a, b]\n", 4, "'prompts' must be a mapping");

	/* media: opus_complexity (the workers' Opus encoders) */
	T_ASSERT(sb_config_load(&c, cfg_write(HEAD "media:\n  opus_complexity: 0\n" AGENTS), err,
				sizeof(err)) == 0);
	T_ASSERT(c.media_opus_complexity == 0);
	sb_config_free(&c);
	T_ASSERT(sb_config_load(&c, cfg_write(HEAD "media:\n  transcode: true\n  opus_complexity: 10\n"
						  AGENTS), err, sizeof(err)) == 0);
	T_ASSERT(c.media_opus_complexity == 10);
	sb_config_free(&c);
	cfg_bad(HEAD "media:\n  transcode: true\n  opus_complexity: 11\n", 6,
		"'opus_complexity' must be a number in 0..10");
	cfg_bad(HEAD "media:\n  opus_complexity: high\n", 5,
		"'opus_complexity' must be a number in 0..10");
	cfg_bad(HEAD "media:\n  opus_complexity: -1\n", 5,
		"'opus_complexity' must be a number in 0..10");
	cfg_bad(HEAD "prompts:\n  moh: /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.wav\n", 5, "too long");
	cfg_bad(HEAD AGENTS "queues:\n  - name: q\n    members: [agent1]\n    moh: nothing\n", 12,
	    "'moh' names no prompt");
	cfg_bad(HEAD AGENTS "supervision:\n  listen: \"*5x\"\n", 10, "must be dial digits");
	cfg_bad(HEAD AGENTS "supervision:\n  listen: \"*5\"\n", 10, "is a prefix of '*52'");
	cfg_bad(HEAD AGENTS "supervision:\n  supervisors: [nobody]\n", 10, "unknown agent 'nobody'");
	cfg_bad(HEAD AGENTS "supervision:\n  spy: \"*54\"\n", 10, "unknown key 'spy'");
	cfg_bad(HEAD "agents:\n  - user: a\n    password: x\n    supervisor: maybe\n", 7, "supervisor");
	cfg_bad(HEAD "media:\n  transcode: 1\n", 5, "transcode");

	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", cfg_dir);
		T_ASSERT(system(cmd) == 0);
	}
	return 0;
}
