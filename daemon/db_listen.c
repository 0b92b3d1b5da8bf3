/* The LISTEN connection: connect (non-blocking), LISTEN, deliver notifications, reconnect. */
#include "daemon/db_listen.h"

#include <event2/event.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/log.h"

enum listen_state {
    LISTEN_BACKOFF,    /* no connection; timer = delay before the next attempt */
    LISTEN_CONNECTING, /* PQconnectPoll in progress; timer = connect timeout */
    LISTEN_STARTING,   /* LISTEN sent, waiting for its result */
    LISTEN_ACTIVE,     /* listening; io watches for notifications */
};

enum { CONNECT_TIMEOUT_MS = 5000, BACKOFF_MIN_MS = 200, BACKOFF_MAX_MS = 10000 };

struct db_listen {
    struct event_base *base; /* borrowed */
    char *conninfo;          /* owned */
    char *channel;           /* owned; a plain identifier, checked in db_listen_new */
    db_listen_fn fn;
    void *arg;  /* borrowed: the caller's */
    PGconn *pg; /* owned; NULL in LISTEN_BACKOFF */
    enum listen_state state;
    PostgresPollingStatusType poll;
    struct event *io;    /* owned; re-assigned on the current PQsocket() */
    struct event *timer; /* owned */
    int backoff_ms;
};

static void listen_start(struct db_listen *l);
static void io_cb(evutil_socket_t fd, short what, void *arg);

static void arm_timer(struct db_listen *l, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(l->timer, &tv);
}

static void arm_io(struct db_listen *l, short what)
{
    event_del(l->io);
    event_assign(l->io, l->base, PQsocket(l->pg), what, io_cb, l);
    event_add(l->io, NULL);
}

static void fail(struct db_listen *l, const char *why)
{
    if (l->state == LISTEN_ACTIVE)
        log_warning("change notifications lost (%s); caches are bypassed until they are back", why);
    event_del(l->io);
    if (l->pg)
        PQfinish(l->pg);
    l->pg = NULL;
    l->state = LISTEN_BACKOFF;
    arm_timer(l, l->backoff_ms);
    l->backoff_ms = l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : l->backoff_ms * 2;
}

static void drain(struct db_listen *l)
{
    if (!PQconsumeInput(l->pg)) {
        fail(l, PQerrorMessage(l->pg));
        return;
    }
    while (!PQisBusy(l->pg)) {
        PGresult *res = PQgetResult(l->pg);
        if (!res)
            break;
        bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        PQclear(res);
        if (l->state == LISTEN_STARTING) {
            if (!ok) {
                fail(l, "LISTEN refused");
                return;
            }
            l->state = LISTEN_ACTIVE;
            l->backoff_ms = BACKOFF_MIN_MS;
            evtimer_del(l->timer);
            l->fn(l->arg, NULL);
        }
    }
    PGnotify *n;
    while ((n = PQnotifies(l->pg)) != NULL) {
        l->fn(l->arg, n->extra);
        PQfreemem(n);
    }
    if (PQstatus(l->pg) == CONNECTION_BAD)
        fail(l, "connection lost");
}

static void send_listen(struct db_listen *l)
{
    char sql[96];
    snprintf(sql, sizeof sql, "LISTEN %s", l->channel);
    if (!PQsendQuery(l->pg, sql)) {
        fail(l, PQerrorMessage(l->pg));
        return;
    }
    l->state = LISTEN_STARTING;
    while (PQflush(l->pg) == 1) {
        /* The LISTEN command is a few bytes; a socket buffer takes it at once. */
    }
    arm_io(l, EV_READ);
}

static void connect_step(struct db_listen *l)
{
    l->poll = PQconnectPoll(l->pg);
    switch (l->poll) {
    case PGRES_POLLING_OK:
        evtimer_del(l->timer);
        send_listen(l);
        return;
    case PGRES_POLLING_FAILED:
        fail(l, PQerrorMessage(l->pg));
        return;
    case PGRES_POLLING_READING:
        arm_io(l, EV_READ);
        return;
    default:
        arm_io(l, EV_WRITE);
        return;
    }
}

static void io_cb(evutil_socket_t fd, short what, void *arg)
{
    struct db_listen *l = arg;
    if (l->state == LISTEN_CONNECTING) {
        connect_step(l);
        return;
    }
    drain(l);
    if (l->pg && (l->state == LISTEN_ACTIVE || l->state == LISTEN_STARTING))
        arm_io(l, EV_READ);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct db_listen *l = arg;
    if (l->state == LISTEN_BACKOFF)
        listen_start(l);
    else if (l->state == LISTEN_CONNECTING)
        fail(l, "connect timeout");
}

static void notice_ignore(void *arg, const char *message) {}

static void listen_start(struct db_listen *l)
{
    l->pg = PQconnectStart(l->conninfo);
    if (!l->pg || PQstatus(l->pg) == CONNECTION_BAD) {
        fail(l, l->pg ? PQerrorMessage(l->pg) : "out of memory");
        return;
    }
    PQsetnonblocking(l->pg, 1);
    PQsetNoticeProcessor(l->pg, notice_ignore, NULL);
    l->state = LISTEN_CONNECTING;
    arm_timer(l, CONNECT_TIMEOUT_MS);
    connect_step(l);
}

struct db_listen *db_listen_new(struct event_base *base, const char *conninfo, const char *channel,
                                db_listen_fn fn, void *arg)
{
    for (const char *c = channel; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || *c == '_'))
            return NULL;
    struct db_listen *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->base = base;
    l->conninfo = strdup(conninfo);
    l->channel = strdup(channel);
    l->fn = fn;
    l->arg = arg;
    l->backoff_ms = BACKOFF_MIN_MS;
    l->io = event_new(base, -1, 0, io_cb, l);
    l->timer = evtimer_new(base, timer_cb, l);
    if (!l->conninfo || !l->channel || !l->io || !l->timer) {
        db_listen_free(l);
        return NULL;
    }
    listen_start(l);
    return l;
}

void db_listen_free(struct db_listen *l)
{
    if (!l)
        return;
    if (l->io)
        event_free(l->io);
    if (l->timer)
        event_free(l->timer);
    if (l->pg)
        PQfinish(l->pg);
    free(l->conninfo);
    free(l->channel);
    free(l);
}

bool db_listen_ok(const struct db_listen *l)
{
    return l && l->state == LISTEN_ACTIVE;
}
