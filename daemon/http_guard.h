/* Pure HTTP/1.1 request framing checks that run below evhttp, on the raw byte stream of one
 * connection: how long a request head may be, how large its body may be (by route), where each
 * request ends, and whether the head is well-formed (RFC 9112) in every way evhttp 2.1.12 would
 * otherwise either fail on without an answer or read differently from the guard. A refusal can then
 * be answered with problem+json instead of evhttp's HTML, or instead of no answer at all.
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

/* Why a request is refused. http_guard_status() gives the HTTP status of each. */
enum http_guard_verdict {
    GUARD_OK = 0,
    GUARD_HEAD_TOO_LARGE,        /* 431 */
    GUARD_BODY_TOO_LARGE,        /* 413 */
    GUARD_BAD_FRAMING,           /* 400: Content-Length, Transfer-Encoding or a chunked body */
    GUARD_BAD_REQUEST_LINE,      /* 400: not `method SP request-target SP HTTP-version` */
    GUARD_BAD_FIELD,             /* 400: a malformed header line (no colon, space before it, ...) */
    GUARD_BAD_HOST,              /* 400: not exactly one valid Host (none is fine in HTTP/1.0) */
    GUARD_DUPLICATE_FIELD,       /* 400: a field that must appear once (Authorization) twice */
    GUARD_EXPECTATION_FAILED,    /* 417: an Expect other than 100-continue */
    GUARD_VERSION_NOT_SUPPORTED, /* 505: a well-formed version other than HTTP/1.0 and 1.1 */
    GUARD_OVER_CAPACITY,         /* 503: decided by conn_guard, not by the head: too many
                                    connections */
};
#define GUARD_VERDICTS (GUARD_OVER_CAPACITY + 1)

/* The HTTP status that answers a verdict; 0 for GUARD_OK. */
int http_guard_status(enum http_guard_verdict v);

enum http_body_mode { BODY_NONE, BODY_LENGTH, BODY_CHUNKED };

/* One sentence naming what was wrong, for the problem's `detail`. */
#define HTTP_GUARD_DETAIL_MAX 160

/* What the head of one request says about itself and the body that follows. */
struct http_head_info {
    enum http_guard_verdict verdict;
    char detail[HTTP_GUARD_DETAIL_MAX]; /* "" when verdict is GUARD_OK */
    size_t head_start; /* bytes of empty lines before the request line (RFC 9112 §2.2), which the
                          caller drops: evhttp does not accept them */
    enum http_body_mode body_mode;
    uint64_t content_length; /* BODY_LENGTH only */
    size_t body_cap;         /* the cap that applies to this request */
};

/* Finds the end of a request head in buf[0..len): the index just past the empty line that ends it
 * (CRLF CRLF, or LF LF as lenient parsers accept), or 0 when the head is not complete yet. Leading
 * empty lines before the request line (RFC 9112 §2.2) are part of the head. */
size_t http_guard_head_end(const char *buf, size_t len);

/* Inspects a complete head (as found by http_guard_head_end). First the syntax of every line, in
 * order, the first fault winning: the request line (one SP between a token method, a request-target
 * of visible ASCII in a form evhttp parses, and HTTP/1.0 or HTTP/1.1 — another well-formed version
 * is 505; the HTTP/2 preface is 505 too), then each field line (a token name directly followed by
 * the colon, no obsolete line folding, no control character in the value); no NUL and no bare CR
 * anywhere. Then what the fields say: an HTTP/1.1 request has exactly one Host and any request at
 * most one (a valid host[:port] or empty); Authorization, Content-Type and Idempotency-Key appear
 * at most once; Expect is absent or 100-continue (417); Content-Length and Transfer-Encoding frame
 * the body unambiguously (GUARD_BAD_FRAMING: either one twice or malformed, both at once, a coding
 * other than chunked, Transfer-Encoding in HTTP/1.0, or a body on a method evhttp reads none for —
 * HEAD, TRACE or one it does not know); finally the body cap by method and path (413). */
struct http_head_info http_guard_inspect_head(const char *head, size_t len,
                                              const struct http_guard_limits *limits);

/* For a head that is not complete yet: checks the lines of buf[0..len) that are complete, starting
 * at `from` (0 at first, then what the previous call returned), with the syntax rules of
 * http_guard_inspect_head, so that a malformed request line or field line is refused as soon as it
 * has arrived rather than when the head ends (an HTTP/0.9 client never ends it). Returns the
 * offset up to which lines were checked; sets info->verdict and info->detail on the first fault.
 * The verdict is the one http_guard_inspect_head gives once the head is complete. */
size_t http_guard_check_partial(const char *buf, size_t len, size_t from,
                                struct http_head_info *info);

/* Incremental scanner for a chunked body. Feed it the bytes that follow the head; it says how many
 * bytes belong to the body and whether the body is complete. Stricter than RFC 9112 §7.1 where
 * evhttp 2.1.12 is: a chunk size is hex digits alone (no chunk extension, no whitespace), and a
 * trailer line needs a colon, as a header line does. */
enum chunk_state {
    CHUNK_SIZE,          /* reading hex digits of a chunk size */
    CHUNK_SIZE_LF,       /* after CR of the size line */
    CHUNK_DATA,          /* inside chunk data */
    CHUNK_DATA_CR,       /* expecting CR after data */
    CHUNK_DATA_LF,       /* expecting LF after data */
    CHUNK_TRAILER_START, /* at the start of a trailer line (an empty one ends the body) */
    CHUNK_TRAILER,       /* inside a trailer line */
    CHUNK_TRAILER_LF,    /* after CR of a trailer line */
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
    bool trailer_colon;         /* the trailer line being read has had its colon */
    size_t cap;                 /* refuse when body_total would pass this */
    bool over_cap;              /* set when a chunk size would pass cap; scanning stops before it */
    enum chunk_state failed_in; /* CHUNK_ERROR: the state the fault was found in */
};

void chunk_scanner_init(struct chunk_scanner *s, size_t cap);

/* Scans buf[0..len) and returns how many bytes may be passed on. A chunk-size line is only passed
 * on whole: when buf ends inside one, the count stops at its start and the scanner expects the
 * caller to feed the same bytes again with more after them. Stops early at CHUNK_DONE (what follows
 * belongs to the next request), at CHUNK_ERROR, or at a size line that would take the body past the
 * cap: then `over_cap` is set and the count ends just before that line, so the caller can end the
 * body there with a last-chunk of its own. */
size_t chunk_scanner_feed(struct chunk_scanner *s, const char *buf, size_t len);

/* After CHUNK_ERROR: the bytes that end, for evhttp, the body passed on so far (a last-chunk, after
 * the CRLF a chunk's data lacked, or the empty line after whole trailer lines), so that the request
 * under way can be answered with its refusal. */
const char *chunk_scanner_ending(const struct chunk_scanner *s);

#endif
