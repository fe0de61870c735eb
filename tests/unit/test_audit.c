/* test_audit.c: the audit log: tampering of each kind detected, proofs, export, group commit, kill -9. */
#include "support.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "../../audit/audit.h"
#include "../../vault/sqlite.h"

typedef test_vault fixture;

static void must(int rc, const util_err *err, const char *what)
{
	if (rc != 0)
		fail_msg("%s: %s", what, err->msg);
}

/* Appends n lookup entries for a made-up citizen, one transaction each (audit_record). */
static void fill(vault *v, int n)
{
	static const char *const fields[] = {"full_name", "phone"};
	unsigned char cid[16] = {0xc1, 0xd2};
	util_err err;
	int i;

	for (i = 0; i < n; i++) {
		audit_entry e = {.actor = "agency:ag_test", .action = "lookup", .cid = cid, .agency_id = "ag_test",
			.purpose_id = "pu_test", .fields = fields, .nfields = 2, .decision = i % 3 ? "allow" : "deny",
			.reason = i % 3 ? "ok" : "no_consent", .basis = "consent"};

		if (audit_record(v, &e, NULL, &err) != 0)
			fail_msg("audit_record: %s", err.msg);
	}
}

static void sql(vault *v, const char *q)
{
	char *msg = NULL;

	if (sqlite3_exec(vault_sql_db(v), q, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", q, msg);
}

static audit_report verify(vault *v)
{
	audit_report r;
	util_err err;

	if (audit_verify(v, &r, &err) != 0)
		fail_msg("audit_verify: %s", err.msg);
	return r;
}

static void test_entries_name_fields_never_values(void **state)
{
	fixture *f = *state;
	char buf[AUDIT_ENTRY_MAX];
	size_t n;
	util_err err;

	fill(f->v, 1);
	assert_int_equal(audit_entry_get(f->v, 0, buf, &n, &err), 0);
	/* canonical: sorted keys, compact; the time varies, so the text up to it is pinned */
	assert_true(strncmp(buf, "{\"action\":\"lookup\",\"actor\":\"agency:ag_test\",\"agency\":\"ag_test\","
	                         "\"basis\":\"consent\",\"citizen\":\"c1d20000000000000000000000000000\","
	                         "\"decision\":\"deny\",\"fields\":[\"full_name\",\"phone\"],\"purpose\":\"pu_test\","
	                         "\"reason\":\"no_consent\",\"seq\":0,\"time\":",
	                n > 200 ? 210 : n) == 0);
	assert_non_null(strstr(buf, "\"fields\":[\"full_name\",\"phone\"]"));
	assert_non_null(strstr(buf, "\"seq\":0,"));
}

/* An entry's bytes are what the log has always stored, jansson's canonical form: known answers. */
static void test_entry_encoding_known_answers(void **state)
{
	static const unsigned char cid[KEYS_CID_BYTES] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
	static const char *const fields[] = {"full_name", "phone"};
	audit_entry all = {.time = 1767225600, .actor = "agency:ag_1", .action = "lookup", .cid = cid,
		.agency_id = "ag_1", .purpose_id = "pu_1", .fields = fields, .nfields = 2, .decision = "allow",
		.reason = "ok", .basis = "consent", .justification = "j", .consent_id = "co_1", .note = "n"};
	/* every character jansson escapes, DEL and '/' that it does not, and UTF-8 as it is */
	audit_entry odd = {.time = -5, .actor = "agency:ag_1", .action = "lookup",
		.note = "\"\\\b\f\n\r\t\x01\x1f\x7f/\xc3\xa9\xf0\x9f\x98\x80"};
	char out[AUDIT_ENTRY_MAX];
	size_t n;
	util_err err;

	(void)state;
	must(audit_entry_encode(&all, 7, 99, out, &n, &err), &err, "encode");
	assert_string_equal(out, "{\"action\":\"lookup\",\"actor\":\"agency:ag_1\",\"agency\":\"ag_1\",\"basis\":\"consent\","
	                         "\"citizen\":\"0123456789abcdef0000000000000000\",\"consent\":\"co_1\","
	                         "\"decision\":\"allow\",\"fields\":[\"full_name\",\"phone\"],\"justification\":\"j\","
	                         "\"note\":\"n\",\"purpose\":\"pu_1\",\"reason\":\"ok\",\"seq\":7,\"time\":1767225600}");
	assert_int_equal(n, strlen(out));
	must(audit_entry_encode(&odd, 41, 99, out, &n, &err), &err, "encode");
	assert_string_equal(out, "{\"action\":\"lookup\",\"actor\":\"agency:ag_1\",\"note\":\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001"
	                         "\\u001F\x7f/\xc3\xa9\xf0\x9f\x98\x80\",\"seq\":41,\"time\":-5}");
	odd.time = 0; /* none: now */
	must(audit_entry_encode(&odd, 0, 99, out, &n, &err), &err, "encode");
	assert_non_null(strstr(out, "\"seq\":0,\"time\":99}"));
}

static void test_entry_encoding_refuses_what_jansson_refused(void **state)
{
	static const char *const bad_utf8[] = {"\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80", "ok\xe2\x82"};
	const char *fields[2] = {"full_name", NULL};
	audit_entry e = {.actor = "operator", .action = "record.read"};
	char out[AUDIT_ENTRY_MAX], *note = malloc(AUDIT_ENTRY_MAX);
	size_t i, n, base;
	util_err err;

	(void)state;
	for (i = 0; i < sizeof bad_utf8 / sizeof *bad_utf8; i++) {
		e.note = bad_utf8[i];
		assert_int_equal(audit_entry_encode(&e, 1, 1, out, &n, &err), -1);
		assert_int_equal(err.code, UTIL_ENOMEM);
		assert_non_null(strstr(err.msg, "bad UTF-8"));
	}
	e.note = NULL;
	e.fields = fields;
	e.nfields = 2; /* a NULL name */
	assert_int_equal(audit_entry_encode(&e, 1, 1, out, &n, &err), -1);
	assert_int_equal(err.code, UTIL_ENOMEM);
	e.nfields = 0;
	e.actor = NULL;
	assert_int_equal(audit_entry_encode(&e, 1, 1, out, &n, &err), -1);
	assert_int_equal(err.code, UTIL_EINVAL);
	/* the largest entry is AUDIT_ENTRY_MAX - 2 bytes, as json_dumpb into AUDIT_ENTRY_MAX - 1 allowed */
	e.actor = "operator";
	e.note = "";
	must(audit_entry_encode(&e, 1, 1, out, &base, &err), &err, "encode");
	memset(note, 'x', AUDIT_ENTRY_MAX - 2 - base);
	note[AUDIT_ENTRY_MAX - 2 - base] = '\0';
	e.note = note;
	must(audit_entry_encode(&e, 1, 1, out, &n, &err), &err, "the largest entry");
	assert_int_equal(n, AUDIT_ENTRY_MAX - 2);
	note[AUDIT_ENTRY_MAX - 2 - base] = 'x';
	note[AUDIT_ENTRY_MAX - 1 - base] = '\0';
	assert_int_equal(audit_entry_encode(&e, 1, 1, out, &n, &err), -1);
	assert_int_equal(err.code, UTIL_EINVAL);
	memset(note, '"', AUDIT_ENTRY_MAX - 2); /* escaped, twice the size */
	note[AUDIT_ENTRY_MAX - 2] = '\0';
	assert_int_equal(audit_entry_encode(&e, 1, 1, out, &n, &err), -1);
	assert_int_equal(err.code, UTIL_EINVAL);
	free(note);
}

/* The verifier reads an entry by hand only in the exact form it is written; else jansson does. */
static void test_entry_scan_takes_only_the_canonical_form(void **state)
{
	static const struct {
		const char *in;
		int scanned;
		long long seq;
		const char *citizen;
	} cases[] = {
	    {"{\"action\":\"a\",\"citizen\":\"0123456789abcdef0123456789abcdef\",\"seq\":12,\"time\":1}", 1, 12,
	        "0123456789abcdef0123456789abcdef"},
	    {"{\"action\":\"a\",\"fields\":[],\"note\":\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001F/\xc3\xa9\",\"seq\":0}", 1, 0, ""},
	    {"{\"citizen\":\"short\",\"fields\":[\"x\",\"y\"],\"seq\":999999999999999999}", 1, 999999999999999999LL, ""},
	    {"{\"citizen\":7,\"seq\":3}", 1, 3, ""},
	    /* valid JSON, but not as written: left to jansson */
	    {"{ \"seq\":1}", 0, 0, ""},
	    {"{\"seq\":1} ", 0, 0, ""},
	    {"{\"time\":1,\"seq\":1}", 0, 0, ""},              /* keys out of order */
	    {"{\"seq\":1,\"seq\":2}", 0, 0, ""},               /* twice */
	    {"{\"s\\u0065q\":1}", 0, 0, ""},                   /* an escape in a key */
	    {"{\"seq\":\"1\"}", 0, 0, ""},                     /* a string */
	    {"{\"seq\":-1,\"time\":-20}", 1, -1, ""},
	    {"{\"seq\":-0}", 0, 0, ""},
	    {"{\"seq\":1,\"time\":-}", 0, 0, ""},
	    {"{\"seq\":1.0}", 0, 0, ""},
	    {"{\"seq\":1e3}", 0, 0, ""},
	    {"{\"seq\":1234567890123456789}", 0, 0, ""},       /* 19 digits */
	    {"{\"note\":\"\\/\",\"seq\":1}", 0, 0, ""},        /* an escape it never writes */
	    {"{\"note\":\"\\u001f\",\"seq\":1}", 0, 0, ""},    /* in lower case */
	    {"{\"note\":\"\\u0008\",\"seq\":1}", 0, 0, ""},    /* \b, \t, \n, \f, \r are written short */
	    {"{\"note\":\"\\u0009\",\"seq\":1}", 0, 0, ""},
	    {"{\"note\":\"\\u000A\",\"seq\":1}", 0, 0, ""},
	    {"{\"note\":\"\\u000C\",\"seq\":1}", 0, 0, ""},
	    {"{\"note\":\"\\u000D\",\"seq\":1}", 0, 0, ""},
	    {"{\"note\":\"\\u000B\\u001B\",\"seq\":1}", 1, 1, ""}, /* but these are not */
	    {"{\"note\":\"\\u0041\",\"seq\":1}", 0, 0, ""},
	    {"{\"citizen\":\"\\u0030123456789abcdef0123456789abcde\",\"seq\":1}", 0, 0, ""},
	    {"{\"note\":{},\"seq\":1}", 0, 0, ""},
	    {"{\"note\":null,\"seq\":1}", 0, 0, ""},
	    {"{\"fields\":[1],\"seq\":1}", 0, 0, ""},
	    {"{\"action\":\"a\"}", 0, 0, ""},                  /* no number */
	    /* not JSON at all */
	    {"{\"seq\":01}", 0, 0, ""},
	    {"{\"note\":\"\\u0000\",\"seq\":1}", 0, 0, ""},
	    {"{\"note\":\"\x01\",\"seq\":1}", 0, 0, ""},
	    {"{\"note\":\"\xc0\x80\",\"seq\":1}", 0, 0, ""},
	    {"{\"note\":\"x,\"seq\":1}", 0, 0, ""},
	    {"{\"seq\":1", 0, 0, ""},
	    {"{\"seq\":1}}", 0, 0, ""},
	    {"", 0, 0, ""},
	};
	char citizen[2 * KEYS_CID_BYTES + 1];
	int64_t seq;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		int got = audit_entry_scan(cases[i].in, strlen(cases[i].in), &seq, citizen);

		if (got != cases[i].scanned)
			fail_msg("case %zu (%s): scanned %d", i, cases[i].in, got);
		if (got && seq != cases[i].seq)
			fail_msg("case %zu: seq %lld", i, (long long)seq);
		assert_string_equal(citizen, cases[i].citizen);
		if (got) { /* and jansson reads the same, and writes it back the same */
			json_t *o = json_loads(cases[i].in, JSON_REJECT_DUPLICATES, NULL);
			const char *c;
			char again[256];
			size_t m;

			assert_non_null(o);
			assert_int_equal(json_integer_value(json_object_get(o, "seq")), seq);
			c = json_string_length(json_object_get(o, "citizen")) == 2 * KEYS_CID_BYTES
			        ? json_string_value(json_object_get(o, "citizen"))
			        : "";
			assert_string_equal(c, citizen);
			m = json_dumpb(o, again, sizeof again - 1, JSON_SORT_KEYS | JSON_COMPACT);
			assert_true(m < sizeof again);
			again[m] = '\0';
			assert_string_equal(again, cases[i].in);
			json_decref(o);
		}
	}
	assert_int_equal(audit_entry_scan(NULL, 0, &seq, citizen), 0); /* an empty blob, from SQLite */
	assert_string_equal(citizen, "");
}

/* Counts the entries a search hands over, and keeps the last one's number. */
static int count_entry(void *arg, int64_t seq, const void *entry, size_t len, util_err *err)
{
	int64_t *c = arg;

	(void)err;
	assert_non_null(entry);
	assert_true(len > 0);
	c[0]++;
	c[1] = seq;
	return 0;
}

/* The officers' search: its filters, its pages; and which entries are about whom. */
static void test_search_filters_and_pages(void **state)
{
	fixture *f = *state;
	unsigned char cid[16] = {0xc1, 0xd2}, other[16] = {0x01};
	audit_query q = {.after = -1, .from = 0, .to = INT64_MAX, .limit = 100};
	int64_t c[2] = {0, -1};
	util_err err;
	int more, about;

	fill(f->v, 9); /* entries 0..8: 0, 3, 6 denied */
	must(audit_search(f->v, &q, count_entry, c, &more, &err), &err, "search");
	assert_int_equal(c[0], 9);
	assert_false(more);
	q.decision = "deny";
	c[0] = 0;
	must(audit_search(f->v, &q, count_entry, c, &more, &err), &err, "search deny");
	assert_int_equal(c[0], 3);
	q.decision = NULL;
	q.agency_id = "ag_other";
	c[0] = 0;
	must(audit_search(f->v, &q, count_entry, c, &more, &err), &err, "search agency");
	assert_int_equal(c[0], 0);
	q.agency_id = NULL;
	q.limit = 4;
	c[0] = 0;
	must(audit_search(f->v, &q, count_entry, c, &more, &err), &err, "page 1");
	assert_int_equal(c[0], 4);
	assert_true(more);
	q.after = c[1];
	c[0] = 0;
	must(audit_search(f->v, &q, count_entry, c, &more, &err), &err, "page 2");
	assert_int_equal(c[0], 4);
	assert_true(more);
	q.after = c[1];
	c[0] = 0;
	must(audit_search(f->v, &q, count_entry, c, &more, &err), &err, "page 3");
	assert_int_equal(c[0], 1);
	assert_false(more);
	must(audit_entry_is_about(f->v, 2, cid, &about, &err), &err, "about");
	assert_true(about);
	must(audit_entry_is_about(f->v, 2, other, &about, &err), &err, "about other");
	assert_false(about);
	must(audit_entry_is_about(f->v, 99, cid, &about, &err), &err, "no such entry");
	assert_false(about);
}

static void test_clean_log_verifies(void **state)
{
	fixture *f = *state;
	audit_report r;

	r = verify(f->v); /* empty */
	assert_true(r.ok);
	fill(f->v, 2500);
	r = verify(f->v);
	if (!r.ok)
		fail_msg("clean log: %s (entry %lld)", r.problem, (long long)r.first_bad);
	assert_int_equal(r.entries, 2500);
	assert_int_equal(r.head_size, 2500);
	assert_true(r.checkpoints >= 2); /* every 1000 entries */
}

static void test_edit_detected_at_the_entry(void **state)
{
	fixture *f = *state;
	audit_report r;

	fill(f->v, 1500);
	sql(f->v, "UPDATE audit_entries SET entry = replace(entry, '\"allow\"', '\"deny\"') WHERE seq = 1234");
	r = verify(f->v);
	assert_false(r.ok);
	assert_int_equal(r.first_bad, 1234);
	sql(f->v, "UPDATE audit_entries SET entry = X'' WHERE seq = 1000"); /* SQLite reads it as NULL */
	r = verify(f->v);
	assert_false(r.ok);
	assert_int_equal(r.first_bad, 1000);
}

static void test_edit_with_rehashed_tree_detected_by_checkpoints(void **state)
{
	fixture *f = *state;
	char buf[AUDIT_ENTRY_MAX], q[AUDIT_ENTRY_MAX + 200];
	audit_hash leaf;
	size_t n;
	util_err err;
	audit_report r;

	fill(f->v, 1500);
	/* a forger who edits entry 700 and also rewrites its stored leaf hash (but cannot sign) */
	assert_int_equal(audit_entry_get(f->v, 700, buf, &n, &err), 0);
	memcpy(strstr(buf, "\"allow\"") ? strstr(buf, "\"allow\"") : strstr(buf, "\"deny\""), "\"DENY\"", 6);
	leaf = audit_leaf_hash((const unsigned char *)buf, n);
	{
		char hex[65];

		util_hex_encode(hex, leaf.b, 32);
		snprintf(q, sizeof q, "UPDATE audit_entries SET entry = CAST('%s' AS BLOB) WHERE seq = 700;"
		                      "UPDATE audit_hashes SET hash = x'%s' WHERE idx = %lld",
		    buf, hex, (long long)audit_stored_hash_index(0, 700));
	}
	sql(f->v, q);
	r = verify(f->v);
	assert_false(r.ok);
	/* the parent hashes no longer match, or the checkpoint at 1000 does: 700 is in range */
	assert_true(r.first_bad >= 700 && (r.bad_from < 0 || r.bad_from <= 700));
}

static void test_delete_detected(void **state)
{
	fixture *f = *state;
	audit_report r;

	fill(f->v, 300);
	sql(f->v, "DELETE FROM audit_entries WHERE seq = 117");
	r = verify(f->v);
	assert_false(r.ok);
	assert_int_equal(r.first_bad, 117);
}

static void test_swap_detected(void **state)
{
	fixture *f = *state;
	audit_report r;

	fill(f->v, 300);
	sql(f->v, "UPDATE audit_entries SET seq = -1 WHERE seq = 41; UPDATE audit_entries SET seq = 41 WHERE seq = 40;"
	          "UPDATE audit_entries SET seq = 40 WHERE seq = -1");
	r = verify(f->v);
	assert_false(r.ok);
	assert_int_equal(r.first_bad, 40);
}

static void test_insert_detected(void **state)
{
	fixture *f = *state;
	audit_report r;

	fill(f->v, 300);
	/* make room at 200 by shifting the tail up, then put a forged entry there */
	sql(f->v, "UPDATE audit_entries SET seq = -seq - 1000 WHERE seq >= 200;"
	          "UPDATE audit_entries SET seq = -seq - 1000 + 1 WHERE seq < -999;"
	          "INSERT INTO audit_entries(seq, time, action, entry) VALUES (200, 0, 'lookup',"
	          " CAST('{\"action\":\"lookup\",\"actor\":\"operator\",\"seq\":200,\"time\":0}' AS BLOB))");
	r = verify(f->v);
	assert_false(r.ok);
	assert_int_equal(r.first_bad, 200);
}

static void test_truncate_detected(void **state)
{
	fixture *f = *state;
	audit_report r;

	fill(f->v, 1300);
	/* the tail after the last stored checkpoint, with its hashes: only the signed head knows */
	sql(f->v, "DELETE FROM audit_entries WHERE seq >= 1250");
	sql(f->v, "DELETE FROM audit_hashes WHERE idx >= (SELECT min(idx) FROM audit_hashes) + 2498");
	r = verify(f->v);
	assert_false(r.ok);
	assert_int_equal(r.first_bad, 1250);
}

static void test_inclusion_and_consistency_proofs(void **state)
{
	fixture *f = *state;
	char note[AUDIT_CHECKPOINT_MAX], buf[AUDIT_ENTRY_MAX];
	audit_checkpoint c, c2;
	audit_hash proof[AUDIT_MAX_PROOF], leaf, root_small;
	unsigned char pk[32];
	size_t len, n;
	util_err err;
	int64_t i;

	fill(f->v, 1100);
	assert_int_equal(audit_latest_checkpoint(f->v, note, &c, &err), 0);
	assert_int_equal(c.size, 1001); /* the first entry is checkpointed at once, then every 1000 */
	vault_public_key(f->v, pk);
	for (i = 0; i < c.size; i += 97) {
		assert_int_equal(audit_entry_get(f->v, i, buf, &n, &err), 0);
		leaf = audit_leaf_hash((const unsigned char *)buf, n);
		assert_int_equal(audit_inclusion(f->v, i, c.size, proof, &len, &err), 0);
		assert_int_equal(audit_verify_inclusion(i, c.size, &leaf, proof, len, &c.root), 0);
		/* the same proof does not prove another entry, nor against another root */
		assert_int_not_equal(audit_verify_inclusion(i + 1, c.size, &leaf, proof, len, &c.root), 0);
		leaf.b[0] ^= 1;
		assert_int_not_equal(audit_verify_inclusion(i, c.size, &leaf, proof, len, &c.root), 0);
	}
	/* a witness who kept the 1000 checkpoint checks the log only grew */
	assert_int_equal(audit_seal(f->v, 1, &err), 0);
	assert_int_equal(audit_latest_checkpoint(f->v, note, &c2, &err), 0);
	assert_int_equal(c2.size, 1100);
	assert_int_equal(audit_consistency(f->v, c.size, c2.size, proof, &len, &err), 0);
	assert_int_equal(audit_verify_consistency(c.size, c2.size, &c.root, &c2.root, proof, len), 0);
	root_small = c.root;
	root_small.b[5] ^= 1;
	assert_int_not_equal(audit_verify_consistency(c.size, c2.size, &root_small, &c2.root, proof, len), 0);
	assert_int_equal(audit_consistency(f->v, 5, 2000, proof, &len, &err), -1); /* beyond the log */
}

static void test_export_verifies_with_public_key_only(void **state)
{
	fixture *f = *state;
	char *path = test_path(f->dir, "export.jsonl");
	unsigned char pk[32], other[32], sk[64];
	audit_report r;
	util_err err;
	FILE *out, *in;
	size_t n;
	unsigned char *text;

	fill(f->v, 1200);
	vault_public_key(f->v, pk);
	assert_non_null(out = fopen(path, "w"));
	assert_int_equal(audit_export(f->v, out, &err), 0);
	fclose(out);
	assert_non_null(in = fopen(path, "r"));
	assert_int_equal(audit_verify_export(in, pk, &r, &err), 0);
	fclose(in);
	assert_true(r.ok);
	assert_int_equal(r.entries, 1200);
	/* another key: the signatures do not verify */
	crypto_sign_ed25519_keypair(other, sk);
	assert_non_null(in = fopen(path, "r"));
	assert_int_equal(audit_verify_export(in, other, &r, &err), 0);
	fclose(in);
	assert_false(r.ok);
	/* an edited entry in the file */
	text = test_read_file(path, &n);
	{
		char *p = strstr((char *)text, "no_consent");

		assert_non_null(p);
		memcpy(p, "ok_consent", 10);
	}
	test_write_file(path, text, n);
	free(text);
	assert_non_null(in = fopen(path, "r"));
	assert_int_equal(audit_verify_export(in, pk, &r, &err), 0);
	fclose(in);
	assert_false(r.ok);
	assert_true(r.first_bad >= 0); /* an entry, or the end of a range, is named */
	free(path);
}

/* ---- group commit ---- */

typedef struct worker {
	audit_writer *w;
	int n, failed;
} worker;

static void *append_many(void *arg)
{
	worker *k = arg;
	util_err err;
	int i;

	for (i = 0; i < k->n; i++) {
		audit_entry e = {.actor = "agency:ag_x", .action = "lookup", .decision = "allow"};
		int64_t seq;

		if (audit_writer_append(k->w, &e, &seq, &err) != 0)
			k->failed++;
	}
	return NULL;
}

static void test_group_commit_batches(void **state)
{
	fixture *f = *state;
	audit_writer *w = NULL;
	audit_writer_stats st;
	pthread_t t[8];
	worker k[8];
	util_err err;
	int i;

	assert_int_equal(audit_writer_start(&w, f->v, &err), 0);
	for (i = 0; i < 8; i++) {
		k[i] = (worker){.w = w, .n = 200};
		pthread_create(&t[i], NULL, append_many, &k[i]);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(k[i].failed, 0);
	}
	audit_writer_stats_get(w, &st);
	audit_writer_stop(w);
	assert_int_equal(st.entries, 1600);
	/* eight waiting callers share commits: fewer fsyncs than entries */
	assert_true(st.batches < st.entries);
	assert_true(st.max_batch > 1);
	print_message("group commit: %llu entries in %llu batches (max %llu)\n", (unsigned long long)st.entries,
	    (unsigned long long)st.batches, (unsigned long long)st.max_batch);
	assert_true(verify(f->v).ok);
}

/* Appends entries, one caller waiting on each, until *stop is set. */
typedef struct pump {
	audit_writer *w;
	volatile int *stop;
	pthread_mutex_t *mu;
	int failed;
} pump;

static void *append_until_stopped(void *arg)
{
	pump *p = arg;
	util_err err;

	for (;;) {
		audit_entry e = {.actor = "agency:ag_x", .action = "lookup", .decision = "allow"};
		int64_t seq;
		int stop;

		pthread_mutex_lock(p->mu);
		stop = *p->stop;
		pthread_mutex_unlock(p->mu);
		if (stop)
			return NULL;
		if (audit_writer_append(p->w, &e, &seq, &err) != 0)
			p->failed++;
	}
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : 0;
}

/* The frames the WAL file has room for: a 32-byte header, then frames of a page and 24 bytes. */
static long wal_file_frames(const char *path)
{
	unsigned char h[32];
	unsigned long page;
	off_t size = file_size(path);
	FILE *f = fopen(path, "rb");

	if (f == NULL || fread(h, 1, sizeof h, f) != sizeof h) {
		if (f != NULL)
			fclose(f);
		return 0;
	}
	fclose(f);
	page = util_get_u32(h + 8);
	if (page == 1)
		page = 65536;
	return page == 0 ? 0 : (long)((size - 32) / (off_t)(page + 24));
}

/*
 * Under a steady stream of batches, the checkpointer has the log's WAL start over once it
 * holds the set number of frames. The WAL file then stays as large as its largest round: a
 * small part of all the pages the batches wrote (about a tenth here; the test allows half).
 * Without restarts, the file holds every page written (SQLite starts over on its own only
 * after a checkpoint that copied every frame before the next write, which a steady stream
 * rarely leaves). Once the load stops, there is nothing more to restart, and nothing more is
 * counted.
 */
static void test_writer_restarts_its_wal_under_steady_load(void **state)
{
	fixture *f = *state;
	char *wal = test_path(f->data, "audit.db-wal");
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	volatile int stop = 0;
	audit_writer *w = NULL;
	audit_writer_stats st, idle;
	pthread_t t[8];
	pump p[8];
	long held;
	util_err err;
	int i, failed = 0;

	assert_int_equal(audit_writer_start(&w, f->v, &err), 0);
	audit_writer_set_wal_restart(w, 16);
	for (i = 0; i < 8; i++) {
		p[i] = (pump){.w = w, .stop = &stop, .mu = &mu};
		assert_int_equal(pthread_create(&t[i], NULL, append_until_stopped, &p[i]), 0);
	}
	sleep(3);
	pthread_mutex_lock(&mu);
	stop = 1;
	pthread_mutex_unlock(&mu);
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		failed += p[i].failed;
	}
	audit_writer_stats_get(w, &st);
	held = wal_file_frames(wal);
	usleep(1500 * 1000); /* six ticks of the checkpointer with nothing to write */
	audit_writer_stats_get(w, &idle);
	audit_writer_stop(w);
	print_message("wal: room for %ld frames of %llu written; %llu entries, %llu batches, %llu restarts, "
	              "%llu more idle\n",
	    held, (unsigned long long)st.wal_frames, (unsigned long long)st.entries,
	    (unsigned long long)st.batches, (unsigned long long)st.wal_restarts,
	    (unsigned long long)(idle.wal_restarts - st.wal_restarts));
	assert_int_equal(failed, 0);
	assert_true(held > 0);
	assert_true(st.wal_frames >= st.batches); /* every commit writes a frame at least */
	assert_true(st.wal_restarts >= 2);
	assert_true((uint64_t)held * 2 <= st.wal_frames);
	assert_true(idle.wal_restarts - st.wal_restarts <= 1); /* the last batches' WAL, at most */
	assert_true(verify(f->v).ok);
	free(wal);
}

