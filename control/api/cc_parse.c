/* SPDX-License-Identifier: MIT */
/* api/cc_parse.c — see cc_parse.h. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "api/cc_parse.h"

int sb_api_parse_agent_state(const char *body, size_t len, enum sb_api_agent_cmd *cmd,
			     uint16_t *reason, struct sb_api_resp *resp)
{
	static const char *const cmds[] = { [SB_API_LOGIN] = "login", [SB_API_LOGOUT] = "logout",
					    [SB_API_PAUSE] = "pause",
					    [SB_API_UNPAUSE] = "unpause" };
	struct sb_api_req req = { .body = body, .body_len = len };
	const char *state;
	uint64_t r = 0;
	json_t *o;
	unsigned i;
	int rc;

	if (sb_api_body_object(&req, resp, &o) < 0)
		return -EINVAL;
	rc = sb_api_get_str(o, "state", &state, resp);
	if (rc == -ENOENT)
		sb_api_error(resp, 400, "state", "'state' is required: login, logout, pause "
			     "or unpause");
	if (rc < 0)
		goto bad;
	for (i = 0; i < 4; i++)
		if (strcmp(state, cmds[i]) == 0)
			break;
	if (i == 4) {
		sb_api_error(resp, 400, "state", "'state' must be login, logout, pause or unpause");
		goto bad;
	}
	rc = sb_api_get_uint(o, "reason", 65534, &r, resp);
	if (rc == -EINVAL)
		goto bad;
	if (rc == 0 && i != SB_API_PAUSE) {
		sb_api_error(resp, 400, "reason", "'reason' only goes with 'pause'");
		goto bad;
	}
	{
		const char *k;
		json_t *v;

		json_object_foreach(o, k, v) {
			if (strcmp(k, "state") != 0 && strcmp(k, "reason") != 0) {
				sb_api_error(resp, 400, k, "unknown field '%s'", k);
				goto bad;
			}
		}
	}
	json_decref(o);
	*cmd = (enum sb_api_agent_cmd)i;
	*reason = (uint16_t)r;
	return 0;
bad:
	json_decref(o);
	return -EINVAL;
}

/* A numeric field of a PATCH body: its name, the bit it sets in *set,
 * its range, where its uint32_t goes in the output struct. */
struct num_field {
	const char *name;
	unsigned bit;
	uint64_t lo, hi;
	size_t off;
};

/* Field k of o, which must be one of num[0..n): checked, stored in out,
 * its bit set in *set.  0, or -EINVAL with the error in resp. */
static int num_field_set(json_t *o, const char *k, const struct num_field *num, size_t n,
			 void *out, unsigned *set, struct sb_api_resp *resp)
{
	uint64_t x = 0;
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		if (strcmp(k, num[i].name) == 0)
			break;
	if (i == n) {
		sb_api_error(resp, 400, k, "unknown field '%s'", k);
		return -EINVAL;
	}
	rc = sb_api_get_uint(o, k, num[i].hi, &x, resp);
	if (rc == 0 && x < num[i].lo) {
		sb_api_error(resp, 400, k, "'%s' must be an integer %llu..%llu", k,
			     (unsigned long long)num[i].lo, (unsigned long long)num[i].hi);
		rc = -EINVAL;
	}
	if (rc == -ENOENT) /* null */
		sb_api_error(resp, 400, k, "'%s' must not be null", k);
	if (rc < 0)
		return -EINVAL;
	*(uint32_t *)((char *)out + num[i].off) = (uint32_t)x;
	*set |= num[i].bit;
	return 0;
}

/* "skills": {"name": level, ...}: at most max entries, levels 1..255 */
static int skills_field(json_t *v, struct sb_api_skill *out, unsigned max, unsigned *n,
			struct sb_api_resp *resp)
{
	const char *name;
	json_t *lv;

