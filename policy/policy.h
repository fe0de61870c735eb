/* policy.h: agencies, purposes, consents, and the pure decision over who may read which fields. */
#ifndef VAULTD_POLICY_H
#define VAULTD_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "../util/util.h"

#define POLICY_ID_MAX 40u        /* ids are short ASCII tokens */
#define POLICY_FIELD_MAX 32u     /* = VAULT_NAME_MAX */
#define POLICY_MAX_FIELDS 64u    /* = VAULT_MAX_FIELDS */
#define POLICY_JUSTIFICATION_MAX 500u

/* Agency roles, a bit set. */
enum {
	POLICY_ROLE_REGISTRAR = 1u << 0, /* may create and rectify records */
	POLICY_ROLE_CONSUMER = 1u << 1,  /* may ask for consent and look up */
	POLICY_ROLE_EMERGENCY = 1u << 2, /* may use the vital-interest basis */
};


typedef enum policy_basis {
	POLICY_BASIS_CONSENT = 1,
	POLICY_BASIS_LEGAL_OBLIGATION,
	POLICY_BASIS_VITAL_INTEREST,
} policy_basis;

/* A field in a purpose or a consent: its name, and whether only its masked view is covered. */
typedef struct policy_field {
	char name[POLICY_FIELD_MAX + 1];
	int masked;
} policy_field;

typedef struct policy_agency {
	char id[POLICY_ID_MAX + 1];
	unsigned roles;
	int suspended;
} policy_agency;

typedef struct policy_purpose {
	char id[POLICY_ID_MAX + 1];
	char agency_id[POLICY_ID_MAX + 1];
	policy_basis basis;
	size_t nfields;
	policy_field fields[POLICY_MAX_FIELDS]; /* the fields it may ever ask for */
} policy_purpose;

typedef struct policy_consent {
	char id[POLICY_ID_MAX + 1];
	char agency_id[POLICY_ID_MAX + 1];
	char purpose_id[POLICY_ID_MAX + 1];
	int64_t granted_at, expires_at; /* seconds since the epoch */
	int64_t revoked_at;             /* 0: not revoked */
	int64_t use_limit;              /* 0: no limit; 1: a one-time consent */
	int64_t uses;                   /* allowed lookups so far */
	size_t nfields;
	policy_field fields[POLICY_MAX_FIELDS]; /* exactly what the citizen approved, one by one */
} policy_consent;

/* Everything the decision looks at. The caller loads it; the decision reads nothing else. */
typedef struct policy_input {
	const policy_agency *agency;   /* the caller */
	const policy_purpose *purpose; /* NULL: the purpose code is not registered */
	int citizen_exists;
	int citizen_restricted;        /* the citizen restricted processing */
	const char *const *requested;  /* field names asked for; NULL or n = 0: "all granted" */
	size_t nrequested;
	const char *justification;     /* NULL or "" when none given */
	int64_t now;
	/* the citizen's consents to this agency for this purpose, any state, any order */
	const policy_consent *consents;
	size_t nconsents;
} policy_input;

/* Precise internal reasons. They go to the audit log only; callers outside see "not permitted". */
typedef enum policy_reason {
	POLICY_OK = 0,
	POLICY_DENY_UNKNOWN_CITIZEN,
	POLICY_DENY_AGENCY_SUSPENDED,
	POLICY_DENY_ROLE_MISSING,      /* no consumer role, or vital interest without emergency */
	POLICY_DENY_UNKNOWN_PURPOSE,
	POLICY_DENY_PURPOSE_NOT_AGENCYS,
	POLICY_DENY_NO_CONSENT,
	POLICY_DENY_CONSENT_REVOKED,
	POLICY_DENY_CONSENT_EXPIRED,
	POLICY_DENY_USE_LIMIT_REACHED,
	POLICY_DENY_RESTRICTED,
	POLICY_DENY_NO_FIELD_GRANTED,
	POLICY_DENY_JUSTIFICATION_MISSING,
	POLICY_DENY_FIELD_UNKNOWN,     /* a requested name not in the catalog (the caller checks it) */
	POLICY_REASON_COUNT
} policy_reason;

