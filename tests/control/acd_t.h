/* SPDX-License-Identifier: MIT */
/* acd_t.h — shared by the acd_*_t tests: records the engine's actions and
 * asserts the ones an event produced, and audits after every step. */
#ifndef SB_ACD_T_H
#define SB_ACD_T_H

#include <errno.h>
#include <string.h>

#include "acd/acd.h"
#include "test.h"

#define REC_MAX 4096

struct rec {
	struct sb_acd_action act[REC_MAX];
	unsigned n, seen;   /* recorded / already checked */
};

static inline void rec_emit(void *arg, const struct sb_acd_action *x)
{
	struct rec *r = arg;

	if (r->n < REC_MAX)
		r->act[r->n++] = *x;
}

static inline struct sb_acd *acd_new(struct rec *r, uint32_t nq, uint32_t nag, uint32_t ncalls,
				     uint64_t seed)
{
	struct sb_acd_cfg cfg = { .max_queues = nq, .max_agents = nag, .max_calls = ncalls,
				  .seed = seed, .emit = rec_emit, .emit_arg = r };
	struct sb_acd *a;

	memset(r, 0, sizeof(*r));
	a = sb_acd_create(&cfg);
	T_ASSERT(a != NULL);
	return a;
}

/* the next unchecked action must be this one */
#define EXPECT_ACT(r, t, c, ag)                                                \
	do {                                                                   \
		T_ASSERT((r)->seen < (r)->n);                                  \
		if ((r)->act[(r)->seen].type != (t) ||                         \
		    (r)->act[(r)->seen].call != (uint32_t)(c) ||               \
		    (r)->act[(r)->seen].agent != (uint32_t)(ag)) {             \
			fprintf(stderr, "%s:%d: action %u: got %d call %u agent %u, want %d %u %u\n", \
				__FILE__, __LINE__, (r)->seen, (r)->act[(r)->seen].type, \
				(r)->act[(r)->seen].call, (r)->act[(r)->seen].agent, \
				(int)(t), (uint32_t)(c), (uint32_t)(ag));      \
			exit(1);                                               \
		}                                                              \
		(r)->seen++;                                                   \
	} while (0)
#define EXPECT_NONE(r)                                                         \
	do {                                                                   \
		if ((r)->seen != (r)->n) {                                     \
			fprintf(stderr, "%s:%d: unexpected action %d call %u agent %u\n", \
				__FILE__, __LINE__, (r)->act[(r)->seen].type,  \
				(r)->act[(r)->seen].call, (r)->act[(r)->seen].agent); \
			exit(1);                                               \
		}                                                              \
	} while (0)
#define OFFER(r, c, ag)  EXPECT_ACT(r, SB_ACD_ACT_OFFER, c, ag)
#define CANCEL(r, c, ag) EXPECT_ACT(r, SB_ACD_ACT_CANCEL, c, ag)

#define AUDIT(a, now)                                                          \
	do {                                                                   \
		char why_[256];                                                \
		if (sb_acd_audit((a), (now), why_, sizeof(why_)) != 0) {       \
			fprintf(stderr, "%s:%d: audit: %s\n", __FILE__, __LINE__, why_); \
			exit(1);                                               \
		}                                                              \
	} while (0)

#define OK(x) T_ASSERT((x) == 0)

static inline struct sb_acd_queue_cfg qcfg(enum sb_acd_strategy s)
{
	return (struct sb_acd_queue_cfg){ .strategy = s, .overflow = SB_ACD_NONE,
					  .join_empty = true, .aht_ms = 180000 };
}

static inline struct sb_acd_agent_cfg acfg(void)
{
	return (struct sb_acd_agent_cfg){ .max_calls = 1, .wrapup_ms = SB_ACD_WRAPUP_QUEUE };
}

#endif
