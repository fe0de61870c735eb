/* ctl_reports.c: `vaultctl ropa` and `vaultctl dpia`, generated from the live registry so they never drift. */
#include "ctl_reports.h"
#include "ctl_report_model.h"

#include <string.h>

#include "../audit/audit.h"
#include "../policy/policy.h"

/*
 * Both reports print from one model, a JSON document built by ctl_report_model
 * (ctl_report_model.c): `ropa --json` is that document as it is, the Markdown of ropa and dpia
 * is a rendering of it. A number that appears in one report therefore appears the same in the
 * others.
 */

#define WHOLE_LOG(from, to) ((from) == 0 && (to) == INT64_MAX)

/* ---- small helpers ---- */

static long long jint(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static const char *basis_vi(const char *basis)
{
	if (strcmp(basis, "consent") == 0)
		return "sự đồng ý của chủ thể dữ liệu";
	if (strcmp(basis, "legal_obligation") == 0)
		return "thực hiện nghĩa vụ theo quy định của pháp luật";
	if (strcmp(basis, "vital_interest") == 0)
		return "bảo vệ tính mạng, sức khỏe trong tình huống khẩn cấp";
	return "không xác định";
}

/* ---- Markdown ---- */

/*
 * Registry text (agency names, descriptions, references) as inline Markdown: characters that
 * would open markup, an HTML tag or end a table cell are escaped. The registry refuses control
 * characters, so no line break can end a row.
 */
static void md(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '&')
			fputs("&amp;", out);
		else if (strchr("\\`*_[]<>|#!", *s) != NULL)
			fprintf(out, "\\%c", *s);
		else
			fputc(*s, out);
	}
}

static void md_roles(FILE *out, const json_t *roles)
{
	size_t i;
	json_t *r;

	json_array_foreach(roles, i, r)
		fprintf(out, "%s%s", i ? ", " : "", json_string_value(r));
}

static void md_period(FILE *out, int64_t from, int64_t to)
{
	char a[21], b[21];

	if (WHOLE_LOG(from, to)) {
		fputs("the whole audit log", out);
		return;
	}
	util_iso8601(from, a);
	if (to == INT64_MAX) {
		fprintf(out, "from %s (unix %lld) to now", a, (long long)from);
		return;
	}
	util_iso8601(to, b);
	fprintf(out, "%s to %s (unix %lld to %lld, inclusive)", a, b, (long long)from, (long long)to);
}

static void md_category(FILE *out, const char *category)
{
	if (strcmp(category, "sensitive") == 0)
		fputs("**sensitive** (dữ liệu cá nhân nhạy cảm)", out);
	else if (strcmp(category, "basic") == 0)
		fputs("basic (dữ liệu cá nhân cơ bản)", out);
	else
		fputs("**not in the catalog**", out);
}

/* The sensitive fields of a purpose, comma-separated, or "no". */
static void md_sensitive(FILE *out, const json_t *p)
{
	json_t *f;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(p, "data_categories"), i, f) {
		if (strcmp(jstr(f, "category"), "sensitive") != 0)
			continue;
		fprintf(out, "%s`%s`", n++ ? ", " : "yes: ", jstr(f, "name"));
	}
	if (n == 0)
		fputs("no", out);
}

static void md_fields_table(FILE *out, const json_t *p)
{
	json_t *f;
	size_t i;

	fputs("| field | category (loại dữ liệu) | released as | description |\n|---|---|---|---|\n", out);
	json_array_foreach(json_object_get(p, "data_categories"), i, f) {
		fprintf(out, "| `%s` | ", jstr(f, "name"));
		md_category(out, jstr(f, "category"));
		if (strcmp(jstr(f, "view"), "masked") == 0)
			fprintf(out, " | masked view (`%s`) | ", jstr(f, "mask"));
		else
			fputs(" | full value | ", out);
		md(out, jstr(json_object_get(f, "description"), "en"));
		fputs(" / ", out);
		md(out, jstr(json_object_get(f, "description"), "vi"));
		fputs(" |\n", out);
	}
}

