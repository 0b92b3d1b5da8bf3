/* A streaming CSV reader over libcsv for uploaded and shipped tables: detects `,` or `;` from the
 * header line, skips a UTF-8 BOM, accepts CRLF or LF and RFC 4180 quoting, and numbers records.
 *
 * Use: csv_reader_new() with a row callback, csv_reader_feed() any number of byte chunks of any
 * size, csv_reader_finish() once, csv_reader_free(). The reader does no I/O and keeps no global
 * state; it is safe to use one reader per thread.
 *
 * Numbering: `row` is the record's ordinal, the header being row 1 (what the API's `"row 14/count"`
 * pointers and an operator's spreadsheet call a row). `line` is the 1-based physical line on which
 * the record starts; it differs from `row` only after a quoted field spanning lines or a blank
 * line. Blank lines (no characters at all between line ends) are skipped and are not rows.
 *
 * Fields: unquoted fields have surrounding spaces and tabs trimmed (libcsv's behaviour); quoted
 * fields are kept exactly, `""` inside quotes being one `"`. Strict: a quote inside an unquoted
 * field, text after a closing quote, or an unterminated quote at the end is an error naming the
 * line. So is a NUL byte anywhere, quoted or not (CSV_READER_ENUL): every consumer reads fields
 * as C strings, and a NUL would silently cut one short ("GM0599\0Jan Jansen" read as "GM0599").
 * Every buffer is capped (csv_reader_limits), so a hostile upload cannot grow memory. */
#ifndef TRECHTER_CSV_READER_H
#define TRECHTER_CSV_READER_H
#include <stdbool.h>
#include <stddef.h>

struct csv_reader;

/* One record, valid only during the callback (fields point into the reader's buffers). */
struct csv_row {
    size_t row;                /* 1-based record number; the header is row 1 */
    size_t line;               /* 1-based physical line where the record starts */
    size_t nfields;            /* >= 1 */
    const char *const *fields; /* nfields NUL-terminated strings (borrowed) */
    const size_t *lengths;     /* byte length of each field (== strlen: a NUL is refused) */
    bool ragged;               /* nfields differs from the header's field count */
};

/* Called once per record, header included. Returning a positive value stops parsing: feed/finish
 * then return that value and the reader accepts no more input. (Negative values are the reader's
 * own csv_reader_status codes; a callback should not use them.) */
typedef int (*csv_row_fn)(const struct csv_row *row, void *userdata);

struct csv_reader_limits {
    size_t max_field_bytes;  /* one field; 0 means 64 KiB */
    size_t max_fields;       /* per record; 0 means 256 */
    size_t max_header_bytes; /* the header line, buffered to detect the delimiter; 0 means 64 KiB */
};

/* Errors from feed/finish besides a callback's own value. */
enum csv_reader_status {
    CSV_READER_OK = 0,
    CSV_READER_ESYNTAX = -1, /* malformed quoting */
    CSV_READER_ETOOBIG = -2, /* a limit was exceeded */
    CSV_READER_ENOMEM = -3,
    CSV_READER_ESTATE = -4, /* fed after finish or after an error */
    CSV_READER_ENUL = -5,   /* a NUL byte (0x00) in the input */
};

/* limits may be NULL for the defaults. Returns NULL only when out of memory. */
struct csv_reader *csv_reader_new(csv_row_fn fn, void *userdata,
                                  const struct csv_reader_limits *limits);

/* Parses len bytes; rows completed by them are delivered before it returns. Returns 0, a
 * csv_reader_status, or the callback's non-zero value. */
int csv_reader_feed(struct csv_reader *r, const void *data, size_t len);

/* Ends the input: delivers a last record that has no line end. Same return values as feed. An
 * input with no record at all is not an error (the caller sees no header). */
int csv_reader_finish(struct csv_reader *r);

/* After a csv_reader_status error: a message naming the line, e.g. "line 7: malformed quoting". */
const char *csv_reader_error(const struct csv_reader *r);

/* After a csv_reader_status error: the row (record number, the header being 1) that was being read
 * when it was found, e.g. the row holding a NUL byte. 0 after CSV_READER_ESTATE, and when there was
 * no such error. */
size_t csv_reader_error_row(const struct csv_reader *r);

/* The delimiter detected from the header (',' or ';'), or 0 before the header line is complete. */
char csv_reader_delimiter(const struct csv_reader *r);

/* Field count of the header (row 1), or 0 before it was read. */
size_t csv_reader_header_fields(const struct csv_reader *r);

void csv_reader_free(struct csv_reader *r);

/* Convenience for a whole buffer in memory: new + feed + finish + free. On a reader error the
 * message is copied into err. Returns as csv_reader_feed. */
int csv_reader_parse_buffer(const void *data, size_t len, csv_row_fn fn, void *userdata,
                            const struct csv_reader_limits *limits, char *err, size_t errlen);

#endif
