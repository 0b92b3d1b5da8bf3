/* libFuzzer harness: the framing checks below evhttp (daemon/http_guard.h). The first four bytes
 * pick the limits, the rest is the raw byte stream of one keep-alive connection (pipelined
 * requests, Content-Length and chunked bodies). A model of daemon/conn_guard.c's input filter
 * drives http_guard_head_end(), http_guard_inspect_head() and the chunk scanner over that stream
 * twice: with all bytes at once and as they might arrive, in random pieces. Both runs must pass the
 * same bytes on to evhttp and refuse with the same status at the same place. Each call's contract
 * is checked on the way (ends within the buffer, head end stable under more input, caps honoured).
 */
#include "daemon/http_guard.h"

#include "tests/fuzz/fuzz_support.h"

enum phase { PHASE_HEAD, PHASE_BODY_LENGTH, PHASE_BODY_CHUNKED, PHASE_DISCARD };

/* As in daemon/conn_guard.c: how far it looks into the input at once. */
enum { CHUNK_LOOK = 65536 };

struct model {
    struct http_guard_limits limits;
    enum phase phase;
    uint64_t body_left;
    struct chunk_scanner chunks;
    /* bytes received, not yet passed on */
    char *src;
    size_t src_len;
    /* what was passed on to evhttp, as a digest, and what was refused */
    uint64_t out_hash;
    size_t out_len;
    size_t heads;
    int refused;       /* HTTP status, 0 when none */
    size_t refused_at; /* out_len when refused */
};

static void pass_on(struct model *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        m->out_hash = (m->out_hash ^ (unsigned char)m->src[i]) * 0x100000001B3ull;
    m->out_len += n;
    memmove(m->src, m->src + n, m->src_len - n);
    m->src_len -= n;
}

static void refuse(struct model *m, int status)
{
    m->refused = status;
    m->refused_at = m->out_len;
    m->phase = PHASE_DISCARD;
    m->src_len = 0;
}

static int status_for(enum http_guard_verdict v)
{
    switch (v) {
    case GUARD_HEAD_TOO_LARGE:
        return 431;
    case GUARD_BODY_TOO_LARGE:
        return 413;
    case GUARD_BAD_FRAMING:
        return 400;
    case GUARD_OK:
        break;
    }
    return 0;
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
    if (end == 0) {
        if (len > max_head)
            refuse(m, 431);
        return m->phase == PHASE_DISCARD;
    }
    /* The end is where the head ends, not an artefact of how much was looked at. */
    FUZZ_CHECK(http_guard_head_end(m->src, end) == end, "head end moves when cut there");
    FUZZ_CHECK(http_guard_head_end(m->src, end - 1) == 0, "head ends one byte earlier");
    FUZZ_CHECK(m->src[end - 1] == '\n', "head does not end with LF");
    if (end > max_head) {
        refuse(m, 431);
        return true;
    }
    struct http_head_info info = http_guard_inspect_head(m->src, end, &m->limits);
    FUZZ_CHECK(info.body_cap == m->limits.max_body || info.body_cap == m->limits.max_import_body);
    if (info.verdict == GUARD_OK && info.body_mode == BODY_LENGTH)
        FUZZ_CHECK(info.content_length > 0 && info.content_length <= info.body_cap,
                   "length %llu cap %zu", (unsigned long long)info.content_length, info.body_cap);
    if (info.verdict == GUARD_BODY_TOO_LARGE)
        FUZZ_CHECK(info.content_length > info.body_cap);
    if (info.verdict != GUARD_OK) {
        refuse(m, status_for(info.verdict));
        return true;
    }
    pass_on(m, end);
    m->heads++;
    switch (info.body_mode) {
    case BODY_NONE:
        break;
    case BODY_LENGTH:
        m->phase = PHASE_BODY_LENGTH;
        m->body_left = info.content_length;
        break;
    case BODY_CHUNKED:
        m->phase = PHASE_BODY_CHUNKED;
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
        m->phase = PHASE_HEAD;
        return true;
    }
    if (m->chunks.state == CHUNK_ERROR) {
        refuse(m, m->chunks.over_cap ? 413 : 400);
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

    struct model whole = {.limits = limits}, pieces = {.limits = limits};
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
    FUZZ_CHECK(info.verdict <= GUARD_BAD_FRAMING && info.body_mode <= BODY_CHUNKED);
    return 0;
}