typedef struct policy_decision {
	int allow;
	policy_reason reason;
	policy_basis basis;
	size_t nfields;                         /* allowed: the exact field set, in purpose order */
	policy_field fields[POLICY_MAX_FIELDS]; /* masked = 1: release the masked view only */
	size_t nwithheld;                       /* requested but not allowed */
	char withheld[POLICY_MAX_FIELDS][POLICY_FIELD_MAX + 1];
	char consent_id[POLICY_ID_MAX + 1];     /* the consent that allowed, or whose state denied
	                                         * (revoked, expired, used up, no field granted); else "" */
	int needs_review;                       /* vital interest: goes to the officers' queue */
	int consumes_use;                       /* the consent has a use limit: count this lookup */
} policy_decision;

/*
 * The decision: a pure function of its input (no clock, no I/O, no allocation).
 *
 * Order of checks: agency suspended; citizen unknown; purpose unknown; purpose of another
 * agency; role (consumer for consent and legal obligation, emergency for vital interest);
 * then by basis:
 *   consent:          restriction; the newest consent that is not revoked and not expired and
 *                     under its use limit; else the reason of the newest consent (revoked,
 *                     expired, use limit) or no consent;
 *   legal_obligation: no consent needed; restriction does not apply;
 *   vital_interest:   a non-empty justification; restriction does not apply; needs review.
 * Fields: requested ∩ covered ∩ the purpose's fields, where covered is the consent's fields
 * for consent and the purpose's fields for the statutory bases; nothing requested means every
 * covered field. A field masked in the purpose or the consent is released masked. Requested
 * fields left out are listed as withheld. An empty result denies with NO_FIELD_GRANTED.
 */
void policy_decide(const policy_input *in, policy_decision *out) UTIL_NONNULL(1, 2);

/*
 * A field list as purposes, requests and consents store it (JSON: [{"name": "phone",
 * "masked": false}, ...]) into f (POLICY_MAX_FIELDS entries) and *n; -1 if it is not one.
 */
int policy_fields_parse(const char *s, policy_field *f, size_t *n) UTIL_WARN_UNUSED;

/*
 * 1 if s (n bytes of UTF-8) has a character that shows: not whitespace, a control, a format
 * character or another default-ignorable one (U+200B, U+3000, U+00A0, U+FEFF, ... alone are
 * empty). Bytes that are not UTF-8 do not count.
 */
int policy_text_visible(const char *s, size_t n) UTIL_NONNULL(1);
/* 1 for the bases whose lookups take a justification: legal obligation and vital interest. */
int policy_basis_takes_justification(policy_basis b);

const char *policy_reason_name(policy_reason r);
const char *policy_basis_name(policy_basis b);
/* Parses "consent", "legal_obligation", "vital_interest"; 0 if unknown. */
policy_basis policy_basis_parse(const char *s);

/* ---- a consent's state and its request's status, as time and the citizen make them (state.c) ---- */

/* The state of a consent, as its citizen sees it. */
typedef enum policy_consent_state {
	POLICY_CONSENT_ACTIVE = 0,
	POLICY_CONSENT_RESTRICTED, /* in force, but the citizen restricts processing: no lookup on it passes */
	POLICY_CONSENT_EXPIRED,
	POLICY_CONSENT_USED_UP,
	POLICY_CONSENT_REVOKED,
} policy_consent_state;

/* What a consent's state depends on, as stored (policy_consent's times and counts). */
typedef struct policy_consent_life {
	int64_t expires_at, revoked_at; /* revoked_at 0: not revoked */
	int64_t use_limit, uses;        /* use_limit 0: no limit */
} policy_consent_life;

/*
 * c's state at now, for a citizen who restricts processing (restricted) or not: revoked, else
 * expired, else used up, else restricted, else active: an ended consent's end first, as
 * policy_decide gives it for a denial. Pure, like the decision.
 */
policy_consent_state policy_consent_state_of(const policy_consent_life *c, int restricted, int64_t now)
    UTIL_NONNULL(1);
