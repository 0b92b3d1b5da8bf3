/* Filling a caller's error buffer (char *err, size_t errlen) with a formatted message: the one
 * way the client's pure parts report what went wrong. */
#ifndef TRECHTER_CLIENT_ERRBUF_H
#define TRECHTER_CLIENT_ERRBUF_H
#include <stddef.h>

void errbuf_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
