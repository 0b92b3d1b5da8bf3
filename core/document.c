/* The shared plumbing of submitted documents: capped violation reports, RFC 6901 pointers, safe
 * echoes of client text, JSON loading with duplicate keys located, and table-driven member walks.
 */
#include "core/document.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reporting --------------------------------------------------------------------------------
 */

void doc_safe_text(char *dst, size_t cap, const char *src, size_t len)
{
    if (cap == 0)
        return;
    const unsigned char *s = (const unsigned char *)src;
    size_t o = 0, i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n = c < 0x80             ? 1
                   : (c & 0xE0) == 0xC0 ? 2
                   : (c & 0xF0) == 0xE0 ? 3
                   : (c & 0xF8) == 0xF0 ? 4
                                        : 0;
        bool ok = n > 0 && i + n <= len;
        for (size_t k = 1; ok && k < n; k++)
            ok = (s[i + k] & 0xC0) == 0x80;
        if (ok && n == 2)
            ok = c >= 0xC2;
        if (ok && n == 3) {
            unsigned cp = (c & 0x0Fu) << 12 | (s[i + 1] & 0x3Fu) << 6 | (s[i + 2] & 0x3Fu);
            ok = cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF);
        }
        if (ok && n == 4) {
            unsigned cp = (c & 0x07u) << 18 | (s[i + 1] & 0x3Fu) << 12;
            ok = cp >= 0x10000 && cp <= 0x10FFFF;
        }
        if (ok && n == 1 && (c < 0x20 || c == 0x7F))
            ok = false;
        if (!ok)
            n = 1;
        if (o + n >= cap)
            break;
        if (ok)
            memcpy(dst + o, s + i, n);
        else
            dst[o] = '?';
        o += n;
        i += n;
    }
    dst[o] = '\0';
}

bool doc_violations_full(const struct violations *v)
{
    return violations_count(v) >= DOC_MAX_VIOLATIONS;
}

