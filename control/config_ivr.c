/* SPDX-License-Identifier: MIT */
/*
 * config_ivr.c — `hours:` and `ivrs:` of the configuration (config.h has
 * the example), turned into indexes once so that the IVR (b2bua/ivr.c)
 * never compares a string:
 *
 *   hours:
 *     office:
 *       utc_offset: "+01:00"          # local time; default +00:00 (no DST)
 *       # or time_zone: Europe/Paris      # IANA name, DST rules (tz.c); not both
 *       open:
 *         - days: mon-fri             # or a list: [mon, wed-fri]; ranges may wrap
 *           times: ["08:30-12:00", "13:00-18:00"]   # HH:MM-HH:MM, end <= 24:00
 *       holidays: ["2026-12-25"]      # closed all (local) day
 *       tenant: acme                  # API visibility (default "default"): a
 *                                     # tenant's menus may only name its own
 *   ivrs:                             # (or ivr:) menus by name
 *     main:
 *       prompt: welcome               # names from prompts:
 *       hours: office                 # optional: checked on entry ...
 *       closed: menu closed           # ... and this done when closed
 *       timeout: 5                    # seconds after the prompt (default 5; 0 = at once)
 *       retries: 2                    # failed tries repeated (default 2)
 *       invalid: invalid              # prompt for a digit with no option
 *       options:
 *         "1": queue support
 *         "2": menu billing           # cycles are fine: every target must exist
 *         "9": repeat
 *         "0": transfer 800100        # a hotline number (routed as a call to it)
 *         "8": agent agent1           # that agent, if registered and free
 *         "#": hangup
 *       timeout_action: hangup        # timeouts beyond retries (default hangup)
 *       max_retries_action: hangup    # invalid digits beyond retries (default hangup)
 *       tenant: acme                  # API visibility (default "default")
 *
 * The helpers below mirror config.c's (errors name FILE:LINE and the field).
 * sb_config_ivr_object_parse runs the same parsers on one menu or hours
 * set, the body of PUT /v1/ivrs|hours/NAME (api/objects.c): errors then
 * name the key's path in the body ("options.1") instead of FILE:LINE.
 * Arrays are allocated to `limits: ivrs/hours` (else the file's count plus
 * SB_CFG_IVR_EXTRA/SB_CFG_HOURS_EXTRA): the API adds in place, no index a
 * call holds ever moves; deleted ones are marked and skipped by name.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config_ivr.h"
#include "str.h"
#include "tz.h"


__attribute__((format(printf, 3, 4)))
static int ierr(struct sb_cfg_where *w, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (w->field) { /* the API's body: the key's path, no FILE:LINE */
		w->field[0] = '\0';
		if (n && !sb_cfg_node_path(w->doc, w->body_root, n, w->field, w->field_len, 0))
			w->field[0] = '\0';
		snprintf(w->err, w->err_len, "%s", msg);
		return -EINVAL;
	}
	snprintf(w->err, w->err_len, "%s:%lu: %s", w->path,
		 n ? (unsigned long)n->start_mark.line + 1 : 1ul, msg);
	return -EINVAL;
}

static const char *sc(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : "?";
}

static yaml_node_t *nd(struct sb_cfg_where *w, int id)
{
	return yaml_document_get_node(w->doc, id);
}

/* every key one of keys[] (once); values[i] and key_nodes[i] filled */
static int imap(struct sb_cfg_where *w, const yaml_node_t *m, const char *what,
		const char *const *keys, unsigned nk, yaml_node_t **v, yaml_node_t **k)
{
	if (m->type != YAML_MAPPING_NODE)
		return ierr(w, m, "%s must be a mapping", what);
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = nd(w, p->key);
		unsigned i;

		for (i = 0; i < nk && kn->type == YAML_SCALAR_NODE; i++)
			if (strcmp(sc(kn), keys[i]) == 0)
				break;
		if (kn->type != YAML_SCALAR_NODE || i == nk)
			return ierr(w, kn, "unknown key '%s' in %s", sc(kn), what);
		if (v[i])
			return ierr(w, kn, "duplicate key '%s' in %s", sc(kn), what);
		v[i] = nd(w, p->value);
		k[i] = kn;
	}
	return 0;
}

static int iu32(struct sb_cfg_where *w, const char *who, const char *key, const yaml_node_t *v,
		uint32_t lo, uint32_t hi, uint32_t *out)
{
	uint32_t t;

	if (v->type != YAML_SCALAR_NODE ||
	    !sb_str_to_u32(sb_str_mk(sc(v), sc(v) + v->data.scalar.length), hi, &t) || t < lo)
		return ierr(w, v, "menu '%s': '%s' must be a number in %u..%u", who, key, lo,
			    hi);
	*out = t;
	return 0;
}

