/* Pure request framing checks below evhttp: head length and syntax (RFC 9112), body caps by route,
 * chunked body scanning. */
#include "daemon/http_guard.h"
#include "core/digest.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum { MAX_SIZE_LINE = 1024, MAX_TRAILERS = 8192 };

/* evhttp_parse_request_line() refuses a request line shorter than "GET / HTTP/1.0". */
enum { EVHTTP_MIN_REQUEST_LINE = 14 };

int http_guard_status(enum http_guard_verdict v)
{
    switch (v) {
    case GUARD_OK:
        return 0;
    case GUARD_HEAD_TOO_LARGE:
        return 431;
    case GUARD_BODY_TOO_LARGE:
        return 413;
    case GUARD_EXPECTATION_FAILED:
        return 417;
    case GUARD_VERSION_NOT_SUPPORTED:
        return 505;
    case GUARD_OVER_CAPACITY:
        return 503;
    case GUARD_BAD_FRAMING:
    case GUARD_BAD_REQUEST_LINE:
    case GUARD_BAD_FIELD:
    case GUARD_BAD_HOST:
    case GUARD_DUPLICATE_FIELD:
        break;
    }
    return 400;
}

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

/* ---- characters ------------------------------------------------------------------------------ */

/* tchar of RFC 9110 §5.6.2: what a method and a field name are made of. */
static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A field value may hold VCHAR, obs-text, SP and HTAB (RFC 9110 §5.5): no other control. */
static bool is_field_value_char(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool token_eq(const char *a, size_t alen, const char *b)
{
    return alen == strlen(b) && strncasecmp(a, b, alen) == 0;
}

/* Sets the verdict and its detail; returns false so that checks can `return fail(...)`. */
__attribute__((format(printf, 3, 4))) static bool
fail(struct http_head_info *info, enum http_guard_verdict v, const char *fmt, ...)
{
    info->verdict = v;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(info->detail, sizeof info->detail, fmt, ap);
    va_end(ap);
    return false;
}

/* A printable excerpt of untrusted bytes for a detail: at most 40 of them, anything outside
 * visible ASCII shown as '?'. */
static const char *excerpt(const char *p, size_t n, char out[48])
{
    size_t k = n < 40 ? n : 40, o = 0;
    for (size_t i = 0; i < k; i++)
        out[o++] = (p[i] > 0x20 && p[i] < 0x7f) || p[i] == ' ' ? p[i] : '?';
    if (n > k) {
        out[o++] = '.';
        out[o++] = '.';
        out[o++] = '.';
    }
    out[o] = '\0';
    return out;
}

/* ---- lines ----------------------------------------------------------------------------------- */

/* Where the request line starts: past empty lines (CRLF or a lone LF) before it. */
static size_t skip_empty_lines(const char *buf, size_t len)
{
    size_t i = 0;
    for (;;) {
        if (i < len && buf[i] == '\n')
            i++;
        else if (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n')
            i += 2;
        else
            return i;
    }
}

/* The next line of buf[pos..len): its content (without LF and one CR before it) in *n, and where
 * the line after it starts. Returns false when no LF ends it within buf. */
static bool next_line(const char *buf, size_t len, size_t pos, size_t *n, size_t *after)
{
    const char *lf = memchr(buf + pos, '\n', len - pos);
    if (!lf)
        return false;
    size_t end = (size_t)(lf - buf);
    *after = end + 1;
    if (end > pos && buf[end - 1] == '\r')
        end--;
    *n = end - pos;
    return true;
}

/* A NUL or a bare CR (one not directly before the LF that ends the line) in a line. */
static bool check_line_bytes(const char *line, size_t n, bool request_line,
                             struct http_head_info *info)
{
    enum http_guard_verdict v = request_line ? GUARD_BAD_REQUEST_LINE : GUARD_BAD_FIELD;
    const char *where = request_line ? "the request line" : "a header line";
    if (memchr(line, '\0', n))
        return fail(info, v, "There is a NUL byte in %s.", where);
    if (memchr(line, '\r', n))
        return fail(info, v, "There is a bare CR (one not followed by LF) in %s.", where);
    return true;
}

/* host [":" port], host being letters, digits, '-' and '.', port at most 65535. Enough for every
 * absolute-form or authority-form target evhttp's URI parser is sure to take. */
static bool host_port_ok(const char *s, size_t n, bool port_required)
{
    size_t colon = n;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ':') {
            colon = i;
            break;
        }
    if (colon == 0)
        return false;
    for (size_t i = 0; i < colon; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
              c == '.'))
            return false;
    }
    if (colon == n)
        return !port_required;
    size_t digits = n - colon - 1;
    if (digits == 0 || digits > 5)
        return false;
    unsigned long port = 0;
    for (size_t i = colon + 1; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        port = port * 10 + (unsigned long)(s[i] - '0');
    }
    return port <= 65535;
}

