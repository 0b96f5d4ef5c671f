/* SPDX-License-Identifier: MIT */
/* skills_cfg_t — skills in the configuration (config.h: top-level
 * `skills:`, an agent's `skills: {name: level}`, a queue's `skills:` and
 * `steps:`): a valid file maps names to ids (declared first, then first
 * use), levels and steps as the engine takes them (level M -> drop from
 * the highest requirement); the queue's announcement and comfort prompts
 * and the spoken-number prompts "num-N"; each mistake is FILE:LINE:
 * naming the field. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "test.h"
#include "cfg_test.h"

#define HEAD "instance: demo\nsip:\n  listen: [192.0.2.1:5060]\n"
#define AG "agents:\n  - user: a1\n    password: x\n    skills: {billing: 5, spanish: 2}\n"
#define Q "queues:\n  - name: q\n    members: [a1]\n"

int main(void)
{
	struct sb_config c;
	char err[512];
	int b, f, sp;

	snprintf(cfg_dir, sizeof(cfg_dir), "/tmp/sb_skills_cfg_t.XXXXXX");
	T_ASSERT(mkdtemp(cfg_dir) != NULL);

	if (sb_config_load(&c, cfg_write(HEAD "skills: [french, billing]\n" AG
		"  - user: a2\n    password: x\n"
		Q "    skills: {billing: 4, french: 3}\n"
		"    steps:\n      - {after: 10, level: 2}\n      - {after: 20, drop: 3}\n"
		"      - {after: 30, any: true}\n"
		"  - name: plain\n    members: [a1, a2]\n"), err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* ids: declared order, then spanish at first use */
	T_ASSERT(c.n_skills == 3);
	f = sb_config_skill_find(&c, "french", 6);
	b = sb_config_skill_find(&c, "billing", 7);
	sp = sb_config_skill_find(&c, "spanish", 7);
	T_ASSERT(f == 0 && b == 1 && sp == 2);
	T_ASSERT(c.agents[0].skills[b] == 5 && c.agents[0].skills[sp] == 2 &&
		 c.agents[0].skills[f] == 0);
	for (unsigned i = 0; i < SB_CFG_SKILLS; i++)
		T_ASSERT(c.agents[1].skills[i] == 0);
	T_ASSERT(c.queues[0].skills.n_req == 2);
	T_ASSERT(c.queues[0].skills.req[0].skill == b && c.queues[0].skills.req[0].level == 4);
	T_ASSERT(c.queues[0].skills.req[1].skill == f && c.queues[0].skills.req[1].level == 3);
	/* level 2 with a highest requirement of 4: drop 2 */
	T_ASSERT(c.queues[0].skills.n_steps == 2);
	T_ASSERT(c.queues[0].skills.steps[0].after_ms == 10000 &&
		 c.queues[0].skills.steps[0].drop == 2);
	T_ASSERT(c.queues[0].skills.steps[1].after_ms == 20000 &&
		 c.queues[0].skills.steps[1].drop == 3);
	T_ASSERT(c.queues[0].skills.any_after_ms == 30000);
	T_ASSERT(c.queues[1].skills.n_req == 0 && c.queues[1].skills.n_steps == 0 &&
		 c.queues[1].skills.any_after_ms == 0);
	sb_config_free(&c);

	/* mistakes, each on its line */
	cfg_bad(HEAD "skills: billing\n", 4, "'skills' must be a list");
	cfg_bad(HEAD "skills: [a, a]\n", 4, "declared twice");
	cfg_bad(HEAD "agents:\n  - user: a1\n    password: x\n    skills: [billing]\n", 7,
		"agent 'a1': 'skills' must be a mapping");
	cfg_bad(HEAD "agents:\n  - user: a1\n    password: x\n    skills: {billing: 0}\n", 7,
		"agent 'a1': level of skill 'billing' must be a number in 1..255");
	cfg_bad(HEAD "agents:\n  - user: a1\n    password: x\n    skills: {billing: 256}\n", 7,
		"1..255");
	cfg_bad(HEAD AG Q "    skills: {bilings: 3}\n", 11,
		"queue 'q': skill 'bilings' is neither declared in 'skills' nor held by any agent");
	cfg_bad(HEAD AG Q "    skills: {billing: 3, spanish: 1, billing: 2}\n", 11,
		"listed twice");
	cfg_bad(HEAD AG Q "    steps:\n      - {after: 3, drop: 1}\n", 12,
		"queue 'q': 'steps' need 'skills'");
	cfg_bad(HEAD AG Q "    skills: {billing: 3}\n    steps:\n      - {level: 1}\n", 13,
		"a step needs 'after'");
	cfg_bad(HEAD AG Q "    skills: {billing: 3}\n    steps:\n      - {after: 5, level: 3}\n", 13,
		"'level' must be a number in 0..2");
	cfg_bad(HEAD AG Q "    skills: {billing: 3}\n    steps:\n      - {after: 5, level: 1, drop: 1}\n",
		13, "one of 'level', 'drop', 'any'");
	cfg_bad(HEAD AG Q "    skills: {billing: 3}\n    steps:\n      - {after: 5, drop: 1}\n"
		"      - {after: 4, drop: 2}\n", 14, "must increase");
	cfg_bad(HEAD AG Q "    skills: {billing: 3}\n    steps:\n      - {after: 5, any: true}\n"
		"      - {after: 9, drop: 2}\n", 14, "'any' step come last");
	cfg_bad(HEAD AG Q "    skills: {billing: 3}\n    steps:\n      - {after: 5, drop: 2}\n"
		"      - {after: 9, level: 2}\n", 14, "lower levels than the one before");
	cfg_bad(HEAD AG Q "    skills: {billing: 3}\n    steps:\n      - {after: 5, speed: 2}\n",
		13, "unknown key 'speed' in a step");

	/* announcements while waiting: prompts resolved, numbers "num-N" */
