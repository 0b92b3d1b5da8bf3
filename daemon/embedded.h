/* Files built into the binary at compile time (cmake/embed.cmake): migrations, reference data,
 * the OpenAPI document and the dashboard (each dashboard file also as "<name>.gz", gzip -9 -n,
 * where that is smaller). Each is NUL-terminated one byte past len, so text can be used as a
 * string. */
#ifndef TRECHTER_EMBEDDED_H
#define TRECHTER_EMBEDDED_H
#include <stddef.h>

struct embedded_file {
    const char *name;          /* path relative to the source root, e.g. "sql/001_schema.sql" */
    const unsigned char *data; /* static, NUL-terminated */
    size_t len;                /* without the terminating NUL */
    const char *sha256;        /* static: lower-case hex SHA-256 of data[0..len), from the build */
};

/* Terminated by an entry whose name is NULL; sorted as the build listed them. */
extern const struct embedded_file embedded_files[];

/* The file named exactly `name`, or NULL. */
const struct embedded_file *embedded_find(const char *name);

#endif