/* The request-target (RFC 9112 §3.2), restricted to what evhttp_uri_parse_with_flags() and its
 * authority parser are sure to accept, so that no target reaches evhttp only to fail there. */
static bool check_target(const char *method, size_t mlen, const char *t, size_t n,
                         struct http_head_info *info)
{
    char ex[48];
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f || t[i] == '#')
            return fail(info, GUARD_BAD_REQUEST_LINE,
                        "The request target holds a byte it may not hold (a control character, "
                        "non-ASCII byte or '#').");
    bool connect = mlen == 7 && memcmp(method, "CONNECT", 7) == 0;
    if (t[0] == '/') {
        if (n > 1 && t[1] == '/')
            return fail(info, GUARD_BAD_REQUEST_LINE, "The request target '%s' begins with '//'.",
                        excerpt(t, n, ex));
        return true;
    }
    if (n == 1 && t[0] == '*') {
        if (mlen == 7 && memcmp(method, "OPTIONS", 7) == 0)
            return true;
        return fail(info, GUARD_BAD_REQUEST_LINE,
                    "The request target '*' is only meaningful for OPTIONS.");
    }
    size_t scheme = n > 7 && strncasecmp(t, "http://", 7) == 0    ? 7
                    : n > 8 && strncasecmp(t, "https://", 8) == 0 ? 8
                                                                  : 0;
    if (scheme) {
        size_t end = scheme;
        while (end < n && t[end] != '/' && t[end] != '?')
            end++;
        if (host_port_ok(t + scheme, end - scheme, false))
            return true;
        return fail(info, GUARD_BAD_REQUEST_LINE,
                    "The request target '%s' is an absolute URI with a malformed host.",
                    excerpt(t, n, ex));
    }
    if (connect && host_port_ok(t, n, true))
        return true;
    return fail(info, GUARD_BAD_REQUEST_LINE,
                "The request target '%s' is not a path beginning with '/' (nor an absolute "
                "http(s) URI).",
                excerpt(t, n, ex));
}

/* The request line: method SP request-target SP HTTP-version, nothing more (RFC 9112 §3). Sets
 * *minor to the HTTP/1.x minor version. */
static bool check_request_line(const char *line, size_t n, int *minor, struct http_head_info *info)
{
    char ex[48];
    if (!check_line_bytes(line, n, true, info))
        return false;
    const char *sp1 = memchr(line, ' ', n);
    if (!sp1 || sp1 == line)
        return fail(info, GUARD_BAD_REQUEST_LINE,
                    "The request line '%s' is not METHOD SP TARGET SP HTTP/1.1.",
                    excerpt(line, n, ex));
    size_t mlen = (size_t)(sp1 - line);
    for (size_t i = 0; i < mlen; i++)
        if (!is_tchar((unsigned char)line[i]))
            return fail(info, GUARD_BAD_REQUEST_LINE,
                        "The method '%s' holds a character that is not allowed in a method.",
                        excerpt(line, mlen, ex));
    const char *target = sp1 + 1;
    size_t rest = n - mlen - 1;
    const char *sp2 = memchr(target, ' ', rest);
    if (!sp2)
        return fail(info, GUARD_BAD_REQUEST_LINE,
                    "The request line has no HTTP version (HTTP/0.9 is not served).");
    size_t tlen = (size_t)(sp2 - target);
    const char *version = sp2 + 1;
    size_t vlen = rest - tlen - 1;
    if (tlen == 0 || memchr(version, ' ', vlen))
        return fail(info, GUARD_BAD_REQUEST_LINE,
                    "The request line '%s' is not METHOD SP TARGET SP HTTP/1.1 (one space "
                    "between each).",
                    excerpt(line, n, ex));
    /* HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3). */
    if (vlen != 8 || memcmp(version, "HTTP/", 5) != 0 || !is_digit(version[5]) ||
        version[6] != '.' || !is_digit(version[7]))
        return fail(info, GUARD_BAD_REQUEST_LINE, "The HTTP version '%s' is malformed.",
                    excerpt(version, vlen, ex));
    if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
        /* The HTTP/2 connection preface ("PRI * HTTP/2.0", RFC 9113 §3.4) is a well-formed
         * request line whose only fault, to an HTTP/1.1 server, is its version: it gets the 505
         * any other HTTP/2.0 request line gets, not a 400. A client that sent it with prior
         * knowledge cannot read either answer; 505 tells whoever reads the log or uses openssl
         * s_client what is wrong, and ALPN never offers h2 here. */
        if (mlen == 3 && memcmp(line, "PRI", 3) == 0 && tlen == 1 && target[0] == '*')
            return fail(info, GUARD_VERSION_NOT_SUPPORTED,
                        "This is the HTTP/2 connection preface; this server speaks HTTP/1.1 "
                        "(and HTTP/1.0) only.");
        return fail(info, GUARD_VERSION_NOT_SUPPORTED,
                    "%.8s is not supported; this server speaks HTTP/1.1 (and HTTP/1.0).", version);
    }
    *minor = version[7] - '0';
    if (!check_target(line, mlen, target, tlen, info))
        return false;
    if (n < EVHTTP_MIN_REQUEST_LINE)
        return fail(info, GUARD_BAD_REQUEST_LINE,
                    "The request line '%s' is too short to be one this server serves.",
                    excerpt(line, n, ex));
    return true;
}