#define NUMS "  num-0: /p/0.wav\n  num-1: /p/1.wav\n  num-2: /p/2.wav\n  num-3: /p/3.wav\n" \
	"  num-4: /p/4.wav\n  num-5: /p/5.wav\n  num-6: /p/6.wav\n  num-7: /p/7.wav\n" \
	"  num-8: /p/8.wav\n  num-9: /p/9.wav\n  num-12: /p/12.wav\n"
	if (sb_config_load(&c, cfg_write(HEAD "prompts:\n  you: /p/you.wav\n  wait: /p/wait.wav\n"
		"  min: /p/min.wav\n  calm: /p/calm.wav\n" NUMS AG Q
		"    announce_every: 30\n    announce_position: you\n    announce_wait: wait\n"
		"    announce_minutes: min\n    comfort: calm\n    comfort_every: 45\n    aht: 240\n"),
		err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	T_ASSERT(c.queues[0].announce_every_ms == 30000 && c.queues[0].comfort_every_ms == 45000);
	T_ASSERT(c.queues[0].ann_position == 0 && c.queues[0].ann_wait == 1 &&
		 c.queues[0].ann_minutes == 2 && c.queues[0].comfort == 3);
	T_ASSERT(c.queues[0].aht_ms == 240000);
	T_ASSERT(c.num_prompt[0] == 4 && c.num_prompt[9] == 13 && c.num_prompt[12] == 14);
	T_ASSERT(c.num_prompt[10] == -1 && c.num_prompt[99] == -1);
	sb_config_free(&c);
	/* defaults: off, AHT 180 s */
	T_ASSERT(sb_config_load(&c, cfg_write(HEAD AG Q), err, sizeof(err)) == 0);
	T_ASSERT(c.queues[0].announce_every_ms == 0 && c.queues[0].comfort_every_ms == 0 &&
		 c.queues[0].ann_position == -1 && c.queues[0].comfort == -1 &&
		 c.queues[0].aht_ms == 180000);
	sb_config_free(&c);
	cfg_bad(HEAD "prompts:\n  you: /p/you.wav\n" AG Q
		"    announce_every: 30\n    announce_position: you\n", 13,
		"'announce_every' needs the prompts num-0 .. num-9 to say numbers (num-0 is missing)");
	cfg_bad(HEAD "prompts:\n  you: /p/you.wav\n" NUMS AG Q "    announce_every: 30\n", 24,
		"'announce_every' needs 'announce_position' and/or 'announce_wait'");
	cfg_bad(HEAD "prompts:\n  you: /p/you.wav\n" NUMS AG Q "    announce_position: you\n", 24,
		"announcement prompts need 'announce_every'");
	cfg_bad(HEAD AG Q "    announce_wait: nope\n", 11, "'announce_wait' names no prompt");
	cfg_bad(HEAD AG Q "    comfort_every: 0\n", 11, "'comfort_every' must be a number in 1..86400");
	cfg_bad(HEAD AG Q "    comfort_every: 20\n", 11, "'comfort_every' needs 'comfort'");
	cfg_bad(HEAD "prompts:\n  calm: /p/calm.wav\n" AG Q "    comfort: calm\n", 13,
		"'comfort' needs 'comfort_every'");
	cfg_bad(HEAD AG Q "    aht: 0\n", 11, "'aht' must be a number in 1..86400");

	unlink(cfg_write(""));
	rmdir(cfg_dir);
	return 0;
}
