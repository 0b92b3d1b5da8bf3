/* Unit tests of core/aggregate (design §3.3, §5): funnel rows from hand-built summed cells — the
 * six stages, the states kept apart, raw against protected counts, rates and conversions from
 * published values, rateMin withholding, breakdowns; comparisons (ranks, ties, national ratio,
 * z-scores, quartiles, rows without a value); the CSV long form and its Excel profile; and the
 * property of issue 4 that a published value depends only on the multiset of inner cells, whatever
 * region, region set or grouping reaches them (over more than 100,000 generated cells). */
#include "core/aggregate.h"
#include "core/aggregate_csv.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cell_key.h"
#include "tests/unit/fixtures/unit_support.h"

static const struct sdc_params SDC = {4, 2, 10};
static const unsigned char secret[] = "unit-test-secret-for-aggregate-0123456789";
#define SECRET_LEN (sizeof secret - 1)

static const char *const STAGES[6] = {"occurred", "disclosed",    "signalled",
                                      "reported", "investigated", "helped"};

/* ---- helpers ------------------------------------------------------------------------------- */

static struct agg_cell cell(const char *stage, const char *category, int reporting, long long n,
                            uint32_t k, long long population)
{
    struct agg_cell c;
    memset(&c, 0, sizeof c);
    snprintf(c.stage, sizeof c.stage, "%s", stage);
    snprintf(c.category, sizeof c.category, "%s", category);
    c.reporting = reporting;
    c.n = n;
    c.k = k;
    c.population = population;
    c.population_year = population ? 2025 : 0;
    return c;
}

/* What sql/005's `pairs` gives when every municipality that gave a stage also gave the one
 * before: the conversion's numerator and denominator are the two stage sums. */
static void link_pairs(struct agg_region *r)
{
    for (size_t i = 0; i < r->ncells; i++) {
        struct agg_cell *c = &r->cells[i];
        for (int s = 1; s < 6; s++) {
            if (strcmp(c->stage, STAGES[s]) != 0)
                continue;
            for (size_t j = 0; j < r->ncells; j++) {
                const struct agg_cell *p = &r->cells[j];
                if (strcmp(p->stage, STAGES[s - 1]) == 0 && strcmp(p->category, c->category) == 0) {
                    c->has_pair = true;
                    c->pair_n = c->n;
                    c->pair_k = c->k;
                    c->prev_n = p->n;
                    c->prev_k = p->k;
                }
            }
        }
    }
}

/* A region with a malloc'd copy of cells (agg_regions_free() frees it). */
static void region(struct agg_region *r, const char *code, const char *name, int expected,
                   int submitted, bool raw, long long population, const struct agg_cell *cells,
                   size_t ncells)
{
    memset(r, 0, sizeof *r);
    snprintf(r->period, sizeof r->period, "2025-Q1");
    snprintf(r->code, sizeof r->code, "%s", code);
    snprintf(r->name, sizeof r->name, "%s", name);
    r->expected = expected;
    r->submitted = submitted;
    r->raw = raw;
    r->population = population;
    r->population_year = population ? 2025 : 0;
    r->cells = calloc(ncells ? ncells : 1, sizeof *r->cells);
    cr_assert_not_null(r->cells);
    if (ncells)
        memcpy(r->cells, cells, ncells * sizeof *cells);
    r->ncells = ncells;
    link_pairs(r);
}

static json_t *stage_of(json_t *row, const char *stage)
{
    json_t *s = json_object_get(json_object_get(row, "stages"), stage);
    cr_assert(json_is_object(s), "stage %s missing from row", stage);
    return s;
}

static const char *state_of(json_t *fig)
{
    const char *s = json_string_value(json_object_get(fig, "state"));
    return s ? s : "(none)";
}

static long long count_of(json_t *fig)
{
    json_t *c = json_object_get(fig, "count");
    cr_assert(json_is_integer(c), "count is not an integer: %s", state_of(fig));
    return json_integer_value(c);
}

static double real_of(json_t *fig, const char *key)
{
    json_t *v = json_object_get(fig, key);
    cr_assert(json_is_number(v), "%s is not a number", key);
    return json_number_value(v);
}

static double round_to(double x, double f)
{
    return round(x * f) / f;
}

/* A key k for which the protected count of n differs from n (so a test tells the two apart). */
static uint32_t key_moving(long long n)
{
    for (uint32_t k = 0x10000000u;; k += 0x10000000u)
        if (sdc_publish(n, k, SDC.js, SDC.d) != n)
            return k;
}

/* ---- rows: stages and states ----------------------------------------------------------------- */

Test(aggregate_rows, all_six_stages_are_listed_with_the_states_kept_apart, .timeout = 120)
{
    struct catalog *cat = load_catalog();
    struct agg_cell cells[] = {
        cell("signalled", "", 2, 0, 0, 0),     /* a real zero: published 0 */
        cell("reported", "", 1, 30, 12345, 0), /* given by one of the two */
    };
    struct agg_region *rs = calloc(2, sizeof *rs);
    region(&rs[0], "VR01", "Groningen", 10, 2, true, 0, cells, 2);
    region(&rs[1], "VR25", "Flevoland", 6, 0, true, 0, NULL, 0);
    json_t *rows = aggregate_funnel_rows(rs, 2, cat, NULL, &SDC);
    cr_assert_eq(json_array_size(rows), 2);

    json_t *a = json_array_get(rows, 0);
    cr_assert_str_eq(json_string_value(json_object_get(a, "period")), "2025-Q1");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(a, "region"), "code")),
                     "VR01");
    cr_assert(json_is_false(json_object_get(a, "protected")));
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(a, "coverage"), "reporting")),
                 2);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(a, "coverage"), "expected")),
                 10);
    cr_assert_eq(json_object_size(json_object_get(a, "stages")), 6);
    for (int s = 0; s < 6; s++)
        stage_of(a, STAGES[s]);
    cr_assert_str_eq(state_of(stage_of(a, "occurred")), "notKnown");
    cr_assert(json_is_null(json_object_get(stage_of(a, "occurred"), "count")));
    cr_assert_str_eq(state_of(stage_of(a, "signalled")), "published");
    cr_assert_eq(count_of(stage_of(a, "signalled")), 0);
    cr_assert_eq(json_integer_value(json_object_get(stage_of(a, "signalled"), "reporting")), 2);
    cr_assert_str_eq(state_of(stage_of(a, "reported")), "published");
    cr_assert_eq(count_of(stage_of(a, "reported")), 30);
    cr_assert_eq(json_integer_value(json_object_get(stage_of(a, "reported"), "reporting")), 1);
    cr_assert_str_eq(state_of(stage_of(a, "helped")), "notKnown");

    json_t *b = json_array_get(rows, 1);
    cr_assert_eq(json_object_size(json_object_get(b, "stages")), 6);
    for (int s = 0; s < 6; s++) {
        cr_assert_str_eq(state_of(stage_of(b, STAGES[s])), "notSubmitted", "%s", STAGES[s]);
        cr_assert(json_is_null(json_object_get(stage_of(b, STAGES[s]), "count")));
    }
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(b, "coverage"), "reporting")),
                 0);
    /* No population: null, not 0. */
    cr_assert(json_is_null(json_object_get(b, "childPopulation")));
    json_decref(rows);
    agg_regions_free(rs, 2);
    catalog_free(cat);
}

