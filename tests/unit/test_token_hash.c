/* Unit tests of core/token_hash: SHA-256 vectors, token shape and uniqueness. */
#include "core/token_hash.h"

#include <criterion/criterion.h>
#include <string.h>

Test(token_hash, sha256_known_vectors, .timeout = 60)
{
    char hex[65];
    token_hash_hex("abc", hex);
    cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    token_hash_hex("", hex);
    cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

Test(token_hash, generated_tokens_have_the_documented_shape, .timeout = 60)
{
    char tok[48];
    cr_assert_eq(token_generate(tok), 0);
    cr_assert_eq(strlen(tok), 47);
    cr_assert_eq(strncmp(tok, "trt_", 4), 0);
    cr_assert_eq(
        strspn(tok + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43,
        "base64url without padding: %s", tok);
    cr_assert(token_well_formed(tok));
    char hex[65];
    token_hash_hex(tok, hex);
    cr_assert_eq(strlen(hex), 64);
    cr_assert_eq(strspn(hex, "0123456789abcdef"), 64);
}

Test(token_hash, generated_tokens_are_unique, .timeout = 60)
{
    enum { N = 200 };
    static char toks[N][48];
    for (int i = 0; i < N; i++) {
        cr_assert_eq(token_generate(toks[i]), 0);
        for (int j = 0; j < i; j++)
            cr_assert_str_neq(toks[i], toks[j]);
    }
}

Test(token_hash, well_formed_rejects_other_shapes, .timeout = 60)
{
    cr_assert_not(token_well_formed(""));
    cr_assert_not(token_well_formed("trt_"));
    cr_assert_not(token_well_formed("xyz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    cr_assert_not(token_well_formed("trt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
    cr_assert_not(token_well_formed("trt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    cr_assert(token_well_formed("trt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
}
