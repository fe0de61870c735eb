/* citizen.c: a citizen's routes (/v1/me...): their record, requests, consents, restriction, access log and proofs. */
#include "api_private.h"

#include <stdlib.h>
#include <string.h>


int api_h_me(api_req *r, api_err *err)
{
	audit_entry e = {.actor = "citizen", .action = "record.read", .cid = r->caller.cid, .note = "right of access"};
	char hex[33], since[21];
	json_t *fields = NULL;
	int64_t at;
	int on;

	if (audit_record(r->v, &e, NULL, &err->u) != 0 || vault_citizen_read(r->v, r->caller.cid, NULL, 0, &fields, &err->u) != 0)
		return -1;
	if (policy_restriction_get(r->v, r->caller.cid, &on, &at, &err->u) != 0) {
		json_decref(fields);
		return -1;
	}
	util_hex_encode(hex, r->caller.cid, KEYS_CID_BYTES);
	util_iso8601(at, since);
	api_reply(r, 200, json_pack("{s:s, s:o, s:b, s:o}", "citizen_id", hex, "fields", fields, "restricted", on,
	                     "restricted_since", on ? json_string(since) : json_null()));
	return 0;
}

int api_h_me_requests(api_req *r, api_err *err)
{
	policy_page pg;
	json_t *list = NULL;

	if (api_page_args_id(r, &pg, err) != 0)
		return -1;
	if (policy_requests_pending(r->v, r->caller.cid, &pg, &list, &err->u) != 0)
		return -1;
	api_reply(r, 200, json_pack("{s:o, s:o}", "requests", list, "next", pg.next[0] ? json_string(pg.next) : json_null()));
	return 0;
}

/*
 * Opens the transaction that a step-up's change is written in and checks the citizen's code in
 * it: 0, or -1 with err filled (rolled back: the code is not spent). The caller ends the
 * transaction with its change, so the code is spent only with what it allows.
 */
static int step_up_begin(api_req *r, const char *code, int *mine, api_err *err)
{
	util_err rollback;

	if (vault_tx_begin(r->v, mine, &err->u) != 0)
		return -1;
	if (api_totp_citizen(r, r->caller.cid, code, err) != 0) {
		(void)!vault_tx_end(r->v, *mine, 0, &rollback); /* a rollback: nothing was written */
		return -1;
	}
	return 0;
}

/*
 * A consent change is a unit of the group commit (api_suspend_for_change): its connection
 * waits, suspended, until the commit that holds it is durable, and only then is it answered.
 * An approval: what it answers with, kept across the suspension in r->state.
 */
typedef struct approval {
	const char *code, *names[POLICY_MAX_FIELDS]; /* point into r->json */
	size_t n;
	int all;
	json_int_t limit;
	auth_attempt attempt; /* the step-up's budgets and address, noted on the worker */
	char consent[POLICY_ID_MAX + 1];
	json_t *receipt; /* the signed receipt, once approved; dropped if never sent */
} approval;

static void approval_free(void *p)
{
	approval *a = p;

	json_decref(a->receipt);
	free(a);
}

/*
 * The group's thread: the step-up and the approval in one unit, so an approval that fails
 * gives the code back (its savepoint is rolled back; a wrong code is counted in memory).
 */
static int approve_unit(api_req *r, vault *v, api_err *err)
{
	approval *a = r->state;

	a->attempt.v = v;
	if (api_totp_citizen_on(&a->attempt, r->caller.cid, a->code, err) != 0)
		return -1;
	return policy_request_approve(v, r->caller.cid, r->params[0], a->all ? NULL : a->names, a->n, a->limit,
	    a->consent, &a->receipt, &err->u);
}

static int approve_done(api_req *r, api_err *err)
{
	approval *a = r->state;
	json_t *receipt = a->receipt;

	if (r->change.rc != 0) {
		*err = r->change.err;
		return -1;
	}
	a->receipt = NULL; /* the answer takes it */
	api_reply(r, 201, json_pack("{s:s, s:o}", "consent_id", a->consent, "receipt", receipt));
	return 0;
}

int api_h_me_approve(api_req *r, api_err *err)
{
	approval *a;
	json_t *fields = NULL;

	if ((a = calloc(1, sizeof *a)) == NULL)
		return api_fail(err, API_P_INTERNAL, "out of memory");
	r->state = a;
	r->state_free = approval_free;
	if (api_unpack(r, err, "{s:s, s?o, s?b, s?I}", "totp", &a->code, "fields", &fields, "all_fields", &a->all,
	        "use_limit", &a->limit) != 0 ||
	    api_name_list(fields, a->names, &a->n, "fields is empty: name a field, or set all_fields to true", err) != 0)
		return -1;
	/* every requested field only when asked for by name: an empty list is no shorthand for all */
	if (fields == NULL && !a->all)
		return api_fail(err, API_P_FIELDS_REQUIRED, "name the approved fields in fields, or set all_fields to true");
	if (fields != NULL && a->all)
		return api_fail(err, API_P_INVALID_INPUT, "give fields or all_fields, not both");
	if (a->limit < 0 || a->limit > 1000000)
		return api_fail(err, API_P_INVALID_INPUT, "use_limit must be 0..1000000");
	api_totp_attempt(r, &a->attempt);
	api_suspend_for_change(r, approve_unit, approve_done);
	return 0;
}

