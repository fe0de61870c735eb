/* decision.c: the pure decision over which of a citizen's fields an agency may read, and why. */
#include "policy.h"

#include <string.h>

/* Stable: these strings are written to the audit log. Indexed by policy_reason. */
static const char *const reason_names[] = {
	[POLICY_OK] = "ok",
	[POLICY_DENY_UNKNOWN_CITIZEN] = "unknown_citizen",
	[POLICY_DENY_AGENCY_SUSPENDED] = "agency_suspended",
	[POLICY_DENY_ROLE_MISSING] = "role_missing",
	[POLICY_DENY_UNKNOWN_PURPOSE] = "unknown_purpose",
	[POLICY_DENY_PURPOSE_NOT_AGENCYS] = "purpose_not_agencys",
	[POLICY_DENY_NO_CONSENT] = "no_consent",
	[POLICY_DENY_CONSENT_REVOKED] = "consent_revoked",
	[POLICY_DENY_CONSENT_EXPIRED] = "consent_expired",
	[POLICY_DENY_USE_LIMIT_REACHED] = "use_limit_reached",
	[POLICY_DENY_RESTRICTED] = "processing_restricted",
	[POLICY_DENY_NO_FIELD_GRANTED] = "no_field_granted",
	[POLICY_DENY_JUSTIFICATION_MISSING] = "justification_missing",
	[POLICY_DENY_FIELD_UNKNOWN] = "field_unknown",
};
_Static_assert(sizeof reason_names / sizeof reason_names[0] == POLICY_REASON_COUNT,
               "every policy_reason needs a name");

/* Stable, indexed by policy_basis; also the strings policy_basis_parse accepts. */
static const char *const basis_names[] = {
	[POLICY_BASIS_CONSENT] = "consent",
	[POLICY_BASIS_LEGAL_OBLIGATION] = "legal_obligation",
	[POLICY_BASIS_VITAL_INTEREST] = "vital_interest",
};

#define NAME_SIZE (POLICY_FIELD_MAX + 1u)
#define ID_SIZE (POLICY_ID_MAX + 1u)

/*
 * The length of the string in a fixed-size array of cap bytes, or 0 when it is empty or fills
 * the array without a terminator. Such an id or name is invalid: it never matches anything.
 */
static size_t fixed_len(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	return n == cap ? 0 : n;
}

/* 1 if two arrays of cap bytes hold the same valid string. */
static int fixed_eq(const char *a, const char *b, size_t cap)
{
	size_t n = fixed_len(a, cap);

	return n != 0 && n == fixed_len(b, cap) && memcmp(a, b, n) == 0;
}

/* 1 if the caller's string s (NUL-terminated, or NULL) is name, a valid (terminated) name. */
static int name_is(const char *s, const char *name)
{
	return s != NULL && strcmp(s, name) == 0;
}

static size_t clamp_fields(size_t n)
{
	return n < POLICY_MAX_FIELDS ? n : POLICY_MAX_FIELDS;
}

static int basis_valid(policy_basis b)
{
	return b == POLICY_BASIS_CONSENT || b == POLICY_BASIS_LEGAL_OBLIGATION ||
	       b == POLICY_BASIS_VITAL_INTEREST;
}

/* A vital-interest justification: given, with a visible character, at most the maximum length. */
static int justified(const char *j)
{
	size_t n;

	if (j == NULL)
		return 0;
	n = strnlen(j, POLICY_JUSTIFICATION_MAX + 1u);
	return n <= POLICY_JUSTIFICATION_MAX && policy_text_visible(j, n);
}

/*
 * 1 if the consent may be considered at all: it has an id, it was given to this agency for this
 * purpose (the caller should have filtered, this is a second check), and it was granted by now.
 * A consent granted in the future does not exist yet.
 */
static int consent_counts(const policy_consent *c, const policy_agency *a, const policy_purpose *p,
                          int64_t now)
{
	return fixed_len(c->id, ID_SIZE) != 0 && fixed_eq(c->agency_id, a->id, ID_SIZE) &&
	       fixed_eq(c->purpose_id, p->id, ID_SIZE) && c->granted_at <= now;
}

