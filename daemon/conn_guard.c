/* A bufferevent filter below evhttp that enforces request head/body caps, head syntax and deadlines
 * per connection, turns refusals into synthetic requests the router answers with problem+json, and
 * closes a refused connection lingering. */
#include "daemon/conn_guard.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "daemon/log.h"
#include "daemon/server.h"
#include "daemon/tls.h"

/* Lingering close, as nginx's `lingering_close` (its `lingering_time` and `lingering_timeout`):
 * after the refusal is written the connection stops sending (FIN) but keeps reading and dropping
 * what the client still sends, until the client closes, for at most LINGER_MS, and at most
 * LINGER_MAX_BYTES — plus, after a 413 for a declared Content-Length, what is left of that body up
 * to LINGER_MAX_DECLARED, since a client that declared it sends all of it before it reads.
 * Closing a socket with unread input makes the kernel send RST, and a client still busy sending
 * (a 70 KB head, a body over the cap) then loses the 431 or 413 already on its way to it. */
enum { LINGER_MS = 2000, LINGER_MAX_BYTES = 1 << 20, LINGER_MAX_DECLARED = 64 << 20 };

/* Allowed transitions, checked by set_phase (a connection starts in PHASE_HEAD):
 *   HEAD         -> BODY_LENGTH   step_head: a head with Content-Length was passed on
 *   HEAD         -> BODY_CHUNKED  step_head: a head with chunked Transfer-Encoding was passed on
 *   HEAD         -> DISCARD       refuse: over capacity, or a head that is too large or malformed
 *   BODY_LENGTH  -> HEAD          step_body_length: the whole body was passed on
 *   BODY_CHUNKED -> HEAD          step_body_chunked: the last chunk and trailers were passed on
 *   BODY_CHUNKED -> DISCARD       refuse: a chunked body over its cap or malformed
 *   DISCARD      -> LINGER        tls_written: the refusal has been handed to the kernel
 * PHASE_LINGER is final. */
enum conn_phase {
    PHASE_HEAD,         /* waiting for (the rest of) a request head */
    PHASE_BODY_LENGTH,  /* passing on a Content-Length body */
    PHASE_BODY_CHUNKED, /* passing on a chunked body */
    PHASE_DISCARD,      /* a refusal was passed on; everything after it is dropped */
    PHASE_LINGER,       /* the refusal is written: reading and dropping until the client closes */
};
#define CONN_PHASES 5

/* The deadline (one timer) runs:
 *   from accept to the end of the TLS handshake and the first head: header-timeout;
 *   from the first byte of any later head to its end: header-timeout;
 *   from the end of a head to the end of its body: request-timeout;
 *   and on past the end of a head or body until evhttp dispatches that request
 *   (conn_guard_take_verdict), so that a request evhttp fails to parse without answering — which
 *   the head checks are there to prevent — still ends with the connection;
 *   from the moment a refused request is answered until the answer is written: header-timeout.
 * When it fires the socket is shut down and evhttp frees the connection. */
struct conn {
    struct worker *worker;      /* borrowed */
    struct bufferevent *filter; /* borrowed: owned by evhttp's connection */
    struct bufferevent *tls;    /* borrowed: owned by filter (BEV_OPT_CLOSE_ON_FREE) */
    struct event *deadline;     /* owned */
    struct event *linger;       /* owned: PHASE_LINGER's reads on the socket, else NULL */
    enum conn_phase phase;
    uint64_t body_left;          /* PHASE_BODY_LENGTH */
    struct chunk_scanner chunks; /* PHASE_BODY_CHUNKED */
    size_t head_checked;         /* PHASE_HEAD: bytes of the head under way whose lines passed */
    uint64_t heads_passed;       /* request heads handed to evhttp, synthetic ones included */
    uint64_t heads_answered;     /* requests that reached conn_guard_take_verdict */
    uint64_t refused_head;       /* 1-based number of the synthetic head, 0 if none */
    enum http_guard_verdict refusal;            /* for the synthetic head */
    char refusal_detail[HTTP_GUARD_DETAIL_MAX]; /* what was wrong, for the problem's detail */
    int over_capacity;                          /* refuse the first request with 503 */
    struct timespec linger_until;               /* PHASE_LINGER */
    size_t lingered;                            /* PHASE_LINGER: bytes read and dropped */
    size_t linger_budget;                       /* PHASE_LINGER: bytes it reads at most */
};

