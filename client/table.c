/* Aligned text tables (pure); see table.h. */
#include "client/table.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct table {
    size_t ncols;
    char **cells; /* owned; headers first (ncols of them), then the rows, row-major */
    size_t ncells, cap;
    unsigned char *right; /* owned; per column: right-aligned */
};

size_t text_width(const char *s)
{
    size_t w = 0;
    for (; s != NULL && *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

struct table *table_new(size_t ncols, const char *const *headers)
{
    struct table *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->ncols = ncols;
    t->right = calloc(ncols ? ncols : 1, 1);
    if (t->right == NULL) {
        free(t);
        return NULL;
    }
    for (size_t i = 0; i < ncols; i++) {
        if (table_add(t, headers[i]) != 0) {
            table_free(t);
            return NULL;
        }
    }
    return t;
}

void table_align_right(struct table *t, size_t col)
{
    if (col < t->ncols)
        t->right[col] = 1;
}

int table_add(struct table *t, const char *text)
{
    if (t->ncells == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char **c = realloc(t->cells, cap * sizeof *c);
        if (c == NULL)
            return -1;
        t->cells = c;
        t->cap = cap;
    }
    char *copy = strdup(text ? text : "");
    if (copy == NULL)
        return -1;
    t->cells[t->ncells++] = copy;
    return 0;
}

int table_addf(struct table *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    int rc = table_add(t, s);
    free(s);
    return rc;
}

size_t table_rows(const struct table *t)
{
    if (t->ncols == 0)
        return 0;
    return (t->ncells - t->ncols + t->ncols - 1) / t->ncols;
}

static void print_row(const struct table *t, FILE *out, char *const *cells, size_t have,
                      const size_t *width)
{
    /* the last column that has text: nothing is printed after it */
    size_t last = 0;
    for (size_t c = 0; c < t->ncols; c++)
        if (c < have && cells[c][0] != '\0')
            last = c;
    for (size_t c = 0; c <= last; c++) {
        const char *s = c < have ? cells[c] : "";
        size_t pad = width[c] - text_width(s);
        if (c > 0)
            fputs("  ", out);
        if (t->right[c])
            fprintf(out, "%*s%s", (int)pad, "", s);
        else if (c == last)
            fputs(s, out);
        else
            fprintf(out, "%s%*s", s, (int)pad, "");
    }
    fputc('\n', out);
}

void table_print(const struct table *t, FILE *out)
{
    if (t->ncols == 0)
        return;
    size_t *width = calloc(t->ncols, sizeof *width);
    if (width == NULL)
        return;
    for (size_t i = 0; i < t->ncells; i++) {
        size_t w = text_width(t->cells[i]);
        if (w > width[i % t->ncols])
            width[i % t->ncols] = w;
    }
    print_row(t, out, t->cells, t->ncols, width);
    size_t total = 0;
    for (size_t c = 0; c < t->ncols; c++)
        total += width[c] + (c > 0 ? 2 : 0);
    for (size_t i = 0; i < total; i++)
        fputc('-', out);
    fputc('\n', out);
    for (size_t i = t->ncols; i < t->ncells; i += t->ncols) {
        size_t have = t->ncells - i < t->ncols ? t->ncells - i : t->ncols;
        print_row(t, out, t->cells + i, have, width);
    }
    free(width);
}

void table_free(struct table *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->ncells; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->right);
    free(t);
}
