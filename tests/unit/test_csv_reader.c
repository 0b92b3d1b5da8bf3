/* Unit tests of core/csv_reader: delimiters, BOM, line ends, quoting, numbering, errors, caps, NUL
 * bytes. */
#include "core/csv_reader.h"
#include "core/load_csv.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS 16
#define MAX_FIELDS 8

/* What the callback saw, copied out of the reader's borrowed buffers. */
struct seen {
    size_t n;
    size_t row[MAX_ROWS], line[MAX_ROWS], nfields[MAX_ROWS];
    bool ragged[MAX_ROWS];
    char field[MAX_ROWS][MAX_FIELDS][64];
    size_t stop_after; /* return 7 from this row on; 0 never */
};

static int collect(const struct csv_row *row, void *userdata)
{
    struct seen *s = userdata;
    cr_assert_lt(s->n, MAX_ROWS);
    size_t i = s->n++;
    s->row[i] = row->row;
    s->line[i] = row->line;
    s->nfields[i] = row->nfields;
    s->ragged[i] = row->ragged;
    for (size_t f = 0; f < row->nfields && f < MAX_FIELDS; f++) {
        cr_assert_eq(strlen(row->fields[f]), row->lengths[f]);
        snprintf(s->field[i][f], sizeof s->field[i][f], "%s", row->fields[f]);
    }
    return s->stop_after && row->row >= s->stop_after ? 7 : 0;
}

static int parse(const char *text, struct seen *s, char *err, size_t errlen)
{
    memset(s->row, 0, sizeof s->row);
    return csv_reader_parse_buffer(text, strlen(text), collect, s, NULL, err, errlen);
}

Test(csv_reader, comma_lf_basic, .timeout = 60)
{
    struct seen s = {0};
    char err[160] = "";
    cr_assert_eq(parse("a,b,c\n1,2,3\n4,5,6\n", &s, err, sizeof err), 0, "%s", err);
    cr_assert_eq(s.n, 3);
    cr_assert_str_eq(s.field[0][0], "a");
    cr_assert_str_eq(s.field[2][2], "6");
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(s.row[i], i + 1);
        cr_assert_eq(s.line[i], i + 1);
        cr_assert_eq(s.nfields[i], 3);
        cr_assert_not(s.ragged[i]);
    }
}

Test(csv_reader, bom_semicolon_crlf_like_dutch_excel, .timeout = 60)
{
    struct seen s = {0};
    char err[160] = "";
    const char *text = "\xEF\xBB\xBFmunicipality;period;count\r\nGM0599;2026-Q2;1,5\r\n"
                       "GM0014;2026-Q2;;\r\n";
    struct csv_reader *r = csv_reader_new(collect, &s, NULL);
    cr_assert_not_null(r);
    cr_assert_eq(csv_reader_delimiter(r), 0);
    cr_assert_eq(csv_reader_feed(r, text, strlen(text)), 0);
    cr_assert_eq(csv_reader_finish(r), 0, "%s", csv_reader_error(r));
    cr_assert_eq(csv_reader_delimiter(r), ';');
    cr_assert_eq(csv_reader_header_fields(r), 3);
    csv_reader_free(r);
    (void)err;
    cr_assert_eq(s.n, 3);
    cr_assert_str_eq(s.field[0][0], "municipality", "BOM must not stick to the first field");
    cr_assert_str_eq(s.field[1][2], "1,5", "a comma is data under ';'");
    cr_assert_eq(s.line[1], 2);
    cr_assert_eq(s.line[2], 3);
    cr_assert_eq(s.nfields[2], 4);
    cr_assert(s.ragged[2], "4 fields under a 3-field header is ragged");
    cr_assert_not(s.ragged[1]);
}

Test(csv_reader, quoted_comma_and_doubled_quote, .timeout = 60)
{
    struct seen s = {0};
    char err[160] = "";
    cr_assert_eq(parse("code,name\nGM0820,\"Nuenen, Gerwen en Nederwetten\"\n"
                       "GM0001,\"say \"\"hi\"\"\"\nGM0002,\"\"\n",
                       &s, err, sizeof err),
                 0, "%s", err);
    cr_assert_eq(s.n, 4);
    cr_assert_eq(s.nfields[1], 2);
    cr_assert_str_eq(s.field[1][1], "Nuenen, Gerwen en Nederwetten");
    cr_assert_str_eq(s.field[2][1], "say \"hi\"");
    cr_assert_str_eq(s.field[3][1], "");
}

