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
struct sb_api_queue_patch {
	unsigned strategy;   /* enum sb_acd_strategy */
	uint32_t ring_s, wrapup_s, max_len, max_wait_s, sl_s, short_s;
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
struct sb_api_agent_patch {
	bool wrapup_queue;
	uint32_t wrapup_s, max_noanswer, noanswer_delay_s, reject_delay_s, busy_delay_s;
};
int sb_api_parse_agent_patch(const char *body, size_t len, struct sb_api_agent_patch *out,
			     unsigned *set, struct sb_api_resp *resp);

/* A decimal query argument: digits only, <= max.  0 | -EINVAL */
int sb_api_parse_u64(const char *s, uint64_t max, uint64_t *out);

#endif