Test(aggregate_rows, a_raw_region_shows_n_and_a_protected_one_the_published_value, .timeout = 120)
{
    struct catalog *cat = load_catalog();
    uint64_t state = 42;
    for (int i = 0; i < 2000; i++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        long long n = (long long)((state >> 33) % 60);
        uint32_t k = (uint32_t)(state >> 7);
        struct agg_cell c = cell("reported", "", 3, n, k, 0);
        struct agg_region *rs = calloc(2, sizeof *rs);
        region(&rs[0], "VR01", "Groningen", 10, 3, true, 0, &c, 1);
        region(&rs[1], "VR02", "Fryslân", 10, 3, false, 0, &c, 1);
        json_t *rows = aggregate_funnel_rows(rs, 2, cat, NULL, &SDC);
        json_t *raw = json_array_get(rows, 0), *prot = json_array_get(rows, 1);
        cr_assert(json_is_false(json_object_get(raw, "protected")));
        cr_assert(json_is_true(json_object_get(prot, "protected")));
        cr_assert_eq(count_of(stage_of(raw, "reported")), n);
        long long p = count_of(stage_of(prot, "reported"));
        cr_assert_eq(p, sdc_publish(n, k, 4, 2), "n=%lld k=%u", n, k);
        cr_assert(p == 0 || p > 4, "published %lld in 1..4", p);
        if (n > 4)
            cr_assert(llabs(p - n) <= 2);
        if (n == 0)
            cr_assert_eq(p, 0);
        json_decref(rows);
        agg_regions_free(rs, 2);
    }
    catalog_free(cat);
}

/* ---- rates and conversions ------------------------------------------------------------------- */

Test(aggregate_rows, per10k_and_fromPrevious_come_from_published_values, .timeout = 120)
{
    struct catalog *cat = load_catalog();
    long long ns = 57, nr = 23;
    uint32_t ks = key_moving(ns), kr = key_moving(nr);
    long long ps = sdc_publish(ns, ks, 4, 2), pr = sdc_publish(nr, kr, 4, 2);
    cr_assert_neq(ps, ns);
    cr_assert_neq(pr, nr);
    struct agg_cell cells[] = {cell("signalled", "", 4, ns, ks, 40000),
                               cell("reported", "", 3, nr, kr, 31000)};
    struct agg_region *rs = calloc(2, sizeof *rs);
    region(&rs[0], "VR03", "Drenthe", 12, 4, false, 40000, cells, 2);
    region(&rs[1], "VR03", "Drenthe", 12, 4, true, 40000, cells, 2);
    json_t *rows = aggregate_funnel_rows(rs, 2, cat, NULL, &SDC);
    json_t *prot = json_array_get(rows, 0), *raw = json_array_get(rows, 1);

    json_t *s = stage_of(prot, "signalled"), *r = stage_of(prot, "reported");
    cr_assert_eq(count_of(s), ps);
    cr_assert_float_eq(real_of(s, "per10k"), round_to((double)ps * 10000.0 / 40000.0, 10), 1e-9);
    /* per10k divides by the population of exactly the municipalities that gave the stage. */
    cr_assert_float_eq(real_of(r, "per10k"), round_to((double)pr * 10000.0 / 31000.0, 10), 1e-9);
    cr_assert_float_eq(real_of(r, "fromPrevious"), round_to((double)pr / (double)ps, 100), 1e-9);
    cr_assert_null(json_object_get(r, "withheld"));
    /* The preceding stage (disclosed) is not known: signalled's conversion is null, not withheld.
     */
    cr_assert(json_is_null(json_object_get(s, "fromPrevious")));
    cr_assert_null(json_object_get(s, "withheld"));
    cr_assert_eq(json_integer_value(json_object_get(prot, "childPopulation")), 40000);
    cr_assert_eq(json_integer_value(json_object_get(prot, "populationYear")), 2025);

    /* The raw reader sees rates of the raw counts. */
    cr_assert_float_eq(real_of(stage_of(raw, "reported"), "per10k"),
                       round_to((double)nr * 10000.0 / 31000.0, 10), 1e-9);
    cr_assert_float_eq(real_of(stage_of(raw, "reported"), "fromPrevious"),
                       round_to((double)nr / (double)ns, 100), 1e-9);
    json_decref(rows);
    agg_regions_free(rs, 2);
    catalog_free(cat);
}

Test(aggregate_rows, fromPrevious_compares_the_same_municipalities_only, .timeout = 120)
{
    /* Nine municipalities gave signalled (100 in all), five gave disclosed (50). Over the five
     * that gave both, signalled is 40: the conversion is 40/50, not 100/50. */
    struct catalog *cat = load_catalog();
    struct agg_cell cells[] = {cell("disclosed", "", 5, 50, 0, 50000),
                               cell("signalled", "", 9, 100, 0, 90000)};
    struct agg_region *rs = calloc(1, sizeof *rs);
    region(&rs[0], "VR01", "Groningen", 10, 9, true, 90000, cells, 2);
    struct agg_cell *sig = &rs[0].cells[1];
    sig->pair_n = 40; /* over the five that gave disclosed too */
    sig->prev_n = 50;
    json_t *rows = aggregate_funnel_rows(rs, 1, cat, NULL, &SDC);
    json_t *s = stage_of(json_array_get(rows, 0), "signalled");
    cr_assert_eq(count_of(s), 100, "the count is still over everyone who gave the stage");
    cr_assert_float_eq(real_of(s, "fromPrevious"), 0.8, 1e-9);
    sig->has_pair = false; /* nobody gave both: no conversion */
    json_decref(rows);
    rows = aggregate_funnel_rows(rs, 1, cat, NULL, &SDC);
    s = stage_of(json_array_get(rows, 0), "signalled");
    cr_assert(json_is_null(json_object_get(s, "fromPrevious")));
    json_decref(rows);
    agg_regions_free(rs, 1);
    catalog_free(cat);
}

