/* SPDX-License-Identifier: MIT */
/* fuzz_ccobj — the bodies of PUT /v1/agents|queues|hotlines/NAME
 * (control/config.c sb_config_object_parse: libyaml, then the config
 * file's own parsers against a loaded config; store/ccobj.c's tenant
 * check) and of PUT /v1/ivrs|hours/NAME (config_ivr.c
 * sb_config_ivr_object_parse).  The first byte picks the kind ('m': a
 * menu, 'w': hours, else % 3), the rest is the body.  Any input is either
 * refused with a message, or accepted as an object named by the URL whose
 * indexes all point into the config. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "store/ccobj.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base[] =
	"instance: fz\nsip:\n  listen: [127.0.0.1:5060]\n"
	"prompts: {moh: /m.wav, hello: /h.wav}\n"
	"skills: [french, billing]\n"
	"agents:\n  - {user: a1, password: secret, tenant: acme, skills: {french: 3}}\n"
	"  - {user: a2, password: secret, tenant: other}\n"
	"queues:\n  - {name: q1, tenant: acme, members: [a1], skills: {french: 2}}\n"
	"  - {name: q2, tenant: other, members: [a2]}\n"
	"hotlines:\n  - {number: \"100\", queue: q1, tenant: acme}\n"
	"outbound: {proxy: 127.0.0.1:5070}\n"
	"hours:\n  office: {tenant: acme, open: [{days: mon-fri, times: [\"09:00-17:00\"]}]}\n"
	"ivrs:\n  main:\n    prompt: hello\n    tenant: acme\n    options: {\"1\": queue q1}\n";

/* a menu or an hours set (kind 'm' / 'w') */
static void ivr_one(struct sb_config *c, enum sb_cfg_kind kind, const uint8_t *data, size_t size)
{
	/* main: a replacement; sub: new */
	const char *name = kind == SB_CFG_IVR ? (size % 2 ? "main" : "sub") : "night";
	struct sb_cfg_ivr_object *o = malloc(sizeof(*o));
	char err[320], field[128];
	unsigned n_menus = c->n_ivr_menus + 1;
	int rc;

	if (o == NULL)
		return;
	err[0] = '\0';
	rc = sb_config_ivr_object_parse(c, kind, name, "acme", (const char *)data, size, o, err,
					sizeof(err), field, sizeof(field));
	if (rc < 0) {
		if (err[0] == '\0' || strlen(field) >= sizeof(field))
			abort();
		free(o);
		return;
	}
	if (kind == SB_CFG_IVR) {
		const struct sb_cfg_ivr_menu *m = &o->u.menu;
		const struct sb_cfg_ivr_act *acts[SB_CFG_IVR_KEYS + 3];

		if (strcmp(m->name, name) != 0 || m->prompt < 0 || m->prompt >= (int)c->n_prompts ||
		    m->invalid >= (int)c->n_prompts || m->hours >= (int)c->n_hours ||
		    o->n_outside > SB_CFG_OUTSIDE_MAX)
			abort();
		for (unsigned k = 0; k < SB_CFG_IVR_KEYS; k++)
			acts[k] = &m->key[k];
		acts[SB_CFG_IVR_KEYS] = &m->on_timeout;
		acts[SB_CFG_IVR_KEYS + 1] = &m->on_max_retries;
		acts[SB_CFG_IVR_KEYS + 2] = &m->closed;
		for (unsigned k = 0; k < SB_CFG_IVR_KEYS + 3; k++) {
			unsigned a = acts[k]->arg, t = acts[k]->type;

			if ((t == SB_IVR_ACT_QUEUE && a >= c->n_queues) ||
			    (t == SB_IVR_ACT_MENU && a >= n_menus) ||
			    (t == SB_IVR_ACT_NUMBER && a >= c->n_hotlines) ||
			    (t == SB_IVR_ACT_AGENT && a >= c->n_agents) ||
			    (t == SB_IVR_ACT_OUTSIDE && a >= o->n_outside) || t > SB_IVR_ACT_OUTSIDE)
				abort();
		}
		rc = sb_ccobj_ivr_check_tenant(c, c->n_ivr_menus, m, err, sizeof(err), field,
					       sizeof(field));
		if (rc < 0 && (err[0] == '\0' || field[0] == '\0'))
			abort();
	} else {
		const struct sb_cfg_hours *h = &o->u.hours;

		if (strcmp(h->name, name) != 0 || h->n_rules > SB_CFG_HOURS_RULES ||
		    h->n_holidays > SB_CFG_HOURS_HOLIDAYS)
			abort();
		for (unsigned r = 0; r < h->n_rules; r++)
			if (h->rule[r].from_min >= h->rule[r].to_min || h->rule[r].to_min > 1440 ||
			    h->rule[r].days == 0 || h->rule[r].days > 127)
				abort();
		(void)sb_cfg_hours_open(h, 1800000000);
		free(h->tz);
	}
	free(o);
}

