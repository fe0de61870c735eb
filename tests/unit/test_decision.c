/* test_decision.c: the consent decision as a table of cases, garbage inputs, and the stable names. */
#include "support.h"

#include <stdio.h>
#include <string.h>

#include "../../policy/policy.h"

#define NOW INT64_C(1700000000)
#define DAY INT64_C(86400)
#define MAXL 8 /* names in a list of the table */
#define MAXC 3 /* consents in a row */

#define CONS POLICY_ROLE_CONSUMER
#define EMRG POLICY_ROLE_EMERGENCY
#define REGI POLICY_ROLE_REGISTRAR

#define B_CONSENT POLICY_BASIS_CONSENT
#define B_LEGAL POLICY_BASIS_LEGAL_OBLIGATION
#define B_VITAL POLICY_BASIS_VITAL_INTEREST

/* ---- fixtures: one agency, three purposes; "~name" marks a masked field ---- */

#define AGENCY "agency-a"
#define OTHER_AGENCY "agency-b"

typedef enum purpose_kind { P_NONE, P_CONSENT, P_LEGAL, P_VITAL } purpose_kind;

static const struct {
	const char *id;
	policy_basis basis;
	const char *fields[MAXL];
} purposes[] = {
	[P_CONSENT] = {"loan-check", B_CONSENT,
		{"full_name", "date_of_birth", "~national_id", "address", "health_status"}},
	[P_LEGAL] = {"tax-audit", B_LEGAL, {"full_name", "~national_id", "income"}},
	[P_VITAL] = {"emergency-care", B_VITAL, {"full_name", "blood_type", "allergies", "~national_id"}},
};

/* What a consent approves (consent purpose). health_status is the sensitive field. */
#define F_ALL {"full_name", "date_of_birth", "national_id", "address", "health_status"}
#define F_NO_HEALTH {"full_name", "date_of_birth", "national_id", "address"}
#define F_SUBSET {"full_name", "address"}
#define F_MASKED {"full_name", "~date_of_birth", "national_id", "~address"}

/* Expected field sets: every field of the purpose, masked as the purpose says. */
#define E_CONSENT_ALL {"full_name", "date_of_birth", "~national_id", "address", "health_status"}
#define E_LEGAL_ALL {"full_name", "~national_id", "income"}
#define E_VITAL_ALL {"full_name", "blood_type", "allergies", "~national_id"}

#define JUST "patient unconscious at the emergency room, no relative reachable"
#define J10 "0123456789"
#define J100 J10 J10 J10 J10 J10 J10 J10 J10 J10 J10
#define J500 J100 J100 J100 J100 J100 /* exactly POLICY_JUSTIFICATION_MAX bytes */

/* The state of a consent at NOW. A pending request is no consent at all: rows leave it out. */
typedef enum consent_state {
	ACTIVE = 1,  /* expires in 30 days */
	REVOKED,     /* otherwise active */
	EXPIRED,     /* expires_at == NOW */
	ONCE_UNUSED, /* use_limit 1, uses 0 */
	ONCE_USED,   /* use_limit 1, uses 1 */
	LIMIT_LEFT,  /* use_limit 3, uses 2 */
	FUTURE,      /* granted tomorrow */
} consent_state;

typedef enum stray { FILED_RIGHT, STRAY_AGENCY, STRAY_PURPOSE } stray;

typedef struct consent_spec {
	const char *id; /* NULL ends the list */
	consent_state state;
	int64_t days_ago; /* granted_at = NOW - days_ago days: the larger, the older */
	const char *fields[MAXL];
	stray stray; /* given to another agency or for another purpose: to be ignored */
} consent_spec;

/* A consent given to this agency for the row's purpose. */
#define C(id, state, days_ago, fields) {id, state, days_ago, fields, FILED_RIGHT}

typedef struct decide_case {
	const char *name;
	/* the input */
	unsigned roles;
	int suspended;
	purpose_kind purpose;
	int foreign; /* the purpose is registered to another agency */
	int unknown_citizen, restricted;
	consent_spec consents[MAXC];
	const char *requested[MAXL]; /* none: nothing requested */
	const char *justification;
	/* the expected decision */
	int allow;
	policy_reason reason;
	policy_basis basis;
	const char *fields[MAXL]; /* in purpose order */
	const char *withheld[MAXL];
	const char *consent_id; /* NULL: "" */
	int needs_review, consumes_use;
} decide_case;