Test(aggregate_rows, rateMin_withholds_for_protected_readers_only, .timeout = 120)
{
    struct catalog *cat = load_catalog();
    /* reported 6 (published 4..8 or so, always < 10); signalled 80. */
    long long ns = 80, nr = 6;
    uint32_t ks = 0x12345678u, kr = 0x9abcdef0u;
    cr_assert_lt(sdc_publish(nr, kr, 4, 2), 10);
    struct agg_cell cells[] = {cell("signalled", "", 5, ns, ks, 50000),
                               cell("reported", "", 5, nr, kr, 50000),
                               cell("investigated", "", 5, 40, 7, 50000)};
    struct agg_region *rs = calloc(2, sizeof *rs);
    region(&rs[0], "VR04", "IJsselland", 11, 5, false, 50000, cells, 3);
    region(&rs[1], "VR04", "IJsselland", 11, 5, true, 50000, cells, 3);
    json_t *rows = aggregate_funnel_rows(rs, 2, cat, NULL, &SDC);
    json_t *prot = json_array_get(rows, 0), *raw = json_array_get(rows, 1);

    json_t *r = stage_of(prot, "reported");
    cr_assert_str_eq(state_of(r), "published");
    cr_assert(json_is_null(json_object_get(r, "per10k")));
    cr_assert(json_is_null(json_object_get(r, "fromPrevious")));
    cr_assert_str_eq(json_string_value(json_object_get(r, "withheld")), "rateMin");
    /* investigated over a withheld-size reported: the denominator is below rateMin. */
    json_t *inv = stage_of(prot, "investigated");
    cr_assert(json_is_number(json_object_get(inv, "per10k")));
    cr_assert(json_is_null(json_object_get(inv, "fromPrevious")));
    cr_assert_str_eq(json_string_value(json_object_get(inv, "withheld")), "rateMin");
    /* signalled is large: nothing withheld. */
    cr_assert_null(json_object_get(stage_of(prot, "signalled"), "withheld"));

    /* rateMin never applies to raw readers. */
    json_t *rr = stage_of(raw, "reported");
    cr_assert_float_eq(real_of(rr, "per10k"), round_to(6.0 * 10000.0 / 50000.0, 10), 1e-9);
    cr_assert_float_eq(real_of(rr, "fromPrevious"), round_to(6.0 / 80.0, 100), 1e-9);
    cr_assert_null(json_object_get(rr, "withheld"));
    cr_assert_float_eq(real_of(stage_of(raw, "investigated"), "fromPrevious"),
                       round_to(40.0 / 6.0, 100), 1e-9);
    for (int s = 0; s < 6; s++)
        cr_assert_null(json_object_get(stage_of(raw, STAGES[s]), "withheld"), "%s", STAGES[s]);
    json_decref(rows);
    agg_regions_free(rs, 2);
    catalog_free(cat);
}

Test(aggregate_rows, a_missing_population_gives_null_rates_not_withheld, .timeout = 120)
{
    struct catalog *cat = load_catalog();
    struct agg_cell c = cell("reported", "", 2, 300, 99, 20000);
    c.population_missing = 1; /* one of the reporting municipalities has no population */
    struct agg_region *rs = calloc(1, sizeof *rs);
    region(&rs[0], "VR05", "Twente", 14, 2, false, 20000, &c, 1);
    rs[0].population_missing = 1;
    json_t *rows = aggregate_funnel_rows(rs, 1, cat, NULL, &SDC);
    json_t *row = json_array_get(rows, 0);
    cr_assert(json_is_null(json_object_get(row, "childPopulation")));
    json_t *r = stage_of(row, "reported");
    cr_assert(json_is_null(json_object_get(r, "per10k")));
    cr_assert_null(json_object_get(r, "withheld"));
    json_decref(rows);
    agg_regions_free(rs, 1);
    catalog_free(cat);
}

/* ---- breakdowns ------------------------------------------------------------------------------ */

Test(aggregate_rows, a_breakdown_gives_each_allowed_stage_one_object_per_category, .timeout = 120)
{
    struct catalog *cat = load_catalog();
    struct agg_cell cells[] = {
        cell("signalled", "", 2, 41, 1, 0),       cell("signalled", "girl", 2, 27, 2, 0),
        cell("signalled", "boy", 2, 13, 3, 0),    cell("signalled", "other", 2, 0, 0, 0),
        cell("signalled", "unknown", 2, 1, 4, 0), cell("reported", "", 2, 30, 5, 0),
        cell("reported", "girl", 1, 20, 6, 0), /* one municipality gave no gender for reported */
    };
    struct agg_region *rs = calloc(1, sizeof *rs);
    region(&rs[0], "VR06", "Noord- en Oost-Gelderland", 22, 2, true, 0, cells, 7);
    json_t *rows = aggregate_funnel_rows(rs, 1, cat, "gender", &SDC);
    json_t *row = json_array_get(rows, 0);
    for (int s = 0; s < 6; s++) {
        json_t *bd = json_object_get(stage_of(row, STAGES[s]), "breakdown");
        cr_assert(json_is_object(bd), "%s has no breakdown", STAGES[s]);
        cr_assert_eq(json_object_size(bd), 4, "%s", STAGES[s]);
    }
    json_t *bd = json_object_get(stage_of(row, "signalled"), "breakdown");
    cr_assert_eq(count_of(json_object_get(bd, "girl")), 27);
    cr_assert_eq(count_of(json_object_get(bd, "boy")), 13);
    cr_assert_eq(count_of(json_object_get(bd, "other")), 0);
    cr_assert_str_eq(state_of(json_object_get(bd, "other")), "published");
    cr_assert_eq(count_of(json_object_get(bd, "unknown")), 1);
    json_t *rbd = json_object_get(stage_of(row, "reported"), "breakdown");
    cr_assert_eq(count_of(json_object_get(rbd, "girl")), 20);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(rbd, "girl"), "reporting")), 1);
    cr_assert_float_eq(real_of(json_object_get(rbd, "girl"), "fromPrevious"),
                       round_to(20.0 / 27.0, 100), 1e-9);
    cr_assert_str_eq(state_of(json_object_get(rbd, "boy")), "notKnown");
    /* A stage nobody gave: its categories are not known either. */
    cr_assert_str_eq(
        state_of(json_object_get(json_object_get(stage_of(row, "helped"), "breakdown"), "girl")),
        "notKnown");
    json_decref(rows);

    /* care exists for helped only. */
    rows = aggregate_funnel_rows(rs, 1, cat, "care", &SDC);
    row = json_array_get(rows, 0);
    for (int s = 0; s < 5; s++)
        cr_assert_null(json_object_get(stage_of(row, STAGES[s]), "breakdown"), "%s", STAGES[s]);
    cr_assert_eq(json_object_size(json_object_get(stage_of(row, "helped"), "breakdown")), 4);
    json_decref(rows);
    /* No dimension: no breakdown anywhere. */
    rows = aggregate_funnel_rows(rs, 1, cat, NULL, &SDC);
    for (int s = 0; s < 6; s++)
        cr_assert_null(json_object_get(stage_of(json_array_get(rows, 0), STAGES[s]), "breakdown"));
    json_decref(rows);
    agg_regions_free(rs, 1);
    catalog_free(cat);
}