bool doc_violation(struct violations *v, const char *pointer, const char *code, const char *fmt,
                   ...)
{
    size_t count = violations_count(v);
    if (count > DOC_MAX_VIOLATIONS)
        return false;
    if (count == DOC_MAX_VIOLATIONS) {
        violations_add(v, IN_BODY, "", "too-many-errors",
                       "more than %d violations; the rest are not listed", DOC_MAX_VIOLATIONS);
        return false;
    }
    char raw[256], detail[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    doc_safe_text(detail, sizeof detail, raw, strlen(raw));
    violations_add(v, IN_BODY, pointer, code, "%s", detail);
    return true;
}

void doc_report(struct doc_report *rep, const char *pointer, const char *code, const char *fmt, ...)
{
    char detail[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    rep->found++;
    doc_violation(rep->v, pointer ? pointer : "", code, "%s", detail);
}

char *doc_pointer_join(const char *base, const char *token)
{
    if (!base)
        base = "";
    size_t blen = strlen(base), extra = 0;
    for (const char *c = token; *c; c++)
        extra += (*c == '~' || *c == '/') ? 2 : 1;
    char *p = malloc(blen + 1 + extra + 1);
    if (!p)
        return NULL;
    memcpy(p, base, blen);
    size_t o = blen;
    p[o++] = '/';
    for (const char *c = token; *c; c++) {
        if (*c == '~' || *c == '/') {
            p[o++] = '~';
            p[o++] = *c == '~' ? '0' : '1';
        } else {
            p[o++] = *c;
        }
    }
    p[o] = '\0';
    return p;
}

/* ---- locating a duplicate key ------------------------------------------------------------------
 */

#define SCAN_MAX_DEPTH 64

struct scan_level {
    bool is_object;
    bool expect_key;
    size_t index;    /* arrays: current element */
    const char *key; /* objects: raw token of the current key, quotes included (borrowed) */
    size_t key_len;
};

/* The JSON pointer of the object member whose key jansson found repeated: text[0..end) is the
 * prefix jansson accepted, ending with (or just after) that key. NULL when it cannot tell. */
static char *duplicate_pointer(const char *text, size_t end)
{
    struct scan_level stack[SCAN_MAX_DEPTH];
    size_t depth = 0;
    for (size_t i = 0; i < end; i++) {
        char c = text[i];
        if (c == '{' || c == '[') {
            if (depth == SCAN_MAX_DEPTH)
                return NULL;
            stack[depth++] = (struct scan_level){.is_object = c == '{', .expect_key = c == '{'};
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return NULL;
            depth--;
        } else if (c == ',' && depth > 0) {
            if (stack[depth - 1].is_object)
                stack[depth - 1].expect_key = true;
            else
                stack[depth - 1].index++;
        } else if (c == ':' && depth > 0) {
            stack[depth - 1].expect_key = false;
        } else if (c == '"') {
            size_t start = i++;
            while (i < end && text[i] != '"')
                i += text[i] == '\\' ? 2 : 1;
            if (i >= end)
                return NULL;
            if (depth > 0 && stack[depth - 1].is_object && stack[depth - 1].expect_key) {
                stack[depth - 1].key = text + start;
                stack[depth - 1].key_len = i + 1 - start;
            }
        }
    }
    if (depth == 0 || !stack[depth - 1].is_object || !stack[depth - 1].key)
        return NULL;
    char *ptr = strdup("");
    for (size_t l = 0; ptr && l < depth; l++) {
        char *next;
        if (stack[l].is_object) {
            json_t *k = json_loadb(stack[l].key, stack[l].key_len, JSON_DECODE_ANY, NULL);
            next = json_is_string(k) ? doc_pointer_join(ptr, json_string_value(k)) : NULL;
            json_decref(k);
        } else {
            char idx[32];
            snprintf(idx, sizeof idx, "%zu", stack[l].index);
            next = doc_pointer_join(ptr, idx);
        }
        free(ptr);
        ptr = next;
    }
    return ptr;
}

/* ---- loading --------------------------------------------------------------------------------- */

void doc_json_error(struct doc_report *rep, const char *text, size_t len, const json_error_t *err)
{
    char msg[JSON_ERROR_TEXT_LENGTH];
    doc_safe_text(msg, sizeof msg, err->text, strnlen(err->text, sizeof err->text));
    if (json_error_code(err) == json_error_duplicate_key) {
        size_t end =
            err->position > 0 && (size_t)err->position <= len ? (size_t)err->position : len;
        char *ptr = duplicate_pointer(text, end);
        doc_report(rep, ptr ? ptr : "", "duplicate-key",
                   "line %d, column %d: %s; every member may appear only once", err->line,
                   err->column, msg);
        free(ptr);
        return;
    }
    doc_report(rep, "", "malformed-json", "line %d, column %d: %s", err->line, err->column, msg);
}

json_t *doc_load(struct doc_report *rep, const char *body, size_t len, enum doc_root root,
                 const char *type_detail)
{
    json_error_t err;
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
    if (!doc) {
        doc_json_error(rep, body, len, &err);
        return NULL;
    }
    if (root == DOC_ROOT_OBJECT ? !json_is_object(doc) : !json_is_array(doc)) {
        doc_report(rep, "", "type", "%s", type_detail);
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* ---- walking members ------------------------------------------------------------------------- */

uint32_t doc_walk_members(struct doc_report *rep, const json_t *obj, const char *pointer,
                          const struct doc_member *table, size_t n, const char *unknown_detail,
                          void *ctx)
{
    assert(n <= DOC_MAX_MEMBERS);
    uint32_t seen = 0;
    if (!json_is_object(obj))
        return 0;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value)
    {
        char *p = doc_pointer_join(pointer, key);
        size_t i = 0;
        while (i < n && strcmp(table[i].name, key) != 0)
            i++;
        if (i < n) {
            seen |= UINT32_C(1) << i;
            table[i].fn(ctx, value, p);
        } else {
            doc_report(rep, p, "unknown-field", "%s", unknown_detail);
        }
        free(p);
    }
    return seen;
}
