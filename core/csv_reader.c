/* Streaming CSV reader over libcsv: delimiter detection, BOM, record and line numbers, caps. */
#include "core/csv_reader.h"

#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes handed to libcsv per csv_parse call. libcsv grows its field buffer by at most this much
 * per call, which is how its buffer stays within max_field_bytes + CSV_SLICE. */
#define CSV_SLICE 4096

enum csv_reader_state {
    READER_HEADER, /* buffering the first line to detect BOM and delimiter */
    READER_BODY,   /* libcsv initialised, parsing */
    READER_DONE,   /* finished, stopped by the callback, or failed */
};

struct csv_reader {
    struct csv_parser parser; /* valid once state >= READER_BODY (parser_ready) */
    bool parser_ready;
    enum csv_reader_state state;
    csv_row_fn fn;
    void *userdata;
    struct csv_reader_limits limits;

    char *header; /* owned: the first line as received, until the delimiter is known */
    size_t header_len, header_cap;
    char delimiter;

    /* The record being assembled: field bytes, each followed by a NUL, in one owned buffer. */
    char *buf;
    size_t buf_len, buf_cap;
    size_t *offsets;   /* owned, field_cap entries */
    size_t *lengths;   /* owned */
    const char **ptrs; /* owned array; entries borrow from buf while the callback runs */
    size_t nfields, field_cap;
    size_t embedded_newlines; /* '\n' inside quoted fields of the current record */

    size_t rows;      /* records delivered */
    size_t next_line; /* physical line on which the next record starts */
    size_t header_fields;
    int result; /* first non-zero: callback value or csv_reader_status */
    char error[160];
    size_t error_row; /* the record being read when `result` became a csv_reader_status */
};

/* Records the first error, found on physical line `line`. */
static void fail_on_line(struct csv_reader *r, int status, size_t line, const char *what)
{
    if (r->result)
        return;
    r->result = status;
    r->error_row = status == CSV_READER_ESTATE ? 0 : r->rows + 1;
    snprintf(r->error, sizeof r->error, "line %zu: %s", line, what);
}

static void fail(struct csv_reader *r, int status, const char *what)
{
    fail_on_line(r, status, r->next_line + r->embedded_newlines, what);
}

static int ensure_field_slots(struct csv_reader *r)
{
    if (r->nfields < r->field_cap)
        return 0;
    size_t cap = r->field_cap ? r->field_cap * 2 : 16;
    if (cap > r->limits.max_fields)
        cap = r->limits.max_fields;
    size_t *offsets = realloc(r->offsets, cap * sizeof *offsets);
    if (offsets)
        r->offsets = offsets;
    size_t *lengths = realloc(r->lengths, cap * sizeof *lengths);
    if (lengths)
        r->lengths = lengths;
    const char **ptrs = realloc(r->ptrs, cap * sizeof *ptrs);
    if (ptrs)
        r->ptrs = ptrs;
    if (!offsets || !lengths || !ptrs)
        return -1;
    r->field_cap = cap;
    return 0;
}

static void on_field(void *data, size_t len, void *userdata)
{
    struct csv_reader *r = userdata;
    if (r->result)
        return;
    if (r->nfields >= r->limits.max_fields) {
        fail(r, CSV_READER_ETOOBIG, "too many fields in one record");
        return;
    }
    if (len > r->limits.max_field_bytes) {
        fail(r, CSV_READER_ETOOBIG, "field too long");
        return;
    }
    const char *nul = len ? memchr(data, '\0', len) : NULL;
    if (nul) {
        /* Consumers read fields as C strings: a NUL would silently cut one short. */
        size_t line = r->next_line + r->embedded_newlines;
        for (const char *c = data; c < nul; c++)
            line += *c == '\n';
        fail_on_line(r, CSV_READER_ENUL, line, "the CSV holds a NUL byte (0x00)");
        return;
    }
    if (ensure_field_slots(r) != 0) {
        fail(r, CSV_READER_ENOMEM, "out of memory");
        return;
    }
    if (r->buf_len + len + 1 > r->buf_cap) {
        size_t cap = r->buf_cap ? r->buf_cap : 256;
        while (cap < r->buf_len + len + 1)
            cap *= 2;
        char *buf = realloc(r->buf, cap);
        if (!buf) {
            fail(r, CSV_READER_ENOMEM, "out of memory");
            return;
        }
        r->buf = buf;
        r->buf_cap = cap;
    }
    if (len)
        memcpy(r->buf + r->buf_len, data, len);
    r->buf[r->buf_len + len] = '\0';
    r->offsets[r->nfields] = r->buf_len;
    r->lengths[r->nfields] = len;
    r->nfields++;
    r->buf_len += len + 1;
    for (size_t i = 0; i < len; i++)
        if (((const char *)data)[i] == '\n')
            r->embedded_newlines++;
}

