/* libcurl transport with retries, TLS settings, progress and a redacted verbose log; see http.h. */
#include "client/http.h"

#include "client/retry.h"

#include <ctype.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct recv_buf {
    char *data; /* owned */
    size_t len;
    size_t cap;
    int too_big;
};

struct recv_headers {
    char *content_type, *retry_after, *etag, *request_id; /* owned */
};

struct progress {
    int enabled;
    double last_draw; /* monotonic seconds */
    int drawn;        /* something is on the line that must be cleared */
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int http_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void http_global_cleanup(void)
{
    curl_global_cleanup();
}

int http_is_json_type(const char *ct)
{
    if (ct == NULL)
        return 0;
    size_t n = strcspn(ct, ";");
    while (n > 0 && isspace((unsigned char)ct[n - 1]))
        n--;
    if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
        return 1;
    return n > 5 && strncasecmp(ct, "application/", 12) == 0 &&
           strncasecmp(ct + n - 5, "+json", 5) == 0;
}

void http_redact_line(const char *line, size_t len, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    static const char *const secret_headers[] = {"authorization:", "proxy-authorization:"};
    for (size_t i = 0; i < 2; i++) {
        size_t hl = strlen(secret_headers[i]);
        if (len >= hl && strncasecmp(line, secret_headers[i], hl) == 0) {
            /* keep the scheme ("Bearer"), drop the credentials */
            size_t p = hl;
            while (p < len && (line[p] == ' ' || line[p] == '\t'))
                p++;
            size_t scheme_end = p;
            while (scheme_end < len && !isspace((unsigned char)line[scheme_end]))
                scheme_end++;
            if (scheme_end >= len) /* a single word: all of it may be secret */
                snprintf(out, outlen, "%.*s[redacted]", (int)p, line);
            else
                snprintf(out, outlen, "%.*s [redacted]", (int)scheme_end, line);
            return;
        }
    }
    size_t n = len < outlen - 1 ? len : outlen - 1;
    memcpy(out, line, n);
    out[n] = '\0';
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    struct recv_buf *b = ud;
    size_t n = size * nmemb;
    if (b->len + n + 1 > HTTP_MAX_RESPONSE) {
        b->too_big = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (d == NULL)
            return 0;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

static void keep_header(char **slot, const char *v, size_t n)
{
    free(*slot);
    *slot = strndup(v, n);
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    struct recv_headers *h = ud;
    size_t n = size * nmemb;
    if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) { /* a new response (after 100 Continue) */
        free(h->content_type);
        free(h->retry_after);
        free(h->etag);
        free(h->request_id);
        memset(h, 0, sizeof *h);
        return n;
    }
    const char *colon = memchr(p, ':', n);
    if (colon == NULL)
        return n;
    size_t name_len = (size_t)(colon - p);
    const char *v = colon + 1;
    const char *end = p + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && isspace((unsigned char)end[-1]))
        end--;
    size_t vlen = (size_t)(end - v);
    if (name_len == 12 && strncasecmp(p, "Content-Type", 12) == 0)
        keep_header(&h->content_type, v, vlen);
    else if (name_len == 11 && strncasecmp(p, "Retry-After", 11) == 0)
        keep_header(&h->retry_after, v, vlen);
    else if (name_len == 4 && strncasecmp(p, "ETag", 4) == 0)
        keep_header(&h->etag, v, vlen);
    else if (name_len == 12 && strncasecmp(p, "X-Request-Id", 12) == 0)
        keep_header(&h->request_id, v, vlen);
    return n;
}

/* --verbose: request and response heads, with credentials redacted; bodies are not logged. */
static int on_debug(CURL *c, curl_infotype type, char *data, size_t size, void *ud)
{
    (void)c;
    (void)ud;
    const char *prefix;
    switch (type) {
    case CURLINFO_TEXT:
        prefix = "* ";
        break;
    case CURLINFO_HEADER_OUT:
        prefix = "> ";
        break;
    case CURLINFO_HEADER_IN:
        prefix = "< ";
        break;
    default:
        return 0;
    }
    const char *p = data;
    const char *end = data + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        size_t shown = len;
        while (shown > 0 && (p[shown - 1] == '\r'))
            shown--;
        if (shown > 0) {
            char line[1024];
            http_redact_line(p, shown, line, sizeof line);
            fprintf(stderr, "%s%s\n", prefix, line);
        }
        p += len + (nl ? 1 : 0);
    }
    return 0;
}

