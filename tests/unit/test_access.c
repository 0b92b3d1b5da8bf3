/* Unit tests of core/access: every decision of design §4 for every kind of caller and resource. */
#include "core/access.h"

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define OWN "GM0599"   /* held by the first municipality */
#define OTHER "GM0363" /* held by nobody in the table but the second municipality */

/* The resources every principal is asked about: its own code, another, none. */
static const char *const resources[] = {OWN, OTHER, NULL};
enum { N_RESOURCES = sizeof resources / sizeof resources[0] };

/* One kind of caller and every answer core/access must give it. Per-resource answers are indexed
 * like `resources`. */
struct expectation {
    const char *name;
    struct principal principal;
    bool read[N_RESOURCES], write[N_RESOURCES], del[N_RESOURCES], holds[N_RESOURCES];
    bool writes_any_code, import, sees_raw, read_audit;
    const char *raw_codes;  /* NULL when none */
    const char *cache_kind; /* with cache_codes after it */
    const char *cache_codes;
    const char *role;
    /* releases (design §8): make one; read live without asking; read live where the operator
     * allows protected live reads; read only open releases; the revision cap at a setting of 24 */
    bool may_release, live_by_default, live_when_allowed, open_only;
    int cap;
};

static const struct expectation table[] = {
    {
        .name = "no token",
        .principal = {.authenticated = false, .role = ROLE_NONE, .codes = NULL},
        .read = {false, false, false},
        .write = {false, false, false},
        .del = {false, false, false},
        .holds = {false, false, false},
        .raw_codes = NULL,
        .cache_kind = "open",
        .cache_codes = "",
        .may_release = false,
        .live_by_default = false,
        .live_when_allowed = false,
        .open_only = true,
        .cap = 0,
        .role = "none",
    },
    {
        .name = "municipality holding " OWN,
        .principal = {.authenticated = true, .id = 1, .role = ROLE_MUNICIPALITY, .codes = OWN},
        .read = {true, false, false},
        .write = {true, false, false},
        .del = {false, false, false},
        .holds = {true, false, false},
        .import = true,
        .raw_codes = OWN,
        .cache_kind = "municipality:",
        .cache_codes = OWN,
        .may_release = false,
        .live_by_default = false,
        .live_when_allowed = true,
        .open_only = false,
        .cap = 24,
        .role = "municipality",
    },
    {
        .name = "municipality holding other codes",
        .principal = {.authenticated = true,
                      .id = 2,
                      .role = ROLE_MUNICIPALITY,
                      .codes = "GM0014," OTHER ",GM0518"},
        .read = {false, true, false},
        .write = {false, true, false},
        .del = {false, false, false},
        .holds = {false, true, false},
        .import = true,
        .raw_codes = "GM0014," OTHER ",GM0518",
        .cache_kind = "municipality:",
        .cache_codes = "GM0014," OTHER ",GM0518",
        .may_release = false,
        .live_by_default = false,
        .live_when_allowed = true,
        .open_only = false,
        .cap = 24,
        .role = "municipality",
    },
    {
        .name = "municipality holding codes that merely contain " OWN,
        .principal =
            {.authenticated = true, .id = 3, .role = ROLE_MUNICIPALITY, .codes = "GM05990,XGM0599"},
        .read = {false, false, false},
        .write = {false, false, false},
        .del = {false, false, false},
        .holds = {false, false, false},
        .import = true,
        .raw_codes = "GM05990,XGM0599",
        .cache_kind = "municipality:",
        .cache_codes = "GM05990,XGM0599",
        .may_release = false,
        .live_by_default = false,
        .live_when_allowed = true,
        .open_only = false,
        .cap = 24,
        .role = "municipality",
    },
    {
        .name = "municipality holding no codes",
        .principal = {.authenticated = true, .id = 4, .role = ROLE_MUNICIPALITY, .codes = ""},
        .read = {false, false, false},
        .write = {false, false, false},
        .del = {false, false, false},
        .holds = {false, false, false},
        .import = true,
        .raw_codes = "",
        .cache_kind = "municipality:",
        .cache_codes = "",
        .may_release = false,
        .live_by_default = false,
        .live_when_allowed = true,
        .open_only = false,
        .cap = 24,
        .role = "municipality",
    },
    {
        .name = "rapporteur",
        .principal = {.authenticated = true, .id = 5, .role = ROLE_RAPPORTEUR, .codes = ""},
        .read = {true, true, true},
        .write = {true, true, true},
        .del = {true, true, true},
        .holds = {false, false, false},
        .writes_any_code = true,
        .import = true,
        .sees_raw = true,
        .read_audit = true,
        .raw_codes = NULL,
        .cache_kind = "raw",
        .cache_codes = "",
        .may_release = true,
        .live_by_default = true,
        .live_when_allowed = true,
        .open_only = false,
        .cap = 0,
        .role = "rapporteur",
    },
    {
        .name = "analyst",
        .principal = {.authenticated = true, .id = 6, .role = ROLE_ANALYST, .codes = ""},
        .read = {false, false, false},
        .write = {false, false, false},
        .del = {false, false, false},
        .holds = {false, false, false},
        .raw_codes = NULL,
        .cache_kind = "protected",
        .cache_codes = "",
        .may_release = false,
        .live_by_default = false,
        .live_when_allowed = true,
        .open_only = false,
        .cap = 0,
        .role = "analyst",
    },
    /* A role without authentication never comes out of api/auth.c; every decision still fails
     * closed for it. */
    {
        .name = "unauthenticated rapporteur",
        .principal = {.authenticated = false, .role = ROLE_RAPPORTEUR, .codes = NULL},
        .read = {false, false, false},
        .write = {false, false, false},
        .del = {false, false, false},
        .holds = {false, false, false},
        .raw_codes = NULL,
        .cache_kind = "open",
        .cache_codes = "",
        .may_release = false,
        .live_by_default = false,
        .live_when_allowed = false,
        .open_only = true,
        .cap = 0,
        .role = "rapporteur",
    },
    {
        .name = "unauthenticated municipality",
        .principal = {.authenticated = false, .role = ROLE_MUNICIPALITY, .codes = OWN},
        .read = {false, false, false},
        .write = {false, false, false},
        .del = {false, false, false},
        .holds = {false, false, false},
        .raw_codes = NULL,
        .cache_kind = "open",
        .cache_codes = "",
        .may_release = false,
        .live_by_default = false,
        .live_when_allowed = false,
        .open_only = true,
        .cap = 0,
        .role = "municipality",
    },
};