static int ssl_conn_index = -1;

/* The only place c->phase changes: asserts the move is in the table above. */
static void set_phase(struct conn *c, enum conn_phase to)
{
    static const bool allowed[CONN_PHASES][CONN_PHASES] = {
        [PHASE_HEAD] =
            {[PHASE_BODY_LENGTH] = true, [PHASE_BODY_CHUNKED] = true, [PHASE_DISCARD] = true},
        [PHASE_BODY_LENGTH] = {[PHASE_HEAD] = true},
        [PHASE_BODY_CHUNKED] = {[PHASE_HEAD] = true, [PHASE_DISCARD] = true},
        [PHASE_DISCARD] = {[PHASE_LINGER] = true},
    };
    assert((unsigned)c->phase < CONN_PHASES && (unsigned)to < CONN_PHASES);
    assert(allowed[c->phase][to]);
    (void)allowed; /* unused when NDEBUG is defined */
    c->phase = to;
}

void conn_guard_init(void)
{
    if (ssl_conn_index < 0)
        ssl_conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static struct conn *conn_of_tls(struct bufferevent *tls)
{
    SSL *ssl = tls ? bufferevent_openssl_get_ssl(tls) : NULL;
    return ssl ? SSL_get_ex_data(ssl, ssl_conn_index) : NULL;
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    assert(c->phase != PHASE_LINGER); /* linger_start deletes the deadline for good */
    /* A head or body that did not arrive in time, or a refusal the client does not read: cut the
     * connection off. Shutting the socket down makes the TLS layer see EOF, and evhttp frees the
     * connection (and this guard) as usual. */
    evutil_socket_t s = bufferevent_getfd(c->tls);
    if (c->phase == PHASE_DISCARD)
        log_info("connection cut off: its refusal was not taken within header-timeout");
    else
        log_info("connection cut off: request did not arrive within its deadline (%s; %llu of "
                 "%llu heads passed on were dispatched; %zu bytes unread)",
                 c->phase == PHASE_HEAD ? "head" : "body", (unsigned long long)c->heads_answered,
                 (unsigned long long)c->heads_passed,
                 evbuffer_get_length(bufferevent_get_input(c->tls)));
    if (s >= 0)
        shutdown(s, SHUT_RDWR);
}

static void arm_deadline(struct conn *c, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(c->deadline, &tv);
}

static const char synthetic_head[] = "GET /.refused HTTP/1.1\r\nHost: trechterd\r\n"
                                     "Connection: close\r\n\r\n";

/* Replaces what is left of the input with a synthetic request answered with `verdict` (or, in the
 * middle of a chunked body, ends that body so its own request is answered with it). */
static void refuse(struct conn *c, struct evbuffer *src, struct evbuffer *dst,
                   enum http_guard_verdict verdict, const char *detail, bool end_chunked_body)
{
    /* Only a head can be refused outright, and only a chunked body is cut short mid-request. */
    assert(c->phase == (end_chunked_body ? PHASE_BODY_CHUNKED : PHASE_HEAD));
    assert(c->refused_head == 0 && verdict != GUARD_OK);
    evbuffer_drain(src, evbuffer_get_length(src));
    if (end_chunked_body) {
        /* The request under way is cut short where evhttp can end it, and is itself the one
         * refused. */
        const char *ending = chunk_scanner_ending(&c->chunks);
        evbuffer_add(dst, ending, strlen(ending));
    } else {
        evbuffer_add(dst, synthetic_head, sizeof synthetic_head - 1);
        c->heads_passed++;
    }
    c->refused_head = c->heads_passed;
    c->refusal = verdict;
    c->linger_budget = LINGER_MAX_BYTES;
    snprintf(c->refusal_detail, sizeof c->refusal_detail, "%s", detail);
    set_phase(c, PHASE_DISCARD);
    evtimer_del(c->deadline); /* armed again once the refused request is being answered */
}

/* One step of the head phase. Returns true when it moved or produced bytes. */
static bool step_head(struct conn *c, struct evbuffer *src, struct evbuffer *dst)
{
    const struct app_settings *s = &c->worker->settings;
    size_t max_head = s->limits.max_head;
    size_t len = evbuffer_get_length(src);
    assert(c->phase == PHASE_HEAD);
    if (len == 0)
        return false;
    if (c->over_capacity) {
        refuse(c, src, dst, GUARD_OVER_CAPACITY,
               "The server has too many open connections; try again shortly.", false);
        return true;
    }
    if (!evtimer_pending(c->deadline, NULL))
        arm_deadline(c, s->header_timeout_ms);
    size_t look = len < max_head + 4 ? len : max_head + 4;
    const char *p = (const char *)evbuffer_pullup(src, (ev_ssize_t)look);
    size_t end = http_guard_head_end(p, look);
    if (end == 0 || end > max_head) {
        /* The lines that have arrived whole are checked now: a malformed request line (an
         * HTTP/0.9 client never ends its head) or field line is answered at once. Only those
         * within max-head, so that the verdict does not depend on how the bytes arrived. */
        struct http_head_info info = {.verdict = GUARD_OK};
        size_t checkable = look < max_head ? look : max_head;
        c->head_checked = http_guard_check_partial(p, checkable, c->head_checked, &info);
        if (info.verdict != GUARD_OK)
            refuse(c, src, dst, info.verdict, info.detail, false);
        else if (end > max_head || len > max_head)
            refuse(c, src, dst, GUARD_HEAD_TOO_LARGE,
                   "The request line and headers together exceed the limit (max-header).", false);
        return c->phase == PHASE_DISCARD;
    }
    struct http_head_info info = http_guard_inspect_head(p, end, &s->limits);
    if (info.verdict != GUARD_OK) {
        /* The body declared (and refused) is what the client is sending next. */
        uint64_t declared = 0, have = len - end;
        if (info.verdict == GUARD_BODY_TOO_LARGE && have < info.content_length)
            declared = info.content_length - have;
        refuse(c, src, dst, info.verdict, info.detail, false);
        if (declared)
            c->linger_budget +=
                declared < LINGER_MAX_DECLARED ? (size_t)declared : (size_t)LINGER_MAX_DECLARED;
        return true;
    }
    /* evhttp takes no empty line before the request line: they are dropped here. */
    evbuffer_drain(src, info.head_start);
    evbuffer_remove_buffer(src, dst, end - info.head_start);
    c->heads_passed++;
    c->head_checked = 0;
    switch (info.body_mode) {
    case BODY_NONE:
        break; /* the deadline runs on until evhttp dispatches the request */
    case BODY_LENGTH:
        set_phase(c, PHASE_BODY_LENGTH);
        c->body_left = info.content_length;
        arm_deadline(c, s->request_timeout_ms);
        break;
    case BODY_CHUNKED:
        set_phase(c, PHASE_BODY_CHUNKED);
        chunk_scanner_init(&c->chunks, info.body_cap);
        arm_deadline(c, s->request_timeout_ms);
        break;
    }
    return true;
}

/* One step of a Content-Length body. Returns true when it passed bytes on. */
static bool step_body_length(struct conn *c, struct evbuffer *src, struct evbuffer *dst)
{
    assert(c->phase == PHASE_BODY_LENGTH);
    size_t len = evbuffer_get_length(src);
    size_t n = (uint64_t)len < c->body_left ? len : (size_t)c->body_left;
    if (n) {
        evbuffer_remove_buffer(src, dst, n);
        c->body_left -= n;
    }
    if (c->body_left == 0)
        set_phase(c, PHASE_HEAD); /* the deadline runs on until evhttp dispatches the request */
    return n > 0;
}

static bool step_body_chunked(struct conn *c, struct evbuffer *src, struct evbuffer *dst)
{
    size_t len = evbuffer_get_length(src);
    assert(c->phase == PHASE_BODY_CHUNKED);
    if (len == 0)
        return false;
    size_t look = len < 65536 ? len : 65536;
    const char *p = (const char *)evbuffer_pullup(src, (ev_ssize_t)look);
    size_t used = chunk_scanner_feed(&c->chunks, p, look);
    if (used)
        evbuffer_remove_buffer(src, dst, used);
    if (c->chunks.state == CHUNK_DONE) {
        set_phase(c, PHASE_HEAD); /* the deadline runs on until evhttp dispatches the request */
        return true;
    }
    if (c->chunks.state == CHUNK_ERROR) {
        if (c->chunks.over_cap)
            refuse(c, src, dst, GUARD_BODY_TOO_LARGE,
                   "The chunked request body exceeds the limit for this resource (max-body, or "
                   "max-import-body for /v1/imports).",
                   true);
        else
            refuse(c, src, dst, GUARD_BAD_FRAMING,
                   "The chunked request body is malformed (a chunk size is hex digits alone, "
                   "chunk data ends with CRLF, a trailer line is name: value).",
                   true);
        return true;
    }
    return used > 0;
}

static enum bufferevent_filter_result input_filter(struct evbuffer *src, struct evbuffer *dst,
                                                   ev_ssize_t limit,
                                                   enum bufferevent_flush_mode mode, void *arg)
{
    struct conn *c = arg;
    bool produced = false;
    for (;;) {
        bool progress = false;
        switch (c->phase) {
        case PHASE_HEAD:
            progress = step_head(c, src, dst);
            break;
        case PHASE_BODY_LENGTH:
            progress = step_body_length(c, src, dst);
            break;
        case PHASE_BODY_CHUNKED:
            progress = step_body_chunked(c, src, dst);
            break;
        case PHASE_DISCARD:
        case PHASE_LINGER:
            evbuffer_drain(src, evbuffer_get_length(src));
            break;
        }
        produced |= progress;
        if (!progress)
            break;
    }
    return produced ? BEV_OK : BEV_NEED_MORE;
}

/* Replies pass through unchanged. The filter is told nothing was "processed", so it does not
 * report the reply written as soon as it sits in the TLS layer's buffer; tls_written reports it
 * once TLS has handed it to the kernel. Otherwise evhttp would free a `Connection: close`
 * connection with its answer still unencrypted in memory. */
static enum bufferevent_filter_result output_filter(struct evbuffer *src, struct evbuffer *dst,
                                                    ev_ssize_t limit,
                                                    enum bufferevent_flush_mode mode, void *arg)
{
    /* evhttp queues a reply as several chains (status line and headers, then the body), and the
     * TLS layer writes each chain as a record of its own: a small reply would leave as two or
     * three records and system calls. Up to 16 KiB (one TLS record) is joined first. */
    size_t len = evbuffer_get_length(src);
    if (len > 0 && len <= 16384 && evbuffer_get_contiguous_space(src) < len)
        evbuffer_pullup(src, (ev_ssize_t)len);
    evbuffer_add_buffer(dst, src);
    return BEV_NEED_MORE;
}

static int64_t ms_until(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)(t->tv_sec - now.tv_sec) * 1000 + (t->tv_nsec - now.tv_nsec) / 1000000;
}

