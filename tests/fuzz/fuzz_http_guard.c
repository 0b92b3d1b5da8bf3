/* libFuzzer harness: the framing and head checks below evhttp (daemon/http_guard.h). The first four
 * bytes pick the limits, the rest is the raw byte stream of one keep-alive connection (pipelined
 * requests, Content-Length and chunked bodies, malformed heads of every kind). A model of
 * daemon/conn_guard.c's input filter drives http_guard_head_end(), http_guard_check_partial(),
 * http_guard_inspect_head() and the chunk scanner over that stream twice: with all bytes at once
 * and as they might arrive, in random pieces. Both runs must pass the same bytes on to evhttp and
 * refuse with the same verdict at the same place.
 *
 * What is passed on is then read the way evhttp 2.1.12 reads it (a model of its request-line,
 * header and chunk parsers, with its own URI parser): every head the guard passes must parse there,
 * with the body framed exactly as the guard framed it, and every chunked body — a whole one, or one
 * the guard cut short and ended — must end there where the guard ended it. Nothing the guard lets
 * through may be what evhttp fails on without answering, or reads differently (request smuggling).
 * Each call's contract is checked on the way (ends within the buffer, head end stable under more
 * input, caps honoured, a printable detail for every refusal). */
#include "daemon/http_guard.h"

#include <event2/http.h>
#include <strings.h>

#include "tests/fuzz/fuzz_support.h"

enum phase { PHASE_HEAD, PHASE_BODY_LENGTH, PHASE_BODY_CHUNKED, PHASE_DISCARD };

/* As in daemon/conn_guard.c: how far it looks into the input at once. */
enum { CHUNK_LOOK = 65536 };

struct model {
    struct http_guard_limits limits;
    enum phase phase;
    uint64_t body_left;
    struct chunk_scanner chunks;
    size_t head_checked;
    /* bytes received, not yet passed on */
    char *src;
    size_t src_len;
    /* what was passed on to evhttp, as a digest, and what was refused */
    uint64_t out_hash;
    size_t out_len;
    size_t heads;
    enum http_guard_verdict refused; /* GUARD_OK when none */
    size_t refused_at;               /* out_len when refused */
    /* the chunked body under way, as passed on (checked against evhttp's reading of it) */
    char *body;
    size_t body_len;
    bool check_evhttp; /* the whole-stream run only: the other passes the same bytes */
};

/* ---- evhttp 2.1.12, as it reads what the guard passes on ------------------------------------ */

/* evbuffer_readln(EVBUFFER_EOL_CRLF) on a writable copy: the line up to LF, one CR before it
 * dropped, NUL-terminated in place (a NUL in it ends it there, as for evhttp's C strings). Returns
 * NULL when no LF ends a line in buf[*pos..len). */
static char *ev_readln(char *buf, size_t len, size_t *pos)
{
    char *lf = memchr(buf + *pos, '\n', len - *pos);
    if (!lf)
        return NULL;
    char *line = buf + *pos;
    *pos = (size_t)(lf - buf) + 1;
    if (lf > line && lf[-1] == '\r')
        lf--;
    *lf = '\0';
    return line;
}

enum { EV_MAX_HEADERS = 4096 };

static const char *ev_find(char **keys, char **values, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcasecmp(keys[i], key) == 0)
            return values[i];
    return NULL;
}

/* evhttp_parse_request_line(), evhttp_parse_headers_() and evhttp_get_body()'s framing on one head
 * the guard passed: it must parse, and frame the body as the guard did. */
