/* policy_private.h: what policy's files share and nothing outside policy/ calls. */
#ifndef VAULTD_POLICY_PRIVATE_H
#define VAULTD_POLICY_PRIVATE_H

#include "policy.h"

/* The size of a request's subject (policy_request_subject). */
#define POLICY_SUBJECT_BYTES 32u

/*
 * The subject of a consent request: who it is about, as one agency's tag for a national ID,
 * the same whether or not anyone with that ID is enrolled, was erased or never was. A keyed
 * BLAKE2b (the pseudonym key) of a fixed label, agency_id and the ID's blind index: it cannot
 * be joined with the citizens' blind index, nor across agencies. 0, or -1 (err) when nid is
 * not a well-formed national ID.
 */
int policy_request_subject(vault *v, const char *agency_id, const char *nid, unsigned char out[POLICY_SUBJECT_BYTES],
    util_err *err) UTIL_WARN_UNUSED UTIL_NONNULL(1, 2, 4);

/*
 * A pending request's subject, kept (request_subjects) until it is decided (policy_subject_drop)
 * or expires (the retention sweep), and no longer. In v's transaction.
 */
int policy_subject_put(vault *v, const char *request_id, const char *agency_id,
    const unsigned char subject[POLICY_SUBJECT_BYTES], int64_t expires_at, util_err *err) UTIL_WARN_UNUSED;
int policy_subject_drop(vault *v, const char *request_id, util_err *err) UTIL_WARN_UNUSED;

/*
 * Refuses (UTIL_ESTATE) a new request when agency_id already has POLICY_PENDING_MAX pending,
 * unexpired requests about subject, counted the same way for every ID. In v's transaction.
 */
int policy_pending_cap(vault *v, const char *agency_id, const unsigned char subject[POLICY_SUBJECT_BYTES], int64_t now,
    util_err *err) UTIL_WARN_UNUSED;

/* ---- a lookup's storage (sqlite_lookup.c): what policy/lookup.c asks of the backend ---- */

#define POLICY_LOOKUP_CONSENTS 8 /* the newest few decide; older ones are history */

/* What a lookup's decision reads of the stored state. */
typedef struct policy_lookup_state {
	int purpose_found, citizen_found, restricted;
	policy_purpose purpose;
	unsigned char cid[KEYS_CID_BYTES];
	policy_consent consents[POLICY_LOOKUP_CONSENTS];
	size_t nconsents;
} policy_lookup_state;

/*
 * Opens the lookup's read snapshot and reads, in it, agency's purpose `code`, the citizen of
 * national ID nid, its restriction and its newest consents for that purpose. What is not found
 * is flagged, not an error. The snapshot stays open, for reading what the decision releases,
 * until policy_store_lookup_end (call it on every path; inside an open transaction both join it).
 */
int policy_store_lookup_begin(vault *v, const policy_agency *agency, const char *code, const char *nid,
    policy_lookup_state *st, util_err *err) UTIL_WARN_UNUSED UTIL_NONNULL(1, 2, 3, 4, 5);
void policy_store_lookup_end(vault *v) UTIL_NONNULL(1);
/*
 * The citizen's part of policy_store_lookup_begin, in the snapshot already open: the citizen
 * of national ID nid, its restriction and, when purpose_id is not NULL, its newest consents to
 * agency_id for that purpose, into st (its purpose part is left alone). A batch of lookups
 * reads each item's citizen this way, in the batch's one snapshot, its purposes read once.
 */
int policy_store_lookup_citizen(vault *v, const char *agency_id, const char *purpose_id, const char *nid,
    policy_lookup_state *st, util_err *err) UTIL_WARN_UNUSED UTIL_NONNULL(1, 2, 5);

/*
 * Spends one use of consent_id and appends e, the allowed lookup's entry, in one transaction:
 * 0 with *seq the entry's number; or 0 with *seq 0 and *lost the reason when the use could
 * not be spent (used up, revoked, restricted since the snapshot), nothing written; -1 (err)
 * when storage failed, nothing written.
 */
int policy_store_use_spend(vault *v, const char *consent_id, const audit_entry *e, int64_t *seq, policy_reason *lost,
    util_err *err) UTIL_WARN_UNUSED;

