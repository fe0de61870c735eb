/* agency.c: a consumer agency's routes: consent requests and the lookup. */
#include "api_private.h"

#include <stdlib.h>
#include <string.h>

int api_h_request_create(api_req *r, api_err *err)
{
	const char *nid, *purpose, *names[POLICY_MAX_FIELDS];
	json_t *fields = NULL;
	json_int_t days;
	char id[POLICY_ID_MAX + 1];
	size_t n;

	if (api_unpack(r, err, "{s:s, s:s, s?o, s:I}", "national_id", &nid, "purpose", &purpose, "fields", &fields, "days",
	        &days) != 0 ||
	    api_name_list(fields, names, &n, "fields is empty: name a field, or leave fields out for the purpose's", err) != 0)
		return -1;
	if (days < 1 || days > 3650)
		return api_fail(err, API_P_INVALID_INPUT, "days must be 1..the purpose's max_days");
	if (policy_request_create(r->v, r->caller.agency.id, purpose, nid, names, n, (int)days, id, &err->u) != 0) {
		if (err->u.code == UTIL_ENOTFOUND)
			return api_fail(err, API_P_INVALID_INPUT, "no such purpose for this agency");
		if (err->u.code == UTIL_ESTATE) /* the cap: alike whoever the ID is */
			return api_fail(err, API_P_TOO_MANY_PENDING_REQUESTS, "%s", err->u.msg);
		return -1;
	}
	api_reply(r, 202, json_pack("{s:s, s:s}", "id", id, "status", "pending"));
	return 0;
}

int api_h_request_get(api_req *r, api_err *err)
{
	char status[16];

	if (policy_request_status(r->v, r->caller.agency.id, r->params[0], status, &err->u) != 0)
		return -1;
	api_reply(r, 200, json_pack("{s:s, s:s}", "id", r->params[0], "status", status));
	return 0;
}

/*
 * A lookup waiting for its audit entry to be durable: what the continuation needs, in the
 * request's state slot (r->state) from the handler until the request ends.
 */
typedef struct lookup_wait {
	policy_lookup l;
	audit_entry e;
	const char *names[POLICY_MAX_FIELDS], *logged[POLICY_MAX_FIELDS];
	char actor[POLICY_ID_MAX + 8];
} lookup_wait;

/* The request's end: whatever the lookup read and never sent is wiped. */
static void lookup_wait_free(void *p)
{
	lookup_wait *w = p;

	policy_lookup_clear(&w->l);
	sodium_memzero(w, sizeof *w);
	free(w);
}

/*
 * The second half of a lookup: its audit entry is durable (or failed). Now, and only now, send
 * what policy_lookup_prepare read; on every other path drop it unsent.
 */
static int lookup_finish(api_req *r, api_err *err)
{
	lookup_wait *w = r->state;
	json_t *out, *withheld;
	char pseudonym[33];
	size_t i;

	if (r->audit.rc != 0) {
		policy_lookup_clear(&w->l);
		return api_fail_util(err, &r->audit.err);
	}
	atomic_fetch_add(w->l.d.allow ? &r->srv->decisions_allow : &r->srv->decisions_deny, 1);
	if (!w->l.d.allow) {
		policy_lookup_clear(&w->l);
		return api_fail(err, API_P_NOT_PERMITTED, "not permitted");
	}
	out = w->l.fields; /* the reply takes it, and frees it (wiped) once serialized */
	w->l.fields = NULL;
	withheld = json_array();
	for (i = 0; i < w->l.d.nwithheld; i++)
		json_array_append_new(withheld, json_string(w->l.d.withheld[i]));
	policy_pseudonym(r->v, r->caller.agency.id, w->l.cid, pseudonym);
	api_reply(r, 200, json_pack("{s:s, s:o, s:o, s:s, s:s?, s:I}", "citizen_id", pseudonym, "fields", out, "withheld",
	                     withheld, "basis", policy_basis_name(w->l.d.basis), "consent_id",
	                     w->l.d.consent_id[0] ? w->l.d.consent_id : NULL, "access_id", (json_int_t)r->audit.seq));
	return 0;
}