static void evhttp_reads_head(const char *passed, size_t len, const struct http_head_info *guard)
{
    static char *keys[EV_MAX_HEADERS], *values[EV_MAX_HEADERS];
    char *head = malloc(len + 1);
    FUZZ_CHECK(head != NULL);
    memcpy(head, passed, len);
    head[len] = '\0';
    size_t pos = 0;
    char *line = ev_readln(head, len, &pos);
    FUZZ_CHECK(line, "no request line");
    /* The request line: trailing spaces go, then "METHOD URI VERSION" split at the first and the
     * last space. */
    size_t n = strlen(line);
    while (n > 0 && line[n - 1] == ' ')
        line[--n] = '\0';
    FUZZ_CHECK(n >= 14, "evhttp refuses a request line of %zu bytes: %s", n, line);
    char *sp1 = strchr(line, ' '), *sp2 = strrchr(line, ' ');
    FUZZ_CHECK(sp1 && sp2 && sp2 > sp1, "evhttp cannot split the request line: %s", line);
    *sp1 = '\0';
    *sp2 = '\0';
    const char *method = line, *uri = sp1 + 1, *version = sp2 + 1;
    int major, minor;
    char ch;
    FUZZ_CHECK(sscanf(version, "HTTP/%d.%d%c", &major, &minor, &ch) == 2 && major <= 1,
               "evhttp refuses the version %s", version);
    bool connect = strcmp(method, "CONNECT") == 0;
    static const char *const with_body[] = {"GET",    "POST",    "PUT",    "PATCH",
                                            "DELETE", "OPTIONS", "CONNECT"};
    bool reads_body = false;
    for (size_t i = 0; i < sizeof with_body / sizeof with_body[0]; i++)
        reads_body |= strcmp(method, with_body[i]) == 0;
    /* The URI, with evhttp's own parser (its authority parser for CONNECT, which "//" + target
     * stands in for). */
    char *target = NULL;
    FUZZ_CHECK(asprintf(&target, "%s%s", connect ? "//" : "", uri) > 0);
    struct evhttp_uri *parsed = evhttp_uri_parse_with_flags(target, EVHTTP_URI_NONCONFORMANT);
    FUZZ_CHECK(parsed != NULL, "evhttp cannot parse the request target %s", uri);
    evhttp_uri_free(parsed);
    free(target);

    int nh = 0;
    for (;;) {
        line = ev_readln(head, len, &pos);
        FUZZ_CHECK(line, "the head does not end");
        if (line[0] == '\0')
            break;
        FUZZ_CHECK(line[0] != ' ' && line[0] != '\t', "a continuation line passed: %s", line);
        char *colon = strchr(line, ':');
        FUZZ_CHECK(colon != NULL, "a header line without a colon passed: %s", line);
        *colon = '\0';
        char *value = colon + 1;
        value += strspn(value, " ");
        size_t vl = strlen(value);
        while (vl > 0 && strchr(" \t\r\n", value[vl - 1]))
            value[--vl] = '\0';
        FUZZ_CHECK(nh < EV_MAX_HEADERS, "more headers than the model holds");
        keys[nh] = line;
        values[nh] = value;
        nh++;
    }
    FUZZ_CHECK(pos == len, "evhttp's head ends at %zu, the guard's at %zu", pos, len);

    /* The body, as evhttp_get_body() frames it. */
    enum http_body_mode mode = BODY_NONE;
    uint64_t length = 0;
    if (reads_body) {
        const char *te = ev_find(keys, values, nh, "Transfer-Encoding");
        const char *cl = ev_find(keys, values, nh, "Content-Length");
        if (te && strcasecmp(te, "chunked") == 0) {
            mode = BODY_CHUNKED;
        } else if (cl) {
            char *end;
            long long v = strtoll(cl, &end, 10);
            FUZZ_CHECK(*cl != '\0' && *end == '\0' && v >= 0, "evhttp refuses Content-Length %s",
                       cl);
            if (v > 0) {
                mode = BODY_LENGTH;
                length = (uint64_t)v;
            }
        }
        /* evhttp answers an Expect other than 100-continue itself, in HTML. */
        const char *expect = ev_find(keys, values, nh, "Expect");
        if (mode != BODY_NONE && major == 1 && minor >= 1 && expect)
            FUZZ_CHECK(strcasecmp(expect, "100-continue") == 0, "evhttp fails Expect: %s", expect);
    }
    FUZZ_CHECK(mode == guard->body_mode, "evhttp frames the body as %d, the guard as %d", mode,
               guard->body_mode);
    if (mode == BODY_LENGTH)
        FUZZ_CHECK(length == guard->content_length,
                   "Content-Length %llu to evhttp, %llu to the "
                   "guard",
                   (unsigned long long)length, (unsigned long long)guard->content_length);
    free(head);
}

