/* Logging on stderr in the form journald understands: one line per event with a `<N>` syslog
 * priority prefix. Each line is written with a single write(2), so threads never interleave.
 * Secrets (tokens, passwords, the protection secret) are never passed here. */
#ifndef TRECHTER_LOG_H
#define TRECHTER_LOG_H

enum log_level { LOG_ERROR = 3, LOG_WARNING = 4, LOG_NOTICE = 5, LOG_INFO = 6, LOG_DEBUG = 7 };

/* Sets the most verbose level written; accepts the config names ("info"). */
void log_set_level_name(const char *name);
void log_set_level(enum log_level level);
int log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Like log_msg, but the line may wait in this thread's buffer (at most 16 KiB, or until the next
 * log_flush) so that a busy worker does not make one write(2) per request. Any unbuffered message
 * flushes the buffer first, so lines keep their order. */
void log_buffered(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes out this thread's buffered lines (a worker calls it from a short timer, and at exit). */
void log_flush(void);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