/* Appends n entries inside one transaction of the caller's, as a change to vault.db would. */
static void fill_in_tx(vault *v, int n)
{
	util_err err;
	int i;

	if (vault_begin(v, &err) != 0)
		fail_msg("begin: %s", err.msg);
	for (i = 0; i < n; i++) {
		audit_entry e = {.actor = "citizen", .action = "consent.revoke", .agency_id = "ag_test"};

		if (audit_append(v, &e, NULL, &err) != 0)
			fail_msg("audit_append: %s", err.msg);
	}
	if (audit_seal(v, 0, &err) != 0 || vault_commit(v, &err) != 0)
		fail_msg("commit: %s", err.msg);
}

/*
 * The log is audit.db, attached as "audit". An entry appended in the caller's transaction
 * leaves its copy in vault.db; audit_record in a transaction of its own changes nothing there.
 */
static void test_log_lives_in_audit_db(void **state)
{
	fixture *f = *state;

	fill(f->v, 3);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM audit.audit_entries"), 3);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM main.sqlite_master WHERE name LIKE 'audit_entries'"), 0);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM main.audit_pending"), 0);
	fill_in_tx(f->v, 2);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM audit.audit_entries"), 5);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM main.audit_pending"), 2);
}

/* ---- the citizen index in runs ---- */

