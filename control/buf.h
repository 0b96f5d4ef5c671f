/* SPDX-License-Identifier: MIT */
/*
 * buf.h — append-only output buffer for building SIP and SDP text in
 * caller-owned memory.  Overflow is sticky: check sb_buf_ok() once at the end.
 */
#ifndef SB_CP_BUF_H
#define SB_CP_BUF_H

#include <stdbool.h>
#include <stdint.h>

#include "str.h"

struct sb_buf {
	char *p;
	uint32_t len;
	uint32_t cap;
	bool overflow;
};

static inline void sb_buf_init(struct sb_buf *b, char *mem, uint32_t cap)
{
	b->p = mem;
	b->len = 0;
	b->cap = cap;
	b->overflow = false;
}

static inline bool sb_buf_ok(const struct sb_buf *b)
{
	return !b->overflow;
}

void sb_buf_put(struct sb_buf *b, const void *p, uint32_t n);
void sb_buf_puts(struct sb_buf *b, const char *s);
void sb_buf_str(struct sb_buf *b, struct sb_str s);
void sb_buf_printf(struct sb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_buf_ipv4(struct sb_buf *b, uint32_t ip_be);

#endif
