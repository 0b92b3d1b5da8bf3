/* Pure HTTP/1.1 request framing checks that run below evhttp, on the raw byte stream of one
 * connection: how long a request head may be, how large its body may be (by route), and where each
 * request ends, so that a refusal can be answered with problem+json instead of evhttp's HTML.
 * No I/O, no allocation: the caller feeds bytes and acts on the verdicts. */
#ifndef TRECHTER_HTTP_GUARD_H
#define TRECHTER_HTTP_GUARD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_guard_limits {
    size_t max_head;        /* request line + headers, bytes */
    size_t max_body;        /* body of any request but an import */
    size_t max_import_body; /* body of POST /v1/imports */
};

enum http_guard_verdict {
    GUARD_OK = 0,
    GUARD_HEAD_TOO_LARGE, /* answer 431 */
    GUARD_BODY_TOO_LARGE, /* answer 413 */
    GUARD_BAD_FRAMING,    /* answer 400: bad Content-Length / Transfer-Encoding */
};

enum http_body_mode { BODY_NONE, BODY_LENGTH, BODY_CHUNKED };

/* What the head of one request says about the body that follows. */
struct http_head_info {
    enum http_guard_verdict verdict;
    enum http_body_mode body_mode;
    uint64_t content_length; /* BODY_LENGTH only */
    size_t body_cap;         /* the cap that applies to this request */
};

/* Finds the end of a request head in buf[0..len): the index just past the empty line that ends it
 * (CRLF CRLF, or LF LF as lenient parsers accept), or 0 when the head is not complete yet. Leading
 * empty lines before the request line (RFC 9112 §2.2) are part of the head. */
size_t http_guard_head_end(const char *buf, size_t len);

/* Inspects a complete head (as found by http_guard_head_end): picks the body cap by method and path
 * and checks Content-Length and Transfer-Encoding. Duplicate or malformed Content-Length, both
 * headers at once, or a transfer coding other than chunked give GUARD_BAD_FRAMING. */
struct http_head_info http_guard_inspect_head(const char *head, size_t len,
                                              const struct http_guard_limits *limits);

/* Incremental scanner for a chunked body. Feed it the bytes that follow the head; it says how many
 * bytes belong to the body and whether the body is complete. */
enum chunk_state {
    CHUNK_SIZE,          /* reading hex digits of a chunk size */
    CHUNK_EXT,           /* skipping a chunk extension up to LF */
    CHUNK_SIZE_LF,       /* after CR of the size line */
    CHUNK_DATA,          /* inside chunk data */
    CHUNK_DATA_CR,       /* expecting CR after data */
    CHUNK_DATA_LF,       /* expecting LF after data */
    CHUNK_TRAILER_START, /* at the start of a trailer line (an empty one ends the body) */
    CHUNK_TRAILER,       /* inside a trailer line */
    CHUNK_END_LF,        /* after CR of the final empty line */
    CHUNK_DONE,
    CHUNK_ERROR,
};

struct chunk_scanner {
    enum chunk_state state;
    uint64_t chunk_left; /* data bytes left in the current chunk */
    uint64_t size_acc;   /* chunk size being read */
    int size_digits;
    uint64_t body_total; /* data bytes seen so far */
    size_t trailer_len;
    size_t cap;    /* refuse when body_total would pass this */
    bool over_cap; /* set when a chunk size would pass cap; scanning stops before it */
};

void chunk_scanner_init(struct chunk_scanner *s, size_t cap);

/* Scans buf[0..len) and returns how many bytes may be passed on. A chunk-size line is only passed
 * on whole: when buf ends inside one, the count stops at its start and the scanner expects the
 * caller to feed the same bytes again with more after them. Stops early at CHUNK_DONE (what follows
 * belongs to the next request), at CHUNK_ERROR, or at a size line that would take the body past the
 * cap: then `over_cap` is set and the count ends just before that line, so the caller can end the
 * body there with a last-chunk of its own. */
size_t chunk_scanner_feed(struct chunk_scanner *s, const char *buf, size_t len);

#endif
