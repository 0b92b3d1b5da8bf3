/* File I/O for configuration: the config file and the token file; see config_file.h. */
#include "client/config_file.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "client/errbuf.h"

#define CONFIG_MAX_BYTES (64 * 1024)
#define TOKEN_FILE_MAX_BYTES 4096

char *config_default_path(void)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    char *path = NULL;
    int n;
    if (xdg != NULL && *xdg == '/')
        n = asprintf(&path, "%s/trechter/config", xdg);
    else if (home != NULL && *home != '\0')
        n = asprintf(&path, "%s/.config/trechter/config", home);
    else
        return NULL;
    return n < 0 ? NULL : path;
}

/* Reads a whole small file (at most cap bytes) into a NUL-terminated buffer; its stat in *st.
 * Returns 0, 1 when it does not exist, or -1 with err set. */
static int read_small(const char *path, size_t cap, char **out, size_t *len, struct stat *st,
                      char *err, size_t errlen)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 1;
        errbuf_set(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = -1;
    char *buf = NULL;
    if (fstat(fd, st) != 0 || S_ISDIR(st->st_mode)) { /* pipes are fine: --token-file <(pass x) */
        errbuf_set(err, errlen, "%s is a directory", path);
        goto out;
    }
    if ((size_t)st->st_size > cap) {
        errbuf_set(err, errlen, "%s is larger than %zu bytes", path, cap);
        goto out;
    }
    buf = calloc(1, cap + 1);
    if (buf == NULL) {
        errbuf_set(err, errlen, "out of memory");
        goto out;
    }
    size_t have = 0;
    for (;;) {
        ssize_t n = read(fd, buf + have, cap - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            errbuf_set(err, errlen, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        have += (size_t)n;
        if (have == cap) {
            char extra;
            if (read(fd, &extra, 1) > 0) {
                errbuf_set(err, errlen, "%s is larger than %zu bytes", path, cap);
                goto out;
            }
            break;
        }
    }
    *len = have;
    *out = buf;
    buf = NULL;
    rc = 0;
out:
    if (buf != NULL) {
        OPENSSL_cleanse(buf, cap);
        free(buf);
    }
    close(fd);
    return rc;
}

int config_file_load(const char *path, int required, struct config_file *out, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof *out);
    char *text;
    size_t len;
    struct stat st;
    int r = read_small(path, CONFIG_MAX_BYTES, &text, &len, &st, err, errlen);
    if (r == 1) {
        if (!required)
            return 0;
        errbuf_set(err, errlen, "config file %s does not exist", path);
        return -1;
    }
    if (r != 0)
        return -1;
    int owner_only = (st.st_mode & (S_IRWXG | S_IRWXO)) == 0;
    int rc = config_file_parse(text, path, owner_only, out, err, errlen);
    OPENSSL_cleanse(text, len);
    free(text);
    return rc;
}

int token_file_read(const char *path, char **out, char *err, size_t errlen)
{
    *out = NULL;
    char *text;
    size_t len;
    struct stat st;
    int r = read_small(path, TOKEN_FILE_MAX_BYTES, &text, &len, &st, err, errlen);
    if (r == 1) {
        errbuf_set(err, errlen, "token file %s does not exist", path);
        return -1;
    }
    if (r != 0)
        return -1;
    if (memchr(text, '\0', len) != NULL || token_check(text) != 0) {
        errbuf_set(err, errlen,
                   "token file %s does not hold a token (one line of visible characters, at most "
                   "4096)",
                   path);
        OPENSSL_cleanse(text, len);
        free(text);
        return -1;
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        fprintf(stderr, "trechter: warning: token file %s is readable by others (chmod 600 it)\n",
                path);
    *out = text;
    return 0;
}

void token_free(char *token)
{
    if (token == NULL)
        return;
    OPENSSL_cleanse(token, strlen(token));
    free(token);
}