/* "active", "restricted", "expired", "used_up", "revoked". */
const char *policy_consent_state_name(policy_consent_state s);
/*
 * The status an agency reads of its request at now, from the stored one: "pending" past
 * expires_at reads "expired"; "approved" follows its consent c (NULL: none kept) to "revoked",
 * "expired" or "used_up", and stays "approved" while it is in force, restricted or not (a
 * restriction is the citizen's and no agency's business); any other reads as stored. Pure.
 */
const char *policy_request_status_of(const char *stored, int64_t expires_at, const policy_consent_life *c,
    int64_t now) UTIL_NONNULL(1);

/* ---- the registry, consent requests and consents, kept in the vault ---- */

#include <jansson.h>

#include "../audit/audit.h"
#include "../vault/vault.h"

/* The names of a set of POLICY_ROLE_* bits, in the order registrar, consumer, emergency: a new
 * array (policy/views.c), or NULL. */
json_t *policy_roles_view(unsigned roles);

#define POLICY_NAME_MAX 200u
#define POLICY_CODE_MAX 64u
#define POLICY_DESC_MAX 1000u
#define POLICY_REQUEST_TTL (7 * 86400) /* a pending request expires after 7 days */
/*
 * An agency may have at most this many pending, unexpired requests about one national ID,
 * counted alike whether the ID is enrolled, was erased or never was (by the request's subject,
 * a keyed per-agency tag of the ID): the cap tells nothing about who exists.
 */
#define POLICY_PENDING_MAX 5

/*
 * An agency's pseudonym for a citizen: 32 hex digits, 16 bytes of a keyed BLAKE2b (the
 * keyring's pseudonym key) of agency_id, a NUL and cid. Only the vault and that agency (which
 * is given it) can link it to the citizen; two agencies' pseudonyms for one citizen are unrelated.
 */
void policy_pseudonym(vault *v, const char *agency_id, const unsigned char cid[KEYS_CID_BYTES], char out[33])
    UTIL_NONNULL(1, 2, 3, 4);

/*
 * One page of a citizen's list. The caller sets after ("": from the start; else a previous
 * page's next) and limit (1 or more); the list sets next: the public id of the page's last
 * item, or "" when this page is the last. A cursor is an item's random id, never a row number,
 * which would tell how many items the vault holds. An after that is not the id of one of the
 * citizen's items in this list is UTIL_EINVAL.
 */
typedef struct policy_page {
	char after[POLICY_ID_MAX + 1];
	int64_t limit;
	char next[POLICY_ID_MAX + 1];
} policy_page;

/* Agencies. *id gets "ag_" and 16 hex digits. Roles: POLICY_ROLE_* bits, at least one. */
int policy_agency_create(vault *v, const char *name, unsigned roles, char id[POLICY_ID_MAX + 1], util_err *err)
    UTIL_WARN_UNUSED;
/* Loads an agency; name (may be NULL) gets its name. UTIL_ENOTFOUND if none. */
int policy_agency_get(vault *v, const char *id, policy_agency *a, char name[POLICY_NAME_MAX + 1], util_err *err)
    UTIL_WARN_UNUSED;
int policy_agency_suspend(vault *v, const char *id, util_err *err) UTIL_WARN_UNUSED;

/* A purpose as registered: what an agency's request must state (Law on Data, Art. 18). */
typedef struct policy_purpose_def {
	const char *agency_id;
	const char *code;            /* [a-z0-9_.-], 1..64, unique per agency */
	const char *desc_vi, *desc_en;
	policy_basis basis;
	const char *legal_reference; /* required for legal_obligation */
	const policy_field *fields;  /* catalog fields; masked only where the catalog has a mask */
	size_t nfields;
	int max_days;                /* longest consent it may ask for: 1..3650 */
	int retention_days;          /* how long the agency keeps what it gets: 0..36500 */
} policy_purpose_def;

int policy_purpose_create(vault *v, const policy_purpose_def *d, char id[POLICY_ID_MAX + 1], util_err *err)
    UTIL_WARN_UNUSED;