Test(aggregate_rows, protected_breakdown_categories_are_perturbed_too, .timeout = 120)
{
    struct catalog *cat = load_catalog();
    uint32_t kg = key_moving(3), kb = key_moving(17);
    struct agg_cell cells[] = {cell("reported", "", 2, 20, 11, 0),
                               cell("reported", "girl", 2, 3, kg, 0),
                               cell("reported", "boy", 2, 17, kb, 0)};
    struct agg_region *rs = calloc(1, sizeof *rs);
    region(&rs[0], "VR07", "Gelderland-Midden", 15, 2, false, 0, cells, 3);
    json_t *rows = aggregate_funnel_rows(rs, 1, cat, "gender", &SDC);
    json_t *bd = json_object_get(stage_of(json_array_get(rows, 0), "reported"), "breakdown");
    cr_assert_eq(count_of(json_object_get(bd, "girl")), sdc_publish(3, kg, 4, 2));
    cr_assert_eq(count_of(json_object_get(bd, "boy")), sdc_publish(17, kb, 4, 2));
    long long g = count_of(json_object_get(bd, "girl"));
    cr_assert(g == 0 || g == 5, "a raw 3 is published as 0 or js+1, got %lld", g);
    json_decref(rows);
    agg_regions_free(rs, 1);
    catalog_free(cat);
}

/* ---- comparisons ----------------------------------------------------------------------------- */

/* Raw rows with reported = counts[i] (-1: stage not known; -2: region did not submit). */
static json_t *rows_with_reported(const struct catalog *cat, const long long *counts, size_t n,
                                  json_t **national)
{
    struct agg_region *rs = calloc(n, sizeof *rs);
    long long total = 0;
    for (size_t i = 0; i < n; i++) {
        char code[32], name[48];
        snprintf(code, sizeof code, "VR%02zu", i + 1);
        snprintf(name, sizeof name, "Region %zu", i + 1);
        struct agg_cell c = cell("reported", "", 1, counts[i] < 0 ? 0 : counts[i], 0, 10000);
        region(&rs[i], code, name, 5, counts[i] == -2 ? 0 : 3, true, 10000, &c,
               counts[i] >= 0 ? 1 : 0);
        if (counts[i] > 0)
            total += counts[i];
    }
    json_t *rows = aggregate_funnel_rows(rs, n, cat, NULL, &SDC);
    agg_regions_free(rs, n);
    struct agg_region *nat = calloc(1, sizeof *nat);
    struct agg_cell c = cell("reported", "", 300, total, 0, 100000);
    region(&nat[0], "NL01", "Nederland", 342, 300, true, 100000, &c, 1);
    json_t *nrows = aggregate_funnel_rows(nat, 1, cat, NULL, &SDC);
    agg_regions_free(nat, 1);
    *national = json_incref(json_array_get(nrows, 0));
    json_decref(nrows);
    return rows;
}

static json_t *row_for(json_t *result, const char *code)
{
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(result, "rows"), i, row)
    {
        const char *c = json_string_value(json_object_get(json_object_get(row, "region"), "code"));
        if (c && strcmp(c, code) == 0)
            return row;
    }
    cr_assert_fail("no row for %s", code);
    return NULL;
}

Test(aggregate_compare, ranks_ties_national_ratio_zscores_and_quartiles, .timeout = 120)
{
    struct catalog *cat = load_catalog();
    /* VR01 30, VR02 50, VR03 not known, VR04 30, VR05 not submitted, VR06 10. */
    const long long counts[] = {30, 50, -1, 30, -2, 10};
    json_t *national;
    json_t *rows = rows_with_reported(cat, counts, 6, &national);
    json_t *res = aggregate_compare(rows, national, "reported", METRIC_COUNT);
    cr_assert_str_eq(json_string_value(json_object_get(res, "metric")), "count");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(res, "national"), "value")),
                 120);
    json_t *out = json_object_get(res, "rows");
    cr_assert_eq(json_array_size(out), 6, "no row is dropped");
    /* Ranked first, in rank order; then the rows without a value. */
    const char *order[] = {"VR02", NULL, NULL, "VR06"};
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_array_get(out, 0), "region"), "code")),
                     order[0]);
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_array_get(out, 3), "region"), "code")),
                     order[3]);
    for (size_t i = 4; i < 6; i++) {
        json_t *r = json_array_get(out, i);
        cr_assert(json_is_null(json_object_get(r, "rank")));
        cr_assert(json_is_null(json_object_get(r, "value")));
        cr_assert(json_is_null(json_object_get(r, "zScore")));
        cr_assert(json_is_null(json_object_get(r, "quartile")));
    }
    cr_assert_str_eq(json_string_value(json_object_get(row_for(res, "VR03"), "state")), "notKnown");
    cr_assert_str_eq(json_string_value(json_object_get(row_for(res, "VR05"), "state")),
                     "notSubmitted");

    struct {
        const char *code;
        int rank, quartile;
        long long value;
    } want[] = {{"VR02", 1, 4, 50}, {"VR01", 2, 3, 30}, {"VR04", 2, 3, 30}, {"VR06", 4, 1, 10}};
    /* Population SD of 50, 30, 30, 10: mean 30, variance 200. */
    double sd = sqrt(200.0);
    for (size_t i = 0; i < 4; i++) {
        json_t *r = row_for(res, want[i].code);
        cr_assert_eq(json_integer_value(json_object_get(r, "rank")), want[i].rank, "%s rank",
                     want[i].code);
        cr_assert_eq(json_integer_value(json_object_get(r, "quartile")), want[i].quartile,
                     "%s quartile", want[i].code);
        cr_assert_eq(json_integer_value(json_object_get(r, "value")), want[i].value);
        cr_assert_str_eq(json_string_value(json_object_get(r, "state")), "published");
        cr_assert_float_eq(real_of(r, "zScore"), round_to(((double)want[i].value - 30.0) / sd, 100),
                           1e-9, "%s z", want[i].code);
        cr_assert_float_eq(real_of(r, "ratioToNational"),
                           round_to((double)want[i].value / 120.0, 100), 1e-9);
    }
    json_decref(res);
    json_decref(rows);
    json_decref(national);
    catalog_free(cat);
}