/* libcsv ends a record at every unquoted CR and LF (CSV_REPALL_NL), reporting lines without
 * fields too; only LF advances the line count, so CRLF and LF count alike. */
static void on_record_end(int c, void *userdata)
{
    struct csv_reader *r = userdata;
    if (r->result)
        return;
    if (r->nfields > 0) {
        for (size_t i = 0; i < r->nfields; i++)
            r->ptrs[i] = r->buf + r->offsets[i];
        r->rows++;
        if (r->rows == 1)
            r->header_fields = r->nfields;
        struct csv_row row = {
            .row = r->rows,
            .line = r->next_line,
            .nfields = r->nfields,
            .fields = r->ptrs,
            .lengths = r->lengths,
            .ragged = r->rows > 1 && r->nfields != r->header_fields,
        };
        int rc = r->fn(&row, r->userdata);
        if (rc)
            r->result = rc;
    }
    r->next_line += r->embedded_newlines + (c == '\n');
    r->embedded_newlines = 0;
    r->nfields = 0;
    r->buf_len = 0;
}

/* The delimiter is whichever of ';' and ',' occurs more often outside quotes in the header line;
 * a tie (a one-column header) means ','. */
static char detect_delimiter(const char *s, size_t len)
{
    size_t commas = 0, semicolons = 0;
    bool quoted = false;
    for (size_t i = 0; i < len && (quoted || s[i] != '\n'); i++) {
        if (s[i] == '"')
            quoted = !quoted;
        else if (!quoted && s[i] == ',')
            commas++;
        else if (!quoted && s[i] == ';')
            semicolons++;
    }
    return semicolons > commas ? ';' : ',';
}

static int parse_slices(struct csv_reader *r, const char *data, size_t len)
{
    while (len > 0 && !r->result) {
        size_t n = len < CSV_SLICE ? len : CSV_SLICE;
        size_t done = csv_parse(&r->parser, data, n, on_field, on_record_end, r);
        if (r->result)
            break;
        if (done != n) {
            int e = csv_error(&r->parser);
            fail(r,
                 e == CSV_ENOMEM    ? CSV_READER_ENOMEM
                 : e == CSV_ETOOBIG ? CSV_READER_ETOOBIG
                                    : CSV_READER_ESYNTAX,
                 e == CSV_EPARSE ? "malformed quoting (a quote inside an unquoted field, or text "
                                   "after a closing quote)"
                                 : csv_strerror(e));
            break;
        }
        if (csv_get_buffer_size(&r->parser) > r->limits.max_field_bytes + CSV_SLICE + 1024) {
            fail(r, CSV_READER_ETOOBIG, "field too long");
            break;
        }
        data += n;
        len -= n;
    }
    if (r->result)
        r->state = READER_DONE;
    return r->result;
}

/* Leaves header mode: strips a BOM, picks the delimiter, starts libcsv and parses the buffer. */
static int start_body(struct csv_reader *r)
{
    const char *s = r->header ? r->header : "";
    size_t len = r->header_len;
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
        len -= 3;
    }
    r->delimiter = detect_delimiter(s, len);
    if (csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0) {
        fail(r, CSV_READER_ENOMEM, "out of memory");
        r->state = READER_DONE;
        return r->result;
    }
    r->parser_ready = true;
    csv_set_delim(&r->parser, (unsigned char)r->delimiter);
    r->state = READER_BODY;
    int rc = parse_slices(r, s, len);
    free(r->header);
    r->header = NULL;
    r->header_len = r->header_cap = 0;
    return rc;
}

