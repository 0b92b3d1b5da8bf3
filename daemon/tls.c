/* Server TLS context creation and the reloadable current context shared by all workers. */
#include "daemon/tls.h"

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static SSL_CTX *current; /* owned; guarded by current_lock */

/* Session-ticket keys are made once per process so tickets issued before a SIGHUP reload still
 * resume afterwards. */
static pthread_once_t ticket_once = PTHREAD_ONCE_INIT;
static unsigned char ticket_keys[80];
static int ticket_keys_ok;

static void make_ticket_keys(void)
{
    ticket_keys_ok = RAND_bytes(ticket_keys, sizeof ticket_keys) == 1;
}

static void openssl_error(char *err, size_t errlen, const char *what, const char *file)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "";
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    snprintf(err, errlen, "%s %s%s%s", what, file ? file : "", buf[0] ? ": " : "", buf);
    ERR_clear_error();
}

SSL_CTX *tls_server_ctx_new(const char *cert_file, const char *key_file, const char *client_ca_file,
                            char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        openssl_error(err, errlen, "cannot create TLS context", NULL);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* HTTP framing detects truncation; a peer closing without close_notify is not an error
     * (PITFALLS: OpenSSL 3 unexpected EOF with libevent 2.1.12). */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL:!MD5:!RC4:!3DES");
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    static const unsigned char sid_ctx[] = "trechterd";
    SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1);
    pthread_once(&ticket_once, make_ticket_keys);
    if (ticket_keys_ok)
        SSL_CTX_set_tlsext_ticket_keys(ctx, ticket_keys, sizeof ticket_keys);

    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        openssl_error(err, errlen, "cannot load certificate", cert_file);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
        openssl_error(err, errlen, "cannot load private key", key_file);
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        openssl_error(err, errlen, "private key does not match certificate", key_file);
        goto fail;
    }
    if (client_ca_file) {
        if (SSL_CTX_load_verify_locations(ctx, client_ca_file, NULL) != 1) {
            openssl_error(err, errlen, "cannot load client CA", client_ca_file);
            goto fail;
        }
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(client_ca_file);
        if (names)
            SSL_CTX_set_client_CA_list(ctx, names);
        /* Tokens remain a way in, so a certificate is asked for but not required; one that is
         * presented and does not verify fails the handshake. */
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        SSL_CTX_set_verify_depth(ctx, 4);
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

void tls_current_replace(SSL_CTX *ctx)
{
    pthread_mutex_lock(&current_lock);
    SSL_CTX *old = current;
    current = ctx;
    pthread_mutex_unlock(&current_lock);
    SSL_CTX_free(old);
}

SSL *tls_current_new_ssl(void)
{
    pthread_mutex_lock(&current_lock);
    SSL *ssl = current ? SSL_new(current) : NULL;
    pthread_mutex_unlock(&current_lock);
    return ssl;
}

void tls_current_free(void)
{
    tls_current_replace(NULL);
}

int tls_current_cert_days_left(void)
{
    int days = 0, secs = 0;
    pthread_mutex_lock(&current_lock);
    X509 *cert = current ? SSL_CTX_get0_certificate(current) : NULL;
    if (cert)
        ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert));
    pthread_mutex_unlock(&current_lock);
    return days;
}