/* One field line's own syntax (RFC 9112 §5): field-name ":" OWS field-value OWS. */
static bool check_field_line(const char *line, size_t n, struct http_head_info *info)
{
    char ex[48];
    if (!check_line_bytes(line, n, false, info))
        return false;
    if (line[0] == ' ' || line[0] == '\t')
        return fail(info, GUARD_BAD_FIELD,
                    "A header line begins with whitespace (obsolete line folding is not "
                    "accepted).");
    const char *colon = memchr(line, ':', n);
    if (!colon)
        return fail(info, GUARD_BAD_FIELD, "The header line '%s' has no colon.",
                    excerpt(line, n, ex));
    size_t nlen = (size_t)(colon - line);
    if (nlen == 0)
        return fail(info, GUARD_BAD_FIELD, "A header line has no field name before its colon.");
    if (line[nlen - 1] == ' ' || line[nlen - 1] == '\t') {
        size_t k = nlen;
        while (k > 0 && (line[k - 1] == ' ' || line[k - 1] == '\t'))
            k--;
        return fail(info, GUARD_BAD_FIELD,
                    "The header '%s' has whitespace between its name and the colon.",
                    excerpt(line, k, ex));
    }
    for (size_t i = 0; i < nlen; i++)
        if (!is_tchar((unsigned char)line[i]))
            return fail(info, GUARD_BAD_FIELD,
                        "The header name '%s' holds a character that is not allowed in a field "
                        "name.",
                        excerpt(line, nlen, ex));
    for (size_t i = nlen + 1; i < n; i++)
        if (!is_field_value_char((unsigned char)line[i]))
            return fail(info, GUARD_BAD_FIELD,
                        "The value of the header '%s' holds a control character.",
                        excerpt(line, nlen, ex));
    /* evhttp skips only spaces before a value: "Transfer-Encoding:\tchunked" would frame a body
     * for the guard and none for evhttp, and such an Expect would be one evhttp cannot meet. */
    bool te = token_eq(line, nlen, "Transfer-Encoding"), expect = token_eq(line, nlen, "Expect");
    size_t v = nlen + 1;
    while (v < n && line[v] == ' ')
        v++;
    if ((te || expect) && v < n && line[v] == '\t')
        return fail(info, GUARD_BAD_FIELD, "A tab before the value of %s is not accepted.",
                    te ? "Transfer-Encoding" : "Expect");
    return true;
}

size_t http_guard_check_partial(const char *buf, size_t len, size_t from,
                                struct http_head_info *info)
{
    size_t pos = from, n, after;
    if (from == 0) {
        pos = skip_empty_lines(buf, len);
        if (!next_line(buf, len, pos, &n, &after))
            return 0; /* the request line has not arrived: look again from the start */
        int minor;
        if (!check_request_line(buf + pos, n, &minor, info))
            return after;
        pos = after;
    }
    while (next_line(buf, len, pos, &n, &after)) {
        if (n == 0)
            return pos; /* the end of the head: not a partial one after all */
        if (!check_field_line(buf + pos, n, info))
            return after;
        pos = after;
    }
    return pos;
}

/* ---- what the fields say ----------------------------------------------------------------------
 */

