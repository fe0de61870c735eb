/* store.c: the registry, requests, consents and restrictions: checks, transactions, receipts and audit entries. */
#include "policy_private.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"

/* How a citizen withdraws, as a receipt says it: the portal's own words first (its "My consents"
 * page and its button), then the API, then a person. */
#define RECEIPT_HOW                                                                                         \
	"Cổng vaultd: Đồng ý của tôi > Rút lại đồng ý (the vaultd portal: My consents > Withdraw consent);" \
	" or DELETE /v1/me/consents/{consent_id}; or ask the vault's operator"

/* ---- small helpers ---- */

/*
 * An id is its prefix, the second it was made in (8 hex digits) and 64 random bits. The time
 * first makes a table's new rows land together at the right edge of its primary key's B-tree,
 * the pages a writer already holds, where random ids touched a different leaf with each
 * insert. The random part alone keeps ids unguessable; the second is no secret, since the row
 * carries its own time.
 */
static void new_id(const char *prefix, int64_t now, char id[POLICY_ID_MAX + 1])
{
	unsigned char r[8];
	char hex[17];

	randombytes_buf(r, sizeof r);
	util_hex_encode(hex, r, sizeof r);
	snprintf(id, POLICY_ID_MAX + 1, "%s_%08" PRIx32 "%s", prefix, (uint32_t)now, hex);
}

static int id_ok(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n == 0 || n > POLICY_ID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static int text_ok(const char *s, size_t max)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			return 0;
	return 1;
}

/* Field lists are stored as JSON: [{"name": "phone", "masked": false}, ...]. */
static char *fields_json(const policy_field *f, size_t n)
{
	json_t *a = json_array();
	char *s;
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:b}", "name", f[i].name, "masked", f[i].masked));
	s = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return s;
}

/*
 * Exactly what fields_json writes: [{"name":"x","masked":false},...], with no escape in a name
 * (a name without one is its value as it stands, which is what jansson would read). A lookup
 * reads two such lists (its purpose's, its consent's), and jansson was 5% of vaultd's CPU
 * under lookups; anything else (-1 here) goes to the general parser.
 */
static int fields_parse_stored(const char *s, policy_field *f, size_t *n)
{
	util_json j;
	util_json_str name;
	size_t k = 0;
	int masked;

	util_json_init(&j, s, strlen(s), 0);
	if (!util_json_take(&j, '['))
		return -1;
	if (!util_json_take(&j, ']')) {
		do {
			if (k == POLICY_MAX_FIELDS || !util_json_take(&j, '{') || !util_json_key_is(&j, "name") ||
			    !util_json_string(&j, &name) || name.escaped || name.n > POLICY_FIELD_MAX ||
			    !util_json_take(&j, ',') || !util_json_key_is(&j, "masked") || !util_json_bool(&j, &masked) ||
			    !util_json_take(&j, '}'))
				return -1;
			memcpy(f[k].name, name.s, name.n);
			f[k].name[name.n] = '\0';
			f[k++].masked = masked;
		} while (util_json_take(&j, ','));
		if (!util_json_take(&j, ']'))
			return -1;
	}
	if (!util_json_end(&j))
		return -1;
	*n = k;
	return 0;
}

int policy_fields_parse(const char *s, policy_field *f, size_t *n)
{
	json_t *a, *e;
	size_t i;

	*n = 0;
	if (s != NULL && fields_parse_stored(s, f, n) == 0)
		return 0;
	a = json_loads(s ? s : "", 0, NULL);
	if (!json_is_array(a) || json_array_size(a) > POLICY_MAX_FIELDS) {
		json_decref(a);
		return -1;
	}
	json_array_foreach(a, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));

		if (name == NULL || strlen(name) > POLICY_FIELD_MAX) {
			json_decref(a);
			return -1;
		}
		strcpy(f[i].name, name);
		f[i].masked = json_is_true(json_object_get(e, "masked"));
	}
	*n = json_array_size(a);
	json_decref(a);
	return 0;
}

