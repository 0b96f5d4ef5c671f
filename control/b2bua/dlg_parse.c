/* SPDX-License-Identifier: MIT */
/* b2bua/dlg_parse.c — see dlg_parse.h. */
#include "b2bua/dlg_parse.h"
#include "sip/hdr.h"

int sb_dlg_max_forwards(const struct sb_sip_msg *m)
{
	uint32_t n;

	if (m->first[SB_HDR_MAX_FORWARDS] < 0)
		return 70;
	if (!sb_str_to_u32(sb_str_trim(sb_sip_msg_hdr(m, SB_HDR_MAX_FORWARDS)), 255, &n))
		return -1;
	return (int)n;
}

struct sb_str sb_dlg_hdr_named(const struct sb_sip_msg *m, const char *name, const char *compact)
{
	for (unsigned i = 0; i < m->n_hdrs; i++)
		if (sb_str_ieq(m->hdrs[i].name, name) ||
		    (compact && sb_str_ieq(m->hdrs[i].name, compact)))
			return m->hdrs[i].value;
	return SB_STR_EMPTY;
}

uint32_t sb_dlg_se_value(struct sb_str v, struct sb_str *refresher)
{
	const char *semi = sb_str_chr(v, ';');
	uint32_t n;

	if (refresher)
		*refresher = SB_STR_EMPTY;
	if (v.len == 0 ||
	    !sb_str_to_u32(sb_str_trim(sb_str_mk(v.p, semi ? semi : sb_str_end(v))), 0x7fffffff, &n))
		return 0;
	if (semi && refresher && !sb_sip_param_get(sb_str_mk(semi, sb_str_end(v)), "refresher",
						   refresher))
		*refresher = SB_STR_EMPTY;
	return n;
}

bool sb_dlg_supports_timer(const struct sb_sip_msg *m)
{
	for (unsigned i = 0; i < m->n_hdrs; i++) {
		struct sb_str v = m->hdrs[i].value;

		if (m->hdrs[i].id != SB_HDR_SUPPORTED && m->hdrs[i].id != SB_HDR_REQUIRE)
			continue;
		while (v.len) {
			const char *comma = sb_str_chr(v, ',');
			struct sb_str tok = sb_str_trim(sb_str_mk(v.p, comma ? comma : sb_str_end(v)));

			if (sb_str_ieq(tok, "timer"))
				return true;
			v = comma ? sb_str_mk(comma + 1, sb_str_end(v)) : SB_STR_EMPTY;
		}
	}
	return false;
}

unsigned sb_dlg_record_routes(const struct sb_sip_msg *m, struct sb_str out[SB_DLG_MAX_ROUTES])
{
	unsigned n = 0;

	for (unsigned i = 0; i < m->n_hdrs && n < SB_DLG_MAX_ROUTES; i++) {
		struct sb_str v, rest;
		struct sb_sip_nameaddr na;

		if (m->hdrs[i].id != SB_HDR_RECORD_ROUTE)
			continue;
		v = m->hdrs[i].value;
		while (v.len && n < SB_DLG_MAX_ROUTES && sb_sip_nameaddr_parse(v, &na, &rest) == 0) {
			/* the whole name-addr: up to the comma */
			const char *e = rest.len ? rest.p : sb_str_end(v);
			struct sb_str one = sb_str_trim(sb_str_mk(v.p, e));

			while (one.len && one.p[one.len - 1] == ',')
				one.len--;
			one = sb_str_trim(one);
			if (one.len)
				out[n++] = one;
			if (rest.len >= v.len) /* no progress: stop */
				break;
			v = rest;
		}
	}
	return n;
}