#define RUNS_N (2 * AUDIT_RUN_ENTRIES + 100)

/* Appends RUNS_N entries in one transaction: citizen A every 1000th from 7, no citizen every
 * 5th, citizen B otherwise. */
static void fill_runs(vault *v)
{
	static const unsigned char a[16] = {0xaa}, b[16] = {0xbb};
	int64_t appended, unreadable;
	util_err err;
	int i, mine;

	must(vault_tx_begin(v, &mine, &err), &err, "begin");
	for (i = 0; i < RUNS_N; i++) {
		audit_entry e = {.actor = "agency:ag_test", .action = "lookup", .agency_id = "ag_test",
			.cid = i % 1000 == 7 ? a : i % 5 == 0 ? NULL : b, .decision = "allow"};

		must(audit_append(v, &e, NULL, &err), &err, "append");
	}
	must(audit_seal(v, 1, &err), &err, "seal");
	must(vault_tx_end(v, mine, 1, &err), &err, "commit");
	must(audit_settle(v, &appended, &unreadable, &err), &err, "settle");
}

typedef struct seqs {
	int64_t seq[64];
	int n, max;
} seqs;

static int take_seq(void *arg, int64_t seq, const char *action, const void *entry, size_t len)
{
	seqs *s = arg;

	assert_string_equal(action, "lookup");
	assert_non_null(memmem(entry, len, "\"seq\":", 6));
	s->seq[s->n++] = seq;
	return s->n == s->max;
}