static const decide_case cases[] = {
	/* ---- consent basis ---- */
	{.name = "consent: no consent", .roles = CONS, .purpose = P_CONSENT,
		.reason = POLICY_DENY_NO_CONSENT, .basis = B_CONSENT},
	{.name = "consent: pending request only (= no consent)", .roles = CONS, .purpose = P_CONSENT,
		.requested = {"full_name"},
		.reason = POLICY_DENY_NO_CONSENT, .basis = B_CONSENT},
	{.name = "consent: active, nothing requested = all covered", .roles = CONS, .purpose = P_CONSENT,
		.consents = {C("c-1", ACTIVE, 10, F_ALL)},
		.allow = 1, .basis = B_CONSENT, .fields = E_CONSENT_ALL, .consent_id = "c-1"},
	{.name = "consent: active, some requested, purpose order", .roles = CONS, .purpose = P_CONSENT,
		.consents = {C("c-1", ACTIVE, 10, F_ALL)}, .requested = {"address", "full_name"},
		.allow = 1, .basis = B_CONSENT, .fields = {"full_name", "address"}, .consent_id = "c-1"},
	{.name = "consent: active, granted this very second", .roles = CONS, .purpose = P_CONSENT,
		.consents = {C("c-1", ACTIVE, 0, F_SUBSET)},
		.allow = 1, .basis = B_CONSENT, .fields = F_SUBSET, .consent_id = "c-1"},
	{.name = "consent: revoked", .roles = CONS, .purpose = P_CONSENT,
		.consents = {C("c-1", REVOKED, 10, F_ALL)}, .requested = {"full_name"},
		.reason = POLICY_DENY_CONSENT_REVOKED, .basis = B_CONSENT, .consent_id = "c-1"},
	{.name = "consent: expired (expires_at == now)", .roles = CONS, .purpose = P_CONSENT,
		.consents = {C("c-1", EXPIRED, 10, F_ALL)},
		.reason = POLICY_DENY_CONSENT_EXPIRED, .basis = B_CONSENT, .consent_id = "c-1"},
	{.name = "consent: subset, nothing requested", .roles = CONS, .purpose = P_CONSENT,
		.consents = {C("c-1", ACTIVE, 10, F_SUBSET)},
		.allow = 1, .basis = B_CONSENT, .fields = {"full_name", "address"}, .consent_id = "c-1"},
	{.name = "consent: subset, one requested field not covered", .roles = CONS, .purpose = P_CONSENT,
		.consents = {C("c-1", ACTIVE, 10, F_SUBSET)}, .requested = {"date_of_birth", "full_name"},
		.allow = 1, .basis = B_CONSENT, .fields = {"full_name"}, .withheld = {"date_of_birth"},
		.consent_id = "c-1"},
	{.name = "consent: sensitive field not approved is withheld", .roles = CONS, .purpose = P_CONSENT,
		.consents = {C("c-1", ACTIVE, 10, F_NO_HEALTH)}, .requested = {"full_name", "health_status"},
		.allow = 1, .basis = B_CONSENT, .fields = {"full_name"}, .withheld = {"health_status"},
		.consent_id = "c-1"},
	{.name = "consent: only the unapproved sensitive field requested", .roles = CONS,
		.purpose = P_CONSENT, .consents = {C("c-1", ACTIVE, 10, F_NO_HEALTH)},
		.requested = {"health_status"},
		.reason = POLICY_DENY_NO_FIELD_GRANTED, .basis = B_CONSENT, .withheld = {"health_status"},
		.consent_id = "c-1"},
	{.name = "consent: sensitive field approved", .roles = CONS, .purpose = P_CONSENT,
		.consents = {C("c-1", ACTIVE, 10, F_ALL)}, .requested = {"health_status"},
		.allow = 1, .basis = B_CONSENT, .fields = {"health_status"}, .consent_id = "c-1"},
	{.name = "consent: nothing requested, consent lacks the sensitive field", .roles = CONS,
		.purpose = P_CONSENT, .consents = {C("c-1", ACTIVE, 10, F_NO_HEALTH)},
		.allow = 1, .basis = B_CONSENT,
		.fields = {"full_name", "date_of_birth", "~national_id", "address"}, .consent_id = "c-1"},
	{.name = "consent: agency suspended", .roles = CONS, .suspended = 1, .purpose = P_CONSENT,
		.consents = {C("c-1", ACTIVE, 10, F_ALL)},
		.reason = POLICY_DENY_AGENCY_SUSPENDED, .basis = B_CONSENT},
	{.name = "consent: suspended is checked before unknown citizen", .roles = CONS, .suspended = 1,
		.purpose = P_CONSENT, .unknown_citizen = 1,
		.reason = POLICY_DENY_AGENCY_SUSPENDED, .basis = B_CONSENT},
	{.name = "consent: unknown citizen", .roles = CONS, .purpose = P_CONSENT, .unknown_citizen = 1,
		.consents = {C("c-1", ACTIVE, 10, F_ALL)},
		.reason = POLICY_DENY_UNKNOWN_CITIZEN, .basis = B_CONSENT},
	{.name = "consent: purpose of another agency", .roles = CONS, .purpose = P_CONSENT, .foreign = 1,
		.consents = {C("c-1", ACTIVE, 10, F_ALL)},
		.reason = POLICY_DENY_PURPOSE_NOT_AGENCYS, .basis = B_CONSENT},
	{.name = "consent: another agency's purpose is checked before the role", .roles = 0,
		.purpose = P_CONSENT, .foreign = 1,
		.reason = POLICY_DENY_PURPOSE_NOT_AGENCYS, .basis = B_CONSENT},
	{.name = "consent: registrar without consumer role", .roles = REGI, .purpose = P_CONSENT,
		.consents = {C("c-1", ACTIVE, 10, F_ALL)},
		.reason = POLICY_DENY_ROLE_MISSING, .basis = B_CONSENT},
	{.name = "consent: emergency role is not consumer role", .roles = EMRG, .purpose = P_CONSENT,
		.consents = {C("c-1", ACTIVE, 10, F_ALL)}, .justification = JUST,
		.reason = POLICY_DENY_ROLE_MISSING, .basis = B_CONSENT},
	{.name = "consent: role is checked before restriction", .roles = REGI, .purpose = P_CONSENT,
		.restricted = 1,
		.reason = POLICY_DENY_ROLE_MISSING, .basis = B_CONSENT},
	{.name = "consent: restriction denies an active consent", .roles = CONS, .purpose = P_CONSENT,
		.restricted = 1, .consents = {C("c-1", ACTIVE, 10, F_ALL)},
		.reason = POLICY_DENY_RESTRICTED, .basis = B_CONSENT},
	{.name = "consent: restriction is checked before the consents", .roles = CONS,
		.purpose = P_CONSENT, .restricted = 1, .consents = {C("c-1", REVOKED, 10, F_ALL)},
		.reason = POLICY_DENY_RESTRICTED, .basis = B_CONSENT},
	{.name = "consent: one-time, first use allowed and counted", .roles = CONS, .purpose = P_CONSENT,
		.consents = {C("c-1", ONCE_UNUSED, 1, F_SUBSET)},
		.allow = 1, .basis = B_CONSENT, .fields = F_SUBSET, .consent_id = "c-1", .consumes_use = 1},
	{.name = "consent: one-time, used once: denied", .roles = CONS, .purpose = P_CONSENT,
		.consents = {C("c-1", ONCE_USED, 1, F_SUBSET)},
		.reason = POLICY_DENY_USE_LIMIT_REACHED, .basis = B_CONSENT, .consent_id = "c-1"},
	{.name = "consent: limit 3, 2 used: allowed and counted", .roles = CONS, .purpose = P_CONSENT,
		.consents = {C("c-1", LIMIT_LEFT, 1, F_SUBSET)},
		.allow = 1, .basis = B_CONSENT, .fields = F_SUBSET, .consent_id = "c-1", .consumes_use = 1},
	{.name = "consent: one-time but no field granted: nothing counted", .roles = CONS,
		.purpose = P_CONSENT, .consents = {C("c-1", ONCE_UNUSED, 1, F_SUBSET)},
		.requested = {"income"},
		.reason = POLICY_DENY_NO_FIELD_GRANTED, .basis = B_CONSENT, .withheld = {"income"},
		.consent_id = "c-1"},
	{.name = "consent: duplicated requested names count once", .roles = CONS, .purpose = P_CONSENT,
		.consents = {C("c-1", ACTIVE, 10, F_ALL)},
		.requested = {"address", "address", "full_name", "address"},
		.allow = 1, .basis = B_CONSENT, .fields = {"full_name", "address"}, .consent_id = "c-1"},
	{.name = "consent: duplicated withheld names listed once", .roles = CONS, .purpose = P_CONSENT,
		.consents = {C("c-1", ACTIVE, 10, F_SUBSET)},
		.requested = {"health_status", "full_name", "health_status", "income", "income"},
		.allow = 1, .basis = B_CONSENT, .fields = {"full_name"},
		.withheld = {"health_status", "income"}, .consent_id = "c-1"},
	{.name = "consent: masked by the consent or by the purpose", .roles = CONS, .purpose = P_CONSENT,
		.consents = {C("c-1", ACTIVE, 10, F_MASKED)},
		.allow = 1, .basis = B_CONSENT,
		.fields = {"full_name", "~date_of_birth", "~national_id", "~address"}, .consent_id = "c-1"},
	{.name = "consent: a name outside the purpose is withheld", .roles = CONS, .purpose = P_CONSENT,
		.consents = {C("c-1", ACTIVE, 10, F_ALL)}, .requested = {"full_name", "income"},
		.allow = 1, .basis = B_CONSENT, .fields = {"full_name"}, .withheld = {"income"},
		.consent_id = "c-1"},
	{.name = "consent: newest active wins", .roles = CONS, .purpose = P_CONSENT,
		.consents = {C("c-old", ACTIVE, 20, F_ALL), C("c-new", ACTIVE, 2, F_SUBSET)},
		.allow = 1, .basis = B_CONSENT, .fields = F_SUBSET, .consent_id = "c-new"},
	{.name = "consent: granted the same second, the smaller id wins", .roles = CONS,
		.purpose = P_CONSENT,
		.consents = {C("c-b", ACTIVE, 5, F_ALL), C("c-a", ACTIVE, 5, F_SUBSET)},
		.allow = 1, .basis = B_CONSENT, .fields = F_SUBSET, .consent_id = "c-a"},
	{.name = "consent: newest revoked, older active allows", .roles = CONS, .purpose = P_CONSENT,
		.consents = {C("c-new", REVOKED, 1, F_ALL), C("c-old", ACTIVE, 10, F_SUBSET)},
		.allow = 1, .basis = B_CONSENT, .fields = F_SUBSET, .consent_id = "c-old"},
	{.name = "consent: newest used up, older active allows", .roles = CONS, .purpose = P_CONSENT,
		.consents = {C("c-old", ACTIVE, 30, F_ALL), C("c-new", ONCE_USED, 1, F_SUBSET)},
		.allow = 1, .basis = B_CONSENT, .fields = E_CONSENT_ALL, .consent_id = "c-old"},
	{.name = "consent: none active, reason of the newest (revoked)", .roles = CONS,
		.purpose = P_CONSENT,
		.consents = {C("c-old", EXPIRED, 40, F_ALL), C("c-new", REVOKED, 5, F_ALL)},
		.reason = POLICY_DENY_CONSENT_REVOKED, .basis = B_CONSENT, .consent_id = "c-new"},
	{.name = "consent: none active, reason of the newest (expired)", .roles = CONS,
		.purpose = P_CONSENT,
		.consents = {C("c-new", EXPIRED, 5, F_ALL), C("c-old", REVOKED, 40, F_ALL),
			C("c-mid", ONCE_USED, 20, F_ALL)},
		.reason = POLICY_DENY_CONSENT_EXPIRED, .basis = B_CONSENT, .consent_id = "c-new"},
	{.name = "consent: none active, reason of the newest (use limit)", .roles = CONS,
		.purpose = P_CONSENT,
		.consents = {C("c-old", REVOKED, 40, F_ALL), C("c-new", ONCE_USED, 3, F_ALL)},
		.reason = POLICY_DENY_USE_LIMIT_REACHED, .basis = B_CONSENT, .consent_id = "c-new"},
	{.name = "consent: granted in the future does not exist", .roles = CONS, .purpose = P_CONSENT,
		.consents = {C("c-f", FUTURE, 0, F_ALL)},
		.reason = POLICY_DENY_NO_CONSENT, .basis = B_CONSENT},
	{.name = "consent: a future consent does not shadow an active one", .roles = CONS,
		.purpose = P_CONSENT,
		.consents = {C("c-f", FUTURE, 0, F_SUBSET), C("c-a", ACTIVE, 10, F_NO_HEALTH)},
		.requested = {"full_name", "health_status"},
		.allow = 1, .basis = B_CONSENT, .fields = {"full_name"}, .withheld = {"health_status"},
		.consent_id = "c-a"},
	{.name = "consent: a future consent does not hide a revocation", .roles = CONS,
		.purpose = P_CONSENT, .consents = {C("c-f", FUTURE, 0, F_ALL), C("c-r", REVOKED, 10, F_ALL)},
		.reason = POLICY_DENY_CONSENT_REVOKED, .basis = B_CONSENT, .consent_id = "c-r"},
	{.name = "consent: one given to another agency is ignored", .roles = CONS, .purpose = P_CONSENT,
		.consents = {{"c-x", ACTIVE, 10, F_ALL, STRAY_AGENCY}},
		.reason = POLICY_DENY_NO_CONSENT, .basis = B_CONSENT},
	{.name = "consent: one for another purpose is ignored", .roles = CONS, .purpose = P_CONSENT,
		.consents = {{"c-x", ACTIVE, 1, F_ALL, STRAY_PURPOSE}, C("c-1", ACTIVE, 10, F_SUBSET)},
		.allow = 1, .basis = B_CONSENT, .fields = F_SUBSET, .consent_id = "c-1"},

	/* ---- no purpose ---- */
	{.name = "unknown purpose", .roles = CONS | EMRG, .purpose = P_NONE,
		.consents = {C("c-1", ACTIVE, 10, F_ALL)},
		.reason = POLICY_DENY_UNKNOWN_PURPOSE},
	{.name = "unknown citizen is checked before unknown purpose", .roles = CONS, .purpose = P_NONE,
		.unknown_citizen = 1,
		.reason = POLICY_DENY_UNKNOWN_CITIZEN},
	{.name = "suspended is checked before unknown purpose", .roles = CONS, .suspended = 1,
		.purpose = P_NONE,
		.reason = POLICY_DENY_AGENCY_SUSPENDED},

	/* ---- legal obligation ---- */
	{.name = "legal: no consent needed", .roles = CONS, .purpose = P_LEGAL,
		.allow = 1, .basis = B_LEGAL, .fields = E_LEGAL_ALL},
	{.name = "legal: a revoked consent does not matter", .roles = CONS, .purpose = P_LEGAL,
		.consents = {C("c-1", REVOKED, 10, {"full_name"})},
		.allow = 1, .basis = B_LEGAL, .fields = E_LEGAL_ALL},
	{.name = "legal: a one-time consent is not counted", .roles = CONS, .purpose = P_LEGAL,
		.consents = {C("c-1", ONCE_UNUSED, 10, {"full_name"})},
		.allow = 1, .basis = B_LEGAL, .fields = E_LEGAL_ALL},
	{.name = "legal: restriction does not apply", .roles = CONS, .purpose = P_LEGAL, .restricted = 1,
		.allow = 1, .basis = B_LEGAL, .fields = E_LEGAL_ALL},
	{.name = "legal: requested subset, outside name withheld", .roles = CONS, .purpose = P_LEGAL,
		.requested = {"income", "health_status", "full_name", "income"},
		.allow = 1, .basis = B_LEGAL, .fields = {"full_name", "income"}, .withheld = {"health_status"}},
	{.name = "legal: masked by the purpose", .roles = CONS, .purpose = P_LEGAL,
		.requested = {"national_id"},
		.allow = 1, .basis = B_LEGAL, .fields = {"~national_id"}},
	{.name = "legal: only names outside the purpose", .roles = CONS, .purpose = P_LEGAL,
		.requested = {"health_status", "blood_type"},
		.reason = POLICY_DENY_NO_FIELD_GRANTED, .basis = B_LEGAL,
		.withheld = {"health_status", "blood_type"}},
	{.name = "legal: emergency role is not consumer role", .roles = EMRG, .purpose = P_LEGAL,
		.reason = POLICY_DENY_ROLE_MISSING, .basis = B_LEGAL},
	{.name = "legal: agency suspended", .roles = CONS, .suspended = 1, .purpose = P_LEGAL,
		.reason = POLICY_DENY_AGENCY_SUSPENDED, .basis = B_LEGAL},
	{.name = "legal: unknown citizen", .roles = CONS, .purpose = P_LEGAL, .unknown_citizen = 1,
		.reason = POLICY_DENY_UNKNOWN_CITIZEN, .basis = B_LEGAL},
	{.name = "legal: purpose of another agency", .roles = CONS, .purpose = P_LEGAL, .foreign = 1,
		.reason = POLICY_DENY_PURPOSE_NOT_AGENCYS, .basis = B_LEGAL},

	/* ---- vital interest ---- */
	{.name = "vital: justified, goes to review", .roles = EMRG, .purpose = P_VITAL,
		.justification = JUST,
		.allow = 1, .basis = B_VITAL, .fields = E_VITAL_ALL, .needs_review = 1},
	{.name = "vital: consumer and emergency roles", .roles = CONS | EMRG, .purpose = P_VITAL,
		.justification = JUST, .requested = {"blood_type", "allergies"},
		.allow = 1, .basis = B_VITAL, .fields = {"blood_type", "allergies"}, .needs_review = 1},
	{.name = "vital: justification missing (NULL)", .roles = EMRG, .purpose = P_VITAL,
		.reason = POLICY_DENY_JUSTIFICATION_MISSING, .basis = B_VITAL},
	{.name = "vital: justification empty", .roles = EMRG, .purpose = P_VITAL, .justification = "",
		.reason = POLICY_DENY_JUSTIFICATION_MISSING, .basis = B_VITAL},
	{.name = "vital: justification only spaces", .roles = EMRG, .purpose = P_VITAL,
		.justification = "  \t \n ",
		.reason = POLICY_DENY_JUSTIFICATION_MISSING, .basis = B_VITAL},
	{.name = "vital: justification of NBSP, zero-width and ideographic spaces", .roles = EMRG, .purpose = P_VITAL,
		.justification = "\xc2\xa0\xe2\x80\x8b\xe3\x80\x80 \xe2\x81\xa0\xef\xbb\xbf",
		.reason = POLICY_DENY_JUSTIFICATION_MISSING, .basis = B_VITAL},
	{.name = "vital: justification of exactly the maximum", .roles = EMRG, .purpose = P_VITAL,
		.justification = J500, .requested = {"blood_type"},
		.allow = 1, .basis = B_VITAL, .fields = {"blood_type"}, .needs_review = 1},
	{.name = "vital: justification one byte too long", .roles = EMRG, .purpose = P_VITAL,
		.justification = J500 "!",
		.reason = POLICY_DENY_JUSTIFICATION_MISSING, .basis = B_VITAL},
	{.name = "vital: consumer without emergency role", .roles = CONS, .purpose = P_VITAL,
		.justification = JUST,
		.reason = POLICY_DENY_ROLE_MISSING, .basis = B_VITAL},
	{.name = "vital: role is checked before justification", .roles = CONS | REGI, .purpose = P_VITAL,
		.reason = POLICY_DENY_ROLE_MISSING, .basis = B_VITAL},
	{.name = "vital: restriction does not apply", .roles = EMRG, .purpose = P_VITAL, .restricted = 1,
		.justification = JUST,
		.allow = 1, .basis = B_VITAL, .fields = E_VITAL_ALL, .needs_review = 1},
	{.name = "vital: a revoked consent does not matter", .roles = EMRG, .purpose = P_VITAL,
		.consents = {C("c-1", REVOKED, 10, {"full_name"})}, .justification = JUST,
		.allow = 1, .basis = B_VITAL, .fields = E_VITAL_ALL, .needs_review = 1},
	{.name = "vital: requested subset with duplicates, outside name withheld", .roles = EMRG,
		.purpose = P_VITAL, .justification = JUST,
		.requested = {"national_id", "income", "full_name", "national_id"},
		.allow = 1, .basis = B_VITAL, .fields = {"full_name", "~national_id"},
		.withheld = {"income"}, .needs_review = 1},
	{.name = "vital: only names outside the purpose", .roles = EMRG, .purpose = P_VITAL,
		.justification = JUST, .requested = {"income"},
		.reason = POLICY_DENY_NO_FIELD_GRANTED, .basis = B_VITAL, .withheld = {"income"}},
	{.name = "vital: agency suspended", .roles = EMRG, .suspended = 1, .purpose = P_VITAL,
		.justification = JUST,
		.reason = POLICY_DENY_AGENCY_SUSPENDED, .basis = B_VITAL},
	{.name = "vital: unknown citizen", .roles = EMRG, .purpose = P_VITAL, .unknown_citizen = 1,
		.justification = JUST,
		.reason = POLICY_DENY_UNKNOWN_CITIZEN, .basis = B_VITAL},
	{.name = "vital: purpose of another agency", .roles = EMRG, .purpose = P_VITAL, .foreign = 1,
		.justification = JUST,
		.reason = POLICY_DENY_PURPOSE_NOT_AGENCYS, .basis = B_VITAL},
};