/*
 * The retention sweep's changes at time now, in v's open transaction: n[0] pending requests
 * expired; n[1] consents and n[2] decided requests removed that ended longer ago than their
 * purpose keeps data; n[3] request subjects past their time (bookkeeping, not counted).
 */
#define POLICY_SWEEPS 4
int policy_store_retention(vault *v, int64_t now, int64_t n[POLICY_SWEEPS], util_err *err) UTIL_WARN_UNUSED;

/*
 * The registry's agencies: put stores a new one (its id made and its fields checked by the
 * caller); get reads one (name may be NULL), UTIL_ENOTFOUND when there is none; suspend marks
 * one suspended, UTIL_ENOTFOUND when there is none. In v's open transaction, or on their own.
 */
int policy_store_agency_put(vault *v, const char *id, const char *name, unsigned roles, util_err *err) UTIL_WARN_UNUSED;
int policy_store_agency_get(vault *v, const char *id, policy_agency *a, char name[POLICY_NAME_MAX + 1], util_err *err)
    UTIL_WARN_UNUSED;
int policy_store_agency_suspend(vault *v, const char *id, util_err *err) UTIL_WARN_UNUSED;

/* Sets (on) or lifts cid's restriction of processing; in v's open transaction, or on its own. */
int policy_store_restriction(vault *v, const unsigned char cid[KEYS_CID_BYTES], int on, util_err *err) UTIL_WARN_UNUSED;
/* Reads cid's restriction: *on, and *since (0 when not restricted). */
int policy_store_restriction_get(vault *v, const unsigned char cid[KEYS_CID_BYTES], int *on, int64_t *since,
    util_err *err) UTIL_WARN_UNUSED;
/*
 * Forgets what policy keeps about cid (its erasure): its consents and restriction go, its
 * requests stay for their agencies as if made about nobody; an approved one reads "revoked"
 * from then on, as if the citizen had revoked its consent (policy_request_status_of), since its
 * consent is gone. In v's open transaction.
 */
int policy_store_citizen_forget(vault *v, const unsigned char cid[KEYS_CID_BYTES], util_err *err) UTIL_WARN_UNUSED;

/*
 * Revokes cid's active consent consent_id now, giving its agency and purpose; UTIL_ENOTFOUND
 * when cid has no such active consent. In v's open transaction, or on its own.
 */
int policy_store_consent_revoke(vault *v, const unsigned char cid[KEYS_CID_BYTES], const char *consent_id,
    char agency[POLICY_ID_MAX + 1], char purpose[POLICY_ID_MAX + 1], util_err *err) UTIL_WARN_UNUSED;

/*
 * An agency's purposes: put stores d as id with its field list as stored JSON (checked by the
 * caller), UTIL_EEXISTS when the agency has one with d's code already; get reads one by its
 * agency and code (code not NULL) or by id, UTIL_ENOTFOUND when there is none; info reads the
 * descriptions and limits of id, UTIL_ECORRUPT when there is none. In v's open transaction, or
 * on their own.
 */
int policy_store_purpose_put(vault *v, const char *id, const policy_purpose_def *d, const char *fields_json,
    util_err *err) UTIL_WARN_UNUSED;
int policy_store_purpose_get(vault *v, const char *agency_id, const char *code, const char *id, policy_purpose *p,
    util_err *err) UTIL_WARN_UNUSED;
int policy_store_purpose_info(vault *v, const char *id, policy_purpose_info *pi, util_err *err) UTIL_WARN_UNUSED;

/*
 * Consent requests: put stores a pending one made at now (cid NULL when no enrolled citizen
 * has the ID), expiring POLICY_REQUEST_TTL later; status reads the stored status and expiry of
 * agency_id's request id and, when its consent is kept (*has_consent), that consent's life
 * (*c), UTIL_ENOTFOUND when there is none; load reads cid's pending,
 * unexpired request id, UTIL_ENOTFOUND when there is none, UTIL_ECORRUPT when its field list
 * is malformed; decide sets its status (approved, denied) as of now. In v's open transaction,
 * or on their own.
 */
int policy_store_request_put(vault *v, const char *id, const char *agency_id, const char *purpose_id,
    const unsigned char *cid, const char *fields_json, int days, int64_t now, util_err *err) UTIL_WARN_UNUSED;