/* Citizen A's entries, newest first, exactly: 7, 1007, ... below RUNS_N. */
static void expect_history_of_a(vault *v)
{
	static const unsigned char a[16] = {0xaa};
	seqs s = {.max = 64};
	util_err err;
	int i, want = (RUNS_N - 7 + 999) / 1000;

	must(audit_history(v, a, take_seq, &s, &err), &err, "history");
	assert_int_equal(s.n, want);
	for (i = 0; i < s.n; i++)
		assert_true(s.seq[i] == 7 + 1000 * (int64_t)(want - 1 - i));
}

/*
 * A run is written, sorted, with the entry that ends it; the entries after the last run are
 * read from the log itself; history reads both, newest first, and stops when told.
 */
static void test_citizen_history_across_runs(void **state)
{
	static const unsigned char a[16] = {0xaa};
	fixture *f = *state;
	sqlite3 *db = vault_sql_db(f->v);
	seqs s = {.max = 3};
	util_err err;
	int mine;

	fill_runs(f->v);
	assert_int_equal(test_sql_int(db, "SELECT upto FROM audit_runs_head"), 2 * AUDIT_RUN_ENTRIES);
	assert_int_equal(test_sql_int(db, "SELECT count(DISTINCT run) FROM audit_runs"), 2);
	assert_int_equal(test_sql_int(db, "SELECT count(*) FROM audit_runs"),
	    test_sql_int(db, "SELECT count(*) FROM audit_entries WHERE cid IS NOT NULL AND seq < 16384"));
	/* no index keyed by citizen is kept entry by entry (the officers' indexes by time name no citizen) */
	assert_int_equal(test_sql_int(db, "SELECT count(*) FROM audit.sqlite_master WHERE type = 'index'"
	                                  " AND tbl_name = 'audit_entries' AND (sql IS NULL OR sql LIKE '%cid%')"),
	    0);
	expect_history_of_a(f->v);
	must(audit_history(f->v, a, take_seq, &s, &err), &err, "history");
	assert_int_equal(s.n, 3);
	assert_true(s.seq[0] == 16007 && s.seq[2] == 14007);

	/* runs an older program never wrote: read from the log meanwhile, written when caught up */
	sql(f->v, "DELETE FROM audit_runs; DELETE FROM audit_runs_head");
	expect_history_of_a(f->v);
	must(vault_tx_begin(f->v, &mine, &err), &err, "begin");
	must(audit_runs_catch_up(f->v, RUNS_N, &err), &err, "catch up");
	must(vault_tx_end(f->v, mine, 1, &err), &err, "commit");
	assert_int_equal(test_sql_int(db, "SELECT upto FROM audit_runs_head"), 2 * AUDIT_RUN_ENTRIES);
	assert_int_equal(test_sql_int(db, "SELECT count(DISTINCT run) FROM audit_runs"), 2);
	expect_history_of_a(f->v);
	assert_true(verify(f->v).ok);
}