Test(csv_reader, semicolon_detected_despite_quoted_commas, .timeout = 60)
{
    struct seen s = {0};
    char err[160] = "";
    cr_assert_eq(parse("\"a,b,c\";d\nx;y\n", &s, err, sizeof err), 0, "%s", err);
    cr_assert_eq(s.nfields[0], 2);
    cr_assert_str_eq(s.field[0][0], "a,b,c");
}

Test(csv_reader, row_and_line_numbers_with_multiline_field_and_blank_line, .timeout = 60)
{
    struct seen s = {0};
    char err[160] = "";
    cr_assert_eq(parse("h1,h2\r\n\"two\r\nlines\",x\r\n\r\nlast,y", &s, err, sizeof err), 0, "%s",
                 err);
    cr_assert_eq(s.n, 3);
    cr_assert_str_eq(s.field[1][0], "two\r\nlines");
    cr_assert_eq(s.row[1], 2);
    cr_assert_eq(s.line[1], 2);
    cr_assert_eq(s.row[2], 3, "blank lines are not rows");
    cr_assert_eq(s.line[2], 5, "the record after a 2-line field and a blank line starts on line 5");
    cr_assert_str_eq(s.field[2][0], "last", "a last record without a line end is delivered");
}

Test(csv_reader, ragged_rows_reported, .timeout = 60)
{
    struct seen s = {0};
    char err[160] = "";
    cr_assert_eq(parse("a,b,c\n1,2\n1,2,3\n1,2,3,4\n", &s, err, sizeof err), 0, "%s", err);
    cr_assert_eq(s.n, 4);
    cr_assert_not(s.ragged[0]);
    cr_assert(s.ragged[1]);
    cr_assert_not(s.ragged[2]);
    cr_assert(s.ragged[3]);
    cr_assert_eq(s.nfields[3], 4);
}

Test(csv_reader, empty_trailing_field_counts, .timeout = 60)
{
    struct seen s = {0};
    char err[160] = "";
    cr_assert_eq(parse("m,p,s,d,c,n\nGM0599,2026-Q2,reported,total,,\n", &s, err, sizeof err), 0);
    cr_assert_eq(s.nfields[1], 6);
    cr_assert_str_eq(s.field[1][4], "");
    cr_assert_str_eq(s.field[1][5], "");
    cr_assert_not(s.ragged[1]);
}

Test(csv_reader, byte_at_a_time_equals_whole, .timeout = 60)
{
    const char *text = "\xEF\xBB\xBFx;y\r\n\"a;\"\"b\";2\r\n3;4\r\n";
    struct seen s = {0};
    struct csv_reader *r = csv_reader_new(collect, &s, NULL);
    for (size_t i = 0; text[i]; i++)
        cr_assert_eq(csv_reader_feed(r, text + i, 1), 0, "%s", csv_reader_error(r));
    cr_assert_eq(csv_reader_finish(r), 0);
    csv_reader_free(r);
    cr_assert_eq(s.n, 3);
    cr_assert_str_eq(s.field[0][0], "x");
    cr_assert_str_eq(s.field[1][0], "a;\"b");
    cr_assert_eq(s.line[2], 3);
}

Test(csv_reader, unterminated_quote_is_an_error_with_line, .timeout = 60)
{
    struct seen s = {0};
    char err[160] = "";
    int rc = parse("a,b\n1,2\n3,\"open\n", &s, err, sizeof err);
    cr_assert_eq(rc, CSV_READER_ESYNTAX);
    cr_assert(strstr(err, "line 3") != NULL, "%s", err);
}

Test(csv_reader, quote_inside_unquoted_field_is_an_error, .timeout = 60)
{
    struct seen s = {0};
    char err[160] = "";
    int rc = parse("a,b\n1,2\n3,4\"x\n", &s, err, sizeof err);
    cr_assert_eq(rc, CSV_READER_ESYNTAX);
    cr_assert(strstr(err, "line 3") != NULL, "%s", err);
}

Test(csv_reader, callback_stops_parsing, .timeout = 60)
{
    struct seen s = {.stop_after = 2};
    char err[160] = "";
    cr_assert_eq(parse("a\n1\n2\n3\n", &s, err, sizeof err), 7);
    cr_assert_eq(s.n, 2);
}

