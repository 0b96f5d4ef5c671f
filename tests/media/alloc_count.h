/* SPDX-License-Identifier: MIT */
/*
 * alloc_count.h — the allocation counter behind the media no-allocation
 * tests (codec_alloc, dtmf_mix_alloc, prompt_alloc, srtp_alloc).  It
 * interposes the C library's malloc, calloc, realloc and aligned_alloc
 * and counts every call made while sb_alloc_counting is set, so a test
 * brackets the section it measures and then asserts sb_allocs == 0.
 *
 * Include it from the test's own .c file only (it defines the allocator
 * symbols of the program).  Under ASan, which owns malloc itself, nothing
 * is interposed: SB_ASAN is defined instead and the test skips (77) or, like
 * srtp_alloc, counts only what it can.  The flag and the counter exist in
 * both builds, so a test may share the flag with other hooks of its own.
 */
#ifndef SB_TEST_ALLOC_COUNT_H
#define SB_TEST_ALLOC_COUNT_H

#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#define SB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SB_ASAN 1
#endif
#endif

/* Set around the measured section; sb_allocs counts what ran inside it. */
static int sb_alloc_counting __attribute__((unused));
static long sb_allocs __attribute__((unused));

#ifndef SB_ASAN
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t m);
void *__libc_realloc(void *p, size_t n);
void *__libc_memalign(size_t a, size_t n);
void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void *realloc(void *p, size_t n);
void *aligned_alloc(size_t a, size_t n);

void *malloc(size_t n)
{
	sb_allocs += sb_alloc_counting;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
	sb_allocs += sb_alloc_counting;
	return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
	sb_allocs += sb_alloc_counting;
	return __libc_realloc(p, n);
}

void *aligned_alloc(size_t a, size_t n)
{
	sb_allocs += sb_alloc_counting;
	return __libc_memalign(a, n);
}
#endif

#endif