/* Loads the purpose `code` of agency_id (or by id when code is NULL). UTIL_ENOTFOUND if none. */
int policy_purpose_get(vault *v, const char *agency_id, const char *code, const char *id, policy_purpose *p,
    util_err *err) UTIL_WARN_UNUSED;

/*
 * A consent request from a consumer agency to the citizen with national ID nid, for its
 * purpose `code` (legal basis consent), for fields (a subset of the purpose's; none = all of
 * them) and `days` (1..the purpose's max_days). It answers the same whether or not the citizen
 * exists: a request to nobody is stored, never shown, and expires. UTIL_ESTATE when the agency
 * already has POLICY_PENDING_MAX pending requests about nid. Audited.
 */
int policy_request_create(vault *v, const char *agency_id, const char *code, const char *nid,
    const char *const *fields, size_t n, int days, char id[POLICY_ID_MAX + 1], util_err *err) UTIL_WARN_UNUSED;
/*
 * What agency_id reads of its request id (policy_request_status_of): "pending", "denied",
 * "expired"; "approved" while its consent is in force, then "revoked", "expired" or "used_up" as
 * the consent is. UTIL_ENOTFOUND unless agency_id made it.
 */
int policy_request_status(vault *v, const char *agency_id, const char *id, char status[16], util_err *err)
    UTIL_WARN_UNUSED;
/* The citizen's pending requests, each with agency name, purpose, basis, how long the consent
 * would last and the agency keeps what it reads, and every field with its category (and
 * sensitive), masking and description: what the citizen sees before approving. One page,
 * oldest first. */
int policy_requests_pending(vault *v, const unsigned char cid[KEYS_CID_BYTES], policy_page *pg, json_t **out,
    util_err *err) UTIL_WARN_UNUSED;
/*
 * Approves the citizen's pending request id for fields (a subset of the requested ones, named
 * one by one; NULL = all requested; an empty list is UTIL_EINVAL, never "all"), with an optional use limit (0 none, 1 one-time). Writes
 * the consent and its signed receipt (*receipt, a new reference) in one transaction with the
 * audit entry. UTIL_ENOTFOUND if the request is not this citizen's or not pending.
 */
int policy_request_approve(vault *v, const unsigned char cid[KEYS_CID_BYTES], const char *id,
    const char *const *fields, size_t n, int64_t use_limit, char consent_id[POLICY_ID_MAX + 1], json_t **receipt,
    util_err *err) UTIL_WARN_UNUSED;
int policy_request_deny(vault *v, const unsigned char cid[KEYS_CID_BYTES], const char *id, util_err *err)
    UTIL_WARN_UNUSED;

/* The citizen's consents with agency, purpose, fields, times, status and state
 * (policy_consent_state_of, with the citizen's restriction as it is now). One page, oldest first. */
int policy_consents_list(vault *v, const unsigned char cid[KEYS_CID_BYTES], policy_page *pg, json_t **out,
    util_err *err) UTIL_WARN_UNUSED;
/*
 * The signed receipt of cid's consent consent_id, as its approval returned it (a new
 * reference): the stored document, not one made again. UTIL_ENOTFOUND unless it is cid's and
 * still kept (the retention sweep removes a consent with its receipt).
 */
int policy_consent_receipt(vault *v, const unsigned char cid[KEYS_CID_BYTES], const char *consent_id, json_t **receipt,
    util_err *err) UTIL_WARN_UNUSED;
/* Revokes; takes effect for the very next decision. UTIL_ENOTFOUND unless cid's and active. */
int policy_consent_revoke(vault *v, const unsigned char cid[KEYS_CID_BYTES], const char *consent_id, util_err *err)
    UTIL_WARN_UNUSED;
/* Restricts processing (on) or lifts the restriction (off). Audited. */
int policy_restrict(vault *v, const unsigned char cid[KEYS_CID_BYTES], int on, util_err *err) UTIL_WARN_UNUSED;
/* Whether cid restricted processing (*restricted 1 or 0), and since when (*since, 0 when not). */
int policy_restriction_get(vault *v, const unsigned char cid[KEYS_CID_BYTES], int *restricted, int64_t *since,
    util_err *err) UTIL_WARN_UNUSED UTIL_NONNULL(1, 2, 3, 4);