/*
 * A lookup: decide and read what is released, in one snapshot (policy_lookup_prepare), then
 * have the audit entry made durable by the group-commit writer while the connection is
 * suspended (no worker thread waits on the disk), then lookup_finish sends it. Nothing is
 * sent before the entry is durable; lookup_wait_free drops what a request never sent.
 */
/*
 * A lookup that was understood but could not be decided or read (a storage error, a record
 * that does not decrypt) is still an access attempt: it is logged, as a denial with reason
 * "error" and the error's code as its note, before the error goes back. Nothing was released.
 */
static void log_failed_lookup(api_req *r, lookup_wait *w, size_t n, const char *just, const util_err *why)
{
	audit_entry e = {.actor = api_agency_actor(r, w->actor), .action = "lookup", .agency_id = r->caller.agency.id,
		.purpose_id = w->l.purpose_id[0] ? w->l.purpose_id : NULL, .cid = w->l.citizen_found ? w->l.cid : NULL,
		.fields = w->names, .nfields = n, .decision = "deny", .reason = "error",
		.justification = just && *just ? just : NULL, .note = util_code_name(why->code)};
	util_err err;

	if (audit_record(r->v, &e, NULL, &err) != 0)
		util_log(UTIL_LOG_ERROR, r->rid, "a failed lookup could not be logged", "code=%s", util_code_name(err.code));
}

int api_h_lookup(api_req *r, api_err *err)
{
	const char *nid, *purpose, *just = NULL;
	json_t *fields = NULL;
	lookup_wait *w;
	size_t n, i;

	if ((w = calloc(1, sizeof *w)) == NULL)
		return api_fail(err, API_P_INTERNAL, "out of memory");
	r->state = w;
	r->state_free = lookup_wait_free;
	if (api_unpack(r, err, "{s:s, s:s, s?o, s?s}", "national_id", &nid, "purpose", &purpose, "fields", &fields,
	        "justification", &just) != 0 ||
	    api_name_list(fields, w->names, &n, "fields is empty: name a field, or leave fields out for the consented", err) != 0)
		return -1;
	if (just != NULL && strlen(just) > POLICY_JUSTIFICATION_MAX)
		return api_fail(err, API_P_INVALID_INPUT, "justification is at most 500 bytes");
	/* refused before anything is decided or logged: free text reaches an access log only where the law asks for it */
	if (just != NULL && policy_justification_check(r->v, &r->caller.agency, purpose, just, &err->u) != 0) {
		if (err->u.code == UTIL_EINVAL)
			return api_fail(err, API_P_JUSTIFICATION_NOT_ACCEPTED, "%s", err->u.msg);
		return -1;
	}
	if (policy_lookup_prepare(r->v, &r->caller.agency, purpose, nid, w->names, n, just, util_now(), &w->l, &err->u) !=
	    0) {
		if (err->u.code != UTIL_EINVAL)
			log_failed_lookup(r, w, n, just, &err->u);
		return -1;
	}
	/* the entry: the fields released when allowed, the fields asked for when denied; every
	 * string it points to lives in r (its body, its state) until the request is finished */
	for (i = 0; i < w->l.d.nfields; i++)
		w->logged[i] = w->l.d.fields[i].name;
	w->e.actor = api_agency_actor(r, w->actor);
	w->e.action = "lookup";
	w->e.agency_id = r->caller.agency.id;
	w->e.purpose_id = w->l.purpose_id[0] ? w->l.purpose_id : NULL;
	w->e.cid = w->l.citizen_found ? w->l.cid : NULL;
	w->e.fields = w->l.d.allow ? w->logged : w->names;
	w->e.nfields = w->l.d.allow ? w->l.d.nfields : n;
	w->e.decision = w->l.d.allow ? "allow" : "deny";
	w->e.reason = policy_reason_name(w->l.d.reason);
	w->e.basis = w->l.d.basis ? policy_basis_name(w->l.d.basis) : NULL;
	w->e.justification = just && *just ? just : NULL;
	w->e.consent_id = w->l.d.consent_id[0] ? w->l.d.consent_id : NULL;
	w->e.note = w->l.purpose_id[0] ? NULL : "unknown purpose";
	api_suspend_for_audit(r, &w->e, lookup_finish);
	return 0;
}
