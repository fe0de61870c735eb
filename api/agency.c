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
	policy_lookup l; /* its entry points into l and into names: the wait is never copied */
	const char *names[POLICY_MAX_FIELDS];
	util_err failed; /* a lookup that failed: the error to answer once its entry is written */
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

/* A failed lookup's entry is written (by the same writer): now its error goes back. */
static int lookup_failed(api_req *r, api_err *err)
{
	lookup_wait *w = r->state;

	if (r->audit.rc != 0)
		util_log(UTIL_LOG_ERROR, r->rid, "a failed lookup could not be logged", "code=%s",
		    util_code_name(r->audit.err.code));
	return api_fail_util(err, &w->failed);
}

/*
 * A lookup: policy decides, the vault releases what is granted, in one snapshot, and policy
 * builds the entry (policy_lookup_prepare); the group-commit writer makes the entry durable
 * while the connection is suspended (no worker thread waits on the disk), then lookup_finish
 * sends it. Nothing is sent before the entry is durable; lookup_wait_free drops what a request
 * never sent. A use-limited consent's entry is already durable, written with its use. A
 * lookup that was understood but failed (storage, a record that does not decrypt) is still an
 * access attempt: its entry goes through the same writer before its error goes back.
 */
int api_h_lookup(api_req *r, api_err *err)
{
	const char *nid, *purpose, *just = NULL;
	json_t *fields = NULL;
	lookup_wait *w;
	size_t n;

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
		if (err->u.code == UTIL_EINVAL)
			return -1;
		w->failed = err->u;
		api_suspend_for_audit(r, &w->l.entry, lookup_failed);
		return 0;
	}
	if (w->l.seq > 0) { /* written with the consent's use */
		r->audit.rc = 0;
		r->audit.seq = w->l.seq;
		return lookup_finish(r, err);
	}
	api_suspend_for_audit(r, &w->l.entry, lookup_finish);
	return 0;
}