/* Ends the lingering: tells evhttp the refusal has been written, and evhttp, seeing
 * `Connection: close`, frees the connection (closing the socket, and this guard with it). */
static void linger_end(struct conn *c)
{
    assert(c->phase == PHASE_LINGER);
    event_del(c->linger);
    bufferevent_trigger(c->filter, EV_WRITE, 0);
}

static void linger_read(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    assert(c->phase == PHASE_LINGER);
    if (what & EV_READ) {
        char sink[16384];
        for (;;) {
            ssize_t n = recv(fd, sink, sizeof sink, 0);
            if (n > 0) {
                c->lingered += (size_t)n;
                if (c->lingered >= c->linger_budget)
                    break;
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                int64_t left = ms_until(&c->linger_until);
                if (left > 0) {
                    struct timeval tv = {left / 1000, (left % 1000) * 1000};
                    event_add(c->linger, &tv);
                    return;
                }
            }
            break; /* EOF: the client closed; an error; or the time is up */
        }
    }
    linger_end(c);
}

/* The refusal has been handed to the kernel: send FIN after it, then drain the socket (raw TLS
 * records, never decrypted) until the client closes, LINGER_MS pass or LINGER_MAX_BYTES arrive. */
static void linger_start(struct conn *c)
{
    set_phase(c, PHASE_LINGER);
    evtimer_del(c->deadline);
    evutil_socket_t fd = bufferevent_getfd(c->tls);
    c->linger =
        fd >= 0 ? event_new(bufferevent_get_base(c->tls), fd, EV_READ, linger_read, c) : NULL;
    if (!c->linger) {
        bufferevent_trigger(c->filter, EV_WRITE, 0);
        return;
    }
    /* evhttp keeps reading while it writes, to notice a close: the TLS layer must stop, or it
     * would read records these raw reads cut into, fail, and have evhttp close with unread
     * input after all. */
    bufferevent_disable(c->tls, EV_READ);
    shutdown(fd, SHUT_WR);
    clock_gettime(CLOCK_MONOTONIC, &c->linger_until);
    c->linger_until.tv_sec += LINGER_MS / 1000;
    c->linger_until.tv_nsec += (long)(LINGER_MS % 1000) * 1000000L;
    if (c->linger_until.tv_nsec >= 1000000000L) {
        c->linger_until.tv_sec++;
        c->linger_until.tv_nsec -= 1000000000L;
    }
    struct timeval tv = {LINGER_MS / 1000, (LINGER_MS % 1000) * 1000};
    event_add(c->linger, &tv);
}