/* evhttp_handle_chunked_read() and the trailer parse on a chunked body as passed on: it must end
 * exactly at its last byte. */
static void evhttp_reads_chunked(const char *passed, size_t len)
{
    char *b = malloc(len + 1);
    FUZZ_CHECK(b != NULL);
    memcpy(b, passed, len);
    b[len] = '\0';
    size_t pos = 0;
    char *line;
    for (;;) {
        line = ev_readln(b, len, &pos);
        FUZZ_CHECK(line, "evhttp waits for a chunk size");
        if (line[0] == '\0')
            continue; /* evhttp skips an empty line where it expects a size */
        char *end;
        long long size = strtoll(line, &end, 16);
        FUZZ_CHECK((*end == '\0' || *end == ' ') && size >= 0, "evhttp fails on chunk size '%s'",
                   line);
        if (size == 0)
            break;
        FUZZ_CHECK((uint64_t)size <= len - pos, "evhttp waits for chunk data");
        pos += (size_t)size;
    }
    bool any = false;
    for (;;) {
        line = ev_readln(b, len, &pos);
        FUZZ_CHECK(line, "evhttp waits for the trailers' end");
        if (line[0] == '\0')
            break;
        FUZZ_CHECK((line[0] != ' ' && line[0] != '\t') || any, "a continuation trailer first");
        FUZZ_CHECK(line[0] == ' ' || line[0] == '\t' || strchr(line, ':'),
                   "evhttp fails on the trailer '%s'", line);
        any = true;
    }
    FUZZ_CHECK(pos == len, "evhttp ends the chunked body at %zu of %zu", pos, len);
    free(b);
}

/* ---- daemon/conn_guard.c's input filter --------------------------------------------------- */

static void digest(struct model *m, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        m->out_hash = (m->out_hash ^ (unsigned char)p[i]) * 0x100000001B3ull;
    m->out_len += n;
}

static void pass_on(struct model *m, size_t n)
{
    digest(m, m->src, n);
    if (m->phase == PHASE_BODY_CHUNKED) {
        m->body = realloc(m->body, m->body_len + n + 1);
        FUZZ_CHECK(m->body != NULL);
        memcpy(m->body + m->body_len, m->src, n);
        m->body_len += n;
    }
    memmove(m->src, m->src + n, m->src_len - n);
    m->src_len -= n;
}

static void check_detail(const char *detail)
{
    size_t n = strlen(detail);
    FUZZ_CHECK(n > 0 && n < HTTP_GUARD_DETAIL_MAX, "a refusal without a detail");
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(detail[i] >= 0x20 && detail[i] < 0x7f, "detail byte %#x is not printable",
                   (unsigned char)detail[i]);
}

static void refuse(struct model *m, enum http_guard_verdict v)
{
    FUZZ_CHECK(v > GUARD_OK && v < GUARD_VERDICTS);
    int status = http_guard_status(v);
    FUZZ_CHECK(status == 400 || status == 413 || status == 417 || status == 431 || status == 505);
    m->refused = v;
    m->refused_at = m->out_len;
    m->phase = PHASE_DISCARD;
    m->src_len = 0;
}