Test(aggregate_compare, a_withheld_rate_is_listed_after_the_ranked_rows, .timeout = 120)
{
    struct catalog *cat = load_catalog();
    struct agg_region *rs = calloc(3, sizeof *rs);
    struct agg_cell big = cell("reported", "", 3, 200, 1, 40000);
    struct agg_cell small = cell("reported", "", 3, 6, 0x80000000u, 40000);
    struct agg_cell mid = cell("reported", "", 3, 90, 5, 30000);
    region(&rs[0], "VR10", "A", 5, 3, false, 40000, &big, 1);
    region(&rs[1], "VR11", "B", 5, 3, false, 40000, &small, 1);
    region(&rs[2], "VR12", "C", 5, 3, false, 30000, &mid, 1);
    json_t *rows = aggregate_funnel_rows(rs, 3, cat, NULL, &SDC);
    json_t *res = aggregate_compare(rows, NULL, "reported", METRIC_PER10K);
    json_t *out = json_object_get(res, "rows");
    cr_assert_eq(json_array_size(out), 3);
    json_t *last = json_array_get(out, 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(last, "region"), "code")),
                     "VR11");
    cr_assert_str_eq(json_string_value(json_object_get(last, "state")), "withheld");
    cr_assert(json_is_null(json_object_get(last, "rank")));
    /* per10k: C 30.0 (about) > A 50.0 (about)? Compute from the published rows themselves. */
    double va = real_of(stage_of(json_array_get(rows, 0), "reported"), "per10k");
    double vc = real_of(stage_of(json_array_get(rows, 2), "reported"), "per10k");
    json_t *first = json_array_get(out, 0);
    cr_assert_float_eq(real_of(first, "value"), va > vc ? va : vc, 1e-9);
    cr_assert_eq(json_integer_value(json_object_get(first, "rank")), 1);
    /* Without a national row: value null, ratio null. */
    cr_assert(json_is_null(json_object_get(json_object_get(res, "national"), "value")));
    cr_assert(json_is_null(json_object_get(first, "ratioToNational")));
    /* Two ranked regions, different values: z = +1 and -1 under the population SD. */
    cr_assert_float_eq(real_of(first, "zScore"), 1.0, 1e-9);
    cr_assert_float_eq(real_of(json_array_get(out, 1), "zScore"), -1.0, 1e-9);
    json_decref(res);
    json_decref(rows);
    agg_regions_free(rs, 3);
    catalog_free(cat);
}

Test(aggregate_compare, metric_names_parse, .timeout = 120)
{
    enum compare_metric m;
    cr_assert_eq(compare_metric_parse("count", &m), 0);
    cr_assert_eq(m, METRIC_COUNT);
    cr_assert_eq(compare_metric_parse("per10k", &m), 0);
    cr_assert_eq(m, METRIC_PER10K);
    cr_assert_eq(compare_metric_parse("fromPrevious", &m), 0);
    cr_assert_eq(m, METRIC_FROM_PREVIOUS);
    cr_assert_eq(compare_metric_parse("rate", &m), -1);
    cr_assert_eq(compare_metric_parse(NULL, &m), -1);
}

/* ---- CSV ------------------------------------------------------------------------------------- */

static const char CSV_HEADER[] = "period,region_code,region_name,protected,reporting,expected,"
                                 "child_population,stage,dimension,category,state,count,per10k,"
                                 "from_previous,withheld\r\n";

Test(aggregate_csv, long_form_header_and_lines, .timeout = 120)
{
    struct catalog *cat = load_catalog();
    struct agg_cell cells[] = {
        cell("signalled", "", 2, 40, 1, 20000), cell("reported", "", 2, 30, 2, 20000),
        cell("reported", "girl", 2, 20, 3, 20000), cell("reported", "boy", 2, 10, 4, 20000)};
    struct agg_region *rs = calloc(1, sizeof *rs);
    region(&rs[0], "VR17", "Rotterdam-Rijnmond", 13, 2, true, 20000, cells, 4);
    json_t *rows = aggregate_funnel_rows(rs, 1, cat, "gender", &SDC);
    char *csv = aggregate_funnels_csv(rows, "gender", false);
    cr_assert_not_null(csv);
    cr_assert(strncmp(csv, CSV_HEADER, strlen(CSV_HEADER)) == 0, "header: %.200s", csv);
    cr_assert_not_null(strstr(csv, "\r\n2025-Q1,VR17,Rotterdam-Rijnmond,false,2,13,20000,reported,"
                                   "total,,published,30,15,0.75,\r\n"),
                       "%s", csv);
    cr_assert_not_null(strstr(csv, "\r\n2025-Q1,VR17,Rotterdam-Rijnmond,false,2,13,20000,reported,"
                                   "gender,girl,published,20,10,,\r\n"),
                       "%s", csv);
    cr_assert_not_null(strstr(csv, ",occurred,total,,notKnown,,,,\r\n"), "%s", csv);
    /* One line per stage total and per category: 6 totals + 6 x 4 gender categories + header. */
    size_t lines = 0;
    for (const char *p = csv; (p = strstr(p, "\r\n")) != NULL; p += 2)
        lines++;
    cr_assert_eq(lines, 1 + 6 + 6 * 4);
    free(csv);
    json_decref(rows);
    agg_regions_free(rs, 1);
    catalog_free(cat);
}

