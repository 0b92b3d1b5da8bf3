/* The partner-network document of design §3.1: decoding and validating a PUT body (partners and
 * prevention against the catalogue, the approach fields of the API contract), its canonical text,
 * the eight approach steps it meets for a period, and the regional tally of /v1/networks (§3.3).
 * Pure: no I/O, no globals. */
#ifndef TRECHTER_NETWORK_DOC_H
#define TRECHTER_NETWORK_DOC_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/catalog.h"
#include "core/document.h"
#include "core/period.h"
#include "core/problem.h"

/* The largest count of trainings, network meetings or newsletter issues in one year. */
#define NETWORK_MAX_COUNT 1000

/* The approach fields, in canonical order. Their names are part of the API contract (design §3.1),
 * unlike partner types and prevention points, which are reference data. */
enum network_field {
    NETWORK_SOCIAL_MAP_UPDATED_ON,
    NETWORK_PARTNER_MEETING_HELD,
    NETWORK_COORDINATOR_APPOINTED,
    NETWORK_TRAININGS_THIS_YEAR,
    NETWORK_NETWORK_MEETINGS_THIS_YEAR,
    NETWORK_NEWSLETTER_ISSUES_THIS_YEAR,
    NETWORK_ALDERMAN_INVOLVED_ON,
    NETWORK_ANNUAL_REPORT_PUBLISHED,
    NETWORK_ANNUAL_PLAN_PUBLISHED,
    NETWORK_EXPERTS_BY_EXPERIENCE_INVOLVED,
    NETWORK_FIELDS
};

enum network_field_type { NETWORK_DATE, NETWORK_BOOL, NETWORK_COUNT };

/* The field's JSON name ("socialMapUpdatedOn") and type. */
const char *network_field_name(enum network_field f);
enum network_field_type network_field_type(enum network_field f);

/* The approach section. A field not `known` was left out (not known) and its value is 0. */
struct network_approach {
    bool known[NETWORK_FIELDS];
    /* NETWORK_BOOL: 0 or 1; NETWORK_COUNT: 0..NETWORK_MAX_COUNT; NETWORK_DATE: the date as the
     * number YYYYMMDD (20260301), a real calendar date. */
    int value[NETWORK_FIELDS];
};

/* A decoded network. Indexes follow the catalogue it was decoded with; -1 is "not known". */
struct network {
    signed char partners[CATALOG_MAX_LIST];   /* per partner type: index of its status */
    signed char prevention[CATALOG_MAX_LIST]; /* per prevention point: index of its state */
    struct network_approach approach;
};

/* Decodes and validates a PUT body for `period`. The body is one JSON object with the optional
 * members "partners" ({partnerType: status}), "approach" (the fields above) and "prevention"
 * ({point: state}); every member anywhere is optional, a member left out meaning "not known"
 * (null is not accepted for that: leave the member out). Booleans are JSON true/false; counts
 * JSON integers 0..NETWORK_MAX_COUNT; dates "YYYY-MM-DD", real calendar dates not after the
 * period's last day. Duplicate keys and unknown members are violations. Every violation is added
 * to v (IN_BODY, RFC 6901 pointer), capped like every document (DOC_MAX_VIOLATIONS plus one
 * "too-many-errors"). Codes: malformed-json, duplicate-key, type, unknown-field,
 * unknown-partner-type, unknown-partner-status, unknown-approach-field, unknown-prevention-point,
 * unknown-prevention-state, not-integer, negative, too-large, malformed-date, date-after-period.
 * Returns 0 when valid (out filled, nothing added to v) or -1 (out unspecified). */
int network_decode(const char *body, size_t len, const struct catalog *cat, struct period period,
                   struct network *out, struct violations *v);

/* The network as {"partners": {...}, "approach": {...}, "prevention": {...}}: all three sections
 * always present, known members only, in catalogue order (approach fields in the order above).
 * A new reference (NULL only when out of memory). */
json_t *network_to_json(const struct network *n, const struct catalog *cat);

/* network_to_json() as compact text: bodies with equal content give byte-identical text.
 * malloc'd; NULL when out of memory. */
char *network_canonical_json(const struct network *n, const struct catalog *cat);

/* ---- the eight approach steps (design §1.4, §3.1) ------------------------------------------- */