static int prompt_of(struct sb_config *c, struct sb_cfg_where *w, const char *who,
		     const char *key, const yaml_node_t *v, int16_t *out)
{
	int i = v->type == YAML_SCALAR_NODE
		? sb_config_prompt_find(c, sc(v), v->data.scalar.length) : -1;

	if (i < 0)
		return ierr(w, v, "menu '%s': '%s' names no prompt '%s' (see 'prompts')", who,
			    key, sc(v));
	*out = (int16_t)i;
	return 0;
}

int sb_cfg_ivr_key(char d)
{
	if (d >= '0' && d <= '9')
		return d - '0';
	return d == '*' ? 10 : d == '#' ? 11 : -1;
}

/* ---- hours ---- */

static int hhmm(const char *s, const char *end, uint16_t *min)
{
	unsigned h, m;

	if (end - s != 5 || s[2] != ':' || s[0] < '0' || s[0] > '9' || s[1] < '0' ||
	    s[1] > '9' || s[3] < '0' || s[3] > '5' || s[4] < '0' || s[4] > '9')
		return -1;
	h = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
	m = (unsigned)(s[3] - '0') * 10 + (unsigned)(s[4] - '0');
	if (h > 24 || (h == 24 && m != 0))
		return -1;
	*min = (uint16_t)(h * 60 + m);
	return 0;
}

static int day_of(const char *s, size_t n)
{
	static const char names[7][4] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

	for (int i = 0; i < 7; i++)
		if (n == 3 && memcmp(s, names[i], 3) == 0)
			return i;
	return -1;
}

/* "mon", "mon-fri", "fri-mon" (wraps) into a bit set */
static int days_add(const char *s, uint8_t *set)
{
	const char *dash = strchr(s, '-');
	int a, b;

	if (dash == NULL) {
		a = day_of(s, strlen(s));
		b = a;
	} else {
		a = day_of(s, (size_t)(dash - s));
		b = day_of(dash + 1, strlen(dash + 1));
	}
	if (a < 0 || b < 0)
		return -1;
	for (int d = a;; d = (d + 1) % 7) {
		*set |= (uint8_t)(1u << d);
		if (d == b)
			break;
	}
	return 0;
}

/* days from 1970-01-01 of a proleptic Gregorian date (H. Hinnant) */
static int32_t days_from_civil(int y, unsigned m, unsigned d)
{
	int era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int32_t)doe - 719468;
}

static int date_parse(const char *s, int32_t *out)
{
	static const unsigned mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y, m, d;
	int n = 0;

	if (strlen(s) != 10 || sscanf(s, "%4u-%2u-%2u%n", &y, &m, &d, &n) != 3 || n != 10 ||
	    s[4] != '-' || s[7] != '-' || y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1])
		return -1;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -1;
	*out = days_from_civil((int)y, m, d);
	return 0;
}

/* "+HH:MM", "-HH:MM", "UTC" / "Z" / "+00:00" */
static int offset_parse(const char *s, int32_t *out)
{
	uint16_t min;

	if (strcmp(s, "UTC") == 0 || strcmp(s, "Z") == 0) {
		*out = 0;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') || hhmm(s + 1, s + strlen(s), &min) < 0 || min > 14 * 60)
		return -1;
	*out = (s[0] == '-' ? -1 : 1) * (int32_t)min * 60;
	return 0;
}

static int parse_open(struct sb_cfg_where *w, struct sb_cfg_hours *h, yaml_node_t *s)
{
	static const char *const keys[] = { "days", "times" };
	yaml_node_t *bad;

	if (s->type != YAML_SEQUENCE_NODE)
		return ierr(w, s, "hours '%s': 'open' must be a list of {days, times}", h->name);
	for (yaml_node_item_t *it = s->data.sequence.items.start; it < s->data.sequence.items.top;
	     it++) {
		yaml_node_t *e = nd(w, *it), *v[2] = { 0 }, *k[2] = { 0 };
		uint8_t days = 0;
		int rc = imap(w, e, "an 'open' entry", keys, 2, v, k);

		if (rc)
			return rc;
		if (v[0] == NULL || v[1] == NULL)
			return ierr(w, e, "hours '%s': an 'open' entry needs 'days' and 'times'",
				    h->name);
		bad = v[0];
		if (v[0]->type == YAML_SCALAR_NODE) {
			if (days_add(sc(v[0]), &days) < 0)
				goto bad_days;
		} else if (v[0]->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *d = v[0]->data.sequence.items.start;
			     d < v[0]->data.sequence.items.top; d++)
				if (nd(w, *d)->type != YAML_SCALAR_NODE ||
				    days_add(sc(nd(w, *d)), &days) < 0) {
					bad = nd(w, *d);
					goto bad_days;
				}
		}
		if (days == 0)
			goto bad_days;
		if (v[1]->type != YAML_SEQUENCE_NODE)
			return ierr(w, v[1], "hours '%s': 'times' must be a list of \"HH:MM-HH:MM\"",
				    h->name);
		for (yaml_node_item_t *t = v[1]->data.sequence.items.start;
		     t < v[1]->data.sequence.items.top; t++) {
			yaml_node_t *tn = nd(w, *t);
			const char *ts = sc(tn), *dash = strchr(ts, '-');
			uint16_t from, to;

			if (tn->type != YAML_SCALAR_NODE || dash == NULL ||
			    hhmm(ts, dash, &from) < 0 || hhmm(dash + 1, ts + strlen(ts), &to) < 0 ||
			    from >= to)
				return ierr(w, tn, "hours '%s': bad time range '%s' (HH:MM-HH:MM, "
					    "start before end, end at most 24:00)", h->name, ts);
			if (h->n_rules == SB_CFG_HOURS_RULES)
				return ierr(w, tn, "hours '%s': more than %u time ranges", h->name,
					    SB_CFG_HOURS_RULES);
			h->rule[h->n_rules].days = days;
			h->rule[h->n_rules].from_min = from;
			h->rule[h->n_rules].to_min = to;
			h->n_rules++;
		}
	}
	return 0;
bad_days:
	return ierr(w, bad, "hours '%s': bad 'days' (mon, tue, wed, thu, fri, sat, sun, "
		    "or a range like mon-fri)", h->name);
}

