/* SPDX-License-Identifier: MIT */
/* rec_config_t — the recording keys of the configuration (issue 7):
 * `record: true` on hotlines and queues, the `recording:` section
 * (dir, format, segment, retention per tenant, sweep period) load as
 * written; each mistake is FILE:LINE: message on the right line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "test.h"
#include "cfg_test.h"

#define HEAD "instance: demo\nsip:\n  listen: [192.0.2.1:5060]\n" \
	     "agents:\n  - user: a1\n    password: x\n    tenant: acme\n" /* lines 1-7 */

int main(void)
{
	struct sb_config c;
	char err[512];

	snprintf(cfg_dir, sizeof(cfg_dir), "/tmp/sb_rec_config_t.XXXXXX");
	T_ASSERT(mkdtemp(cfg_dir) != NULL);

	T_ASSERT(sb_config_load(&c, cfg_write(HEAD
		"queues:\n"
		"  - name: sales\n"
		"    members: [a1]\n"
		"    record: true\n"
		"  - name: other\n"
		"    members: [a1]\n"
		"hotlines:\n"
		"  - number: \"100\"\n"
		"    agents: [a1]\n"
		"    record: true\n"
		"  - number: \"200\"\n"
		"    queue: sales\n"
		"  - number: \"300\"\n"
		"    queue: other\n"
		"recording:\n"
		"  dir: /var/spool/rec\n"
		"  format: pcm16\n"
		"  segment_s: 5\n"
		"  retention_days: 90\n"
		"  retention: {acme: 30, beta: 0}\n"
		"  sweep_s: 60\n"), err, sizeof(err)) == 0);
	T_ASSERT(c.queues[0].record && !c.queues[1].record);
	T_ASSERT(c.hotlines[0].record && !c.hotlines[1].record && !c.hotlines[2].record);
	T_ASSERT(strcmp(c.recording.dir, "/var/spool/rec") == 0 && c.recording.pcm16);
	T_ASSERT_EQ_U64(c.recording.segment_s, 5);
	T_ASSERT_EQ_U64(c.recording.retention_days, 90);
	T_ASSERT_EQ_U64(c.recording.sweep_s, 60);
	T_ASSERT_EQ_U64(c.recording.n_tenants, 2);
	T_ASSERT(strcmp(c.recording.tenants[0].tenant, "acme") == 0 && c.recording.tenants[0].days == 30);
	T_ASSERT(strcmp(c.recording.tenants[1].tenant, "beta") == 0 && c.recording.tenants[1].days == 0);
	sb_config_free(&c);

	/* the other formats, masking */
	{
		static const char *const names[] = {"g711", "wav-g711", "pcm16", "wav-pcm16",
						    "wav-mono", "ogg-opus", "ogg-opus-mono", "pcap"};
		static const uint8_t want[] = {0, 0, 1, 1, 4, 5, 6, 7};

		for (unsigned i = 0; i < 8; i++) {
			char y[512];

			snprintf(y, sizeof(y), HEAD "recording:\n  dir: /r\n  format: %s\n%s",
				 names[i], want[i] != 7 ? "  mask_dtmf: true\n" : "");
			T_ASSERT(sb_config_load(&c, cfg_write(y), err, sizeof(err)) == 0);
			T_ASSERT_EQ_U64(c.recording.format, want[i]);
			T_ASSERT(c.recording.pcm16 == (want[i] == 1));
			T_ASSERT(c.recording.mask_dtmf == (want[i] != 7));
			sb_config_free(&c);
		}
	}

	/* the supervisor policy */
	T_ASSERT(sb_config_load(&c, cfg_write(HEAD "recording:\n  dir: /r\n  supervisor: true\n"),
				err, sizeof(err)) == 0);
	T_ASSERT(c.recording.supervisor);
	sb_config_free(&c);
	T_ASSERT(sb_config_load(&c, cfg_write(HEAD "recording:\n  dir: /r\n  supervisor: false\n"),
				err, sizeof(err)) == 0);
	T_ASSERT(!c.recording.supervisor);
	sb_config_free(&c);

	/* defaults: no recording section */
	T_ASSERT(sb_config_load(&c, cfg_write(HEAD), err, sizeof(err)) == 0);
	T_ASSERT(c.recording.dir[0] == '\0' && !c.recording.pcm16 && c.recording.format == 0 &&
		 !c.recording.mask_dtmf && !c.recording.supervisor && c.recording.segment_s == 0 &&
		 c.recording.retention_days == 0 && c.recording.sweep_s == 3600);
	sb_config_free(&c);

	cfg_bad(HEAD "hotlines:\n  - number: \"1\"\n    agents: [a1]\n    record: yes\n", 11,
	    "'record' must be true or false");
	cfg_bad(HEAD "queues:\n  - name: q\n    record: 1\n", 10, "'record' must be true or false");
	cfg_bad(HEAD "recording:\n  dir: rel/path\n", 9, "'dir' must be absolute");
	cfg_bad(HEAD "recording:\n  dir: /r\n  format: opus\n", 10,
	    "'format' must be g711, pcm16, wav-mono, ogg-opus, ogg-opus-mono or pcap");
	cfg_bad(HEAD "recording:\n  dir: /r\n  format: pcap\n  mask_dtmf: true\n", 11,
	    "'mask_dtmf' cannot apply to format pcap");
	cfg_bad(HEAD "recording:\n  dir: /r\n  mask_dtmf: 1\n", 10, "'mask_dtmf' must be true or false");
	cfg_bad(HEAD "recording:\n  dir: /r\n  supervisor: yes\n", 10,
	    "'supervisor' must be true or false");
	cfg_bad(HEAD "recording:\n  dir: /r\n  segment_s: 0\n", 10, "'segment_s' must be a number in 1..3600");
	cfg_bad(HEAD "recording:\n  retention_days: 5\n", 9, "retention needs 'dir'");
	cfg_bad(HEAD "recording:\n  dir: /r\n  retention: {acme: 3, acme: 4}\n", 10,
	    "tenant 'acme' is in 'retention' twice");
	cfg_bad(HEAD "recording:\n  dir: /r\n  retention: [acme]\n", 10, "'retention' must be a mapping");
	cfg_bad(HEAD "recording:\n  dir: /r\n  bogus: 1\n", 10, "unknown key 'bogus' in 'recording'");

	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", cfg_dir);
		if (system(cmd) != 0) { /* best effort */
		}
	}
	printf("PASS\n");
	return 0;
}
