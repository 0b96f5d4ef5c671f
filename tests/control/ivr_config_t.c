/* SPDX-License-Identifier: MIT */
/* ivr_config_t — `hours:`, `ivrs:` and hotlines' `ivr:` (config_ivr.c):
 * a valid graph (with a cycle) loads as indexes, defaults as documented;
 * sb_cfg_hours_open() at fixed instants around the edges (UTC offset
 * across midnight, end of a range exclusive, a holiday, a weekend), and
 * with a time_zone (summer and winter, past the zone file's table, local
 * holidays and weekdays a day ahead of UTC); every
 * mistake is FILE:LINE: naming the field, on the right line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "test.h"
#include "cfg_test.h"

#define HEAD "instance: demo\nsip:\n  listen: [192.0.2.1:5060]\n" \
	     "prompts:\n  hi: /p/hi.wav\n  oops: /p/oops.wav\n" \
	     "agents:\n  - user: a1\n    password: x\n" \
	     "queues:\n  - name: sales\n    members: [a1]\n" /* lines 1-12 */
#define MENU "ivrs:\n  m:\n    prompt: hi\n" /* lines 13-15 */

/* unix time of a UTC date and time */
static int64_t at(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
			 .tm_min = mi };

	return (int64_t)timegm(&tm);
}