/*
 * The citizen index is checked by audit verify: a run row deleted, or an entry's citizen
 * column changed (either would hide an entry from a citizen's access log), is reported,
 * although the entries and their tree are intact.
 */
/* Applies change in a savepoint, expects verify to report problem (at entry at, unless -1), undoes it. */
static void caught(vault *v, const char *change, const char *problem, int64_t at)
{
	char q[512];
	audit_report r;

	snprintf(q, sizeof q, "SAVEPOINT t; %s", change);
	sql(v, q);
	r = verify(v);
	assert_false(r.ok);
	if (at >= 0)
		assert_int_equal(r.first_bad, at);
	assert_non_null(strstr(r.problem, problem));
	sql(v, "ROLLBACK TO t; RELEASE t");
	assert_true(verify(v).ok);
}

static void test_verify_checks_the_citizen_index(void **state)
{
	fixture *f = *state;

	fill_runs(f->v);
	assert_true(verify(f->v).ok);
	caught(f->v, "DELETE FROM audit_runs WHERE seq = 1007", "citizen index", -1);
	/* as many rows, the same numbers: a row given to another citizen, or moved to another run */
	caught(f->v, "UPDATE audit_runs SET cid = x'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' WHERE seq = 1007", "citizen index", -1);
	caught(f->v, "UPDATE audit_runs SET run = 8192 WHERE seq = 1007", "citizen index", -1);
	caught(f->v, "UPDATE audit_entries SET cid = x'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' WHERE seq = 16007",
	    "citizen column", 16007);
}

/* Migration 6 takes a log of schema 5 (audit_cid, no runs) to runs, once, and drops the index; 7 follows. */
static void test_migration_builds_the_runs(void **state)
{
	fixture *f = *state;
	util_err err;
	int64_t before;

	fill_runs(f->v);
	before = test_sql_int(vault_sql_db(f->v), "SELECT sum(seq) FROM audit_runs");
	sql(f->v, "BEGIN; DROP TABLE audit.audit_runs; DROP TABLE audit.audit_runs_head;"
	          " CREATE INDEX audit.audit_cid ON audit_entries(cid, seq) WHERE cid IS NOT NULL;"
	          " PRAGMA main.user_version = 5; COMMIT;");
	vault_close(f->v);
	f->v = NULL;
	must(vault_open(&f->v, f->data, &f->u, &err), &err, "open");
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "PRAGMA main.user_version"), VAULT_SCHEMA);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM audit.sqlite_master WHERE name = 'audit_cid'"), 0);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT upto FROM audit_runs_head"), 2 * AUDIT_RUN_ENTRIES);
	assert_true(test_sql_int(vault_sql_db(f->v), "SELECT sum(seq) FROM audit_runs") == before);
	expect_history_of_a(f->v);
}

