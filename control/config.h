/* SPDX-License-Identifier: MIT */
/*
 * config.h — sb-control's YAML configuration, validated and turned into
 * plain structs (no strings are looked up again after loading, except agent
 * users and hotline numbers that SIP carries as text).
 *
 *   instance: demo
 *   sip:
 *     listen: [192.0.2.1:5060, 198.51.100.1:5060]
 *     ring_timeout: 30          # optional, seconds
 *   store:
 *     sqlite: /tmp/sb/switchboard.db
 *   agents:
 *     - user: agent1
 *       password: secret
 *   hotlines:
 *     - number: "800100"
 *       agents: [agent1, agent2]
 *
 * The snapshot is immutable after sb_config_load(); a reload builds a new one.
 */
#ifndef SB_CP_CONFIG_H
#define SB_CP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "sip/tx.h"

#define SB_CFG_NAME_MAX 64
#define SB_CFG_HOTLINE_AGENTS 32

struct sb_cfg_agent {
	char user[SB_CFG_NAME_MAX];
	char password[128];
};

struct sb_cfg_hotline {
	char number[SB_CFG_NAME_MAX];
	unsigned n_agents;
	uint16_t agents[SB_CFG_HOTLINE_AGENTS]; /* indexes into sb_config.agents */
};

struct sb_config {
	char instance[48];
	unsigned n_listen;
	struct sb_sip_addr listen[SB_SIP_MAX_SOCKS];
	uint32_t ring_timeout_s;
	char sqlite[256]; /* "" = no store */
	unsigned n_agents;
	struct sb_cfg_agent *agents;
	unsigned n_hotlines;
	struct sb_cfg_hotline *hotlines;
};

/* Load and validate.  Returns 0, or -EINVAL with err = "FILE:LINE: message"
 * (the line of the offending key or value), or -errno when the file cannot
 * be opened.  On error nothing needs freeing. */
int sb_config_load(struct sb_config *c, const char *path, char *err, size_t err_len);
void sb_config_free(struct sb_config *c);

/* Index or -1. */
int sb_config_agent_find(const struct sb_config *c, const char *user, size_t len);
int sb_config_hotline_find(const struct sb_config *c, const char *number, size_t len);

#endif