/* A deny's or a revocation's answer, once its change is durable: {id, status}. */
static int status_done(api_req *r, const char *status, api_err *err)
{
	if (r->change.rc != 0) {
		*err = r->change.err;
		return -1;
	}
	api_reply(r, 200, json_pack("{s:s, s:s}", "id", r->params[0], "status", status));
	return 0;
}

static int deny_unit(api_req *r, vault *v, api_err *err)
{
	return policy_request_deny(v, r->caller.cid, r->params[0], &err->u);
}

static int deny_done(api_req *r, api_err *err)
{
	return status_done(r, "denied", err);
}

int api_h_me_deny(api_req *r, api_err *err)
{
	(void)err;
	api_suspend_for_change(r, deny_unit, deny_done);
	return 0;
}

int api_h_me_consents(api_req *r, api_err *err)
{
	policy_page pg;
	json_t *list = NULL;

	if (api_page_args_id(r, &pg, err) != 0)
		return -1;
	if (policy_consents_list(r->v, r->caller.cid, &pg, &list, &err->u) != 0)
		return -1;
	api_reply(r, 200, json_pack("{s:o, s:o}", "consents", list, "next", pg.next[0] ? json_string(pg.next) : json_null()));
	return 0;
}

int api_h_me_receipt(api_req *r, api_err *err)
{
	json_t *receipt = NULL;

	if (policy_consent_receipt(r->v, r->caller.cid, r->params[0], &receipt, &err->u) != 0)
		return -1;
	/* the approval's answer, byte for byte: the same two keys, the receipt as stored */
	api_reply(r, 200, json_pack("{s:s, s:o}", "consent_id", r->params[0], "receipt", receipt));
	return 0;
}

static int revoke_unit(api_req *r, vault *v, api_err *err)
{
	return policy_consent_revoke(v, r->caller.cid, r->params[0], &err->u);
}

static int revoke_done(api_req *r, api_err *err)
{
	return status_done(r, "revoked", err);
}

/* Answered once the revocation is durable: a lookup that comes after the answer is refused. */
int api_h_me_revoke(api_req *r, api_err *err)
{
	(void)err;
	api_suspend_for_change(r, revoke_unit, revoke_done);
	return 0;
}

/* The restriction's state and nothing of the record: no read of it to record in the log. */
int api_h_me_restriction(api_req *r, api_err *err)
{
	char since[21];
	int64_t at;
	int on;

	if (policy_restriction_get(r->v, r->caller.cid, &on, &at, &err->u) != 0)
		return -1;
	util_iso8601(at, since);
	api_reply(r, 200, json_pack("{s:b, s:o}", "restricted", on, "restricted_since", on ? json_string(since) : json_null()));
	return 0;
}

static int restriction(api_req *r, int on, api_err *err)
{
	const char *code;
	int mine, ok;

	if (api_unpack(r, err, "{s:s}", "totp", &code) != 0)
		return -1;
	/* one transaction: the code is spent only with the change it allows */
	if (step_up_begin(r, code, &mine, err) != 0)
		return -1;
	ok = policy_restrict(r->v, r->caller.cid, on, &err->u) == 0;
	if (vault_tx_end(r->v, mine, ok, &err->u) != 0)
		return -1;
	api_reply(r, 200, json_pack("{s:b}", "restricted", on));
	return 0;
}

int api_h_me_restrict(api_req *r, api_err *err)
{
	return restriction(r, 1, err);
}

int api_h_me_unrestrict(api_req *r, api_err *err)
{
	return restriction(r, 0, err);
}

/* Adds who and why in words: the agency's name, the purpose's code and description. */
static void name_entry(vault *v, json_t *e)
{
	const char *agency = json_string_value(json_object_get(e, "agency"));
	const char *purpose = json_string_value(json_object_get(e, "purpose"));
	char name[POLICY_NAME_MAX + 1];
	policy_purpose_info pi;
	policy_agency a;
	util_err err;

	if (agency != NULL && policy_agency_get(v, agency, &a, name, NULL) == 0)
		json_object_set_new(e, "agency_name", json_string(name));
	if (purpose != NULL && policy_purpose_info_get(v, purpose, &pi, &err) == 0)
		json_object_set_new(e, "purpose_description",
		    json_pack("{s:s, s:s, s:s}", "code", pi.code, "vi", pi.desc_vi, "en", pi.desc_en));
}

