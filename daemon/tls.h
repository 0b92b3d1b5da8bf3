/* The server's TLS context: TLS 1.2 minimum, certificate and key from files (re-read on SIGHUP),
 * optional client-certificate verification, session tickets whose keys survive a reload. */
#ifndef TRECHTER_TLS_H
#define TRECHTER_TLS_H
#include <openssl/ssl.h>
#include <stddef.h>

/* Builds a server SSL_CTX. Returns NULL with a message in err when a file is missing or the key
 * does not match the certificate. The caller owns the result (SSL_CTX_free). */
SSL_CTX *tls_server_ctx_new(const char *cert_file, const char *key_file, const char *client_ca_file,
                            char *err, size_t errlen);

/* The server's current context, shared by all workers. tls_current_new_ssl makes an SSL for a new
 * connection from whichever context is current (thread-safe). tls_current_replace installs a new
 * context (taking ownership) and drops the old one; connections already open keep theirs. */
void tls_current_replace(SSL_CTX *ctx);
SSL *tls_current_new_ssl(void);
void tls_current_free(void);

/* Days until the current certificate expires (negative when expired); 0 when there is none. */
int tls_current_cert_days_left(void);

#endif
