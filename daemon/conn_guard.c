/* A bufferevent filter below evhttp that enforces request head/body caps and deadlines per
 * connection and turns refusals into synthetic requests the router answers with problem+json. */
#include "daemon/conn_guard.h"

#include <arpa/inet.h>
#include <assert.h>
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

#include "daemon/http_guard.h"
#include "daemon/log.h"
#include "daemon/server.h"
#include "daemon/tls.h"

/* Allowed transitions, checked by set_phase (a connection starts in PHASE_HEAD):
 *   HEAD         -> BODY_LENGTH   step_head: a head with Content-Length was passed on
 *   HEAD         -> BODY_CHUNKED  step_head: a head with chunked Transfer-Encoding was passed on
 *   HEAD         -> DISCARD       refuse: over capacity, or a head that is too large or malformed
 *   BODY_LENGTH  -> HEAD          step_body_length: the whole body was passed on
 *   BODY_CHUNKED -> HEAD          step_body_chunked: the last chunk and trailers were passed on
 *   BODY_CHUNKED -> DISCARD       refuse: a chunked body over its cap or malformed
 * PHASE_DISCARD is final; the deadline is never pending in it. */
enum conn_phase {
    PHASE_HEAD,         /* waiting for (the rest of) a request head */
    PHASE_BODY_LENGTH,  /* passing on a Content-Length body */
    PHASE_BODY_CHUNKED, /* passing on a chunked body */
    PHASE_DISCARD,      /* a refusal was passed on; everything after it is dropped */
};
#define CONN_PHASES 4

struct conn {
    struct worker *worker;      /* borrowed */
    struct bufferevent *filter; /* borrowed: owned by evhttp's connection */
    struct bufferevent *tls;    /* borrowed: owned by filter (BEV_OPT_CLOSE_ON_FREE) */
    struct event *deadline;     /* owned */
    enum conn_phase phase;
    uint64_t body_left;          /* PHASE_BODY_LENGTH */
    struct chunk_scanner chunks; /* PHASE_BODY_CHUNKED */
    uint64_t heads_passed;       /* request heads handed to evhttp, synthetic ones included */
    uint64_t heads_answered;     /* requests that reached conn_guard_take_verdict */
    uint64_t refused_head;       /* 1-based number of the synthetic head, 0 if none */
    int refusal;                 /* status for the synthetic head */
    int over_capacity;           /* refuse the first request with 503 */
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

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    assert(c->phase != PHASE_DISCARD); /* refuse deletes the deadline for good */
    /* A head or body that did not arrive in time: cut the connection off. Shutting the socket down
     * makes the TLS layer see EOF, and evhttp frees the connection (and this guard) as usual. */
    evutil_socket_t s = bufferevent_getfd(c->tls);
    log_info("connection cut off: request did not arrive within its deadline");
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

/* Replaces what is left of the input with a synthetic request answered with `status` (or, in the
 * middle of a chunked body, ends that body so its own request is answered with `status`). */
static void refuse(struct conn *c, struct evbuffer *src, struct evbuffer *dst, int status,
                   bool end_chunked_body)
{
    /* Only a head can be refused outright, and only a chunked body is cut short mid-request. */
    assert(c->phase == (end_chunked_body ? PHASE_BODY_CHUNKED : PHASE_HEAD));
    assert(c->refused_head == 0 && status != 0);
    evbuffer_drain(src, evbuffer_get_length(src));
    if (end_chunked_body) {
        /* The request under way is cut short with a last-chunk and is itself the one refused. */
        evbuffer_add(dst, "0\r\n\r\n", 5);
    } else {
        evbuffer_add(dst, synthetic_head, sizeof synthetic_head - 1);
        c->heads_passed++;
    }
    c->refused_head = c->heads_passed;
    c->refusal = status;
    set_phase(c, PHASE_DISCARD);
    evtimer_del(c->deadline);
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

/* One step of the head phase. Returns true when it moved or produced bytes. */
static bool step_head(struct conn *c, struct evbuffer *src, struct evbuffer *dst)
{
    const struct app_settings *s = &c->worker->settings;
    size_t len = evbuffer_get_length(src);
    assert(c->phase == PHASE_HEAD);
    if (len == 0)
        return false;
    if (c->over_capacity) {
        refuse(c, src, dst, 503, false);
        return true;
    }
    if (!evtimer_pending(c->deadline, NULL))
        arm_deadline(c, s->header_timeout_ms);
    size_t look = len < s->limits.max_head + 4 ? len : s->limits.max_head + 4;
    const char *p = (const char *)evbuffer_pullup(src, (ev_ssize_t)look);
    size_t end = http_guard_head_end(p, look);
    if (end == 0) {
        if (len > s->limits.max_head)
            refuse(c, src, dst, 431, false);
        return c->phase == PHASE_DISCARD;
    }
    if (end > s->limits.max_head) {
        refuse(c, src, dst, 431, false);
        return true;
    }
    struct http_head_info info = http_guard_inspect_head(p, end, &s->limits);
    if (info.verdict != GUARD_OK) {
        refuse(c, src, dst, status_for(info.verdict), false);
        return true;
    }
    evbuffer_remove_buffer(src, dst, end);
    c->heads_passed++;
    switch (info.body_mode) {
    case BODY_NONE:
        evtimer_del(c->deadline);
        break;
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
    if (c->body_left == 0) {
        set_phase(c, PHASE_HEAD);
        evtimer_del(c->deadline);
    }
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
        set_phase(c, PHASE_HEAD);
        evtimer_del(c->deadline);
        return true;
    }
    if (c->chunks.state == CHUNK_ERROR) {
        refuse(c, src, dst, c->chunks.over_cap ? 413 : 400, true);
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

/* The TLS bufferevent's write callback (replacing the filter's own): `arg` is the filter. */
static void tls_written(struct bufferevent *tls, void *arg)
{
    struct bufferevent *filter = arg;
    if (evbuffer_get_length(bufferevent_get_output(filter)))
        bufferevent_flush(filter, EV_WRITE, BEV_FLUSH);
    if (evbuffer_get_length(bufferevent_get_output(tls)) == 0)
        bufferevent_trigger(filter, EV_WRITE, 0);
}

static void conn_free(void *arg)
{
    struct conn *c = arg;
    c->worker->open_connections--;
    event_free(c->deadline);
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
    if (!evcon)
        return NULL;
    struct bufferevent *top = evhttp_connection_get_bufferevent(evcon);
    struct bufferevent *tls = top ? bufferevent_get_underlying(top) : NULL;
    SSL *ssl = tls ? bufferevent_openssl_get_ssl(tls) : NULL;
    return ssl ? SSL_get_ex_data(ssl, ssl_conn_index) : NULL;
}

int conn_guard_take_verdict(struct evhttp_request *req, char *addr, size_t addrlen)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    addr[0] = '\0';
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
        return 0;
    c->heads_answered++;
    /* Verdicts pair with heads by count: every request evhttp routes is one the filter passed. */
    assert(c->heads_answered <= c->heads_passed);
    assert((c->refused_head != 0) == (c->phase == PHASE_DISCARD));
    return c->heads_answered == c->refused_head ? c->refusal : 0;
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
