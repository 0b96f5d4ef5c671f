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
 *                                   theirs; saved in the store (PATCHes merged)
 *   PATCH /v1/agents/NAME           wrap_up (or "queue"), max_noanswer,
 *                                   noanswer_delay, reject_delay, busy_delay
 *   GET  /v1/calls                  live queue calls (waiting, ringing, talking,
 *                                   callback: a kept place, b2bua/queue.h; a
 *                                   callback also has callback_state: waiting,
 *                                   retry-wait, ringing-agent, dialling, on-hold,
 *                                   connected, b2bua/callback.h)
 *   GET  /v1/events?since=ID&limit=N  queue log after ID (oldest first)
 *   PUT  /v1/agents/NAME            create or replace (api/objects.c): the body is
 *   PUT  /v1/queues/NAME            the YAML entry's fields as JSON, checked by the
 *   PUT  /v1/hotlines/NUMBER        config file's parsers; 400 names the field
 *                                   ("queues.sales.strategy"); 201 created, 200
 *                                   replaced; live calls keep their agent/queue
 *   DELETE /v1/agents|queues|hotlines/NAME  409 while in use (a call, a queue's
 *                                   members, a hotline, a menu); saved in the store,
 *                                   restored at start-up (store/ccobj.h)
 *   GET  /v1/hotlines[/NUMBER]      numbers and where they go
 *   GET  /v1/tenants[/NAME]         an admin token (`admin: true`): every tenant;
 *                                   others: their own
 *   PUT|DELETE /v1/tenants/NAME     admin tokens only (403); with a `tenants:`
 *                                   list; DELETE 409 while objects belong to it
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

/* api/objects.c: PUT/DELETE of agents, queues, hotlines; GET /v1/hotlines */
#include <stdbool.h>
int sb_api_objects_register(struct sb_api *api, struct sb_cp *cp);
/* After a change (resp filled): the row written to the store on the API's
 * worker, the answer when it is saved (SB_API_PENDING), or 0 at once when
 * there is no store.  kind "agent" | "queue" | "hotline" (body NULL: a
 * deletion), or "queue-settings" | "agent-settings" with merge (a PATCH). */
int sb_api_obj_save(const struct sb_api_req *req, struct sb_api_resp *resp, const char *kind,
		    const char *name, const char *tenant, const char *body, bool merge);
/* Start-up, after sb_cpq_init: the stored PATCH settings applied again. */
void sb_api_objects_replay(struct sb_cp *cp);
void sb_api_objects_close(void); /* after sb_api_free */
/* api/cc.c: PATCH /v1/queues/NAME or /v1/agents/NAME without a request */
int sb_api_cc_patch(struct sb_cp *cp, bool queue, const char *name, const char *tenant,
		    const char *body, struct sb_api_resp *resp);

#endif
