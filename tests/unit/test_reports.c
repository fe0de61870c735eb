/* test_reports.c: `vaultctl ropa` and `vaultctl dpia` on a seeded vault: content, counts, no personal data. */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../api/api_private.h"
#include "../../audit/audit.h"
#include "../../cmd/ctl_reports.h"
#include "../../policy/policy.h"

/*
 * The seeded vault: two citizens; a hospital (consent purpose `treatment`, with a sensitive and
 * a masked field), a tax office whose name holds a '|' (a legal_obligation purpose with its
 * reference, and a vital_interest one), a registrar with no purpose. Lookups are written to
 * the audit log exactly as the API writes them, at fixed times, so that periods can be counted:
 *
 *   time  agency    purpose         citizen  decision
 *   1000  hospital  treatment       A        allow (A consented)
 *   2000  hospital  treatment       B        deny  (no consent)
 *   2500  tax       tax-audit       B        allow (legal obligation)
 *   2600  hospital  marketing       A        deny  (never registered)
 *   2700  tax       emergency-care  A        allow (vital interest; awaits review)
 *   3000  hospital  treatment       A        allow
 */

#define HOSPITAL "Bệnh viện Bạch Mai"
#define TAX_OFFICE "Cục Thuế | Hà Nội"
#define TAX_OFFICE_MD "Cục Thuế \\| Hà Nội"
#define TAX_REF "Law on Tax Administration 38/2019/QH14, Art. 17"
#define JUSTIFICATION "MARKER-unconscious-after-accident"

static const char NID_A[] = "001090012345", NID_B[] = "079195001122";
static const char *const personal[] = {NID_A, NID_B, "Nguyễn Văn An", "Trần Thị Bình", "0912345678", "0987654321",
	"Hen phế quản", "8123456789", "150000000", JUSTIFICATION};

typedef struct fx {
	test_vault tv;
	char hospital[POLICY_ID_MAX + 1], tax[POLICY_ID_MAX + 1], registrar[POLICY_ID_MAX + 1];
	unsigned char a[KEYS_CID_BYTES], b[KEYS_CID_BYTES];
} fx;

static void must(int rc, const util_err *err, const char *what)
{
	if (rc != 0)
		fail_msg("%s: %s", what, err->msg);
}

/* A lookup decided by the policy library, its entry (built by policy) logged at time t. */
static void lookup_at(fx *f, const char *agency, const char *code, const char *nid, const char *just, int64_t t,
    int allow)
{
	audit_entry e;
	policy_agency a;
	policy_lookup l;
	util_err err;

	must(policy_agency_get(f->tv.v, agency, &a, NULL, &err), &err, "agency");
	must(policy_lookup_prepare(f->tv.v, &a, code, nid, NULL, 0, just, util_now(), &l, &err), &err, "lookup");
	assert_int_equal(l.d.allow, allow);
	assert_int_equal(l.seq, 0); /* no use-limited consent here: the entry is still to be written */
	e = l.entry;
	e.time = t;
	must(audit_record(f->tv.v, &e, NULL, &err), &err, "audit");
	policy_lookup_clear(&l);
}

static fx *fx_new(void)
{
	fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	test_vault_make(&f->tv);
	return f;
}

static int setup_empty(void **state)
{
	if (vault_init() != 0)
		return -1;
	*state = fx_new();
	return 0;
}