/*
 * Erases a citizen: record, consents and restriction, in one transaction, audited. Their
 * consent requests stay, cut from them (no citizen id): to the agencies that made them they
 * answer as before, as a request about a never-enrolled ID does, and they expire or age out
 * like those.
 */
int policy_citizen_erase(vault *v, const unsigned char cid[KEYS_CID_BYTES], const char *actor, util_err *err)
    UTIL_WARN_UNUSED;

/* Purpose details that requests, receipts and access logs show: code, descriptions, reference, limits. */
typedef struct policy_purpose_info {
	char code[POLICY_CODE_MAX + 1];
	char desc_vi[POLICY_DESC_MAX + 1], desc_en[POLICY_DESC_MAX + 1], ref[POLICY_DESC_MAX + 1];
	int max_days, retention_days;
} policy_purpose_info;

/* The details of purpose id; UTIL_ECORRUPT when there is no such purpose. */
int policy_purpose_info_get(vault *v, const char *id, policy_purpose_info *pi, util_err *err) UTIL_WARN_UNUSED
    UTIL_NONNULL(1, 2, 3);

/*
 * A lookup's justification (just, NUL-terminated) is accepted only for a purpose `code` of
 * agency's whose basis takes one, and only with a visible character, at most
 * POLICY_JUSTIFICATION_MAX bytes: else UTIL_EINVAL, whose message says which rule (never the
 * text). Nothing about any citizen is read.
 */
int policy_justification_check(vault *v, const policy_agency *agency, const char *code, const char *just,
    util_err *err) UTIL_NONNULL(1, 2, 4) UTIL_WARN_UNUSED;

/* A lookup, prepared: the decision over the stored state, what it releases, and its entry. */
typedef struct policy_lookup {
	policy_decision d;
	int citizen_found;
	unsigned char cid[KEYS_CID_BYTES];
	char purpose_id[POLICY_ID_MAX + 1];
	/* allowed: the released fields, masked where d says, read in the decision's snapshot;
	 * decrypted values, owned by l until policy_lookup_clear (or a caller that takes them and
	 * sets this to NULL). NULL when denied. */
	json_t *fields;
	/* The lookup's audit entry, as the decision stands (or, after a failure, as a denial with
	 * reason "error"). It points into l (so l must not be copied while it is used) and into
	 * the fields and justification passed to policy_lookup_prepare. */
	audit_entry entry;
	/* > 0 when the entry is already durable: a use-limited consent's use is spent in one
	 * transaction with its entry; 0 when the caller still has to write it (the group-commit
	 * writer) before anything is released. */
	int64_t seq;
	char actor[POLICY_ID_MAX + 8], agency_id[POLICY_ID_MAX + 1];
	const char *logged[POLICY_MAX_FIELDS];
} policy_lookup;

/*
 * A lookup's one pass. Loads the purpose `code`, the citizen (by national ID), the restriction
 * and the consents, and decides (policy_decide) for `agency`, the caller as the caller already
 * loaded it (the API's authentication does: it is not read again). When allowed, the vault
 * releases the granted fields into l->fields, masked where the decision says, in the same read
 * snapshot as the decision: what is released is what the decision saw, and the lookup costs
 * one read transaction, not two. Then l->entry is built. A use-limited consent's use is spent
 * with a conditional update in one transaction with the entry (l->seq), so two lookups cannot
 * both spend it; the one that loses is denied and keeps no fields.
 * *l is overwritten, not released: clear a used one first. Returns 0 whether allowed or
 * denied (l->d says which); -1 with l's fields cleared when the decision could not be made,
 * the fields could not be read or the use could not be spent: unless err is UTIL_EINVAL (bad
 * input, nothing read), l->entry is then the failed lookup's entry, still to be written.
 */
int policy_lookup_prepare(vault *v, const policy_agency *agency, const char *code, const char *nid,
    const char *const *fields, size_t n, const char *justification, int64_t now, policy_lookup *l, util_err *err)
    UTIL_WARN_UNUSED UTIL_NONNULL(1, 2, 9);