struct csv_reader *csv_reader_new(csv_row_fn fn, void *userdata,
                                  const struct csv_reader_limits *limits)
{
    struct csv_reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->fn = fn;
    r->userdata = userdata;
    if (limits)
        r->limits = *limits;
    if (!r->limits.max_field_bytes)
        r->limits.max_field_bytes = 64 * 1024;
    if (!r->limits.max_fields)
        r->limits.max_fields = 256;
    if (!r->limits.max_header_bytes)
        r->limits.max_header_bytes = 64 * 1024;
    r->state = READER_HEADER;
    r->next_line = 1;
    return r;
}

int csv_reader_feed(struct csv_reader *r, const void *data, size_t len)
{
    if (r->state == READER_DONE) {
        if (!r->result)
            fail(r, CSV_READER_ESTATE, "input after the end");
        return r->result;
    }
    const char *s = data;
    if (r->state == READER_HEADER) {
        const char *nl = len ? memchr(s, '\n', len) : NULL;
        size_t take = nl ? (size_t)(nl - s) + 1 : len;
        if (r->header_len + take > r->limits.max_header_bytes) {
            fail(r, CSV_READER_ETOOBIG, "header line too long");
            r->state = READER_DONE;
            return r->result;
        }
        if (r->header_len + take > r->header_cap) {
            size_t cap = r->header_cap ? r->header_cap : 256;
            while (cap < r->header_len + take)
                cap *= 2;
            char *h = realloc(r->header, cap);
            if (!h) {
                fail(r, CSV_READER_ENOMEM, "out of memory");
                r->state = READER_DONE;
                return r->result;
            }
            r->header = h;
            r->header_cap = cap;
        }
        if (take)
            memcpy(r->header + r->header_len, s, take);
        r->header_len += take;
        if (!nl)
            return 0;
        int rc = start_body(r);
        if (rc)
            return rc;
        s += take;
        len -= take;
    }
    return parse_slices(r, s, len);
}

int csv_reader_finish(struct csv_reader *r)
{
    if (r->state == READER_DONE) {
        if (!r->result)
            fail(r, CSV_READER_ESTATE, "finished twice");
        return r->result;
    }
    if (r->state == READER_HEADER && start_body(r) != 0)
        return r->result;
    if (csv_fini(&r->parser, on_field, on_record_end, r) != 0 && !r->result)
        fail(r, CSV_READER_ESYNTAX, "unterminated quoted field");
    r->state = READER_DONE;
    return r->result;
}

const char *csv_reader_error(const struct csv_reader *r)
{
    return r->error;
}

size_t csv_reader_error_row(const struct csv_reader *r)
{
    return r->result < 0 ? r->error_row : 0;
}

char csv_reader_delimiter(const struct csv_reader *r)
{
    return r->state == READER_HEADER ? 0 : r->delimiter;
}

size_t csv_reader_header_fields(const struct csv_reader *r)
{
    return r->header_fields;
}

void csv_reader_free(struct csv_reader *r)
{
    if (!r)
        return;
    if (r->parser_ready)
        csv_free(&r->parser);
    free(r->header);
    free(r->buf);
    free(r->offsets);
    free(r->lengths);
    free(r->ptrs);
    free(r);
}

int csv_reader_parse_buffer(const void *data, size_t len, csv_row_fn fn, void *userdata,
                            const struct csv_reader_limits *limits, char *err, size_t errlen)
{
    struct csv_reader *r = csv_reader_new(fn, userdata, limits);
    if (!r) {
        if (errlen)
            snprintf(err, errlen, "out of memory");
        return CSV_READER_ENOMEM;
    }
    int rc = csv_reader_feed(r, data, len);
    if (!rc)
        rc = csv_reader_finish(r);
    if (rc < 0 && errlen)
        snprintf(err, errlen, "%s", csv_reader_error(r));
    csv_reader_free(r);
    return rc;
}