/* Copies whose entries are in the log go, nothing is appended, and vault.db notes the size. */
static void test_settle_drops_copies_already_logged(void **state)
{
	fixture *f = *state;
	int64_t appended = -1, unreadable = -1;
	util_err err;

	fill_in_tx(f->v, 5);
	assert_int_equal(audit_settle(f->v, &appended, &unreadable, &err), 0);
	assert_int_equal(appended, 0);
	assert_int_equal(unreadable, 0);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM audit_pending"), 0);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM audit_entries"), 5);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT v FROM main.meta WHERE k = 'audit_size'"), 5);
	assert_true(verify(f->v).ok);
	/* a copy made after the settle never takes an id a settle has seen (and may drop) */
	fill_in_tx(f->v, 1);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT min(id) FROM audit_pending"), 6);
}

/*
 * A stop between the two files' commits: vault.db holds the copy, audit.db not the entry.
 * One copy numbered as the next entry would have been, one numbered like an entry another
 * process appended meanwhile: both go at the end of the log, under new numbers, with their
 * own times, and the log verifies.
 */
static void test_settle_appends_entries_a_stop_lost(void **state)
{
	fixture *f = *state;
	char buf[AUDIT_ENTRY_MAX];
	int64_t appended = -1, unreadable = -1, n;
	size_t len;
	util_err err;

	fill(f->v, 4);
	assert_int_equal(audit_settle(f->v, &appended, &unreadable, &err), 0);
	sql(f->v, "INSERT INTO audit_pending(entry) VALUES"
	          " ('{\"action\":\"consent.revoke\",\"actor\":\"citizen\",\"agency\":\"ag_x\","
	          "\"citizen\":\"00112233445566778899aabbccddeeff\",\"seq\":4,\"time\":1700000000}'),"
	          " ('{\"action\":\"record.update\",\"actor\":\"operator\",\"seq\":2,\"time\":1700000001}')");
	assert_int_equal(audit_settle(f->v, &appended, &unreadable, &err), 0);
	assert_int_equal(appended, 2);
	assert_int_equal(audit_size(f->v, &n, &err), 0);
	assert_int_equal(n, 6);
	assert_int_equal(audit_entry_get(f->v, 4, buf, &len, &err), 0);
	assert_string_equal(buf, "{\"action\":\"consent.revoke\",\"actor\":\"citizen\",\"agency\":\"ag_x\","
	                         "\"citizen\":\"00112233445566778899aabbccddeeff\",\"seq\":4,\"time\":1700000000}");
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM audit_entries WHERE seq = 4 AND agency_id = 'ag_x'"
	                             " AND action = 'consent.revoke' AND time = 1700000000 AND cid IS NOT NULL"),
	    1);
	assert_int_equal(audit_entry_get(f->v, 5, buf, &len, &err), 0);
	assert_string_equal(buf, "{\"action\":\"record.update\",\"actor\":\"operator\",\"seq\":5,\"time\":1700000001}");
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM audit_pending"), 0);
	assert_true(verify(f->v).ok);
	/* settled once: a second settle finds nothing */
	assert_int_equal(audit_settle(f->v, &appended, &unreadable, &err), 0);
	assert_int_equal(appended, 0);
	assert_int_equal(audit_size(f->v, &n, &err), 0);
	assert_int_equal(n, 6);
	/*
	 * A stop after the settle's first step (the entry appended in audit.db) and before its
	 * second (the copy dropped in vault.db): the copy is back, and is not appended again.
	 */
	sql(f->v, "INSERT INTO audit_pending(entry) VALUES"
	          " ('{\"action\":\"record.update\",\"actor\":\"operator\",\"seq\":2,\"time\":1700000001}')");
	assert_int_equal(audit_settle(f->v, &appended, &unreadable, &err), 0);
	assert_int_equal(appended, 0);
	assert_int_equal(audit_size(f->v, &n, &err), 0);
	assert_int_equal(n, 6);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM audit_pending"), 0);
}

/*
 * An import's batch: its entries are appended as audit_append does, and share one copy in
 * vault.db, one entry a line, which goes once the log holds them; the log verifies.
 */
static void test_batch_shares_one_copy(void **state)
{
	fixture *f = *state;
	audit_batch *b = audit_batch_new();
	unsigned char cid[16] = {0xb0};
	int64_t appended = -1, n;
	util_err err;
	int i;

	assert_non_null(b);
	fill(f->v, 2);
	must(vault_begin(f->v, &err), &err, "begin");
	for (i = 0; i < 3; i++) {
		audit_entry e = {.actor = "operator", .action = "record.create", .cid = cid, .note = "import"};

		cid[1] = (unsigned char)i;
		must(audit_batch_append(f->v, b, &e, &err), &err, "batch append");
	}
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM audit_pending"), 0);
	must(audit_batch_store(f->v, b, &err), &err, "batch store");
	must(audit_seal(f->v, 0, &err), &err, "seal");
	must(vault_commit(f->v, &err), &err, "commit");
	/* one copy, three lines, the log's own bytes */
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM audit_pending"), 1);
	assert_int_equal(test_sql_int(vault_sql_db(f->v),
	                     "SELECT count(*) FROM audit_pending p, audit_entries a WHERE a.seq = 3 AND CAST(p.entry AS TEXT) ="
	                     " (SELECT group_concat(CAST(entry AS TEXT), char(10)) FROM (SELECT entry FROM audit_entries WHERE seq >= 2 ORDER BY seq))"),
	    1);
	must(audit_batch_settle(f->v, b, &appended, &err), &err, "batch settle");
	assert_int_equal(appended, 0);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM audit_pending"), 0);
	assert_int_equal(audit_size(f->v, &n, &err), 0);
	assert_int_equal(n, 5);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT v FROM main.meta WHERE k = 'audit_size'"), 5);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM audit_entries WHERE action = 'record.create'"
	                             " AND cid IS NOT NULL"), 3);
	assert_true(verify(f->v).ok);
	/* a batch that gathered nothing stores and settles nothing */
	must(audit_batch_store(f->v, b, &err), &err, "empty store");
	must(audit_batch_settle(f->v, b, &appended, &err), &err, "empty settle");
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM audit_pending"), 0);
	audit_batch_free(b);
}

/*
 * A stop between the two files' commits of an import's batch: vault.db holds its one copy of
 * many lines, audit.db none of them. Each line goes at the end of the log, once; a copy with a
 * line that is no entry stays, its other lines appended once however often the vault settles.
 */