/* ---- building the input of a row ---- */

typedef struct built {
	policy_agency agency;
	policy_purpose purpose;
	policy_consent consents[MAXC];
	const char *requested[MAXL];
	size_t nrequested;
	policy_input in;
} built;

static void copy_name(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	assert_true(n < cap);
	memcpy(dst, src, n + 1);
}

/* "~name" into a masked field. */
static void set_field(policy_field *f, const char *spec)
{
	f->masked = spec[0] == '~';
	copy_name(f->name, sizeof f->name, spec + f->masked);
}

static size_t count(const char *const list[MAXL])
{
	size_t n = 0;

	while (n < MAXL && list[n] != NULL)
		n++;
	return n;
}

static void make_consent(const consent_spec *s, const char *purpose_id, policy_consent *c)
{
	size_t i;

	memset(c, 0, sizeof *c);
	copy_name(c->id, sizeof c->id, s->id);
	copy_name(c->agency_id, sizeof c->agency_id, s->stray == STRAY_AGENCY ? OTHER_AGENCY : AGENCY);
	copy_name(c->purpose_id, sizeof c->purpose_id, s->stray == STRAY_PURPOSE ? "other" : purpose_id);
	c->granted_at = NOW - s->days_ago * DAY;
	c->expires_at = NOW + 30 * DAY;
	switch (s->state) {
	case ACTIVE:
		break;
	case REVOKED:
		c->revoked_at = NOW - 1;
		break;
	case EXPIRED:
		c->expires_at = NOW;
		break;
	case ONCE_UNUSED:
		c->use_limit = 1;
		break;
	case ONCE_USED:
		c->use_limit = c->uses = 1;
		break;
	case LIMIT_LEFT:
		c->use_limit = 3;
		c->uses = 2;
		break;
	case FUTURE:
		c->granted_at = NOW + DAY;
		break;
	}
	c->nfields = count(s->fields);
	for (i = 0; i < c->nfields; i++)
		set_field(&c->fields[i], s->fields[i]);
}