/* Releases l->fields (wiped as freed, by vault_init's allocator) and sets it to NULL; the
 * decision stays. Safe to call twice and on a zeroed policy_lookup. */
void policy_lookup_clear(policy_lookup *l) UTIL_NONNULL(1);

/* ---- a batch of lookups: one snapshot for all of them ---- */

#define POLICY_BATCH_MAX 100u    /* lookups in one batch */
#define POLICY_BATCH_PURPOSES 4u /* distinct purposes a batch keeps once read; more are read again */

/*
 * One lookup of a batch: what policy_lookup_prepare takes, the lookup it fills, and how it
 * ended. The caller owns it, and what it points to, until the batch has ended and, as with a
 * single lookup, until l's entry has been written.
 */
typedef struct policy_lookup_ask {
	const char *code, *nid, *justification;
	const char *const *fields;
	size_t nfields;
	policy_lookup *l;
	int rc;       /* what policy_lookup_prepare would return; final once the batch has ended */
	util_err err; /* rc -1: why, as policy_lookup_prepare says */
} policy_lookup_ask;

/* A purpose a batch has read: found, or known not to be the agency's. */
typedef struct policy_batch_purpose {
	char code[POLICY_CODE_MAX + 1];
	int found;
	policy_purpose p;
} policy_batch_purpose;

/* A batch of one agency's lookups (policy_lookup_batch_*): the caller's, its inside policy's. */
typedef struct policy_lookup_batch {
	vault *v;
	const policy_agency *agency;
	int64_t now;
	int reading; /* its snapshot is open */
	size_t nitems, npurposes, nspends;
	policy_batch_purpose purposes[POLICY_BATCH_PURPOSES];
	policy_lookup_ask *spends[POLICY_BATCH_MAX]; /* allowed on a use-limited consent, in order */
} policy_lookup_batch;

/*
 * Up to POLICY_BATCH_MAX lookups by agency, each decided, released and given its entry exactly
 * as policy_lookup_prepare would at now, but in one read snapshot: begin, then an item for
 * each lookup in the order asked, then end. The snapshot opens at the first item that reads
 * (a change committed after it is seen by no item, one committed before it by every item)
 * and ends at end, or after an item that failed to read (the next item opens another). Each
 * purpose is read once. Uses of use-limited consents are spent at end, after the snapshot, in
 * order, each with its entry: an item counts the uses that earlier items of the batch are to
 * spend, so that a one-time consent listed twice allows once, as two lookups one after the
 * other would. An item's outcome is a->rc and a->err, final after end (a use that cannot be
 * spent there turns a decided item into a denied or failed one, as in policy_lookup_prepare).
 * Call end on every path once begun; hold nothing else open between begin and end.
 */
void policy_lookup_batch_begin(policy_lookup_batch *b, vault *v, const policy_agency *agency, int64_t now)
    UTIL_NONNULL(1, 2, 3);
int policy_lookup_batch_item(policy_lookup_batch *b, policy_lookup_ask *a) UTIL_NONNULL(1, 2);
void policy_lookup_batch_end(policy_lookup_batch *b) UTIL_NONNULL(1);

/* An officer's review of emergency access seq (an allowed vital-interest lookup). */
typedef struct policy_review {
	int64_t seq;
	const char *agency_id, *purpose_id; /* the access's, as its entry names them */
	const char *outcome;                /* "justified" or "unjustified" */
	const char *note;                   /* may be NULL */
	const char *officer;
} policy_review;

/*
 * Stores rv and its audit entry ("review.record") in one transaction. UTIL_EEXISTS when seq
 * was already reviewed. The caller checks that seq is an emergency access.
 */
int policy_review_record(vault *v, const policy_review *rv, util_err *err) UTIL_WARN_UNUSED UTIL_NONNULL(1, 2);
/*
 * The review of emergency access seq, if an officer made one: its outcome ("justified" or
 * "unjustified", into outcome) and when. 0; -1 with UTIL_ENOTFOUND when it is not reviewed (or
 * is no emergency access); -1 with err filled when the read fails. The officer's note stays
 * with the officers.
 */