enum network_step {
    STEP_SOCIAL_MAP,
    STEP_PARTNER_MEETING,
    STEP_COORDINATOR,
    STEP_TRAINING,
    STEP_NETWORK_MEETINGS,
    STEP_NEWSLETTER,
    STEP_ALDERMAN,
    STEP_ANNUAL_REPORT_PLAN,
    NETWORK_STEPS
};

enum step_state { STEP_NOT_KNOWN = -1, STEP_NOT_MET = 0, STEP_MET = 1 };

struct network_steps {
    signed char state[NETWORK_STEPS]; /* enum step_state */
    int met;                          /* steps STEP_MET */
    int known;                        /* steps not STEP_NOT_KNOWN */
};

/* The step's key ("socialMap"), design §1.4. */
const char *network_step_key(enum network_step s);

/* The date `months` calendar months before y-m-d: the same day of the month, clamped to the last
 * day of a shorter month (2024-02-29 less 12 months is 2023-02-28; 2025-05-31 less 3 is
 * 2025-02-28). */
void network_months_before(int y, int m, int d, int months, int *oy, int *om, int *od);

/* Evaluates the steps for `period` (design §3.1):
 *   socialMap        socialMapUpdatedOn within 12 months before the period's last day;
 *   partnerMeeting   partnerMeetingHeld;
 *   coordinator      coordinatorAppointed;
 *   training         trainingsThisYear >= 1;
 *   networkMeetings  networkMeetingsThisYear >= 2;
 *   newsletter       newsletterIssuesThisYear >= 1;
 *   alderman         aldermanInvolvedOn within 24 months before the period's last day;
 *   annualReportPlan annualReportPublished and annualPlanPublished: met when both are true, not
 *                    met as soon as one is false (whatever the other), else not known.
 * "Within N months before the period's end" includes both ends: from network_months_before(last
 * day, N) up to and including the last day (period end 2026-06-30: 2025-06-30 counts for the social
 * map, 2025-06-29 does not). A date after the last day (refused on input) does not count. A step
 * whose input is not known is STEP_NOT_KNOWN. */
void network_steps_eval(const struct network_approach *a, struct period period,
                        struct network_steps *out);

/* {"socialMap": true|false|null, ...} in step order. A new reference. */
json_t *network_steps_json(const struct network_steps *s);

/* Decodes a stored "approach" object leniently: valid fields are set, anything else is left not
 * known (stored documents were validated when written). NULL or a non-object gives nothing known.
 */
void network_approach_from_json(const json_t *approach, struct network_approach *out);

/* Adds "steps", "stepsMet" and "stepsKnown" to a network answer (a stored document with its
 * "approach" member) for `period`. Returns 0, or -1 when out of memory. */
int network_answer_add_steps(json_t *document, struct period period);

/* ---- the regional tally of /v1/networks (design §3.3) --------------------------------------- */

/* Counts of one region and period. Zero it with network_tally_reset(). */
struct network_tally {
    int expected;  /* municipalities in the region */
    int reporting; /* of which submitted a network for the period */
    int steps_met[NETWORK_STEPS + 1];
    int step_states[NETWORK_STEPS][3]; /* met, notMet, notKnown */
    /* per partner type (prevention point): municipalities at each status (state) of the
     * catalogue, the last column being "notKnown". */
    int partners[CATALOG_MAX_LIST][CATALOG_MAX_LIST + 1];
    int prevention[CATALOG_MAX_LIST][CATALOG_MAX_LIST + 1];
};

void network_tally_reset(struct network_tally *t);

/* Adds one municipality of the region: `content` is its stored network document, or NULL when it
 * submitted none for the period (counted in `expected` only). A stored value the catalogue no
 * longer knows counts as notKnown. */
void network_tally_add(struct network_tally *t, const json_t *content, const struct catalog *cat,
                       struct period period);

/* {"reporting", "expected", "stepsMet": {"0": n, ..., "8": n}, "steps": {"socialMap": {"met",
 * "notMet", "notKnown"}, ...}, "partners": {type: {status...: n, "notKnown": n}}, "prevention":
 * {point: {state...: n, "notKnown": n}}} with every key of the catalogue listed; each partner's,
 * point's and step's counts sum to `reporting`. A new reference. */
json_t *network_tally_json(const struct network_tally *t, const struct catalog *cat);

#endif
