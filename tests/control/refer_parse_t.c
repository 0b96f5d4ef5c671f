/* SPDX-License-Identifier: MIT */
/* refer_parse_t — Refer-To (escaped ?Replaces= in its URI), Replaces and
 * Referred-By: good values give slices inside the input, bad ones a
 * reason; every input is copied to an exact-size heap block so that ASan
 * catches a read past its end. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "b2bua/refer_parse.h"
#include "test.h"

static char *heap;

static struct sb_str mk(const char *s)
{
	size_t n = strlen(s);

	free(heap);
	heap = malloc(n ? n : 1);
	memcpy(heap, s, n);
	return (struct sb_str){ heap, (uint32_t)n };
}

static bool eq(struct sb_str s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

static void bad_refer(const char *v, const char *why_part)
{
	struct sb_refer_to r;
	const char *why = NULL;

	if (sb_refer_to_parse(mk(v), &r, &why) != -EBADMSG || why == NULL ||
	    strstr(why, why_part) == NULL) {
		fprintf(stderr, "Refer-To '%s': expected '%s', got '%s'\n", v, why_part,
			why ? why : "(accepted)");
		exit(1);
	}
}

static void bad_replaces(const char *v, const char *why_part)
{
	struct sb_replaces r;
	const char *why = NULL;

	if (sb_replaces_parse(mk(v), &r, &why) != -EBADMSG || why == NULL ||
	    strstr(why, why_part) == NULL) {
		fprintf(stderr, "Replaces '%s': expected '%s', got '%s'\n", v, why_part,
			why ? why : "(accepted)");
		exit(1);
	}
}

int main(void)
{
	struct sb_refer_to rt;
	struct sb_replaces rp;
	struct sb_str s;
	char out[256];
	int n;

	/* blind: name-addr, addr-spec, display name, params after > */
	T_ASSERT(sb_refer_to_parse(mk("<sip:agent2@192.0.2.1>"), &rt, NULL) == 0);
	T_ASSERT(eq(rt.user, "agent2") && eq(rt.host, "192.0.2.1") && rt.replaces.len == 0);
	T_ASSERT(eq(rt.uri, "sip:agent2@192.0.2.1"));
	T_ASSERT(sb_refer_to_parse(mk("sip:800100@example.com"), &rt, NULL) == 0);
	T_ASSERT(eq(rt.user, "800100"));
	T_ASSERT(sb_refer_to_parse(mk("\"Bob\" <sips:bob@h:5061;transport=tls>;x=1"), &rt,
				   NULL) == 0);
	T_ASSERT(eq(rt.user, "bob") && eq(rt.host, "h"));

	/* attended: escaped Replaces among other headers */
	T_ASSERT(sb_refer_to_parse(mk("<sip:b@h?X-A=1&Replaces=abc%40h%3Bto-tag%3Dt1%3Bfrom-tag"
				      "%3Df1&Y=2>"), &rt, NULL) == 0);
	T_ASSERT(eq(rt.replaces, "abc%40h%3Bto-tag%3Dt1%3Bfrom-tag%3Df1"));
	n = sb_uri_unescape(rt.replaces, out, sizeof(out));
	T_ASSERT(n == (int)strlen("abc@h;to-tag=t1;from-tag=f1"));
	T_ASSERT(memcmp(out, "abc@h;to-tag=t1;from-tag=f1", (size_t)n) == 0);
	T_ASSERT(sb_replaces_parse((struct sb_str){ out, (uint32_t)n }, &rp, NULL) == 0);
	T_ASSERT(eq(rp.call_id, "abc@h") && eq(rp.to_tag, "t1") && eq(rp.from_tag, "f1"));
	T_ASSERT(!rp.early_only);
	T_ASSERT(sb_refer_to_parse(mk("<sip:b@h?replaces=x%3Bto-tag%3D1%3Bfrom-tag%3D2>"), &rt,
				   NULL) == 0 && rt.replaces.len);

	/* unescape errors: truncated and bad escapes, no room */
	T_ASSERT(sb_uri_unescape(mk("ab%4"), out, sizeof(out)) == -EBADMSG);
	T_ASSERT(sb_uri_unescape(mk("ab%"), out, sizeof(out)) == -EBADMSG);
	T_ASSERT(sb_uri_unescape(mk("%zz"), out, sizeof(out)) == -EBADMSG);
	T_ASSERT(sb_uri_unescape(mk("abcd"), out, 3) == -ENOSPC);
	T_ASSERT(sb_uri_unescape(mk("%41%62"), out, 2) == 2 && out[0] == 'A' && out[1] == 'b');

	bad_refer("", "Empty");
	bad_refer("   ", "Empty");
	bad_refer("<sip:a@h", "Bad Refer-To");
	bad_refer("<sip:a@h>, <sip:b@h>", "More than one");
	bad_refer("*", "Bad Refer-To");
	bad_refer("<tel:+123>", "");
	bad_refer("<sip:b@h?Replaces=>", "Empty Replaces");
	bad_refer("<sip:b@h?Replaces=a&Replaces=b>", "Two Replaces");

	/* Replaces as a header */
	T_ASSERT(sb_replaces_parse(mk(" 425928@bobster.example.org;to-tag=7743;from-tag=6472 "),
				   &rp, NULL) == 0);
	T_ASSERT(eq(rp.call_id, "425928@bobster.example.org"));
	T_ASSERT(eq(rp.to_tag, "7743") && eq(rp.from_tag, "6472"));
	T_ASSERT(sb_replaces_parse(mk("a;from-tag=1;early-only;to-tag=2"), &rp, NULL) == 0);
	T_ASSERT(rp.early_only && eq(rp.to_tag, "2") && eq(rp.from_tag, "1"));
	bad_replaces("", "without Call-ID");
	bad_replaces(";to-tag=1;from-tag=2", "without Call-ID");
	bad_replaces("abc", "without tags");
	bad_replaces("abc;to-tag=1", "to-tag and from-tag");
	bad_replaces("abc;to-tag=;from-tag=2", "to-tag and from-tag");
	bad_replaces("a b;to-tag=1;from-tag=2", "Bad Call-ID");

	/* Referred-By */
	T_ASSERT(sb_referred_by_parse(mk("<sip:agent1@192.0.2.1>;cid=x"), &s) == 0);
	T_ASSERT(eq(s, "sip:agent1@192.0.2.1"));
	T_ASSERT(sb_referred_by_parse(mk("<sip:agent1@"), &s) == -EBADMSG && s.len == 0);
	free(heap);
	return 0;
}