Test(csv_reader, caps_on_field_size_and_field_count, .timeout = 60)
{
    struct csv_reader_limits lim = {.max_field_bytes = 16, .max_fields = 3};
    struct seen s = {0};
    char err[160] = "";
    const char *longf = "a\n\"0123456789012345678901234567890\"\n";
    cr_assert_eq(csv_reader_parse_buffer(longf, strlen(longf), collect, &s, &lim, err, sizeof err),
                 CSV_READER_ETOOBIG);
    memset(&s, 0, sizeof s);
    const char *wide = "a,b\n1,2,3,4\n";
    cr_assert_eq(csv_reader_parse_buffer(wide, strlen(wide), collect, &s, &lim, err, sizeof err),
                 CSV_READER_ETOOBIG);
    cr_assert(strstr(err, "line 2") != NULL, "%s", err);

    /* A header line without an end beyond the cap. */
    struct csv_reader_limits hl = {.max_header_bytes = 8};
    memset(&s, 0, sizeof s);
    const char *head = "aaaa,bbbb,cccc";
    cr_assert_eq(csv_reader_parse_buffer(head, strlen(head), collect, &s, &hl, err, sizeof err),
                 CSV_READER_ETOOBIG);
}

Test(csv_reader, empty_input_has_no_rows, .timeout = 60)
{
    struct seen s = {0};
    char err[160] = "";
    cr_assert_eq(parse("", &s, err, sizeof err), 0);
    cr_assert_eq(s.n, 0);
    cr_assert_eq(parse("\xEF\xBB\xBF", &s, err, sizeof err), 0);
    cr_assert_eq(s.n, 0);
}

Test(csv_reader, feed_after_finish_is_refused, .timeout = 60)
{
    struct seen s = {0};
    struct csv_reader *r = csv_reader_new(collect, &s, NULL);
    cr_assert_eq(csv_reader_feed(r, "a\n", 2), 0);
    cr_assert_eq(csv_reader_finish(r), 0);
    cr_assert_eq(csv_reader_feed(r, "b\n", 2), CSV_READER_ESTATE);
    csv_reader_free(r);
}

/* ---- NUL bytes (issue 20 item 6) ------------------------------------------------------------ */

/* A table entry holding text that may contain NUL bytes, with its length. */
#define TEXT_CASE(text, ...)                                                                       \
    {                                                                                              \
        text, sizeof text - 1, __VA_ARGS__                                                         \
    }

/* Parses text[0..len) (which may hold NUL bytes) with the streaming API; returns the result and
 * copies the error and its row. */
static int parse_nul(const char *text, size_t len, struct seen *s, char *err, size_t errlen,
                     size_t *row)
{
    struct csv_reader *r = csv_reader_new(collect, s, NULL);
    cr_assert_not_null(r);
    int rc = csv_reader_feed(r, text, len);
    if (!rc)
        rc = csv_reader_finish(r);
    snprintf(err, errlen, "%s", csv_reader_error(r));
    *row = csv_reader_error_row(r);
    csv_reader_free(r);
    return rc;
}

Test(csv_reader, a_nul_byte_is_an_error_naming_row_and_line, .timeout = 60)
{
    /* What "GM0599\0Jan Jansen" would have been read as: "GM0599", the rest vanishing. */
    static const char text[] = "municipality,period\nGM0599\0Jan Jansen,2021-Q3\nGM0014,2021-Q3\n";
    struct seen s = {0};
    char err[160];
    size_t row;
    cr_assert_eq(parse_nul(text, sizeof text - 1, &s, err, sizeof err, &row), CSV_READER_ENUL);
    cr_assert_str_eq(err, "line 2: the CSV holds a NUL byte (0x00)");
    cr_assert_eq(row, 2);
    cr_assert_eq(s.n, 1, "only the header was delivered; row 2 never reaches the callback");

    /* The convenience wrapper says the same. */
    memset(&s, 0, sizeof s);
    char err2[160] = "";
    cr_assert_eq(
        csv_reader_parse_buffer(text, sizeof text - 1, collect, &s, NULL, err2, sizeof err2),
        CSV_READER_ENUL);
    cr_assert_str_eq(err2, err);
}