static bool step_head(struct model *m)
{
    size_t len = m->src_len;
    if (len == 0)
        return false;
    size_t max_head = m->limits.max_head;
    size_t look = len < max_head + 4 ? len : max_head + 4;
    size_t end = http_guard_head_end(m->src, look);
    FUZZ_CHECK(end <= look, "head end %zu past %zu", end, look);
    if (end == 0 || end > max_head) {
        struct http_head_info info = {.verdict = GUARD_OK};
        size_t before = m->head_checked;
        size_t checkable = look < max_head ? look : max_head;
        m->head_checked = http_guard_check_partial(m->src, checkable, m->head_checked, &info);
        FUZZ_CHECK(m->head_checked <= checkable, "checked %zu of %zu", m->head_checked, look);
        FUZZ_CHECK(m->head_checked >= before || m->head_checked == 0, "checking went back");
        if (info.verdict != GUARD_OK) {
            check_detail(info.detail);
            FUZZ_CHECK(info.verdict == GUARD_BAD_REQUEST_LINE || info.verdict == GUARD_BAD_FIELD ||
                           info.verdict == GUARD_VERSION_NOT_SUPPORTED,
                       "partial verdict %d is not a syntax fault", info.verdict);
            refuse(m, info.verdict);
        } else if (end > max_head || len > max_head) {
            refuse(m, GUARD_HEAD_TOO_LARGE);
        }
        return m->phase == PHASE_DISCARD;
    }
    /* The end is where the head ends, not an artefact of how much was looked at. */
    FUZZ_CHECK(http_guard_head_end(m->src, end) == end, "head end moves when cut there");
    FUZZ_CHECK(http_guard_head_end(m->src, end - 1) == 0, "head ends one byte earlier");
    FUZZ_CHECK(m->src[end - 1] == '\n', "head does not end with LF");
    struct http_head_info info = http_guard_inspect_head(m->src, end, &m->limits);
    FUZZ_CHECK(info.body_cap == m->limits.max_body || info.body_cap == m->limits.max_import_body);
    FUZZ_CHECK(info.head_start < end, "the empty lines take the whole head");
    if (info.verdict == GUARD_OK && info.body_mode == BODY_LENGTH)
        FUZZ_CHECK(info.content_length > 0 && info.content_length <= info.body_cap,
                   "length %llu cap %zu", (unsigned long long)info.content_length, info.body_cap);
    if (info.verdict == GUARD_BODY_TOO_LARGE)
        FUZZ_CHECK(info.body_mode == BODY_LENGTH && info.content_length > info.body_cap);
    if (info.verdict != GUARD_OK) {
        check_detail(info.detail);
        refuse(m, info.verdict);
        return true;
    }
    FUZZ_CHECK(info.detail[0] == '\0', "a detail without a refusal");
    /* evhttp takes no empty line before the request line: conn_guard drops them. */
    memmove(m->src, m->src + info.head_start, m->src_len - info.head_start);
    m->src_len -= info.head_start;
    end -= info.head_start;
    if (m->check_evhttp)
        evhttp_reads_head(m->src, end, &info);
    pass_on(m, end);
    m->heads++;
    m->head_checked = 0;
    switch (info.body_mode) {
    case BODY_NONE:
        break;
    case BODY_LENGTH:
        m->phase = PHASE_BODY_LENGTH;
        m->body_left = info.content_length;
        break;
    case BODY_CHUNKED:
        m->phase = PHASE_BODY_CHUNKED;
        m->body_len = 0;
        chunk_scanner_init(&m->chunks, info.body_cap);
        break;
    }
    return true;
}

static bool step_body_chunked(struct model *m)
{
    size_t len = m->src_len;
    if (len == 0)
        return false;
    size_t look = len < CHUNK_LOOK ? len : CHUNK_LOOK;
    uint64_t before = m->chunks.body_total;
    size_t used = chunk_scanner_feed(&m->chunks, m->src, look);
    FUZZ_CHECK(used <= look, "scanner used %zu of %zu", used, look);
    FUZZ_CHECK(m->chunks.body_total >= before, "body total went down");
    FUZZ_CHECK(m->chunks.body_total <= m->chunks.cap, "body %llu past cap %zu",
               (unsigned long long)m->chunks.body_total, m->chunks.cap);
    if (m->chunks.over_cap)
        FUZZ_CHECK(m->chunks.state == CHUNK_ERROR, "over cap but not stopped");
    if (used)
        pass_on(m, used);
    if (m->chunks.state == CHUNK_DONE) {
        if (m->check_evhttp)
            evhttp_reads_chunked(m->body, m->body_len);
        m->phase = PHASE_HEAD;
        return true;
    }
    if (m->chunks.state == CHUNK_ERROR) {
        /* conn_guard ends the body where evhttp can end it, and that request is refused. */
        const char *ending = chunk_scanner_ending(&m->chunks);
        size_t n = strlen(ending);
        m->body = realloc(m->body, m->body_len + n + 1);
        FUZZ_CHECK(m->body != NULL);
        memcpy(m->body + m->body_len, ending, n);
        m->body_len += n;
        digest(m, ending, n);
        if (m->check_evhttp)
            evhttp_reads_chunked(m->body, m->body_len);
        refuse(m, m->chunks.over_cap ? GUARD_BODY_TOO_LARGE : GUARD_BAD_FRAMING);
        return true;
    }
    return used > 0;
}

