/* Aligned text tables for the terminal (pure): cells are added row by row, columns are as wide as
 * their widest cell (counted in UTF-8 characters), numbers can be right-aligned. */
#ifndef TRECHTER_CLIENT_TABLE_H
#define TRECHTER_CLIENT_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct table;

/* A table with the given column headers (copied). NULL when out of memory. */
struct table *table_new(size_t ncols, const char *const *headers);
/* Right-aligns a column (for numbers). */
void table_align_right(struct table *t, size_t col);
/* Appends the next cell, row-major (a NULL text is an empty cell). 0 or -1 (out of memory). */
int table_add(struct table *t, const char *text);
int table_addf(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
size_t table_rows(const struct table *t);
/* Prints the header, a rule of dashes and the rows; columns two spaces apart, no trailing
 * spaces. An incomplete last row is padded with empty cells. */
void table_print(const struct table *t, FILE *out);
void table_free(struct table *t);

/* The number of characters (UTF-8 code points) in s. */
size_t text_width(const char *s);

#endif