static struct sb_config *cfg(void)
{
	static struct sb_config c;
	static int state; /* 0 not yet, 1 loaded, -1 failed */
	char path[] = "/tmp/fuzz_ccobj.XXXXXX", err[512];
	int fd;

	if (state)
		return state > 0 ? &c : NULL;
	state = -1;
	fd = mkstemp(path);
	if (fd < 0 || write(fd, base, sizeof(base) - 1) != (ssize_t)(sizeof(base) - 1)) {
		perror("fuzz_ccobj: config");
		abort();
	}
	close(fd);
	if (sb_config_load(&c, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_ccobj: %s\n", err);
		abort();
	}
	unlink(path);
	state = 1;
	return &c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "a9", "q1", "200" }; /* q1: a replacement */
	struct sb_config *c = cfg();
	struct sb_cfg_object *o;
	enum sb_cfg_kind kind;
	char err[320], field[128];
	int rc;

	if (size == 0)
		return 0;
	if (data[0] == 'm' || data[0] == 'w') {
		ivr_one(c, data[0] == 'm' ? SB_CFG_IVR : SB_CFG_HOURS, data + 1, size - 1);
		return 0;
	}
	kind = (enum sb_cfg_kind)(data[0] % 3);
	o = malloc(sizeof(*o));
	if (o == NULL)
		return 0;
	err[0] = '\0';
	rc = sb_config_object_parse(c, kind, names[kind], "acme", (const char *)data + 1, size - 1,
				    o, err, sizeof(err), field, sizeof(field));
	if (rc < 0) {
		if (err[0] == '\0' || strlen(field) >= sizeof(field))
			abort();
		free(o);
		return 0;
	}
	if (kind == SB_CFG_AGENT) {
		if (strcmp(o->u.agent.user, names[0]) != 0 || o->n_skills > SB_CFG_SKILLS)
			abort();
	} else if (kind == SB_CFG_QUEUE) {
		const struct sb_cfg_queue *q = &o->u.queue;

		if (strcmp(q->name, names[1]) != 0 || q->n_members > SB_CFG_QUEUE_MEMBERS ||
		    q->overflow >= (int)c->n_queues || q->overflow == 0 ||
		    q->moh >= (int)c->n_prompts || q->strategy > 6)
			abort();
		for (unsigned i = 0; i < q->n_members; i++)
			if (q->members[i] >= c->n_agents)
				abort();
	} else {
		const struct sb_cfg_hotline *h = &o->u.hotline;

		if (strcmp(h->number, names[2]) != 0 || h->queue >= (int)c->n_queues ||
		    h->ivr >= (int)c->n_ivr_menus || h->n_agents > SB_CFG_HOTLINE_AGENTS)
			abort();
		for (unsigned i = 0; i < h->n_agents; i++)
			if (h->agents[i] >= c->n_agents)
				abort();
	}
	rc = sb_ccobj_check_tenant(c, kind, o, err, sizeof(err), field, sizeof(field));
	if (rc < 0 && (err[0] == '\0' || field[0] == '\0'))
		abort();
	free(o);
	return 0;
}