static void human_size(double bytes, char *out, size_t outlen)
{
    if (bytes >= 1024.0 * 1024.0)
        snprintf(out, outlen, "%.1f MiB", bytes / (1024.0 * 1024.0));
    else if (bytes >= 1024.0)
        snprintf(out, outlen, "%.1f KiB", bytes / 1024.0);
    else
        snprintf(out, outlen, "%.0f B", bytes);
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    struct progress *pg = ud;
    if (!pg->enabled || ultotal <= 0)
        return 0;
    double now = mono_now();
    if (now - pg->last_draw < 0.1 && ulnow < ultotal)
        return 0;
    pg->last_draw = now;
    char done[32], total[32];
    human_size((double)ulnow, done, sizeof done);
    human_size((double)ultotal, total, sizeof total);
    if (ulnow < ultotal)
        fprintf(stderr, "\r\033[Ktrechter: uploading %s of %s (%d%%)", done, total,
                (int)(ulnow * 100 / ultotal));
    else
        fprintf(stderr, "\r\033[Ktrechter: uploaded %s, waiting for the server", total);
    fflush(stderr);
    pg->drawn = 1;
    return 0;
}

static void progress_clear(struct progress *pg)
{
    if (pg->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        pg->drawn = 0;
    }
}

static uint32_t jitter32(void)
{
    uint32_t v;
    if (RAND_bytes((unsigned char *)&v, sizeof v) != 1)
        v = (uint32_t)rand();
    return v;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

void http_response_clear(struct http_response *rs)
{
    free(rs->body);
    free(rs->content_type);
    free(rs->retry_after);
    free(rs->etag);
    free(rs->request_id);
    memset(rs, 0, sizeof *rs);
}

static const char *status_reason(long status)
{
    switch (status) {
    case 409:
        return "Conflict";
    case 429:
        return "Too Many Requests";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "";
    }
}

int http_perform(const struct settings *s, const struct http_options *o,
                 const struct http_request *rq, struct http_response *rs)
{
    memset(rs, 0, sizeof *rs);
    int rc = -1;
    char *url = NULL;
    char *auth = NULL;
    struct curl_slist *hl = NULL;
    struct recv_buf body = {0};
    struct recv_headers heads = {0};
    struct progress pg = {.enabled = o->progress};
    char errbuf[CURL_ERROR_SIZE];

    CURL *c = curl_easy_init();
    if (c == NULL) {
        snprintf(rs->error, sizeof rs->error, "cannot initialise libcurl");
        goto out;
    }
    size_t base_len = strlen(s->url);
    while (base_len > 0 && s->url[base_len - 1] == '/')
        base_len--;
    if (asprintf(&url, "%.*s%s", (int)base_len, s->url, rq->path) < 0) {
        url = NULL;
        goto out;
    }

    /* CSV is asked for with ?format=csv: the server also honours Accept: text/csv */
    hl = curl_slist_append(hl, "Accept: application/json, application/problem+json");
    hl = curl_slist_append(hl, "Expect:"); /* no 100-continue round trip */
    if (rq->content_type != NULL) {
        char line[128];
        snprintf(line, sizeof line, "Content-Type: %s", rq->content_type);
        hl = curl_slist_append(hl, line);
    }
    for (size_t i = 0; rq->headers != NULL && rq->headers[i] != NULL; i++)
        hl = curl_slist_append(hl, rq->headers[i]);
    if (rq->authenticate && o->token != NULL) {
        if (asprintf(&auth, "Authorization: Bearer %s", o->token) < 0) {
            auth = NULL;
            goto out;
        }
        hl = curl_slist_append(hl, auth);
    }
    if (hl == NULL)
        goto out;

    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "trechter/" TRECHTER_VERSION);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->connect_timeout_s);
    if (o->max_time_s > 0)
        curl_easy_setopt(c, CURLOPT_TIMEOUT, o->max_time_s);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &heads);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); /* whatever libcurl can decode */
    if (s->cacert != NULL)
        curl_easy_setopt(c, CURLOPT_CAINFO, s->cacert);
    if (s->cert != NULL)
        curl_easy_setopt(c, CURLOPT_SSLCERT, s->cert);
    if (s->key != NULL)
        curl_easy_setopt(c, CURLOPT_SSLKEY, s->key);
    if (strcmp(rq->method, "GET") != 0)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
    if (rq->body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
    }
    if (o->verbose) {
        curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
        curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
    }
    if (pg.enabled && rq->body != NULL) {
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, &pg);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }

    double started = mono_now();
    for (unsigned attempt = 0;; attempt++) {
        body.len = 0;
        body.too_big = 0;
        if (body.data != NULL)
            body.data[0] = '\0';
        errbuf[0] = '\0';
        rs->attempts = attempt + 1;
        CURLcode cc = curl_easy_perform(c);
        progress_clear(&pg);
        rs->curl_code = (int)cc;
        rs->status = 0;
        if (cc == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rs->status);
        if (cc != CURLE_OK) {
            if (body.too_big)
                snprintf(rs->error, sizeof rs->error, "the answer is larger than %u MiB",
                         HTTP_MAX_RESPONSE / (1024 * 1024));
            else
                snprintf(rs->error, sizeof rs->error, "%s",
                         errbuf[0] ? errbuf : curl_easy_strerror(cc));
        } else {
            rs->error[0] = '\0';
        }

        int transient = cc != CURLE_OK ? retry_transient_curl((int)cc) && !body.too_big
                                       : retry_transient_answer(rs->status, heads.retry_after);
        if (!transient || !rq->retryable || (long)attempt >= o->retries)
            break;
        long ra = retry_after_seconds(heads.retry_after, time(NULL));
        long delay = retry_delay_ms(attempt, cc == CURLE_OK ? ra : -1, jitter32(), RETRY_BASE_MS,
                                    RETRY_CAP_MS);
        double elapsed = mono_now() - started;
        if (elapsed + (double)delay / 1000.0 > (double)o->retry_max_time_s) {
            if (!o->quiet)
                fprintf(stderr,
                        "trechter: not retrying: waiting %.1f s more would pass "
                        "--retry-max-time %ld\n",
                        (double)delay / 1000.0, o->retry_max_time_s);
            break;
        }
        if (!o->quiet) {
            char why[300];
            if (cc != CURLE_OK)
                snprintf(why, sizeof why, "%s", rs->error);
            else
                snprintf(why, sizeof why, "%ld %s", rs->status, status_reason(rs->status));
            fprintf(stderr, "trechter: attempt %u failed (%s); retrying in %.1f s\n", attempt + 1,
                    why, (double)delay / 1000.0);
        }
        sleep_ms(delay);
    }

    if (rs->curl_code == CURLE_OK) {
        rc = 0;
        rs->body = body.data ? body.data : strdup("");
        rs->body_len = body.len;
        body.data = NULL;
        rs->content_type = heads.content_type;
        rs->retry_after = heads.retry_after;
        rs->etag = heads.etag;
        rs->request_id = heads.request_id;
        memset(&heads, 0, sizeof heads);
    } else {
        rs->body = strdup("");
    }
out:
    if (rs->body == NULL)
        rs->body = strdup("");
    free(body.data);
    free(heads.content_type);
    free(heads.retry_after);
    free(heads.etag);
    free(heads.request_id);
    for (struct curl_slist *l = hl; l != NULL; l = l->next) /* a copy of the Authorization line */
        OPENSSL_cleanse(l->data, strlen(l->data));
    curl_slist_free_all(hl);
    if (auth != NULL) {
        OPENSSL_cleanse(auth, strlen(auth));
        free(auth);
    }
    free(url);
    if (c != NULL)
        curl_easy_cleanup(c);
    return rc;
}