/* Parses a Content-Length value: digits only, optional surrounding blanks, no overflow. */
static bool parse_length(const char *v, size_t vlen, uint64_t *out)
{
    while (vlen && (v[0] == ' ' || v[0] == '\t'))
        v++, vlen--;
    while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
        vlen--;
    if (vlen == 0 || vlen > 18)
        return false;
    uint64_t n = 0;
    for (size_t i = 0; i < vlen; i++) {
        if (!is_digit(v[i]))
            return false;
        n = n * 10 + (uint64_t)(v[i] - '0');
    }
    *out = n;
    return true;
}

static void trim(const char **v, size_t *vlen)
{
    while (*vlen && (**v == ' ' || **v == '\t'))
        (*v)++, (*vlen)--;
    while (*vlen && ((*v)[*vlen - 1] == ' ' || (*v)[*vlen - 1] == '\t'))
        (*vlen)--;
}

/* uri-host [":" port] of RFC 9110 §7.2, loosely: reg-name, IPv4 and IP-literal characters. Empty
 * is valid (a target without authority). */
static bool host_value_ok(const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
              (c != '\0' && strchr("-._~!$&'()*+,;=%:[]", c))))
            return false;
    }
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

/* Whether evhttp 2.1.12 reads a body for this method at all (evhttp_method_may_have_body()): for
 * HEAD, TRACE and methods it does not know it reads none, and would take a body's bytes for the
 * next request. Its method names are case-sensitive. */
static bool method_reads_body(const char *m, size_t n)
{
    static const char *const with_body[] = {"GET",    "POST",    "PUT",    "PATCH",
                                            "DELETE", "OPTIONS", "CONNECT"};
    for (size_t i = 0; i < sizeof with_body / sizeof with_body[0]; i++)
        if (n == strlen(with_body[i]) && memcmp(m, with_body[i], n) == 0)
            return true;
    return false;
}

/* Fields evhttp_find_header() would silently take the first of, where a second one is a client
 * error or an attempt to be read one way by one component and another way by the next. */
static const char *const singleton_fields[] = {"Authorization", "Content-Type", "Idempotency-Key"};
#define SINGLETONS (sizeof singleton_fields / sizeof singleton_fields[0])

/* The next field line from *pos (its content and length); false at the empty line that ends the
 * head, or at the end of buf. A last line without LF (a caller outside conn_guard) counts. */
static bool next_field(const char *buf, size_t len, size_t *pos, const char **line, size_t *n)
{
    size_t after;
    if (*pos >= len)
        return false;
    if (!next_line(buf, len, *pos, n, &after)) {
        *n = len - *pos;
        after = len;
    }
    if (*n == 0)
        return false;
    *line = buf + *pos;
    *pos = after;
    return true;
}

/* What the fields say, once their syntax is known to be sound (see http_guard_inspect_head). */
static bool check_fields(const char *head, size_t len, size_t fields, const char *method,
                         size_t mlen, int minor, struct http_head_info *info)
{
    char ex[48];
    bool have_length = false, chunked = false;
    int hosts = 0;
    int seen[SINGLETONS] = {0};
    const char *p;
    size_t n;
    for (size_t pos = fields; next_field(head, len, &pos, &p, &n);) {
        const char *colon = memchr(p, ':', n);
        size_t nlen = (size_t)(colon - p);
        const char *v = colon + 1;
        size_t vlen = n - nlen - 1;
        trim(&v, &vlen);
        if (token_eq(p, nlen, "Host")) {
            if (++hosts > 1)
                return fail(info, GUARD_BAD_HOST, "The request has more than one Host header.");
            if (!host_value_ok(v, vlen))
                return fail(info, GUARD_BAD_HOST, "The Host header '%s' is not a host[:port].",
                            excerpt(v, vlen, ex));
        } else if (token_eq(p, nlen, "Content-Length")) {
            if (have_length)
                return fail(info, GUARD_BAD_FRAMING, "Content-Length is given more than once.");
            if (!parse_length(v, vlen, &info->content_length))
                return fail(info, GUARD_BAD_FRAMING,
                            "Content-Length '%s' is not a number of bytes.", excerpt(v, vlen, ex));
            have_length = true;
        } else if (token_eq(p, nlen, "Transfer-Encoding")) {
            if (chunked || !token_eq(v, vlen, "chunked"))
                return fail(info, GUARD_BAD_FRAMING,
                            "Transfer-Encoding '%s' is not supported; only a single chunked is.",
                            excerpt(v, vlen, ex));
            chunked = true;
        } else if (token_eq(p, nlen, "Expect")) {
            if (!token_eq(v, vlen, "100-continue"))
                return fail(info, GUARD_EXPECTATION_FAILED,
                            "Expect '%s' cannot be met; only 100-continue can.",
                            excerpt(v, vlen, ex));
        } else {
            for (size_t k = 0; k < SINGLETONS; k++)
                if (token_eq(p, nlen, singleton_fields[k]) && ++seen[k] > 1)
                    return fail(info, GUARD_DUPLICATE_FIELD,
                                "The %s header is given more than once.", singleton_fields[k]);
        }
    }
    if (minor == 1 && hosts == 0)
        return fail(info, GUARD_BAD_HOST, "An HTTP/1.1 request needs a Host header.");
    if (chunked && have_length)
        return fail(info, GUARD_BAD_FRAMING,
                    "Both Content-Length and Transfer-Encoding are given.");
    /* RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing. */
    if (chunked && minor == 0)
        return fail(info, GUARD_BAD_FRAMING,
                    "Transfer-Encoding is not allowed in an HTTP/1.0 request.");
    bool has_body = chunked || (have_length && info->content_length > 0);
    if (has_body && !method_reads_body(method, mlen))
        return fail(info, GUARD_BAD_FRAMING, "A %s request cannot carry a body.",
                    excerpt(method, mlen, ex));
    info->body_mode = chunked ? BODY_CHUNKED : has_body ? BODY_LENGTH : BODY_NONE;
    return true;
}

