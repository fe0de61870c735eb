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

/*
 * The decision over st, with purpose p (NULL: the agency has no such purpose), and when it
 * allows, the release of the granted fields into l, in the snapshot st was read in.
 */
static int decide(vault *v, const policy_agency *agency, const policy_purpose *p, const policy_lookup_state *st,
    const char *const *fields, size_t n, const char *just, int64_t now, policy_lookup *l, util_err *err)
{
	policy_input in;

	if (p != NULL)
		snprintf(l->purpose_id, sizeof l->purpose_id, "%s", p->id);
	memcpy(l->cid, st->cid, sizeof l->cid);
	l->citizen_found = st->citizen_found;
	in = (policy_input){.agency = agency, .purpose = p, .citizen_exists = st->citizen_found,
		.citizen_restricted = st->restricted, .requested = fields, .nrequested = n, .justification = just,
		.now = now, .consents = st->consents, .nconsents = st->nconsents};
	policy_decide(&in, &l->d);
	if (l->d.allow && l->citizen_found)
		return release(v, l, err);
	return 0;
}

int policy_lookup_prepare(vault *v, const policy_agency *agency, const char *code, const char *nid,
    const char *const *fields, size_t n, const char *justification, int64_t now, policy_lookup *l, util_err *err)
{
	policy_lookup_state st;
	int rc;

	memset(l, 0, sizeof *l);
	if (check_input(v, nid, fields, n, err) != 0)
		return -1;
	rc = policy_store_lookup_begin(v, agency, code, nid, &st, err);
	if (rc == 0)
		rc = decide(v, agency, st.purpose_found ? &st.purpose : NULL, &st, fields, n, justification, now, l, err);
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

/* ---- a batch of lookups, in one snapshot ---- */

void policy_lookup_batch_begin(policy_lookup_batch *b, vault *v, const policy_agency *agency, int64_t now)
{
	memset(b, 0, sizeof *b);
	b->v = v;
	b->agency = agency;
	b->now = now;
}

/* Ends the batch's snapshot, and forgets what was read in it. */
static void batch_snapshot_end(policy_lookup_batch *b)
{
	if (b->reading)
		vault_read_end(b->v);
	b->reading = 0;
	b->npurposes = 0;
}

/*
 * The batch's agency's purpose `code`, read once per snapshot: *p NULL when there is none. A
 * code that could name no purpose is not kept; past POLICY_BATCH_PURPOSES, the last one kept
 * makes room.
 */
static int batch_purpose(policy_lookup_batch *b, const char *code, const policy_purpose **p, util_err *err)
{
	policy_batch_purpose *k;
	size_t i, len = code != NULL ? strnlen(code, POLICY_CODE_MAX + 1) : 0;
	util_err e2;

	*p = NULL;
	if (len == 0 || len > POLICY_CODE_MAX)
		return 0; /* as policy_purpose_get: no such purpose */
	for (i = 0; i < b->npurposes; i++)
		if (strcmp(b->purposes[i].code, code) == 0) {
			*p = b->purposes[i].found ? &b->purposes[i].p : NULL;
			return 0;
		}
	if (b->npurposes == POLICY_BATCH_PURPOSES)
		b->npurposes--;
	k = &b->purposes[b->npurposes];
	if (policy_purpose_get(b->v, b->agency->id, code, NULL, &k->p, &e2) == 0)
		k->found = 1;
	else if (e2.code == UTIL_ENOTFOUND)
		k->found = 0;
	else
		return *err = e2, -1;
	memcpy(k->code, code, len + 1);
	b->npurposes++;
	*p = k->found ? &k->p : NULL;
	return 0;
}

/*
 * The uses that earlier items of the batch are to spend, counted into st's consents as if
 * spent already: a later item sees a consent they use up as used up, as it would have had
 * they been single lookups one after the other.
 */
static void count_batch_uses(const policy_lookup_batch *b, policy_lookup_state *st)
{
	size_t i, j;

	for (i = 0; i < st->nconsents; i++)
		for (j = 0; j < b->nspends && st->consents[i].use_limit > 0; j++)
			if (strncmp(b->spends[j]->l->d.consent_id, st->consents[i].id, POLICY_ID_MAX + 1) == 0)
				st->consents[i].uses++;
}

/* An item's reads, in the batch's snapshot (opened by the first item that reads). */
static int batch_read(policy_lookup_batch *b, const policy_lookup_ask *a, const policy_purpose **p,
    policy_lookup_state *st, util_err *err)
{
	*p = NULL;
	if (!b->reading) {
		if (vault_read_begin(b->v, err) != 0)
			return -1;
		b->reading = 1;
	}
	if (batch_purpose(b, a->code, p, err) != 0)
		return -1;
	return policy_store_lookup_citizen(b->v, b->agency->id, *p != NULL ? (*p)->id : NULL, a->nid, st, err);
}

int policy_lookup_batch_item(policy_lookup_batch *b, policy_lookup_ask *a)
{
	policy_lookup_state st;
	const policy_purpose *p;
	policy_lookup *l = a->l;
	int rc;

	memset(l, 0, sizeof *l);
	a->rc = 0;
	if (b->nitems >= POLICY_BATCH_MAX)
		return a->rc = util_fail(&a->err, UTIL_EINVAL, "a batch holds at most %u lookups", POLICY_BATCH_MAX);
	b->nitems++;
	if (check_input(b->v, a->nid, a->fields, a->nfields, &a->err) != 0)
		return a->rc = -1;
	rc = batch_read(b, a, &p, &st, &a->err);
	if (rc == 0) {
		count_batch_uses(b, &st);
		rc = decide(b->v, b->agency, p, &st, a->fields, a->nfields, a->justification, b->now, l, &a->err);
	}
	if (rc == 0) {
		build_entry(l, b->agency, a->fields, a->nfields, a->justification);
		if (l->d.allow && l->d.consumes_use)
			b->spends[b->nspends++] = a;
		return 0;
	}
	failed_entry(l, b->agency, a->fields, a->nfields, a->justification, &a->err);
	batch_snapshot_end(b); /* a failed read may have ended the transaction: the next item opens another */
	return a->rc = -1;
}

void policy_lookup_batch_end(policy_lookup_batch *b)
{
	size_t i;

	batch_snapshot_end(b);
	for (i = 0; i < b->nspends; i++) {
		policy_lookup_ask *a = b->spends[i];

		if (spend_use(b->v, a->l, b->agency, a->fields, a->nfields, a->justification, &a->err) != 0) {
			failed_entry(a->l, b->agency, a->fields, a->nfields, a->justification, &a->err);
			a->rc = -1;
		}
	}
	b->nspends = 0;
}
