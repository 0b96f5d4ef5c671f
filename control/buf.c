/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"

void sb_buf_put(struct sb_buf *b, const void *p, uint32_t n)
{
	if (b->overflow || n > b->cap - b->len) {
		b->overflow = true;
		return;
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

void sb_buf_puts(struct sb_buf *b, const char *s)
{
	sb_buf_put(b, s, (uint32_t)strlen(s));
}

void sb_buf_str(struct sb_buf *b, struct sb_str s)
{
	sb_buf_put(b, s.p, s.len);
}

void sb_buf_printf(struct sb_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (uint32_t)n >= b->cap - b->len) {
		b->overflow = true;
		return;
	}
	b->len += (uint32_t)n;
}

void sb_buf_ipv4(struct sb_buf *b, uint32_t ip_be)
{
	const uint8_t *o = (const uint8_t *)&ip_be;
	sb_buf_printf(b, "%u.%u.%u.%u", o[0], o[1], o[2], o[3]);
}
