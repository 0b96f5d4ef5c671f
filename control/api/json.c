/* SPDX-License-Identifier: MIT */
/* api/json.c — JSON error and field helpers of api.h (no HTTP: the fuzz
 * targets link this without libmicrohttpd). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "api/api.h"

int sb_api_error(struct sb_api_resp *resp, unsigned status, const char *field,
		 const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_decref(resp->body);
	resp->status = status;
	resp->body = json_pack("{s:s}", "error", msg);
	if (resp->body && field)
		json_object_set_new(resp->body, "field", json_string(field));
	return 0;
}

int sb_api_body_object(const struct sb_api_req *req, struct sb_api_resp *resp, json_t **out)
{
	json_error_t je;
	json_t *j;

	*out = NULL;
	if (req->body_len == 0) {
		sb_api_error(resp, 400, "body", "a JSON object is required");
		return -EINVAL;
	}
	j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL) {
		sb_api_error(resp, 400, "body", "invalid JSON at line %d column %d: %s", je.line,
			     je.column, je.text);
		return -EINVAL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		sb_api_error(resp, 400, "body", "must be a JSON object");
		return -EINVAL;
	}
	*out = j;
	return 0;
}

int sb_api_get_str(json_t *obj, const char *field, const char **out, struct sb_api_resp *resp)
{
	json_t *v = json_object_get(obj, field);

	if (v == NULL || json_is_null(v))
		return -ENOENT;
	if (!json_is_string(v)) {
		sb_api_error(resp, 400, field, "'%s' must be a string", field);
		return -EINVAL;
	}
	*out = json_string_value(v);
	return 0;
}

int sb_api_get_uint(json_t *obj, const char *field, uint64_t max, uint64_t *out,
		    struct sb_api_resp *resp)
{
	json_t *v = json_object_get(obj, field);

	if (v == NULL || json_is_null(v))
		return -ENOENT;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max) {
		sb_api_error(resp, 400, field, "'%s' must be an integer 0..%llu", field,
			     (unsigned long long)max);
		return -EINVAL;
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