static int setup(void **state)
{
	static const policy_field care[] = {{"full_name", 0}, {"phone", 1}, {"blood_type", 0}, {"chronic_conditions", 0}};
	static const policy_field taxf[] = {{"full_name", 0}, {"annual_income", 0}, {"tax_code", 0}};
	static const policy_field vital[] = {{"blood_type", 0}, {"chronic_conditions", 0}};
	char pid[POLICY_ID_MAX + 1], rid[POLICY_ID_MAX + 1], cons[POLICY_ID_MAX + 1];
	json_t *fl, *receipt = NULL;
	util_err err;
	fx *f;

	if (vault_init() != 0)
		return -1;
	f = fx_new();
	fl = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "full_name", "Nguyễn Văn An", "date_of_birth", "1990-05-01",
	    "phone", "0912345678", "blood_type", "O+", "chronic_conditions", "Hen phế quản", "annual_income",
	    (json_int_t)150000000, "tax_code", "8123456789");
	must(vault_citizen_create(f->tv.v, NID_A, fl, f->a, NULL, &err), &err, "citizen a");
	json_object_set_new(fl, "full_name", json_string("Trần Thị Bình"));
	json_object_set_new(fl, "phone", json_string("0987654321"));
	must(vault_citizen_create(f->tv.v, NID_B, fl, f->b, NULL, &err), &err, "citizen b");
	json_decref(fl);

	must(policy_agency_create(f->tv.v, HOSPITAL, POLICY_ROLE_CONSUMER, f->hospital, &err), &err, "hospital");
	must(policy_agency_create(f->tv.v, TAX_OFFICE, POLICY_ROLE_CONSUMER | POLICY_ROLE_EMERGENCY, f->tax, &err), &err,
	    "tax office");
	must(policy_agency_create(f->tv.v, "Công an phường", POLICY_ROLE_REGISTRAR, f->registrar, &err), &err, "registrar");
	{
		policy_purpose_def d = {.agency_id = f->hospital, .code = "treatment", .desc_vi = "Khám chữa bệnh",
			.desc_en = "Medical treatment", .basis = POLICY_BASIS_CONSENT, .fields = care, .nfields = 4,
			.max_days = 365, .retention_days = 30};

		must(policy_purpose_create(f->tv.v, &d, pid, &err), &err, "treatment");
	}
	{
		policy_purpose_def d = {.agency_id = f->tax, .code = "tax-audit", .desc_vi = "Thanh tra thuế",
			.desc_en = "Tax audit", .basis = POLICY_BASIS_LEGAL_OBLIGATION, .legal_reference = TAX_REF,
			.fields = taxf, .nfields = 3, .max_days = 30, .retention_days = 365};

		must(policy_purpose_create(f->tv.v, &d, pid, &err), &err, "tax-audit");
	}
	{
		policy_purpose_def d = {.agency_id = f->tax, .code = "emergency-care", .desc_vi = "Cấp cứu",
			.desc_en = "Emergency care", .basis = POLICY_BASIS_VITAL_INTEREST, .fields = vital, .nfields = 2,
			.max_days = 1, .retention_days = 7};

		must(policy_purpose_create(f->tv.v, &d, pid, &err), &err, "emergency-care");
	}
	must(policy_request_create(f->tv.v, f->hospital, "treatment", NID_A, NULL, 0, 30, rid, &err), &err, "request");
	must(policy_request_approve(f->tv.v, f->a, rid, NULL, 0, 0, cons, &receipt, &err), &err, "approve");
	json_decref(receipt);

	lookup_at(f, f->hospital, "treatment", NID_A, NULL, 1000, 1);
	lookup_at(f, f->hospital, "treatment", NID_B, NULL, 2000, 0);
	lookup_at(f, f->tax, "tax-audit", NID_B, NULL, 2500, 1);
	lookup_at(f, f->hospital, "marketing", NID_A, NULL, 2600, 0);
	lookup_at(f, f->tax, "emergency-care", NID_A, JUSTIFICATION, 2700, 1);
	lookup_at(f, f->hospital, "treatment", NID_A, NULL, 3000, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	test_vault_release(&f->tv);
	free(f);
	return 0;
}

enum { ROPA_MD, ROPA_JSON, DPIA, DPIA_PASSPHRASE };

/* A report printed into memory. Caller frees. */
static char *report(fx *f, int which, int64_t from, int64_t to)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);
	util_err err;
	int rc;

	assert_non_null(m);
	if (which == ROPA_MD || which == ROPA_JSON)
		rc = ctl_ropa(f->tv.v, which == ROPA_JSON, from, to, m, &err);
	else
		rc = ctl_dpia(f->tv.v, which == DPIA_PASSPHRASE, from, to, m, &err);
	fclose(m);
	if (rc != 0)
		fail_msg("report: %s", err.msg);
	return buf;
}