static void test_settle_appends_each_line_of_a_batch_copy(void **state)
{
	fixture *f = *state;
	char buf[AUDIT_ENTRY_MAX];
	int64_t appended = -1, unreadable = -1, n;
	size_t len;
	util_err err;

	fill(f->v, 2);
	sql(f->v, "INSERT INTO audit_pending(entry) VALUES ("
	          "'{\"action\":\"record.create\",\"actor\":\"operator\",\"citizen\":\"00112233445566778899aabbccddeeff\","
	          "\"note\":\"import\",\"seq\":2,\"time\":1700000000}' || char(10) ||"
	          "'{\"action\":\"record.create\",\"actor\":\"operator\",\"citizen\":\"ffeeddccbbaa99887766554433221100\","
	          "\"note\":\"import\",\"seq\":3,\"time\":1700000000}')");
	must(audit_settle(f->v, &appended, &unreadable, &err), &err, "settle");
	assert_int_equal(appended, 2);
	assert_int_equal(unreadable, 0);
	assert_int_equal(audit_entry_get(f->v, 3, buf, &len, &err), 0);
	assert_string_equal(buf, "{\"action\":\"record.create\",\"actor\":\"operator\",\"citizen\":\"ffeeddccbbaa99887766554433221100\","
	                         "\"note\":\"import\",\"seq\":3,\"time\":1700000000}");
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM audit_pending"), 0);
	assert_true(verify(f->v).ok);
	/* a line in the middle that is no entry: the copy stays, the others are appended once */
	sql(f->v, "INSERT INTO audit_pending(entry) VALUES ("
	          "'{\"action\":\"record.create\",\"actor\":\"operator\",\"note\":\"import\",\"seq\":4,\"time\":1700000001}'"
	          " || char(10) || 'not json' || char(10) ||"
	          "'{\"action\":\"record.create\",\"actor\":\"operator\",\"note\":\"import\",\"seq\":5,\"time\":1700000001}')");
	must(audit_settle(f->v, &appended, &unreadable, &err), &err, "settle");
	assert_int_equal(appended, 2);
	assert_int_equal(unreadable, 1);
	must(audit_settle(f->v, &appended, &unreadable, &err), &err, "settle again");
	assert_int_equal(appended, 0);
	assert_int_equal(unreadable, 1);
	assert_int_equal(audit_size(f->v, &n, &err), 0);
	assert_int_equal(n, 6);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM audit_pending"), 1);
	assert_true(verify(f->v).ok);
}

/*
 * An entry prepared ahead is appended as prepared when its number is the next one, and
 * encoded again, under the right number, when another entry took that number meanwhile.
 */
static void test_batch_takes_a_prepared_entry_only_under_its_number(void **state)
{
	fixture *f = *state;
	audit_batch *b = audit_batch_new();
	unsigned char cid[16] = {0xa7};
	audit_entry e = {.actor = "operator", .action = "record.create", .cid = cid, .note = "import"};
	audit_prepared *p = malloc(sizeof *p);
	char buf[AUDIT_ENTRY_MAX];
	int64_t appended, n = -1;
	size_t len;
	util_err err;

	assert_non_null(b);
	fill(f->v, 2);
	must(audit_entry_prepare(&e, 2, 1600000000, p, &err), &err, "prepare");
	must(vault_begin(f->v, &err), &err, "begin");
	must(audit_batch_append_prepared(f->v, b, &e, p, &n, &err), &err, "append prepared");
	assert_int_equal(n, 2);
	/* prepared for number 3, but another entry takes it first */
	must(audit_entry_prepare(&e, 3, 1600000001, p, &err), &err, "prepare");
	must(audit_batch_append(f->v, b, &e, &err), &err, "append");
	must(audit_batch_append_prepared(f->v, b, &e, p, &n, &err), &err, "append stale");
	assert_int_equal(n, 4);
	must(audit_batch_store(f->v, b, &err), &err, "store");
	must(audit_seal(f->v, 0, &err), &err, "seal");
	must(vault_commit(f->v, &err), &err, "commit");
	must(audit_batch_settle(f->v, b, &appended, &err), &err, "settle");
	assert_int_equal(audit_entry_get(f->v, 2, buf, &len, &err), 0);
	assert_string_equal(buf, "{\"action\":\"record.create\",\"actor\":\"operator\",\"citizen\":\"a7000000000000000000000000000000\","
	                         "\"note\":\"import\",\"seq\":2,\"time\":1600000000}");
	assert_int_equal(audit_entry_get(f->v, 4, buf, &len, &err), 0);
	assert_non_null(strstr(buf, "\"seq\":4,"));
	assert_null(strstr(buf, "1600000001"));
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM audit_entries WHERE time = 1600000000"), 1);
	assert_true(verify(f->v).ok);
	free(p);
	audit_batch_free(b);
}

/* A copy that is not an entry is counted and left in place; the copies around it settle. */
static void test_settle_sets_aside_an_unreadable_copy(void **state)
{
	fixture *f = *state;
	int64_t appended = -1, unreadable = -1, n;
	util_err err;

	fill_in_tx(f->v, 2);
	sql(f->v, "INSERT INTO audit_pending(entry) VALUES ('{\"seq\":9}'), ('not json')");
	fill_in_tx(f->v, 1);
	assert_int_equal(audit_settle(f->v, &appended, &unreadable, &err), 0);
	assert_int_equal(appended, 0);
	assert_int_equal(unreadable, 2);
	assert_int_equal(audit_size(f->v, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM audit_pending"), 2);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM audit_pending WHERE entry IN ('{\"seq\":9}', 'not json')"), 2);
}

/* audit.db swapped for an older copy of itself: its own checks pass, vault.db's size does not. */
static void test_verify_sees_a_log_shorter_than_vault_db_saw(void **state)
{
	fixture *f = *state;
	int64_t appended, unreadable;
	audit_report r;
	util_err err;

	fill(f->v, 3);
	assert_int_equal(audit_settle(f->v, &appended, &unreadable, &err), 0);
	assert_true(verify(f->v).ok);
	/* as if vault.db had seen a log of 5 entries, and audit.db were an older copy with 3 */
	sql(f->v, "UPDATE main.meta SET v = 5 WHERE k = 'audit_size'");
	r = verify(f->v);
	assert_false(r.ok);
	assert_non_null(strstr(r.problem, "shorter than vault.db last saw it (5 entries)"));
}

/*
 * The group-commit writer's connection is audit.db alone: its entries leave no copy in
 * vault.db, and while it holds the log's write lock, vault.db's stays free.
 */
static int submitted_done;
static pthread_mutex_t submitted_mu = PTHREAD_MUTEX_INITIALIZER;

static void count_done(void *ctx, int rc, int64_t seq, const util_err *err)
{
	(void)ctx;
	(void)seq;
	(void)err;
	pthread_mutex_lock(&submitted_mu);
	submitted_done += rc == 0;
	pthread_mutex_unlock(&submitted_mu);
}

static void wait_done(int n)
{
	int i, k = 0;

	for (i = 0; i < 1000 && k < n; i++) {
		pthread_mutex_lock(&submitted_mu);
		k = submitted_done;
		pthread_mutex_unlock(&submitted_mu);
		if (k < n)
			usleep(10 * 1000);
	}
	assert_int_equal(k, n);
}

/*
 * Under load (a batch of more than one entry before), entries that come one by one wait for
 * each other up to the gather time; alone, an entry is written at once.
 */
