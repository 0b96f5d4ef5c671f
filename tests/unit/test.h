/* SPDX-License-Identifier: MIT */
/* Minimal assertions for one-program tests: exit 1 on the first failure,
 * naming file and line; 77 means skipped (meson counts it). */
#ifndef SB_TEST_H
#define SB_TEST_H

#include <stdio.h>
#include <stdlib.h>

#define T_SKIP 77

#define T_ASSERT(cond)                                                         \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: assertion failed: %s\n",       \
				__FILE__, __LINE__, #cond);                    \
			exit(1);                                               \
		}                                                              \
	} while (0)

#define T_ASSERT_EQ_U64(a, b)                                                  \
	do {                                                                   \
		unsigned long long a_ = (unsigned long long)(a);               \
		unsigned long long b_ = (unsigned long long)(b);               \
		if (a_ != b_) {                                                \
			fprintf(stderr, "%s:%d: %s == %s failed: %llu != %llu\n", \
				__FILE__, __LINE__, #a, #b, a_, b_);           \
			exit(1);                                               \
		}                                                              \
	} while (0)

#endif
