/* SPDX-License-Identifier: MIT */
/*
 * api/cc.h — the contact-centre routes of the API (queues, agents, live
 * calls, queue events), on the framework of api/api.h.  Each answers only
 * with objects of the token's tenant (others are 404, as if absent).
 *
 *   GET  /v1/queues                 every queue with its figures
 *   GET  /v1/queues/NAME            one queue
 *   GET  /v1/agents                 every agent: state, pause reason, figures
 *   GET  /v1/agents/NAME
 *   POST /v1/agents/NAME/state      {"state": "login"|"logout"|"pause"|"unpause",
 *                                    "reason": 0..65534 (pause)}
 *   PATCH /v1/queues/NAME           run-time settings: strategy, ring_timeout,
 *                                   wrap_up, max_len, max_wait, service_level,
 *                                   short_abandon (seconds); live calls keep
 *                                   theirs; not saved (the config file is)
 *   PATCH /v1/agents/NAME           wrap_up (or "queue"), max_noanswer,
 *                                   noanswer_delay, reject_delay, busy_delay
 *   GET  /v1/calls                  live queue calls (waiting, ringing, talking,
 *                                   callback: a kept place, b2bua/queue.h)
 *   GET  /v1/events?since=ID&limit=N  queue log after ID (oldest first)
 *   GET  /v1/ivrs                   IVR menus (read-only, api/ivr.c): options and
 *   GET  /v1/ivrs/NAME              actions as configured, hours open now
 */
#ifndef SB_API_CC_H
#define SB_API_CC_H

struct sb_api;
struct sb_cp;

int sb_api_cc_register(struct sb_api *api, struct sb_cp *cp); /* 0 | -errno */

/* GET /v1/ivrs handler (api/ivr.c; arg: the struct sb_cp) */
struct sb_api_req;
struct sb_api_resp;
int sb_api_get_ivrs(void *arg, const struct sb_api_req *req, struct sb_api_resp *resp);

#endif