/* Not revoked, not expired, under its use limit. Only comparisons: no time arithmetic to overflow. */
static int consent_active(const policy_consent *c, int64_t now)
{
	return c->revoked_at == 0 && now < c->expires_at && (c->use_limit == 0 || c->uses < c->use_limit);
}

/*
 * 1 if c is to be preferred to best (NULL: nothing yet): granted later, or in the same second
 * with the smaller id, so that the order the caller loaded the consents in never matters.
 */
static int newer(const policy_consent *c, const policy_consent *best)
{
	if (best == NULL)
		return 1;
	if (c->granted_at != best->granted_at)
		return c->granted_at > best->granted_at;
	return strncmp(c->id, best->id, ID_SIZE) < 0;
}

/*
 * The consent basis: the newest active consent (POLICY_OK), else the state of the newest consent
 * (revoked, expired, use limit), else no consent. *used gets the consent that decides, if any.
 */
static policy_reason pick_consent(const policy_input *in, const policy_agency *a,
                                  const policy_purpose *p, const policy_consent **used)
{
	const policy_consent *active = NULL, *newest = NULL;
	size_t i, n = in->consents != NULL ? in->nconsents : 0;

	for (i = 0; i < n; i++) {
		const policy_consent *c = &in->consents[i];

		if (!consent_counts(c, a, p, in->now))
			continue;
		if (consent_active(c, in->now) && newer(c, active))
			active = c;
		if (newer(c, newest))
			newest = c;
	}
	if (active != NULL) {
		*used = active;
		return POLICY_OK;
	}
	if (newest == NULL)
		return POLICY_DENY_NO_CONSENT;
	*used = newest;
	if (newest->revoked_at != 0)
		return POLICY_DENY_CONSENT_REVOKED;
	if (in->now >= newest->expires_at)
		return POLICY_DENY_CONSENT_EXPIRED;
	return POLICY_DENY_USE_LIMIT_REACHED;
}

/*
 * Every check before the field set, in the order policy.h gives; p, when not NULL, has a valid
 * basis. POLICY_OK: go on to the fields.
 */
static policy_reason check(const policy_input *in, const policy_agency *a, const policy_purpose *p,
                           const policy_consent **used)
{
	if (a->suspended)
		return POLICY_DENY_AGENCY_SUSPENDED;
	if (!in->citizen_exists)
		return POLICY_DENY_UNKNOWN_CITIZEN;
	if (p == NULL)
		return POLICY_DENY_UNKNOWN_PURPOSE;
	if (!fixed_eq(p->agency_id, a->id, ID_SIZE))
		return POLICY_DENY_PURPOSE_NOT_AGENCYS;
	if (p->basis == POLICY_BASIS_VITAL_INTEREST) {
		if (!(a->roles & POLICY_ROLE_EMERGENCY))
			return POLICY_DENY_ROLE_MISSING;
		/* restriction does not stop a vital interest */
		return justified(in->justification) ? POLICY_OK : POLICY_DENY_JUSTIFICATION_MISSING;
	}
	if (!(a->roles & POLICY_ROLE_CONSUMER))
		return POLICY_DENY_ROLE_MISSING;
	if (p->basis == POLICY_BASIS_LEGAL_OBLIGATION)
		return POLICY_OK; /* no consent needed, and restriction does not apply */
	if (in->citizen_restricted)
		return POLICY_DENY_RESTRICTED;
	return pick_consent(in, a, p, used);
}

/* 1 if some requested name is the field name. */
static int is_requested(const policy_input *in, const char *name)
{
	size_t i;

	for (i = 0; i < in->nrequested; i++)
		if (name_is(in->requested[i], name))
			return 1;
	return 0;
}

/* The consent's entry for the field name, or NULL when the citizen did not approve it. */
static const policy_field *consent_field(const policy_consent *c, const char *name)
{
	size_t i, n = clamp_fields(c->nfields);

	for (i = 0; i < n; i++)
		if (fixed_eq(c->fields[i].name, name, NAME_SIZE))
			return &c->fields[i];
	return NULL;
}