/* The TLS bufferevent's write callback (replacing the filter's own): `arg` is the filter. */
static void tls_written(struct bufferevent *tls, void *arg)
{
    struct bufferevent *filter = arg;
    struct conn *c = conn_of_tls(tls);
    if (evbuffer_get_length(bufferevent_get_output(filter)))
        bufferevent_flush(filter, EV_WRITE, BEV_FLUSH);
    if (evbuffer_get_length(bufferevent_get_output(tls)) != 0 ||
        evbuffer_get_length(bufferevent_get_output(filter)) != 0)
        return;
    /* The refused request was answered synchronously once it reached the router, so with both
     * buffers empty its answer is with the kernel. */
    if (c && c->phase == PHASE_DISCARD && c->heads_answered == c->refused_head) {
        linger_start(c);
        return;
    }
    if (c && c->phase == PHASE_LINGER)
        return; /* linger_end tells evhttp */
    bufferevent_trigger(filter, EV_WRITE, 0);
}

static void conn_free(void *arg)
{
    struct conn *c = arg;
    SSL *ssl = bufferevent_openssl_get_ssl(c->tls);
    if (ssl)
        SSL_set_ex_data(ssl, ssl_conn_index, NULL);
    c->worker->open_connections--;
    event_free(c->deadline);
    if (c->linger)
        event_free(c->linger);
    free(c);
}