int policy_review_get(vault *v, int64_t seq, char outcome[16], int64_t *reviewed_at, util_err *err) UTIL_WARN_UNUSED
    UTIL_NONNULL(1, 3, 4);

/* Expires pending requests and consents past their time, and deletes consents and requests
 * that outlived their purpose's retention; each change audited. *changed counts them. */
int policy_retention_sweep(vault *v, int64_t now, int64_t *changed, util_err *err) UTIL_WARN_UNUSED;

/*
 * Receipts: {"receipt": {...}, "signature": base64, "alg": "Ed25519"}, the receipt object
 * signed in canonical JSON (sorted keys, compact). Verification needs only the public key.
 */
int policy_receipt_verify(const char *json, size_t n, const unsigned char pk[32], util_err *err) UTIL_WARN_UNUSED;

/* ---- the registry as the privacy reports read it (policy/sqlite_reports.c) ---- */

/* An agency as registered. Its strings live until the callback that gets it returns. */
typedef struct policy_report_agency {
	const char *id, *name;
	unsigned roles; /* POLICY_ROLE_* */
	int suspended;
	int64_t created_at;
} policy_report_agency;

/* A purpose as registered. Its strings live until the callback that gets it returns. */
typedef struct policy_report_purpose {
	const char *id, *agency_id, *code, *desc_vi, *desc_en;
	policy_basis basis;
	const char *legal_reference; /* NULL when none is recorded */
	const char *fields;          /* as stored: a JSON array of {"name", "masked"} */
	const char *agency_name;     /* policy_purposes_page's; NULL in policy_report_purposes' */
	int max_days, retention_days;
	int64_t created_at;
} policy_report_purpose;

/* Callbacks: 0 to go on; -1 (err filled) stops the walk, which then returns -1. */
typedef int (*policy_report_agency_fn)(void *arg, const policy_report_agency *a, util_err *err);
typedef int (*policy_report_purpose_fn)(void *arg, const policy_report_purpose *p, util_err *err);
typedef void (*policy_report_count_fn)(void *arg, const char *purpose_id, int64_t n);

/*
 * Every agency, then every purpose, in the order they were registered; and, per purpose that
 * has any, the number of consents that would allow a lookup at now (not revoked, not expired,
 * not used up). Each returns 0, or -1 with err filled (the database's error, or the callback's).
 */
int policy_report_agencies(vault *v, policy_report_agency_fn fn, void *arg, util_err *err) UTIL_NONNULL(1, 2)
    UTIL_WARN_UNUSED;
int policy_report_purposes(vault *v, policy_report_purpose_fn fn, void *arg, util_err *err) UTIL_NONNULL(1, 2)
    UTIL_WARN_UNUSED;
int policy_report_consents_in_force(vault *v, int64_t now, policy_report_count_fn fn, void *arg, util_err *err)
    UTIL_NONNULL(1, 3) UTIL_WARN_UNUSED;

/* ---- the registry in pages, as officers list it (policy/sqlite_pages.c) ---- */

/*
 * A page of a registry list. The caller sets after (0: from the first; else a page's last)
 * and limit (1 or more); the list sets last, the row of the page's last item (its cursor: the
 * registry is no secret, so a row number may show), and more, 1 when more items follow.
 */
typedef struct policy_list_page {
	int64_t after, limit;
	int64_t last;
	int more;
} policy_list_page;

/*
 * One page of the agencies, or of the purposes (of agency_id alone when not NULL; each with
 * its agency's name), in the order they were registered: fn gets each. 0, or -1 with err
 * filled (the database's error, or the callback's).
 */
int policy_agencies_page(vault *v, policy_list_page *pg, policy_report_agency_fn fn, void *arg, util_err *err)
    UTIL_NONNULL(1, 2, 3) UTIL_WARN_UNUSED;
int policy_purposes_page(vault *v, const char *agency_id, policy_list_page *pg, policy_report_purpose_fn fn, void *arg,
    util_err *err) UTIL_NONNULL(1, 3, 4) UTIL_WARN_UNUSED;

/* ---- emergency accesses, reviewed or not, as officers list and count them (policy/reviews.c, dashboard.c) ---- */