/* One page of it, newest first: entries before `after` (an entry's number; -1: from the newest). */
typedef struct access_log {
	api_req *r;
	json_t *list;
	int64_t after, limit, last;
	int more;
} access_log;

/*
 * An emergency access (an allowed lookup on the vital-interest basis) shows what became of it:
 * review {"status": "pending"} until an officer reviews it, then {"status": "reviewed",
 * "outcome", "reviewed_at"}, read from policy's reviews: the review's own entry names no
 * citizen, and the entries already in the log keep their bytes.
 */
static void review_entry(vault *v, int64_t seq, json_t *e)
{
	const char *basis = json_string_value(json_object_get(e, "basis"));
	const char *decision = json_string_value(json_object_get(e, "decision"));
	const char *action = json_string_value(json_object_get(e, "action"));
	char outcome[16], when[21];
	int64_t at;
	util_err err;

	if (action == NULL || basis == NULL || decision == NULL || strcmp(action, "lookup") != 0 ||
	    strcmp(basis, "vital_interest") != 0 || strcmp(decision, "allow") != 0)
		return;
	if (policy_review_get(v, seq, outcome, &at, &err) != 0) {
		json_object_set_new(e, "review", err.code == UTIL_ENOTFOUND ? json_pack("{s:s}", "status", "pending") : json_null());
		return;
	}
	util_iso8601(at, when);
	json_object_set_new(e, "review", json_pack("{s:s, s:s, s:s}", "status", "reviewed", "outcome", outcome, "reviewed_at", when));
}

/*
 * Every entry that names the citizen: who read, changed, created, searched or erased their
 * record, lookups allowed and denied, consent requests and the citizen's answers,
 * revocations, restrictions, sign-ins and sign-outs, failed codes, corrections, exports.
 */
static int access_log_entry(void *arg, int64_t seq, const char *action, const void *entry, size_t len)
{
	access_log *a = arg;
	json_t *e;

	if ((a->after >= 0 && seq >= a->after) || action == NULL)
		return 0;
	if ((int64_t)json_array_size(a->list) >= a->limit)
		return a->more = 1;
	if ((e = api_entry_view(entry, len)) != NULL) {
		json_object_del(e, "citizen");
		name_entry(a->r->v, e);
		review_entry(a->r->v, seq, e);
		json_array_append_new(a->list, e);
	}
	a->last = seq;
	return 0;
}

int api_access_log_collect(api_req *r, int64_t after, int64_t limit, json_t **list, json_t **next, api_err *err)
{
	access_log a = {.r = r, .after = after, .limit = limit};

	if ((a.list = json_array()) == NULL)
		return api_fail(err, API_P_INTERNAL, "out of memory");
	if (audit_history(r->v, r->caller.cid, access_log_entry, &a, &err->u) != 0) {
		json_decref(a.list);
		return -1;
	}
	*list = a.list;
	*next = api_page_next(a.more, a.last);
	return 0;
}

int api_h_me_access_log(api_req *r, api_err *err)
{
	int64_t after, limit;
	json_t *list, *next;

	if (api_page_args(r, -1, &after, &limit, err) != 0 || api_access_log_collect(r, after, limit, &list, &next, err) != 0)
		return -1;
	api_reply(r, 200, json_pack("{s:o, s:o}", "entries", list, "next", next));
	return 0;
}

int api_h_me_proof(api_req *r, api_err *err)
{
	char note[AUDIT_CHECKPOINT_MAX], entry[AUDIT_ENTRY_MAX];
	audit_hash proof[AUDIT_MAX_PROOF];
	audit_checkpoint c;
	size_t len, elen;
	char *end;
	long long seq = strtoll(r->params[0], &end, 10);
	int mine = 0;

	if (*end != '\0' || seq < 0)
		return api_fail(err, API_P_NOT_FOUND, "no such entry about you");
	if (audit_entry_is_about(r->v, seq, r->caller.cid, &mine, &err->u) != 0)
		return -1;
	if (!mine)
		return api_fail(err, API_P_NOT_FOUND, "no such entry about you");
	/* the latest stored checkpoint if it covers the entry, else the signed head: a read stores nothing */
	if ((audit_latest_checkpoint(r->v, note, &c, &err->u) != 0 || c.size <= seq) &&
	    audit_signed_head(r->v, note, &c, &err->u) != 0)
		return -1;
	if (audit_entry_get(r->v, seq, entry, &elen, &err->u) != 0 || audit_inclusion(r->v, seq, c.size, proof, &len, &err->u) != 0)
		return -1;
	api_reply(r, 200, json_pack("{s:I, s:s, s:o, s:I, s:s}", "seq", (json_int_t)seq, "entry", entry, "proof",
	                     api_b64_hashes(proof, len), "tree_size", (json_int_t)c.size, "checkpoint", note));
	return 0;
}
