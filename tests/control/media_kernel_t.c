/* SPDX-License-Identifier: MIT */
/* media_kernel_t — the kernel backend's refusals that need no module (bad
 * parameters, a media address not of this host, a device that answers no
 * HELLO, no device), then `media: backend: kernel` makes sb-control use
 * the kernel backend: on this host (no sb_relay.ko: the host cannot load modules) it
 * must refuse to start (exit 1) naming /dev/sb_relay, where the default
 * (dpdk) backend would wait for its dataplane.  The backend itself runs
 * against the real module in the qemu guest (tests/kmod, guest_backend.c).
 *
 *   media_kernel_t SB_CONTROL
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "loop.h"
#include "media/kernel.h"
#include "test.h"

/* Run sb-control on cfg for at most secs: exit status (-1: still running,
 * killed), stderr in out. */
static int run(const char *bin, const char *cfg, unsigned secs, char *out, size_t cap)
{
	int pfd[2], st = 0;
	size_t n = 0;
	pid_t pid;

	T_ASSERT(pipe(pfd) == 0);
	pid = fork();
	T_ASSERT(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 2);
		close(pfd[0]);
		execl(bin, bin, "--config", cfg, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	for (unsigned i = 0; i < secs * 100; i++) {
		ssize_t r = read(pfd[0], out + n, cap - 1 - n);

		if (r > 0)
			n += (size_t)r;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			while ((r = read(pfd[0], out + n, cap - 1 - n)) > 0)
				n += (size_t)r;
			out[n] = '\0';
			close(pfd[0]);
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		usleep(10000);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	out[n] = '\0';
	close(pfd[0]);
	return -1;
}

static void on_done(void *arg, uint64_t cookie, int status)
{
	(void)arg;
	(void)cookie;
	(void)status;
	T_ASSERT(0); /* nothing is ever submitted here */
}

/* The backend's own refusals, before any module is involved. */
static void create_refused(void)
{
	struct sb_loop *l = sb_loop_create();
	struct sb_media_kernel_params p = { .media_ip = inet_addr("127.0.0.1"),
					    .port_min = 42000, .port_max = 42099 };
	struct sb_media_kernel_params q;

	T_ASSERT(l != NULL);
	q = p;
	q.media_ip = 0;
	errno = 0;
	T_ASSERT(sb_media_kernel_create(l, &q, on_done, NULL) == NULL && errno == EINVAL);
	q = p;
	q.port_max = q.port_min;
	errno = 0;
	T_ASSERT(sb_media_kernel_create(l, &q, on_done, NULL) == NULL && errno == EINVAL);
	q = p;
	q.media_ip = inet_addr("192.0.2.254"); /* documentation range: not ours */
	errno = 0;
	T_ASSERT(sb_media_kernel_create(l, &q, on_done, NULL) == NULL && errno == EADDRNOTAVAIL);
	q = p;
	q.dev = "/dev/null"; /* opens, but answers no HELLO */
	errno = 0;
	T_ASSERT(sb_media_kernel_create(l, &q, on_done, NULL) == NULL && errno == ENOTTY);
	q = p;
	q.dev = "/nonexistent/sb_relay";
	errno = 0;
	T_ASSERT(sb_media_kernel_create(l, &q, on_done, NULL) == NULL && errno == ENOENT);
	T_ASSERT(sb_loop_timers_armed(l) == 0); /* nothing left behind */
	sb_loop_free(l);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/sb_media_kernel_t.XXXXXX", cfg[128], out[8192];
	FILE *f;
	int rc;

	T_ASSERT(argc == 2);
	create_refused();
	if (access("/dev/sb_relay", F_OK) == 0) {
		fprintf(stderr, "SKIP: /dev/sb_relay exists here; the refusal cannot be shown\n");
		return T_SKIP;
	}
	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(cfg, sizeof(cfg), "%s/sb.yaml", dir);
	f = fopen(cfg, "w");
	T_ASSERT(f != NULL);
	fprintf(f, "instance: kmbsel\nsip:\n  listen: [127.0.0.1:0]\n  tcp: false\n"
		   "media:\n  backend: kernel\n  address: 127.0.0.1\n  port_min: 42000\n"
		   "  port_max: 42099\n");
	fclose(f);
	rc = run(argv[1], cfg, 10, out, sizeof(out));
	if (rc != 1 || strstr(out, "cannot open /dev/sb_relay") == NULL ||
	    strstr(out, "cannot create the media backend") == NULL) {
		fprintf(stderr, "exit %d, stderr:\n%s\n", rc, out);
		return 1;
	}
	unlink(cfg);
	rmdir(dir);
	printf("backend: kernel selected; refused without the module (exit 1, names the device)\n");
	return 0;
}