int policy_store_request_status(vault *v, const char *agency_id, const char *id, char stored[16], int64_t *expires_at,
    policy_consent_life *c, int *has_consent, util_err *err) UTIL_WARN_UNUSED;
int policy_store_request_load(vault *v, const unsigned char cid[KEYS_CID_BYTES], const char *id,
    char agency[POLICY_ID_MAX + 1], char purpose[POLICY_ID_MAX + 1], policy_field *f, size_t *nf, int *days,
    util_err *err) UTIL_WARN_UNUSED;
int policy_store_request_decide(vault *v, const char *id, const char *status, util_err *err) UTIL_WARN_UNUSED;

/* A consent as granted, to store: its fields and receipt as stored JSON, borrowed. */
typedef struct policy_consent_row {
	const char *id, *agency_id, *purpose_id, *request_id, *fields_json, *receipt_json;
	const unsigned char *cid;
	int64_t granted_at, expires_at, use_limit;
} policy_consent_row;

/* Stores the consent c; in v's open transaction, or on its own. */
int policy_store_consent_put(vault *v, const policy_consent_row *c, util_err *err) UTIL_WARN_UNUSED;
/* The stored receipt of cid's consent consent_id, a new reference; UTIL_ENOTFOUND when there is none. */
int policy_store_consent_receipt(vault *v, const unsigned char cid[KEYS_CID_BYTES], const char *consent_id,
    json_t **receipt, util_err *err) UTIL_WARN_UNUSED;

/*
 * Fields as a request, a consent and a receipt show them: name, category, masked, description
 * {vi, en} from the catalog; with sensitive, a boolean "sensitive" too (lists only: a receipt's
 * signed shape stays). A new array.
 */
json_t *policy_fields_view(vault *v, const policy_field *f, size_t n, int sensitive);

/*
 * One row of a citizen's list, borrowed until the callback returns: from and until are a
 * request's created_at and expires_at, a consent's granted_at and expires_at; days is a
 * request's, revoked_at (0 if not), use_limit and uses a consent's; legal_reference is NULL
 * when the purpose cites none (requests only).
 */
typedef struct policy_list_row {
	const char *id, *agency_id, *agency_name, *purpose_id, *code, *desc_vi, *desc_en, *legal_reference, *fields;
	policy_basis basis;
	int days, retention_days;
	int64_t from, until, revoked_at, use_limit, uses;
} policy_list_row;

/* Takes one row of a list: 1 when it went on the page, 0 when it was left out. */
typedef int (*policy_list_fn)(void *ctx, const policy_list_row *r);

/*
 * One page of cid's pending, unexpired requests (or of all its consents), oldest first, after
 * pg->after's row: each row to fn until pg->limit of them were taken; pg->next as policy_page
 * says. UTIL_EINVAL when pg->after is not one of cid's rows of that list.
 */
int policy_store_requests_pending(vault *v, const unsigned char cid[KEYS_CID_BYTES], policy_page *pg, policy_list_fn fn,
    void *ctx, util_err *err) UTIL_WARN_UNUSED;
int policy_store_consents_list(vault *v, const unsigned char cid[KEYS_CID_BYTES], policy_page *pg, policy_list_fn fn,
    void *ctx, util_err *err) UTIL_WARN_UNUSED;

/* *yes = 1 when an officer reviewed the access seq (policy/sqlite_review.c). 0, or -1 with err filled. */
int policy_review_exists(vault *v, int64_t seq, int *yes, util_err *err) UTIL_WARN_UNUSED;
/*
 * The review of access seq into ri: UTIL_ENOTFOUND when it has none (policy/sqlite_review.c).
 * The reviews after seq `after`, in order of seq: fn gets each, returns 0 to go on, 1 to stop
 * (the walk then returns 0) or -1 (err filled) to fail it. 0, or -1 with err filled.
 */
typedef int (*policy_store_review_fn)(void *arg, int64_t seq, const policy_review_info *ri, util_err *err);
int policy_store_review_load(vault *v, int64_t seq, policy_review_info *ri, util_err *err) UTIL_WARN_UNUSED;
int policy_store_reviews_after(vault *v, int64_t after, policy_store_review_fn fn, void *arg, util_err *err)
    UTIL_WARN_UNUSED;

#endif
