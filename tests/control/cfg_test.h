/* SPDX-License-Identifier: MIT */
/*
 * cfg_test.h — helpers of the configuration tests (config_t, rec_config_t,
 * media_cfg_t): write a config file into the test's directory, and expect
 * sb_config_load() to refuse one with FILE:LINE: naming the mistake.
 *
 * The test makes cfg_dir (mkdtemp) before use and removes it at the end.
 */
#ifndef SB_TEST_CFG_TEST_H
#define SB_TEST_CFG_TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "test.h"

static char cfg_dir[64];

/* cfg_dir/sb.yaml holding text; the path (static: the next call reuses it) */
static inline const char *cfg_write(const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/sb.yaml", cfg_dir);
	f = fopen(path, "w");
	T_ASSERT(f != NULL);
	fputs(text, f);
	fclose(f);
	return path;
}

/* Expect -EINVAL and an error "FILE:LINE: ..." at line containing what;
 * else print what came instead and exit 1. */
static inline void cfg_bad(const char *text, int line, const char *what)
{
	struct sb_config c;
	char err[512], want[160];
	const char *path = cfg_write(text);

	snprintf(want, sizeof(want), "%s:%d: ", path, line);
	if (sb_config_load(&c, path, err, sizeof(err)) != -EINVAL ||
	    strncmp(err, want, strlen(want)) != 0 || strstr(err, what) == NULL) {
		fprintf(stderr, "expected '%s...%s', got '%s' for:\n%s\n", want, what, err, text);
		exit(1);
	}
}

#endif
