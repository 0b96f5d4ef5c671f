/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

/* Stream connections (SIP over TCP) register here too. */
#define LOOP_MAX_FDS  4096
#define LOOP_MAX_IDLE 8

struct fd_slot {
	int fd;
	sb_fd_cb *cb;
	void *arg;
};

struct idle_hook {
	sb_idle_cb *cb;
	void *arg;
};

struct sb_loop {
	int epfd;
	bool stop;
	sb_clock_fn *clock;
	void *clock_arg;
	uint32_t tick_ms, mask;
	uint64_t done_tick;      /* every slot up to this tick has been run */
	unsigned n_armed;
	struct sb_tlink *slot;   /* n_slots circular lists (sentinels) */
	unsigned n_idle;
	struct idle_hook idle[LOOP_MAX_IDLE];
	unsigned fd_hint;
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

static uint64_t mono_clock(void *arg)
{
	(void)arg;
	return sb_mono_ms();
}

uint64_t sb_loop_now_ms(const struct sb_loop *l)
{
	return l->clock(l->clock_arg);
}

struct sb_loop *sb_loop_create_ex(const struct sb_loop_params *p)
{
	uint32_t tick = p && p->tick_ms ? p->tick_ms : SB_LOOP_TICK_MS;
	uint32_t n = p && p->n_slots ? p->n_slots : SB_LOOP_SLOTS;
	struct sb_loop *l;

