/* lookup.c: a lookup's one pass: decide, release what is granted, and build its audit entry. */
#include "policy_private.h"

#include <stdio.h>
#include <string.h>

/* Bad input, refused before anything is read or logged. */
static int check_input(vault *v, const char *nid, const char *const *fields, size_t n, util_err *err)
{
	size_t i;

	if (n > POLICY_MAX_FIELDS)
		return util_fail(err, UTIL_EINVAL, "too many fields");
	for (i = 0; i < n; i++)
		if (fields[i] == NULL || vault_catalog_find(vault_catalog_of(v), fields[i], strlen(fields[i])) == NULL)
			return util_fail(err, UTIL_EINVAL, "unknown field %.32s", fields[i] ? fields[i] : "");
	if (nid == NULL)
		return util_fail(err, UTIL_EINVAL, "national_id is missing");
	return vault_nid_check(nid, strlen(nid), err);
}

/* The fields the decision allows, read from the record, masked where it says. */
static int release(vault *v, policy_lookup *l, util_err *err)
{
	const char *names[POLICY_MAX_FIELDS];
	unsigned char masked[POLICY_MAX_FIELDS];
	size_t i;

	for (i = 0; i < l->d.nfields; i++) {
		names[i] = l->d.fields[i].name;
		masked[i] = l->d.fields[i].masked != 0;
	}
	return vault_citizen_release(v, l->cid, names, masked, l->d.nfields, &l->fields, err);
}

/*
 * The lookup's entry, as its decision stands: the fields released when allowed, the fields
 * asked for when denied. It points into l and into the caller's fields and justification,
 * which must outlive its writing.
 */
static void build_entry(policy_lookup *l, const policy_agency *agency, const char *const *fields, size_t n,
    const char *just)
{
	audit_entry *e = &l->entry;
	size_t i;

	for (i = 0; i < l->d.nfields; i++)
		l->logged[i] = l->d.fields[i].name;
	snprintf(l->actor, sizeof l->actor, "agency:%s", agency->id);
	snprintf(l->agency_id, sizeof l->agency_id, "%s", agency->id);
	memset(e, 0, sizeof *e);
	e->actor = l->actor;
	e->action = "lookup";
	e->agency_id = l->agency_id;
	e->purpose_id = l->purpose_id[0] ? l->purpose_id : NULL;
	e->cid = l->citizen_found ? l->cid : NULL;
	e->fields = l->d.allow ? l->logged : fields;
	e->nfields = l->d.allow ? l->d.nfields : n;
	e->decision = l->d.allow ? "allow" : "deny";
	e->reason = policy_reason_name(l->d.reason);
	e->basis = l->d.basis ? policy_basis_name(l->d.basis) : NULL;
	e->justification = just && *just ? just : NULL;
	e->consent_id = l->d.consent_id[0] ? l->d.consent_id : NULL;
	e->note = l->purpose_id[0] ? NULL : "unknown purpose";
}

/*
 * A lookup that was understood but could not be decided or read (a storage error, a record
 * that does not decrypt) is still an access attempt: its entry is a denial with reason
 * "error" and the error's code as its note. Nothing was released.
 */
static void failed_entry(policy_lookup *l, const policy_agency *agency, const char *const *fields, size_t n,
    const char *just, const util_err *why)
{
	policy_lookup_clear(l);
	l->d.allow = 0;
	l->d.nfields = 0;
	build_entry(l, agency, fields, n, just);
	l->entry.reason = "error";
	l->entry.basis = NULL;
	l->entry.consent_id = NULL;
	l->entry.note = util_code_name(why->code);
}

/* A use-limited consent's use, spent in one unit with the entry; a lost race denies. */
static int spend_use(vault *v, policy_lookup *l, const policy_agency *agency, const char *const *fields, size_t n,
    const char *just, util_err *err)
{
	policy_reason lost;

	if (policy_store_use_spend(v, l->d.consent_id, &l->entry, &l->seq, &lost, err) != 0)
		return -1;
	if (l->seq == 0) {
		l->d.reason = lost;
		l->d.allow = 0;
		l->d.nfields = 0;
		policy_lookup_clear(l);
		build_entry(l, agency, fields, n, just);
	}
	return 0;
}

int policy_lookup_prepare(vault *v, const policy_agency *agency, const char *code, const char *nid,
    const char *const *fields, size_t n, const char *justification, int64_t now, policy_lookup *l, util_err *err)
{
	policy_lookup_state st;
	policy_input in = {0};
	int rc;

	memset(l, 0, sizeof *l);
	if (check_input(v, nid, fields, n, err) != 0)
		return -1;
	rc = policy_store_lookup_begin(v, agency, code, nid, &st, err);
	if (rc == 0) {
		if (st.purpose_found)
			snprintf(l->purpose_id, sizeof l->purpose_id, "%s", st.purpose.id);
		memcpy(l->cid, st.cid, sizeof l->cid);
		l->citizen_found = st.citizen_found;
		in = (policy_input){.agency = agency, .purpose = st.purpose_found ? &st.purpose : NULL,
			.citizen_exists = st.citizen_found, .citizen_restricted = st.restricted, .requested = fields,
			.nrequested = n, .justification = justification, .now = now, .consents = st.consents,
			.nconsents = st.nconsents};
		policy_decide(&in, &l->d);
		if (l->d.allow && l->citizen_found)
			rc = release(v, l, err);
	}
	policy_store_lookup_end(v);
	if (rc == 0) {
		build_entry(l, agency, fields, n, justification);
		if (l->d.allow && l->d.consumes_use)
			rc = spend_use(v, l, agency, fields, n, justification, err);
	}
	if (rc != 0)
		failed_entry(l, agency, fields, n, justification, err);
	return rc;
}

void policy_lookup_clear(policy_lookup *l)
{
	json_decref(l->fields); /* the values are wiped as they are freed: vault_init's allocator */
	l->fields = NULL;
}
