/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "sip/frame.h"

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Does the header line [p, e) start with name ":" (case-insensitive, SP/HT
 * allowed before the colon)?  Returns the value start or NULL. */
static const char *hdr_value(const char *p, const char *e, const char *name)
{
	size_t n = strlen(name);

	if ((size_t)(e - p) < n)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)p[i]) != name[i])
			return NULL;
	p += n;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	return p < e && *p == ':' ? p + 1 : NULL;
}

int sb_sip_frame(const char *buf, uint32_t len, uint32_t max, uint32_t *hdr_len,
		 const char **why)
{
	uint32_t scan = len < max ? len : max, end = 0, cl = 0;
	const char *p = buf, *e, *v;
	int have_cl = 0;

	*hdr_len = 0;
	*why = NULL;
	/* the empty line ending the header block */
	for (uint32_t i = 0; i + 3 < scan; i++)
		if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
			end = i + 4;
			break;
		}
	if (end == 0) {
		if (len >= max) {
			*why = "Header block too large";
			return -EMSGSIZE;
		}
		return 0;
	}
	*hdr_len = end;
	/* each line: skip the start line, look at headers (folded
	 * continuation lines start with SP/HT and are never a header name) */
	e = memchr(p, '\n', end);
	while (e && e + 1 < buf + end - 2) {
		const char *ls = e + 1, *le = memchr(ls, '\n', (size_t)(buf + end - ls));

		if (le == NULL)
			break;
		v = hdr_value(ls, le, "content-length");
		if (v == NULL)
			v = hdr_value(ls, le, "l");
		if (v) {
			uint64_t n = 0;
			int digits = 0;

			while (v < le && (*v == ' ' || *v == '\t'))
				v++;
			while (v < le && *v >= '0' && *v <= '9' && digits < 11) {
				n = n * 10 + (uint64_t)(*v - '0');
				v++;
				digits++;
			}
			while (v < le && (*v == ' ' || *v == '\t' || *v == '\r'))
				v++;
			if (digits == 0 || digits > 10 || v != le) {
				*why = "Bad Content-Length";
				return -EBADMSG;
			}
			if (have_cl && n != cl) {
				*why = "Conflicting Content-Length headers";
				return -EBADMSG;
			}
			if (n > max) {
				*why = "Message too large";
				return -EMSGSIZE;
			}
			cl = (uint32_t)n;
			have_cl = 1;
		}
		e = le;
	}
	if (!have_cl) {
		*why = "Missing Content-Length";
		return -EBADMSG;
	}
	if ((uint64_t)end + cl > max) {
		*why = "Message too large";
		return -EMSGSIZE;
	}
	if (end + cl > len)
		return 0;
	return (int)(end + cl);
}