static int field_index(const policy_field *f, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Writes one audit entry in v's open transaction (or its own). */
static int audit(vault *v, const char *actor, const char *action, const unsigned char *cid, const char *agency,
    const char *purpose, const policy_field *f, size_t nf, const char *consent, const char *note, util_err *err)
{
	const char *names[POLICY_MAX_FIELDS];
	audit_entry e = {.actor = actor, .action = action, .cid = cid, .agency_id = agency, .purpose_id = purpose,
		.consent_id = consent, .note = note};
	size_t i;

	for (i = 0; i < nf && i < POLICY_MAX_FIELDS; i++)
		names[i] = f[i].name;
	e.fields = names;
	e.nfields = nf;
	return audit_record(v, &e, NULL, err);
}

/* ---- agencies ---- */

int policy_agency_create(vault *v, const char *name, unsigned roles, char id[POLICY_ID_MAX + 1], util_err *err)
{
	int mine, ok;

	if (!text_ok(name, POLICY_NAME_MAX))
		return util_fail(err, UTIL_EINVAL, "name must be 1..%u printable bytes", POLICY_NAME_MAX);
	if (roles == 0 || (roles & ~7u) != 0)
		return util_fail(err, UTIL_EINVAL, "roles must be some of registrar, consumer, emergency");
	new_id("ag", util_now(), id);
	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	ok = policy_store_agency_put(v, id, name, roles, err) == 0 &&
	     audit(v, "operator", "agency.create", NULL, id, NULL, NULL, 0, NULL, NULL, err) == 0;
	return vault_tx_end(v, mine, ok, err);
}

int policy_agency_get(vault *v, const char *id, policy_agency *a, char name[POLICY_NAME_MAX + 1], util_err *err)
{
	if (!id_ok(id))
		return util_fail(err, UTIL_ENOTFOUND, "no such agency");
	return policy_store_agency_get(v, id, a, name, err);
}

int policy_agency_suspend(vault *v, const char *id, util_err *err)
{
	int mine, ok;

	if (!id_ok(id))
		return util_fail(err, UTIL_ENOTFOUND, "no such agency");
	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	ok = policy_store_agency_suspend(v, id, err) == 0 &&
	     audit(v, "operator", "agency.suspend", NULL, id, NULL, NULL, 0, NULL, NULL, err) == 0;
	return vault_tx_end(v, mine, ok, err);
}

/* ---- purposes ---- */

static int code_ok(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n == 0 || n > POLICY_CODE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.' ||
		        s[i] == '-'))
			return 0;
	return 1;
}

int policy_purpose_create(vault *v, const policy_purpose_def *d, char id[POLICY_ID_MAX + 1], util_err *err)
{
	const vault_catalog *cat = vault_catalog_of(v);
	policy_agency a;
	char *fj = NULL;
	size_t i;
	int mine = 0, ok = 0;

	if (!code_ok(d->code))
		return util_fail(err, UTIL_EINVAL, "code must be 1..64 of [a-z0-9_.-]");
	if (!text_ok(d->desc_vi, POLICY_DESC_MAX) || !text_ok(d->desc_en, POLICY_DESC_MAX))
		return util_fail(err, UTIL_EINVAL, "description needs vi and en, 1..%u bytes each", POLICY_DESC_MAX);
	if (d->basis < POLICY_BASIS_CONSENT || d->basis > POLICY_BASIS_VITAL_INTEREST)
		return util_fail(err, UTIL_EINVAL, "legal_basis must be consent, legal_obligation or vital_interest");
	if (d->basis == POLICY_BASIS_LEGAL_OBLIGATION && !text_ok(d->legal_reference, POLICY_DESC_MAX))
		return util_fail(err, UTIL_EINVAL, "legal_obligation needs the legal_reference it cites");
	if (d->legal_reference != NULL && !text_ok(d->legal_reference, POLICY_DESC_MAX))
		return util_fail(err, UTIL_EINVAL, "legal_reference must be 1..%u bytes", POLICY_DESC_MAX);
	if (d->nfields == 0 || d->nfields > POLICY_MAX_FIELDS)
		return util_fail(err, UTIL_EINVAL, "fields must list 1..%u catalog fields", POLICY_MAX_FIELDS);
	for (i = 0; i < d->nfields; i++) {
		const vault_field_def *f = vault_catalog_find(cat, d->fields[i].name, strlen(d->fields[i].name));

		if (f == NULL)
			return util_fail(err, UTIL_EINVAL, "unknown field %.32s", d->fields[i].name);
		if (d->fields[i].masked && strcmp(f->mask, "none") == 0)
			return util_fail(err, UTIL_EINVAL, "field %s has no masked view", f->name);
		if (field_index(d->fields, i, d->fields[i].name) >= 0)
			return util_fail(err, UTIL_EINVAL, "field %s is listed twice", f->name);
	}
	if (d->max_days < 1 || d->max_days > 3650 || d->retention_days < 0 || d->retention_days > 36500)
		return util_fail(err, UTIL_EINVAL, "max_days must be 1..3650 and retention_days 0..36500");
	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	if (policy_agency_get(v, d->agency_id, &a, NULL, err) != 0)
		goto out;
	if ((fj = fields_json(d->fields, d->nfields)) == NULL) {
		util_fail(err, UTIL_ENOMEM, "out of memory");
		goto out;
	}
	new_id("pu", util_now(), id);
	if (policy_store_purpose_put(v, id, d, fj, err) != 0)
		goto out;
	ok = audit(v, "operator", "purpose.create", NULL, d->agency_id, id, d->fields, d->nfields, NULL,
	         policy_basis_name(d->basis), err) == 0;
out:
	vault_json_free(fj);
	return vault_tx_end(v, mine, ok, err);
}

