/* SPDX-License-Identifier: MIT */
/*
 * dpmedia.c — the worker's media path (see dpmedia.h).
 */
#include <errno.h>

#include <rte_mbuf.h>

#include "dpmedia.h"
#include "legs.h"
#include "worker.h"

void sb_dpm_rx(struct sb_worker *w, struct rte_mbuf *m, uint32_t idx, uint8_t *rtp,
	       uint32_t payload, uint64_t now)
{
	(void)idx;
	(void)rtp;
	(void)payload;
	(void)now;
	/* no leg carries SB_LEGI_MEDIA yet */
	w->st->drop[SB_DROP_NO_FWD]++;
	rte_pktmbuf_free(m);
}

int sb_dpm_cmd(struct sb_worker *w, const union sb_msg *m)
{
	(void)w;
	(void)m;
	return -ENOTSUP; /* not implemented yet */
}

void sb_dpm_leg_reset(struct sb_worker *w, uint32_t idx)
{
	w->legs->leg[idx].flags &= (uint8_t)~SB_LEGI_MEDIA;
}
