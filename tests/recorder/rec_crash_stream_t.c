/* SPDX-License-Identifier: MIT */
/*
 * rec_crash_stream: kill -9 in the middle of an Ogg Opus and a pcapng
 * recording, then the start-up recovery.  A child records both (1 s
 * segments; 440 Hz caller / 1000 Hz agent in the Ogg file, 2 RTP packets
 * per 20 ms in the capture) for 5.5 s, paced so each segment flush runs,
 * tells the parent and waits mid-call.  The parent SIGKILLs it, appends a
 * torn tail to each .part (a page / block cut short, as a crash inside a
 * write leaves it), and checks:
 *   - before repair the Ogg .part already plays (libogg: every page's CRC,
 *     at least the 4 flushed segments decode);
 *   - sb_rec_recover_dir() repairs both: two RECOVERED events; the Ogg
 *     file is cut after its last good page, which gets EOS; the recovered
 *     duration is within one segment of the 5.5 s and matches what
 *     decodes; each channel holds its tone; opusinfo accepts it; the
 *     capture opens with libpcap and holds every packet of the flushed
 *     segments (at least 4 s: 400 packets), whole.
 */
#include <signal.h>
#include <sys/wait.h>

#include "rec_fmt_test.h"

#define FRAMES 275 /* 5.5 s */

