/* SPDX-License-Identifier: MIT */
/* store/qrows.c — stored queue events for the interval reports (qrows.h). */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/qrows.h"
#include "store/recidx.h"

static void col_str(sqlite3_stmt *st, int i, char *dst, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(dst, n, "%s", t ? (const char *)t : "");
}

static int type_of(const unsigned char *name)
{
	for (int t = 0; name && t < SB_QEV_N; t++)
		if (strcmp((const char *)name, sb_qev_name((enum sb_qev_type)t)) == 0)
			return t;
	return -1;
}

/* Agents logged in (paused) when the range starts: a LOGIN (PAUSE) event
 * at from_ms each, from the last of their login/logout (and pause)
 * events before it.  Count given, or fn's error, or -EIO. */
static int state_before(sqlite3 *db, const char *tenant, int64_t from_ms, sb_qrow_fn *fn,
			void *arg)
{
	static const char *const sql[2] = {
		"SELECT agent FROM queue_event WHERE id IN (SELECT max(id) FROM queue_event "
		"WHERE tenant = ?1 AND ts_ms < ?2 AND agent IS NOT NULL AND event IN "
		"('login', 'logout') GROUP BY agent) AND event = 'login' ORDER BY agent",
		"SELECT agent FROM queue_event WHERE id IN (SELECT max(id) FROM queue_event "
		"WHERE tenant = ?1 AND ts_ms < ?2 AND agent IS NOT NULL AND event IN "
		"('login', 'logout', 'pause', 'autopause', 'unpause') GROUP BY agent) "
		"AND event IN ('pause', 'autopause') ORDER BY agent",
	};
	int n = 0, rc = 0;

	for (unsigned i = 0; i < 2 && rc == 0; i++) {
		sqlite3_stmt *st = NULL;

		if (sqlite3_prepare_v2(db, sql[i], -1, &st, NULL) != SQLITE_OK)
			return -EIO;
		sqlite3_bind_text(st, 1, tenant, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, from_ms);
		while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
			struct sb_qevent e;

			memset(&e, 0, sizeof(e));
			e.ts_ms = from_ms;
			e.type = i == 0 ? SB_QEV_LOGIN : SB_QEV_PAUSE;
			col_str(st, 0, e.agent, sizeof(e.agent));
			snprintf(e.tenant, sizeof(e.tenant), "%s", tenant);
			rc = fn(arg, &e);
			n++;
		}
		sqlite3_finalize(st);
	}
	return rc ? rc : n;
}

int sb_store_qrows(struct sb_store *s, const char *tenant, int64_t from_ms, int64_t to_ms,
		   sb_qrow_fn *fn, void *arg)
{
	pthread_mutex_t *lk;
	sqlite3 *db = recidx_qdb(store_recidx(s), &lk);
	sqlite3_stmt *st = NULL;
	int n = 0, rc;

	pthread_mutex_lock(lk);
	n = state_before(db, tenant, from_ms, fn, arg);
	if (n < 0)
		goto out;
	if (sqlite3_prepare_v2(db,
			       "SELECT id, ts_ms, event, coalesce(call_id, ''), coalesce(queue, ''), "
			       "coalesce(agent, ''), coalesce(other, ''), coalesce(position, 0), "
			       "coalesce(wait_ms, 0), coalesce(talk_ms, 0), coalesce(reason, 0), "
			       "coalesce(prio, 0), coalesce(wrapup_ms, 0) FROM queue_event "
			       "WHERE tenant = ? AND ts_ms >= ? AND ts_ms < ? ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK) {
		n = -EIO;
		goto out;
	}
	sqlite3_bind_text(st, 1, tenant, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, from_ms);
	sqlite3_bind_int64(st, 3, to_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sb_qevent e;
		int t = type_of(sqlite3_column_text(st, 2));

		if (t < 0)
			continue;
		memset(&e, 0, sizeof(e));
		e.id = (uint64_t)sqlite3_column_int64(st, 0);
		e.ts_ms = sqlite3_column_int64(st, 1);
		e.type = (uint32_t)t;
		col_str(st, 3, e.call_id, sizeof(e.call_id));
		col_str(st, 4, e.queue, sizeof(e.queue));
		col_str(st, 5, e.agent, sizeof(e.agent));
		snprintf(e.tenant, sizeof(e.tenant), "%s", tenant);
		col_str(st, 6, e.other, sizeof(e.other));
		e.position = (uint32_t)sqlite3_column_int64(st, 7);
		e.wait_ms = (uint32_t)sqlite3_column_int64(st, 8);
		e.talk_ms = (uint32_t)sqlite3_column_int64(st, 9);
		e.reason = (uint32_t)sqlite3_column_int64(st, 10);
		e.prio = (uint32_t)sqlite3_column_int64(st, 11);
		e.wrapup_ms = (uint32_t)sqlite3_column_int64(st, 12);
		n++;
		if ((rc = fn(arg, &e)) < 0) {
			n = rc;
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		n = -EIO;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(lk);
	return n;
}
