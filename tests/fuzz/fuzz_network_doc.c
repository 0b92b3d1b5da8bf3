/* libFuzzer harness: network_decode() on arbitrary PUT bodies against the fixture catalog, for a
 * period taken from the input's first byte. A valid network must canonicalise and decode again to
 * the same text, and its steps and regional tally must be computable. The lenient readers of
 * stored documents (network_approach_from_json, network_tally_add) get the parsed input as it is.
 */
#include "core/network_doc.h"

#include "core/document.h"
#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_catalog();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const struct catalog *cat = fuzz_catalog();
    /* 2015-Q1 .. 2030-Q4 */
    struct period period = {2015 + (data[0] >> 2) % 16, 1 + (data[0] & 3)};
    const char *body = (const char *)data + 1;
    size_t len = size - 1;

    struct network n;
    struct violations v;
    violations_init(&v);
    int rc = network_decode(body, len, cat, period, &n, &v);
    fuzz_check_violations(rc, &v, DOC_MAX_VIOLATIONS);
    violations_clear(&v);

    /* Stored documents are read leniently: anything JSON must be safe to read and tally. */
    json_t *root = json_loadb(body, len, 0, NULL);
    if (root) {
        struct network_approach a;
        network_approach_from_json(json_object_get(root, "approach"), &a);
        network_approach_from_json(root, &a);
        struct network_steps steps;
        network_steps_eval(&a, period, &steps);
        FUZZ_CHECK(steps.met >= 0 && steps.met <= steps.known && steps.known <= NETWORK_STEPS,
                   "steps %d/%d", steps.met, steps.known);
        struct network_tally *t = malloc(sizeof *t);
        FUZZ_CHECK(t != NULL);
        network_tally_reset(t);
        network_tally_add(t, root, cat, period);
        network_tally_add(t, NULL, cat, period);
        json_t *tj = network_tally_json(t, cat);
        FUZZ_CHECK(tj != NULL, "tally json");
        json_decref(tj);
        free(t);
        if (json_is_object(root)) {
            json_t *copy = json_deep_copy(root);
            FUZZ_CHECK(copy != NULL);
            network_answer_add_steps(copy, period);
            json_decref(copy);
        }
        json_decref(root);
    }
    if (rc != 0)
        return 0;

    char *canon = network_canonical_json(&n, cat);
    FUZZ_CHECK(canon != NULL, "no canonical text");
    struct network again;
    violations_init(&v);
    FUZZ_CHECK(network_decode(canon, strlen(canon), cat, period, &again, &v) == 0,
               "canonical text refused: %s", canon);
    violations_clear(&v);
    char *canon2 = network_canonical_json(&again, cat);
    FUZZ_CHECK(canon2 && strcmp(canon, canon2) == 0, "canonical text not stable:\n%s\n%s", canon,
               canon2 ? canon2 : "(null)");
    free(canon2);

    /* The stored form read back leniently gives the same approach. */
    json_t *stored = json_loads(canon, 0, NULL);
    FUZZ_CHECK(stored != NULL);
    struct network_approach a;
    network_approach_from_json(json_object_get(stored, "approach"), &a);
    for (int fi = 0; fi < NETWORK_FIELDS; fi++) {
        FUZZ_CHECK(a.known[fi] == n.approach.known[fi], "field %d known differs", fi);
        if (a.known[fi])
            FUZZ_CHECK(a.value[fi] == n.approach.value[fi], "field %d: %d vs %d", fi, a.value[fi],
                       n.approach.value[fi]);
    }
    struct network_steps s1, s2;
    network_steps_eval(&n.approach, period, &s1);
    network_steps_eval(&a, period, &s2);
    FUZZ_CHECK(memcmp(&s1, &s2, sizeof s1) == 0, "steps differ after a round trip");
    json_t *sj = network_steps_json(&s1);
    FUZZ_CHECK(sj != NULL);
    json_decref(sj);
    struct network_tally *t = malloc(sizeof *t);
    FUZZ_CHECK(t != NULL);
    network_tally_reset(t);
    network_tally_add(t, stored, cat, period);
    FUZZ_CHECK(t->reporting == 1 && t->expected == 1, "tally %d/%d", t->reporting, t->expected);
    free(t);
    json_decref(stored);
    free(canon);
    return 0;
}