int policy_purpose_get(vault *v, const char *agency_id, const char *code, const char *id, policy_purpose *p,
    util_err *err)
{
	if (code != NULL ? !code_ok(code) || !id_ok(agency_id) : !id_ok(id))
		return util_fail(err, UTIL_ENOTFOUND, "no such purpose");
	return policy_store_purpose_get(v, agency_id, code, id, p, err);
}

int policy_purpose_info_get(vault *v, const char *id, policy_purpose_info *pi, util_err *err)
{
	return policy_store_purpose_info(v, id, pi, err);
}

/* ---- consent requests ---- */

int policy_request_create(vault *v, const char *agency_id, const char *code, const char *nid,
    const char *const *fields, size_t n, int days, char id[POLICY_ID_MAX + 1], util_err *err)
{
	policy_agency a;
	policy_purpose p;
	policy_field chosen[POLICY_MAX_FIELDS];
	unsigned char cid[KEYS_CID_BYTES], subject[POLICY_SUBJECT_BYTES];
	policy_purpose_info pi;
	size_t i, nc = 0;
	int64_t now = util_now();
	char *fj = NULL, actor[POLICY_ID_MAX + 8];
	int mine = 0, ok = 0, found;

	if (nid == NULL || vault_nid_check(nid, strlen(nid), err) != 0)
		return -1;
	if (n > POLICY_MAX_FIELDS)
		return util_fail(err, UTIL_EINVAL, "too many fields");
	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	if (policy_agency_get(v, agency_id, &a, NULL, err) != 0)
		goto out;
	if (a.suspended || !(a.roles & POLICY_ROLE_CONSUMER)) {
		util_fail(err, UTIL_EDENIED, "this agency may not ask for consent");
		goto out;
	}
	if (policy_purpose_get(v, agency_id, code, NULL, &p, err) != 0 || policy_purpose_info_get(v, p.id, &pi, err) != 0)
		goto out;
	if (p.basis != POLICY_BASIS_CONSENT) {
		util_fail(err, UTIL_EINVAL, "this purpose's legal basis needs no consent");
		goto out;
	}
	if (days < 1 || days > pi.max_days) {
		util_fail(err, UTIL_EINVAL, "days must be 1..%d for this purpose", pi.max_days);
		goto out;
	}
	for (i = 0; i < n; i++) {
		int k = fields[i] ? field_index(p.fields, p.nfields, fields[i]) : -1;

		if (k < 0) {
			util_fail(err, UTIL_EINVAL, "field %.32s is not among the purpose's fields", fields[i] ? fields[i] : "");
			goto out;
		}
		if (field_index(chosen, nc, fields[i]) < 0)
			chosen[nc++] = p.fields[k];
	}
	if (n == 0) {
		memcpy(chosen, p.fields, p.nfields * sizeof *chosen);
		nc = p.nfields;
	}
	if ((fj = fields_json(chosen, nc)) == NULL) {
		util_fail(err, UTIL_ENOMEM, "out of memory");
		goto out;
	}
	found = vault_citizen_find(v, nid, cid, NULL) == 0;
	if (policy_request_subject(v, agency_id, nid, subject, err) != 0 || policy_pending_cap(v, agency_id, subject, now, err) != 0)
		goto out;
	new_id("cr", now, id);
	snprintf(actor, sizeof actor, "agency:%s", agency_id);
	ok = policy_store_request_put(v, id, agency_id, p.id, found ? cid : NULL, fj, days, now, err) == 0 &&
	     policy_subject_put(v, id, agency_id, subject, now + POLICY_REQUEST_TTL, err) == 0 &&
	     audit(v, actor, "consent.request", found ? cid : NULL, agency_id, p.id, chosen, nc, NULL,
	         found ? NULL : "unknown_citizen", err) == 0;
out:
	vault_json_free(fj);
	return vault_tx_end(v, mine, ok, err);
}

