/* SPDX-License-Identifier: MIT */
/* fuzz_api_cc — request bodies of POST /v1/agents/NAME/state, PATCH
 * /v1/queues/NAME (skills and steps too), PATCH /v1/agents/NAME and query
 * numbers (control/api/cc_parse.c over jansson): any input is either
 * accepted with a command in range or refused with a 400 naming a field. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/cc_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb_api_resp resp = { .status = 200 };
	enum sb_api_agent_cmd cmd;
	uint16_t reason;
	uint64_t v;
	char *buf = malloc(size + 1);

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (sb_api_parse_agent_state(buf, size, &cmd, &reason, &resp) == 0) {
		if (cmd > SB_API_UNPAUSE || reason > 65534 || resp.body)
			abort();
		if (reason && cmd != SB_API_PAUSE)
			abort();
	} else if (resp.status != 400 || !json_is_string(json_object_get(resp.body, "field")) ||
		   !json_is_string(json_object_get(resp.body, "error"))) {
		abort();
	}
	json_decref(resp.body);
	{
		struct sb_api_queue_patch qp;
		unsigned set;

		resp = (struct sb_api_resp){ .status = 200 };
		if (sb_api_parse_queue_patch(buf, size, &qp, &set, &resp) == 0) {
			if (set == 0 || resp.body ||
			    ((set & SB_API_Q_STRATEGY) && qp.strategy > 6) ||
			    ((set & SB_API_Q_RING) && (qp.ring_s < 1 || qp.ring_s > 3600)) ||
			    qp.n_skills > SB_API_SKILL_REQ || qp.n_steps > SB_API_STEPS_MAX)
				abort();
			for (unsigned i = 0; i < qp.n_skills; i++) /* names fit, levels 1.. */
				if (qp.skills[i].level == 0 || !memchr(qp.skills[i].name, 0, 64))
					abort();
			for (unsigned i = 0; i < qp.n_steps; i++)
				if (qp.steps[i].after_s < 1 || qp.steps[i].after_s > 86400)
					abort();
		} else if (resp.status != 400 ||
			   !json_is_string(json_object_get(resp.body, "field"))) {
			abort();
		}
		json_decref(resp.body);
	}
	{
		struct sb_api_agent_patch ap;
		unsigned set;

		resp = (struct sb_api_resp){ .status = 200 };
		if (sb_api_parse_agent_patch(buf, size, &ap, &set, &resp) == 0) {
			if (set == 0 || resp.body || ap.max_noanswer > 1000 ||
			    ap.busy_delay_s > 3600 || ap.wrapup_s > 3600 ||
			    ap.n_skills > SB_API_SKILLS_MAX)
				abort();
			for (unsigned i = 0; i < ap.n_skills; i++)
				if (ap.skills[i].level == 0 || !memchr(ap.skills[i].name, 0, 64))
					abort();
		} else if (resp.status != 400 ||
			   !json_is_string(json_object_get(resp.body, "field"))) {
			abort();
		}
		json_decref(resp.body);
	}
	if (sb_api_parse_u64(buf, 1000, &v) == 0 && v > 1000)
		abort();
	free(buf);
	return 0;
}