static void test_writer_gathers_under_load_only(void **state)
{
	fixture *f = *state;
	audit_entry e = {.actor = "agency:ag_test", .action = "lookup", .decision = "deny", .reason = "no_consent"};
	char *turnpath = test_path(f->data, "vault.turn");
	audit_writer *w = NULL;
	audit_writer_stats st0, st1;
	util_err err;
	uint64_t t0;
	int64_t seq;
	int fd, i;

	submitted_done = 0;
	assert_int_equal(audit_writer_start(&w, f->v, &err), 0);
	audit_writer_set_gather(w, 5 * 1000 * 1000, 5);
	/* alone: two entries one after the other, each written at once, not after 5 s */
	t0 = util_mono_ns();
	assert_int_equal(audit_writer_append(w, &e, &seq, &err), 0);
	assert_int_equal(audit_writer_append(w, &e, &seq, &err), 0);
	assert_true(util_mono_ns() - t0 < 2500000000ull);
	/* a batch of more than one: the writer held at the turnstile while six queue up */
	fd = open(turnpath, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	for (i = 0; i < 7; i++) {
		assert_int_equal(audit_writer_submit(w, &e, count_done, NULL, &err), 0);
		usleep(50 * 1000);
	}
	assert_int_equal(flock(fd, LOCK_UN), 0);
	close(fd);
	wait_done(7);
	/* now five entries 100 ms apart go in one batch: the last one held at least five */
	audit_writer_stats_get(w, &st0);
	for (i = 0; i < 5; i++) {
		assert_int_equal(audit_writer_submit(w, &e, count_done, NULL, &err), 0);
		usleep(100 * 1000);
	}
	wait_done(12);
	audit_writer_stats_get(w, &st1);
	assert_int_equal(st1.entries - st0.entries, 5);
	assert_int_equal(st1.batches - st0.batches, 1);
	/* and after a batch of two, it waits for two, not for five: two pairs, two batches */
	audit_writer_set_gather(w, 0, 5); /* the batch of two made without waiting */
	fd = open(turnpath, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	for (i = 0; i < 3; i++) { /* one taken alone, then a batch of two */
		assert_int_equal(audit_writer_submit(w, &e, count_done, NULL, &err), 0);
		usleep(50 * 1000);
	}
	assert_int_equal(flock(fd, LOCK_UN), 0);
	close(fd);
	wait_done(15);
	audit_writer_set_gather(w, 5 * 1000 * 1000, 5);
	audit_writer_stats_get(w, &st0);
	t0 = util_mono_ns();
	for (i = 0; i < 4; i++) {
		assert_int_equal(audit_writer_submit(w, &e, count_done, NULL, &err), 0);
		usleep(100 * 1000);
	}
	wait_done(19);
	audit_writer_stats_get(w, &st1);
	audit_writer_stop(w);
	assert_true(util_mono_ns() - t0 < 2500000000ull); /* not held for the 5 s window */
	assert_int_equal(st1.entries - st0.entries, 4);
	assert_int_equal(st1.batches - st0.batches, 2);
	assert_true(verify(f->v).ok);
	free(turnpath);
}

static void test_writer_touches_only_the_log(void **state)
{
	fixture *f = *state;
	audit_writer *w = NULL;
	vault *other = NULL;
	audit_entry e = {.actor = "agency:ag_test", .action = "lookup", .decision = "deny", .reason = "no_consent"};
	util_err err;
	int64_t seq = -1;

	assert_int_equal(audit_writer_start(&w, f->v, &err), 0);
	assert_int_equal(audit_writer_append(w, &e, &seq, &err), 0);
	assert_int_equal(seq, 0);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM audit_pending"), 0);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM audit_entries"), 1);
	/* a log-only connection holding audit.db's write lock: vault.db can still be written */
	assert_int_equal(audit_log_clone(&other, f->v, &err), 0);
	assert_int_equal(audit_log_only(other), 1);
	assert_int_equal(audit_log_only(f->v), 0);
	sql(other, "BEGIN IMMEDIATE");
	sqlite3_busy_timeout(vault_sql_db(f->v), 100);
	sql(f->v, "BEGIN; DELETE FROM main.audit_pending; COMMIT");
	sqlite3_busy_timeout(vault_sql_db(f->v), 10000);
	sql(other, "ROLLBACK");
	vault_close(other);
	audit_writer_stop(w);
	assert_true(verify(f->v).ok);
}

/* A child appends through the writer and reports each acknowledged seq on a pipe; it is
 * killed with SIGKILL mid-stream. Every acknowledged entry must be in the log afterwards. */
static void test_acknowledged_entries_survive_kill9(void **state)
{
	fixture *f = *state;
	int round;

	vault_close(f->v);
	f->v = NULL;
	for (round = 0; round < 3; round++) {
		int p[2];
		pid_t pid;
		int64_t last = -1, seq;
		FILE *rd;
		vault *v = NULL;
		util_err err;
		char buf[AUDIT_ENTRY_MAX];
		size_t n;

		assert_int_equal(pipe(p), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			audit_writer *w;
			vault *cv;
			pthread_t t[4];
			worker k[4];
			int i;

			close(p[0]);
			if (vault_open(&cv, f->data, &f->u, &err) != 0 || audit_writer_start(&w, cv, &err) != 0)
				_exit(2);
			for (i = 0; i < 4; i++) {
				k[i] = (worker){.w = w, .n = 1000000};
				pthread_create(&t[i], NULL, append_many, &k[i]);
			}
			for (;;) {
				audit_entry e = {.actor = "operator", .action = "crash.test"};

				if (audit_writer_append(w, &e, &seq, &err) != 0)
					_exit(3);
				if (write(p[1], &seq, sizeof seq) != sizeof seq)
					_exit(4);
			}
		}
		close(p[1]);
		assert_non_null(rd = fdopen(p[0], "r"));
		/* let it run a while, then kill it without warning */
		while (fread(&seq, sizeof seq, 1, rd) == 1) {
			last = seq;
			if (last >= 200 * (round + 1)) {
				kill(pid, SIGKILL);
				break;
			}
		}
		while (fread(&seq, sizeof seq, 1, rd) == 1)
			last = seq; /* acknowledged before the kill landed */
		fclose(rd);
		waitpid(pid, NULL, 0);
		assert_true(last >= 0);
		assert_int_equal(vault_open(&v, f->data, &f->u, &err), 0);
		assert_int_equal(audit_entry_get(v, last, buf, &n, &err), 0);
		assert_non_null(strstr(buf, "crash.test"));
		assert_true(verify(v).ok);
		vault_close(v);
	}
	assert_int_equal(vault_open(&f->v, f->data, &f->u, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_entries_name_fields_never_values, test_vault_setup, test_vault_teardown),
		cmocka_unit_test(test_entry_encoding_known_answers),
		cmocka_unit_test(test_entry_encoding_refuses_what_jansson_refused),
		cmocka_unit_test(test_entry_scan_takes_only_the_canonical_form),
		cmocka_unit_test_setup_teardown(test_search_filters_and_pages, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_clean_log_verifies, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_edit_detected_at_the_entry, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_edit_with_rehashed_tree_detected_by_checkpoints, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_delete_detected, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_swap_detected, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_insert_detected, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_truncate_detected, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_inclusion_and_consistency_proofs, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_export_verifies_with_public_key_only, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_group_commit_batches, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_writer_restarts_its_wal_under_steady_load, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_log_lives_in_audit_db, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_citizen_history_across_runs, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_migration_builds_the_runs, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_verify_checks_the_citizen_index, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_settle_drops_copies_already_logged, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_settle_appends_entries_a_stop_lost, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_settle_sets_aside_an_unreadable_copy, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_batch_shares_one_copy, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_batch_takes_a_prepared_entry_only_under_its_number, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_settle_appends_each_line_of_a_batch_copy, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_verify_sees_a_log_shorter_than_vault_db_saw, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_writer_touches_only_the_log, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_writer_gathers_under_load_only, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_acknowledged_entries_survive_kill9, test_vault_setup, test_vault_teardown),
	};

	return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