	*n = 0;
	if (!json_is_object(v)) {
		sb_api_error(resp, 400, "skills", "'skills' must be an object of skill: level");
		return -EINVAL;
	}
	json_object_foreach(v, name, lv) {
		json_int_t l;

		if (*n == max) {
			sb_api_error(resp, 400, "skills", "'skills' may hold at most %u skills", max);
			return -EINVAL;
		}
		if (name[0] == '\0' || strlen(name) >= sizeof(out->name)) {
			sb_api_error(resp, 400, "skills", "skill names are 1..%zu characters",
				     sizeof(out->name) - 1);
			return -EINVAL;
		}
		l = json_is_integer(lv) ? json_integer_value(lv) : -1;
		if (l < 1 || l > 255) {
			sb_api_error(resp, 400, "skills", "level of skill '%s' must be an integer "
				     "1..255", name);
			return -EINVAL;
		}
		memcpy(out[*n].name, name, strlen(name) + 1);
		out[*n].level = (uint8_t)l;
		(*n)++;
	}
	return 0;
}

/* "steps": [{"after": s, "level": m | "drop": d | "any": true}, ...] */
static int steps_field(json_t *v, struct sb_api_queue_patch *out, struct sb_api_resp *resp)
{
	size_t i;
	json_t *e;

	out->n_steps = 0;
	if (!json_is_array(v) || json_array_size(v) > SB_API_STEPS_MAX) {
		sb_api_error(resp, 400, "steps", "'steps' must be a list of at most %u "
			     "{after, level | drop | any}", SB_API_STEPS_MAX);
		return -EINVAL;
	}
	json_array_foreach(v, i, e) {
		struct sb_api_step *st = &out->steps[out->n_steps];
		json_t *after = json_object_get(e, "after"), *lv = json_object_get(e, "level"),
		       *dr = json_object_get(e, "drop"), *any = json_object_get(e, "any");
		json_int_t a = json_is_integer(after) ? json_integer_value(after) : -1, x;

		if (!json_is_object(e) || json_object_size(e) != 2 || a < 1 || a > 86400 ||
		    !!lv + !!dr + !!any != 1) {
			sb_api_error(resp, 400, "steps", "step %zu must be {\"after\": 1..86400, "
				     "and one of \"level\", \"drop\", \"any\": true}", i);
			return -EINVAL;
		}
		st->after_s = (uint32_t)a;
		if (any) {
			if (!json_is_true(any)) {
				sb_api_error(resp, 400, "steps", "step %zu: 'any' can only be true", i);
				return -EINVAL;
			}
			st->kind = SB_API_STEP_ANY;
		} else {
			x = json_is_integer(lv ? lv : dr) ? json_integer_value(lv ? lv : dr) : -1;
			if (lv ? (x < 0 || x > 254) : (x < 1 || x > 255)) {
				sb_api_error(resp, 400, "steps", "step %zu: '%s' must be an integer "
					     "%s", i, lv ? "level" : "drop", lv ? "0..254" : "1..255");
				return -EINVAL;
			}
			st->kind = lv ? SB_API_STEP_LEVEL : SB_API_STEP_DROP;
			st->value = (uint8_t)x;
		}
		out->n_steps++;
	}
	return 0;
}