static void md_purpose(FILE *out, const json_t *a, const json_t *p)
{
	const char *basis = jstr(p, "legal_basis");
	const json_t *ref = json_object_get(p, "legal_reference"), *in_force = json_object_get(p, "consents_in_force");
	const json_t *look = json_object_get(p, "lookups");

	fprintf(out, "### Purpose `%s` (`%s`)\n\n| record | value |\n|---|---|\n", jstr(p, "code"), jstr(p, "id"));
	fputs("| Description, vi (mô tả mục đích) | ", out);
	md(out, jstr(json_object_get(p, "description"), "vi"));
	fputs(" |\n| Description, en | ", out);
	md(out, jstr(json_object_get(p, "description"), "en"));
	fprintf(out, " |\n| Legal basis (cơ sở pháp lý) | `%s` (%s) |\n| Legal reference (căn cứ pháp lý) | ", basis,
	    basis_vi(basis));
	if (json_is_string(ref))
		md(out, json_string_value(ref));
	else
		fputs("none recorded", out);
	fputs(" |\n| Recipient (bên nhận dữ liệu) | ", out);
	md(out, jstr(a, "name"));
	fprintf(out, " (`%s`) |\n", jstr(a, "id"));
	fprintf(out, "| Retention (thời hạn lưu trữ) | %lld days |\n", jint(p, "retention_days"));
	if (json_is_integer(in_force)) {
		fprintf(out, "| Longest consent it may ask for | %lld days |\n", jint(p, "max_consent_days"));
		fprintf(out, "| Consents in force now | %lld |\n", (long long)json_integer_value(in_force));
	} else {
		fputs("| Consents | not applicable: this basis needs no consent |\n", out);
	}
	fprintf(out, "| Lookups in the period (lượt truy cập) | %lld allowed, %lld denied |\n", jint(look, "allowed"),
	    jint(look, "denied"));
	fputs("| Sensitive data (dữ liệu nhạy cảm) | ", out);
	md_sensitive(out, p);
	fprintf(out, " |\n| Registered | %s |\n\nData categories (loại dữ liệu cá nhân):\n\n", jstr(p, "registered_at"));
	md_fields_table(out, p);
	fputc('\n', out);
}

static void ropa_markdown(FILE *out, const json_t *doc, int64_t from, int64_t to)
{
	const json_t *agencies = json_object_get(doc, "agencies"), *a, *p;
	const json_t *look = json_object_get(doc, "lookups");
	size_t i, j, npurposes = 0;

	json_array_foreach(agencies, i, a)
		npurposes += json_array_size(json_object_get(a, "purposes"));
	fprintf(out,
	    "# Records of processing activities (Hồ sơ hoạt động xử lý dữ liệu cá nhân)\n\n"
	    "Generated by `vaultctl ropa` from the live registry of vault `%s` at %s. Every agency and\n"
	    "purpose registered in the vault is listed, with the fields it may receive and their category\n"
	    "from the vault's field catalog. Counts only: no value of a record, national ID or citizen id\n"
	    "appears here. Lookup counts come from the audit log (`lookup` entries).\n\n",
	    jstr(doc, "vault_id"), jstr(doc, "generated_at"));
	fputs("*Retention* is the purpose's `retention_days`: how long the agency declared it keeps what it\n"
	      "receives (vaultd cannot enforce what an agency keeps on its side), and how long the vault keeps\n"
	      "the purpose's consents and consent requests after they end before the retention sweep deletes\n"
	      "them (`policy_retention_sweep`). Records themselves are kept until erased.\n\n",
	    out);
	fprintf(out, "| summary | value |\n|---|---|\n| Vault | `%s` |\n| Citizens enrolled (chủ thể dữ liệu) | %lld |\n",
	    jstr(doc, "vault_id"), jint(doc, "citizens"));
	fprintf(out, "| Agencies (cơ quan, tổ chức) | %zu |\n| Purposes (mục đích xử lý) | %zu |\n| Period of the counts | ",
	    json_array_size(agencies), npurposes);
	md_period(out, from, to);
	fprintf(out, " |\n| Lookups in the period | %lld allowed, %lld denied |\n", jint(look, "allowed"),
	    jint(look, "denied"));
	fprintf(out, "| Emergency accesses awaiting an officer's review (whole log) | %lld |\n\n",
	    jint(doc, "emergency_accesses_awaiting_review"));
	if (json_array_size(agencies) == 0)
		fputs("No agency is registered: nothing is processed for anyone yet.\n", out);
	json_array_foreach(agencies, i, a) {
		const json_t *purposes = json_object_get(a, "purposes");

		fputs("## ", out);
		md(out, jstr(a, "name"));
		fprintf(out, " (`%s`)\n\nRoles: ", jstr(a, "id"));
		md_roles(out, json_object_get(a, "roles"));
		fprintf(out, ". Status: %s. Registered %s. Lookups naming a purpose this agency never registered, in the"
		             " period: %lld (all denied).\n\n",
		    jstr(a, "status"), jstr(a, "registered_at"),
		    jint(json_object_get(a, "lookups_unregistered_purpose"), "denied"));
		if (json_array_size(purposes) == 0)
			fputs("No purpose registered: this agency receives nothing.\n\n", out);
		json_array_foreach(purposes, j, p)
			md_purpose(out, a, p);
	}
}