/* The text from the line that starts with head up to the next heading of the same or a higher level. */
static char *section(const char *doc, const char *head)
{
	const char *p = strstr(doc, head), *end;
	char *s;

	if (p == NULL)
		fail_msg("no section %s", head);
	end = strstr(p + strlen(head), "\n#");
	if (end == NULL)
		end = p + strlen(p);
	s = strndup(p, (size_t)(end - p));
	assert_non_null(s);
	return s;
}

static void has(const char *doc, const char *needle)
{
	if (strstr(doc, needle) == NULL)
		fail_msg("missing: %s", needle);
}

static void no_personal_data(const char *doc, const fx *f)
{
	char hex[2 * KEYS_CID_BYTES + 1];
	size_t i;

	for (i = 0; i < sizeof personal / sizeof personal[0]; i++)
		if (strstr(doc, personal[i]) != NULL)
			fail_msg("personal data in a report: %s", personal[i]);
	util_hex_encode(hex, f->a, KEYS_CID_BYTES);
	assert_null(strstr(doc, hex));
	util_hex_encode(hex, f->b, KEYS_CID_BYTES);
	assert_null(strstr(doc, hex));
}

static json_t *purpose_of(json_t *doc, const char *code, json_t **agency)
{
	json_t *a, *p;
	size_t i, j;

	json_array_foreach(json_object_get(doc, "agencies"), i, a) {
		json_array_foreach(json_object_get(a, "purposes"), j, p) {
			if (strcmp(json_string_value(json_object_get(p, "code")), code) == 0) {
				if (agency != NULL)
					*agency = a;
				return p;
			}
		}
	}
	fail_msg("no purpose %s", code);
	return NULL;
}

static json_t *agency_named(json_t *doc, const char *name)
{
	json_t *a;
	size_t i;

	json_array_foreach(json_object_get(doc, "agencies"), i, a)
		if (strcmp(json_string_value(json_object_get(a, "name")), name) == 0)
			return a;
	fail_msg("no agency %s", name);
	return NULL;
}

static long long count(json_t *o, const char *path1, const char *key)
{
	json_t *c = json_object_get(o, path1);

	assert_true(json_is_integer(json_object_get(c, key)));
	return (long long)json_integer_value(json_object_get(c, key));
}

