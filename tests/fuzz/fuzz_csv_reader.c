/* libFuzzer harness: the streaming CSV reader (core/csv_reader.h). The first three bytes pick
 * small limits (so the caps are reached) and the rest is the CSV. It is parsed twice, as one buffer
 * and fed in random pieces, and both runs must deliver the same records (row, line, fields, ragged
 * flag) and end with the same result, message and error row: a reader that depends on where the
 * network cut the upload would number rows differently or lose a BOM. No field may hold a NUL
 * byte, and no input holding one may be accepted. */
#include "core/csv_reader.h"

#include "tests/fuzz/fuzz_support.h"

/* A digest of every record delivered, plus checks of each record's shape. */
struct trace {
    uint64_t hash;
    size_t rows;
    size_t last_line;
    size_t header_fields;
    size_t max_fields;
    size_t max_field_bytes;
    int stop_at; /* the callback returns 7 at this row (0: never) */
};

static void mix(struct trace *t, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        t->hash = (t->hash ^ b[i]) * 0x100000001B3ull;
}

static int on_row(const struct csv_row *row, void *userdata)
{
    struct trace *t = userdata;
    FUZZ_CHECK(row->row == t->rows + 1, "row %zu after %zu", row->row, t->rows);
    FUZZ_CHECK(row->line >= t->last_line && row->line >= 1, "line %zu after %zu", row->line,
               t->last_line);
    FUZZ_CHECK(row->nfields >= 1 && row->nfields <= t->max_fields, "%zu fields", row->nfields);
    if (row->row == 1)
        t->header_fields = row->nfields;
    FUZZ_CHECK(row->ragged == (row->row > 1 && row->nfields != t->header_fields), "ragged flag");
    t->rows = row->row;
    t->last_line = row->line;
    mix(t, &row->row, sizeof row->row);
    mix(t, &row->line, sizeof row->line);
    mix(t, &row->nfields, sizeof row->nfields);
    for (size_t i = 0; i < row->nfields; i++) {
        FUZZ_CHECK(row->lengths[i] <= t->max_field_bytes, "field of %zu bytes", row->lengths[i]);
        FUZZ_CHECK(row->fields[i][row->lengths[i]] == '\0', "field not NUL-terminated");
        FUZZ_CHECK(strlen(row->fields[i]) == row->lengths[i], "a field holds a NUL byte");
        mix(t, &row->lengths[i], sizeof row->lengths[i]);
        mix(t, row->fields[i], row->lengths[i]);
    }
    return t->stop_at && (int)row->row == t->stop_at ? 7 : 0;
}

struct outcome {
    int rc;
    char delimiter;
    size_t header_fields;
    char error[200];
    size_t error_row;
    struct trace t;
};

static void run(const char *csv, size_t len, const struct csv_reader_limits *lim, int stop_at,
                struct fuzz_rng *split, struct outcome *o)
{
    memset(o, 0, sizeof *o);
    o->t.max_fields = lim->max_fields;
    o->t.max_field_bytes = lim->max_field_bytes;
    o->t.stop_at = stop_at;
    struct csv_reader *r = csv_reader_new(on_row, &o->t, lim);
    FUZZ_CHECK(r != NULL);
    size_t off = 0;
    int rc = 0;
    if (!split) {
        rc = csv_reader_feed(r, csv, len);
    } else {
        while (off < len && rc == 0) {
            size_t n = fuzz_piece(split, len - off);
            rc = csv_reader_feed(r, csv + off, n);
            off += n;
        }
        if (rc == 0 && fuzz_rng_next(split) & 1)
            rc = csv_reader_feed(r, csv, 0); /* an empty read is harmless */
    }
    if (rc == 0)
        rc = csv_reader_finish(r);
    o->rc = rc;
    o->delimiter = csv_reader_delimiter(r);
    o->header_fields = csv_reader_header_fields(r);
    if (rc < 0)
        snprintf(o->error, sizeof o->error, "%s", csv_reader_error(r));
    o->error_row = csv_reader_error_row(r);
    FUZZ_CHECK(rc >= 0 || rc == CSV_READER_ESTATE || o->error_row == o->t.rows + 1,
               "error in row %zu after %zu rows", o->error_row, o->t.rows);
    /* Feeding after the end is refused, never a crash. */
    int again = csv_reader_feed(r, "x", 1);
    FUZZ_CHECK(again != 0, "fed after finish without an error");
    csv_reader_free(r);
    FUZZ_CHECK(rc == 0 || rc == 7 || rc == CSV_READER_ESYNTAX || rc == CSV_READER_ETOOBIG ||
                   rc == CSV_READER_ENUL,
               "result %d", rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    struct csv_reader_limits lim = {
        .max_field_bytes = data[0] & 0x80 ? 1 + (data[0] & 0x7F) * 4 : 64 * 1024,
        .max_fields = data[1] & 0x80 ? 1 + (data[1] & 0x1F) : 256,
        .max_header_bytes = data[2] & 0x80 ? 1 + (data[2] & 0x3F) * 8 : 64 * 1024,
    };
    int stop_at = (data[2] & 0x40) ? 0 : (data[1] >> 5) & 3;
    const char *csv = (const char *)data + 3;
    size_t len = size - 3;

    struct outcome *whole = malloc(sizeof *whole), *pieces = malloc(sizeof *pieces);
    FUZZ_CHECK(whole && pieces);
    run(csv, len, &lim, stop_at, NULL, whole);
    struct fuzz_rng rng;
    fuzz_rng_seed(&rng, data, size);
    run(csv, len, &lim, stop_at, &rng, pieces);

    FUZZ_CHECK(whole->rc == pieces->rc, "result %d whole, %d in pieces", whole->rc, pieces->rc);
    FUZZ_CHECK(whole->t.rows == pieces->t.rows, "%zu rows whole, %zu in pieces", whole->t.rows,
               pieces->t.rows);
    FUZZ_CHECK(whole->t.hash == pieces->t.hash, "records differ whole and in pieces");
    FUZZ_CHECK(whole->delimiter == pieces->delimiter, "delimiter");
    FUZZ_CHECK(whole->header_fields == pieces->header_fields, "header fields");
    FUZZ_CHECK(strcmp(whole->error, pieces->error) == 0, "error '%s' whole, '%s' in pieces",
               whole->error, pieces->error);
    FUZZ_CHECK(whole->error_row == pieces->error_row, "error row");
    /* Every byte but BOM, delimiters, quotes and line ends lands in a field: a NUL can only end the
     * parse (or lie beyond where it stopped), never be read past. */
    bool has_nul = memchr(csv, '\0', len) != NULL;
    FUZZ_CHECK(!(has_nul && whole->rc == 0), "a CSV holding a NUL byte was accepted");
    FUZZ_CHECK(whole->rc != CSV_READER_ENUL || has_nul, "a NUL byte reported where there is none");

    /* The convenience wrapper is the whole-buffer run. */
    struct trace t = {
        .max_fields = lim.max_fields, .max_field_bytes = lim.max_field_bytes, .stop_at = stop_at};
    char err[200] = "";
    int rc = csv_reader_parse_buffer(csv, len, on_row, &t, &lim, err, sizeof err);
    FUZZ_CHECK(rc == whole->rc && t.hash == whole->t.hash, "csv_reader_parse_buffer differs");
    free(whole);
    free(pieces);
    return 0;
}