static int parse_hours(struct sb_config *c, struct sb_cfg_where *w, yaml_node_t *m)
{
	static const char *const keys[] = { "utc_offset", "open", "holidays", "time_zone",
					    "tenant" };
	size_t n;

	if (m->type != YAML_MAPPING_NODE)
		return ierr(w, m, "'hours' must be a mapping of name: {utc_offset or time_zone, "
			    "open, holidays}");
	n = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
	if (c->cap_hours == 0) /* room for the API's sets (api/objects.c) */
		c->cap_hours = (unsigned)n + SB_CFG_HOURS_EXTRA;
	if (n > c->cap_hours)
		return ierr(w, m, "more hours than 'limits: hours: %u'", c->cap_hours);
	c->hours = calloc(c->cap_hours, sizeof(*c->hours));
	if (c->hours == NULL)
		return ierr(w, m, "out of memory");
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = nd(w, p->key), *e = nd(w, p->value), *v[5] = { 0 }, *k[5] = { 0 };
		struct sb_cfg_hours *h = &c->hours[c->n_hours];
		int rc;

		if (kn->type != YAML_SCALAR_NODE || kn->data.scalar.length == 0 ||
		    kn->data.scalar.length >= sizeof(h->name))
			return ierr(w, kn, "hours names must be strings of 1..%zu characters",
				    sizeof(h->name) - 1);
		memcpy(h->name, sc(kn), kn->data.scalar.length + 1);
		for (unsigned i = 0; i < c->n_hours; i++)
			if (strcmp(c->hours[i].name, h->name) == 0)
				return ierr(w, kn, "hours '%s' are defined twice", h->name);
		if ((rc = imap(w, e, "an hours set", keys, 5, v, k)))
			return rc;
		snprintf(h->tenant, sizeof(h->tenant), "default"); /* API visibility */
		if (v[4]) {
			if (v[4]->type != YAML_SCALAR_NODE || v[4]->data.scalar.length == 0 ||
			    v[4]->data.scalar.length >= sizeof(h->tenant))
				return ierr(w, v[4], "hours '%s': 'tenant' must be a name of 1..%zu "
					    "characters", h->name, sizeof(h->tenant) - 1);
			memcpy(h->tenant, sc(v[4]), v[4]->data.scalar.length + 1);
		}
		if (v[0] && v[3])
			return ierr(w, k[3], "hours '%s': 'time_zone' and 'utc_offset' are exclusive "
				    "(a zone has its own offsets)", h->name);

		if (v[0] && (v[0]->type != YAML_SCALAR_NODE ||
			     offset_parse(sc(v[0]), &h->utc_offset_s) < 0))
			return ierr(w, v[0], "hours '%s': 'utc_offset' must be +HH:MM or -HH:MM "
				    "(at most 14:00) or UTC", h->name);
		if (v[1] == NULL)
			return ierr(w, e, "hours '%s' need an 'open' list", h->name);
		if ((rc = parse_open(w, h, v[1])))
			return rc;
		if (v[2]) {
			if (v[2]->type != YAML_SEQUENCE_NODE)
				return ierr(w, v[2], "hours '%s': 'holidays' must be a list of "
					    "YYYY-MM-DD", h->name);
			for (yaml_node_item_t *it = v[2]->data.sequence.items.start;
			     it < v[2]->data.sequence.items.top; it++) {
				yaml_node_t *dn = nd(w, *it);

				if (h->n_holidays == SB_CFG_HOURS_HOLIDAYS)
					return ierr(w, dn, "hours '%s': more than %u holidays",
						    h->name, SB_CFG_HOURS_HOLIDAYS);
				if (dn->type != YAML_SCALAR_NODE ||
				    date_parse(sc(dn), &h->holiday[h->n_holidays]) < 0)
					return ierr(w, dn, "hours '%s': bad holiday '%s' (a real "
						    "date, YYYY-MM-DD)", h->name, sc(dn));
				h->n_holidays++;
			}
		}
		if (v[3]) { /* last: once loaded, h is counted (sb_config_ivr_free) */
			char why[200];

			if (v[3]->type != YAML_SCALAR_NODE)
				return ierr(w, v[3], "hours '%s': 'time_zone' must be an IANA zone "
					    "name such as Europe/Paris", h->name);
			h->tz = calloc(1, sizeof(*h->tz));
			if (h->tz == NULL)
				return ierr(w, v[3], "out of memory");
			rc = sb_tz_load(h->tz, NULL, sc(v[3]), why, sizeof(why));
			if (rc < 0) {
				free(h->tz);
				h->tz = NULL;
				return ierr(w, v[3], "hours '%s': 'time_zone': %s", h->name, why);
			}
		}
		c->n_hours++;
	}
	return 0;
}