Test(csv_reader, a_nul_byte_anywhere_is_refused, .timeout = 60)
{
    static const struct {
        const char *text;
        size_t len;
        size_t row, line;
    } cases[] = {
        TEXT_CASE("a,b\0c\n1,2\n", 1, 1),          /* in the header */
        TEXT_CASE("\0", 1, 1),                     /* alone */
        TEXT_CASE("a,b\n1,\"x\ny\0\"\n", 2, 3),    /* in a quoted field, on its second line */
        TEXT_CASE("a,b\n\n\n1,2\0\n", 2, 4),       /* after blank lines: row 2 on line 4 */
        TEXT_CASE("a;b\r\n1;2\r\n3;\0\r\n", 3, 3), /* ';' and CRLF */
        TEXT_CASE("a,b\n1,2\n3,4,\0", 3, 3),       /* an extra field of a last, unended row */
        TEXT_CASE("\xEF\xBB\xBF\0a,b\n", 1, 1),    /* right after the BOM */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct seen s = {0};
        char err[160], want[64];
        size_t row;
        cr_assert_eq(parse_nul(cases[i].text, cases[i].len, &s, err, sizeof err, &row),
                     CSV_READER_ENUL, "case %zu: %s", i, err);
        cr_assert_eq(row, cases[i].row, "case %zu: row %zu", i, row);
        snprintf(want, sizeof want, "line %zu: the CSV holds a NUL byte (0x00)", cases[i].line);
        cr_assert_str_eq(err, want, "case %zu", i);
        cr_assert_eq(s.n, cases[i].row - 1, "case %zu: rows before it are delivered", i);

        /* Fed a byte at a time, the same. */
        memset(&s, 0, sizeof s);
        struct csv_reader *r = csv_reader_new(collect, &s, NULL);
        int rc = 0;
        for (size_t b = 0; b < cases[i].len && rc == 0; b++)
            rc = csv_reader_feed(r, cases[i].text + b, 1);
        if (!rc)
            rc = csv_reader_finish(r);
        cr_assert_eq(rc, CSV_READER_ENUL, "case %zu byte by byte", i);
        cr_assert_str_eq(csv_reader_error(r), want, "case %zu byte by byte", i);
        cr_assert_eq(csv_reader_error_row(r), cases[i].row, "case %zu byte by byte", i);
        csv_reader_free(r);
    }
}

Test(csv_reader, error_row_is_zero_without_a_reader_error, .timeout = 60)
{
    struct seen s = {0};
    struct csv_reader *r = csv_reader_new(collect, &s, NULL);
    cr_assert_eq(csv_reader_feed(r, "a\n1\n", 4), 0);
    cr_assert_eq(csv_reader_finish(r), 0);
    cr_assert_eq(csv_reader_error_row(r), 0);
    cr_assert_eq(csv_reader_feed(r, "b\n", 2), CSV_READER_ESTATE);
    cr_assert_eq(csv_reader_error_row(r), 0, "feeding after the end is in no row");
    csv_reader_free(r);

    memset(&s, 0, sizeof s);
    char err[160];
    size_t row;
    cr_assert_eq(parse_nul("a,b\n1,2\n3,\"open\n", 16, &s, err, sizeof err, &row),
                 CSV_READER_ESYNTAX);
    cr_assert_eq(row, 3, "other errors name their row too");
}

/* The other consumer of the reader that reads client files, `trechterd load` (core/load_csv.c),
 * refuses a NUL byte through it, naming the line, wherever it is: in a column it reads, one it
 * does not, or the header. */
Test(csv_reader, trechterd_load_refuses_a_nul_byte_naming_the_line, .timeout = 60)
{
    static const struct {
        const char *text;
        size_t len;
        size_t line;
    } cases[] = {
        TEXT_CASE("municipality_code,year,population_0_17\nGM0014,2024,5\nGM0034,20\0"
                  "24,6\n",
                  3),
        TEXT_CASE("municipality_code,year,population_0_17,note\nGM0014,2024,5,a\0b\n", 2),
        TEXT_CASE("municipality_code\0x,year,population_0_17\nGM0014,2024,5\n", 1),
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct loader_parse p;
        cr_assert_eq(
            loader_parse_buffer(LOADER_POPULATION, NULL, NULL, cases[i].text, cases[i].len, &p), 0);
        cr_assert_geq(p.nerrors, 1, "case %zu", i);
        cr_assert_eq(p.errors[p.nerrors - 1].line, cases[i].line, "case %zu: line %zu", i,
                     p.errors[p.nerrors - 1].line);
        cr_assert(strstr(p.errors[p.nerrors - 1].message, "NUL byte (0x00)") != NULL,
                  "case %zu: %s", i, p.errors[p.nerrors - 1].message);
        loader_parse_free(&p);
    }
}