static void build(const decide_case *tc, built *b)
{
	const char *purpose_id = tc->purpose == P_NONE ? purposes[P_CONSENT].id : purposes[tc->purpose].id;
	size_t i, nc = 0;

	memset(b, 0, sizeof *b);
	copy_name(b->agency.id, sizeof b->agency.id, AGENCY);
	b->agency.roles = tc->roles;
	b->agency.suspended = tc->suspended;
	if (tc->purpose != P_NONE) {
		copy_name(b->purpose.id, sizeof b->purpose.id, purpose_id);
		copy_name(b->purpose.agency_id, sizeof b->purpose.agency_id, tc->foreign ? OTHER_AGENCY : AGENCY);
		b->purpose.basis = purposes[tc->purpose].basis;
		b->purpose.nfields = count(purposes[tc->purpose].fields);
		for (i = 0; i < b->purpose.nfields; i++)
			set_field(&b->purpose.fields[i], purposes[tc->purpose].fields[i]);
		b->in.purpose = &b->purpose;
	}
	while (nc < MAXC && tc->consents[nc].id != NULL) {
		make_consent(&tc->consents[nc], purpose_id, &b->consents[nc]);
		nc++;
	}
	b->nrequested = count(tc->requested);
	memcpy(b->requested, tc->requested, sizeof b->requested);
	b->in.agency = &b->agency;
	b->in.citizen_exists = !tc->unknown_citizen;
	b->in.citizen_restricted = tc->restricted;
	b->in.requested = b->nrequested ? b->requested : NULL;
	b->in.nrequested = b->nrequested;
	b->in.justification = tc->justification;
	b->in.now = NOW;
	b->in.consents = nc ? b->consents : NULL;
	b->in.nconsents = nc;
}

