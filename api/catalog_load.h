/* The reference catalogue (stages, dimensions, categories, partner types, ...) of each worker,
 * loaded from the database once and kept for the life of the worker: validators need it, and
 * adding a category is a migration followed by a restart, never a change to C code. */
#ifndef TRECHTER_CATALOG_LOAD_H
#define TRECHTER_CATALOG_LOAD_H

struct request;

/* Calls next(r) once the worker's catalogue is loaded (loading it first when needed); answers 503
 * itself when the database cannot be reached. */
void catalog_then(struct request *r, void (*next)(struct request *r));

/* One statement rendering the catalogue as the JSON document core/catalog.h parses. */
extern const char catalog_sql[];

#endif
