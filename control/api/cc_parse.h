/* SPDX-License-Identifier: MIT */
/*
 * api/cc_parse.h — the request bodies and arguments of the contact-centre
 * routes, parsed without touching any state (fuzzed: tests/fuzz/
 * fuzz_api_cc.c).
 */
#ifndef SB_API_CC_PARSE_H
#define SB_API_CC_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"

enum sb_api_agent_cmd { SB_API_LOGIN, SB_API_LOGOUT, SB_API_PAUSE, SB_API_UNPAUSE };

/* {"state": "login"|"logout"|"pause"|"unpause", "reason": 0..65534}
 * (reason only with pause; absent = 0).  0, or -EINVAL with resp set to a
 * 400 naming the field ("body", "state" or "reason"). */
int sb_api_parse_agent_state(const char *body, size_t len, enum sb_api_agent_cmd *cmd,
			     uint16_t *reason, struct sb_api_resp *resp);

/* PATCH /v1/queues/NAME: {"strategy": "longest-idle"|"round-robin"|
 * "fewest-calls"|"least-talk-time"|"random"|"linear", "ring_timeout":
 * 1..3600, "wrap_up": 0..3600, "max_wait": 0..86400, "service_level":
 * 1..3600, "short_abandon": 0..3600 (seconds), "max_len": 0..1000000};
 * every field optional, at least one.  Fields given are set in *out and
 * flagged in *set (SB_API_Q_* bits); 0, or -EINVAL with a 400 naming the
 * field. */
enum {
	SB_API_Q_STRATEGY = 1u << 0, SB_API_Q_RING = 1u << 1, SB_API_Q_WRAPUP = 1u << 2,
	SB_API_Q_MAXLEN = 1u << 3, SB_API_Q_MAXWAIT = 1u << 4, SB_API_Q_SL = 1u << 5,
	SB_API_Q_SHORT = 1u << 6,
};
/* Skills (config.h `skills:`): names as given, resolved by the caller
 * against the configured skill names (a name it does not know: 400). */
#define SB_API_SKILLS_MAX 32
#define SB_API_SKILL_REQ 4
#define SB_API_STEPS_MAX 5   /* 4 level/drop steps + the any step */
struct sb_api_skill {
	char name[64];
	uint8_t level;       /* 1..255 */
};
enum sb_api_step_kind { SB_API_STEP_LEVEL, SB_API_STEP_DROP, SB_API_STEP_ANY };
struct sb_api_step {
	uint32_t after_s;    /* 1..86400 */
	enum sb_api_step_kind kind;
	uint8_t value;       /* level 0..254 or drop 1..255 */
};
/* "skills": {"billing": 5, ...} (1..4 skills, levels 1..255; {} = none)
 * and "steps": [{"after": s, "level": m | "drop": d | "any": true}, ...]
 * (up to 5; "after" increasing; checked against the skills by the
 * caller, as config.c does): SB_API_Q_SKILLS / SB_API_Q_STEPS. */
enum { SB_API_Q_SKILLS = 1u << 7, SB_API_Q_STEPS = 1u << 8 };
struct sb_api_queue_patch {
	unsigned strategy;   /* enum sb_acd_strategy */
	uint32_t ring_s, wrapup_s, max_len, max_wait_s, sl_s, short_s;
	unsigned n_skills, n_steps;
	struct sb_api_skill skills[SB_API_SKILL_REQ];
	struct sb_api_step steps[SB_API_STEPS_MAX];
};
int sb_api_parse_queue_patch(const char *body, size_t len, struct sb_api_queue_patch *out,
			     unsigned *set, struct sb_api_resp *resp);

/* PATCH /v1/agents/NAME: {"wrap_up": 0..3600 | "queue", "max_noanswer":
 * 0..1000, "noanswer_delay", "reject_delay", "busy_delay": 0..3600}
 * (seconds); at least one.  SB_API_A_* bits in *set; wrap_up "queue" =
 * wrapup_queue true.  0, or -EINVAL with a 400 naming the field. */
enum {
	SB_API_A_WRAPUP = 1u << 0, SB_API_A_MAXNA = 1u << 1, SB_API_A_NADELAY = 1u << 2,
	SB_API_A_REJDELAY = 1u << 3, SB_API_A_BUSYDELAY = 1u << 4,
};
/* "skills": {"billing": 5, ...} replaces the agent's skills (levels
 * 1..255, at most 32; {} = none): SB_API_A_SKILLS. */
enum { SB_API_A_SKILLS = 1u << 5 };
struct sb_api_agent_patch {
	bool wrapup_queue;
	uint32_t wrapup_s, max_noanswer, noanswer_delay_s, reject_delay_s, busy_delay_s;
	unsigned n_skills;
	struct sb_api_skill skills[SB_API_SKILLS_MAX];
};
int sb_api_parse_agent_patch(const char *body, size_t len, struct sb_api_agent_patch *out,
			     unsigned *set, struct sb_api_resp *resp);

/* A decimal query argument: digits only, <= max.  0 | -EINVAL */
int sb_api_parse_u64(const char *s, uint64_t max, uint64_t *out);

#endif
