/* SPDX-License-Identifier: MIT */
/* store_t — the SQLite store with a real file: schema created, WAL mode,
 * rows written by the writer thread are there after a flush, a full queue
 * drops (and counts) instead of blocking, and close drains the queue. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "test.h"

static sqlite3_int64 query_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	sqlite3_int64 v = -1;

	T_ASSERT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	T_ASSERT(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int query_text(const char *path, const char *sql, char *out, size_t cap)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int rc = -1;

	T_ASSERT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	T_ASSERT(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
		rc = 0;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

int main(void)
{
	char dir[64], path[128], txt[64];
	struct sb_store_stats st;
	struct sb_store *s;
	struct sb_cdr r;

	snprintf(dir, sizeof(dir), "/tmp/sb_store_t.XXXXXX");
	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/sb.db", dir);

	s = sb_store_open_sqlite(path, 8);
	T_ASSERT(s != NULL);
	memset(&r, 0, sizeof(r));
	snprintf(r.caller, sizeof(r.caller), "alice");
	snprintf(r.hotline, sizeof(r.hotline), "800100");
	snprintf(r.agent, sizeof(r.agent), "agent1");
	snprintf(r.hangup_by, sizeof(r.hangup_by), "caller");
	r.start_ms = 1000;
	r.answer_ms = 2000;
	r.end_ms = 3000;
	r.status = 200;
	r.caller_rx_pkts = 11;
	r.caller_tx_pkts = 12;
	r.agent_rx_pkts = 13;
	r.agent_tx_pkts = 14;
	r.caller_rx_bytes = 1760;
	r.agent_rx_bytes = 2080;
	for (int i = 0; i < 5; i++) {
		snprintf(r.call_id, sizeof(r.call_id), "call-%d", i);
		T_ASSERT(sb_store_cdr_put(s, &r) == 0);
	}
	sb_store_flush(s);
	T_ASSERT(query_int(path, "SELECT count(*) FROM cdr") == 5);
	T_ASSERT(query_int(path, "SELECT caller_tx_pkts FROM cdr WHERE call_id='call-3'") == 12);
	T_ASSERT(query_int(path, "SELECT agent_rx_bytes FROM cdr WHERE call_id='call-3'") == 2080);
	T_ASSERT(query_text(path, "SELECT hangup_by FROM cdr WHERE id=1", txt, sizeof(txt)) == 0 &&
		 strcmp(txt, "caller") == 0);
	T_ASSERT(query_text(path, "PRAGMA journal_mode", txt, sizeof(txt)) == 0 &&
		 strcmp(txt, "wal") == 0);

	/* a failed call: no answer -> NULL answer_ms */
	r.answer_ms = 0;
	r.status = 404;
	snprintf(r.call_id, sizeof(r.call_id), "failed");
	T_ASSERT(sb_store_cdr_put(s, &r) == 0);
	sb_store_flush(s);
	T_ASSERT(query_int(path, "SELECT count(*) FROM cdr WHERE call_id='failed' AND status=404 "
				 "AND answer_ms IS NULL") == 1);

	/* a burst bigger than the queue never blocks: the excess is counted */
	int ok = 0, full = 0;
	for (int i = 0; i < 1000; i++) {
		snprintf(r.call_id, sizeof(r.call_id), "burst-%d", i);
		if (sb_store_cdr_put(s, &r) == 0)
			ok++;
		else
			full++;
	}
	sb_store_get_stats(s, &st);
	T_ASSERT(st.dropped_full == (uint64_t)full && ok + full == 1000 && ok >= 8);
	sb_store_close(s); /* drains */
	T_ASSERT(query_int(path, "SELECT count(*) FROM cdr WHERE call_id LIKE 'burst-%'") == ok);

	/* reopen: the schema is kept, rows survive */
	s = sb_store_open_sqlite(path, 8);
	T_ASSERT(s != NULL);
	sb_store_close(s);
	T_ASSERT(query_int(path, "SELECT count(*) FROM cdr") == 6 + ok);

	/* unusable path */
	T_ASSERT(sb_store_open_sqlite("/nonexistent/dir/sb.db", 8) == NULL);

	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	T_ASSERT(system(cmd) == 0);
	return 0;
}