int policy_request_status(vault *v, const char *agency_id, const char *id, char status[16], util_err *err)
{
	char stored[16];
	policy_consent_life c;
	int64_t expires_at;
	int has_consent;

	if (!id_ok(id) || !id_ok(agency_id))
		return util_fail(err, UTIL_ENOTFOUND, "no such request");
	if (policy_store_request_status(v, agency_id, id, stored, &expires_at, &c, &has_consent, err) != 0)
		return -1;
	snprintf(status, 16, "%s", policy_request_status_of(stored, expires_at, has_consent ? &c : NULL, util_now()));
	return 0;
}

/* Loads the citizen's pending request id: agency, purpose, fields, days. */
static int load_request(vault *v, const unsigned char *cid, const char *id, char agency[POLICY_ID_MAX + 1],
    char purpose[POLICY_ID_MAX + 1], policy_field *f, size_t *nf, int *days, util_err *err)
{
	if (!id_ok(id))
		return util_fail(err, UTIL_ENOTFOUND, "no such pending request");
	return policy_store_request_load(v, cid, id, agency, purpose, f, nf, days, err);
}

static int set_request_status(vault *v, const char *id, const char *status, util_err *err)
{
	return policy_store_request_decide(v, id, status, err) == 0 ? policy_subject_drop(v, id, err) : -1;
}

/*
 * Builds and signs the receipt of a consent (ISO/IEC 27560 and Kantara consent receipt fields).
 * Version 2 names the citizen by the agency's pseudonym; version 1 had the vault's internal id.
 */
static json_t *receipt_build(vault *v, const unsigned char *cid, const char *consent_id, const char *agency_id,
    const char *purpose_id, const policy_field *f, size_t nf, int64_t granted, int64_t expires, int64_t use_limit,
    util_err *err)
{
	char name[POLICY_NAME_MAX + 1], g[21], e[21], rid[POLICY_ID_MAX + 1], pseudonym[33];
	char sigb64[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];
	unsigned char sig[64];
	policy_agency a;
	policy_purpose p;
	policy_purpose_info pi;
	json_t *r, *out = NULL;
	char *canon = NULL;

	if (policy_agency_get(v, agency_id, &a, name, err) != 0 || policy_purpose_get(v, NULL, NULL, purpose_id, &p, err) != 0 ||
	    policy_purpose_info_get(v, purpose_id, &pi, err) != 0)
		return NULL;
	util_iso8601(granted, g);
	util_iso8601(expires, e);
	policy_pseudonym(v, agency_id, cid, pseudonym); /* the agency's id for the citizen: no join key across agencies */
	new_id("rc", granted, rid);
	r = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:{s:s, s:s}}, s:s, s:o, s:s, s:s,"
	              " s:I, s:{s:s, s:s}, s:s, s:[s, s]}",
	    "version", "vaultd-consent-receipt/2", "receipt_id", rid, "vault_id", vault_id(v), "consent_id", consent_id,
	    "citizen_id", pseudonym, "issued_at", g, "agency", "id", agency_id, "name", name, "purpose", "id", purpose_id, "code",
	    pi.code, "description", "vi", pi.desc_vi, "en", pi.desc_en, "legal_basis", policy_basis_name(p.basis), "fields",
	    policy_fields_view(v, f, nf, 0), "granted_at", g, "expires_at", e, "use_limit", (json_int_t)use_limit, "revocation",
	    "how", RECEIPT_HOW, "effect",
	    "the next lookup under this consent is refused", "jurisdiction", "VN", "laws", "Law 91/2025/QH15",
	    "Decree 356/2025/ND-CP");
	if (r == NULL || (canon = json_dumps(r, JSON_SORT_KEYS | JSON_COMPACT)) == NULL) {
		json_decref(r);
		util_fail(err, UTIL_ENOMEM, "cannot build the receipt");
		return NULL;
	}
	vault_sign(v, (const unsigned char *)canon, strlen(canon), sig);
	sodium_bin2base64(sigb64, sizeof sigb64, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
	out = json_pack("{s:o, s:s, s:s}", "receipt", r, "alg", "Ed25519", "signature", sigb64);
	vault_json_free(canon);
	if (out == NULL)
		util_fail(err, UTIL_ENOMEM, "cannot build the receipt");
	return out;
}