/* 1 if the decision already releases a field named s (s: a valid name or a caller's string). */
static int released(const policy_decision *out, const char *s)
{
	size_t i;

	for (i = 0; i < out->nfields; i++)
		if (name_is(s, out->fields[i].name))
			return 1;
	return 0;
}

/*
 * The distinct requested names that are not released, in the order asked, truncated to a field
 * name's length. At most POLICY_MAX_FIELDS are listed; the caller has checked the names against
 * the catalog, which has no more fields than that.
 */
static void list_withheld(const policy_input *in, policy_decision *out)
{
	size_t i, j;

	for (i = 0; i < in->nrequested && out->nwithheld < POLICY_MAX_FIELDS; i++) {
		const char *s = in->requested[i];

		if (s == NULL || released(out, s))
			continue;
		for (j = 0; j < i; j++)
			if (in->requested[j] != NULL && strcmp(in->requested[j], s) == 0)
				break;
		if (j < i)
			continue;
		memcpy(out->withheld[out->nwithheld++], s, strnlen(s, POLICY_FIELD_MAX));
	}
}

/*
 * The field set: the purpose's fields, in its order, that are covered (by the consent c, or by
 * the purpose itself when c is NULL) and requested (or anything, when nothing is requested).
 */
static void grant_fields(const policy_input *in, const policy_purpose *p, const policy_consent *c,
                         policy_decision *out)
{
	size_t i, n = clamp_fields(p->nfields);
	int all = in->requested == NULL || in->nrequested == 0;

	for (i = 0; i < n; i++) {
		const policy_field *f = &p->fields[i];
		size_t len = fixed_len(f->name, NAME_SIZE);
		int masked = f->masked != 0;

		if (len == 0 || released(out, f->name) || (!all && !is_requested(in, f->name)))
			continue;
		if (c != NULL) {
			const policy_field *cf = consent_field(c, f->name);

			if (cf == NULL)
				continue;
			masked = masked || cf->masked != 0;
		}
		memcpy(out->fields[out->nfields].name, f->name, len);
		out->fields[out->nfields++].masked = masked;
	}
	if (!all)
		list_withheld(in, out);
}

void policy_decide(const policy_input *in, policy_decision *out)
{
	static const policy_agency nobody; /* stands in for a NULL agency: no id, no role */
	const policy_agency *a = in->agency != NULL ? in->agency : &nobody;
	const policy_purpose *p = in->purpose;
	const policy_consent *used = NULL;
	policy_reason r;

	memset(out, 0, sizeof *out);
	/* a purpose whose basis is none of the three is as good as unregistered */
	if (p != NULL && !basis_valid(p->basis))
		p = NULL;
	if (p != NULL)
		out->basis = p->basis;
	r = check(in, a, p, &used);
	if (used != NULL)
		memcpy(out->consent_id, used->id, fixed_len(used->id, ID_SIZE));
	if (r != POLICY_OK) {
		out->reason = r;
		return;
	}
	grant_fields(in, p, used, out);
	if (out->nfields == 0) {
		out->reason = POLICY_DENY_NO_FIELD_GRANTED;
		return;
	}
	out->allow = 1;
	out->reason = POLICY_OK;
	out->needs_review = p->basis == POLICY_BASIS_VITAL_INTEREST;
	out->consumes_use = used != NULL && used->use_limit > 0;
}

const char *policy_reason_name(policy_reason r)
{
	if ((size_t)r >= sizeof reason_names / sizeof reason_names[0])
		return "unknown";
	return reason_names[r];
}

const char *policy_basis_name(policy_basis b)
{
	if ((size_t)b >= sizeof basis_names / sizeof basis_names[0] || basis_names[b] == NULL)
		return "unknown";
	return basis_names[b];
}

policy_basis policy_basis_parse(const char *s)
{
	size_t i;

	if (s == NULL)
		return (policy_basis)0;
	for (i = 0; i < sizeof basis_names / sizeof basis_names[0]; i++)
		if (basis_names[i] != NULL && strcmp(s, basis_names[i]) == 0)
			return (policy_basis)i;
	return (policy_basis)0;
}
