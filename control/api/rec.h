/* SPDX-License-Identifier: MIT */
/*
 * api/rec.h — recordings and quality evaluation routes of the API (issue
 * 7), on the framework of api/api.h.  Tenant-scoped by the token: a
 * recording, form or evaluation of another tenant is 404, as if absent.
 * Every store or file access runs on the API's worker thread
 * (sb_api_defer); the loop only parses, checks and formats.
 *
 *   GET    /v1/recordings?queue=&agent=&call_id=&from=&to=&complete=&limit=&after=&order=
 *                                     a page, newest first (order=id: oldest
 *                                     first); "next" is the after= of the
 *                                     next page, null on the last
 *   GET    /v1/recordings/ID          metadata
 *   GET    /v1/recordings/ID/audio    the file (Range: bytes=... -> 206)
 *   DELETE /v1/recordings/ID          file unlinked, row removed (409 while
 *                                     recording); evaluations kept
 *   POST   /v1/qa/forms               {"name", "questions": [{"text",
 *                                     "weight", "max"}]} -> 201
 *   GET    /v1/qa/forms[/ID]
 *   POST   /v1/recordings/ID/evaluations {"form", "evaluator", "answers":
 *                                     [points...], "comment"} -> 201 with the
 *                                     score: 100 * sum(w*p/max) / sum(w)
 *   GET    /v1/recordings/ID/evaluations
 *   GET    /v1/agents/NAME/qa         count, mean, min, max; per form
 */
#ifndef SB_API_REC_H
#define SB_API_REC_H

struct sb_api;
struct sb_cp;

int sb_api_rec_register(struct sb_api *api, struct sb_cp *cp); /* 0 | -errno */

#endif