int policy_request_approve(vault *v, const unsigned char cid[KEYS_CID_BYTES], const char *id,
    const char *const *fields, size_t n, int64_t use_limit, char consent_id[POLICY_ID_MAX + 1], json_t **receipt,
    util_err *err)
{
	char agency[POLICY_ID_MAX + 1], purpose[POLICY_ID_MAX + 1], *fj = NULL, *rj = NULL;
	policy_field req[POLICY_MAX_FIELDS], chosen[POLICY_MAX_FIELDS];
	size_t nreq, nc = 0, i;
	int64_t now = util_now();
	json_t *r = NULL;
	policy_consent_row c;
	int days, mine = 0, ok = 0;

	if (n > POLICY_MAX_FIELDS || use_limit < 0 || use_limit > 1000000 || (fields != NULL && n == 0))
		return util_fail(err, UTIL_EINVAL, "no fields, too many fields or a bad use limit");
	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	if (load_request(v, cid, id, agency, purpose, req, &nreq, &days, err) != 0)
		goto out;
	/* a consent covers only fields the citizen saw in the request, each named */
	for (i = 0; fields != NULL && i < n; i++) {
		int k = fields[i] ? field_index(req, nreq, fields[i]) : -1;

		if (k < 0) {
			util_fail(err, UTIL_EINVAL, "field %.32s was not requested", fields[i] ? fields[i] : "");
			goto out;
		}
		if (field_index(chosen, nc, fields[i]) < 0)
			chosen[nc++] = req[k];
	}
	if (fields == NULL) {
		memcpy(chosen, req, nreq * sizeof *chosen);
		nc = nreq;
	}
	new_id("co", now, consent_id);
	if ((r = receipt_build(v, cid, consent_id, agency, purpose, chosen, nc, now, now + (int64_t)days * 86400,
	         use_limit, err)) == NULL)
		goto out;
	if ((fj = fields_json(chosen, nc)) == NULL || (rj = json_dumps(r, JSON_SORT_KEYS | JSON_COMPACT)) == NULL) {
		util_fail(err, UTIL_ENOMEM, "out of memory");
		goto out;
	}
	c = (policy_consent_row){.id = consent_id, .agency_id = agency, .purpose_id = purpose, .request_id = id,
		.fields_json = fj, .receipt_json = rj, .cid = cid, .granted_at = now,
		.expires_at = now + (int64_t)days * 86400, .use_limit = use_limit};
	ok = policy_store_consent_put(v, &c, err) == 0 && set_request_status(v, id, "approved", err) == 0 &&
	     audit(v, "citizen", "consent.approve", cid, agency, purpose, chosen, nc, consent_id, NULL, err) == 0;
out:
	vault_json_free(fj);
	vault_json_free(rj);
	if (vault_tx_end(v, mine, ok, err) != 0) {
		json_decref(r);
		return -1;
	}
	*receipt = r;
	return 0;
}

int policy_request_deny(vault *v, const unsigned char cid[KEYS_CID_BYTES], const char *id, util_err *err)
{
	char agency[POLICY_ID_MAX + 1], purpose[POLICY_ID_MAX + 1];
	policy_field req[POLICY_MAX_FIELDS];
	size_t nreq;
	int days, mine, ok;

	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	ok = load_request(v, cid, id, agency, purpose, req, &nreq, &days, err) == 0 &&
	     set_request_status(v, id, "denied", err) == 0 &&
	     audit(v, "citizen", "consent.deny", cid, agency, purpose, req, nreq, NULL, NULL, err) == 0;
	return vault_tx_end(v, mine, ok, err);
}

/* ---- consents ---- */

