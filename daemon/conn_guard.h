/* The per-connection guard that sits between the TLS bufferevent and evhttp: a bufferevent filter
 * that enforces the head and body caps, the head's syntax and the header/request deadlines on the
 * raw byte stream (daemon/http_guard.c does the parsing). A refused request reaches evhttp as a
 * small synthetic request so that the daemon, not evhttp, answers it — at once, with problem+json
 * and `Connection: close` — and the connection is then closed lingering (see conn_guard.c), so the
 * answer arrives even while the client is still sending. */
#ifndef TRECHTER_CONN_GUARD_H
#define TRECHTER_CONN_GUARD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/http_guard.h"

struct bufferevent;
struct event_base;
struct evhttp_request;
struct evhttp_connection;
struct worker;

/* Once per process, before any worker starts. */
void conn_guard_init(void);

/* The evhttp_set_bevcb callback: wraps a new TLS bufferevent in the guard. Never returns NULL when
 * memory allows (a NULL would make evhttp fall back to plaintext on the TLS port), and aborts the
 * process when it cannot allocate: serving plaintext is worse than dying. */
struct bufferevent *conn_guard_new_bufferevent(struct event_base *base, void *worker);

/* Called once per request that reaches the router, in order: returns the guard's verdict on this
 * request (GUARD_OK to handle it normally; http_guard_status() gives the status of the others) and
 * copies into detail (HTTP_GUARD_DETAIL_MAX bytes) a sentence saying what was wrong. Also fills the
 * client's address (text) into addr. */
enum http_guard_verdict conn_guard_take_verdict(struct evhttp_request *req, char *addr,
                                                size_t addrlen, char *detail);

/* The subject serialNumber (OID 2.5.4.5, the OIN) of the verified client certificate of the
 * request's connection, copied into out; false when there is none. Read synchronously at the start
 * of a request, before any asynchronous step (PITFALLS: mutual TLS). */
bool conn_guard_client_serial(struct evhttp_request *req, char *out, size_t outlen);

/* Pushes a reply evhttp has queued through the guard to the TLS layer. libevent 2.1.12's filter
 * does not process output that was queued while writing was disabled once evhttp enables it, so
 * every reply is followed by this flush. */
void conn_guard_flush(struct evhttp_connection *evcon);

#endif