int sb_api_parse_queue_patch(const char *body, size_t len, struct sb_api_queue_patch *out,
			     unsigned *set, struct sb_api_resp *resp)
{
	/* the names of enum sb_acd_strategy, in its order; 0 = ring-all */
	static const char *const strategies[] = { "ring-all", "longest-idle", "round-robin",
						  "fewest-calls", "least-talk-time", "random",
						  "linear" };
	static const struct num_field num[] = {
		{ "ring_timeout", SB_API_Q_RING, 1, 3600, offsetof(struct sb_api_queue_patch, ring_s) },
		{ "wrap_up", SB_API_Q_WRAPUP, 0, 3600, offsetof(struct sb_api_queue_patch, wrapup_s) },
		{ "max_len", SB_API_Q_MAXLEN, 0, 1000000,
		  offsetof(struct sb_api_queue_patch, max_len) },
		{ "max_wait", SB_API_Q_MAXWAIT, 0, 86400,
		  offsetof(struct sb_api_queue_patch, max_wait_s) },
		{ "service_level", SB_API_Q_SL, 1, 3600, offsetof(struct sb_api_queue_patch, sl_s) },
		{ "short_abandon", SB_API_Q_SHORT, 0, 3600,
		  offsetof(struct sb_api_queue_patch, short_s) },
	};
	struct sb_api_req req = { .body = body, .body_len = len };
	const char *k, *str;
	json_t *o, *v;

	*set = 0;
	memset(out, 0, sizeof(*out));
	if (sb_api_body_object(&req, resp, &o) < 0)
		return -EINVAL;
	json_object_foreach(o, k, v) {
		unsigned i;

		if (strcmp(k, "strategy") == 0) {
			if (sb_api_get_str(o, k, &str, resp) < 0) {
				if (resp->body == NULL)
					sb_api_error(resp, 400, k, "'strategy' must be a string");
				goto bad;
			}
			for (i = 0; i < sizeof(strategies) / sizeof(strategies[0]); i++)
				if (strcmp(str, strategies[i]) == 0)
					break;
			if (i == sizeof(strategies) / sizeof(strategies[0])) {
				sb_api_error(resp, 400, k,
					     "'strategy' must be ring-all, longest-idle, round-robin, "
					     "fewest-calls, least-talk-time, random or linear");
				goto bad;
			}
			out->strategy = i;
			*set |= SB_API_Q_STRATEGY;
			continue;
		}
		if (strcmp(k, "skills") == 0) {
			if (skills_field(v, out->skills, SB_API_SKILL_REQ, &out->n_skills, resp) < 0)
				goto bad;
			*set |= SB_API_Q_SKILLS;
			continue;
		}
		if (strcmp(k, "steps") == 0) {
			if (steps_field(v, out, resp) < 0)
				goto bad;
			*set |= SB_API_Q_STEPS;
			continue;
		}
		if (num_field_set(o, k, num, sizeof(num) / sizeof(num[0]), out, set, resp) < 0)
			goto bad;
	}
	if (*set == 0) {
		sb_api_error(resp, 400, "body", "no setting to change");
		goto bad;
	}
	json_decref(o);
	return 0;
bad:
	json_decref(o);
	return -EINVAL;
}

int sb_api_parse_agent_patch(const char *body, size_t len, struct sb_api_agent_patch *out,
			     unsigned *set, struct sb_api_resp *resp)
{
	static const struct num_field num[] = {
		{ "wrap_up", SB_API_A_WRAPUP, 0, 3600, offsetof(struct sb_api_agent_patch, wrapup_s) },
		{ "max_noanswer", SB_API_A_MAXNA, 0, 1000,
		  offsetof(struct sb_api_agent_patch, max_noanswer) },
		{ "noanswer_delay", SB_API_A_NADELAY, 0, 3600,
		  offsetof(struct sb_api_agent_patch, noanswer_delay_s) },
		{ "reject_delay", SB_API_A_REJDELAY, 0, 3600,
		  offsetof(struct sb_api_agent_patch, reject_delay_s) },
		{ "busy_delay", SB_API_A_BUSYDELAY, 0, 3600,
		  offsetof(struct sb_api_agent_patch, busy_delay_s) },
	};
	struct sb_api_req req = { .body = body, .body_len = len };
	const char *k;
	json_t *o, *v;

	*set = 0;
	memset(out, 0, sizeof(*out));
	if (sb_api_body_object(&req, resp, &o) < 0)
		return -EINVAL;
	json_object_foreach(o, k, v) {
		if (strcmp(k, "wrap_up") == 0 && json_is_string(v) &&
		    strcmp(json_string_value(v), "queue") == 0) {
			out->wrapup_queue = true; /* back to the queue's */
			*set |= SB_API_A_WRAPUP;
			continue;
		}
		if (strcmp(k, "skills") == 0) {
			if (skills_field(v, out->skills, SB_API_SKILLS_MAX, &out->n_skills, resp) < 0)
				goto bad;
			*set |= SB_API_A_SKILLS;
			continue;
		}
		if (num_field_set(o, k, num, sizeof(num) / sizeof(num[0]), out, set, resp) < 0)
			goto bad;
	}
	if (*set == 0) {
		sb_api_error(resp, 400, "body", "no setting to change");
		goto bad;
	}
	json_decref(o);
	return 0;
bad:
	json_decref(o);
	return -EINVAL;
}

int sb_api_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0' || strlen(s) > 20)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		uint64_t d = (uint64_t)(*s - '0');

		if (v > max / 10u)
			return -EINVAL;
		v *= 10u;
		if (d > max - v)
			return -EINVAL;
		v += d;
	}
	*out = v;
	return 0;
}