/* ---- the DPIA skeleton ---- */

#define TODO "**[CONTROLLER TO COMPLETE / BÊN KIỂM SOÁT ĐIỀN]**"

static void dpia_purposes(FILE *out, const json_t *doc)
{
	const json_t *a, *p;
	size_t i, j;

	fputs("| agency (bên nhận) | purpose | legal basis | legal reference | sensitive data | retention |"
	      " consents in force | lookups allowed / denied |\n|---|---|---|---|---|---|---|---|\n",
	    out);
	json_array_foreach(json_object_get(doc, "agencies"), i, a) {
		json_array_foreach(json_object_get(a, "purposes"), j, p) {
			const json_t *ref = json_object_get(p, "legal_reference"), *c = json_object_get(p, "consents_in_force");

			fputs("| ", out);
			md(out, jstr(a, "name"));
			fprintf(out, " | `%s` | `%s` | ", jstr(p, "code"), jstr(p, "legal_basis"));
			if (json_is_string(ref))
				md(out, json_string_value(ref));
			else
				fputs("none recorded", out);
			fputs(" | ", out);
			md_sensitive(out, p);
			fprintf(out, " | %lld days | ", jint(p, "retention_days"));
			if (json_is_integer(c))
				fprintf(out, "%lld", (long long)json_integer_value(c));
			else
				fputs("n/a", out);
			fprintf(out, " | %lld / %lld |\n", jint(json_object_get(p, "lookups"), "allowed"),
			    jint(json_object_get(p, "lookups"), "denied"));
		}
	}
	fputc('\n', out);
}

/* The catalog, each field with the purposes that may receive it. */
static void dpia_catalog(vault *v, FILE *out, const json_t *doc)
{
	const vault_catalog *cat = vault_catalog_of(v);
	size_t i, j, k, l;

	fputs("| field | category | masked view | description | purposes that may receive it |\n"
	      "|---|---|---|---|---|\n",
	    out);
	for (i = 0; i < vault_catalog_count(cat); i++) {
		const vault_field_def *d = vault_catalog_at(cat, i);
		const json_t *a, *p, *f;
		int n = 0;

		fprintf(out, "| `%s` | ", d->name);
		md_category(out, d->sensitive ? "sensitive" : "basic");
		fprintf(out, " | `%s` | ", d->mask);
		md(out, d->desc_en ? d->desc_en : "");
		fputs(" / ", out);
		md(out, d->desc_vi ? d->desc_vi : "");
		fputs(" | ", out);
		json_array_foreach(json_object_get(doc, "agencies"), j, a) {
			json_array_foreach(json_object_get(a, "purposes"), k, p) {
				json_array_foreach(json_object_get(p, "data_categories"), l, f) {
					if (strcmp(jstr(f, "name"), d->name) == 0)
						fprintf(out, "%s`%s`", n++ ? ", " : "", jstr(p, "code"));
				}
			}
		}
		fprintf(out, "%s |\n", n ? "" : "none");
	}
	fputc('\n', out);
}