/* ---- comparing with the expected decision ---- */

static int all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

#define EXPECT(cond, ...)                                   \
	do {                                                \
		if (!(cond)) {                              \
			print_error("%s%s: ", tc->name, variant); \
			print_error(__VA_ARGS__);           \
			bad++;                              \
		}                                           \
	} while (0)

/* Every member of d against the row; prints the row name on each mismatch. Returns the count. */
static int compare(const decide_case *tc, const char *variant, const policy_decision *d)
{
	const char *cid = tc->consent_id != NULL ? tc->consent_id : "";
	size_t i, nf = count(tc->fields), nw = count(tc->withheld);
	int bad = 0;

	EXPECT(d->allow == tc->allow, "allow %d, expected %d\n", d->allow, tc->allow);
	EXPECT(d->reason == tc->reason, "reason %s, expected %s\n", policy_reason_name(d->reason),
	       policy_reason_name(tc->reason));
	EXPECT(d->basis == tc->basis, "basis %s, expected %s\n", policy_basis_name(d->basis),
	       policy_basis_name(tc->basis));
	EXPECT(d->nfields == nf, "%zu fields, expected %zu\n", d->nfields, nf);
	for (i = 0; i < nf && i < d->nfields; i++) {
		policy_field want;

		set_field(&want, tc->fields[i]);
		EXPECT(strcmp(d->fields[i].name, want.name) == 0 && d->fields[i].masked == want.masked,
		       "field %zu is %s%s, expected %s\n", i, d->fields[i].masked ? "~" : "",
		       d->fields[i].name, tc->fields[i]);
	}
	EXPECT(d->nfields > POLICY_MAX_FIELDS ||
	       all_zero(&d->fields[d->nfields], (POLICY_MAX_FIELDS - d->nfields) * sizeof d->fields[0]),
	       "unused field slots are not zero\n");
	EXPECT(d->nwithheld == nw, "%zu withheld, expected %zu\n", d->nwithheld, nw);
	for (i = 0; i < nw && i < d->nwithheld; i++)
		EXPECT(strcmp(d->withheld[i], tc->withheld[i]) == 0, "withheld %zu is %s, expected %s\n", i,
		       d->withheld[i], tc->withheld[i]);
	EXPECT(d->nwithheld > POLICY_MAX_FIELDS ||
	       all_zero(d->withheld[d->nwithheld], (POLICY_MAX_FIELDS - d->nwithheld) * sizeof d->withheld[0]),
	       "unused withheld slots are not zero\n");
	EXPECT(strcmp(d->consent_id, cid) == 0, "consent_id \"%s\", expected \"%s\"\n", d->consent_id, cid);
	EXPECT(d->needs_review == tc->needs_review, "needs_review %d, expected %d\n", d->needs_review,
	       tc->needs_review);
	EXPECT(d->consumes_use == tc->consumes_use, "consumes_use %d, expected %d\n", d->consumes_use,
	       tc->consumes_use);
	return bad;
}

/* Decides into a decision full of stale bytes, so that a member left unset shows. */
static int run(const decide_case *tc, const char *variant, const policy_input *in)
{
	policy_decision d;

	memset(&d, 0xa5, sizeof d);
	policy_decide(in, &d);
	return compare(tc, variant, &d);
}

/*
 * Each row as given; with its consents in reverse order (the decision must not depend on it);
 * and, when it requests nothing, with a non-NULL empty list as well as NULL.
 */
static void test_decision_table(void **state)
{
	size_t i, j;
	int bad = 0;

	(void)state;
	assert_true(sizeof cases / sizeof cases[0] >= 40);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const decide_case *tc = &cases[i];
		built b;

		build(tc, &b);
		bad += run(tc, "", &b.in);
		if (b.in.nconsents > 1) {
			policy_consent rev[MAXC];

			for (j = 0; j < b.in.nconsents; j++)
				rev[j] = b.consents[b.in.nconsents - 1 - j];
			b.in.consents = rev;
			bad += run(tc, " (consents reversed)", &b.in);
			b.in.consents = b.consents;
		}
		if (b.nrequested == 0) {
			b.in.requested = b.requested;
			bad += run(tc, " (requested non-NULL, none)", &b.in);
		}
	}
	assert_int_equal(bad, 0);
}