bool sb_cfg_hours_open(const struct sb_cfg_hours *h, int64_t now_s)
{
	int64_t local = now_s + (h->tz ? sb_tz_utoff(h->tz, now_s) : h->utc_offset_s);
	int64_t day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	unsigned min = (unsigned)((local - day * 86400) / 60);
	unsigned wd = (unsigned)(((day + 3) % 7 + 7) % 7); /* 1970-01-01: Thursday; Monday 0 */

	for (unsigned i = 0; i < h->n_holidays; i++)
		if (h->holiday[i] == day)
			return false;
	for (unsigned i = 0; i < h->n_rules; i++)
		if ((h->rule[i].days & (1u << wd)) && min >= h->rule[i].from_min &&
		    min < h->rule[i].to_min)
			return true;
	return false;
}

int64_t sb_cfg_hours_now(void)
{
	static bool init;
	static int64_t shift; /* loop thread only (IVR, API) */
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (!init) {
		const char *at = getenv("SB_TEST_HOURS_AT");
		char *end;
		long long v;

		init = true;
		if (at != NULL && *at != '\0') {
			errno = 0;
			v = strtoll(at, &end, 10);
			if (errno == 0 && *end == '\0')
				shift = (int64_t)v - (int64_t)ts.tv_sec;
		}
	}
	return (int64_t)ts.tv_sec + shift;
}

/* ---- menus ---- */

