/* Authentication: the bearer token of a request is hashed (SHA-256) and looked up with one indexed
 * statement; the principal found (role, label, municipality codes) is attached to the request. */
#ifndef TRECHTER_AUTH_H
#define TRECHTER_AUTH_H
#include <stdbool.h>
#include <stddef.h>

struct request;

/* Extracts the token from an Authorization header value ("Bearer <token>", scheme
 * case-insensitive). Returns false for any other form. Pure. */
bool auth_parse_bearer(const char *header, char *token, size_t tokenlen);

/* Resolves the caller and then calls `next`. Answers itself (and frees the request) on 401 (no,
 * wrong, expired or revoked token) and 503 (database unavailable); refused authentications leave an
 * audit event. */
void auth_then(struct request *r, void (*next)(struct request *r));

#endif