#define POLICY_NOTE_MAX 1000u /* bytes of a review's note */

/* An officer's review of an emergency access, as stored. */
typedef struct policy_review_info {
	char outcome[16];                /* "justified" or "unjustified" */
	char note[POLICY_NOTE_MAX + 1];  /* "" when none */
	char officer[POLICY_ID_MAX + 1]; /* the reviewer's officer id */
	int64_t reviewed_at;
} policy_review_info;

typedef enum policy_review_state {
	POLICY_REVIEWS_PENDING = 0, /* not reviewed yet */
	POLICY_REVIEWS_DECIDED,     /* reviewed */
	POLICY_REVIEWS_ALL,
} policy_review_state;

/* One emergency access: its entry (len bytes, not NUL-terminated) and its review, NULL when pending. */
typedef int (*policy_access_fn)(void *arg, int64_t seq, const void *entry, size_t len, const policy_review_info *ri,
    util_err *err);

/*
 * The emergency accesses in state `state`, after seq `after` (-1: from the first), at most
 * limit, in log order: fn gets each, with its review when it has one (fn returns 0 to go on,
 * -1 with err filled to fail the walk). *more is set when more follow. A review never leaves
 * the list of decided ones. 0, or -1 with err filled.
 */
int policy_reviews_list(vault *v, policy_review_state state, int64_t after, int64_t limit, policy_access_fn fn,
    void *arg, int *more, util_err *err) UTIL_NONNULL(1, 5, 7) UTIL_WARN_UNUSED;

#define POLICY_DASHBOARD_DAYS 366 /* the longest period a dashboard counts */

/*
 * The officers' dashboard over the UTC days first..last (days since the epoch, at most
 * POLICY_DASHBOARD_DAYS of them), read in one snapshot, as a new JSON object:
 *   {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD", "days": n,
 *    "lookups": {"allowed", "denied"},
 *    "per_day": [{"day", "allowed", "denied"}]       (days with lookups, in order),
 *    "agencies": [{"agency": {"id", "name"}, "allowed", "denied",
 *                  "days": [{"day", "allowed", "denied"}],
 *                  "emergency": {"pending", "justified", "unjustified"}}]
 *                 (in the order they first appear: by day, then agency id),
 *    "denials_by_reason": {reason: n},
 *    "emergency": {"total", "pending", "justified", "unjustified"}}
 * Lookups are counted from the audit log by the day of their entry's time; emergency accesses
 * (allowed lookups on the vital-interest basis) of the period by their review's state now.
 * An agency's name is null when it is not registered. UTIL_EINVAL when the period is empty or
 * too long. 0, or -1 with err filled.
 */
int policy_dashboard(vault *v, int64_t first, int64_t last, json_t **out, util_err *err) UTIL_NONNULL(1, 4)
    UTIL_WARN_UNUSED;

/* ---- emergency accesses awaiting an officer's review (policy/emergency.c) ---- */

/*
 * The number of emergency accesses (allowed lookups on the vital-interest basis, in the audit
 * log) that no officer has reviewed yet. 0, or -1 with err filled.
 */
int policy_emergency_pending_count(vault *v, int64_t *n, util_err *err) UTIL_NONNULL(1, 2) UTIL_WARN_UNUSED;
/*
 * Those accesses themselves, after seq after (-1: from the first), at most limit, in log
 * order: fn gets each entry. *more is set when more follow. 0, or -1 with err filled.
 */
int policy_emergency_pending(vault *v, int64_t after, int64_t limit, audit_report_entry_fn fn, void *arg, int *more,
    util_err *err) UTIL_NONNULL(1, 4, 6) UTIL_WARN_UNUSED;
/*
 * The emergency access seq, reviewed or not: fn gets its entry. 0; -1 with UTIL_ENOTFOUND
 * when seq is no emergency access; -1 with err filled when the read fails.
 */
int policy_emergency_get(vault *v, int64_t seq, audit_report_entry_fn fn, void *arg, util_err *err)
    UTIL_NONNULL(1, 3) UTIL_WARN_UNUSED;

#endif