struct bufferevent *conn_guard_new_bufferevent(struct event_base *base, void *arg)
{
    struct worker *w = arg;
    struct conn *c = calloc(1, sizeof *c);
    SSL *ssl = tls_current_new_ssl();
    if (!c || !ssl)
        abort();
    c->worker = w;
    c->over_capacity = w->open_connections >= w->settings.max_connections_per_worker;
    w->open_connections++;
    SSL_set_ex_data(ssl, ssl_conn_index, c);
    c->tls = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                            BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    if (!c->tls)
        abort();
    bufferevent_openssl_set_allow_dirty_shutdown(c->tls, 1);
    c->filter =
        bufferevent_filter_new(c->tls, input_filter, output_filter,
                               BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS, conn_free, c);
    c->deadline = evtimer_new(base, deadline_cb, c);
    if (!c->filter || !c->deadline)
        abort();
    bufferevent_data_cb readcb;
    bufferevent_event_cb eventcb;
    void *filter_arg;
    bufferevent_getcb(c->tls, &readcb, NULL, &eventcb, &filter_arg);
    bufferevent_setcb(c->tls, readcb, tls_written, eventcb, filter_arg);
    /* The handshake and the first head share the header deadline. */
    arm_deadline(c, w->settings.header_timeout_ms);
    return c->filter;
}