static const uint64_t T0 = 1700000000ull * 1000000000ull;

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
	snprintf(path, sizeof(path), "%s/crash.opus", dir);
	if (sb_rec_start(r, 1, path, SB_REC_FMT_OPUS) != 0)
		_exit(4);
	snprintf(path, sizeof(path), "%s/crash.pcapng", dir);
	if (sb_rec_start(r, 2, path, SB_REC_FMT_PCAP) != 0)
		_exit(4);
	sb_rec_poll(r);
	for (unsigned k = 0; k < FRAMES; k++) {
		struct sb_rec_frame f[2];
		uint8_t pkt[sizeof(struct sb_rec_pkt) + 172];

		tone_frame(&f[0], 1, SB_REC_CALLER, SB_REC_PCMU, 440, 100, k);
		tone_frame(&f[1], 1, SB_REC_AGENT, SB_REC_PCMU, 1000, 9000, k);
		if (sb_rec_push_burst(sb_rec_prod(r, 0), f, 2) != 2)
			_exit(5);
		for (unsigned ch = 0; ch < 2; ch++) {
			struct sb_rec_pkt pk = {.time_ns = T0 + k * 20000000ull, .orig_len = 172,
						.cap_len = 172, .src_port = (uint16_t)(5000 + ch)};

			memcpy(pkt, &pk, sizeof(pk));
			memset(pkt + sizeof(pk), (int)k, 172);
			if (push_payload(sb_rec_prod(r, 0), 2, ch, SB_REC_PKT, 0, 0, pkt,
					 sizeof(pkt)) != 2)
				_exit(5);
		}
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
static struct sb_rec_event evs[4];

static void on_ev(void *arg, const struct sb_rec_event *ev)
{
	(void)arg;
	printf("recovery: %s %s err %d file_ms %llu\n", sb_rec_ev_desc(ev->type), ev->path,
	       ev->err, (unsigned long long)ev->file_ms);
	if (ev->type == SB_REC_EV_RECOVERED && nrec < 4)
		evs[nrec++] = *ev;
	else
		nfail++;
}

static void append(const char *path, const void *b, size_t n)
{
	FILE *fp = fopen(path, "ab");

	if (fp == NULL || fwrite(b, 1, n, fp) != n || fclose(fp) != 0)
		abort();
}

static long fsize(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

int main(void)
{
	char *dir = t_dir, opart[300], opath[300], ppart[300], ppath[300], c;
	int pfd[2], st;
	uint64_t ogg_ms = 0, pcap_ms = 0;
	long opart_len;
	struct oggf o;
	pid_t pid;

	if (t_dir_make("/var/tmp/sb-rec-crash-s.XXXXXX") < 0 || pipe(pfd) < 0)
		return T_SKIP;
	snprintf(opart, sizeof(opart), "%s/crash.opus.part", dir);
	snprintf(opath, sizeof(opath), "%s/crash.opus", dir);
	snprintf(ppart, sizeof(ppart), "%s/crash.pcapng.part", dir);
	snprintf(ppath, sizeof(ppath), "%s/crash.pcapng", dir);
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

	/* before any repair: the Ogg .part plays */
	T_ASSERT(access(opath, F_OK) != 0 && access(ppath, F_OK) != 0);
	T_ASSERT(ogg_read(opart, &o) == 0);
	printf(".part: %ld bytes, %u pages, %llu frames decodable, eos %d\n", fsize(opart),
	       o.pages, (unsigned long long)o.frames, o.eos);
	T_ASSERT(o.frames >= 4 * 8000 && !o.eos && o.bad == 0);
	ogg_free(&o);
	/* torn tails: a page header cut short, half a packet block */
	opart_len = fsize(opart);
	append(opart, "OggS\0\0\0\0\0\0\0\0\0\0garbage", 21);
	{
		uint8_t epb[40] = {6, 0, 0, 0, 64, 0, 0, 0};

		append(ppart, epb, sizeof(epb));
	}

	T_ASSERT(sb_rec_recover_dir(dir, on_ev, NULL) == 2);
	T_ASSERT(nrec == 2 && nfail == 0);
	for (unsigned i = 0; i < 2; i++) {
		T_ASSERT(evs[i].complete == 0 && evs[i].err == 0);
		if (!strcmp(evs[i].path, opath))
			ogg_ms = evs[i].file_ms;
		else if (!strcmp(evs[i].path, ppath))
			pcap_ms = evs[i].file_ms;
	}
	T_ASSERT(access(opart, F_OK) != 0 && access(ppart, F_OK) != 0);
	/* within one segment (1 s) of the 5.5 s written */
	T_ASSERT(ogg_ms >= 4500 && ogg_ms <= 5500);
	T_ASSERT(pcap_ms >= 4000 && pcap_ms <= 5500);
	T_ASSERT(fsize(opath) == opart_len); /* the torn tail cut, nothing else */

	T_ASSERT(ogg_read(opath, &o) == 0);
	printf("recovered ogg: %u pages, %llu frames (%llu ms), eos %d; event says %llu ms\n",
	       o.pages, (unsigned long long)o.frames, (unsigned long long)(o.frames / 8),
	       o.eos, (unsigned long long)ogg_ms);
	T_ASSERT(o.eos && o.bad == 0);
	T_ASSERT(o.frames / 8 == ogg_ms);
	T_ASSERT(tone_is(o.l + 8000, 24000, 440, 1000));
	T_ASSERT(tone_is(o.r + 8000, 24000, 1000, 440));
	ogg_free(&o);
	if (system("command -v opusinfo >/dev/null 2>&1") == 0) {
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "opusinfo '%s'", opath);
		T_ASSERT(system(cmd) == 0);
	}
	{
		char err[PCAP_ERRBUF_SIZE];
		pcap_t *p = pcap_open_offline(ppath, err);
		struct pcap_pkthdr *h;
		const u_char *d;
		unsigned n = 0;

		T_ASSERT(p != NULL);
		while (pcap_next_ex(p, &h, &d) == 1) {
			T_ASSERT(h->caplen == 28 + 172 && d[28] == (uint8_t)(n / 2));
			n++;
		}
		pcap_close(p);
		printf("recovered pcap: %u packets, %llu ms\n", n, (unsigned long long)pcap_ms);
		T_ASSERT(n >= 400 && n <= 2 * FRAMES);
		T_ASSERT_EQ_U64(pcap_ms, (uint64_t)((n - 1) / 2) * 20); /* packet n-1 is frame (n-1)/2 */
	}
	printf("rec_crash_stream: ok (ogg %llu ms, pcap %llu ms of 5500)\n",
	       (unsigned long long)ogg_ms, (unsigned long long)pcap_ms);
	return 0;
}