struct http_head_info http_guard_inspect_head(const char *head, size_t len,
                                              const struct http_guard_limits *limits)
{
    struct http_head_info info = {.verdict = GUARD_OK, .body_mode = BODY_NONE};
    info.body_cap = limits->max_body;
    size_t start = skip_empty_lines(head, len);
    info.head_start = start;

    /* The syntax of every line first, in order: the same fault wins as when the lines were
     * checked one by one while arriving (http_guard_check_partial). */
    size_t pos = start, line_len;
    const char *line;
    int minor = 1;
    if (!next_field(head, len, &pos, &line, &line_len)) {
        line = head + start;
        line_len = 0;
    }
    if (!check_request_line(line, line_len, &minor, &info))
        return info;
    size_t fields = pos;
    const char *p;
    size_t n;
    for (size_t at = fields; next_field(head, len, &at, &p, &n);)
        if (!check_field_line(p, n, &info))
            return info;

    /* Then what the fields say, and the body cap by method and path. */
    size_t mlen = (size_t)((const char *)memchr(line, ' ', line_len) - line);
    if (!check_fields(head, len, fields, line, mlen, minor, &info))
        return info;
    info.body_cap = is_import(line, line_len) ? limits->max_import_body : limits->max_body;
    if (info.body_mode == BODY_LENGTH && info.content_length > info.body_cap)
        fail(&info, GUARD_BODY_TOO_LARGE,
             "The request body (%llu bytes) exceeds the limit for this resource (%zu bytes: "
             "max-body, or max-import-body for /v1/imports).",
             (unsigned long long)info.content_length, info.body_cap);
    return info;
}

/* ---- chunked bodies -------------------------------------------------------------------------- */

void chunk_scanner_init(struct chunk_scanner *s, size_t cap)
{
    memset(s, 0, sizeof *s);
    s->state = CHUNK_SIZE;
    s->cap = cap;
}

/* Stops the scan in the state it is in (recorded for chunk_scanner_ending) and says how many bytes
 * may be passed on. */
static size_t stop(struct chunk_scanner *s, size_t keep)
{
    s->failed_in = s->state;
    s->state = CHUNK_ERROR;
    return keep;
}

