/* SPDX-License-Identifier: MIT */
/*
 * legs.h — the leg table and the commands that change it.
 *
 * Legs are referred to by the index control chose (< max_legs) plus
 * control's generation of that index (STYLE H4).  A leg belongs to the
 * worker that owns its local port; only that worker writes the leg and its
 * counters in the segment (struct sb_leg_stats).  After LEG_DEL the
 * counters stay readable (active = 0) until the index is added again.
 */
#ifndef SB_DP_LEGS_H
#define SB_DP_LEGS_H

#include <stdint.h>

#include "sb/dp_abi.h"

struct sb_worker;

struct sb_leg {
	uint32_t peer_ip;   /* network order; 0 = unknown */
	uint16_t peer_port; /* 0 = unknown */
	uint16_t local_port;
	uint32_t flags;     /* SB_LEG_F_* */
	uint32_t gen;
	uint32_t fwd;       /* connected leg, SB_LEG_NONE when none */
	uint32_t call_id;
	uint16_t worker;    /* owner */
	uint8_t active;
	uint8_t latched;    /* peer learned from traffic */
	uint32_t pad;
};
_Static_assert(sizeof(struct sb_leg) == 32, "two legs per cache line");

struct sb_leg_tbl {
	uint32_t max;
	struct sb_leg *leg;      /* [max], owned: sb_leg_tbl_free() */
	struct sb_leg_stats *st; /* [max], in the shm segment */
};

/* Allocate max legs (hugepage memory on socket).  Returns 0 or -ENOMEM. */
int sb_leg_tbl_init(struct sb_leg_tbl *t, uint32_t max, struct sb_leg_stats *st, int socket);
void sb_leg_tbl_free(struct sb_leg_tbl *t);

/* Apply one command on worker w (its owner).  Returns 0 or:
 *   -EBADMSG  h.len does not match sb_cmd_size[] for the type
 *   -ENOTSUP  unknown command type
 *   -EINVAL   leg index >= max_legs, unknown flag bits, wrong worker,
 *             or LEG_MOD trying to change the local port
 *   -ERANGE   LEG_ADD: local port outside this worker's range
 *   -EEXIST   LEG_ADD: leg index active, or local port already in use
 *   -ENOENT   leg not active
 *   -ESTALE   leg_gen does not match the active leg's generation
 *   -EXDEV    LEG_CONNECT across workers */
int sb_legs_apply(struct sb_worker *w, const union sb_msg *m);

/* Drain up to SB_CMD_BURST commands from the worker's ring, apply each and
 * answer it with SB_EVT_RESULT.  Returns how many were handled. */
unsigned sb_legs_cmd_poll(struct sb_worker *w);

#endif /* SB_DP_LEGS_H */