/* The use limit over two lookups: the caller counts the first one, the second is refused. */
static void test_one_time_consent_over_two_lookups(void **state)
{
	static const decide_case tc = {.name = "one-time", .roles = CONS, .purpose = P_CONSENT,
		.consents = {C("c-1", ONCE_UNUSED, 1, F_SUBSET)}};
	built b;
	policy_decision d;

	(void)state;
	build(&tc, &b);
	policy_decide(&b.in, &d);
	assert_true(d.allow);
	assert_true(d.consumes_use);
	b.consents[0].uses++;
	policy_decide(&b.in, &d);
	assert_false(d.allow);
	assert_int_equal(d.reason, POLICY_DENY_USE_LIMIT_REACHED);
	assert_string_equal(d.consent_id, "c-1");
	assert_false(d.consumes_use);
}

/* ---- inputs the types allow but nobody should send ---- */

/* What every decision must satisfy, whatever the input. */
static void assert_sane(const policy_decision *d)
{
	size_t i;

	assert_true((size_t)d->reason < POLICY_REASON_COUNT);
	assert_int_not_equal(d->reason, POLICY_DENY_FIELD_UNKNOWN);
	assert_int_equal(d->allow, d->reason == POLICY_OK);
	assert_true(d->allow ? d->nfields > 0 : d->nfields == 0);
	assert_true(d->nfields <= POLICY_MAX_FIELDS);
	assert_true(d->nwithheld <= POLICY_MAX_FIELDS);
	for (i = 0; i < d->nfields; i++) {
		size_t n = strnlen(d->fields[i].name, sizeof d->fields[i].name);

		assert_true(n > 0 && n < sizeof d->fields[i].name);
		assert_true(d->fields[i].masked == 0 || d->fields[i].masked == 1);
	}
	for (i = 0; i < d->nwithheld; i++)
		assert_true(strnlen(d->withheld[i], sizeof d->withheld[i]) < sizeof d->withheld[i]);
	assert_true(strnlen(d->consent_id, sizeof d->consent_id) < sizeof d->consent_id);
	assert_true(!d->needs_review || (d->allow && d->basis == B_VITAL));
	assert_true(!d->consumes_use || (d->allow && d->basis == B_CONSENT));
}

static policy_decision decide(const policy_input *in)
{
	policy_decision d;

	memset(&d, 0x5a, sizeof d);
	policy_decide(in, &d);
	assert_sane(&d);
	return d;
}

static void test_decide_null_and_zeroed_inputs(void **state)
{
	static const decide_case legal = {.name = "legal", .roles = CONS, .purpose = P_LEGAL};
	static const char *const nulls[] = {NULL, NULL};
	policy_agency zagency;
	policy_purpose zpurpose;
	policy_input in;
	policy_decision d;
	built b;

	(void)state;
	memset(&in, 0, sizeof in);
	d = decide(&in);
	assert_int_equal(d.reason, POLICY_DENY_UNKNOWN_CITIZEN);
	in.citizen_exists = 1;
	d = decide(&in);
	assert_int_equal(d.reason, POLICY_DENY_UNKNOWN_PURPOSE);
	assert_int_equal(d.basis, 0);

	/* zeroed structures: basis 0 is no basis; empty ids never match one another */
	memset(&zagency, 0, sizeof zagency);
	memset(&zpurpose, 0, sizeof zpurpose);
	in.agency = &zagency;
	in.purpose = &zpurpose;
	d = decide(&in);
	assert_int_equal(d.reason, POLICY_DENY_UNKNOWN_PURPOSE);
	zpurpose.basis = B_LEGAL;
	zagency.roles = CONS;
	d = decide(&in);
	assert_int_equal(d.reason, POLICY_DENY_PURPOSE_NOT_AGENCYS);
	assert_int_equal(d.basis, B_LEGAL);

	/* a NULL agency has no id and no role */
	build(&legal, &b);
	b.in.agency = NULL;
	d = decide(&b.in);
	assert_int_equal(d.reason, POLICY_DENY_PURPOSE_NOT_AGENCYS);

	/* requested NULL with a count means nothing requested; NULL names are skipped */
	build(&legal, &b);
	b.in.nrequested = 5;
	d = decide(&b.in);
	assert_true(d.allow);
	assert_int_equal(d.nfields, 3);
	b.in.requested = nulls;
	b.in.nrequested = 2;
	d = decide(&b.in);
	assert_int_equal(d.reason, POLICY_DENY_NO_FIELD_GRANTED);
	assert_int_equal(d.nwithheld, 0);

	/* consents NULL with a count is no consent */
	b.purpose.basis = B_CONSENT;
	b.in.requested = NULL;
	b.in.nconsents = 3;
	d = decide(&b.in);
	assert_int_equal(d.reason, POLICY_DENY_NO_CONSENT);

	/* out-of-range basis values */
	b.purpose.basis = (policy_basis)99;
	d = decide(&b.in);
	assert_int_equal(d.reason, POLICY_DENY_UNKNOWN_PURPOSE);
	b.purpose.basis = (policy_basis)-1;
	d = decide(&b.in);
	assert_int_equal(d.reason, POLICY_DENY_UNKNOWN_PURPOSE);
}

/* Full field arrays, more distinct names than fit the withheld list, long and empty names. */
static void test_decide_at_the_limits(void **state)
{
	static const decide_case tc = {.name = "limits", .roles = CONS, .purpose = P_CONSENT,
		.consents = {C("c-1", ACTIVE, 1, {"full_name"})}};
	char names[150][48];
	const char *req[300];
	policy_decision d;
	size_t i;
	built b;

	(void)state;
	build(&tc, &b);
	b.purpose.nfields = b.consents[0].nfields = POLICY_MAX_FIELDS;
	for (i = 0; i < POLICY_MAX_FIELDS; i++) {
		snprintf(b.purpose.fields[i].name, sizeof b.purpose.fields[i].name, "f%02zu", i);
		b.consents[0].fields[i] = b.purpose.fields[i];
		b.consents[0].fields[i].masked = i % 2;
	}
	d = decide(&b.in);
	assert_int_equal(d.nfields, POLICY_MAX_FIELDS);
	assert_int_equal(d.fields[1].masked, 1);
	assert_string_equal(d.fields[63].name, "f63");

	/* 150 distinct names, each twice: the 64 fields are released, 64 withheld listed */
	for (i = 0; i < 150; i++) {
		snprintf(names[i], sizeof names[i], i < 140 ? "x%03zu" : "a_name_far_longer_than_32_bytes_%03zu", i);
		req[2 * i] = req[2 * i + 1] = i < POLICY_MAX_FIELDS ? b.purpose.fields[i].name : names[i];
	}
	b.in.requested = req;
	b.in.nrequested = 300;
	d = decide(&b.in);
	assert_int_equal(d.nfields, POLICY_MAX_FIELDS);
	assert_int_equal(d.nwithheld, POLICY_MAX_FIELDS);
	assert_string_equal(d.withheld[0], "x064");

	/* a long requested name is withheld truncated to a field name's length */
	req[0] = names[145];
	req[1] = "";
	b.in.nrequested = 2;
	d = decide(&b.in);
	assert_int_equal(d.reason, POLICY_DENY_NO_FIELD_GRANTED);
	assert_int_equal(d.nwithheld, 2);
	assert_int_equal(strlen(d.withheld[0]), POLICY_FIELD_MAX);
	assert_memory_equal(d.withheld[0], names[145], POLICY_FIELD_MAX);
	assert_string_equal(d.withheld[1], "");

	/* a name listed twice in the purpose is released once */
	b.in.requested = NULL;
	b.purpose.fields[1] = b.purpose.fields[0];
	d = decide(&b.in);
	assert_int_equal(d.nfields, POLICY_MAX_FIELDS - 1);
	assert_string_equal(d.fields[1].name, "f02");

	/* an unterminated name or id fills its array: it never matches */
	memset(b.purpose.fields[0].name, 'x', sizeof b.purpose.fields[0].name);
	b.consents[0].fields[1] = b.purpose.fields[0]; /* f01 is no longer in the purpose */
	d = decide(&b.in);
	assert_int_equal(d.nfields, POLICY_MAX_FIELDS - 1);
	assert_string_equal(d.fields[0].name, "f00");
	assert_string_equal(d.fields[1].name, "f02");
	memset(b.consents[0].id, 'c', sizeof b.consents[0].id);
	d = decide(&b.in);
	assert_int_equal(d.reason, POLICY_DENY_NO_CONSENT);
	memset(b.agency.id, 'a', sizeof b.agency.id);
	memset(b.purpose.agency_id, 'a', sizeof b.purpose.agency_id);
	d = decide(&b.in);
	assert_int_equal(d.reason, POLICY_DENY_PURPOSE_NOT_AGENCYS);
}