size_t chunk_scanner_feed(struct chunk_scanner *s, const char *buf, size_t len)
{
    size_t i = 0;
    size_t line_start = 0; /* where the size or trailer line being read began in buf */
    size_t line_len = 0;
    while (i < len && s->state != CHUNK_DONE && s->state != CHUNK_ERROR) {
        unsigned char c = (unsigned char)buf[i];
        switch (s->state) {
        case CHUNK_SIZE:
        case CHUNK_SIZE_LF:
            if (line_len == 0)
                line_start = i;
            if (++line_len > MAX_SIZE_LINE)
                return stop(s, line_start);
            if (s->state == CHUNK_SIZE && hex_digit_value((char)c) >= 0) {
                if (++s->size_digits > 15)
                    return stop(s, line_start);
                s->size_acc = s->size_acc * 16 + (uint64_t)hex_digit_value((char)c);
            } else if (c == '\r' && s->state == CHUNK_SIZE) {
                s->state = CHUNK_SIZE_LF;
            } else if (c == '\n') {
                if (s->size_digits == 0)
                    return stop(s, line_start);
                if (s->body_total + s->size_acc > s->cap) {
                    s->over_cap = true;
                    return stop(s, line_start);
                }
                s->chunk_left = s->size_acc;
                s->body_total += s->size_acc;
                s->state = s->size_acc ? CHUNK_DATA : CHUNK_TRAILER_START;
                s->size_acc = 0;
                s->size_digits = 0;
                line_len = 0;
            } else {
                /* Not a hex digit, nor the end of the line: a chunk extension (evhttp 2.1.12
                 * fails on one after ';'), whitespace, or garbage. */
                return stop(s, line_start);
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
            if (c != '\r' && c != '\n')
                return stop(s, i); /* the chunk's data is passed on, its bad end is not */
            s->state = c == '\r' ? CHUNK_DATA_LF : CHUNK_SIZE;
            i++;
            break;
        case CHUNK_DATA_LF:
            if (c != '\n')
                return stop(s, i);
            s->state = CHUNK_SIZE;
            i++;
            break;
        case CHUNK_TRAILER_START:
        case CHUNK_TRAILER:
        case CHUNK_TRAILER_LF:
        case CHUNK_END_LF: {
            /* Trailer lines, and the empty line that ends them, are passed on whole. */
            if (line_len == 0)
                line_start = i;
            line_len++;
            if (++s->trailer_len > MAX_TRAILERS)
                return stop(s, line_start);
            enum chunk_state next = CHUNK_ERROR;
            switch (s->state) {
            case CHUNK_TRAILER_START:
                s->trailer_colon = false;
                next = c == '\r'     ? CHUNK_END_LF
                       : c == '\n'   ? CHUNK_DONE
                       : is_tchar(c) ? CHUNK_TRAILER
                                     : CHUNK_ERROR;
                break;
            case CHUNK_TRAILER:
                next = CHUNK_TRAILER;
                if (!s->trailer_colon && c == ':')
                    s->trailer_colon = true;
                else if (!s->trailer_colon && !is_tchar(c))
                    next = CHUNK_ERROR; /* a name without a colon, or a space before it */
                else if (c == '\r')
                    next = CHUNK_TRAILER_LF;
                else if (c == '\n')
                    next = CHUNK_TRAILER_START;
                else if (!is_field_value_char(c))
                    next = CHUNK_ERROR;
                break;
            case CHUNK_TRAILER_LF:
                next = c == '\n' ? CHUNK_TRAILER_START : CHUNK_ERROR;
                break;
            default: /* CHUNK_END_LF */
                next = c == '\n' ? CHUNK_DONE : CHUNK_ERROR;
                break;
            }
            if (next == CHUNK_ERROR)
                return stop(s, line_start);
            s->state = next;
            if (next == CHUNK_TRAILER_START)
                line_len = 0;
            i++;
            break;
        }
        case CHUNK_DONE:
        case CHUNK_ERROR:
            break;
        }
    }
    /* A size or trailer line cut off by the end of buf is handed back whole next time. */
    if (line_len > 0 && (s->state == CHUNK_SIZE || s->state == CHUNK_SIZE_LF)) {
        s->state = CHUNK_SIZE;
        s->size_acc = 0;
        s->size_digits = 0;
        return line_start;
    }
    if (line_len > 0 &&
        (s->state == CHUNK_TRAILER || s->state == CHUNK_TRAILER_LF || s->state == CHUNK_END_LF)) {
        s->state = CHUNK_TRAILER_START;
        s->trailer_len -= line_len;
        return line_start;
    }
    return i;
}

const char *chunk_scanner_ending(const struct chunk_scanner *s)
{
    switch (s->state == CHUNK_ERROR ? s->failed_in : s->state) {
    case CHUNK_DATA_CR:
        return "\r\n0\r\n\r\n";
    case CHUNK_DATA_LF:
        return "\n0\r\n\r\n";
    case CHUNK_TRAILER_START:
    case CHUNK_TRAILER:
    case CHUNK_TRAILER_LF:
    case CHUNK_END_LF:
        return "\r\n";
    default:
        return "0\r\n\r\n";
    }
}