int main(void)
{
	struct sb_config c;
	const struct sb_cfg_ivr_menu *m, *s;
	const struct sb_cfg_hours *h;
	char err[512];

	snprintf(cfg_dir, sizeof(cfg_dir), "/tmp/sb_ivr_config_t.XXXXXX");
	T_ASSERT(mkdtemp(cfg_dir) != NULL);

	if (sb_config_load(&c, cfg_write(HEAD
		"hours:\n"
		"  office:\n"
		"    utc_offset: \"+01:00\"\n"
		"    open:\n"
		"      - days: mon-fri\n"
		"        times: [\"09:00-12:30\", \"13:30-17:00\"]\n"
		"      - days: [sun]\n"
		"        times: [\"00:00-24:00\"]\n"
		"    holidays: [\"2026-12-25\"]\n"
		"ivr:\n"
		"  main:\n"
		"    prompt: hi\n"
		"    hours: office\n"
		"    closed: hangup\n"
		"    invalid: oops\n"
		"    timeout: 0\n"
		"    retries: 4\n"
		"    options:\n"
		"      \"1\": queue sales\n"
		"      \"2\": menu sub\n"
		"      \"3\": transfer \"900\"\n"
		"      \"4\": agent a1\n"
		"      \"*\": repeat\n"
		"      \"#\": hangup\n"
		"    timeout_action: menu sub\n"
		"    max_retries_action: queue sales\n"
		"  sub:\n"
		"    prompt: oops\n"
		"    options: {\"0\": menu main}\n"
		"hotlines:\n"
		"  - number: \"800\"\n"
		"    ivr: main\n"
		"    priority: 7\n"
		"  - number: \"900\"\n"
		"    queue: sales\n"), err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	T_ASSERT_EQ_U64(c.n_ivr_menus, 2);
	T_ASSERT_EQ_U64(c.n_hours, 1);
	m = &c.ivr_menus[0];
	s = &c.ivr_menus[1];
	T_ASSERT(strcmp(m->name, "main") == 0 && strcmp(s->name, "sub") == 0);
	T_ASSERT(m->prompt == 0 && m->invalid == 1 && m->hours == 0);
	T_ASSERT(m->timeout_ms == 0 && m->retries == 4);
	T_ASSERT(m->key[1].type == SB_IVR_ACT_QUEUE && m->key[1].arg == 0);
	T_ASSERT(m->key[2].type == SB_IVR_ACT_MENU && m->key[2].arg == 1);
	T_ASSERT(m->key[3].type == SB_IVR_ACT_NUMBER && m->key[3].arg == 1); /* hotline "900" */
	T_ASSERT(m->key[4].type == SB_IVR_ACT_AGENT && m->key[4].arg == 0);
	T_ASSERT(m->key[sb_cfg_ivr_key('*')].type == SB_IVR_ACT_REPEAT);
	T_ASSERT(m->key[sb_cfg_ivr_key('#')].type == SB_IVR_ACT_HANGUP);
	T_ASSERT(m->key[0].type == SB_IVR_ACT_NONE && m->key[5].type == SB_IVR_ACT_NONE);
	T_ASSERT(m->on_timeout.type == SB_IVR_ACT_MENU && m->on_timeout.arg == 1);
	T_ASSERT(m->on_max_retries.type == SB_IVR_ACT_QUEUE && m->closed.type == SB_IVR_ACT_HANGUP);
	/* defaults, and the cycle back to main */
	T_ASSERT(s->prompt == 1 && s->invalid == -1 && s->hours == -1);
	T_ASSERT(s->timeout_ms == 5000 && s->retries == 2);
	T_ASSERT(s->on_timeout.type == SB_IVR_ACT_HANGUP && s->on_max_retries.type == SB_IVR_ACT_HANGUP);
	T_ASSERT(s->key[0].type == SB_IVR_ACT_MENU && s->key[0].arg == 0);
	T_ASSERT(c.hotlines[0].ivr == 0 && c.hotlines[0].queue == -1 && c.hotlines[0].priority == 7);
	T_ASSERT(c.hotlines[1].ivr == -1 && c.hotlines[1].queue == 0);
	T_ASSERT(sb_cfg_ivr_key('7') == 7 && sb_cfg_ivr_key('A') == -1 && sb_cfg_ivr_key('x') == -1);

	/* hours: +01:00; 2026-11-30 is a Monday, 2026-12-25 a Friday */
	h = &c.hours[0];
	T_ASSERT(h->utc_offset_s == 3600 && h->n_rules == 3 && h->n_holidays == 1);
	T_ASSERT(!sb_cfg_hours_open(h, at(2026, 11, 30, 7, 59)));  /* 08:59 local */
	T_ASSERT(sb_cfg_hours_open(h, at(2026, 11, 30, 8, 0)));    /* 09:00 */
	T_ASSERT(sb_cfg_hours_open(h, at(2026, 11, 30, 11, 29)));  /* 12:29 */
	T_ASSERT(!sb_cfg_hours_open(h, at(2026, 11, 30, 11, 30))); /* 12:30: lunch */
	T_ASSERT(sb_cfg_hours_open(h, at(2026, 11, 30, 12, 30)));  /* 13:30 */
	T_ASSERT(!sb_cfg_hours_open(h, at(2026, 11, 30, 16, 0)));  /* 17:00: end exclusive */
	T_ASSERT(!sb_cfg_hours_open(h, at(2026, 12, 5, 10, 0)));   /* Saturday */
	T_ASSERT(sb_cfg_hours_open(h, at(2026, 12, 6, 22, 59)));   /* Sunday 23:59 local */
	T_ASSERT(!sb_cfg_hours_open(h, at(2026, 12, 6, 23, 30)));  /* Monday 00:30 local */
	T_ASSERT(sb_cfg_hours_open(h, at(2026, 12, 24, 10, 0)));   /* Thursday */
	T_ASSERT(!sb_cfg_hours_open(h, at(2026, 12, 25, 10, 0)));  /* the holiday */
	T_ASSERT(!sb_cfg_hours_open(h, at(2026, 12, 24, 23, 0)));  /* 00:00 local on the 25th */
	sb_config_free(&c);
	T_ASSERT(c.ivr_menus == NULL && c.hours == NULL && c.n_ivr_menus == 0);

	/* time_zone: Europe/London 09:00-17:00 on weekdays (GMT in winter, BST
	 * in summer); Australia/Sydney, whose holiday and weekday are local
	 * (AEDT, +11, in December: a day ahead of UTC in the afternoon) */
	if (access("/usr/share/zoneinfo/Europe/London", R_OK) != 0) {
		printf("SKIP time_zone cases: no tzdata\n");
	} else {
		if (sb_config_load(&c, cfg_write(HEAD
			"hours:\n"
			"  london:\n"
			"    time_zone: Europe/London\n"
			"    open: [{days: mon-fri, times: [\"09:00-17:00\"]}]\n"
			"  sydney:\n"
			"    time_zone: Australia/Sydney\n"
			"    open: [{days: mon, times: [\"00:00-24:00\"]},\n"
			"           {days: thu-fri, times: [\"00:00-24:00\"]}]\n"
			"    holidays: [\"2026-12-25\"]\n"), err, sizeof(err)) != 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		h = &c.hours[0];
		T_ASSERT(h->tz != NULL && c.hours[1].tz != NULL);
		/* 08:30 UTC: 08:30 GMT (closed) in winter, 09:30 BST (open) in summer */
		T_ASSERT(!sb_cfg_hours_open(h, at(2026, 1, 13, 8, 30)));
		T_ASSERT(sb_cfg_hours_open(h, at(2026, 7, 14, 8, 30)));
		/* 16:30 UTC: 16:30 GMT (open) in winter, 17:30 BST (closed) in summer */
		T_ASSERT(sb_cfg_hours_open(h, at(2026, 1, 13, 16, 30)));
		T_ASSERT(!sb_cfg_hours_open(h, at(2026, 7, 14, 16, 30)));
		/* around the change (2026-03-29 01:00 UTC, a Sunday): the Monday after */
		T_ASSERT(sb_cfg_hours_open(h, at(2026, 3, 30, 8, 0)));      /* 09:00 BST */
		T_ASSERT(!sb_cfg_hours_open(h, at(2026, 3, 27, 8, 59)));    /* Fri 08:59 GMT */
		/* past the file's table (the footer rule): July 2050, a Thursday */
		T_ASSERT(sb_cfg_hours_open(h, at(2050, 7, 14, 8, 30)));
		T_ASSERT(!sb_cfg_hours_open(h, at(2050, 1, 13, 8, 30)));
		/* Sydney: Sunday 2026-11-29 14:00 UTC is Monday 01:00 local */
		T_ASSERT(sb_cfg_hours_open(&c.hours[1], at(2026, 11, 29, 14, 0)));
		T_ASSERT(!sb_cfg_hours_open(&c.hours[1], at(2026, 11, 29, 12, 0)));
		/* Thursday 24th 23:00 local open; 00:00 local on the 25th: holiday */
		T_ASSERT(sb_cfg_hours_open(&c.hours[1], at(2026, 12, 24, 12, 0)));
		T_ASSERT(!sb_cfg_hours_open(&c.hours[1], at(2026, 12, 24, 13, 0)));
		sb_config_free(&c);

		cfg_bad(HEAD "hours:\n  h:\n    utc_offset: UTC\n    time_zone: Europe/Paris\n"
			"    open: [{days: mon, times: [\"09:00-10:00\"]}]\n", 16,
			"hours 'h': 'time_zone' and 'utc_offset' are exclusive");
		cfg_bad(HEAD "hours:\n  h:\n    open: [{days: mon, times: [\"09:00-10:00\"]}]\n"
			"    time_zone: Mars/Olympus_Mons\n", 16,
			"hours 'h': 'time_zone': unknown time zone 'Mars/Olympus_Mons'");
		cfg_bad(HEAD "hours:\n  h:\n    open: [{days: mon, times: [\"09:00-10:00\"]}]\n"
			"    time_zone: ../../etc/passwd\n", 16,
			"'time_zone': bad time zone name '../../etc/passwd'");
		cfg_bad(HEAD "hours:\n  h:\n    open: [{days: mon, times: [\"09:00-10:00\"]}]\n"
			"    time_zone: /etc/localtime\n", 16, "bad time zone name '/etc/localtime'");
		cfg_bad(HEAD "hours:\n  h:\n    open: [{days: mon, times: [\"09:00-10:00\"]}]\n"
			"    time_zone: [Europe/Paris]\n", 16, "'time_zone' must be an IANA zone name");
	}

	/* mistakes, each on its line */
	cfg_bad(HEAD "ivrs:\n  m:\n    prompt: nope\n", 15, "menu 'm': 'prompt' names no prompt 'nope'");
	cfg_bad(HEAD "ivrs:\n  m:\n    invalid: hi\n", 15, "menu 'm' needs a 'prompt'");
	cfg_bad(HEAD MENU "    invalid: nope\n", 16, "'invalid' names no prompt 'nope'");
	cfg_bad(HEAD MENU "    colour: red\n", 16, "unknown key 'colour' in a menu");
	cfg_bad(HEAD MENU "    timeout: 5000\n", 16, "'timeout' must be a number in 0..3600");
	cfg_bad(HEAD MENU "    retries: -1\n", 16, "'retries' must be a number in 0..100");
	cfg_bad(HEAD MENU "    options:\n      \"1\": menu x\n", 17,
		"menu 'm': 'options' names no menu 'x'");
	cfg_bad(HEAD MENU "    options:\n      \"12\": hangup\n", 17, "option '12' is not one digit");
	cfg_bad(HEAD MENU "    options:\n      \"A\": hangup\n", 17, "option 'A' is not one digit");
	cfg_bad(HEAD MENU "    options:\n      \"1\": hangup\n      \"1\": repeat\n", 18,
		"option '1' is given twice");
	cfg_bad(HEAD MENU "    options:\n      \"1\": queue nope\n", 17, "names no queue 'nope'");
	cfg_bad(HEAD MENU "    options:\n      \"1\": queue\n", 17, "'queue' needs a name");
	cfg_bad(HEAD MENU "    options:\n      \"1\": agent bob\n", 17, "names no agent 'bob'");
	cfg_bad(HEAD MENU "    options:\n      \"1\": dance\n", 17, "unknown action 'dance'");
	cfg_bad(HEAD MENU "    options:\n      \"1\": hangup now\n", 17, "'hangup' takes no argument");
	cfg_bad(HEAD MENU "    options:\n      \"1\": transfer 999\n"
		"hotlines:\n  - number: \"800\"\n    ivr: m\n", 17,
		"'transfer' names no hotline number '999'");
	cfg_bad(HEAD MENU "    max_retries_action: repeat\n", 16,
		"'max_retries_action' cannot be 'repeat'");
	cfg_bad(HEAD MENU "    timeout_action: repeat\n", 16, "'timeout_action' cannot be 'repeat'");
	cfg_bad(HEAD MENU "    hours: nope\n    closed: hangup\n", 16, "names no hours set 'nope'");
	cfg_bad(HEAD "hours:\n  h:\n    open: [{days: mon, times: [\"09:00-10:00\"]}]\n"
		MENU "    hours: h\n", 19, "'hours' needs a 'closed' action");
	cfg_bad(HEAD MENU "    closed: hangup\n", 16, "'closed' needs 'hours'");
	cfg_bad(HEAD "hours:\n  h:\n    open:\n      - days: mon\n        times: [\"18:00-09:00\"]\n",
		17, "hours 'h': bad time range '18:00-09:00'");
	cfg_bad(HEAD "hours:\n  h:\n    open:\n      - days: mon\n        times: [\"09:00-24:01\"]\n",
		17, "bad time range '09:00-24:01'");
	cfg_bad(HEAD "hours:\n  h:\n    open:\n      - days: mon\n        times: [\"9:00-10:00\"]\n",
		17, "bad time range '9:00-10:00'");
	cfg_bad(HEAD "hours:\n  h:\n    open:\n      - days: moon\n        times: [\"09:00-10:00\"]\n",
		16, "hours 'h': bad 'days'");
	cfg_bad(HEAD "hours:\n  h:\n    open:\n      - days: [mon, fri-xyz]\n"
		"        times: [\"09:00-10:00\"]\n", 16, "bad 'days'");
	cfg_bad(HEAD "hours:\n  h:\n    open: [{days: mon, times: [\"09:00-10:00\"]}]\n"
		"    holidays: [\"2026-02-29\"]\n", 16, "bad holiday '2026-02-29'");
	cfg_bad(HEAD "hours:\n  h:\n    open: [{days: mon, times: [\"09:00-10:00\"]}]\n"
		"    holidays: [\"2026-13-01\"]\n", 16, "bad holiday '2026-13-01'");
	cfg_bad(HEAD "hours:\n  h:\n    utc_offset: \"+25:00\"\n"
		"    open: [{days: mon, times: [\"09:00-10:00\"]}]\n", 15, "'utc_offset' must be");
	cfg_bad(HEAD "hours:\n  h:\n    utc_offset: UTC\n", 15, "hours 'h' need an 'open' list");
	cfg_bad(HEAD MENU "hotlines:\n  - number: \"800\"\n    ivr: nope\n", 18,
		"hotline '800': 'ivr' names no menu");
	cfg_bad(HEAD MENU "hotlines:\n  - number: \"800\"\n    queue: sales\n    ivr: m\n", 19,
		"give one of 'agents', 'queue' and 'ivr'");
	cfg_bad(HEAD MENU "ivr:\n  n:\n    prompt: hi\n", 16, "either 'ivrs' or 'ivr'");

	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", cfg_dir);
		if (system(cmd) != 0) { /* best effort */
		}
	}
	printf("PASS\n");
	return 0;
}