int policy_consent_revoke(vault *v, const unsigned char cid[KEYS_CID_BYTES], const char *consent_id, util_err *err)
{
	char agency[POLICY_ID_MAX + 1] = "", purpose[POLICY_ID_MAX + 1] = "";
	int mine, ok;

	if (!id_ok(consent_id))
		return util_fail(err, UTIL_ENOTFOUND, "no such active consent");
	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	ok = policy_store_consent_revoke(v, cid, consent_id, agency, purpose, err) == 0 &&
	     audit(v, "citizen", "consent.revoke", cid, agency, purpose, NULL, 0, consent_id, NULL, err) == 0;
	return vault_tx_end(v, mine, ok, err);
}

int policy_restrict(vault *v, const unsigned char cid[KEYS_CID_BYTES], int on, util_err *err)
{
	int mine, ok;

	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	ok = policy_store_restriction(v, cid, on, err) == 0 &&
	     audit(v, "citizen", on ? "restriction.set" : "restriction.lift", cid, NULL, NULL, NULL, 0, NULL, NULL, err) == 0;
	return vault_tx_end(v, mine, ok, err);
}

int policy_citizen_erase(vault *v, const unsigned char cid[KEYS_CID_BYTES], const char *actor, util_err *err)
{
	int mine, ok;

	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	ok = vault_citizen_erase(v, cid, err) == 0 && policy_store_citizen_forget(v, cid, err) == 0 &&
	     audit(v, actor, "record.erase", cid, NULL, NULL, NULL, 0, NULL, NULL, err) == 0;
	return vault_tx_end(v, mine, ok, err);
}

/* ---- retention ---- */

int policy_retention_sweep(vault *v, int64_t now, int64_t *changed, util_err *err)
{
	int64_t n[POLICY_SWEEPS] = {0};
	int mine, ok = 0;

	*changed = 0;
	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	if (policy_store_retention(v, now, n, err) != 0)
		goto out;
	*changed = n[0] + n[1] + n[2];
	if (*changed > 0) {
		char note[96];

		snprintf(note, sizeof note, "expired %lld pending requests; removed %lld consents and requests",
		    (long long)n[0], (long long)(n[1] + n[2]));
		if (audit(v, "system", "retention.sweep", NULL, NULL, NULL, NULL, 0, NULL, note, err) != 0)
			goto out;
	}
	ok = 1;
out:
	return vault_tx_end(v, mine, ok, err);
}

/* ---- receipts ---- */

int policy_receipt_verify(const char *json, size_t n, const unsigned char pk[32], util_err *err)
{
	json_t *doc = json_loadb(json, n, JSON_REJECT_DUPLICATES, NULL), *r;
	const char *sigb64, *alg;
	unsigned char sig[64];
	size_t siglen = 0;
	char *canon = NULL;
	int rc = -1;

	if (doc == NULL) {
		util_fail(err, UTIL_EINVAL, "the receipt is not JSON");
		goto out;
	}
	r = json_object_get(doc, "receipt");
	sigb64 = json_string_value(json_object_get(doc, "signature"));
	alg = json_string_value(json_object_get(doc, "alg"));
	if (!json_is_object(r) || sigb64 == NULL || alg == NULL || strcmp(alg, "Ed25519") != 0 ||
	    json_object_size(doc) != 3) {
		util_fail(err, UTIL_EINVAL, "a receipt is {\"receipt\": {...}, \"alg\": \"Ed25519\", \"signature\": ...}");
		goto out;
	}
	if (sodium_base642bin(sig, sizeof sig, sigb64, strlen(sigb64), NULL, &siglen, NULL,
	        sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    siglen != sizeof sig) {
		util_fail(err, UTIL_EINVAL, "the signature is not 64 bytes of base64");
		goto out;
	}
	if ((canon = json_dumps(r, JSON_SORT_KEYS | JSON_COMPACT)) == NULL) {
		util_fail(err, UTIL_ENOMEM, "out of memory");
		goto out;
	}
	if (crypto_sign_ed25519_verify_detached(sig, (const unsigned char *)canon, strlen(canon), pk) != 0) {
		util_fail(err, UTIL_ECORRUPT, "the signature does not verify: the receipt was altered or another key signed it");
		goto out;
	}
	rc = 0;
out:
	vault_json_free(canon);
	json_decref(doc);
	return rc;
}