/* conn_guard.c's input_filter: step until nothing moves. */
static void filter(struct model *m)
{
    for (int guard = 0;; guard++) {
        FUZZ_CHECK(guard < 1000000, "the filter does not settle");
        bool progress = false;
        switch (m->phase) {
        case PHASE_HEAD:
            progress = step_head(m);
            break;
        case PHASE_BODY_LENGTH: {
            size_t n = (uint64_t)m->src_len < m->body_left ? m->src_len : (size_t)m->body_left;
            if (n) {
                pass_on(m, n);
                m->body_left -= n;
                progress = true;
            }
            if (m->body_left == 0)
                m->phase = PHASE_HEAD;
            break;
        }
        case PHASE_BODY_CHUNKED:
            progress = step_body_chunked(m);
            break;
        case PHASE_DISCARD:
            m->src_len = 0;
            break;
        }
        if (!progress)
            break;
    }
}

static void run(struct model *m, const char *stream, size_t len, struct fuzz_rng *split)
{
    m->phase = PHASE_HEAD;
    m->src = malloc(len ? len : 1);
    FUZZ_CHECK(m->src != NULL);
    size_t off = 0;
    while (off < len) {
        size_t n = split ? fuzz_piece(split, len - off) : len - off;
        if (m->phase != PHASE_DISCARD) {
            memcpy(m->src + m->src_len, stream + off, n);
            m->src_len += n;
        }
        off += n;
        filter(m);
    }
    free(m->src);
    m->src = NULL;
    free(m->body);
    m->body = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    struct http_guard_limits limits = {
        .max_head = 16 + (size_t)data[0] * 4, /* 16 .. 1036 */
        .max_body = (size_t)data[1] * 3,      /* 0 .. 765 */
        .max_import_body = (size_t)data[1] * 3 + data[2] * 16,
    };
    if (data[3] & 0x80) /* the daemon's defaults now and then */
        limits = (struct http_guard_limits){16 << 10, 1 << 20, 32 << 20};
    const char *stream = (const char *)data + 4;
    size_t len = size - 4;

    struct model whole = {.limits = limits, .check_evhttp = true}, pieces = {.limits = limits};
    run(&whole, stream, len, NULL);
    struct fuzz_rng rng;
    fuzz_rng_seed(&rng, data, size);
    run(&pieces, stream, len, &rng);

    FUZZ_CHECK(whole.out_len == pieces.out_len, "%zu bytes passed whole, %zu in pieces",
               whole.out_len, pieces.out_len);
    FUZZ_CHECK(whole.out_hash == pieces.out_hash, "different bytes passed");
    FUZZ_CHECK(whole.heads == pieces.heads, "%zu heads whole, %zu in pieces", whole.heads,
               pieces.heads);
    FUZZ_CHECK(whole.refused == pieces.refused, "refused %d whole, %d in pieces", whole.refused,
               pieces.refused);
    FUZZ_CHECK(whole.refused_at == pieces.refused_at, "refused at %zu whole, %zu in pieces",
               whole.refused_at, pieces.refused_at);
    FUZZ_CHECK(whole.phase == pieces.phase, "phase %d whole, %d in pieces", whole.phase,
               pieces.phase);

    /* The head inspector on its own, on the whole stream as one "head": no crash, sane verdict. */
    struct http_head_info info = http_guard_inspect_head(stream, len, &limits);
    FUZZ_CHECK(info.verdict < GUARD_VERDICTS && info.body_mode <= BODY_CHUNKED);
    FUZZ_CHECK((info.verdict == GUARD_OK) == (info.detail[0] == '\0'));
    FUZZ_CHECK(info.head_start <= len);
    return 0;
}
