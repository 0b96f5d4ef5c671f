/* SPDX-License-Identifier: MIT */
/*
 * cpdb.h — read one integer from sb-control's SQLite store in a test.
 * Returns the first column of the first row, -1 when there is no row, and
 * INT64_MIN (with a message) when the file or the query cannot be used, so
 * that any CHECK comparing it with an expected count fails.
 */
#ifndef SB_TEST_CPDB_H
#define SB_TEST_CPDB_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

static inline sqlite3_int64 cp_db_int(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	sqlite3_int64 v = -1;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "cpdb: %s: %s: %s\n", db, sql, h ? sqlite3_errmsg(h) : "no memory");
		sqlite3_close(h);
		return INT64_MIN;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

/* cp_db_int() of a formatted query. */
__attribute__((format(printf, 2, 3)))
static inline long long cp_db_intf(const char *db, const char *fmt, ...)
{
	char sql[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return (long long)cp_db_int(db, sql);
}

#endif