static void test_ropa_markdown_names_each_activity(void **state)
{
	fx *f = *state;
	char *doc = report(f, ROPA_MD, 0, INT64_MAX), *s;

	has(doc, "# Records of processing activities (Hồ sơ hoạt động xử lý dữ liệu cá nhân)");
	has(doc, "| Citizens enrolled (chủ thể dữ liệu) | 2 |");
	has(doc, "| Period of the counts | the whole audit log |");
	has(doc, "| Lookups in the period | 4 allowed, 2 denied |");
	has(doc, "| Emergency accesses awaiting an officer's review (whole log) | 1 |");

	/* the hospital: its consent purpose, a sensitive field flagged, a masked one, the counts */
	s = section(doc, "## " HOSPITAL " (`");
	has(s, "Roles: consumer. Status: active.");
	has(s, "Lookups naming a purpose this agency never registered, in the period: 1 (all denied).");
	free(s);
	s = section(doc, "### Purpose `treatment`");
	has(s, "| Description, vi (mô tả mục đích) | Khám chữa bệnh |");
	has(s, "| Legal basis (cơ sở pháp lý) | `consent` (sự đồng ý của chủ thể dữ liệu) |");
	has(s, "| Legal reference (căn cứ pháp lý) | none recorded |");
	has(s, "| Recipient (bên nhận dữ liệu) | " HOSPITAL " (`");
	has(s, "| Retention (thời hạn lưu trữ) | 30 days |");
	has(s, "| Consents in force now | 1 |");
	has(s, "| Lookups in the period (lượt truy cập) | 2 allowed, 1 denied |");
	has(s, "| Sensitive data (dữ liệu nhạy cảm) | yes: `chronic_conditions` |");
	has(s, "| `chronic_conditions` | **sensitive** (dữ liệu cá nhân nhạy cảm) | full value |");
	has(s, "| `phone` | basic (dữ liệu cá nhân cơ bản) | masked view (`last3`) |");
	free(s);

	/* the tax office: its name escaped for the table, the legal obligation and its reference */
	s = section(doc, "## " TAX_OFFICE_MD " (`");
	has(s, "Roles: consumer, emergency.");
	has(s, "in the period: 0 (all denied)");
	free(s);
	assert_null(strstr(doc, "| " TAX_OFFICE " ")); /* never unescaped in a table */
	s = section(doc, "### Purpose `tax-audit`");
	has(s, "| Legal basis (cơ sở pháp lý) | `legal_obligation` (thực hiện nghĩa vụ theo quy định của pháp luật) |");
	has(s, "| Legal reference (căn cứ pháp lý) | " TAX_REF " |");
	has(s, "| Recipient (bên nhận dữ liệu) | " TAX_OFFICE_MD " (`");
	has(s, "| Consents | not applicable: this basis needs no consent |");
	has(s, "| Lookups in the period (lượt truy cập) | 1 allowed, 0 denied |");
	has(s, "| Sensitive data (dữ liệu nhạy cảm) | yes: `annual_income` |");
	free(s);
	s = section(doc, "### Purpose `emergency-care`");
	has(s, "`vital_interest`");
	has(s, "| Lookups in the period (lượt truy cập) | 1 allowed, 0 denied |");
	free(s);
	has(doc, "No purpose registered: this agency receives nothing.");
	no_personal_data(doc, f);
	free(doc);
}

