/* SPDX-License-Identifier: MIT */
/*
 * telemetry.h — sb-dataplane counters through DPDK's telemetry socket
 * (/var/run/dpdk/<file-prefix>/dpdk_telemetry.v2; dpdk-telemetry.py reads
 * it), the same numbers as the shared segment, read from it:
 *
 *   /sb/workers        steering mode, dispatcher and per-worker summary
 *   /sb/worker,<id>    one worker: every counter, ring depths, drops by reason
 *   /sb/legs           leg totals (active legs, packets, bytes, rejects)
 *   /sb/punt           the main lcore's slow path, punts by reason
 *
 * Callbacks run on the telemetry thread and only read counters that their
 * single writer updates with plain aligned 64-bit stores.
 */
#ifndef SB_DP_TELEMETRY_H
#define SB_DP_TELEMETRY_H

#include "sb/dp_shm.h"

#include "punt.h"

struct sb_dp_telemetry {
	const struct sb_dp_shm *shm;
	const struct sb_punt_stats *punt; /* NULL: no slow path (single lcore) */
};

/* Register the /sb/ commands.  ctx must outlive EAL (the telemetry thread
 * may call back until rte_eal_cleanup()).  Returns 0 or -errno. */
int sb_dp_telemetry_register(const struct sb_dp_telemetry *ctx);

/* Stop answering (the commands stay registered but report an error):
 * call before the segment is unmapped. */
void sb_dp_telemetry_unregister(void);

#endif /* SB_DP_TELEMETRY_H */
