/* SPDX-License-Identifier: MIT */
/*
 * rec_crash: kill -9 in the middle of a recording, then the start-up
 * recovery.  A child process records one call (1 s segments, 440 Hz
 * caller / 1000 Hz agent), paced so that each second's segment flush
 * runs, up to 5.5 s of audio, tells the parent, and waits in the middle
 * of the call.  The parent SIGKILLs it and checks:
 *   - the .part left behind already plays (valid header, data size within
 *     the file) and its header covers at least the last flushed segment;
 *   - sb_rec_recover_dir() repairs it: one RECOVERED event, incomplete,
 *     recovered duration within one segment of the 5.5 s written; the
 *     .part is gone, the file plays, each channel holds its tone.
 */
#include <signal.h>
#include <sys/wait.h>

#include "rec_test.h"

#define FRAMES 275 /* 5.5 s */

static void child(const char *dir, int wfd)
{
	struct sb_rec_cfg cfg = {
		.nprod = 1, .ring_slots = 512, .max_calls = 4,
		.nbufs = 8, .buf_size = 64 * 1024, .segment_ms = 1000,
	};
	struct sb_rec *r = sb_rec_create(&cfg);
	char path[300];

	if (r == NULL)
		_exit(3);
	snprintf(path, sizeof(path), "%s/crash.wav", dir);
	if (sb_rec_start(r, 42, path, SB_REC_FMT_PCM16) != 0)
		_exit(4);
	sb_rec_poll(r);
	for (unsigned k = 0; k < FRAMES; k++) {
		struct sb_rec_frame f[2];

		tone_frame(&f[0], 42, SB_REC_CALLER, SB_REC_PCMU, 440, 100, k);
		tone_frame(&f[1], 42, SB_REC_AGENT, SB_REC_PCMU, 1000, 9000, k);
		if (sb_rec_push_burst(sb_rec_prod(r, 0), f, 2) != 2)
			_exit(5);
		sb_rec_poll(r);
		if (k % 50 == 49 && sb_rec_drain(r, 5000) != 0)
			_exit(6);
	}
	if (sb_rec_drain(r, 5000) != 0)
		_exit(6);
	if (write(wfd, "k", 1) != 1)
		_exit(7);
	for (;;)
		pause(); /* mid-call: no stop, no close */
}

static unsigned nrec, nfail;
static struct sb_rec_event last;

static void on_ev(void *arg, const struct sb_rec_event *ev)
{
	(void)arg;
	printf("recovery: %s %s err %d file_ms %llu\n", sb_rec_ev_desc(ev->type), ev->path,
	       ev->err, (unsigned long long)ev->file_ms);
	if (ev->type == SB_REC_EV_RECOVERED)
		nrec++;
	else
		nfail++;
	last = *ev;
}

int main(void)
{
	char *dir = t_dir, part[300], path[300], c;
	int pfd[2], st;
	unsigned long long rec_ms;
	struct wav w;
	pid_t pid;

	if (t_dir_make("/var/tmp/sb-rec-crash.XXXXXX") < 0 || pipe(pfd) < 0)
		return T_SKIP;
	snprintf(part, sizeof(part), "%s/crash.wav.part", dir);
	snprintf(path, sizeof(path), "%s/crash.wav", dir);
	pid = fork();
	T_ASSERT(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		child(dir, pfd[1]);
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1) {
		waitpid(pid, &st, 0);
		fprintf(stderr, "child failed: status %d\n", st);
		return 1;
	}
	T_ASSERT(kill(pid, SIGKILL) == 0);
	T_ASSERT(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	close(pfd[0]);

	/* before any repair: the .part plays and covers the flushed segments */
	T_ASSERT(access(path, F_OK) != 0);
	T_ASSERT(wav_read(part, &w) == 0);
	printf(".part: file %llu bytes, header data %u bytes (%.2f s)\n",
	       (unsigned long long)w.file_size, w.data_size, w.data_size / 32000.0);
	T_ASSERT(w.data_size >= 4 * 32000);  /* at least 4 full segments */
	T_ASSERT(tone_is(w.l, 8000, 440, 1000));
	T_ASSERT(tone_is(w.r, 8000, 1000, 440));
	wav_free(&w);

	T_ASSERT(sb_rec_recover_dir(dir, on_ev, NULL) == 1);
	T_ASSERT(nrec == 1 && nfail == 0);
	T_ASSERT(last.complete == 0 && last.err == 0 && !strcmp(last.path, path));
	/* within one segment (1 s) of the 5.5 s written */
	T_ASSERT(last.file_ms <= 5500 && last.file_ms >= 4500);
	rec_ms = last.file_ms;
	T_ASSERT(access(part, F_OK) != 0);
	T_ASSERT(wav_read(path, &w) == 0);
	T_ASSERT_EQ_U64(w.file_size, SB_REC_HDR_SIZE + w.data_size);
	T_ASSERT_EQ_U64(w.frames * 1000 / 8000, last.file_ms);
	T_ASSERT(tone_is(w.l + 8000, 24000, 440, 1000));
	T_ASSERT(tone_is(w.r + 8000, 24000, 1000, 440));
	wav_free(&w);

	/* a second pass finds nothing to do */
	nrec = 0;
	T_ASSERT(sb_rec_recover_dir(dir, on_ev, NULL) == 0 && nrec == 0);
	/* a .part too short to hold our header is refused, not renamed */
	{
		FILE *fp = fopen(part, "w");

		T_ASSERT(fp != NULL && fputs("RIFF", fp) >= 0 && fclose(fp) == 0);
		T_ASSERT(sb_rec_recover_dir(dir, on_ev, NULL) == 0);
		T_ASSERT(nfail == 1 && last.type == SB_REC_EV_RECOVER_FAILED &&
			 last.err == -EBADMSG);
		T_ASSERT(access(part, F_OK) == 0);
	}
	printf("rec_crash: ok (recovered %llu ms of 5500)\n", rec_ms);
	return 0;
}