	if ((n & (n - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->slot = calloc(n, sizeof(*l->slot));
	if (l->slot == NULL)
		goto out_free;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		goto out_free_slots;
	for (unsigned i = 0; i < LOOP_MAX_FDS; i++)
		l->fds[i].fd = -1;
	for (unsigned i = 0; i < n; i++)
		l->slot[i].prev = l->slot[i].next = &l->slot[i];
	l->tick_ms = tick;
	l->mask = n - 1;
	l->clock = p && p->clock ? p->clock : mono_clock;
	l->clock_arg = p ? p->clock_arg : NULL;
	l->done_tick = sb_loop_now_ms(l) / tick;
	return l;

out_free_slots:
	free(l->slot);
out_free:
	free(l);
	return NULL;
}

struct sb_loop *sb_loop_create(void)
{
	return sb_loop_create_ex(NULL);
}

void sb_loop_free(struct sb_loop *l)
{
	if (l == NULL)
		return;
	close(l->epfd);
	free(l->slot);
	free(l);
}

int sb_loop_add_fd(struct sb_loop *l, int fd, sb_fd_cb *cb, void *arg)
{
	for (unsigned k = 0; k < LOOP_MAX_FDS; k++) {
		unsigned i = (l->fd_hint + k) % LOOP_MAX_FDS;
		struct epoll_event ev = { .events = EPOLLIN };

		if (l->fds[i].fd >= 0)
			continue;
		ev.data.u32 = i;
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			return -errno;
		l->fds[i] = (struct fd_slot){ fd, cb, arg };
		l->fd_hint = (i + 1) % LOOP_MAX_FDS;
		return 0;
	}
	return -ENOSPC;
}

int sb_loop_mod_fd(struct sb_loop *l, int fd, bool want_out)
{
	for (unsigned i = 0; i < LOOP_MAX_FDS; i++) {
		struct epoll_event ev = { .events = EPOLLIN | (want_out ? EPOLLOUT : 0) };

		if (l->fds[i].fd != fd)
			continue;
		ev.data.u32 = i;
		return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
	}
	return -ENOENT;
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

int sb_loop_add_idle(struct sb_loop *l, sb_idle_cb *cb, void *arg)
{
	if (l->n_idle == LOOP_MAX_IDLE)
		return -ENOSPC;
	l->idle[l->n_idle++] = (struct idle_hook){ cb, arg };
	return 0;
}

/* ---- timer wheel ---- */

static void tlink_del(struct sb_tlink *k)
{
	k->prev->next = k->next;
	k->next->prev = k->prev;
	k->prev = k->next = k;
}

static void tlink_add_tail(struct sb_tlink *head, struct sb_tlink *k)
{
	k->prev = head->prev;
	k->next = head;
	head->prev->next = k;
	head->prev = k;
}

void sb_timer_init(struct sb_timer *t, sb_timer_cb *cb, void *arg)
{
	*t = (struct sb_timer){ .cb = cb, .arg = arg };
	t->link.prev = t->link.next = &t->link;
}

void sb_timer_cancel(struct sb_loop *l, struct sb_timer *t)
{
	if (!t->armed)
		return;
	tlink_del(&t->link);
	t->armed = false;
	l->n_armed--;
}

void sb_timer_arm(struct sb_loop *l, struct sb_timer *t, uint64_t delay_ms)
{
	uint64_t due = sb_loop_now_ms(l) + delay_ms;
	uint64_t tick = (due + l->tick_ms - 1) / l->tick_ms;

	sb_timer_cancel(l, t);
	/* slots up to done_tick have been visited: the next visit is done + 1 */
	if (tick <= l->done_tick)
		tick = l->done_tick + 1;
	t->due_tick = tick;
	tlink_add_tail(&l->slot[tick & l->mask], &t->link);
	t->armed = true;
	l->n_armed++;
}

unsigned sb_loop_timers_armed(const struct sb_loop *l)
{
	return l->n_armed;
}

/* Visit one slot: due timers move to a local list first, so that callbacks
 * may arm or cancel anything (including timers of this slot). */
static unsigned run_slot(struct sb_loop *l, uint64_t tick)
{
	struct sb_tlink *head = &l->slot[tick & l->mask], ready, *k, *next;
	unsigned fired = 0;

	ready.prev = ready.next = &ready;
	for (k = head->next; k != head; k = next) {
		struct sb_timer *t = (struct sb_timer *)k;

		next = k->next;
		if (t->due_tick <= tick) {
			tlink_del(k);
			tlink_add_tail(&ready, k);
		}
	}
	while (ready.next != &ready && !l->stop) {
		struct sb_timer *t = (struct sb_timer *)ready.next;

		tlink_del(&t->link);
		t->armed = false;
		l->n_armed--;
		fired++;
		t->cb(t, t->arg);
	}
	/* stopped mid-slot: put the rest back for the next run */
	while (ready.next != &ready) {
		k = ready.next;
		tlink_del(k);
		tlink_add_tail(head, k);
	}
	return fired;
}

static void run_idle(struct sb_loop *l)
{
	for (unsigned i = 0; i < l->n_idle; i++)
		l->idle[i].cb(l->idle[i].arg);
}

unsigned sb_loop_run_timers(struct sb_loop *l)
{
	uint64_t now_tick = sb_loop_now_ms(l) / l->tick_ms, t;
	unsigned fired = 0;

	/* after a long stall, one full turn visits every slot once: older
	 * ticks are folded into the first visit of each slot */
	if (now_tick > l->done_tick + l->mask + 1)
		l->done_tick = now_tick - l->mask - 1;
	for (t = l->done_tick + 1; t <= now_tick && !l->stop; t++) {
		/* first: a timer armed by a callback of this tick goes to t + 1 */
		l->done_tick = t;
		if (l->n_armed)
			fired += run_slot(l, t);
	}
	run_idle(l);
	return fired;
}

/* ms until the first non-empty slot (it may hold only later turns: then
 * the loop wakes early, harmlessly); -1 when nothing is armed. */
static int next_timeout(const struct sb_loop *l)
{
	uint64_t now = sb_loop_now_ms(l), t;

	if (l->n_armed == 0)
		return -1;
	for (t = l->done_tick + 1; t <= l->done_tick + l->mask + 1; t++) {
		const struct sb_tlink *h = &l->slot[t & l->mask];

		if (h->next != h) {
			uint64_t at = t * l->tick_ms;
			return at <= now ? 0 : (int)(at - now);
		}
	}
	return 0;
}

void sb_loop_stop(struct sb_loop *l)
{
	l->stop = true;
}

int sb_loop_run_once(struct sb_loop *l, int max_wait_ms)
{
	struct epoll_event evs[64];
	int timeout = next_timeout(l), n;

	if (timeout < 0 || (max_wait_ms >= 0 && timeout > max_wait_ms))
		timeout = max_wait_ms;
	n = epoll_wait(l->epfd, evs, 64, timeout);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		return -errno;
	}
	for (int i = 0; i < n && !l->stop; i++) {
		struct fd_slot *s = &l->fds[evs[i].data.u32];
		if (s->fd >= 0)
			s->cb(s->arg, evs[i].events);
	}
	sb_loop_run_timers(l);
	return 0;
}

int sb_loop_run(struct sb_loop *l)
{
	l->stop = false;
	while (!l->stop) {
		int rc = sb_loop_run_once(l, 1000);

		if (rc < 0)
			return rc;
	}
	return 0;
}