static struct conn *conn_of(struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct bufferevent *top = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    return top ? conn_of_tls(bufferevent_get_underlying(top)) : NULL;
}

enum http_guard_verdict conn_guard_take_verdict(struct evhttp_request *req, char *addr,
                                                size_t addrlen, char *detail)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    addr[0] = '\0';
    detail[0] = '\0';
    if (evcon) {
        const struct sockaddr *sa = evhttp_connection_get_addr(evcon);
        if (sa && sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, addr,
                      (socklen_t)addrlen);
        else if (sa && sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, addr,
                      (socklen_t)addrlen);
    }
    struct conn *c = conn_of(req);
    if (!c)
        return GUARD_OK;
    c->heads_answered++;
    /* Verdicts pair with heads by count: every request evhttp routes is one the filter passed. */
    assert(c->heads_answered <= c->heads_passed);
    assert((c->refused_head != 0) == (c->phase == PHASE_DISCARD || c->phase == PHASE_LINGER));
    if (c->heads_answered == c->refused_head) {
        /* Its answer must be taken within header-timeout, or the connection is cut off. */
        arm_deadline(c, c->worker->settings.header_timeout_ms);
        memcpy(detail, c->refusal_detail, HTTP_GUARD_DETAIL_MAX);
        return c->refusal;
    }
    /* A request evhttp dispatches needs no deadline of the guard's any more; a head that has
     * begun behind it gets one of its own. */
    if (c->phase == PHASE_HEAD) {
        if (evbuffer_get_length(bufferevent_get_input(c->tls)) > 0)
            arm_deadline(c, c->worker->settings.header_timeout_ms);
        else
            evtimer_del(c->deadline);
    }
    return GUARD_OK;
}

void conn_guard_flush(struct evhttp_connection *evcon)
{
    struct bufferevent *top = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    if (top)
        bufferevent_flush(top, EV_WRITE, BEV_FLUSH);
}

bool conn_guard_client_serial(struct evhttp_request *req, char *out, size_t outlen)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct bufferevent *top = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    struct bufferevent *tls = top ? bufferevent_get_underlying(top) : NULL;
    SSL *ssl = tls ? bufferevent_openssl_get_ssl(tls) : NULL;
    if (!ssl || outlen == 0)
        return false;
    X509 *cert = SSL_get1_peer_certificate(ssl);
    bool found = false;
    if (cert && SSL_get_verify_result(ssl) == X509_V_OK) {
        X509_NAME *subject = X509_get_subject_name(cert);
        int i = subject ? X509_NAME_get_index_by_NID(subject, NID_serialNumber, -1) : -1;
        ASN1_STRING *value =
            i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)) : NULL;
        int len = value ? ASN1_STRING_length(value) : 0;
        const unsigned char *data = value ? ASN1_STRING_get0_data(value) : NULL;
        if (data && len > 0 && (size_t)len < outlen) {
            found = true;
            for (int k = 0; k < len; k++) /* an OIN is 20 digits; nothing else is accepted */
                found &= data[k] >= '0' && data[k] <= '9';
            if (found) {
                memcpy(out, data, (size_t)len);
                out[len] = '\0';
            }
        }
    }
    X509_free(cert);
    return found;
}