Test(aggregate_csv, excel_profile_bom_semicolon_decimal_comma, .timeout = 120)
{
    struct catalog *cat = load_catalog();
    struct agg_cell cells[] = {cell("signalled", "", 2, 41, 1, 26200),
                               cell("reported", "", 2, 30, 2, 26200)};
    struct agg_region *rs = calloc(1, sizeof *rs);
    region(&rs[0], "VR17", "Rotterdam-Rijnmond", 13, 2, true, 26200, cells, 2);
    json_t *rows = aggregate_funnel_rows(rs, 1, cat, NULL, &SDC);
    char *csv = aggregate_funnels_csv(rows, NULL, true);
    static const char head[] = "\xEF\xBB\xBFperiod;region_code;region_name;protected;";
    cr_assert(strncmp(csv, head, strlen(head)) == 0, "%.80s", csv);
    /* 30 * 10000 / 26200 = 11.45 -> 11.5; 30 / 41 = 0.73. */
    cr_assert_not_null(strstr(csv, ";reported;total;;published;30;11,5;0,73;\r\n"), "%s", csv);
    cr_assert_null(strchr(csv, '.'), "a decimal point in the Excel profile: %s", csv);
    cr_assert_null(strstr(csv, ",published"), "a comma as delimiter in the Excel profile: %s", csv);
    free(csv);
    json_decref(rows);
    agg_regions_free(rs, 1);
    catalog_free(cat);
}

Test(aggregate_csv, a_region_name_with_the_delimiter_or_a_quote_is_quoted, .timeout = 120)
{
    struct catalog *cat = load_catalog();
    struct agg_cell c = cell("reported", "", 1, 12, 2, 0);
    struct agg_region *rs = calloc(1, sizeof *rs);
    region(&rs[0], "X1", "Noord, \"Oost\"; Zuid", 3, 1, true, 0, &c, 1);
    json_t *rows = aggregate_funnel_rows(rs, 1, cat, NULL, &SDC);
    char *csv = aggregate_funnels_csv(rows, NULL, false);
    cr_assert_not_null(strstr(csv, "\r\n2025-Q1,X1,\"Noord, \"\"Oost\"\"; Zuid\",false,"), "%s",
                       csv);
    free(csv);
    csv = aggregate_funnels_csv(rows, NULL, true);
    cr_assert_not_null(strstr(csv, "\r\n2025-Q1;X1;\"Noord, \"\"Oost\"\"; Zuid\";false;"), "%s",
                       csv);
    free(csv);
    json_decref(rows);
    agg_regions_free(rs, 1);
    catalog_free(cat);
}

/* CSV injection (OWASP; issue 20 item 10): a text cell a spreadsheet would take for a formula —
 * starting with =, +, -, @, TAB or CR — is prefixed with a single quote and quoted, in both
 * profiles; everything else is written as before. */
Test(aggregate_csv, formula_like_region_names_are_defused_in_both_profiles, .timeout = 120)
{
    static const struct {
        const char *name, *comma, *excel; /* the name and its cell in each profile */
    } cases[] = {
        {"=HYPERLINK(\"http://x.invalid\",\"klik\")",
         "\"'=HYPERLINK(\"\"http://x.invalid\"\",\"\"klik\"\")\"",
         "\"'=HYPERLINK(\"\"http://x.invalid\"\",\"\"klik\"\")\""},
        {"+31 20 123", "\"'+31 20 123\"", "\"'+31 20 123\""},
        {"-2+3", "\"'-2+3\"", "\"'-2+3\""},
        {"@SUM(A1:A9)", "\"'@SUM(A1:A9)\"", "\"'@SUM(A1:A9)\""},
        {"\t=1+1", "\"'\t=1+1\"", "\"'\t=1+1\""},
        {"\r=1+1", "\"'\r=1+1\"", "\"'\r=1+1\""},
        {"=A1;B1", "\"'=A1;B1\"", "\"'=A1;B1\""},
        /* not at the start, or not one of the six: untouched */
        {"Noord=Zuid", "Noord=Zuid", "Noord=Zuid"},
        {" =1", " =1", " =1"},
        {"'s-Hertogenbosch", "'s-Hertogenbosch", "'s-Hertogenbosch"},
    };
    struct catalog *cat = load_catalog();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct agg_cell c = cell("reported", "", 1, 12, 2, 0);
        struct agg_region *rs = calloc(1, sizeof *rs);
        region(&rs[0], "X1", cases[i].name, 3, 1, true, 0, &c, 1);
        json_t *rows = aggregate_funnel_rows(rs, 1, cat, NULL, &SDC);
        for (int excel = 0; excel <= 1; excel++) {
            char want[160];
            snprintf(want, sizeof want, "\r\n2025-Q1%cX1%c%s%cfalse%c", excel ? ';' : ',',
                     excel ? ';' : ',', excel ? cases[i].excel : cases[i].comma, excel ? ';' : ',',
                     excel ? ';' : ',');
            char *csv = aggregate_funnels_csv(rows, NULL, excel);
            cr_assert_not_null(csv);
            cr_assert_not_null(strstr(csv, want), "case %zu (%s profile): want %s in\n%s", i,
                               excel ? "excel" : "comma", want, csv);
            free(csv);
        }
        json_decref(rows);
        agg_regions_free(rs, 1);
    }
    catalog_free(cat);
}

/* Numbers are not text: a negative z-score stays a number in both profiles, while a formula-like
 * name in the same line is defused; comparisons, completeness and networks write names the same
 * way as funnels. */
Test(aggregate_csv, negative_numbers_stay_numbers_and_every_writer_defuses, .timeout = 120)
{
    struct catalog *cat = load_catalog();
    const long long counts[] = {30, 50};
    json_t *national;
    json_t *rows = rows_with_reported(cat, counts, 2, &national);
    json_object_set_new(json_object_get(json_array_get(rows, 0), "region"), "name",
                        json_string("-Region 1"));
    json_t *res = aggregate_compare(rows, national, "reported", METRIC_COUNT);
    char *csv = aggregate_compare_csv(res, false);
    cr_assert_not_null(strstr(csv, "\r\n2025-Q1,VR01,\"'-Region 1\",false,2,30,0.38,-1,2,published"
                                   "\r\n"),
                       "%s", csv);
    free(csv);
    csv = aggregate_compare_csv(res, true);
    cr_assert_not_null(strstr(csv, "\r\n2025-Q1;VR01;\"'-Region 1\";false;2;30;0,38;-1;2;published"
                                   "\r\n"),
                       "%s", csv);
    free(csv);
    json_decref(res);
    json_decref(rows);
    json_decref(national);

    json_t *body =
        json_pack("{s:s, s:[{s:{s:s, s:s}, s:i, s:i, s:i, s:[s], s:[]}]}", "period", "2025-Q1",
                  "rows", "region", "code", "X1", "name", "@Noord", "expected", 2, "funnels", 1,
                  "networks", 2, "missingFunnels", "GM0014", "missingNetworks");
    csv = aggregate_completeness_csv(body, false);
    cr_assert_not_null(strstr(csv, "\r\n2025-Q1,X1,\"'@Noord\",2,1,2,GM0014,\r\n"), "%s", csv);
    free(csv);
    json_decref(body);

    body = json_pack("{s:s, s:[{s:{s:s, s:s}, s:i, s:i, s:{s:i}}]}", "period", "2025-Q1", "rows",
                     "region", "code", "X1", "name", "+Zuid", "reporting", 1, "expected", 2,
                     "stepsMet", "3", 1);
    csv = aggregate_networks_csv(body, true);
    cr_assert_not_null(strstr(csv, "\r\n2025-Q1;X1;\"'+Zuid\";1;2;stepsMet;;3;1\r\n"), "%s", csv);
    free(csv);
    json_decref(body);
    catalog_free(cat);
}

