/* SPDX-License-Identifier: MIT */
/* sip_uri_t — sip:/sips: URIs: user, password, host (name, IPv4, IPv6),
 * port, parameters, headers; bad ones rejected with a reason. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "sip/uri.h"
#include "test.h"

static int parse(const char *s, struct sb_sip_uri *u, const char **why)
{
	static char *heap;
	size_t n = strlen(s);

	free(heap);
	heap = malloc(n ? n : 1);
	memcpy(heap, s, n);
	return sb_sip_uri_parse((struct sb_str){ heap, (uint32_t)n }, u, why);
}

static void bad(const char *s, const char *why_part)
{
	struct sb_sip_uri u;
	const char *why = NULL;

	if (parse(s, &u, &why) == 0 || why == NULL || strstr(why, why_part) == NULL) {
		fprintf(stderr, "'%s': expected error '%s', got '%s'\n", s, why_part,
			why ? why : "(none)");
		exit(1);
	}
}

int main(void)
{
	struct sb_sip_uri u;

	T_ASSERT(parse("sip:800100@192.0.2.1", &u, NULL) == 0);
	T_ASSERT(u.scheme == SB_URI_SIP && sb_str_eq(u.user, "800100"));
	T_ASSERT(sb_str_eq(u.host, "192.0.2.1") && u.host_is_ipv4 && u.port == 0);
	T_ASSERT(u.ipv4 == inet_addr("192.0.2.1"));

	T_ASSERT(parse("SIPS:alice:pw@atlanta.example.com:5061;transport=tcp;lr?subject=hi", &u,
		       NULL) == 0);
	T_ASSERT(u.scheme == SB_URI_SIPS && sb_str_eq(u.user, "alice") &&
		 sb_str_eq(u.password, "pw"));
	T_ASSERT(sb_str_eq(u.host, "atlanta.example.com") && !u.host_is_ipv4 && u.port == 5061);
	T_ASSERT(sb_str_eq(u.params, ";transport=tcp;lr") && sb_str_eq(u.headers, "subject=hi"));

	T_ASSERT(parse("sip:[2001:db8::1]:5070", &u, NULL) == 0);
	T_ASSERT(sb_str_eq(u.host, "[2001:db8::1]") && u.port == 5070 && u.user.len == 0);

	T_ASSERT(parse("sip:+1%20555;npdi@gw.example.net", &u, NULL) == 0);
	T_ASSERT(sb_str_eq(u.user, "+1%20555;npdi") && sb_str_eq(u.host, "gw.example.net"));

	T_ASSERT(parse("sip:h", &u, NULL) == 0 && sb_str_eq(u.host, "h"));
	T_ASSERT(parse("sip:1.2.3.4.5", &u, NULL) == 0 && !u.host_is_ipv4);

	bad("tel:+15551234", "scheme");
	bad("sip:", "host");
	bad("sip:@host", "user");
	bad("sip:a b@host", "user");
	bad("sip:a@host:99999", "port");
	bad("sip:a@host:0", "port");
	bad("sip:a@host:", "port");
	bad("sip:a@[::1", "IPv6");
	bad("sip:a@host/x", "after");
	bad("sip:a@host;x<y", "parameters");
	bad("sip:a@host?x y", "headers");
	return 0;
}