static void test_ropa_json_counts_by_period(void **state)
{
	fx *f = *state;
	char *text = report(f, ROPA_JSON, 0, INT64_MAX);
	json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL), *p, *a, *c;
	util_err err;
	size_t i;
	int found = 0;

	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "format")), "vaultd-ropa/1");
	assert_string_equal(json_string_value(json_object_get(doc, "vault_id")), vault_id(f->tv.v));
	assert_true(json_is_null(json_object_get(json_object_get(doc, "period"), "to")));
	assert_int_equal(json_integer_value(json_object_get(doc, "citizens")), 2);
	assert_int_equal(count(doc, "lookups", "allowed"), 4);
	assert_int_equal(count(doc, "lookups", "denied"), 2);
	assert_int_equal(json_integer_value(json_object_get(doc, "emergency_accesses_awaiting_review")), 1);
	assert_int_equal(json_array_size(json_object_get(doc, "agencies")), 3);

	p = purpose_of(doc, "treatment", &a);
	assert_string_equal(json_string_value(json_object_get(a, "name")), HOSPITAL);
	assert_string_equal(json_string_value(json_object_get(p, "legal_basis")), "consent");
	assert_true(json_is_null(json_object_get(p, "legal_reference")));
	assert_true(json_is_true(json_object_get(p, "sensitive")));
	assert_int_equal(json_integer_value(json_object_get(p, "consents_in_force")), 1);
	assert_int_equal(json_integer_value(json_object_get(p, "retention_days")), 30);
	assert_int_equal(count(p, "lookups", "allowed"), 2);
	assert_int_equal(count(p, "lookups", "denied"), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(p, "recipients"), 0), "name")),
	    HOSPITAL);
	json_array_foreach(json_object_get(p, "data_categories"), i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));

		if (strcmp(name, "chronic_conditions") == 0) {
			assert_string_equal(json_string_value(json_object_get(c, "category")), "sensitive");
			found++;
		} else if (strcmp(name, "phone") == 0) {
			assert_string_equal(json_string_value(json_object_get(c, "category")), "basic");
			assert_string_equal(json_string_value(json_object_get(c, "view")), "masked");
			assert_string_equal(json_string_value(json_object_get(c, "mask")), "last3");
			found++;
		}
	}
	assert_int_equal(found, 2);
	assert_int_equal(count(a, "lookups_unregistered_purpose", "denied"), 1);

	p = purpose_of(doc, "tax-audit", &a);
	assert_string_equal(json_string_value(json_object_get(a, "name")), TAX_OFFICE); /* JSON: as registered */
	assert_string_equal(json_string_value(json_object_get(p, "legal_basis")), "legal_obligation");
	assert_string_equal(json_string_value(json_object_get(p, "legal_reference")), TAX_REF);
	assert_true(json_is_null(json_object_get(p, "consents_in_force")));
	assert_int_equal(count(p, "lookups", "allowed"), 1);
	assert_int_equal(count(p, "lookups", "denied"), 0);
	assert_int_equal(json_array_size(json_object_get(agency_named(doc, "Công an phường"), "purposes")), 0);
	no_personal_data(text, f);
	json_decref(doc);
	free(text);

	/* a period: 1500..2550 holds the denial at 2000 and the tax audit at 2500, nothing else */
	text = report(f, ROPA_JSON, 1500, 2550);
	doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "period"), "from")), 1500);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "period"), "to")), 2550);
	assert_int_equal(count(doc, "lookups", "allowed"), 1);
	assert_int_equal(count(doc, "lookups", "denied"), 1);
	p = purpose_of(doc, "treatment", &a);
	assert_int_equal(count(p, "lookups", "allowed"), 0);
	assert_int_equal(count(p, "lookups", "denied"), 1);
	assert_int_equal(count(a, "lookups_unregistered_purpose", "denied"), 0);
	assert_int_equal(count(purpose_of(doc, "tax-audit", NULL), "lookups", "allowed"), 1);
	assert_int_equal(count(purpose_of(doc, "emergency-care", NULL), "lookups", "allowed"), 0);
	json_decref(doc);
	free(text);

	/* the Markdown says the same of the same period */
	text = report(f, ROPA_MD, 1500, 2550);
	has(text, "| Period of the counts | 1970-01-01T00:25:00Z to 1970-01-01T00:42:30Z (unix 1500 to 2550, inclusive) |");
	has(text, "| Lookups in the period | 1 allowed, 1 denied |");
	free(text);

	/* a period that ends before it starts is refused, and prints nothing */
	{
		char *buf = NULL;
		size_t n = 0;
		FILE *m = open_memstream(&buf, &n);

		assert_int_equal(ctl_ropa(f->tv.v, 0, 10, 5, m, &err), -1);
		assert_int_equal(err.code, UTIL_EINVAL);
		assert_int_equal(ctl_dpia(f->tv.v, 0, -1, 5, m, &err), -1);
		assert_int_equal(err.code, UTIL_EINVAL);
		fclose(m);
		assert_int_equal(n, 0);
		free(buf);
	}
}