Test(aggregate_csv, comparisons_csv_has_rank_and_value_columns, .timeout = 120)
{
    struct catalog *cat = load_catalog();
    const long long counts[] = {30, 50, -1};
    json_t *national;
    json_t *rows = rows_with_reported(cat, counts, 3, &national);
    json_t *res = aggregate_compare(rows, national, "reported", METRIC_COUNT);
    char *csv = aggregate_compare_csv(res, false);
    cr_assert(strncmp(csv,
                      "period,region_code,region_name,protected,rank,value,"
                      "ratio_to_national,z_score,quartile,state\r\n",
                      86) == 0,
              "%.120s", csv);
    cr_assert_not_null(strstr(csv, "\r\n2025-Q1,VR02,Region 2,false,1,50,0.63,1,4,published\r\n"),
                       "%s", csv);
    cr_assert_not_null(strstr(csv, "\r\n2025-Q1,VR03,Region 3,false,,,,,,notKnown\r\n"), "%s", csv);
    free(csv);
    json_decref(res);
    json_decref(rows);
    json_decref(national);
    catalog_free(cat);
}

/* ---- property: the same inner cells give the same published value ---------------------------- */

/* splitmix64 */
static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

enum { N_MUNI = 1500, MAX_CELLS_PER_MUNI = 6 * 16 + 4 };

struct inner {
    int stage; /* index into STAGES */
    int dim;   /* catalog dimension index, -1 for the total */
    const char *category;
    long long n;
    uint32_t k;
};

struct muni {
    struct inner cells[MAX_CELLS_PER_MUNI];
    size_t ncells;
    bool stage_known[6];
    long long population;
};

/* One municipality's funnel: random known stages, totals small or large, every breakdown (care on
 * helped only) with categories summing to the total; keys from cell_key(). */
static void generate_muni(const struct catalog *cat, int i, struct muni *m, uint64_t *s)
{
    char code[8];
    snprintf(code, sizeof code, "GM%04d", i);
    m->ncells = 0;
    m->population = 1000 + (long long)(rnd(s) % 90000);
    for (int st = 0; st < 6; st++) {
        m->stage_known[st] = rnd(s) % 6 != 0;
        if (!m->stage_known[st])
            continue;
        long long total = rnd(s) % 3 ? (long long)(rnd(s) % 7) : (long long)(rnd(s) % 400);
        m->cells[m->ncells++] = (struct inner){
            st, -1, "", total,
            cell_key(secret, SECRET_LEN, code, "2025-Q1", STAGES[st], "total", "", total)};
        for (int d = 0; d < (int)cat->ndimensions; d++) {
            if (!catalog_stage_allows(cat, st, d))
                continue;
            long long left = total;
            size_t nc = cat->ncategories[d];
            for (size_t c = 0; c < nc; c++) {
                long long n = c + 1 == nc ? left : (left ? (long long)(rnd(s) % (left + 1)) : 0);
                left -= n;
                m->cells[m->ncells++] =
                    (struct inner){st, d, cat->categories[d][c], n,
                                   cell_key(secret, SECRET_LEN, code, "2025-Q1", STAGES[st],
                                            cat->dimensions[d], cat->categories[d][c], n)};
            }
        }
    }
}

/* Builds a region's summed cells for the breakdown `dim` (-1: totals only) over members[0..n),
 * the way the SQL does (64-bit sums, key mod 2^32 at the end) when `chunked` is false, or by
 * summing random sub-groups first with 32-bit wrap-around (another region set built from smaller
 * regions) when it is true. */
static void build_region(struct agg_region *r, const char *code, const struct muni *munis,
                         const int *members, size_t n, int dim, bool chunked, uint64_t *s)
{
    struct agg_cell acc[6 * 9];
    uint64_t k64[6 * 9];
    uint32_t k32[6 * 9];
    bool used[6 * 9];
    memset(acc, 0, sizeof acc);
    memset(k64, 0, sizeof k64);
    memset(k32, 0, sizeof k32);
    memset(used, 0, sizeof used);
    memset(r, 0, sizeof *r);
    snprintf(r->period, sizeof r->period, "2025-Q1");
    snprintf(r->code, sizeof r->code, "%s", code);
    snprintf(r->name, sizeof r->name, "Region %s", code);
    r->expected = (int)n;
    r->raw = false;
    /* In chunked mode, a sub-group's key is summed mod 2^32 and then added to the region's. */
    uint32_t chunk_k[6 * 9];
    memset(chunk_k, 0, sizeof chunk_k);
    size_t chunk_left = chunked ? 1 + rnd(s) % 4 : (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        const struct muni *m = &munis[members[i]];
        r->submitted++; /* {"stages": {}} is a submission too */
        r->population += m->population;
        for (size_t c = 0; c < m->ncells; c++) {
            const struct inner *in = &m->cells[c];
            if (in->dim != -1 && in->dim != dim)
                continue;
            size_t slot = (size_t)in->stage * 9;
            /* The category's slot: 1 + its position, found by name. */
            if (in->dim != -1) {
                int pos = -1;
                for (int q = 0; q < 8 && pos < 0; q++)
                    if (acc[slot + 1 + (size_t)q].category[0] == '\0' ||
                        strcmp(acc[slot + 1 + (size_t)q].category, in->category) == 0)
                        pos = q;
                slot += 1 + (size_t)pos;
            }
            struct agg_cell *a = &acc[slot];
            if (!used[slot]) {
                snprintf(a->stage, sizeof a->stage, "%s", STAGES[in->stage]);
                snprintf(a->category, sizeof a->category, "%s", in->category);
                used[slot] = true;
            }
            a->reporting++;
            a->n += in->n;
            a->population += m->population;
            a->population_year = 2025;
            if (chunked)
                chunk_k[slot] = cell_key_sum(chunk_k[slot], in->k);
            else
                k64[slot] += in->k;
        }
        if (chunked && (--chunk_left == 0 || i + 1 == n)) {
            for (size_t q = 0; q < 6 * 9; q++) {
                k32[q] = cell_key_sum(k32[q], chunk_k[q]);
                chunk_k[q] = 0;
            }
            chunk_left = 1 + rnd(s) % 4;
        }
    }
    r->population_year = 2025;
    size_t count = 0;
    for (size_t q = 0; q < 6 * 9; q++)
        count += used[q];
    r->cells = calloc(count ? count : 1, sizeof *r->cells);
    cr_assert_not_null(r->cells);
    /* The SQL returns cells ordered by stage and category; here chunked regions list them in
     * reverse, so the result must not depend on the order either. */
    for (size_t q = 0; q < 6 * 9; q++) {
        size_t from = chunked ? 6 * 9 - 1 - q : q;
        if (!used[from])
            continue;
        acc[from].k = chunked ? k32[from] : (uint32_t)(k64[from] % 4294967296ULL);
        r->cells[r->ncells++] = acc[from];
    }
}

