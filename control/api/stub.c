/* SPDX-License-Identifier: MIT */
/* api/stub.c — the API entry points main.c uses, for static builds that
 * cannot link libmicrohttpd (control/meson.build): `api:` fails to start. */
#include <errno.h>
#include <stddef.h>

#include "api/api.h"
#include "api/cc.h"
#include "api/rec.h"
#include "api/report.h"

struct sb_api *sb_api_create(struct sb_loop *loop, const struct sb_api_params *p)
{
	(void)loop;
	(void)p;
	errno = ENOTSUP;
	return NULL;
}

void sb_api_free(struct sb_api *api)
{
	(void)api;
}

int sb_api_cc_register(struct sb_api *api, struct sb_cp *cp)
{
	(void)api;
	(void)cp;
	return -ENOTSUP;
}

int sb_api_rec_register(struct sb_api *api, struct sb_cp *cp)
{
	(void)api;
	(void)cp;
	return -ENOTSUP;
}

int sb_api_report_register(struct sb_api *api, struct sb_cp *cp)
{
	(void)api;
	(void)cp;
	return -ENOTSUP;
}

void sb_api_objects_replay(struct sb_cp *cp)
{
	(void)cp;
}

void sb_api_objects_close(void)
{
}