static void test_dpia_fills_the_skeleton(void **state)
{
	fx *f = *state;
	char *doc = report(f, DPIA, 0, INT64_MAX), *s, want[160];
	const char *p;
	int todo = 0;

	has(doc, "# Personal data protection impact assessment: dossier skeleton");
	has(doc, "(Hồ sơ đánh giá tác động xử lý dữ liệu cá nhân: bản khung)");
	for (p = doc; (p = strstr(p, "[CONTROLLER TO COMPLETE / BÊN KIỂM SOÁT ĐIỀN]")) != NULL; p++)
		todo++;
	assert_true(todo >= 10);
	has(doc, "(article number not verified)");

	/* the activities, from the registry */
	s = section(doc, "## 2. Processing activities");
	has(s, "| " HOSPITAL " | `treatment` | `consent` | none recorded | yes: `chronic_conditions` | 30 days | 1 | 2 / 1 |");
	has(s, "| " TAX_OFFICE_MD " | `tax-audit` | `legal_obligation` | " TAX_REF " | yes: `annual_income` | 365 days |"
	       " n/a | 1 / 0 |");
	free(s);
	s = section(doc, "## 3. Personal data processed");
	has(s, "| `chronic_conditions` | **sensitive** (dữ liệu cá nhân nhạy cảm) | `none` |");
	has(s, "| `treatment`, `emergency-care` |");
	has(s, "| `religion` | **sensitive** (dữ liệu cá nhân nhạy cảm) | `none` |");
	free(s);
	s = section(doc, "## 4. Data subjects");
	has(s, "- Citizens enrolled: 2.");
	has(s, "- Lookups in the period: 4 allowed, 2 denied.");
	has(s, "- Emergency accesses awaiting an officer's review: 1.");
	free(s);
	s = section(doc, "## 5. Recipients");
	has(s, "| " HOSPITAL " (`");
	has(s, "| consumer | active | `treatment` |");
	has(s, "| registrar | active | none |");
	free(s);
	s = section(doc, "## 6. Retention");
	snprintf(want, sizeof want, "pending requests expire after %d days", POLICY_REQUEST_TTL / 86400);
	has(s, want);
	free(s);

	/* the security measures in force, read from this vault and this build */
	s = section(doc, "## 7. Security measures");
	has(s, "SQLCipher ");
	has(s, "per-page HMAC on");
	has(s, "4096-byte pages");
	has(s, "`secure_delete` = 1, journal mode wal");
	has(s, "a 32-byte random key file");
	has(s, "XChaCha20-Poly1305");
	has(s, "keyed BLAKE2b-256 blind index");
	has(s, "stored only as keyed BLAKE2b-256 hashes");
	has(s, "key-encryption key, version 1; 1 KEK version(s) held");
	has(s, "RFC 6962 Merkle tree");
	has(s, "Ed25519");
	/* the API's constants, so that the dossier cannot drift from auth/auth.h and api/api_private.h */
	snprintf(want, sizeof want, "%d failures in %d minutes lock the identity; sessions last %d minutes", AUTH_LOCK_FAILURES,
	    AUTH_LOCK_WINDOW / 60, AUTH_SESSION_TTL / 60);
	has(s, want);
	free(s);
	{
		audit_checkpoint cp;
		char note[AUDIT_CHECKPOINT_MAX];
		util_err err;
		int64_t n;

		must(audit_size(f->tv.v, &n, &err), &err, "size");
		snprintf(want, sizeof want, "- **Audit log** (nhật ký xử lý): %lld entries", (long long)n);
		has(doc, want);
		if (audit_latest_checkpoint(f->tv.v, note, &cp, &err) == 0) {
			snprintf(want, sizeof want, "the latest at size %lld", (long long)cp.size);
			has(doc, want);
		}
	}

	/* what the registry flags */
	s = section(doc, "## 8. Risks");
	has(s, "- Purpose `treatment` of " HOSPITAL " may receive sensitive data (yes: `chronic_conditions`) on the basis"
	       " `consent`.");
	has(s, "- Purpose `emergency-care` uses `vital_interest`");
	has(s, "- Purpose `emergency-care` records no legal reference.");
	has(s, "- 1 emergency (vital-interest) accesses await an officer's review");
	free(s);
	no_personal_data(doc, f);
	free(doc);

	/* unlocked with a passphrase, the root is Argon2id */
	doc = report(f, DPIA_PASSPHRASE, 0, INT64_MAX);
	has(doc, "- **Root key** (khóa gốc): Argon2id (`crypto_pwhash`) of a passphrase");
	free(doc);
}

static void test_reports_change_nothing(void **state)
{
	fx *f = *state;
	int64_t n0, n1;
	util_err err;
	char *doc;

	must(audit_size(f->tv.v, &n0, &err), &err, "size");
	free(report(f, ROPA_MD, 0, INT64_MAX));
	free(report(f, ROPA_JSON, 0, INT64_MAX));
	free(report(f, DPIA, 0, INT64_MAX));
	must(audit_size(f->tv.v, &n1, &err), &err, "size");
	assert_int_equal(n0, n1);
	/* inside the caller's own transaction they read, and leave it open */
	must(vault_begin(f->tv.v, &err), &err, "begin");
	doc = report(f, ROPA_MD, 0, INT64_MAX);
	has(doc, "| Lookups in the period | 4 allowed, 2 denied |");
	free(doc);
	must(vault_commit(f->tv.v, &err), &err, "commit");
}

