/* The access policy of design §4: role names, which codes a principal holds, and every decision
 * of who may read, write, delete, import, see raw figures or read the audit trail. */
#include "core/access.h"

#include <stddef.h>
#include <string.h>

const char *role_name(enum role role)
{
    switch (role) {
    case ROLE_MUNICIPALITY:
        return "municipality";
    case ROLE_RAPPORTEUR:
        return "rapporteur";
    case ROLE_ANALYST:
        return "analyst";
    case ROLE_NONE:
        break;
    }
    return "none";
}

/* True for an authenticated principal of exactly this role. */
static bool acts_as(const struct principal *p, enum role role)
{
    return p->authenticated && p->role == role;
}

bool principal_holds(const struct principal *p, const char *code)
{
    if (!acts_as(p, ROLE_MUNICIPALITY) || !p->codes || !code)
        return false;
    size_t n = strlen(code);
    if (n == 0 || strchr(code, ',')) /* one code, never a piece of the list */
        return false;
    for (const char *s = p->codes; (s = strstr(s, code)) != NULL; s += n) {
        bool starts = s == p->codes || s[-1] == ',';
        bool ends = s[n] == '\0' || s[n] == ',';
        if (starts && ends)
            return true;
    }
    return false;
}

bool access_writes_any_code(const struct principal *p)
{
    return acts_as(p, ROLE_RAPPORTEUR);
}

bool access_may_write(const struct principal *p, const char *code)
{
    return access_writes_any_code(p) || principal_holds(p, code);
}

bool access_may_read(const struct principal *p, const char *code)
{
    return acts_as(p, ROLE_RAPPORTEUR) || principal_holds(p, code);
}

bool access_may_delete(const struct principal *p, const char *code)
{
    (void)code; /* the rapporteur deletes for any code; nobody else for any */
    return acts_as(p, ROLE_RAPPORTEUR);
}

bool access_may_import(const struct principal *p)
{
    return acts_as(p, ROLE_MUNICIPALITY) || acts_as(p, ROLE_RAPPORTEUR);
}

bool access_sees_raw(const struct principal *p)
{
    return acts_as(p, ROLE_RAPPORTEUR);
}

bool access_sees_row_raw(const struct principal *p, const char *contributors)
{
    if (access_sees_raw(p))
        return true;
    if (!acts_as(p, ROLE_MUNICIPALITY) || !contributors || !*contributors)
        return false;
    char code[16];
    for (const char *s = contributors;;) {
        size_t n = strcspn(s, ",");
        if (n == 0 || n >= sizeof code) /* an empty piece, or no code of any shape */
            return false;
        memcpy(code, s, n);
        code[n] = '\0';
        if (!principal_holds(p, code))
            return false;
        if (s[n] == '\0')
            return true;
        s += n + 1;
    }
}

const char *access_raw_codes(const struct principal *p)
{
    if (!acts_as(p, ROLE_MUNICIPALITY))
        return NULL;
    return p->codes ? p->codes : "";
}

bool access_may_read_audit(const struct principal *p)
{
    return acts_as(p, ROLE_RAPPORTEUR);
}

const char *access_cache_kind(const struct principal *p, const char **codes)
{
    *codes = "";
    if (access_sees_raw(p))
        return "raw";
    const char *raw = access_raw_codes(p);
    if (raw) {
        *codes = raw;
        return "municipality:";
    }
    return p->authenticated ? "protected" : "open";
}

bool access_may_release(const struct principal *p)
{
    return access_sees_raw(p);
}

bool access_reads_live_by_default(const struct principal *p)
{
    return access_sees_raw(p);
}

bool access_may_read_live(const struct principal *p, bool protected_live_reads)
{
    return access_sees_raw(p) || (p->authenticated && protected_live_reads);
}

bool access_reads_open_releases_only(const struct principal *p)
{
    return !p->authenticated;
}

int access_revision_cap(const struct principal *p, int max_revisions_per_day)
{
    return acts_as(p, ROLE_MUNICIPALITY) ? max_revisions_per_day : 0;
}
