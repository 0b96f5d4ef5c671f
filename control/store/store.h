/* SPDX-License-Identifier: MIT */
/*
 * store/store.h — durable records, written off the call path.
 *
 * The loop thread hands records over by value with sb_store_cdr_put(), which
 * never blocks: a full queue drops the record, counts it and logs it.  One
 * writer thread owns the database connection.
 */
#ifndef SB_STORE_H
#define SB_STORE_H

#include <stdint.h>

struct sb_store;

struct sb_cdr {
	char call_id[128];
	char caller[128];
	char hotline[64];
	char agent[64];
	char hangup_by[16]; /* "caller", "agent", "timeout", "system" or "" */
	int64_t start_ms;   /* wall clock ms; 0 = never */
	int64_t answer_ms;
	int64_t end_ms;
	int32_t status;     /* final SIP status towards the caller */
	uint64_t caller_rx_pkts, caller_tx_pkts; /* dataplane rx from / tx to the caller */
	uint64_t agent_rx_pkts, agent_tx_pkts;
	uint64_t caller_rx_bytes, agent_rx_bytes;
	char transferred_by[64]; /* agent who transferred the call away; "" = none */
	int64_t transfer_ms;     /* wall clock ms of that transfer */
};

struct sb_store_stats {
	uint64_t queued, written, dropped_full, failed;
};

/* Open (create) the SQLite file in WAL mode, create the schema, start the
 * writer.  queue_len records fit in the queue.  NULL + errno; the reason is
 * logged. */
struct sb_store *sb_store_open_sqlite(const char *path, unsigned queue_len);

/* Drain the queue, stop the writer, close.  NULL is a no-op. */
void sb_store_close(struct sb_store *s);

/* Loop thread: 0, or -ENOSPC when the queue is full (counted, logged). */
int sb_store_cdr_put(struct sb_store *s, const struct sb_cdr *cdr);

/* Wait until everything queued so far is written (tests, shutdown). */
void sb_store_flush(struct sb_store *s);

void sb_store_get_stats(struct sb_store *s, struct sb_store_stats *out);

#endif