static void test_empty_registry(void **state)
{
	fx *f = *state;
	char *doc = report(f, ROPA_MD, 0, INT64_MAX);
	json_t *j;

	has(doc, "| Citizens enrolled (chủ thể dữ liệu) | 0 |");
	has(doc, "No agency is registered: nothing is processed for anyone yet.");
	free(doc);
	doc = report(f, ROPA_JSON, 0, INT64_MAX);
	j = json_loads(doc, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "agencies")), 0);
	json_decref(j);
	free(doc);
	doc = report(f, DPIA, 0, INT64_MAX);
	has(doc, "No agency is registered yet.");
	has(doc, "- Nothing in the registry calls for attention.");
	free(doc);
}

/* The real vaultctl binary, once per command and form, and its usage errors. */
static void test_vaultctl_ropa_and_dpia(void **state)
{
	fx *f = *state;
	char *ctl = test_prog("vaultctl"), *out = NULL, *err = NULL, *other = test_path(f->tv.dir, "other.key");
	json_t *doc;
	keys_root *r = NULL;
	util_err e;

#define RUN(expect, ...)                                                                                              \
	do {                                                                                                           \
		char *argv[] = {ctl, __VA_ARGS__, NULL};                                                               \
		free(out);                                                                                             \
		free(err);                                                                                             \
		out = err = NULL;                                                                                      \
		assert_int_equal(test_run(argv, NULL, &out, &err), (expect));                                          \
	} while (0)

	RUN(0, "ropa", "--data", f->tv.data, "--key-file", f->tv.key);
	has(out, "# Records of processing activities");
	has(out, "### Purpose `treatment`");
	has(out, "| Lookups in the period | 4 allowed, 2 denied |");
	no_personal_data(out, f);
	RUN(0, "ropa", "--json", "--from", "1500", "--to", "2550", "--data", f->tv.data, "--key-file", f->tv.key);
	doc = json_loads(out, 0, NULL);
	assert_non_null(doc);
	assert_int_equal(count(doc, "lookups", "allowed"), 1);
	assert_int_equal(count(doc, "lookups", "denied"), 1);
	assert_int_equal(count(purpose_of(doc, "tax-audit", NULL), "lookups", "allowed"), 1);
	json_decref(doc);
	RUN(0, "dpia", "--data", f->tv.data, "--key-file", f->tv.key);
	has(out, "[CONTROLLER TO COMPLETE / BÊN KIỂM SOÁT ĐIỀN]");
	has(out, "| " HOSPITAL " | `treatment` | `consent` |");
	has(out, "a 32-byte random key file");
	no_personal_data(out, f);
	RUN(0, "ropa", "--help");
	has(out, "--from");
	RUN(0, "dpia", "--help");

	/* usage errors, a wrong key */
	RUN(2, "ropa", "--from", "5", "--to", "1", "--data", f->tv.data, "--key-file", f->tv.key);
	RUN(2, "ropa", "--from", "yesterday", "--data", f->tv.data, "--key-file", f->tv.key);
	RUN(2, "dpia", "extra", "--data", f->tv.data, "--key-file", f->tv.key);
	RUN(2, "dpia", "--json", "--data", f->tv.data, "--key-file", f->tv.key);
	must(keys_root_create_file(other, &r, &e), &e, "other key");
	keys_root_free(r);
	RUN(4, "ropa", "--data", f->tv.data, "--key-file", other);
#undef RUN
	free(out);
	free(err);
	free(other);
	free(ctl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ropa_markdown_names_each_activity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ropa_json_counts_by_period, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dpia_fills_the_skeleton, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_registry, setup_empty, teardown),
		cmocka_unit_test_setup_teardown(test_vaultctl_ropa_and_dpia, setup, teardown),
	};

	return cmocka_run_group_tests_name("reports", tests, NULL, NULL);
}