/* What the registry itself says deserves the controller's attention. */
static void dpia_flags(FILE *out, const json_t *doc)
{
	const json_t *a, *p;
	size_t i, j;
	int n = 0;

	json_array_foreach(json_object_get(doc, "agencies"), i, a) {
		json_array_foreach(json_object_get(a, "purposes"), j, p) {
			const char *basis = jstr(p, "legal_basis");

			if (json_is_true(json_object_get(p, "sensitive"))) {
				fprintf(out, "- Purpose `%s` of ", jstr(p, "code"));
				md(out, jstr(a, "name"));
				fprintf(out, " may receive sensitive data (");
				md_sensitive(out, p);
				fprintf(out, ") on the basis `%s`.\n", basis);
				n++;
			}
			if (strcmp(basis, "consent") != 0 && strcmp(basis, "legal_obligation") != 0) {
				fprintf(out, "- Purpose `%s` uses `%s`: no consent, a justification per lookup, and an officer's"
				             " review after the fact.\n",
				    jstr(p, "code"), basis);
				n++;
			}
			if (!json_is_string(json_object_get(p, "legal_reference")) && strcmp(basis, "consent") != 0) {
				fprintf(out, "- Purpose `%s` records no legal reference.\n", jstr(p, "code"));
				n++;
			}
		}
		if (strcmp(jstr(a, "status"), "suspended") == 0) {
			fputs("- Agency ", out);
			md(out, jstr(a, "name"));
			fputs(" is suspended: its token is refused and its lookups denied.\n", out);
			n++;
		}
	}
	if (jint(doc, "emergency_accesses_awaiting_review") > 0) {
		fprintf(out, "- %lld emergency (vital-interest) accesses await an officer's review (`GET /v1/reviews`).\n",
		    jint(doc, "emergency_accesses_awaiting_review"));
		n++;
	}
	if (n == 0)
		fputs("- Nothing in the registry calls for attention.\n", out);
	fputc('\n', out);
}

/* What section 7 reports of the vault: read first, printed after. */
typedef struct dpia_facts {
	vault_storage_facts db;
	char note[AUDIT_CHECKPOINT_MAX], pkb64[64];
	audit_checkpoint cp;
	vault_stats st;
	int64_t entries, checkpoints;
	int has_cp, passphrase;
} dpia_facts;

