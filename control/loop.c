/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

#define LOOP_MAX_FDS 64

struct fd_slot {
	int fd;
	sb_fd_cb *cb;
	void *arg;
};

struct sb_loop {
	int epfd;
	bool stop;
	struct sb_timer *timers; /* sorted by due_ms */
	struct fd_slot fds[LOOP_MAX_FDS];
};

uint64_t sb_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t sb_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct sb_loop *sb_loop_create(void)
{
	struct sb_loop *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	for (unsigned i = 0; i < LOOP_MAX_FDS; i++)
		l->fds[i].fd = -1;
	return l;
}

void sb_loop_free(struct sb_loop *l)
{
	if (l == NULL)
		return;
	close(l->epfd);
	free(l);
}

int sb_loop_add_fd(struct sb_loop *l, int fd, sb_fd_cb *cb, void *arg)
{
	for (unsigned i = 0; i < LOOP_MAX_FDS; i++) {
		struct epoll_event ev = { .events = EPOLLIN };

		if (l->fds[i].fd >= 0)
			continue;
		ev.data.u32 = i;
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			return -errno;
		l->fds[i] = (struct fd_slot){ fd, cb, arg };
		return 0;
	}
	return -ENOSPC;
}

void sb_loop_del_fd(struct sb_loop *l, int fd)
{
	for (unsigned i = 0; i < LOOP_MAX_FDS; i++) {
		if (l->fds[i].fd != fd)
			continue;
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		l->fds[i].fd = -1;
	}
}

void sb_timer_init(struct sb_timer *t, sb_timer_cb *cb, void *arg)
{
	*t = (struct sb_timer){ .cb = cb, .arg = arg };
}

void sb_timer_cancel(struct sb_loop *l, struct sb_timer *t)
{
	if (!t->armed)
		return;
	if (t->prev)
		t->prev->next = t->next;
	else
		l->timers = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->prev = t->next = NULL;
	t->armed = false;
}

void sb_timer_arm(struct sb_loop *l, struct sb_timer *t, uint64_t delay_ms)
{
	struct sb_timer *it, *prev = NULL;

	sb_timer_cancel(l, t);
	t->due_ms = sb_mono_ms() + delay_ms;
	for (it = l->timers; it && it->due_ms <= t->due_ms; it = it->next)
		prev = it;
	t->prev = prev;
	t->next = it;
	if (prev)
		prev->next = t;
	else
		l->timers = t;
	if (it)
		it->prev = t;
	t->armed = true;
}

void sb_loop_stop(struct sb_loop *l)
{
	l->stop = true;
}

static void run_timers(struct sb_loop *l)
{
	uint64_t now = sb_mono_ms();

	/* a callback may arm or cancel any timer, so re-read the head each time */
	while (l->timers && l->timers->due_ms <= now && !l->stop) {
		struct sb_timer *t = l->timers;

		sb_timer_cancel(l, t);
		t->cb(t, t->arg);
	}
}

int sb_loop_run(struct sb_loop *l)
{
	struct epoll_event evs[32];

	l->stop = false;
	while (!l->stop) {
		int timeout = -1, n;

		if (l->timers) {
			uint64_t now = sb_mono_ms();
			timeout = l->timers->due_ms <= now ? 0 : (int)(l->timers->due_ms - now);
			if (timeout > 1000)
				timeout = 1000;
		}
		n = epoll_wait(l->epfd, evs, 32, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !l->stop; i++) {
			struct fd_slot *s = &l->fds[evs[i].data.u32];
			if (s->fd >= 0)
				s->cb(s->arg, evs[i].events);
		}
		run_timers(l);
	}
	return 0;
}