static const char *code_name(const char *code)
{
    return code ? code : "NULL";
}

static void assert_same_string(const char *got, const char *want, const char *what, const char *who)
{
    if (!want) {
        cr_assert_null(got, "%s of %s: expected NULL, got \"%s\"", what, who, got);
        return;
    }
    cr_assert_not_null(got, "%s of %s: expected \"%s\", got NULL", what, who, want);
    cr_assert_str_eq(got, want, "%s of %s", what, who);
}

Test(access, per_resource_decisions, .timeout = 60)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const struct expectation *e = &table[i];
        for (size_t j = 0; j < N_RESOURCES; j++) {
            const char *code = resources[j];
            cr_assert_eq(access_may_read(&e->principal, code), e->read[j], "%s reads %s: %d",
                         e->name, code_name(code), e->read[j]);
            cr_assert_eq(access_may_write(&e->principal, code), e->write[j], "%s writes %s: %d",
                         e->name, code_name(code), e->write[j]);
            cr_assert_eq(access_may_delete(&e->principal, code), e->del[j], "%s deletes %s: %d",
                         e->name, code_name(code), e->del[j]);
            cr_assert_eq(principal_holds(&e->principal, code), e->holds[j], "%s holds %s: %d",
                         e->name, code_name(code), e->holds[j]);
        }
    }
}

Test(access, per_principal_decisions, .timeout = 60)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const struct expectation *e = &table[i];
        const struct principal *p = &e->principal;
        cr_assert_eq(access_writes_any_code(p), e->writes_any_code, "%s writes any code: %d",
                     e->name, e->writes_any_code);
        cr_assert_eq(access_may_import(p), e->import, "%s imports: %d", e->name, e->import);
        cr_assert_eq(access_sees_raw(p), e->sees_raw, "%s sees raw: %d", e->name, e->sees_raw);
        cr_assert_eq(access_may_read_audit(p), e->read_audit, "%s reads the audit trail: %d",
                     e->name, e->read_audit);
        assert_same_string(access_raw_codes(p), e->raw_codes, "raw codes", e->name);
        const char *codes = "unset";
        const char *kind = access_cache_kind(p, &codes);
        assert_same_string(kind, e->cache_kind, "cache kind", e->name);
        assert_same_string(codes, e->cache_codes, "cache codes", e->name);
        cr_assert_str_eq(role_name(p->role), e->role, "role name of %s", e->name);
        cr_assert_eq(access_may_release(p), e->may_release, "%s makes releases", e->name);
        cr_assert_eq(access_reads_live_by_default(p), e->live_by_default, "%s reads live", e->name);
        cr_assert_eq(access_may_read_live(p, false), e->live_by_default,
                     "%s reads live where the operator does not allow it", e->name);
        cr_assert_eq(access_may_read_live(p, true), e->live_when_allowed,
                     "%s reads live where the operator allows it", e->name);
        cr_assert_eq(access_reads_open_releases_only(p), e->open_only, "%s reads open only",
                     e->name);
        cr_assert_eq(access_revision_cap(p, 24), e->cap, "%s's revision cap", e->name);
    }
}

/* A municipality holding several codes (a centrumgemeente for its region) holds each of them
 * wherever it stands in the list, and nothing that is only part of one. */
