/* Pure request framing checks below evhttp: head length, body caps by route, chunked body scanning.
 */
#include "daemon/http_guard.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

enum { MAX_SIZE_LINE = 1024, MAX_TRAILERS = 8192 };

size_t http_guard_head_end(const char *buf, size_t len)
{
    size_t i = 0;
    /* Empty lines before the request line are tolerated and count towards the head. */
    while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
        i++;
    for (; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 < len && buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

static bool token_eq(const char *a, size_t alen, const char *b)
{
    return alen == strlen(b) && strncasecmp(a, b, alen) == 0;
}

/* Parses a Content-Length value: digits only, optional surrounding blanks, no overflow. */
static bool parse_length(const char *v, size_t vlen, uint64_t *out)
{
    while (vlen && (v[0] == ' ' || v[0] == '\t'))
        v++, vlen--;
    while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t' || v[vlen - 1] == '\r'))
        vlen--;
    if (vlen == 0 || vlen > 18)
        return false;
    uint64_t n = 0;
    for (size_t i = 0; i < vlen; i++) {
        if (!isdigit((unsigned char)v[i]))
            return false;
        n = n * 10 + (uint64_t)(v[i] - '0');
    }
    *out = n;
    return true;
}

/* True when the request line names POST /v1/imports (with or without a query). */
static bool is_import(const char *line, size_t len)
{
    static const char prefix[] = "POST /v1/imports";
    size_t plen = sizeof prefix - 1;
    if (len < plen || memcmp(line, prefix, plen) != 0)
        return false;
    return len == plen || line[plen] == ' ' || line[plen] == '?';
}

struct http_head_info http_guard_inspect_head(const char *head, size_t len,
                                              const struct http_guard_limits *limits)
{
    struct http_head_info info = {.verdict = GUARD_OK, .body_mode = BODY_NONE};
    size_t i = 0;
    while (i < len && (head[i] == '\r' || head[i] == '\n'))
        i++;
    const char *line = head + i;
    const char *eol = memchr(line, '\n', len - i);
    size_t line_len = eol ? (size_t)(eol - line) : len - i;
    info.body_cap = is_import(line, line_len) ? limits->max_import_body : limits->max_body;

    bool have_length = false, chunked = false, other_coding = false;
    const char *p = eol ? eol + 1 : head + len;
    const char *end = head + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        const char *colon = memchr(p, ':', n);
        if (colon) {
            size_t nlen = (size_t)(colon - p);
            const char *v = colon + 1;
            size_t vlen = n - nlen - 1;
            if (token_eq(p, nlen, "Content-Length")) {
                uint64_t cl;
                if (have_length || !parse_length(v, vlen, &cl)) {
                    info.verdict = GUARD_BAD_FRAMING;
                    return info;
                }
                have_length = true;
                info.content_length = cl;
            } else if (token_eq(p, nlen, "Transfer-Encoding")) {
                while (vlen && (*v == ' ' || *v == '\t'))
                    v++, vlen--;
                while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\r' || v[vlen - 1] == '\t'))
                    vlen--;
                if (token_eq(v, vlen, "chunked") && !chunked)
                    chunked = true;
                else
                    other_coding = true;
            }
        }
        p = nl ? nl + 1 : end;
    }
    if (other_coding || (chunked && have_length)) {
        info.verdict = GUARD_BAD_FRAMING;
    } else if (chunked) {
        info.body_mode = BODY_CHUNKED;
    } else if (have_length && info.content_length > 0) {
        info.body_mode = BODY_LENGTH;
        if (info.content_length > info.body_cap)
            info.verdict = GUARD_BODY_TOO_LARGE;
    }
    return info;
}

void chunk_scanner_init(struct chunk_scanner *s, size_t cap)
{
    memset(s, 0, sizeof *s);
    s->state = CHUNK_SIZE;
    s->cap = cap;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

size_t chunk_scanner_feed(struct chunk_scanner *s, const char *buf, size_t len)
{
    size_t i = 0;
    size_t line_start = 0; /* where the size line being read began in buf */
    size_t line_len = 0;
    while (i < len && s->state != CHUNK_DONE && s->state != CHUNK_ERROR) {
        char c = buf[i];
        switch (s->state) {
        case CHUNK_SIZE:
        case CHUNK_EXT:
        case CHUNK_SIZE_LF:
            if (line_len == 0)
                line_start = i;
            if (++line_len > MAX_SIZE_LINE) {
                s->state = CHUNK_ERROR;
                return line_start;
            }
            if (s->state == CHUNK_SIZE && hexval(c) >= 0) {
                if (++s->size_digits > 15) {
                    s->state = CHUNK_ERROR;
                    return line_start;
                }
                s->size_acc = s->size_acc * 16 + (uint64_t)hexval(c);
            } else if (c == '\r' && s->state != CHUNK_SIZE_LF) {
                s->state = CHUNK_SIZE_LF;
            } else if (c == '\n') {
                if (s->size_digits == 0) {
                    s->state = CHUNK_ERROR;
                    return line_start;
                }
                if (s->body_total + s->size_acc > s->cap) {
                    s->over_cap = true;
                    s->state = CHUNK_ERROR;
                    return line_start;
                }
                s->chunk_left = s->size_acc;
                s->body_total += s->size_acc;
                s->state = s->size_acc ? CHUNK_DATA : CHUNK_TRAILER_START;
                s->size_acc = 0;
                s->size_digits = 0;
                line_len = 0;
            } else if (s->state == CHUNK_SIZE && (c == ';' || c == ' ' || c == '\t')) {
                s->state = CHUNK_EXT;
            } else if (s->state != CHUNK_EXT) {
                s->state = CHUNK_ERROR;
                return line_start;
            }
            i++;
            break;
        case CHUNK_DATA: {
            size_t n = len - i;
            if ((uint64_t)n > s->chunk_left)
                n = (size_t)s->chunk_left;
            s->chunk_left -= n;
            i += n;
            if (s->chunk_left == 0)
                s->state = CHUNK_DATA_CR;
            break;
        }
        case CHUNK_DATA_CR:
            s->state = c == '\r' ? CHUNK_DATA_LF : (c == '\n' ? CHUNK_SIZE : CHUNK_ERROR);
            i++;
            break;
        case CHUNK_DATA_LF:
            s->state = c == '\n' ? CHUNK_SIZE : CHUNK_ERROR;
            i++;
            break;
        case CHUNK_TRAILER_START:
            if (c == '\r')
                s->state = CHUNK_END_LF;
            else if (c == '\n')
                s->state = CHUNK_DONE;
            else
                s->state = CHUNK_TRAILER;
            i++;
            break;
        case CHUNK_TRAILER:
            if (++s->trailer_len > MAX_TRAILERS)
                s->state = CHUNK_ERROR;
            else if (c == '\n')
                s->state = CHUNK_TRAILER_START;
            i++;
            break;
        case CHUNK_END_LF:
            s->state = c == '\n' ? CHUNK_DONE : CHUNK_ERROR;
            i++;
            break;
        case CHUNK_DONE:
        case CHUNK_ERROR:
            break;
        }
    }
    /* A size line cut off by the end of buf is handed back whole next time. */
    if (line_len > 0 &&
        (s->state == CHUNK_SIZE || s->state == CHUNK_EXT || s->state == CHUNK_SIZE_LF)) {
        s->state = CHUNK_SIZE;
        s->size_acc = 0;
        s->size_digits = 0;
        return line_start;
    }
    return i;
}
