/* Who may do what (design §4): the principal a request acts for, and every access decision the
 * API makes about it, in one place. Pure: no I/O, no allocation. Handlers ask these functions;
 * they do not compare roles themselves.
 *
 * Every decision fails closed: a principal that is not authenticated (the caller of a public
 * route, or one whose token was refused) may do nothing and sees nothing raw. */
#ifndef TRECHTER_ACCESS_H
#define TRECHTER_ACCESS_H
#include <stdbool.h>

/* The roles of design §4. ROLE_NONE is the caller without a (usable) token. */
enum role { ROLE_NONE = 0, ROLE_MUNICIPALITY, ROLE_RAPPORTEUR, ROLE_ANALYST };

/* Whom a request acts for, as authentication found it. Authentication sets `authenticated` only
 * together with a role other than ROLE_NONE and non-NULL `codes`. */
struct principal {
    bool authenticated;
    long long id;
    enum role role;
    char label[128];
    char *codes; /* owned: municipality codes joined by ',' ("" when none) */
};

/* "municipality", "rapporteur", "analyst", or "none" (static strings). */
const char *role_name(enum role role);

/* True when `p` is an authenticated municipality whose codes include `code` exactly (as a whole
 * item of the comma-separated list, never as a substring). False for every other role, also the
 * rapporteur: this is "holds", not "may". False when `code` is NULL, "" or holds a ',' (a piece
 * of the list is not a code). */
bool principal_holds(const struct principal *p, const char *code);

/* May `p` write (submit, correct) figures of municipality `code`? The rapporteur may for any code
 * (NULL included); a municipality for the codes it holds; analysts and no token never. A write
 * refused here is answered 403 (404 when the municipality does not exist). */
bool access_may_write(const struct principal *p, const char *code);

/* May `p` read the singular resources (a funnel, a network, their revisions) of municipality
 * `code`? The same callers as access_may_write: the rapporteur for any code, a municipality for
 * its own codes. Analysts read aggregates only, never a single municipality's resource. */
bool access_may_read(const struct principal *p, const char *code);

/* May `p` delete a submission of municipality `code`? The rapporteur only, for any code; a
 * municipality may not delete even its own. */
bool access_may_delete(const struct principal *p, const char *code);

/* May `p` write figures of every municipality, without a list of codes? The rapporteur only.
 * Anyone else who may write at all is limited to the codes it holds (principal_holds). */
bool access_writes_any_code(const struct principal *p);

/* May `p` post an import (POST /v1/imports)? Municipalities (each row then limited to the codes
 * it holds) and the rapporteur; analysts and no token never. */
bool access_may_import(const struct principal *p);

/* Does `p` see aggregates raw, unperturbed, for every region (design §5)? The rapporteur only.
 * Everyone else gets protected output, except a municipality's own rows (access_sees_row_raw). */
bool access_sees_raw(const struct principal *p);

/* Does `p` see raw an aggregate row to which exactly the municipalities `contributors` (codes
 * joined by ',', as the aggregate statement lists them) contribute figures (design §3.3, §5)? The
 * rapporteur sees every row raw. A municipality sees a row raw only when it holds every
 * contributor: under boundaries=current the row of today's municipality also sums its
 * predecessors, and holding the successor is not holding them. Nobody else sees a row raw, and a
 * row without contributors (NULL, "", or an empty piece of the list) is never raw but for the
 * rapporteur: a list that says nothing proves nothing. */
bool access_sees_row_raw(const struct principal *p, const char *contributors);

/* The municipality codes whose own rows `p` sees raw inside otherwise protected aggregates,
 * joined by ',' (borrowed from `p`): a municipality's codes, possibly "". NULL for every other
 * caller: the rapporteur (who sees all raw, access_sees_raw), analysts and no token. */
const char *access_raw_codes(const struct principal *p);

/* ---- releases (design §8) ---- */

/* May `p` make a release (POST /v1/releases)? The rapporteur only. */
bool access_may_release(const struct principal *p);

/* Does a read by `p` that names no release show live figures? Only for the rapporteur, who sees
 * every figure raw; every other caller reads the newest release of each period by default, so
 * that no sequence of writes and reads gives it a fresh perturbation to average. */
bool access_reads_live_by_default(const struct principal *p);

/* May `p` ask for live figures (release=live)? The rapporteur always; every other authenticated
 * caller only where the operator turned protected-live-reads on (docs/protection.md: the residual
 * risk); a caller without a token never. */
bool access_may_read_live(const struct principal *p, bool protected_live_reads);

/* Does `p` read only open releases (made with "open": true)? A caller without a token: it sees
 * the protected view of open releases and nothing live. */
bool access_reads_open_releases_only(const struct principal *p);

/* How many revisions of one funnel or network `p` may write in 24 hours, given the setting
 * max-revisions-per-day: the setting for a municipality, 0 (no cap) for the rapporteur, who
 * corrects figures. */
int access_revision_cap(const struct principal *p, int max_revisions_per_day);

/* May `p` read the audit trail (GET /v1/audit-events)? The rapporteur only. */
bool access_may_read_audit(const struct principal *p);

/* The "kind of caller" part of a read's cache key: two callers with equal parts are given the
 * same answer to the same request. Returns "raw" for the rapporteur, "municipality:" for a
 * municipality (whose codes, set in *codes, complete the part: raw rows differ per code set),
 * "protected" for analysts and "open" for callers without a token (who see open releases only).
 * *codes is "" except for a municipality. Both strings are borrowed (static, or from `p`). */
const char *access_cache_kind(const struct principal *p, const char **codes);

#endif
