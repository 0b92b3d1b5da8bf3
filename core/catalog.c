/* Builds the validators' reference data from the JSON document the database produces. */
#include "core/catalog.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static bool key_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CATALOG_MAX_KEY)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

static int index_of(char *const *keys, size_t n, const char *key)
{
    if (!key)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i], key) == 0)
            return (int)i;
    return -1;
}

/* Copies a JSON array of keys into keys[0..max), checking shape and uniqueness. */
static int load_keys(const json_t *arr, const char *what, char **keys, size_t *n, size_t max,
                     char *err, size_t errlen)
{
    if (!json_is_array(arr))
        return fail(err, errlen, "%s: an array of keys is required", what);
    if (json_array_size(arr) > max)
        return fail(err, errlen, "%s: %zu keys, at most %zu supported", what, json_array_size(arr),
                    max);
    size_t i;
    json_t *item;
    json_array_foreach(arr, i, item)
    {
        const char *s = json_string_value(item);
        if (!s || !key_ok(s))
            return fail(err, errlen, "%s[%zu]: not a valid key", what, i);
        if (index_of(keys, *n, s) >= 0)
            return fail(err, errlen, "%s: key \"%s\" listed twice", what, s);
        keys[*n] = strdup(s);
        if (!keys[*n])
            return fail(err, errlen, "out of memory");
        (*n)++;
    }
    return 0;
}

static int load_list(const json_t *root, const char *member, bool required,
                     struct catalog_list *list, char *err, size_t errlen)
{
    const json_t *arr = json_object_get(root, member);
    if (!arr && !required)
        return 0;
    return load_keys(arr, member, list->keys, &list->n, CATALOG_MAX_LIST, err, errlen);
}

static int load_dimensions(const json_t *root, struct catalog *cat, char *err, size_t errlen)
{
    const json_t *dims = json_object_get(root, "dimensions");
    if (!json_is_object(dims))
        return fail(err, errlen, "dimensions: an object is required");
    if (json_object_size(dims) > CATALOG_MAX_DIMENSIONS)
        return fail(err, errlen, "dimensions: %zu, at most %d supported", json_object_size(dims),
                    CATALOG_MAX_DIMENSIONS);
    const char *key;
    json_t *cats;
    json_object_foreach((json_t *)dims, key, cats)
    {
        if (!key_ok(key) || strcmp(key, "total") == 0)
            return fail(err, errlen, "dimensions: \"%.64s\" is not a valid dimension key", key);
        size_t d = cat->ndimensions;
        cat->dimensions[d] = strdup(key);
        if (!cat->dimensions[d])
            return fail(err, errlen, "out of memory");
        cat->ndimensions++;
        char what[96];
        snprintf(what, sizeof what, "dimensions.%s", key);
        if (load_keys(cats, what, cat->categories[d], &cat->ncategories[d], CATALOG_MAX_CATEGORIES,
                      err, errlen) != 0)
            return -1;
        if (cat->ncategories[d] == 0)
            return fail(err, errlen, "%s: at least one category is required", what);
    }
    return 0;
}

static int load_stage_dimensions(const json_t *root, struct catalog *cat, char *err, size_t errlen)
{
    const json_t *sd = json_object_get(root, "stageDimensions");
    if (!json_is_object(sd))
        return fail(err, errlen, "stageDimensions: an object is required");
    const char *key;
    json_t *dims;
    json_object_foreach((json_t *)sd, key, dims)
    {
        int s = catalog_stage_index(cat, key);
        if (s < 0)
            return fail(err, errlen, "stageDimensions: unknown stage \"%.64s\"", key);
        if (!json_is_array(dims))
            return fail(err, errlen, "stageDimensions.%s: an array is required", key);
        size_t i;
        json_t *item;
        json_array_foreach(dims, i, item)
        {
            int d = catalog_dimension_index(cat, json_string_value(item));
            if (d < 0)
                return fail(err, errlen, "stageDimensions.%s[%zu]: unknown dimension", key, i);
            cat->stage_dimensions[s][d] = true;
        }
    }
    return 0;
}

int catalog_from_json(const char *text, size_t len, struct catalog **out, char *err, size_t errlen)
{
    *out = NULL;
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return fail(err, errlen, "catalog JSON, line %d column %d: %s", jerr.line, jerr.column,
                    jerr.text);
    struct catalog *cat = calloc(1, sizeof *cat);
    int rc = -1;
    if (!cat) {
        fail(err, errlen, "out of memory");
        goto out;
    }
    if (!json_is_object(root)) {
        fail(err, errlen, "catalog: an object is required");
        goto out;
    }
    if (load_keys(json_object_get(root, "stages"), "stages", cat->stages, &cat->nstages,
                  CATALOG_MAX_STAGES, err, errlen) != 0 ||
        load_dimensions(root, cat, err, errlen) != 0 ||
        load_stage_dimensions(root, cat, err, errlen) != 0 ||
        load_list(root, "partnerTypes", true, &cat->partner_types, err, errlen) != 0 ||
        load_list(root, "partnerStatuses", true, &cat->partner_statuses, err, errlen) != 0 ||
        load_list(root, "preventionPoints", true, &cat->prevention_points, err, errlen) != 0 ||
        load_list(root, "preventionStates", true, &cat->prevention_states, err, errlen) != 0 ||
        load_list(root, "approachSteps", false, &cat->approach_steps, err, errlen) != 0)
        goto out;
    if (cat->nstages == 0) {
        fail(err, errlen, "stages: at least one stage is required");
        goto out;
    }
    *out = cat;
    cat = NULL;
    rc = 0;
out:
    catalog_free(cat);
    json_decref(root);
    return rc;
}

static void free_keys(char **keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
}

void catalog_free(struct catalog *cat)
{
    if (!cat)
        return;
    free_keys(cat->stages, cat->nstages);
    for (size_t d = 0; d < cat->ndimensions; d++) {
        free(cat->dimensions[d]);
        free_keys(cat->categories[d], cat->ncategories[d]);
    }
    free_keys(cat->partner_types.keys, cat->partner_types.n);
    free_keys(cat->partner_statuses.keys, cat->partner_statuses.n);
    free_keys(cat->prevention_points.keys, cat->prevention_points.n);
    free_keys(cat->prevention_states.keys, cat->prevention_states.n);
    free_keys(cat->approach_steps.keys, cat->approach_steps.n);
    free(cat);
}

int catalog_stage_index(const struct catalog *cat, const char *key)
{
    return index_of(cat->stages, cat->nstages, key);
}

int catalog_dimension_index(const struct catalog *cat, const char *key)
{
    return index_of(cat->dimensions, cat->ndimensions, key);
}

int catalog_category_index(const struct catalog *cat, int dimension, const char *key)
{
    if (dimension < 0 || (size_t)dimension >= cat->ndimensions)
        return -1;
    return index_of(cat->categories[dimension], cat->ncategories[dimension], key);
}

int catalog_list_index(const struct catalog_list *list, const char *key)
{
    return index_of(list->keys, list->n, key);
}

bool catalog_stage_allows(const struct catalog *cat, int stage, int dimension)
{
    if (stage < 0 || (size_t)stage >= cat->nstages || dimension < 0 ||
        (size_t)dimension >= cat->ndimensions)
        return false;
    return cat->stage_dimensions[stage][dimension];
}