int sb_config_ivr_find(const struct sb_config *c, const char *name, size_t len)
{
	for (unsigned i = 0; i < c->n_ivr_menus; i++)
		if (!c->ivr_menus[i].deleted && strlen(c->ivr_menus[i].name) == len &&
		    memcmp(c->ivr_menus[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

int sb_config_hours_find(const struct sb_config *c, const char *name, size_t len)
{
	for (unsigned i = 0; i < c->n_hours; i++)
		if (!c->hours[i].deleted && strlen(c->hours[i].name) == len &&
		    memcmp(c->hours[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* "queue NAME" | "menu NAME" | "repeat" | "transfer NUMBER" | "agent NAME"
 * | "hangup"; slot: where a `transfer` is patched in by sb_config_ivr_link */
static int parse_action(struct sb_config *c, struct sb_cfg_where *w, unsigned mi,
			const char *field, yaml_node_t *v, unsigned slot, bool repeat_ok,
			struct sb_cfg_ivr_act *a)
{
	const char *who = c->ivr_menus[mi].name, *s = sc(v), *sp, *arg;
	size_t vl;
	int i;

	if (v->type != YAML_SCALAR_NODE || v->data.scalar.length == 0)
		return ierr(w, v, "menu '%s': '%s' must be an action (queue NAME, menu NAME, "
			    "repeat, transfer NUMBER, agent NAME, hangup)", who, field);
	sp = strchr(s, ' ');
	vl = sp ? (size_t)(sp - s) : strlen(s);
	arg = sp ? sp + strspn(sp, " ") : "";
#define IS(word) (vl == sizeof(word) - 1 && memcmp(s, word, vl) == 0)
	if (IS("repeat") || IS("hangup")) {
		if (*arg)
			return ierr(w, v, "menu '%s': '%s': '%.*s' takes no argument", who, field,
				    (int)vl, s);
		if (IS("repeat") && !repeat_ok)
			return ierr(w, v, "menu '%s': '%s' cannot be 'repeat' (it would loop)", who,
				    field);
		a->type = IS("repeat") ? SB_IVR_ACT_REPEAT : SB_IVR_ACT_HANGUP;
		return 0;
	}
	if (*arg == '\0' && (IS("queue") || IS("menu") || IS("transfer") || IS("agent")))
		return ierr(w, v, "menu '%s': '%s': '%.*s' needs a name", who, field, (int)vl, s);
	if (IS("queue")) {
		if ((i = sb_config_queue_find(c, arg, strlen(arg))) < 0)
			return ierr(w, v, "menu '%s': '%s' names no queue '%s'", who, field, arg);
		a->type = SB_IVR_ACT_QUEUE;
	} else if (IS("menu")) {
		if ((i = sb_config_ivr_find(c, arg, strlen(arg))) < 0)
			return ierr(w, v, "menu '%s': '%s' names no menu '%s'", who, field, arg);
		a->type = SB_IVR_ACT_MENU;
	} else if (IS("agent")) {
		if ((i = sb_config_agent_find(c, arg, strlen(arg))) < 0)
			return ierr(w, v, "menu '%s': '%s' names no agent '%s'", who, field, arg);
		a->type = SB_IVR_ACT_AGENT;
	} else if (IS("transfer")) {
		if (w->n_pend == SB_CFG_IVR_PENDING)
			return ierr(w, v, "more than %u 'transfer' actions", SB_CFG_IVR_PENDING);
		w->pend[w->n_pend].menu = (uint16_t)mi;
		w->pend[w->n_pend].slot = (uint8_t)slot;
		w->pend[w->n_pend].n = v;
		w->n_pend++;
		a->type = SB_IVR_ACT_NUMBER;
		i = 0; /* hotline index: sb_config_ivr_link */
	} else {
		return ierr(w, v, "menu '%s': '%s': unknown action '%.*s' (queue, menu, repeat, "
			    "transfer, agent, hangup)", who, field, (int)vl, s);
	}
#undef IS
	a->arg = (uint16_t)i;
	return 0;
}

static int parse_menu(struct sb_config *c, struct sb_cfg_where *w, unsigned mi, yaml_node_t *e)
{
	static const char *const keys[] = { "prompt", "invalid", "timeout", "retries", "options",
					    "timeout_action", "max_retries_action", "hours",
					    "closed", "tenant" };
	enum { NK = sizeof(keys) / sizeof(keys[0]) };
	struct sb_cfg_ivr_menu *m = &c->ivr_menus[mi];
	yaml_node_t *v[NK] = { 0 }, *k[NK] = { 0 };
	uint32_t t;
	int rc = imap(w, e, "a menu", keys, NK, v, k);

	if (rc)
		return rc;
	m->prompt = m->invalid = m->hours = -1;
	snprintf(m->tenant, sizeof(m->tenant), "default");
	if (v[9]) {
		if (v[9]->type != YAML_SCALAR_NODE || v[9]->data.scalar.length == 0 ||
		    v[9]->data.scalar.length >= sizeof(m->tenant))
			return ierr(w, v[9], "menu '%s': 'tenant' must be a name of 1..%zu "
				    "characters", m->name, sizeof(m->tenant) - 1);
		memcpy(m->tenant, sc(v[9]), v[9]->data.scalar.length + 1);
	}
	m->retries = 2;
	m->timeout_ms = 5000;
	m->on_timeout.type = m->on_max_retries.type = SB_IVR_ACT_HANGUP;
	if (v[0] == NULL)
		return ierr(w, e, "menu '%s' needs a 'prompt'", m->name);
	if ((rc = prompt_of(c, w, m->name, "prompt", v[0], &m->prompt)) ||
	    (v[1] && (rc = prompt_of(c, w, m->name, "invalid", v[1], &m->invalid))))
		return rc;
	if (v[2]) {
		if ((rc = iu32(w, m->name, "timeout", v[2], 0, 3600, &t)))
			return rc;
		m->timeout_ms = t * 1000u;
	}
	if (v[3]) {
		if ((rc = iu32(w, m->name, "retries", v[3], 0, 100, &t)))
			return rc;
		m->retries = (uint8_t)t;
	}
	if (v[4]) {
		if (v[4]->type != YAML_MAPPING_NODE)
			return ierr(w, v[4], "menu '%s': 'options' must be a mapping of "
				    "\"DIGIT\": ACTION", m->name);
		for (yaml_node_pair_t *p = v[4]->data.mapping.pairs.start;
		     p < v[4]->data.mapping.pairs.top; p++) {
			yaml_node_t *kn = nd(w, p->key);
			int key = kn->type == YAML_SCALAR_NODE && kn->data.scalar.length == 1
				  ? sb_cfg_ivr_key(sc(kn)[0]) : -1;

			if (key < 0)
				return ierr(w, kn, "menu '%s': option '%s' is not one digit 0-9, "
					    "'*' or '#' (quote * and #)", m->name, sc(kn));
			if (m->key[key].type != SB_IVR_ACT_NONE)
				return ierr(w, kn, "menu '%s': option '%s' is given twice", m->name,
					    sc(kn));
			if ((rc = parse_action(c, w, mi, "options", nd(w, p->value), (unsigned)key,
					       true, &m->key[key])))
				return rc;
		}
	}
	if ((v[5] && (rc = parse_action(c, w, mi, "timeout_action", v[5], SB_CFG_IVR_KEYS, false,
					&m->on_timeout))) ||
	    (v[6] && (rc = parse_action(c, w, mi, "max_retries_action", v[6],
					SB_CFG_IVR_KEYS + 1, false, &m->on_max_retries))))
		return rc;
	if (v[7]) {
		if (v[7]->type == YAML_SCALAR_NODE)
			m->hours = (int16_t)sb_config_hours_find(c, sc(v[7]), v[7]->data.scalar.length);
		if (m->hours < 0)
			return ierr(w, v[7], "menu '%s': 'hours' names no hours set '%s' (see "
				    "'hours')", m->name, sc(v[7]));
		if (v[8] == NULL)
			return ierr(w, k[7], "menu '%s': 'hours' needs a 'closed' action", m->name);
	}
	if (v[8]) {
		if (v[7] == NULL)
			return ierr(w, k[8], "menu '%s': 'closed' needs 'hours'", m->name);
		if ((rc = parse_action(c, w, mi, "closed", v[8], SB_CFG_IVR_KEYS + 2, false,
				       &m->closed)))
			return rc;
	}
	return 0;
}

int sb_config_ivr_parse(struct sb_config *c, struct sb_cfg_where *w, yaml_node_t *hours,
			yaml_node_t *ivrs)
{
	size_t n;
	int rc;

	if (hours && (rc = parse_hours(c, w, hours)))
		return rc;
	if (ivrs == NULL)
		return 0;
	if (ivrs->type != YAML_MAPPING_NODE)
		return ierr(w, ivrs, "'ivrs' must be a mapping of menu name: {prompt, options, ...}");
	n = (size_t)(ivrs->data.mapping.pairs.top - ivrs->data.mapping.pairs.start);
	if (c->cap_ivr_menus == 0) /* room for the API's menus (api/objects.c) */
		c->cap_ivr_menus = (unsigned)n + SB_CFG_IVR_EXTRA;
	if (n > c->cap_ivr_menus)
		return ierr(w, ivrs, "more ivrs than 'limits: ivrs: %u'", c->cap_ivr_menus);
	c->ivr_menus = calloc(c->cap_ivr_menus, sizeof(*c->ivr_menus));
	if (c->ivr_menus == NULL)
		return ierr(w, ivrs, "out of memory");
	/* names first: a menu may lead to one defined further down, or back */
	for (yaml_node_pair_t *p = ivrs->data.mapping.pairs.start; p < ivrs->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *kn = nd(w, p->key);
		struct sb_cfg_ivr_menu *m = &c->ivr_menus[c->n_ivr_menus];

		if (kn->type != YAML_SCALAR_NODE || kn->data.scalar.length == 0 ||
		    kn->data.scalar.length >= sizeof(m->name))
			return ierr(w, kn, "menu names must be strings of 1..%zu characters",
				    sizeof(m->name) - 1);
		if (sb_config_ivr_find(c, sc(kn), kn->data.scalar.length) >= 0)
			return ierr(w, kn, "menu '%s' is defined twice", sc(kn));
		memcpy(m->name, sc(kn), kn->data.scalar.length + 1);
		c->n_ivr_menus++;
	}
	for (unsigned i = 0; i < c->n_ivr_menus; i++)
		if ((rc = parse_menu(c, w, i, nd(w, ivrs->data.mapping.pairs.start[i].value))))
			return rc;
	return 0;
}

int sb_config_ivr_link(struct sb_config *c, struct sb_cfg_where *w)
{
	for (unsigned i = 0; i < w->n_pend; i++) {
		struct sb_cfg_ivr_menu *m = &c->ivr_menus[w->pend[i].menu];
		unsigned slot = w->pend[i].slot;
		struct sb_cfg_ivr_act *a = slot < SB_CFG_IVR_KEYS ? &m->key[slot] :
					   slot == SB_CFG_IVR_KEYS ? &m->on_timeout :
					   slot == SB_CFG_IVR_KEYS + 1 ? &m->on_max_retries : &m->closed;
		const char *s = sc(w->pend[i].n), *arg = strchr(s, ' ');
		size_t len;
		int h;

		arg += strspn(arg, " ");
		len = strlen(arg);
		if (len >= 2 && arg[0] == '"' && arg[len - 1] == '"') {
			arg++; /* transfer "0800": numbers are often quoted */
			len -= 2;
		}
		h = sb_config_hotline_find(c, arg, len);
		if (h < 0 && c->outbound.on && len > 0 && len < sizeof(c->outside[0]) &&
		    strspn(arg, "0123456789+*#") == len) {
			unsigned o;

			/* no hotline: an outside number, dialled through the trunk;
			 * one entry per number (menus replaced at run time reuse it) */
			for (o = 0; o < c->n_outside; o++)
				if (strlen(c->outside[o]) == len && memcmp(c->outside[o], arg, len) == 0)
					break;
			if (o < c->n_outside) {
				a->type = SB_IVR_ACT_OUTSIDE;
				a->arg = (uint16_t)o;
				continue;
			}
			if (c->n_outside == SB_CFG_OUTSIDE_MAX)
				return ierr(w, w->pend[i].n, "more than %u outside numbers",
					    SB_CFG_OUTSIDE_MAX);
			memcpy(c->outside[c->n_outside], arg, len);
			c->outside[c->n_outside][len] = '\0';
			a->type = SB_IVR_ACT_OUTSIDE;
			a->arg = (uint16_t)c->n_outside++;
			continue;
		}
		if (h < 0)
			return ierr(w, w->pend[i].n, "menu '%s': 'transfer' names no hotline number "
				    "'%.*s' (see 'hotlines'; outside numbers, digits only, need "
				    "'outbound:')", m->name, (int)len, arg);
		a->arg = (uint16_t)h;
	}
	w->n_pend = 0;
	return 0;
}

void sb_config_ivr_free(struct sb_config *c)
{
	for (unsigned i = 0; c->hours && i < c->n_hours; i++)
		free(c->hours[i].tz);
	free(c->ivr_menus);
	free(c->hours);
	c->ivr_menus = NULL;
	c->hours = NULL;
	c->n_ivr_menus = c->n_hours = 0;
}

/* ---- one menu or hours set for the API (api/objects.c) ---- */


/* an alias makes a node appear twice: a YAML bomb for sb_cfg_node_path, and
 * never needed in a body */
static int aliased(yaml_document_t *d, bool *twice)
{
	size_t n = (size_t)(d->nodes.top - d->nodes.start);
	uint8_t *seen = calloc(n + 1, 1);

	*twice = false;
	if (seen == NULL)
		return -ENOMEM;
	for (yaml_node_t *q = d->nodes.start; q < d->nodes.top && !*twice; q++) {
		if (q->type == YAML_MAPPING_NODE)
			for (yaml_node_pair_t *p = q->data.mapping.pairs.start;
			     p < q->data.mapping.pairs.top && !*twice; p++)
				*twice = seen[p->key]++ || seen[p->value]++;
		else if (q->type == YAML_SEQUENCE_NODE)
			for (yaml_node_item_t *it = q->data.sequence.items.start;
			     it < q->data.sequence.items.top && !*twice; it++)
				*twice = seen[*it]++;
	}
	free(seen);
	return 0;
}

/* the body's mapping (node 1) gets tenant: TENANT unless it has one */
static int tenant_default(yaml_document_t *d, const char *tenant)
{
	yaml_node_t *m = yaml_document_get_node(d, 1);
	int k, v;

	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *kn = yaml_document_get_node(d, p->key);

		if (kn->type == YAML_SCALAR_NODE && strcmp(sc(kn), "tenant") == 0)
			return 0;
	}
	k = yaml_document_add_scalar(d, NULL, (yaml_char_t *)"tenant", 6, YAML_PLAIN_SCALAR_STYLE);
	v = yaml_document_add_scalar(d, NULL, (yaml_char_t *)tenant, (int)strlen(tenant),
				     YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	if (!k || !v || !yaml_document_append_mapping_pair(d, 1, k, v))
		return -ENOMEM;
	return 0;
}

int sb_config_ivr_object_parse(const struct sb_config *c, enum sb_cfg_kind kind, const char *name,
			       const char *tenant, const char *text, size_t len,
			       struct sb_cfg_ivr_object *out, char *err, size_t err_len,
			       char *field, size_t field_len)
{
	yaml_document_t doc;
	yaml_parser_t parser;
	struct sb_cfg_where *wh = NULL;
	struct sb_config *w = NULL; /* c with the menus copied (read only otherwise) */
	yaml_node_t *root;
	bool twice;
	int rc = -EINVAL, wrap = 0;

	field[0] = '\0';
	memset(out, 0, sizeof(*out));
	if ((kind != SB_CFG_IVR && kind != SB_CFG_HOURS) || name[0] == '\0' ||
	    strlen(name) >= SB_CFG_NAME_MAX) {
		snprintf(err, err_len, "not a menu or hours name");
		return -EINVAL;
	}
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, err_len, "cannot initialise the YAML parser");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, err_len, "line %lu column %lu: %s",
			 (unsigned long)parser.problem_mark.line + 1,
			 (unsigned long)parser.problem_mark.column + 1,
			 parser.problem ? parser.problem : "syntax error");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	yaml_parser_delete(&parser);
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || root->type != YAML_MAPPING_NODE) {
		snprintf(err, err_len, "the body must be an object of the %s's fields",
			 kind == SB_CFG_IVR ? "menu" : "hours set");
		goto out_doc;
	}
	if (aliased(&doc, &twice) < 0)
		goto out_nomem;
	if (twice) {
		snprintf(err, err_len, "YAML aliases are not allowed in an object");
		goto out_doc;
	}
	/* nodes added before any pointer into the document is kept (they move) */
	if (tenant_default(&doc, tenant) < 0)
		goto out_nomem;
	if (kind == SB_CFG_HOURS) { /* parse_hours takes the mapping name: fields */
		int k = yaml_document_add_scalar(&doc, NULL, (yaml_char_t *)name, (int)strlen(name),
						 YAML_DOUBLE_QUOTED_SCALAR_STYLE);

		wrap = yaml_document_add_mapping(&doc, NULL, YAML_ANY_MAPPING_STYLE);
		if (!k || !wrap || !yaml_document_append_mapping_pair(&doc, wrap, k, 1))
			goto out_nomem;
	}
	wh = calloc(1, sizeof(*wh));
	w = malloc(sizeof(*w));
	if (wh == NULL || w == NULL)
		goto out_nomem;
	*wh = (struct sb_cfg_where){ .doc = &doc, .path = "body", .err = err, .err_len = err_len,
				     .field = field, .field_len = field_len, .body_root = 1 };
	*w = *c;
	if (kind == SB_CFG_IVR) {
		int slot = sb_config_slot_find(c, SB_CFG_IVR, name);
		unsigned mi = slot >= 0 ? (unsigned)slot : c->n_ivr_menus;

		w->ivr_menus = calloc(c->n_ivr_menus + 1, sizeof(*w->ivr_menus));
		if (w->ivr_menus == NULL)
			goto out_nomem;
		if (c->n_ivr_menus)
			memcpy(w->ivr_menus, c->ivr_menus, c->n_ivr_menus * sizeof(*w->ivr_menus));
		/* at its own index: `menu NAME` of itself resolves to it */
		memset(&w->ivr_menus[mi], 0, sizeof(w->ivr_menus[mi]));
		snprintf(w->ivr_menus[mi].name, sizeof(w->ivr_menus[mi].name), "%s", name);
		if (mi == c->n_ivr_menus)
			w->n_ivr_menus++;
		rc = parse_menu(w, wh, mi, yaml_document_get_node(&doc, 1));
		if (rc == 0) /* `transfer NUMBER`: c's hotlines, or an outside number */
			rc = sb_config_ivr_link(w, wh);
		if (rc == 0) {
			out->u.menu = w->ivr_menus[mi];
			out->n_outside = w->n_outside;
			memcpy(out->outside, w->outside, sizeof(out->outside));
		}
		free(w->ivr_menus);
	} else {
		w->hours = NULL; /* parse_hours allocates its own */
		w->n_hours = 0;
		w->cap_hours = 0;
		rc = parse_hours(w, wh, yaml_document_get_node(&doc, wrap));
		if (rc == 0 && w->n_hours == 1)
			out->u.hours = w->hours[0]; /* tz: now out's */
		else if (w->hours && w->n_hours)
			free(w->hours[0].tz);
		free(w->hours);
	}
	goto out_w;
out_nomem:
	snprintf(err, err_len, "out of memory");
	rc = -ENOMEM;
out_w:
	free(w);
	free(wh);
out_doc:
	yaml_document_delete(&doc);
	return rc;
}