static void shuffle(int *a, size_t n, uint64_t *s)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rnd(s) % i);
        int t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

Test(aggregate_property, published_values_depend_only_on_the_inner_cells, .timeout = 120)
{
    struct catalog *cat = load_catalog();
    uint64_t s = 20150101;
    struct muni *munis = calloc(N_MUNI, sizeof *munis);
    cr_assert_not_null(munis);
    size_t inner_cells = 0;
    for (int i = 0; i < N_MUNI; i++) {
        generate_muni(cat, i, &munis[i], &s);
        inner_cells += munis[i].ncells;
    }
    cr_assert_geq(inner_cells, 100000, "only %zu inner cells generated", inner_cells);

    /* Region set A: a random partition of all municipalities into regions of 1..25 members. */
    int *order = malloc(N_MUNI * sizeof *order);
    for (int i = 0; i < N_MUNI; i++)
        order[i] = i;
    shuffle(order, N_MUNI, &s);
    size_t starts[N_MUNI + 1], nreg = 0;
    for (size_t at = 0; at < N_MUNI; nreg++) {
        starts[nreg] = at;
        at += 1 + rnd(&s) % 25;
        if (at > N_MUNI)
            at = N_MUNI;
        starts[nreg + 1] = at;
    }

    int dims[] = {-1, 0, 1, 2, 3, 4};
    size_t compared = 0, moved = 0;
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        int dim = dims[di];
        const char *dimension = dim < 0 ? NULL : cat->dimensions[dim];
        /* Path 1: all regions of set A in one list (regionSet=...), summed as the SQL does. */
        struct agg_region *all = calloc(nreg, sizeof *all);
        for (size_t g = 0; g < nreg; g++) {
            char code[32];
            snprintf(code, sizeof code, "A%zu", g);
            build_region(&all[g], code, munis, order + starts[g], starts[g + 1] - starts[g], dim,
                         false, &s);
        }
        json_t *list = aggregate_funnel_rows(all, nreg, cat, dimension, &SDC);
        for (size_t g = 0; g < nreg; g++) {
            /* Path 2: the same members in another order and grouping, under another code, in
             * another region set, asked for alone (region=...). */
            size_t n = starts[g + 1] - starts[g];
            int *members = malloc(n * sizeof *members);
            memcpy(members, order + starts[g], n * sizeof *members);
            shuffle(members, n, &s);
            struct agg_region *one = calloc(1, sizeof *one);
            char code[32];
            snprintf(code, sizeof code, "B%zu", g);
            build_region(&one[0], code, munis, members, n, dim, true, &s);
            json_t *alone = aggregate_funnel_rows(one, 1, cat, dimension, &SDC);
            json_t *a = json_object_get(json_array_get(list, g), "stages");
            json_t *b = json_object_get(json_array_get(alone, 0), "stages");
            if (!json_equal(a, b)) {
                char *ja = json_dumps(a, JSON_SORT_KEYS), *jb = json_dumps(b, JSON_SORT_KEYS);
                cr_assert_fail("region %zu, breakdown %s:\n%s\n%s", g,
                               dimension ? dimension : "none", ja, jb);
            }
            /* And each published count is sdc_publish of the multiset's sums. */
            for (size_t c = 0; c < all[g].ncells; c++) {
                const struct agg_cell *x = &all[g].cells[c];
                long long want = sdc_publish(x->n, x->k, SDC.js, SDC.d);
                json_t *fig = json_object_get(a, x->stage);
                if (x->category[0])
                    fig = json_object_get(json_object_get(fig, "breakdown"), x->category);
                cr_assert_eq(count_of(fig), want);
                cr_assert(want == 0 || want > SDC.js);
                if (x->n > SDC.js)
                    cr_assert_leq(llabs(want - x->n), SDC.d);
                moved += want != x->n;
                compared++;
            }
            json_decref(alone);
            agg_regions_free(one, 1);
            free(members);
        }
        json_decref(list);
        agg_regions_free(all, nreg);
    }
    cr_assert_gt(compared, 10000);
    cr_assert_gt(moved, 0, "the protection never moved a value: not a meaningful test");

    /* Region set C: unions of regions of set A (like provinces over safety regions), summed from
     * the municipalities directly and from set A's region sums: the same published values. */
    size_t at = 0;
    while (at < nreg) {
        size_t take = 1 + rnd(&s) % 5;
        if (at + take > nreg)
            take = nreg - at;
        size_t first = starts[at], last = starts[at + take];
        struct agg_region *u = calloc(2, sizeof *u);
        build_region(&u[0], "C", munis, order + first, last - first, 0, false, &s);
        build_region(&u[1], "D", munis, order + first, last - first, 0, true, &s);
        json_t *rows = aggregate_funnel_rows(u, 2, cat, cat->dimensions[0], &SDC);
        cr_assert(json_equal(json_object_get(json_array_get(rows, 0), "stages"),
                             json_object_get(json_array_get(rows, 1), "stages")));
        json_decref(rows);
        agg_regions_free(u, 2);
        at += take;
    }
    free(order);
    free(munis);
    catalog_free(cat);
}