/* Reads the measures in force from the vault and the build. -1 (err filled) if a read fails. */
static int dpia_facts_read(vault *v, int passphrase, dpia_facts *f, util_err *err)
{
	unsigned char pk[32];

	memset(f, 0, sizeof *f);
	f->passphrase = passphrase;
	vault_storage_facts_get(v, &f->db);
	if (f->db.hmac_algorithm[0] == '\0' && strncmp(f->db.cipher_version, "3.", 2) == 0)
		snprintf(f->db.hmac_algorithm, sizeof f->db.hmac_algorithm, "HMAC-SHA1, the SQLCipher 3 default");
	if (vault_stats_get(v, &f->st, err) != 0 || audit_size(v, &f->entries, err) != 0 ||
	    audit_checkpoint_count(v, &f->checkpoints, err) != 0)
		return -1;
	f->has_cp = audit_latest_checkpoint(v, f->note, &f->cp, NULL) == 0;
	vault_public_key(v, pk);
	sodium_bin2base64(f->pkb64, sizeof f->pkb64, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
	return 0;
}

/* Section 7, first half: how the data is kept: the database, the root key, records, keys, erasure. */
static void dpia_security_storage(FILE *out, const dpia_facts *f)
{
	fputs("Read from this vault and this build now; the file and function that implement each measure are\n"
	      "named so that a reviewer can check it (docs/privacy/threat-model.md says what each one stops and\n"
	      "what it does not).\n\n",
	    out);
	fprintf(out,
	    "- **Database encryption** (mã hóa cơ sở dữ liệu): SQLCipher %s, cipher %s on every page, per-page HMAC"
	    " %s (%s), %s-byte pages. The page key is a 256-bit raw key derived from the root key"
	    " (`crypto_kdf`, context `vaultdrt`, id 1; the audit log's `audit.db` has its own, id 3), so no"
	    " password KDF runs on open (`vault/sqlite_db.c` `vault_db_open`). `secure_delete` = %s, journal mode %s.\n",
	    f->db.cipher_version[0] ? f->db.cipher_version : "(not reported)",
	    f->db.cipher[0] ? f->db.cipher : "(not reported)",
	    strcmp(f->db.use_hmac, "1") == 0 ? "on" : f->db.use_hmac[0] ? "OFF" : "(not reported)",
	    f->db.hmac_algorithm[0] ? f->db.hmac_algorithm : "algorithm not reported", f->db.page_size[0] ? f->db.page_size : "?",
	    f->db.secure_delete[0] ? f->db.secure_delete : "?", f->db.journal_mode[0] ? f->db.journal_mode : "?");
	fprintf(out,
	    "- **Root key** (khóa gốc): %s (`keys/root.c`). It is never stored in the database, and `vaultctl backup`"
	    " does not copy it.%s\n",
	    f->passphrase ? "Argon2id (`crypto_pwhash`) of a passphrase; the salt and limits are in `vault.meta`"
	               : "a 32-byte random key file",
	    f->passphrase ? ""
	               : " The key file is created 0600 with `O_EXCL|O_NOFOLLOW`; a key file readable by group or others is"
	                 " refused. `vaultctl init` writes it to `DIR/master.key`, beside the database, unless told"
	                 " otherwise: " TODO " where the key file is kept in production.");
	fputs("- **Record encryption** (mã hóa bản ghi): each record, every field's name and value, sealed as one with"
	      " XChaCha20-Poly1305 under a random 256-bit data key (DEK) of that citizen alone, padded to a size bucket"
	      " (1, 2, 4, ... KiB), so that the page key shows neither field names nor value lengths; the associated"
	      " data binds the citizen id and the DEK version (`vault/record.c`). The national ID is sealed inside the"
	      " record and is found through a keyed BLAKE2b-256 blind index (`vault/nid.c` `vault_nid_index`).\n",
	    out);
	fprintf(out,
	    "- **Key wrapping** (bao khóa): each DEK wrapped with XChaCha20-Poly1305 under the current key-encryption"
	    " key, version %u; %zu KEK version(s) held (`keys/ring.c`; `vaultctl rotate-kek` rewraps every DEK and"
	    " destroys unused versions). Keyring items are wrapped under a root-derived key (`crypto_kdf` id 2).\n",
	    (unsigned)f->st.kek_current, f->st.kek_versions);
	fputs("- **Erasure** (xóa dữ liệu): crypto-shredding, the row with the wrapped DEK deleted with `secure_delete`"
	      " on (`policy_citizen_erase`, `vault_citizen_erase`); see docs/privacy/key-management.md for what it does"
	      " not reach: backups taken before keep the record and their own keyring, and open with the root key of"
	      " their day. " TODO " how long backups are kept, so that an erasure reaches them.\n",
	    out);
}

/* Section 7, second half: who gets what, and what keeps the record of it. */
static void dpia_security_access(FILE *out, const dpia_facts *f)
{
	fprintf(out,
	    "- **Access decision** (kiểm soát truy cập): deny by default; a pure function of the registry, the"
	    " citizen's consents and restriction (`policy/decision.c` `policy_decide`); exactly the fields requested,"
	    " consented and registered for the purpose, masked where the purpose or consent says; every denial"
	    " answers the same `403 not_permitted`. Agencies see per-agency pseudonyms (keyed BLAKE2b,"
	    " `policy_pseudonym`), never the vault's citizen id. Pending consent requests expire after %d days.\n",
	    POLICY_REQUEST_TTL / 86400);
	fputs("- **Authentication** (xác thực): API tokens are 32 random bytes, stored only as keyed BLAKE2b-256 hashes"
	      " (`auth/tokens.c` `auth_token_new`). Citizens and privacy officers log in with TOTP (RFC 6238, 6 digits,"
	      " 30-second step, one step either way); a code is accepted once; 5 failures in 15 minutes lock the"
	      " identity; sessions last 15 minutes; approving a consent and setting or lifting a restriction need a"
	      " fresh code (step-up). Officers' TOTP secrets are sealed under a keyring key.\n",
	    out);
	fprintf(out,
	    "- **Audit log** (nhật ký xử lý): %lld entries, one per decision, consent change, record write, read"
	    " and erasure, and key operation; entries name fields, never values. RFC 6962 Merkle tree; %lld signed"
	    " checkpoints stored (C2SP signed-note format, Ed25519)%s%lld; a lookup's entry is durable before any field"
	    " is read (`audit/`). Verification key (`vaultctl keys`, `GET /v1/keys`): `%s`. `vaultctl audit verify`"
	    " and `GET /v1/audit/verify` recompute the tree and check every checkpoint.\n",
	    (long long)f->entries, (long long)f->checkpoints, f->has_cp ? ", the latest at size " : ", none yet at size ",
	    f->has_cp ? (long long)f->cp.size : 0LL, f->pkb64);
	fputs("- **Consent receipts** (biên nhận đồng ý): signed with the vault's Ed25519 key, verifiable offline"
	      " (`vaultctl receipt verify`).\n",
	    out);
	fputs("- **Memory** (bộ nhớ): keys live in `sodium_malloc` memory (guard pages, wiped on free); decrypted values"
	      " and data keys pass through a per-connection working area of the same kind, wiped after every operation;"
	      " JSON that carries values goes through an allocator that wipes on free (`vault/sqlite_db.c`).\n",
	    out);
	fputs("- **Logs and metrics**: the access log names route patterns, never URLs, bodies or tokens; `/metrics`"
	      " holds counts only (`api/server.c`).\n",
	    out);
	fputs("- **Transport** (truyền dẫn): `vaultd` serves HTTPS only when started with `--tls-cert` and `--tls-key`;"
	      " by default it listens on 127.0.0.1:8443. " TODO " how TLS is terminated in production, and who can"
	      " reach the port.\n",
	    out);
	fputs("- **Backups** (sao lưu): `vaultctl backup` copies the database still encrypted, without any key. " TODO
	      " where backups are kept, for how long, and how keys are kept apart from them.\n\n",
	    out);
}

/* The title, the legal frame, and section 1 (the controller: to complete). */
static void dpia_intro(FILE *out, const json_t *doc)
{
	fprintf(out,
	    "# Personal data protection impact assessment: dossier skeleton\n"
	    "# (Hồ sơ đánh giá tác động xử lý dữ liệu cá nhân: bản khung)\n\n"
	    "Generated by `vaultctl dpia` from vault `%s` at %s. The sections filled in here are read from the\n"
	    "live registry, catalog and configuration, so they match the vault on the day they are printed.\n"
	    "Sections marked " TODO " cannot be generated: the controller writes them.\n"
	    "No value of a record, national ID or citizen id appears in this dossier.\n\n",
	    jstr(doc, "vault_id"), jstr(doc, "generated_at"));
	fputs("Legal frame: Law 91/2025/QH15 on Personal Data Protection and Decree 356/2025/ND-CP, in force from\n"
	      "2026-01-01, which replaced Decree 13/2023/ND-CP (its Art. 24 set out the impact-assessment dossier).\n"
	      "The article of the new Law and Decree that requires this dossier, its official form and its filing\n"
	      "deadline are not verified here (article number not verified): check them before filing. For readers\n"
	      "who know the GDPR, the counterpart is Art. 35. docs/privacy/legal-mapping.md maps each duty to the\n"
	      "code and its tests.\n\n",
	    out);

	fputs("## 1. Controller, processors and contacts (Bên kiểm soát, bên xử lý dữ liệu cá nhân)\n\n" TODO "\n\n"
	      "- The controller (bên kiểm soát dữ liệu cá nhân): name, address, legal representative.\n"
	      "- The operator of this vault, and any processor (bên xử lý dữ liệu cá nhân), with their contracts.\n"
	      "- The department or person in charge of personal data protection, and how citizens reach them.\n\n",
	    out);
	fprintf(out, "Generated: vault `%s`; %zu agencies registered as recipients (section 5).\n\n", jstr(doc, "vault_id"),
	    json_array_size(json_object_get(doc, "agencies")));

}

/* Section 2: the purposes and their legal bases. */
static void dpia_section_purposes(FILE *out, const json_t *doc, int64_t from, int64_t to)
{
	fputs("## 2. Processing activities, purposes and legal bases (Hoạt động xử lý, mục đích, cơ sở pháp lý)\n\n",
	    out);
	fputs("Every purpose registered in the vault. A lookup is allowed only for a registered purpose, on its\n"
	      "basis: `consent` needs the citizen's consent in force; `legal_obligation` needs no consent and\n"
	      "must cite its legal reference; `vital_interest` needs the emergency role, a justification per\n"
	      "lookup, and goes to the officers' review queue. Lookup counts: ",
	    out);
	md_period(out, from, to);
	fputs(".\n\n", out);
	if (json_array_size(json_object_get(doc, "agencies")) == 0)
		fputs("No agency is registered yet.\n\n", out);
	else
		dpia_purposes(out, doc);
	fputs(TODO " for each purpose: why the processing is necessary and proportionate, and why no less\n"
	      "intrusive means (fewer fields, masked views, shorter consents) would do.\n\n",
	    out);

}

/* Sections 3 and 4: the data processed (the catalog) and the data subjects. */
static void dpia_section_data(vault *v, FILE *out, const json_t *doc)
{
	const json_t *look = json_object_get(doc, "lookups");

	fputs("## 3. Personal data processed (Loại dữ liệu cá nhân được xử lý)\n\n"
	      "The vault's field catalog: each field's category (basic or sensitive), its masked view, and the\n"
	      "purposes that may receive it. A purpose may receive only catalog fields; a consent covers only the\n"
	      "fields the citizen approved one by one.\n\n",
	    out);
	dpia_catalog(v, out, doc);

	fprintf(out,
	    "## 4. Data subjects and scale (Chủ thể dữ liệu)\n\n"
	    "- Citizens enrolled: %lld.\n- Lookups in the period: %lld allowed, %lld denied.\n"
	    "- Emergency accesses awaiting an officer's review: %lld.\n\n" TODO
	    " who the citizens are, how they were informed before their enrolment, and whether children's data or\n"
	    "other special situations are processed.\n\n",
	    jint(doc, "citizens"), jint(look, "allowed"), jint(look, "denied"), jint(doc, "emergency_accesses_awaiting_review"));

}

/* Sections 5 and 6: the recipients, and retention. */
static void dpia_section_recipients(FILE *out, const json_t *doc)
{
	const json_t *a;
	size_t i;

	fputs("## 5. Recipients and transfers (Bên nhận dữ liệu; chuyển dữ liệu)\n\n", out);
	if (json_array_size(json_object_get(doc, "agencies")) == 0)
		fputs("No agency is registered yet.\n", out);
	else
		fputs("| agency | roles | status | purposes |\n|---|---|---|---|\n", out);
	json_array_foreach(json_object_get(doc, "agencies"), i, a) {
		const json_t *p;
		size_t j;

		fputs("| ", out);
		md(out, jstr(a, "name"));
		fprintf(out, " (`%s`) | ", jstr(a, "id"));
		md_roles(out, json_object_get(a, "roles"));
		fprintf(out, " | %s | ", jstr(a, "status"));
		json_array_foreach(json_object_get(a, "purposes"), j, p)
			fprintf(out, "%s`%s`", j ? ", " : "", jstr(p, "code"));
		fprintf(out, "%s |\n", json_array_size(json_object_get(a, "purposes")) ? "" : "none");
	}
	fputs("\nvaultd has no feature that transfers data abroad. " TODO " whether any recipient, processor or\n"
	      "hosting is outside Viet Nam, and the transfer assessment that needs.\n\n",
	    out);

	fprintf(out,
	    "## 6. Retention and deletion (Thời hạn lưu trữ, xóa dữ liệu)\n\n"
	    "- Records: kept until erased (`DELETE /v1/citizens/{citizen_id}` by the registrar, or"
	    " `vaultctl erase`).\n"
	    "- Consents and consent requests: deleted `retention_days` after they end, per purpose (section 2), by"
	    " the retention sweep `vaultd` runs every 30 seconds; pending requests expire after %d days.\n"
	    "- Sessions: 15 minutes. The audit log: kept without limit (its entries hold field names and ids, no"
	    " values).\n"
	    "- docs/privacy/retention.md lists every table.\n\n" TODO
	    " whether these periods match the law and each agency's own rules, and how long backups are kept.\n\n",
	    POLICY_REQUEST_TTL / 86400);

}

/* Section 8: the risks the registry shows, and those of the system itself. */
static void dpia_section_risks(FILE *out, const json_t *doc)
{
	fputs("## 8. Risks and their mitigation (Rủi ro và biện pháp giảm thiểu)\n\n"
	      "From the registry:\n\n",
	    out);
	dpia_flags(out, doc);
	fputs("Residual risks of the system itself (docs/privacy/threat-model.md explains each one):\n\n"
	      "- Whoever holds the root key (or the key file on the data disk, where `vaultctl init` puts it by\n"
	      "  default) can decrypt everything, outside the audit log.\n"
	      "- The audit log's checkpoints are signed with a key from the vault's own keyring: tampering by\n"
	      "  someone holding the root key is caught only against checkpoints kept outside the vault.\n"
	      "- Backups taken before an erasure keep the erased record and open with the root key of their day,\n"
	      "  whatever the live vault did since; only deleting them, or a rekey and destroying the old root\n"
	      "  key, puts them out of reach.\n"
	      "- TOTP guessing: 5 tries per 15 minutes per identity is slowed, not stopped; a patient attacker\n"
	      "  who knows a national ID has a small chance per day.\n"
	      "- Agency and admin tokens do not expire by themselves: a leaked one lasts until it is revoked or\n"
	      "  rotated (`POST /v1/agencies/{id}/tokens`, `vaultctl admin-token rotate`), so it must be noticed.\n"
	      "- A `legal_obligation` purpose is trusted as registered: the vault cannot check its legal reference.\n"
	      "- No command rotates the blind-index, token, pseudonym or signing keys, or re-encrypts fields\n"
	      "  under new data keys.\n\n" TODO
	      " the likelihood and severity of each risk, the measures decided, and who accepts what remains.\n\n",
	    out);

}

/* Sections 9 and 10: the data subjects' rights, and the conclusion (to complete). */
static void dpia_section_rights(FILE *out)
{
	fputs("## 9. Data subjects' rights (Quyền của chủ thể dữ liệu)\n\n"
	      "How each right is exercised here (docs/privacy/data-subject-rights.md has the details and the\n"
	      "deadlines):\n\n"
	      "| right | how |\n|---|---|\n"
	      "| to be informed (quyền được biết) | `GET /v1/me/consent-requests` (agency, purpose, basis, fields and their category); signed receipt on approval; `GET /v1/me/access-log` |\n"
	      "| to consent (quyền đồng ý) | `POST /v1/me/consent-requests/{id}/approve` with a fresh TOTP code, for a subset of fields; `.../deny` |\n"
	      "| to access (quyền truy cập) | `GET /v1/me` |\n"
	      "| to withdraw consent (quyền rút lại sự đồng ý) | `DELETE /v1/me/consents/{id}` |\n"
	      "| to deletion (quyền xóa dữ liệu) | on request, by the registrar (`DELETE /v1/citizens/{citizen_id}`) or the operator (`vaultctl erase`); no self-service route |\n"
	      "| to restrict processing (quyền hạn chế xử lý) | `PUT /v1/me/restriction` (consent-based processing only) |\n"
	      "| to receive one's data (quyền yêu cầu cung cấp dữ liệu) | `GET /v1/me` returns the record as JSON; no other export format |\n"
	      "| to object (quyền phản đối) | outside the API |\n"
	      "| to complain (quyền khiếu nại, tố cáo, khởi kiện) | outside the API |\n\n" TODO
	      " the contact and procedure for requests made outside the API, and who answers them within the\n"
	      "legal deadline.\n\n",
	    out);

	fputs("## 10. Conclusion, approval and review (Kết luận, phê duyệt)\n\n" TODO "\n\n"
	      "- Conclusion of the assessment, and the date.\n- Name, position and signature of the approver.\n"
	      "- When this dossier is reviewed again (and after any change to the registry: run `vaultctl dpia`\n"
	      "  again and compare).\n",
	    out);
}

static int dpia_markdown(vault *v, FILE *out, const json_t *doc, int passphrase, int64_t from, int64_t to,
    util_err *err)
{
	dpia_facts facts;

	dpia_intro(out, doc);
	dpia_section_purposes(out, doc, from, to);
	dpia_section_data(v, out, doc);
	dpia_section_recipients(out, doc);
	fputs("## 7. Security measures in force (Biện pháp bảo vệ dữ liệu cá nhân)\n\n", out);
	if (dpia_facts_read(v, passphrase, &facts, err) != 0)
		return -1;
	dpia_security_storage(out, &facts);
	dpia_security_access(out, &facts);
	fputs(TODO " organisational measures: who holds the root key and the admin token, staff training,\n"
	      "access to the servers, incident response (docs/privacy/breach-runbook.md).\n\n",
	    out);

	dpia_section_risks(out, doc);
	dpia_section_rights(out);
	return 0;
}

/* ---- entry points ---- */

static int finish(FILE *out, util_err *err)
{
	if (fflush(out) != 0 || ferror(out))
		return util_fail(err, UTIL_EIO, "cannot write the report");
	return 0;
}

int ctl_ropa(vault *v, int json, int64_t from, int64_t to, FILE *out, util_err *err)
{
	json_t *doc = ctl_report_model(v, from, to, err);
	int rc;

	if (doc == NULL)
		return -1;
	if (json) {
		rc = json_dumpf(doc, out, JSON_INDENT(2)) == 0 && fputc('\n', out) != EOF ? 0 : -1;
		if (rc != 0)
			util_fail(err, UTIL_EIO, "cannot write the report");
	} else {
		ropa_markdown(out, doc, from, to);
		rc = 0;
	}
	json_decref(doc);
	return rc == 0 ? finish(out, err) : -1;
}

int ctl_dpia(vault *v, int passphrase, int64_t from, int64_t to, FILE *out, util_err *err)
{
	json_t *doc = ctl_report_model(v, from, to, err);
	int rc;

	if (doc == NULL)
		return -1;
	rc = dpia_markdown(v, out, doc, passphrase, from, to, err);
	json_decref(doc);
	return rc == 0 ? finish(out, err) : -1;
}
