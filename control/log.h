/* SPDX-License-Identifier: MIT */
/*
 * log.h — one line per event on stderr: "2024-05-01T10:00:00.123Z INFO  msg".
 * The level threshold is the only process-wide setting (set once at start).
 */
#ifndef SB_CP_LOG_H
#define SB_CP_LOG_H

enum sb_log_level { SB_LOG_DEBUG, SB_LOG_INFO, SB_LOG_WARN, SB_LOG_ERR };

void sb_log_set_level(enum sb_log_level lvl);
void sb_log(enum sb_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define sb_dbg(...)  sb_log(SB_LOG_DEBUG, __VA_ARGS__)
#define sb_info(...) sb_log(SB_LOG_INFO, __VA_ARGS__)
#define sb_warn(...) sb_log(SB_LOG_WARN, __VA_ARGS__)
#define sb_err(...)  sb_log(SB_LOG_ERR, __VA_ARGS__)

#endif