Test(access, holds_each_code_of_a_list, .timeout = 60)
{
    struct principal p = {
        .authenticated = true, .role = ROLE_MUNICIPALITY, .codes = "GM0014,GM0599,GM0518"};
    cr_assert(principal_holds(&p, "GM0014"));
    cr_assert(principal_holds(&p, "GM0599"));
    cr_assert(principal_holds(&p, "GM0518"));
    cr_assert_not(principal_holds(&p, "GM0363"));
    cr_assert_not(principal_holds(&p, "GM059"));
    cr_assert_not(principal_holds(&p, "0599"));
    cr_assert_not(principal_holds(&p, ""));
    cr_assert_not(principal_holds(&p, "GM0014,GM0599"));
    cr_assert(access_may_write(&p, "GM0518"));
    cr_assert(access_may_read(&p, "GM0014"));
    cr_assert_not(access_may_delete(&p, "GM0599"));
}

/* Two callers share a cached read only when their cache kinds are equal: never a municipality
 * with the rapporteur or an analyst, never two municipalities with different codes, never a
 * caller without a token (open releases only) with an analyst (every release). */
Test(access, cache_kind_separates_what_callers_see, .timeout = 60)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        for (size_t j = 0; j < sizeof table / sizeof table[0]; j++) {
            const char *ci, *cj;
            const char *ki = access_cache_kind(&table[i].principal, &ci);
            const char *kj = access_cache_kind(&table[j].principal, &cj);
            bool same_key = strcmp(ki, kj) == 0 && strcmp(ci, cj) == 0;
            bool same_view =
                access_sees_raw(&table[i].principal) == access_sees_raw(&table[j].principal) &&
                ((!access_raw_codes(&table[i].principal) &&
                  !access_raw_codes(&table[j].principal)) ||
                 (access_raw_codes(&table[i].principal) && access_raw_codes(&table[j].principal) &&
                  strcmp(access_raw_codes(&table[i].principal),
                         access_raw_codes(&table[j].principal)) == 0)) &&
                access_reads_open_releases_only(&table[i].principal) ==
                    access_reads_open_releases_only(&table[j].principal);
            cr_assert_eq(same_key, same_view, "%s / %s", table[i].name, table[j].name);
        }
}

/* A row of an aggregate is raw only where the caller may see every municipality contributing to
 * it raw (design §3.3; issue 20 item 5): under boundaries=current the row of today's GM0344 also
 * sums its predecessor GM0088, and a token holding GM0344 alone must not see GM0088 raw there. */
Test(access, a_row_is_raw_only_when_every_contributor_is, .timeout = 60)
{
    static const struct principal successor = {
        .authenticated = true, .id = 10, .role = ROLE_MUNICIPALITY, .codes = "GM0344"};
    static const struct principal both = {
        .authenticated = true, .id = 11, .role = ROLE_MUNICIPALITY, .codes = "GM0088,GM0344"};
    static const struct principal rapporteur = {
        .authenticated = true, .id = 12, .role = ROLE_RAPPORTEUR, .codes = ""};
    static const struct principal analyst = {
        .authenticated = true, .id = 13, .role = ROLE_ANALYST, .codes = ""};
    static const struct principal nobody = {.authenticated = false, .codes = NULL};
    static const struct principal unauthenticated_municipality = {
        .authenticated = false, .role = ROLE_MUNICIPALITY, .codes = "GM0344"};
    static const struct {
        const char *who;
        const struct principal *p;
        const char *contributors;
        bool raw;
    } rows[] = {
        {"successor, its own row", &successor, "GM0344", true},
        {"successor, with its predecessor", &successor, "GM0088,GM0344", false},
        {"successor, predecessor listed last", &successor, "GM0344,GM0088", false},
        {"successor, the predecessor alone", &successor, "GM0088", false},
        {"successor, a region of others", &successor, "GM0307,GM0310,GM0312", false},
        {"both codes, with the predecessor", &both, "GM0088,GM0344", true},
        {"both codes, one of them", &both, "GM0088", true},
        {"both codes, a third contributes", &both, "GM0088,GM0344,GM0599", false},
        {"successor, a code that merely contains its own", &successor, "GM03440", false},
        {"successor, a piece of its own code", &successor, "GM034", false},
        {"successor, an empty list", &successor, "", false},
        {"successor, no list", &successor, NULL, false},
        {"successor, an empty piece", &successor, "GM0344,", false},
        {"successor, an empty first piece", &successor, ",GM0344", false},
        {"successor, a doubled comma", &successor, "GM0344,,GM0344", false},
        {"successor, the same code twice", &successor, "GM0344,GM0344", true},
        {"successor, an overlong piece", &successor, "GM0344GM0344GM0344GM0344", false},
        {"rapporteur, any row", &rapporteur, "GM0088,GM0344,GM0599", true},
        {"rapporteur, no list", &rapporteur, NULL, true},
        {"analyst, a single municipality", &analyst, "GM0344", false},
        {"no token", &nobody, "GM0344", false},
        {"unauthenticated municipality", &unauthenticated_municipality, "GM0344", false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        cr_assert_eq(access_sees_row_raw(rows[i].p, rows[i].contributors), rows[i].raw,
                     "%s (\"%s\"): expected %s", rows[i].who,
                     rows[i].contributors ? rows[i].contributors : "NULL",
                     rows[i].raw ? "raw" : "protected");
}
