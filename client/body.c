/* Request bodies from files or stdin, and CSV/JSON detection for imports; see body.h. */
#include "client/body.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "client/errbuf.h"

int body_read(const char *path, size_t cap, char **out, size_t *len, char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    int from_stdin = path == NULL || strcmp(path, "-") == 0;
    const char *name = from_stdin ? "standard input" : path;
    FILE *f = from_stdin ? stdin : fopen(path, "rb");
    if (f == NULL) {
        errbuf_set(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = -1;
    size_t have = 0, size = 64 * 1024;
    char *buf = malloc(size + 1);
    if (buf == NULL) {
        errbuf_set(err, errlen, "out of memory");
        goto out;
    }
    for (;;) {
        if (have == size) {
            if (size > cap) {
                errbuf_set(err, errlen, "%s is larger than %zu MiB", name, cap / (1024 * 1024));
                goto out;
            }
            size_t nsize = size * 2;
            char *nb = realloc(buf, nsize + 1);
            if (nb == NULL) {
                errbuf_set(err, errlen, "out of memory");
                goto out;
            }
            buf = nb;
            size = nsize;
        }
        size_t n = fread(buf + have, 1, size - have, f);
        have += n;
        if (n == 0) {
            if (ferror(f)) {
                errbuf_set(err, errlen, "cannot read %s: %s", name, strerror(errno));
                goto out;
            }
            break;
        }
    }
    if (have > cap) {
        errbuf_set(err, errlen, "%s is larger than %zu MiB", name, cap / (1024 * 1024));
        goto out;
    }
    buf[have] = '\0';
    *out = buf;
    *len = have;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    if (!from_stdin)
        fclose(f);
    return rc;
}

enum import_type import_type_sniff(const char *path, const char *data, size_t len)
{
    const char *dot = path != NULL ? strrchr(path, '.') : NULL;
    if (dot != NULL && strchr(dot, '/') == NULL) {
        if (strcasecmp(dot, ".json") == 0)
            return IMPORT_JSON;
        if (strcasecmp(dot, ".csv") == 0 || strcasecmp(dot, ".txt") == 0)
            return IMPORT_CSV;
    }
    size_t i = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    if (i < len && (data[i] == '[' || data[i] == '{'))
        return IMPORT_JSON;
    return IMPORT_CSV;
}
