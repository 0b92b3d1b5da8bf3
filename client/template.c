/* The fill-in CSV for `trechter template` (pure); see template.h. */
#include "client/template.h"

#include <string.h>

void csv_field(FILE *out, const char *s, char delim)
{
    if (s == NULL)
        s = "";
    char special[] = {delim, '"', '\r', '\n', '\0'};
    if (strpbrk(s, special) == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void row(FILE *out, const char *code, const char *period, const char *stage, const char *dim,
                const char *cat, char delim, const char *eol)
{
    csv_field(out, code, delim);
    fputc(delim, out);
    csv_field(out, period, delim);
    fputc(delim, out);
    csv_field(out, stage, delim);
    fputc(delim, out);
    csv_field(out, dim, delim);
    fputc(delim, out);
    csv_field(out, cat, delim);
    fputc(delim, out);
    fputs(eol, out);
}

static const char *key_of(const json_t *o)
{
    const json_t *k = json_object_get(o, "key");
    return json_is_string(k) && *json_string_value(k) ? json_string_value(k) : NULL;
}

long template_write(FILE *out, const json_t *stages_doc, const char *code, const char *period,
                    int excel)
{
    const json_t *stages = json_object_get(stages_doc, "stages");
    if (!json_is_array(stages) || json_array_size(stages) == 0)
        return -1;
    size_t i;
    const json_t *st;
    json_array_foreach(stages, i, st) if (key_of(st) == NULL) return -1;

    char delim = excel ? ';' : ',';
    const char *eol = excel ? "\r\n" : "\n";
    if (excel)
        fputs("\xEF\xBB\xBF", out);
    for (const char *h = TEMPLATE_HEADER; *h; h++)
        fputc(*h == ',' ? delim : *h, out);
    fputs(eol, out);

    long rows = 0;
    json_array_foreach(stages, i, st)
    {
        const char *stage = key_of(st);
        row(out, code, period, stage, "total", "", delim, eol);
        rows++;
        size_t j;
        const json_t *dim;
        json_array_foreach(json_object_get(st, "dimensions"), j, dim)
        {
            const char *dkey = key_of(dim);
            if (dkey == NULL)
                continue;
            size_t k;
            const json_t *cat;
            json_array_foreach(json_object_get(dim, "categories"), k, cat)
            {
                const char *ckey = key_of(cat);
                if (ckey == NULL)
                    continue;
                row(out, code, period, stage, dkey, ckey, delim, eol);
                rows++;
            }
        }
    }
    return rows;
}