/* A small deterministic generator, so that a failure reproduces. */
static uint64_t next(uint64_t *s)
{
	*s = *s * 6364136223846793005u + 1442695040888963407u;
	return *s >> 33;
}

/*
 * Unterminated ids and names, absurd counts, extreme times, garbage enums: first everything
 * filled with one byte, then many runs of random bytes flipped in a valid input.
 */
static void test_decide_survives_garbage(void **state)
{
	static const decide_case tc = {.name = "garbage", .roles = CONS | EMRG, .purpose = P_CONSENT,
		.consents = {C("c-1", ACTIVE, 3, F_ALL), C("c-2", ONCE_UNUSED, 1, F_SUBSET),
			C("c-3", REVOKED, 0, F_MASKED)},
		.justification = JUST};
	static const char *const pool[] = {"full_name", "address", "health_status", "", NULL,
		"a_name_far_longer_than_any_field_name_can_be", "national_id", "income"};
	static const int64_t times[] = {INT64_MIN, -1, 0, 1, NOW, INT64_MAX};
	static const unsigned char fills[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
	const char *req[MAXL];
	uint64_t seed = 42;
	size_t i, k;
	built b;

	(void)state;
	for (i = 0; i < sizeof fills; i++) {
		build(&tc, &b);
		memset(&b.agency, fills[i], sizeof b.agency);
		memset(&b.purpose, fills[i], sizeof b.purpose);
		memset(b.consents, fills[i], sizeof b.consents);
		b.agency.suspended = 0;
		b.purpose.basis = B_CONSENT;
		(void)decide(&b.in);
		b.purpose.basis = B_LEGAL;
		(void)decide(&b.in);
	}
	for (i = 0; i < 20000; i++) {
		build(&tc, &b);
		b.purpose.basis = (policy_basis)(1 + next(&seed) % 3);
		for (k = next(&seed) % 16; k > 0; k--) {
			const struct {
				unsigned char *p;
				size_t n;
			} part[] = {{(unsigned char *)&b.agency, sizeof b.agency},
				{(unsigned char *)&b.purpose, sizeof b.purpose},
				{(unsigned char *)b.consents, sizeof b.consents}};
			size_t which = next(&seed) % 3;

			part[which].p[next(&seed) % part[which].n] = (unsigned char)next(&seed);
		}
		for (k = 0; k < MAXL; k++)
			req[k] = pool[next(&seed) % (sizeof pool / sizeof pool[0])];
		b.in.requested = next(&seed) % 4 ? req : NULL;
		b.in.nrequested = next(&seed) % (MAXL + 1);
		b.in.nconsents = next(&seed) % (MAXC + 1);
		b.in.now = next(&seed) % 4 ? NOW : times[next(&seed) % (sizeof times / sizeof times[0])];
		b.in.citizen_restricted = next(&seed) % 8 == 0;
		b.in.justification = next(&seed) % 4 ? JUST : NULL;
		(void)decide(&b.in);
	}
}

/* ---- the names written to the audit log ---- */

static void test_reason_and_basis_names(void **state)
{
	static const char *const reasons[POLICY_REASON_COUNT] = {"ok", "unknown_citizen", "agency_suspended",
		"role_missing", "unknown_purpose", "purpose_not_agencys", "no_consent", "consent_revoked",
		"consent_expired", "use_limit_reached", "processing_restricted", "no_field_granted",
		"justification_missing", "field_unknown"};
	static const char *const bases[] = {"consent", "legal_obligation", "vital_interest"};
	size_t i;

	(void)state;
	for (i = 0; i < POLICY_REASON_COUNT; i++)
		assert_string_equal(policy_reason_name((policy_reason)i), reasons[i]);
	assert_string_equal(policy_reason_name(POLICY_REASON_COUNT), "unknown");
	assert_string_equal(policy_reason_name((policy_reason)-1), "unknown");
	for (i = 0; i < 3; i++) {
		assert_string_equal(policy_basis_name((policy_basis)(B_CONSENT + i)), bases[i]);
		assert_int_equal(policy_basis_parse(bases[i]), B_CONSENT + i);
	}
	assert_string_equal(policy_basis_name((policy_basis)0), "unknown");
	assert_string_equal(policy_basis_name((policy_basis)4), "unknown");
	assert_string_equal(policy_basis_name((policy_basis)-1), "unknown");
	assert_int_equal(policy_basis_parse(NULL), 0);
	assert_int_equal(policy_basis_parse(""), 0);
	assert_int_equal(policy_basis_parse("unknown"), 0);
	assert_int_equal(policy_basis_parse("Consent"), 0);
	assert_int_equal(policy_basis_parse("consent "), 0);
	assert_int_equal(policy_basis_parse("vital"), 0);
}

/* What counts as a visible character in a justification: the empty ones, then the ones that show. */
static void test_justification_needs_a_visible_character(void **state)
{
	static const char *const empty[] = {
		"", " ", "\t\n\r\v\f", "\xc2\xa0",             /* NBSP */
		"\xe2\x80\x8b",                                    /* U+200B zero-width space */
		"\xe3\x80\x80",                                    /* U+3000 ideographic space */
		"\xe2\x80\x8b\xe3\x80\x80\xc2\xa0 \t",           /* all of them */
		"\xe1\x9a\x80\xe2\x80\x80\xe2\x80\x8a\xe2\x80\xaf\xe2\x81\x9f", /* other Zs */
		"\xe2\x80\xa8\xe2\x80\xa9",                       /* line and paragraph separators */
		"\xc2\xad\xe2\x80\x8c\xe2\x80\x8d\xe2\x80\x8e\xe2\x80\xae\xe2\x81\xa0\xe2\x81\xa6\xef\xbb\xbf", /* Cf */
		"\xe1\xa0\x8e",                                    /* U+180E Mongolian vowel separator */
		"\xf3\xa0\x80\xa0\xf3\xa0\x81\xbf",               /* tags U+E0020, U+E007F */
		"\xe3\x85\xa4\xef\xbe\xa0\xe1\x85\x9f",           /* Hangul fillers */
		"\xe2\xa0\x80",                                    /* U+2800 blank braille pattern */
		"\xc2\x85\x7f\x01",                                /* NEL, DEL, a control */
		"\xff\xfe\xc3",                                    /* not UTF-8 */
		"\xff\xfeok", "ok\xc3",                            /* not UTF-8 around visible text */
		"\xee\x80\x80\xf3\xb0\x80\x80\xf4\x8f\xbf\xbd",   /* private use: U+E000, U+F0000, U+10FFFD */
		"\xcc\x81\xcc\x83\xe2\x83\x9d",                 /* lone combining marks U+0301, U+0303, U+20DD */
		"a\x1b[2J", "a\nb", "a\tb", "a\xc2\x9b",            /* a control beside visible text */
		"a\xe2\x80\xae" "b", "a\xe2\x81\xa6" "b",                /* a bidi override U+202E, an isolate U+2066 */
		"a\xef\xbf\xbe", "a\xef\xb7\x90", "a\xf0\x9f\xbf\xbf", /* noncharacters U+FFFE, U+FDD0, U+1FFFF */
	};
	static const char *const shown[] = {
		"x", "  x  ", "\xe2\x80\x8bx", "x\xe3\x80\x80", "\xe1\xbb\x85", /* ễ */
		"\xe3\x80\x82",                                    /* U+3002 ideographic full stop */
		"\xe2\xa0\x81",                                    /* U+2801 braille dot 1 */
		"\xf0\x9f\x9a\x91",                                /* U+1F691 ambulance */
		"e\xcc\x81",                                      /* e and a combining acute */
		"C\xe1\xba\xa5p c\xe1\xbb\xa9u",               /* Cấp cứu */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof empty / sizeof empty[0]; i++)
		if (policy_text_visible(empty[i], strlen(empty[i])))
			fail_msg("empty case %zu counts as visible", i);
	for (i = 0; i < sizeof shown / sizeof shown[0]; i++)
		if (!policy_text_visible(shown[i], strlen(shown[i])))
			fail_msg("visible case %zu counts as empty", i);
	assert_true(policy_basis_takes_justification(POLICY_BASIS_VITAL_INTEREST));
	assert_true(policy_basis_takes_justification(POLICY_BASIS_LEGAL_OBLIGATION));
	assert_false(policy_basis_takes_justification(POLICY_BASIS_CONSENT));
	assert_false(policy_basis_takes_justification((policy_basis)0));
}

/*
 * A consent's state and its request's status as a table: each rule at its edge (the second a
 * consent expires, the use that spends it), and which end wins when several hold.
 */
static void test_consent_state_and_request_status(void **state)
{
	static const struct {
		const char *name;
		policy_consent_life c;
		int restricted;
		const char *state, *request; /* request: what an approved request reads */
	} rows[] = {
		{"in force", {NOW + DAY, 0, 0, 0}, 0, "active", "approved"},
		{"in force, restricted", {NOW + DAY, 0, 0, 0}, 1, "restricted", "approved"},
		{"one second before its end", {NOW + 1, 0, 0, 0}, 0, "active", "approved"},
		{"at its end", {NOW, 0, 0, 0}, 0, "expired", "expired"},
		{"expired, restricted", {NOW - DAY, 0, 0, 0}, 1, "expired", "expired"},
		{"two of three uses", {NOW + DAY, 0, 3, 2}, 0, "active", "approved"},
		{"three of three uses", {NOW + DAY, 0, 3, 3}, 0, "used_up", "used_up"},
		{"used up, restricted", {NOW + DAY, 0, 1, 1}, 1, "used_up", "used_up"},
		{"no limit, many uses", {NOW + DAY, 0, 0, 1000}, 0, "active", "approved"},
		{"used up and expired", {NOW - 1, 0, 1, 1}, 0, "expired", "expired"},
		{"revoked", {NOW + DAY, NOW - 5, 0, 0}, 0, "revoked", "revoked"},
		{"revoked after it expired and was used up", {NOW - DAY, NOW, 1, 1}, 1, "revoked", "revoked"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const char *st = policy_consent_state_name(policy_consent_state_of(&rows[i].c, rows[i].restricted, NOW));

		if (strcmp(st, rows[i].state) != 0)
			fail_msg("%s: state %s, want %s", rows[i].name, st, rows[i].state);
		st = policy_request_status_of("approved", NOW - DAY, &rows[i].c, NOW);
		if (strcmp(st, rows[i].request) != 0)
			fail_msg("%s: an approved request reads %s, want %s", rows[i].name, st, rows[i].request);
	}
	/* the request's own time counts only while it is pending; other statuses read as stored */
	assert_string_equal(policy_request_status_of("pending", NOW + 1, NULL, NOW), "pending");
	assert_string_equal(policy_request_status_of("pending", NOW, NULL, NOW), "expired");
	assert_string_equal(policy_request_status_of("approved", NOW - DAY, NULL, NOW), "approved");
	assert_string_equal(policy_request_status_of("denied", NOW - DAY, &rows[0].c, NOW), "denied");
	assert_string_equal(policy_request_status_of("expired", NOW + DAY, NULL, NOW), "expired");
	assert_string_equal(policy_request_status_of("revoked", NOW + DAY, NULL, NOW), "revoked");
	assert_string_equal(policy_consent_state_name(POLICY_CONSENT_ACTIVE), "active");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decision_table),
		cmocka_unit_test(test_one_time_consent_over_two_lookups),
		cmocka_unit_test(test_decide_null_and_zeroed_inputs),
		cmocka_unit_test(test_decide_at_the_limits),
		cmocka_unit_test(test_decide_survives_garbage),
		cmocka_unit_test(test_reason_and_basis_names),
		cmocka_unit_test(test_justification_needs_a_visible_character),
		cmocka_unit_test(test_consent_state_and_request_status),
	};

	return cmocka_run_group_tests_name("decision", tests, NULL, NULL);
}
