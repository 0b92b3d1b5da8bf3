/* The fill-in CSV of `trechter template` (pure): from the reference data of GET /v1/stages, one
 * row per stage total (dimension `total`, empty category) followed by one row per allowed
 * dimension and category of that stage, all counts empty, in the order the server lists them.
 * `trechter import` takes the file back unchanged (an empty count means not given). */
#ifndef TRECHTER_CLIENT_TEMPLATE_H
#define TRECHTER_CLIENT_TEMPLATE_H

#include <jansson.h>
#include <stdio.h>

#define TEMPLATE_HEADER "municipality,period,stage,dimension,category,count"

/* Writes the template for (code, period) built from stages_doc ({"stages": [{key, dimensions:
 * [{key, categories: [{key}]}]}]}). With `excel` the Dutch Excel profile: UTF-8 BOM, ';' and
 * CRLF; else ',' and LF. Returns the number of data rows, or -1 when stages_doc has no usable
 * stages (nothing written). */
long template_write(FILE *out, const json_t *stages_doc, const char *code, const char *period,
                    int excel);

/* Writes one CSV field, quoted when it holds the delimiter, a quote, CR or LF. */
void csv_field(FILE *out, const char *s, char delim);

#endif
