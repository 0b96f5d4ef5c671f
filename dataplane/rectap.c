/* SPDX-License-Identifier: MIT */
/*
 * rectap.c — recording tap of the worker (see rectap.h).
 */
#include "legs.h"
#include "rectap.h"
#include "worker.h"

void sb_dprec_tap(struct sb_worker *w, uint32_t idx, const uint8_t *rtp, uint32_t len,
		  uint64_t now)
{
	(void)w;
	(void)idx;
	(void)rtp;
	(void)len;
	(void)now;
	/* no leg carries SB_LEGI_REC yet */
}

void sb_dprec_leg_reset(struct sb_worker *w, uint32_t idx)
{
	w->legs->leg[idx].flags &= (uint8_t)~SB_LEGI_REC;
}
