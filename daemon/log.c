/* journald-friendly logging on stderr, one write(2) per line. */
#include "daemon/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static atomic_int current_level = LOG_INFO;

void log_set_level(enum log_level level)
{
    atomic_store(&current_level, (int)level);
}

void log_set_level_name(const char *name)
{
    static const struct {
        const char *name;
        enum log_level level;
    } names[] = {{"debug", LOG_DEBUG},
                 {"info", LOG_INFO},
                 {"notice", LOG_NOTICE},
                 {"warning", LOG_WARNING},
                 {"error", LOG_ERROR}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (name && strcmp(name, names[i].name) == 0)
            log_set_level(names[i].level);
}

int log_enabled(enum log_level level)
{
    return (int)level <= atomic_load(&current_level);
}

enum { LINE_MAX_BYTES = 2048, BUFFER_BYTES = 16384 };

static _Thread_local char buffered[BUFFER_BYTES];
static _Thread_local size_t buffered_len;

static void write_all(const char *data, size_t len)
{
    while (len > 0) {
        ssize_t w = write(STDERR_FILENO, data, len);
        if (w <= 0)
            return; /* nowhere to report a failing stderr */
        data += w;
        len -= (size_t)w;
    }
}

void log_flush(void)
{
    if (buffered_len) {
        write_all(buffered, buffered_len);
        buffered_len = 0;
    }
}

/* Formats one journald line ("<N>text\n", no inner line breaks) into line; returns its length. */
static size_t format_line(char *line, enum log_level level, const char *fmt, va_list ap)
{
    int n = snprintf(line, LINE_MAX_BYTES, "<%d>", (int)level);
    int m = vsnprintf(line + n, LINE_MAX_BYTES - (size_t)n - 1, fmt, ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > LINE_MAX_BYTES - 2)
        len = LINE_MAX_BYTES - 2;
    /* One event, one line: newlines inside a message would split it in the journal. */
    for (size_t i = (size_t)n; i < len; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[len++] = '\n';
    return len;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    char line[LINE_MAX_BYTES];
    va_list ap;
    va_start(ap, fmt);
    size_t len = format_line(line, level, fmt, ap);
    va_end(ap);
    log_flush();
    write_all(line, len);
}

void log_buffered(enum log_level level, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    if (buffered_len > BUFFER_BYTES - LINE_MAX_BYTES)
        log_flush();
    va_list ap;
    va_start(ap, fmt);
    buffered_len += format_line(buffered + buffered_len, level, fmt, ap);
    va_end(ap);
}
