/* SPDX-License-Identifier: MIT */
/* dp_shm_t — the control/dataplane segment: create, attach only when READY,
 * reject a foreign ABI and a bad layout with a message, port->worker map,
 * drop-reason names from the X-macro, and a command/answer round trip. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sb/dp_shm.h"
#include "test.h"

int main(void)
{
	struct sb_dp_shm dp, cp;
	struct sb_dp_shm_params p = {
		.n_workers = 2, .max_legs = 1000, .cmd_slots = 256, .evt_slots = 512,
		.media_ip = 0x0a7100cb, .media_mac = {2, 0, 0, 0, 0, 1},
		.port_min = 20000, .port_span = 1000,
	};
	char inst[32], why[256];

	snprintf(inst, sizeof(inst), "t%d", (int)getpid());
	T_ASSERT(sb_dp_shm_attach(&cp, inst, why, sizeof(why)) == -ENOENT);
	T_ASSERT(strstr(why, "shm_open") != NULL);
	T_ASSERT(sb_dp_shm_create(&dp, "bad/name", &p) == -EINVAL);
	struct sb_dp_shm_params bad = p;
	bad.n_workers = SB_MAX_WORKERS + 1;
	T_ASSERT(sb_dp_shm_create(&dp, inst, &bad) == -EINVAL);
	bad = p;
	bad.cmd_slots = 100;
	T_ASSERT(sb_dp_shm_create(&dp, inst, &bad) == -EINVAL);

	T_ASSERT(sb_dp_shm_create(&dp, inst, &p) == 0);
	/* INIT: not attachable yet */
	T_ASSERT(sb_dp_shm_attach(&cp, inst, why, sizeof(why)) == -EAGAIN);
	T_ASSERT(strstr(why, "not ready") != NULL);
	sb_dp_shm_set_state(&dp, SB_DP_READY);
	T_ASSERT(sb_dp_shm_attach(&cp, inst, why, sizeof(why)) == 0);
	T_ASSERT(cp.hdr->generation == dp.hdr->generation);
	T_ASSERT(cp.hdr->media_ip == p.media_ip);

	/* rings and counters do not overlap and lie inside the segment */
	T_ASSERT(dp.hdr->off_cmd[0] < dp.hdr->off_evt[0]);
	T_ASSERT(dp.hdr->off_evt[1] < dp.hdr->off_worker_stats);
	T_ASSERT(dp.hdr->off_worker_stats + 2 * sizeof(struct sb_worker_stats) <= dp.hdr->off_leg_stats);
	T_ASSERT(dp.hdr->off_leg_stats + 1000 * sizeof(struct sb_leg_stats) <= dp.size);

	/* command from control, answer from the worker, through the mapping */
	union sb_msg m = {0}, got;
	m.leg = (struct sb_cmd_leg){ .h = { .type = SB_CMD_LEG_ADD, .len = sizeof(struct sb_cmd_leg),
					    .req_id = 42, .leg = 7, .leg_gen = 3 },
				     .local_port = 21002, .worker = 1 };
	T_ASSERT(sb_ring_enqueue_bulk(sb_dp_shm_cmd_ring(&cp, 1), &m, 1) == 1);
	T_ASSERT(sb_ring_dequeue_bulk(sb_dp_shm_cmd_ring(&dp, 0), &got, 1) == 0);
	T_ASSERT(sb_ring_dequeue_bulk(sb_dp_shm_cmd_ring(&dp, 1), &got, 1) == 1);
	T_ASSERT(got.h.type == SB_CMD_LEG_ADD && got.h.req_id == 42 && got.leg.local_port == 21002);
	T_ASSERT(got.h.len == sb_cmd_size[SB_CMD_LEG_ADD]);
	sb_dp_shm_leg_stats(&dp, 7)->rx_pkts = 99;
	T_ASSERT(sb_dp_shm_leg_stats(&cp, 7)->rx_pkts == 99);
	sb_dp_shm_worker_stats(&dp, 1)->drop[SB_DROP_NO_LEG] = 5;
	T_ASSERT(sb_dp_shm_worker_stats(&cp, 1)->drop[SB_DROP_NO_LEG] == 5);

	/* port ranges */
	T_ASSERT(sb_dp_port_worker(cp.hdr, 19999) == -1);
	T_ASSERT(sb_dp_port_worker(cp.hdr, 20000) == 0);
	T_ASSERT(sb_dp_port_worker(cp.hdr, 20999) == 0);
	T_ASSERT(sb_dp_port_worker(cp.hdr, 21000) == 1);
	T_ASSERT(sb_dp_port_worker(cp.hdr, 22000) == -1);

	/* drop reason table generated from the X-macro */
	T_ASSERT(strcmp(sb_drop_name(SB_DROP_NO_LEG), "NO_LEG") == 0);
	T_ASSERT(strcmp(sb_drop_name(SB_DROP_N), "?") == 0);
	T_ASSERT(strstr(sb_drop_desc(SB_DROP_BAD_SRC), "strict") != NULL);
	sb_dp_shm_detach(&cp, 0);

	/* a dataplane with another ABI is refused, with the reason */
	dp.hdr->abi = SB_DP_ABI + 1;
	T_ASSERT(sb_dp_shm_attach(&cp, inst, why, sizeof(why)) == -EPROTO);
	T_ASSERT(strstr(why, "ABI mismatch") != NULL);
	dp.hdr->abi = SB_DP_ABI;
	dp.hdr->leg_stats_size = 64;
	T_ASSERT(sb_dp_shm_attach(&cp, inst, why, sizeof(why)) == -EPROTO);
	dp.hdr->leg_stats_size = sizeof(struct sb_leg_stats);
	/* a corrupted ring header is refused */
	sb_dp_shm_cmd_ring(&dp, 1)->slots = 128;
	T_ASSERT(sb_dp_shm_attach(&cp, inst, why, sizeof(why)) == -EPROTO);
	sb_dp_shm_cmd_ring(&dp, 1)->slots = 256;
	T_ASSERT(sb_dp_shm_attach(&cp, inst, why, sizeof(why)) == 0);
	sb_dp_shm_detach(&cp, 0);

	/* a restart: new segment, new generation; old mapping says STOPPED */
	uint64_t gen1 = dp.hdr->generation;
	struct sb_dp_shm old;
	T_ASSERT(sb_dp_shm_attach(&old, inst, why, sizeof(why)) == 0);
	sb_dp_shm_detach(&dp, 1);
	T_ASSERT(atomic_load(&old.hdr->state) == SB_DP_STOPPED);
	usleep(1000);
	T_ASSERT(sb_dp_shm_create(&dp, inst, &p) == 0);
	T_ASSERT(dp.hdr->generation != gen1);
	sb_dp_shm_detach(&old, 0);
	sb_dp_shm_detach(&dp, 1);
	T_ASSERT(sb_dp_shm_attach(&cp, inst, why, sizeof(why)) == -ENOENT);
	printf("dp_shm_t: ok\n");
	return 0;
}
