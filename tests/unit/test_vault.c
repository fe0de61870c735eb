/* test_vault.c: the encrypted store: catalog, national IDs, field AEAD, citizens, keys, backups. */
#include "support.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../vault/sqlite_private.h"
#include "../../vault/sqlite.h"
#include "../../audit/audit.h"

static int setup(void **state)
{
	(void)state;
	return vault_init();
}

/* ---- field encryption: known answer and every binding ---- */

/* Sealed with DEK 00..1f, citizen a0..af, DEK version 1, field full_name (format 1). */
static const char field_kat[] = "01dbed3ea42eae939113943323e6da0813a6a504df64b98d5fe954fb7d49cfa0a40f528af9c01f47"
                                "085546dc6b84405dded046d0fb54eca5";
static const char field_kat_plain[] = "Nguyễn Văn A";

static void kat_inputs(unsigned char dek[32], unsigned char cid[16])
{
	int i;

	for (i = 0; i < 32; i++)
		dek[i] = (unsigned char)i;
	for (i = 0; i < 16; i++)
		cid[i] = (unsigned char)(0xa0 + i);
}

static void test_field_known_answer(void **state)
{
	unsigned char dek[32], cid[16], sealed[128], out[128];
	size_t n = (sizeof field_kat - 1) / 2, plen = strlen(field_kat_plain);
	util_err err;

	(void)state;
	kat_inputs(dek, cid);
	assert_int_equal(util_hex_decode(sealed, n, field_kat), 0);
	assert_int_equal(n, plen + VAULT_FIELD_OVERHEAD);
	assert_int_equal(vault_field_open(dek, cid, 1, "full_name", sealed, n, out, &err), 0);
	assert_memory_equal(out, field_kat_plain, plen);
}

static void test_field_bindings_must_fail(void **state)
{
	unsigned char dek[32], cid[16], sealed[128], out[128];
	size_t n = (sizeof field_kat - 1) / 2, i;
	util_err err;

	(void)state;
	kat_inputs(dek, cid);
	assert_int_equal(util_hex_decode(sealed, n, field_kat), 0);
	/* moved to another field */
	assert_int_equal(vault_field_open(dek, cid, 1, "email", sealed, n, out, &err), -1);
	assert_int_equal(err.code, UTIL_ECORRUPT);
	/* moved to another citizen */
	cid[0] ^= 1;
	assert_int_equal(vault_field_open(dek, cid, 1, "full_name", sealed, n, out, &err), -1);
	cid[0] ^= 1;
	/* another key version */
	assert_int_equal(vault_field_open(dek, cid, 2, "full_name", sealed, n, out, &err), -1);
	/* another key */
	dek[5] ^= 1;
	assert_int_equal(vault_field_open(dek, cid, 1, "full_name", sealed, n, out, &err), -1);
	dek[5] ^= 1;
	/* any byte flipped: format, nonce, ciphertext, tag */
	for (i = 0; i < n; i++) {
		sealed[i] ^= 0x40;
		assert_int_equal(vault_field_open(dek, cid, 1, "full_name", sealed, n, out, &err), -1);
		sealed[i] ^= 0x40;
	}
	/* truncated */
	assert_int_equal(vault_field_open(dek, cid, 1, "full_name", sealed, VAULT_FIELD_OVERHEAD - 1, out, &err), -1);
	assert_int_equal(vault_field_open(dek, cid, 1, "full_name", sealed, n, out, &err), 0);
}

/* ---- record sealing (format 2): known answer and what it binds ---- */

/* The entries of the record known answer: national_id, then full_name (Nguyễn Văn A). */
static const unsigned char record_kat_entries[] = "\x0bnational_id\x00\x0c" "001090012345"
                                                  "\x09" "full_name\x00\x0f" "Nguy\xe1\xbb\x85n V\xc4\x83n A";
/* BLAKE2b-256 of the record sealed from them with DEK 00..1f, citizen a0..af, version 1, nonce 40..57 */
static const char record_kat_hash[] = "3a08f0699e41a69bc5a85383ae2359b1e43ebb5e4c20e5815df7cf47962b6d03";

static void test_record_known_answer(void **state)
{
	static unsigned char blob[VAULT_REC_MAX], want[VAULT_REC_MAX];
	unsigned char dek[32], cid[16], nonce[24], ad[64], hash[32];
	size_t elen = sizeof record_kat_entries - 1, n, plen, adlen = 0, padded, count;
	vault_rec_entry e[VAULT_RECORD_ENTRIES_MAX];
	char hex[65];
	util_err err;
	int i;

	(void)state;
	kat_inputs(dek, cid);
	for (i = 0; i < 24; i++)
		nonce[i] = (unsigned char)(0x40 + i);
	memcpy(blob + VAULT_RECORD_HEAD, record_kat_entries, elen);
	n = vault_record_seal(dek, cid, 1, nonce, blob, elen);
	/* the format, written out: format 2 || nonce || AEAD(entries || 0x80 || 0x00... to 1 KiB)
	 * with AD = 2 || "vaultd/record/v2" NUL || citizen || u32 version, big-endian */
	assert_int_equal(n, 1 + 24 + 1024 + 16);
	want[0] = 2;
	memcpy(want + 1, nonce, 24);
	memcpy(want + 25, record_kat_entries, elen);
	assert_int_equal(sodium_pad(&padded, want + 25, elen, 1024, 1024), 0);
	ad[adlen++] = 2;
	memcpy(ad + adlen, "vaultd/record/v2", 17);
	adlen += 17;
	memcpy(ad + adlen, cid, 16);
	adlen += 16;
	memcpy(ad + adlen, "\0\0\0\1", 4);
	adlen += 4;
	crypto_aead_xchacha20poly1305_ietf_encrypt(want + 25, NULL, want + 25, padded, ad, adlen, NULL, nonce, dek);
	assert_memory_equal(blob, want, n);
	crypto_generichash(hash, sizeof hash, blob, n, NULL, 0);
	util_hex_encode(hex, hash, sizeof hash);
	assert_string_equal(hex, record_kat_hash);
	/* and it opens to the same entries */
	assert_int_equal(vault_record_open(dek, cid, 1, blob, n, &plen, &err), 0);
	assert_int_equal(plen, elen);
	assert_memory_equal(blob + VAULT_RECORD_HEAD, record_kat_entries, elen);
	assert_int_equal(vault_record_entries(blob + VAULT_RECORD_HEAD, plen, e, &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(e[1].nlen, 9);
	assert_memory_equal(e[1].name, "full_name", 9);
	assert_int_equal(e[1].vlen, 15);
}

static void test_record_bindings_must_fail(void **state)
{
	static unsigned char blob[VAULT_REC_MAX], copy[VAULT_REC_MAX];
	unsigned char dek[32], cid[16], nonce[24] = {0};
	size_t elen = sizeof record_kat_entries - 1, n, plen, i, count;
	vault_rec_entry e[VAULT_RECORD_ENTRIES_MAX];
	util_err err;

	(void)state;
	kat_inputs(dek, cid);
	memcpy(blob + VAULT_RECORD_HEAD, record_kat_entries, elen);
	n = vault_record_seal(dek, cid, 1, nonce, blob, elen);
	memcpy(copy, blob, n);
#define REOPEN(d, c, v, len) (memcpy(blob, copy, n), vault_record_open((d), (c), (v), blob, (len), &plen, &err))
	/* another citizen, another key version, another key */
	cid[0] ^= 1;
	assert_int_equal(REOPEN(dek, cid, 1, n), -1);
	assert_int_equal(err.code, UTIL_ECORRUPT);
	cid[0] ^= 1;
	assert_int_equal(REOPEN(dek, cid, 2, n), -1);
	dek[5] ^= 1;
	assert_int_equal(REOPEN(dek, cid, 1, n), -1);
	dek[5] ^= 1;
	/* any byte flipped: format, nonce, ciphertext, padding, tag */
	for (i = 0; i < n; i++) {
		copy[i] ^= 0x40;
		assert_int_equal(REOPEN(dek, cid, 1, n), -1);
		copy[i] ^= 0x40;
	}
	/* cut or grown: a size no bucket has */
	assert_int_equal(REOPEN(dek, cid, 1, n - 1), -1);
	assert_int_equal(REOPEN(dek, cid, 1, VAULT_RECORD_OVERHEAD), -1);
	assert_int_equal(REOPEN(dek, cid, 1, 0), -1);
	assert_int_equal(REOPEN(dek, cid, 1, n), 0);
#undef REOPEN
	/* entries: truncated, a name of 0 or 33 bytes, a value past the end, a name twice */
	assert_int_equal(vault_record_entries(record_kat_entries, elen - 1, e, &count), -1);
	assert_int_equal(vault_record_entries((const unsigned char *)"\0", 1, e, &count), -1);
	{
		unsigned char b[64] = {33};

		assert_int_equal(vault_record_entries(b, sizeof b, e, &count), -1);
		memcpy(b, "\x01" "a\x00\x05" "xy", 6);
		assert_int_equal(vault_record_entries(b, 6, e, &count), -1);
		memcpy(b, "\x01" "a\x00\x01" "x\x01" "a\x00\x01" "y", 10);
		assert_int_equal(vault_record_entries(b, 10, e, &count), -1);
		assert_int_equal(vault_record_entries(b, 5, e, &count), 0);
		assert_int_equal(count, 1);
	}
	/* the buckets: 1 KiB at least, then doubling, capped at the largest record */
	assert_int_equal(vault_record_bucket(1), 1024);
	assert_int_equal(vault_record_bucket(1024), 1024);
	assert_int_equal(vault_record_bucket(1025), 2048);
	assert_int_equal(vault_record_bucket(VAULT_RECORD_PLAIN_MAX), VAULT_RECORD_PLAIN_MAX);
}

/* ---- national IDs ---- */

static void test_national_ids(void **state)
{
	static const char *const good[] = {"001090012345", "079195001122", "096300000001", "048201123456"};
	static const char *const bad[] = {
		"",             /* empty */
		"00109001234",  /* 11 digits */
		"0010900123456", /* 13 digits */
		"00109001234a", /* a letter */
		"00109 012345", /* a space */
		"003090012345", /* 003 is no province */
		"000090012345", /* 000 neither */
		"097090012345", /* past the last code */
		"001490012345", /* century digit 4: born in the 2100s */
		"001299012345", /* 2099: in the future */
		"-01090012345",
	};
	size_t i;
	util_err err;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_int_equal(vault_nid_check(good[i], strlen(good[i]), &err), 0);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(vault_nid_check(bad[i], strlen(bad[i]), &err), -1);
		assert_int_equal(err.code, UTIL_EINVAL);
		assert_null(strstr(err.msg, bad[i][0] ? bad[i] : "\x01")); /* the message never echoes it */
	}
}

static void test_blind_index_is_keyed(void **state)
{
	unsigned char k1[32] = {1}, k2[32] = {2}, a[32], b[32], c[32];

	(void)state;
	vault_nid_index(k1, "001090012345", a);
	vault_nid_index(k1, "001090012345", b);
	vault_nid_index(k2, "001090012345", c);
	assert_memory_equal(a, b, 32);
	assert_memory_not_equal(a, c, 32);
	vault_nid_index(k1, "001090012346", c);
	assert_memory_not_equal(a, c, 32);
}

/* ---- catalog ---- */

static void test_default_catalog(void **state)
{
	vault_catalog *cat = NULL;
	const vault_field_def *d;
	util_err err;

	(void)state;
	assert_int_equal(vault_catalog_parse(vault_default_catalog, strlen(vault_default_catalog), &cat, &err), 0);
	assert_int_equal(vault_catalog_count(cat), 16);
	assert_non_null(d = vault_catalog_find(cat, "religion", 8));
	assert_true(d->sensitive);
	assert_non_null(d = vault_catalog_find(cat, "blood_type", 10));
	assert_false(d->sensitive); /* Decree 13 Art. 2(4)(b): health data, "not including blood type" */
	assert_non_null(d = vault_catalog_find(cat, "chronic_conditions", 18));
	assert_true(d->sensitive);
	assert_null(vault_catalog_find(cat, "shoe_size", 9));
	vault_catalog_free(cat);
}

static void test_field_values(void **state)
{
	static const struct {
		const char *field, *json;
		int ok;
	} cases[] = {
		{"date_of_birth", "\"1990-05-01\"", 1},
		{"date_of_birth", "\"2024-02-29\"", 1},
		{"date_of_birth", "\"2023-02-29\"", 0},
		{"date_of_birth", "\"1990-13-01\"", 0},
		{"date_of_birth", "\"1990-5-1\"", 0},
		{"date_of_birth", "19900501", 0},
		{"gender", "\"female\"", 1},
		{"gender", "\"Female\"", 0},
		{"blood_type", "\"AB-\"", 1},
		{"blood_type", "\"C+\"", 0},
		{"annual_income", "120000000", 1},
		{"annual_income", "-1", 0},
		{"annual_income", "\"120000000\"", 0},
		{"annual_income", "1.5", 0},
		{"phone", "\"0912345678\"", 1},
		{"phone", "\"+84912345678\"", 1},
		{"phone", "\"09123-45678\"", 0},
		{"phone", "\"0912345678901234\"", 0},
		{"email", "\"a@b.vn\"", 1},
		{"email", "\"a@@b.vn\"", 0},
		{"email", "\"a b@c.vn\"", 0},
		{"email", "\"ab.vn\"", 0},
		{"tax_code", "\"0123456789\"", 1},
		{"tax_code", "\"01234X6789\"", 0},
		{"health_insurance_number", "\"DN4790123456789\"", 1},
		{"health_insurance_number", "\"dn4790123456789\"", 0},
		{"full_name", "\"Nguyễn Thị Minh Khai\"", 1},
		{"full_name", "\"tab\\there\"", 0},
		{"full_name", "\"nul\\u0000byte\"", 0},
		{"full_name", "12", 0},
		{"full_name", "null", 0},
		{"chronic_conditions", "\"\"", 1},
	};
	vault_catalog *cat = NULL;
	char out[VAULT_VALUE_MAX];
	size_t i, n;
	util_err err;

	(void)state;
	assert_int_equal(vault_catalog_parse(vault_default_catalog, strlen(vault_default_catalog), &cat, &err), 0);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const vault_field_def *d = vault_catalog_find(cat, cases[i].field, strlen(cases[i].field));
		json_t *v = json_loads(cases[i].json, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		int rc;

		assert_non_null(d);
		assert_non_null(v);
		rc = vault_field_check(d, v, out, &n, &err);
		if (rc != (cases[i].ok ? 0 : -1))
			fail_msg("case %zu (%s = %s): expected %s", i, cases[i].field, cases[i].json,
			    cases[i].ok ? "ok" : "refusal");
		json_decref(v);
	}
	{
		/* a string one byte over the bound is refused, at the bound accepted */
		const vault_field_def *d = vault_catalog_find(cat, "full_name", 9);
		char big[102];
		json_t *v;

		memset(big, 'a', sizeof big);
		v = json_stringn(big, 101);
		assert_int_equal(vault_field_check(d, v, out, &n, &err), -1);
		json_decref(v);
		v = json_stringn(big, 100);
		assert_int_equal(vault_field_check(d, v, out, &n, &err), 0);
		json_decref(v);
	}
	vault_catalog_free(cat);
}

/* ---- import lines read by hand (vault_record_scan) and through jansson ---- */

#define SCAN_LINE(fields) "{\"national_id\":\"001090012345\",\"fields\":{" fields "}}"

/* Reads line both ways; returns what the scanner did (1 read, 0 declined) and checks that
 * whenever it read, jansson read the very same input. */
static int scan_both(const vault_catalog *cat, const char *line, vault_input *fast)
{
	static vault_input slow;
	char nid[VAULT_NID_LEN + 1];
	json_t *fields = NULL;
	util_err err;
	size_t i;
	int scanned = vault_record_scan(cat, line, strlen(line), fast);

	if (!scanned)
		return 0;
	assert_int_equal(vault_record_parse(line, strlen(line), nid, &fields, &err), 0);
	assert_int_equal(vault_input_from_json(cat, nid, fields, &slow, &err), 0);
	assert_string_equal(fast->nid, slow.nid);
	for (i = 0; i < vault_catalog_count(cat); i++) {
		assert_int_equal(fast->v[i].type, slow.v[i].type);
		if (fast->v[i].type == VAULT_V_STRING) {
			assert_int_equal(fast->v[i].n, slow.v[i].n);
			assert_memory_equal(fast->v[i].s, slow.v[i].s, fast->v[i].n);
		}
		if (fast->v[i].type == VAULT_V_INTEGER)
			assert_true(fast->v[i].i == slow.v[i].i);
	}
	json_decref(fields);
	return 1;
}

static void test_record_scan(void **state)
{
	/* read by hand: the plain form, in any JSON whitespace */
	static const char *const plain[] = {
	    SCAN_LINE("\"full_name\":\"Nguyễn Thị Minh Khai\",\"annual_income\":120000000,\"gender\":\"female\""),
	    SCAN_LINE(""),
	    " { \"national_id\" : \"001090012345\" ,\r\n\t\"fields\" : { \"annual_income\" : 0 } } \n",
	    SCAN_LINE("\"email\":\"a@b.vn\",\"full_name\":\"𝔸 four-byte and ü two-byte\""),
	    SCAN_LINE("\"annual_income\":999999999999999999"),
	    SCAN_LINE("\"chronic_conditions\":\"\""),
	    SCAN_LINE("\"full_name\":\"del\x7f is JSON, not a valid value\""),
	};
	/* left to jansson: valid JSON in another form, and everything invalid */
	static const char *const other[] = {
	    SCAN_LINE("\"full_name\":\"escaped \\\" quote\""),
	    SCAN_LINE("\"full_name\":\"\\u004e\""),
	    SCAN_LINE("\"full_name\":null"),
	    SCAN_LINE("\"annual_income\":-1"),
	    SCAN_LINE("\"annual_income\":1.5"),
	    SCAN_LINE("\"annual_income\":1e3"),
	    SCAN_LINE("\"annual_income\":007"),
	    SCAN_LINE("\"annual_income\":1000000000000000000"),
	    SCAN_LINE("\"annual_income\":true"),
	    SCAN_LINE("\"full_name\":[\"a\"]"),
	    SCAN_LINE("\"nickname\":\"x\""),
	    SCAN_LINE("\"national_id\":\"001090012345\""),
	    SCAN_LINE("\"gender\":\"male\",\"gender\":\"male\""),
	    SCAN_LINE("\"gender\":\"male\","),
	    SCAN_LINE("\"full_name\":\"tab\there\""),
	    SCAN_LINE("\"full_name\":\"overlong \xc0\xaf\""),
	    SCAN_LINE("\"full_name\":\"surrogate \xed\xa0\x80\""),
	    SCAN_LINE("\"full_name\":\"past U+10FFFF \xf4\x90\x80\x80\""),
	    SCAN_LINE("\"full_name\":\"cut \xe1\x80\""),
	    "{\"fields\":{},\"national_id\":\"001090012345\"}",
	    "{\"national_id\":\"00109001234\",\"fields\":{}}",
	    "{\"national_id\":\"001090012345\",\"fields\":{},\"x\":1}",
	    "{\"national_id\":\"001090012345\",\"fields\":{}} x",
	    "{\"national_id\":\"001090012345\",\"fields\":{}",
	    "{\"national_id\":\"001090012345\",\"fields\":{\"gender\":\"male\"",
	    "[]",
	    "",
	};
	vault_catalog *cat = NULL;
	vault_input in;
	util_err err;
	size_t i;

	(void)state;
	assert_int_equal(vault_catalog_parse(vault_default_catalog, strlen(vault_default_catalog), &cat, &err), 0);
	for (i = 0; i < sizeof plain / sizeof plain[0]; i++)
		if (!scan_both(cat, plain[i], &in))
			fail_msg("plain line %zu was not read by hand", i);
	for (i = 0; i < sizeof other / sizeof other[0]; i++)
		if (vault_record_scan(cat, other[i], strlen(other[i]), &in))
			fail_msg("line %zu was read by hand, not left to jansson", i);

	/* what it read: a string, an integer, and nothing else given */
	assert_true(scan_both(cat, plain[0], &in));
	assert_string_equal(in.nid, "001090012345");
	{
		ptrdiff_t name = vault_catalog_pos(cat, "full_name", 9, 0), inc = vault_catalog_pos(cat, "annual_income", 13, 0);
		size_t given = 0;

		assert_true(name > 0 && inc > 0);
		assert_int_equal(in.v[name].type, VAULT_V_STRING);
		assert_int_equal(in.v[name].n, strlen("Nguyễn Thị Minh Khai"));
		assert_memory_equal(in.v[name].s, "Nguyễn Thị Minh Khai", in.v[name].n);
		assert_int_equal(in.v[inc].type, VAULT_V_INTEGER);
		assert_true(in.v[inc].i == 120000000);
		for (i = 0; i < vault_catalog_count(cat); i++)
			given += in.v[i].type != VAULT_V_ABSENT;
		assert_int_equal(given, 3);
		assert_int_equal(vault_input_check(cat, &in, &err), 0);
	}
	/* the rules are checked afterwards, the same way for both readers */
	assert_true(scan_both(cat, plain[6], &in));
	assert_int_equal(vault_input_check(cat, &in, &err), -1);
	assert_non_null(strstr(err.msg, "control character"));
	/* it never reads past n: a valid line cut short is declined */
	assert_int_equal(vault_record_scan(cat, plain[0], strlen(plain[0]) - 1, &in), 0);
	vault_catalog_free(cat);
}

static void test_bad_catalogs_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"version\": 2, \"fields\": []}",
		"{\"version\": 1, \"fields\": []}",
		/* no national_id */
		"{\"version\":1,\"fields\":[{\"name\":\"a\",\"type\":\"date\",\"category\":\"basic\","
		"\"description\":{\"vi\":\"a\",\"en\":\"a\"}}]}",
		/* duplicate name */
		"{\"version\":1,\"fields\":[{\"name\":\"national_id\",\"type\":\"string\",\"max_length\":12,"
		"\"category\":\"basic\",\"description\":{\"vi\":\"a\",\"en\":\"a\"}},{\"name\":\"national_id\","
		"\"type\":\"date\",\"category\":\"basic\",\"description\":{\"vi\":\"a\",\"en\":\"a\"}}]}",
		/* unknown key */
		"{\"version\":1,\"fields\":[{\"name\":\"national_id\",\"type\":\"string\",\"max_length\":12,"
		"\"category\":\"basic\",\"colour\":\"red\",\"description\":{\"vi\":\"a\",\"en\":\"a\"}}]}",
		/* bad category */
		"{\"version\":1,\"fields\":[{\"name\":\"national_id\",\"type\":\"string\",\"max_length\":12,"
		"\"category\":\"secret\",\"description\":{\"vi\":\"a\",\"en\":\"a\"}}]}",
		/* bad name */
		"{\"version\":1,\"fields\":[{\"name\":\"National ID\",\"type\":\"string\",\"max_length\":12,"
		"\"category\":\"basic\",\"description\":{\"vi\":\"a\",\"en\":\"a\"}}]}",
		/* max_length beyond the vault's bound */
		"{\"version\":1,\"fields\":[{\"name\":\"national_id\",\"type\":\"string\",\"max_length\":100000,"
		"\"category\":\"basic\",\"description\":{\"vi\":\"a\",\"en\":\"a\"}}]}",
	};
	vault_catalog *cat = NULL;
	size_t i;
	util_err err;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (vault_catalog_parse(bad[i], strlen(bad[i]), &cat, &err) == 0)
			fail_msg("bad catalog %zu was accepted", i);
		assert_int_equal(err.code, UTIL_EINVAL);
	}
}

/* ---- the store ---- */

typedef test_vault fixture;

static json_t *fields_of(const char *name, const char *phone)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "full_name", name, "phone", phone, "email", "someone@example.vn",
	    "date_of_birth", "1990-05-01");
}

static void enrol(vault *v, const char *nid, const char *name, const char *phone, unsigned char cid[16])
{
	json_t *fl = fields_of(name, phone);
	util_err err;

	if (vault_citizen_create(v, nid, fl, cid, NULL, &err) != 0)
		fail_msg("enrol: %s", err.msg);
	json_decref(fl);
}

static int64_t count_citizens(vault *v)
{
	vault_stats st;
	util_err err;

	assert_int_equal(vault_stats_get(v, &st, &err), 0);
	return (int64_t)st.citizens;
}

static void test_create_find_read_subset(void **state)
{
	fixture *f = *state;
	unsigned char cid[16], found[16];
	const char *names[] = {"phone"};
	json_t *o = NULL;
	util_err err;

	enrol(f->v, "001090012345", "Nguyễn Văn A", "0912345678", cid);
	assert_int_equal(vault_citizen_find(f->v, "001090012345", found, &err), 0);
	assert_memory_equal(cid, found, 16);
	assert_int_equal(vault_citizen_find(f->v, "001090012346", found, &err), -1);
	assert_int_equal(err.code, UTIL_ENOTFOUND);
	/* only what was asked for comes back */
	assert_int_equal(vault_citizen_read(f->v, cid, names, 1, &o, &err), 0);
	assert_int_equal(json_object_size(o), 1);
	assert_string_equal(json_string_value(json_object_get(o, "phone")), "0912345678");
	json_decref(o);
	/* everything, including the national ID the citizen can read back */
	assert_int_equal(vault_citizen_read(f->v, cid, NULL, 0, &o, &err), 0);
	assert_int_equal(json_object_size(o), 5);
	assert_string_equal(json_string_value(json_object_get(o, "national_id")), "001090012345");
	assert_string_equal(json_string_value(json_object_get(o, "full_name")), "Nguyễn Văn A");
	json_decref(o);
}

/* What a lookup releases: the fields asked for, each masked only where asked, from the record. */
static void test_release_masks_where_asked(void **state)
{
	fixture *f = *state;
	unsigned char cid[16];
	const char *names[] = {"phone", "full_name", "email"};
	const unsigned char masked[] = {1, 0, 1};
	const char *phone;
	json_t *o = NULL;
	util_err err;

	enrol(f->v, "001090012345", "Nguyễn Văn A", "0912345678", cid);
	assert_int_equal(vault_citizen_release(f->v, cid, names, masked, 3, &o, &err), 0);
	assert_int_equal(json_object_size(o), 3);
	assert_string_equal(json_string_value(json_object_get(o, "full_name")), "Nguyễn Văn A");
	phone = json_string_value(json_object_get(o, "phone"));
	assert_non_null(phone);
	assert_null(strstr(phone, "0912345"));
	assert_non_null(strstr(phone, "678"));
	assert_string_equal(json_string_value(json_object_get(o, "email")), "***@example.vn");
	json_decref(o);
	/* one field, unmasked: that field whole, nothing else */
	assert_int_equal(vault_citizen_release(f->v, cid, names, masked + 1, 1, &o, &err), 0);
	assert_int_equal(json_object_size(o), 1);
	assert_string_equal(json_string_value(json_object_get(o, "phone")), "0912345678");
	json_decref(o);
}

/*
 * A read right after a find goes to the row found, by rowid, but only while that row is
 * still the citizen's: rows moved under the connection give the right record, not another's.
 */
typedef struct sql_counter {
	const char *text;
	int n;
} sql_counter;

/* Counts the statements run whose SQL has the text of the sql_counter ctx. */
static int count_sql(unsigned type, void *ctx, void *stmt, void *sql)
{
	sql_counter *c = ctx;

	(void)type;
	(void)stmt;
	if (strstr((const char *)sql, c->text) != NULL)
		c->n++;
	return 0;
}

static void test_read_after_find_checks_the_row(void **state)
{
	fixture *f = *state;
	unsigned char a[16], b[16], found[16];
	const char *names[] = {"full_name"};
	sql_counter by_row = {"WHERE id = ?2 AND cid = ?1", 0};
	json_t *o = NULL;
	util_err err;

	enrol(f->v, "001090012345", "Nguyễn Văn A", "0912345678", a);
	enrol(f->v, "001090012346", "Trần Thị B", "0912345679", b);
	/* found, then read: by the rowid found */
	sqlite3_trace_v2(f->v->db, SQLITE_TRACE_STMT, count_sql, &by_row);
	assert_int_equal(vault_citizen_find(f->v, "001090012346", found, &err), 0);
	assert_int_equal(vault_citizen_read(f->v, found, names, 1, &o, &err), 0);
	sqlite3_trace_v2(f->v->db, 0, NULL, NULL);
	assert_int_equal(by_row.n, 1);
	json_decref(o);
	assert_int_equal(vault_citizen_find(f->v, "001090012345", found, &err), 0);
	/* A's row moves away and B's takes its rowid */
	assert_int_equal(vault_exec(f->v, "UPDATE citizens SET id = 1000 WHERE id = 1;"
	                                  " UPDATE citizens SET id = 1 WHERE id = 2", &err), 0);
	assert_int_equal(vault_citizen_read(f->v, found, names, 1, &o, &err), 0);
	assert_string_equal(json_string_value(json_object_get(o, "full_name")), "Nguyễn Văn A");
	json_decref(o);
	assert_int_equal(vault_citizen_read(f->v, b, names, 1, &o, &err), 0);
	assert_string_equal(json_string_value(json_object_get(o, "full_name")), "Trần Thị B");
	json_decref(o);
	/* found, then gone: not found, whatever the rowid now holds */
	assert_int_equal(vault_citizen_find(f->v, "001090012346", found, &err), 0);
	assert_int_equal(vault_exec(f->v, "DELETE FROM citizens WHERE id = 1", &err), 0);
	assert_int_equal(vault_citizen_read(f->v, found, names, 1, &o, &err), -1);
	assert_int_equal(err.code, UTIL_ENOTFOUND);
}

static void test_bad_records_write_nothing(void **state)
{
	fixture *f = *state;
	unsigned char cid[16];
	json_t *fl;
	util_err err;

	enrol(f->v, "001090012345", "Nguyễn Văn A", "0912345678", cid);
	/* the same national ID again */
	fl = fields_of("Someone Else", "0911111111");
	assert_int_equal(vault_citizen_create(f->v, "001090012345", fl, cid, NULL, &err), -1);
	assert_int_equal(err.code, UTIL_EEXISTS);
	json_decref(fl);
	/* an unknown field, a bad value, the national ID among the fields, a bad national ID */
	fl = json_pack("{s:s}", "shoe_size", "42");
	assert_int_equal(vault_citizen_create(f->v, "001090012399", fl, cid, NULL, &err), -1);
	assert_int_equal(err.code, UTIL_EINVAL);
	json_decref(fl);
	fl = json_pack("{s:s}", "date_of_birth", "1990-02-30");
	assert_int_equal(vault_citizen_create(f->v, "001090012399", fl, cid, NULL, &err), -1);
	assert_null(strstr(err.msg, "1990-02-30"));
	json_decref(fl);
	fl = json_pack("{s:s}", "national_id", "001090012399");
	assert_int_equal(vault_citizen_create(f->v, "001090012399", fl, cid, NULL, &err), -1);
	json_decref(fl);
	fl = json_object();
	assert_int_equal(vault_citizen_create(f->v, "003090012399", fl, cid, NULL, &err), -1);
	json_decref(fl);
	assert_int_equal(count_citizens(f->v), 1);
}

static void test_update_fields(void **state)
{
	fixture *f = *state;
	unsigned char cid[16];
	json_t *ch, *o = NULL;
	util_err err;

	enrol(f->v, "001090012345", "Nguyễn Văn A", "0912345678", cid);
	ch = json_pack("{s:s, s:n, s:s}", "phone", "0987654321", "email", "blood_type", "O+");
	assert_int_equal(vault_citizen_update(f->v, cid, ch, &err), 0);
	json_decref(ch);
	assert_int_equal(vault_citizen_read(f->v, cid, NULL, 0, &o, &err), 0);
	assert_string_equal(json_string_value(json_object_get(o, "phone")), "0987654321");
	assert_string_equal(json_string_value(json_object_get(o, "blood_type")), "O+");
	assert_null(json_object_get(o, "email"));
	assert_string_equal(json_string_value(json_object_get(o, "full_name")), "Nguyễn Văn A");
	json_decref(o);
	ch = json_pack("{s:s}", "national_id", "001090012346");
	assert_int_equal(vault_citizen_update(f->v, cid, ch, &err), -1);
	json_decref(ch);
	ch = json_pack("{s:s}", "phone", "not a phone");
	assert_int_equal(vault_citizen_update(f->v, cid, ch, &err), -1);
	json_decref(ch);
}

/* Runs SQL on the vault's own connection, binding one blob. */
static void sql_blob(vault *v, const char *sql, const void *blob, size_t n, const unsigned char cid[16])
{
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_prepare_v2(v->db, sql, -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_blob(s, 1, blob, (int)n, SQLITE_TRANSIENT);
	sqlite3_bind_blob(s, 2, cid, 16, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
}

static unsigned char *get_blob(vault *v, const char *col, const unsigned char cid[16], size_t *n)
{
	char sql[128];
	sqlite3_stmt *s;
	unsigned char *b;

	snprintf(sql, sizeof sql, "SELECT %s FROM citizens WHERE cid = ?1", col);
	assert_int_equal(sqlite3_prepare_v2(v->db, sql, -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_blob(s, 1, cid, 16, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	*n = (size_t)sqlite3_column_bytes(s, 0);
	b = malloc(*n);
	memcpy(b, sqlite3_column_blob(s, 0), *n);
	sqlite3_finalize(s);
	return b;
}

static void test_tampered_and_moved_ciphertexts_fail(void **state)
{
	fixture *f = *state;
	unsigned char a[16], b[16], *blob;
	const char *phone[] = {"phone"}, *email[] = {"email"};
	json_t *o = NULL;
	size_t n;
	util_err err;

	enrol(f->v, "001090012345", "Nguyễn Văn A", "0912345678", a);
	enrol(f->v, "079195001122", "Trần Thị B", "0988888888", b);

	/* 1. the record read under another DEK version: the version is bound, not just stored */
	sql_blob(f->v, "UPDATE citizens SET dek_version = 2 WHERE cid = ?2 AND ?1 IS NOT NULL", "", 0, a);
	assert_int_equal(vault_citizen_read(f->v, a, email, 1, &o, &err), -1);
	assert_int_equal(err.code, UTIL_ECORRUPT);
	assert_int_equal(vault_citizen_read(f->v, a, phone, 1, &o, &err), -1);
	sql_blob(f->v, "UPDATE citizens SET dek_version = 1 WHERE cid = ?2 AND ?1 IS NOT NULL", "", 0, a);
	assert_int_equal(vault_citizen_read(f->v, a, phone, 1, &o, &err), 0);
	json_decref(o);
	o = NULL;

	/* 1b. cut to a smaller bucket, or grown by a block: no record has that size */
	blob = get_blob(f->v, "fields", a, &n);
	sql_blob(f->v, "UPDATE citizens SET fields = ?1 WHERE cid = ?2", blob, n - 1, a);
	assert_int_equal(vault_citizen_read(f->v, a, NULL, 0, &o, &err), -1);
	assert_int_equal(err.code, UTIL_ECORRUPT);
	free(blob);

	/* 2. citizen B's whole record copied onto citizen A: B's ciphertexts do not open as A's */
	blob = get_blob(f->v, "fields", b, &n);
	sql_blob(f->v, "UPDATE citizens SET fields = ?1 WHERE cid = ?2", blob, n, a);
	assert_int_equal(vault_citizen_read(f->v, a, NULL, 0, &o, &err), -1);
	assert_int_equal(err.code, UTIL_ECORRUPT);
	free(blob);

	/* 3. B's wrapped DEK copied onto A */
	blob = get_blob(f->v, "dek", b, &n);
	sql_blob(f->v, "UPDATE citizens SET dek = ?1 WHERE cid = ?2", blob, n, a);
	assert_int_equal(vault_citizen_read(f->v, a, NULL, 0, &o, &err), -1);
	free(blob);

	/* 4. one byte of B's stored ciphertext flipped */
	blob = get_blob(f->v, "fields", b, &n);
	blob[n - 3] ^= 1;
	sql_blob(f->v, "UPDATE citizens SET fields = ?1 WHERE cid = ?2", blob, n, b);
	assert_int_equal(vault_citizen_read(f->v, b, NULL, 0, &o, &err), -1);
	assert_int_equal(err.code, UTIL_ECORRUPT);
	free(blob);
}

static void test_rotate_kek_keeps_old_data(void **state)
{
	fixture *f = *state;
	unsigned char a[16], b[16];
	uint32_t ver;
	uint64_t n;
	vault_stats st;
	json_t *o = NULL;
	util_err err;

	enrol(f->v, "001090012345", "Nguyễn Văn A", "0912345678", a);
	enrol(f->v, "079195001122", "Trần Thị B", "0988888888", b);
	assert_int_equal(vault_rotate_kek(f->v, &ver, &n, &err), 0);
	assert_int_equal(ver, 2);
	assert_int_equal(n, 2);
	assert_int_equal(vault_stats_get(f->v, &st, &err), 0);
	assert_int_equal(st.kek_current, 2);
	assert_int_equal(st.kek_versions, 1); /* version 1 destroyed: nothing used it any more */
	assert_int_equal(vault_citizen_read(f->v, a, NULL, 0, &o, &err), 0);
	assert_string_equal(json_string_value(json_object_get(o, "full_name")), "Nguyễn Văn A");
	json_decref(o);
	/* after a reopen too: the keyring on disk holds what is needed */
	vault_close(f->v);
	test_vault_open(f);
	assert_int_equal(vault_citizen_read(f->v, b, NULL, 0, &o, &err), 0);
	json_decref(o);
}

/*
 * A KEK rotated by another process (vaultctl rotate-kek beside vaultd, or during an import)
 * between sealing a record and storing it: the DEK is wrapped again under the new KEK, the
 * record is stored, and it reads back after the old KEK is gone.
 */
static void test_rotation_between_sealing_and_storing(void **state)
{
	fixture *f = *state;
	vault *other = NULL;
	vault_prepared *p = vault_prepared_new(1);
	vault_input in;
	unsigned char a[16], b[16];
	json_t *fl = fields_of("Lý Thị Xoay", "0912345678"), *o = NULL;
	uint32_t ver;
	uint64_t n;
	util_err err;

	assert_non_null(p);
	assert_int_equal(vault_open(&other, f->data, &f->u, &err), 0);
	/* sealed under the current KEK, then the KEK rotated elsewhere, then stored */
	assert_int_equal(vault_input_from_json(vault_catalog_of(f->v), "001090012345", fl, &in, &err), 0);
	assert_int_equal(vault_citizen_prepare(f->v, &in, p, &err), 0);
	assert_int_equal(vault_rotate_kek(other, &ver, &n, &err), 0);
	if (vault_citizen_insert(f->v, p, &err) != 0)
		fail_msg("insert after a rotation: %s", err.msg);
	memcpy(a, vault_prepared_cid(p), sizeof a);
	vault_prepared_wipe(p);
	/* a handle that has not looked at the keyring since the rotation enrols directly */
	assert_int_equal(vault_rotate_kek(other, &ver, &n, &err), 0);
	enrol(f->v, "079195001122", "Trần Thị B", "0988888888", b);
	/* one more rotation drops the KEKs no DEK uses: both records still open */
	assert_int_equal(vault_rotate_kek(other, &ver, &n, &err), 0);
	vault_close(other);
	vault_close(f->v);
	test_vault_open(f);
	assert_int_equal(vault_citizen_read(f->v, a, NULL, 0, &o, &err), 0);
	assert_string_equal(json_string_value(json_object_get(o, "full_name")), "Lý Thị Xoay");
	json_decref(o);
	assert_int_equal(vault_citizen_read(f->v, b, NULL, 0, &o, &err), 0);
	json_decref(o);
	json_decref(fl);
	vault_prepared_free(p);
}

static void test_rotation_seen_by_another_handle(void **state)
{
	fixture *f = *state;
	vault *other = NULL;
	unsigned char a[16], c[16];
	uint32_t ver;
	uint64_t n;
	json_t *o = NULL;
	util_err err;

	/* `other` stands for a running vaultd: opened before the rotation, with its own keyring */
	assert_int_equal(vault_open(&other, f->data, &f->u, &err), 0);
	enrol(f->v, "001090012345", "Nguyễn Văn A", "0912345678", a);
	assert_int_equal(vault_rotate_kek(f->v, &ver, &n, &err), 0);
	/* it reads a DEK wrapped under a KEK it never saw */
	assert_int_equal(vault_citizen_read(other, a, NULL, 0, &o, &err), 0);
	json_decref(o);
	/* and wraps new DEKs under the current KEK, not its stale one */
	enrol(other, "079195001122", "Trần Thị B", "0988888888", c);
	vault_close(other);
	assert_int_equal(vault_rotate_kek(f->v, &ver, &n, &err), 0);
	assert_int_equal(ver, 3);
	vault_close(f->v);
	test_vault_open(f);
	assert_int_equal(vault_citizen_read(f->v, c, NULL, 0, &o, &err), 0);
	json_decref(o);
}

static void test_erased_citizen_dek_dead_in_the_live_keyring(void **state)
{
	fixture *f = *state;
	unsigned char a[16], b[16], dek[32], *wrapped, *fields;
	size_t wn, fn;
	uint32_t ver;
	uint64_t n;
	json_t *o = NULL;
	util_err err;

	enrol(f->v, "001090012345", "Nguyễn Văn A", "0912345678", a);
	enrol(f->v, "079195001122", "Trần Thị B", "0988888888", b);
	/* what a backup taken now would hold of A */
	wrapped = get_blob(f->v, "dek", a, &wn);
	fields = get_blob(f->v, "fields", a, &fn);
	assert_int_equal(vault_citizen_erase(f->v, a, &err), 0);
	assert_int_equal(vault_citizen_read(f->v, a, NULL, 0, &o, &err), -1);
	assert_int_equal(err.code, UTIL_ENOTFOUND);
	assert_int_equal(vault_citizen_find(f->v, "001090012345", b, &err), -1);
	assert_int_equal(vault_citizen_erase(f->v, a, &err), -1);
	/* today the old wrapped DEK still opens under KEK 1 */
	assert_int_equal(keys_ring_unwrap_dek(vault_ring(f->v), 1, a, wrapped, wn, dek, &err), 0);
	/* after a rotation KEK 1 is gone from the live keyring, and the copied DEK with it (a backup
	 * keeps its own keyring: see test_old_backup_dies_with_the_old_root_key) */
	assert_int_equal(vault_rotate_kek(f->v, &ver, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_false(keys_ring_has_kek(vault_ring(f->v), 1));
	assert_int_equal(keys_ring_unwrap_dek(vault_ring(f->v), 1, a, wrapped, wn, dek, &err), -1);
	assert_int_equal(keys_ring_unwrap_dek(vault_ring(f->v), ver, a, wrapped, wn, dek, &err), -1);
	{
		sqlite3_stmt *s;

		assert_int_equal(sqlite3_prepare_v2(f->v->db, "SELECT count(*) FROM key_items WHERE name = 'kek:1'", -1,
		                     &s, NULL),
		    SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(s, 0), 0);
		sqlite3_finalize(s);
	}
	free(wrapped);
	free(fields);
}

/*
 * What reaches an erased citizen in an old backup: the backup carries its own keyring, so a
 * KEK rotation does not; a rekey followed by destroying the old root key does.
 */
static void test_old_backup_dies_with_the_old_root_key(void **state)
{
	fixture *f = *state;
	char *bk = test_path(f->dir, "before-erasure"), *r1 = test_path(f->dir, "r1"), *r2 = test_path(f->dir, "r2");
	char *k2 = test_path(f->dir, "k2");
	vault_unlock nu = {.key_file = k2};
	unsigned char a[16];
	uint32_t ver;
	uint64_t n;
	json_t *o = NULL;
	vault *v = NULL;
	util_err err;

	enrol(f->v, "001090012345", "Nguyễn Văn A", "0912345678", a);
	assert_int_equal(vault_backup(f->v, bk, &err), 0);
	assert_int_equal(vault_citizen_erase(f->v, a, &err), 0);
	assert_int_equal(vault_rotate_kek(f->v, &ver, &n, &err), 0);
	/* the backup with the root key of its day: the erased record is there */
	assert_int_equal(vault_restore(bk, r1, &f->u, &err), 0);
	assert_int_equal(vault_open(&v, r1, &f->u, &err), 0);
	assert_int_equal(vault_citizen_read(v, a, NULL, 0, &o, &err), 0);
	json_decref(o);
	vault_close(v);
	/* rekey, and destroy the old root key: the old backup opens with nothing we still hold */
	vault_close(f->v);
	f->v = NULL;
	assert_int_equal(vault_rekey(f->data, &f->u, &nu, &err), 0);
	assert_int_equal(unlink(f->key), 0);
	assert_int_equal(vault_restore(bk, r2, &nu, &err), -1);
	assert_int_equal(err.code, UTIL_EKEY);
	assert_int_equal(vault_open(&f->v, f->data, &nu, &err), 0);
	f->u = nu;
	free(bk);
	free(r1);
	free(r2);
	free(k2);
}

static void test_wrong_key_refused(void **state)
{
	fixture *f = *state;
	char *other = test_path(f->dir, "other.key");
	keys_root *r = NULL;
	vault_unlock bad = {.key_file = other};
	vault *v = NULL;
	util_err err;

	assert_int_equal(keys_root_create_file(other, &r, &err), 0);
	keys_root_free(r);
	assert_int_equal(vault_open(&v, f->data, &bad, &err), -1);
	assert_int_equal(err.code, UTIL_EKEY);
	bad.key_file = NULL;
	bad.passphrase = "a passphrase";
	bad.passphrase_len = 12;
	assert_int_equal(vault_open(&v, f->data, &bad, &err), -1);
	assert_int_equal(err.code, UTIL_EKEY);
	free(other);
}

static void test_passphrase_vault(void **state)
{
	char *dir = test_tmpdir(), *data = test_path(dir, "data"), id[VAULT_ID_HEX];
	vault_unlock u = {.passphrase = "sông Hồng chảy mãi", .kdf_ops = 1, .kdf_mem = 8192};
	vault_unlock wrong = u;
	vault *v = NULL;
	unsigned char cid[16];
	util_err err;

	(void)state;
	u.passphrase_len = strlen(u.passphrase);
	wrong.passphrase = "sông Hồng chảy mãI";
	wrong.passphrase_len = strlen(wrong.passphrase);
	assert_int_equal(vault_create(data, &u, NULL, id, &err), 0);
	assert_int_equal(vault_open(&v, data, &wrong, &err), -1);
	assert_int_equal(err.code, UTIL_EKEY);
	assert_int_equal(vault_open(&v, data, &u, &err), 0);
	enrol(v, "001090012345", "Nguyễn Văn A", "0912345678", cid);
	vault_close(v);
	test_rmtree(dir);
	free(data);
	free(dir);
}

static void test_rekey_key_file_and_passphrase(void **state)
{
	fixture *f = *state;
	char *k2 = test_path(f->dir, "new.key");
	vault_unlock nu = {.key_file = k2};
	vault_unlock pu = {.passphrase = "a long enough passphrase", .kdf_ops = 1, .kdf_mem = 8192};
	unsigned char a[16], found[16];
	vault *v = NULL;
	util_err err;

	pu.passphrase_len = strlen(pu.passphrase);
	enrol(f->v, "001090012345", "Nguyễn Văn A", "0912345678", a);
	/* vaultd running (a shared lock held) blocks a rekey */
	{
		int fd;

		assert_int_equal(vault_lock(f->data, 0, &fd, &err), 0);
		assert_int_equal(vault_rekey(f->data, &f->u, &nu, &err), -1);
		assert_int_equal(err.code, UTIL_EBUSY);
		close(fd);
	}
	vault_close(f->v);
	f->v = NULL;
	if (vault_rekey(f->data, &f->u, &nu, &err) != 0)
		fail_msg("rekey: %s", err.msg);
	assert_int_equal(vault_open(&v, f->data, &f->u, &err), -1); /* the old key no longer opens it */
	assert_int_equal(err.code, UTIL_EKEY);
	assert_int_equal(vault_open(&v, f->data, &nu, &err), 0);
	/* blind indexes survive: the national ID still finds the same citizen */
	assert_int_equal(vault_citizen_find(v, "001090012345", found, &err), 0);
	assert_memory_equal(a, found, 16);
	vault_close(v);
	/* and on to a passphrase */
	assert_int_equal(vault_rekey(f->data, &nu, &pu, &err), 0);
	assert_int_equal(vault_open(&v, f->data, &nu, &err), -1);
	assert_int_equal(vault_open(&v, f->data, &pu, &err), 0);
	assert_int_equal(vault_citizen_find(v, "001090012345", found, &err), 0);
	vault_close(v);
	f->u = pu;
	test_vault_open(f);
	free(k2);
}

static void test_rekey_interrupted_after_switch_is_finished_on_open(void **state)
{
	fixture *f = *state;
	char *k2 = test_path(f->dir, "new.key"), *meta = test_path(f->data, "vault.meta");
	vault_unlock nu = {.key_file = k2};
	unsigned char *old_meta, a[16];
	size_t n;
	json_t *m;
	vault *v = NULL;
	util_err err;

	enrol(f->v, "001090012345", "Nguyễn Văn A", "0912345678", a);
	vault_close(f->v);
	f->v = NULL;
	old_meta = test_read_file(meta, &n);
	assert_int_equal(vault_rekey(f->data, &f->u, &nu, &err), 0);
	/* put vault.meta back as it stood between the database switch and the meta update */
	m = json_loadb((const char *)old_meta, n, 0, NULL);
	json_object_set_new(m, "next", json_pack("{s:s}", "kind", "key_file"));
	{
		char *s = json_dumps(m, 0);

		test_write_file(meta, s, strlen(s));
		vault_json_free(s);
	}
	json_decref(m);
	assert_int_equal(vault_open(&v, f->data, &nu, &err), 0);
	vault_close(v);
	free(old_meta);
	old_meta = test_read_file(meta, &n);
	assert_null(strstr((const char *)old_meta, "next")); /* promoted */
	free(old_meta);
	f->u = nu;
	test_vault_open(f);
	free(k2);
	free(meta);
}

/*
 * A rekey switches vault.db, then audit.db. Stopped between the two renames, audit.db still
 * holds the log under the old key and audit.db.rekey under the new: opening with the new key
 * finishes the switch. Without audit.db.rekey, a log under another key is refused.
 */
static void test_rekey_interrupted_between_the_two_files(void **state)
{
	fixture *f = *state;
	char *k2 = test_path(f->dir, "new.key"), *alog = test_path(f->data, "audit.db");
	char *arekey = test_path(f->data, "audit.db.rekey");
	vault_unlock nu = {.key_file = k2};
	unsigned char *old_log, a[16];
	size_t n;
	struct stat st;
	vault *v = NULL;
	util_err err;

	enrol(f->v, "001090012345", "Nguyễn Văn A", "0912345678", a);
	vault_close(f->v);
	f->v = NULL;
	old_log = test_read_file(alog, &n);
	assert_int_equal(vault_rekey(f->data, &f->u, &nu, &err), 0);
	assert_int_equal(stat(arekey, &st), -1);
	/* put the files back as they stood between the two renames */
	assert_int_equal(rename(alog, arekey), 0);
	test_write_file(alog, old_log, n);
	assert_int_equal(vault_open(&v, f->data, &nu, &err), 0);
	assert_int_equal(stat(arekey, &st), -1); /* finished */
	assert_int_equal(sqlite3_exec(v->db, "SELECT count(*) FROM audit.audit_entries", NULL, NULL, NULL), SQLITE_OK);
	vault_close(v);
	/* a log under another key and nothing to finish: refused */
	test_write_file(alog, old_log, n);
	assert_int_equal(vault_open(&v, f->data, &nu, &err), -1);
	assert_int_equal(err.code, UTIL_EKEY);
	free(old_log);
	free(k2);
	free(alog);
	free(arekey);
}

/* The vault's two page-key strings (VAULT_KEYS_STR), from its key file; keys_secret_free them. */
static char *fx_page_keys(fixture *f)
{
	char *keys = keys_secret_alloc(VAULT_KEYS_STR);
	keys_root *root = NULL;
	util_err err;

	assert_non_null(keys);
	assert_int_equal(keys_root_load_file(f->key, &root, &err), 0);
	assert_int_equal(vault_page_keys(root, keys), 0);
	keys_root_free(root);
	return keys;
}

/* Puts vault.db back at schema 3, its audit log inside it with one entry. */
static void as_schema_3(fixture *f)
{
	char *path = test_path(f->data, "vault.db"), *keys = fx_page_keys(f);
	sqlite3 *db = NULL;
	util_err err;

	assert_int_equal(vault_db_open(path, keys, 0, &db, &err), 0);
	assert_int_equal(sqlite3_exec(db,
	                     "BEGIN;"
	                     "DROP INDEX consents_decide;" /* migration 5 undone */
	                     "CREATE INDEX consents_lookup ON consents(cid, agency_id, purpose_id);"
	                     "CREATE TABLE audit_entries(seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, cid BLOB,"
	                     " agency_id TEXT, action TEXT NOT NULL, decision TEXT, entry BLOB NOT NULL);"
	                     "CREATE INDEX audit_cid ON audit_entries(cid, seq) WHERE cid IS NOT NULL;"
	                     "CREATE TABLE audit_hashes(idx INTEGER PRIMARY KEY, hash BLOB NOT NULL);"
	                     "CREATE TABLE audit_checkpoints(size INTEGER PRIMARY KEY, note TEXT NOT NULL,"
	                     " created_at INTEGER NOT NULL);"
	                     "CREATE TABLE audit_head(id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL,"
	                     " note TEXT NOT NULL);"
	                     "INSERT INTO audit_entries VALUES (0, 1, NULL, NULL, 'test.old', NULL, 'x');"
	                     "INSERT INTO audit_hashes VALUES (0, x'00');"
	                     "DROP TABLE audit_pending; PRAGMA user_version = 3; COMMIT;",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	keys_secret_free(keys);
	free(path);
}

/*
 * Migration 4 moves the log of a vault made before audit.db into a new audit.db. A stop
 * between its two halves (the copy committed in audit.db, the drop not yet in vault.db)
 * finishes without copying twice.
 */
/* ---- what the page key alone shows of a record ---- */

/* Enrols a citizen with the fields of the JSON text js. */
static void enrol_json(vault *v, const char *nid, const char *js, unsigned char cid[16])
{
	json_t *fl = json_loads(js, 0, NULL);
	util_err err;

	assert_non_null(fl);
	if (vault_citizen_create(v, nid, fl, cid, NULL, &err) != 0)
		fail_msg("enrol: %s", err.msg);
	json_decref(fl);
}

/* A record, then one that differs in two enum values, one with two optional fields more, one with one fewer. */
static const char *const lookalikes[] = {
	"{\"full_name\": \"Nguyễn Văn An\", \"gender\": \"male\", \"criminal_record_status\": \"none\","
	" \"date_of_birth\": \"1990-05-01\", \"phone\": \"0912345678\"}",
	"{\"full_name\": \"Nguyễn Văn An\", \"gender\": \"female\", \"criminal_record_status\": \"has_record\","
	" \"date_of_birth\": \"1990-05-01\", \"phone\": \"0912345678\"}",
	"{\"full_name\": \"Nguyễn Văn An\", \"gender\": \"male\", \"criminal_record_status\": \"none\","
	" \"date_of_birth\": \"1990-05-01\", \"phone\": \"0912345678\", \"religion\": \"Phật giáo\","
	" \"chronic_conditions\": \"hen suyễn\"}",
	"{\"full_name\": \"Nguyễn Văn An\", \"gender\": \"male\", \"criminal_record_status\": \"none\","
	" \"date_of_birth\": \"1990-05-01\"}",
};
static const char *const lookalike_nids[] = {"001090012345", "079195001122", "096300000001", "048201123456"};

/* vault.db of f opened the way store.c opens it, with the page key and nothing else. */
static sqlite3 *page_key_only(fixture *f)
{
	char *path = test_path(f->data, "vault.db"), *keys = fx_page_keys(f);
	sqlite3 *db = NULL;
	util_err err;

	assert_int_equal(vault_db_open(path, keys, 0, &db, &err), 0);
	keys_secret_free(keys);
	free(path);
	return db;
}

static void test_page_key_cannot_tell_records_apart(void **state)
{
	fixture *f = *state;
	vault_catalog *cat = NULL;
	static const char *const words[] = {"female", "has_record", "Phật", "suyễn", "Nguy", "0912345678"};
	unsigned char cid[16];
	sqlite3_stmt *s;
	sqlite3 *db;
	size_t i, k;
	int col, rows = 0;

	assert_int_equal(vault_catalog_parse(vault_default_catalog, strlen(vault_default_catalog), &cat, NULL), 0);
	for (i = 0; i < sizeof lookalikes / sizeof lookalikes[0]; i++)
		enrol_json(f->v, lookalike_nids[i], lookalikes[i], cid);
	vault_close(f->v);
	f->v = NULL;
	db = page_key_only(f);
	/* the same size, sealed record and whole row alike */
	assert_int_equal(test_sql_int(db, "SELECT count(DISTINCT length(fields)) FROM citizens"), 1);
	assert_int_equal(test_sql_int(db, "SELECT count(DISTINCT length(cid) + length(nid_index) + length(dek) +"
	                                  " length(fields) + length(totp)) FROM citizens"),
	    1);
	/* and no field name, enum value or other value in any column */
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT * FROM citizens ORDER BY id", -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		rows++;
		for (col = 0; col < sqlite3_column_count(s); col++) {
			const void *b = sqlite3_column_blob(s, col);
			size_t n = (size_t)sqlite3_column_bytes(s, col);

			for (k = 0; k < vault_catalog_count(cat); k++) {
				const char *name = vault_catalog_at(cat, k)->name;

				if (b != NULL && memmem(b, n, name, strlen(name)) != NULL)
					fail_msg("field name %s in column %s", name, sqlite3_column_name(s, col));
			}
			for (k = 0; k < sizeof words / sizeof words[0]; k++)
				if (b != NULL && memmem(b, n, words[k], strlen(words[k])) != NULL)
					fail_msg("value %s in column %s", words[k], sqlite3_column_name(s, col));
		}
	}
	sqlite3_finalize(s);
	assert_int_equal(rows, 4);
	sqlite3_close(db);
	vault_catalog_free(cat);
	test_vault_open(f);
}

/*
 * The file's view: two vaults of twelve citizens each, one of records like the first above,
 * the other of records that differ in enum values and hold two fields more, take as many pages.
 */
static void test_page_key_sees_the_same_pages(void **state)
{
	fixture *f = *state, g = {0};
	char nid[13];
	int64_t pages[2];
	unsigned char cid[16];
	int i, k;

	test_vault_make(&g);
	for (k = 0; k < 2; k++) {
		fixture *x = k == 0 ? f : &g;
		sqlite3 *db;

		for (i = 0; i < 12; i++) {
			snprintf(nid, sizeof nid, "0010900123%02d", i);
			enrol_json(x->v, nid,
			    k == 0 ? lookalikes[0]
			           : "{\"full_name\": \"Nguyễn Văn An\", \"gender\": \"female\", \"criminal_record_status\":"
			             " \"has_record\", \"date_of_birth\": \"1990-05-01\", \"phone\": \"0912345678\","
			             " \"religion\": \"Phật giáo\", \"chronic_conditions\": \"hen suyễn\"}",
			    cid);
		}
		vault_close(x->v);
		x->v = NULL;
		db = page_key_only(x);
		pages[k] = test_sql_int(db, "PRAGMA page_count");
		sqlite3_close(db);
	}
	assert_int_equal(pages[0], pages[1]);
	test_vault_open(f);
	test_vault_release(&g);
}

/* ---- migration 7: records of format 1 rewritten on open ---- */

#define MIGRATE_N 1100 /* past the migration's batch of 1,000, so that it commits more than once */

/*
 * The format-1 blob of record rec (every field of it, national ID included) of citizen cid,
 * as format 1 stored it: u8 1 || { u8 name length || name || u16 sealed length || sealed }*,
 * each value sealed on its own (vault_field_seal). *n gets its size; the caller frees.
 */
static unsigned char *format_1_blob(vault *v, const unsigned char cid[16], const json_t *rec, size_t *n)
{
	unsigned char dek[KEYS_BYTES], *b = malloc(VAULT_MAX_FIELDS * (3 + VAULT_NAME_MAX + VAULT_VALUE_MAX +
	                                                               VAULT_FIELD_OVERHEAD) + 1);
	char value[VAULT_VALUE_MAX + 1];
	sqlite3_stmt *s;
	const char *name;
	json_t *val;
	size_t off = 1, len;
	util_err err;

	assert_non_null(b);
	assert_int_equal(sqlite3_prepare_v2(v->db, "SELECT kek_version, dek, dek_version FROM citizens WHERE cid = ?1",
	                     -1, &s, NULL),
	    SQLITE_OK);
	sqlite3_bind_blob(s, 1, cid, 16, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(s, 2), 1);
	assert_int_equal(keys_ring_unwrap_dek(vault_ring(v), (uint32_t)sqlite3_column_int64(s, 0), cid,
	                     sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1), dek, &err),
	    0);
	sqlite3_finalize(s);
	b[0] = 1;
	json_object_foreach((json_t *)rec, name, val) {
		const vault_field_def *d = vault_catalog_find(vault_catalog_of(v), name, strlen(name));

		assert_non_null(d);
		assert_int_equal(vault_field_check(d, val, value, &len, &err), 0);
		b[off] = (unsigned char)strlen(name);
		memcpy(b + off + 1, name, strlen(name));
		off += 1 + strlen(name);
		util_put_u16(b + off, (uint16_t)(len + VAULT_FIELD_OVERHEAD));
		vault_field_seal(dek, cid, 1, name, (const unsigned char *)value, len, b + off + 2);
		off += 2 + len + VAULT_FIELD_OVERHEAD;
	}
	sodium_memzero(dek, sizeof dek);
	sodium_memzero(value, sizeof value);
	*n = off;
	return b;
}

static void test_migration_reseals_format_1_records(void **state)
{
	fixture *f = *state;
	static unsigned char cids[MIGRATE_N][16];
	static json_t *recs[MIGRATE_N];
	unsigned char *bad = NULL, *good = NULL;
	size_t i, n, bad_n = 0;
	char nid[13];
	util_err err;

	/* the lookalikes, then more records in one transaction */
	for (i = 0; i < 4; i++)
		enrol_json(f->v, lookalike_nids[i], lookalikes[i], cids[i]);
	assert_int_equal(vault_begin(f->v, &err), 0);
	for (i = 4; i < MIGRATE_N; i++) {
		json_t *fl = fields_of(i % 2 ? "Trần Thị B" : "Lê C", "0912345678");

		snprintf(nid, sizeof nid, "001090%06zu", i);
		if (i % 3 == 0)
			json_object_set_new(fl, "annual_income", json_integer((json_int_t)i * 1000));
		assert_int_equal(vault_citizen_create(f->v, nid, fl, cids[i], NULL, &err), 0);
		json_decref(fl);
	}
	assert_int_equal(vault_commit(f->v, &err), 0);
	for (i = 0; i < MIGRATE_N; i++)
		assert_int_equal(vault_citizen_read(f->v, cids[i], NULL, 0, &recs[i], &err), 0);

	/* every record but the fourth back in format 1 (the fourth as if a stopped migration had
	 * done it already), and the schema at 6 */
	assert_int_equal(sqlite3_exec(f->v->db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	for (i = 0; i < MIGRATE_N; i++) {
		unsigned char *b;

		if (i == 3)
			continue;
		b = format_1_blob(f->v, cids[i], recs[i], &n);
		sql_blob(f->v, "UPDATE citizens SET fields = ?1 WHERE cid = ?2", b, n, cids[i]);
		if (i == MIGRATE_N - 1) {
			/* the last one also kept aside, and a copy of it that does not open */
			good = b;
			bad_n = n;
			bad = malloc(n);
			memcpy(bad, b, n);
			bad[n - 1] ^= 1;
		} else {
			free(b);
		}
	}
	/* a vault of schema 6 still had failed logins hashed with the token key */
	assert_int_equal(sqlite3_exec(f->v->db, "CREATE TABLE auth_failures(ident BLOB NOT NULL, at INTEGER NOT NULL);"
	                                        " INSERT INTO auth_failures VALUES (zeroblob(32), 1)", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_exec(f->v->db, "PRAGMA user_version = 6; COMMIT", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(test_sql_int(f->v->db, "SELECT count(*) FROM citizens WHERE substr(fields, 1, 1) = x'01'"),
	    MIGRATE_N - 1);

	/* a record that does not open stops the migration: the version stays, what was
	 * rewritten before it stands, and nothing is lost */
	sql_blob(f->v, "UPDATE citizens SET fields = ?1 WHERE cid = ?2", bad, bad_n, cids[MIGRATE_N - 1]);
	vault_close(f->v);
	f->v = NULL;
	assert_int_equal(vault_open(&f->v, f->data, &f->u, &err), -1);
	assert_int_equal(err.code, UTIL_ECORRUPT);
	{
		sqlite3 *db = page_key_only(f);

		assert_int_equal(test_sql_int(db, "PRAGMA user_version"), 6);
		assert_int_equal(test_sql_int(db, "SELECT count(*) FROM citizens WHERE substr(fields, 1, 1) = x'02'"), 1001);
		sqlite3_close(db);
	}

	/* mended, it opens: the rest is rewritten, and every record reads as before */
	{
		sqlite3 *db = page_key_only(f);
		sqlite3_stmt *s;

		assert_int_equal(sqlite3_prepare_v2(db, "UPDATE citizens SET fields = ?1 WHERE cid = ?2", -1, &s, NULL),
		    SQLITE_OK);
		sqlite3_bind_blob(s, 1, good, (int)bad_n, SQLITE_STATIC);
		sqlite3_bind_blob(s, 2, cids[MIGRATE_N - 1], 16, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(s), SQLITE_DONE);
		sqlite3_finalize(s);
		sqlite3_close(db);
	}
	test_vault_open(f);
	assert_int_equal(test_sql_int(f->v->db, "PRAGMA user_version"), VAULT_SCHEMA);
	/* 10: failed logins kept under the token-hashing key are gone with their table */
	assert_int_equal(test_sql_int(f->v->db, "SELECT count(*) FROM sqlite_master WHERE name = 'auth_failures'"), 0);
	assert_int_equal(test_sql_int(f->v->db, "SELECT count(*) FROM citizens WHERE substr(fields, 1, 1) <> x'02'"), 0);
	assert_int_equal(test_sql_int(f->v->db, "SELECT count(DISTINCT length(fields)) FROM citizens"), 1);
	for (i = 0; i < MIGRATE_N; i++) {
		json_t *o = NULL;
		unsigned char secret[VAULT_TOTP_SECRET_BYTES];
		int64_t last;

		assert_int_equal(vault_citizen_read(f->v, cids[i], NULL, 0, &o, &err), 0);
		if (!json_equal(o, recs[i]))
			fail_msg("record %zu reads differently after the migration", i);
		json_decref(o);
		json_decref(recs[i]);
		assert_int_equal(vault_citizen_totp(f->v, cids[i], secret, &last, &err), 0);
	}
	/* and rectifying a migrated record works on its new form */
	{
		json_t *fl = json_pack("{s:s}", "phone", "0987654321"), *o = NULL;
		const char *phone[] = {"phone"};

		assert_int_equal(vault_citizen_update(f->v, cids[0], fl, &err), 0);
		assert_int_equal(vault_citizen_read(f->v, cids[0], phone, 1, &o, &err), 0);
		assert_string_equal(json_string_value(json_object_get(o, "phone")), "0987654321");
		json_decref(o);
		json_decref(fl);
	}
	free(good);
	free(bad);
}

/*
 * Migration 7 killed (SIGKILL) at random points, again and again, until one open finishes it:
 * after each kill the file is sound, the schema is 6 or later, and a record is of format 1 or 2;
 * at the end every record reads as before.
 */
static void test_migration_survives_kill9(void **state)
{
	enum { N = 3000 };
	fixture *f = *state;
	static unsigned char cids[N][16];
	static json_t *recs[N];
	useconds_t delay = 1000;
	int round, done = 0;
	size_t i, n;
	char nid[13];
	util_err err;

	assert_int_equal(vault_begin(f->v, &err), 0);
	for (i = 0; i < N; i++) {
		json_t *fl = fields_of(i % 2 ? "Trần Thị B" : "Lê C", "0912345678");

		snprintf(nid, sizeof nid, "079195%06zu", i);
		assert_int_equal(vault_citizen_create(f->v, nid, fl, cids[i], NULL, &err), 0);
		json_decref(fl);
	}
	assert_int_equal(vault_commit(f->v, &err), 0);
	assert_int_equal(sqlite3_exec(f->v->db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	for (i = 0; i < N; i++) {
		unsigned char *b;

		assert_int_equal(vault_citizen_read(f->v, cids[i], NULL, 0, &recs[i], &err), 0);
		b = format_1_blob(f->v, cids[i], recs[i], &n);
		sql_blob(f->v, "UPDATE citizens SET fields = ?1 WHERE cid = ?2", b, n, cids[i]);
		free(b);
	}
	assert_int_equal(sqlite3_exec(f->v->db, "PRAGMA user_version = 6; COMMIT", NULL, NULL, NULL), SQLITE_OK);
	vault_close(f->v);
	f->v = NULL;

	srand((unsigned)time(NULL));
	for (round = 0; round < 60 && !done; round++) {
		pid_t pid = fork();
		int status;
		sqlite3 *db;

		assert_true(pid >= 0);
		if (pid == 0) {
			vault *v;

			_exit(vault_open(&v, f->data, &f->u, &err) == 0 ? (vault_close(v), 0) : 1);
		}
		/* from a millisecond or two, growing by 40% a round: slow runs (valgrind) get there too */
		usleep((useconds_t)(rand() % 1000) + delay);
		if (delay < 20000000)
			delay = delay * 7 / 5;
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (WIFEXITED(status)) {
			assert_int_equal(WEXITSTATUS(status), 0);
			done = 1;
		}
		db = page_key_only(f);
		{
			sqlite3_stmt *s;

			assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
			assert_int_equal(sqlite3_step(s), SQLITE_ROW);
			assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
			sqlite3_finalize(s);
		}
		assert_in_range(test_sql_int(db, "PRAGMA user_version"), 6, VAULT_SCHEMA);
		assert_int_equal(test_sql_int(db, "SELECT count(*) FROM citizens WHERE substr(fields, 1, 1) IN (x'01', x'02')"),
		    N);
		if (test_sql_int(db, "PRAGMA user_version") >= 7)
			assert_int_equal(test_sql_int(db, "SELECT count(*) FROM citizens WHERE substr(fields, 1, 1) = x'01'"), 0);
		sqlite3_close(db);
	}
	assert_true(done);
	test_vault_open(f);
	assert_int_equal(test_sql_int(f->v->db, "PRAGMA user_version"), VAULT_SCHEMA);
	for (i = 0; i < N; i++) {
		json_t *o = NULL;

		assert_int_equal(vault_citizen_read(f->v, cids[i], NULL, 0, &o, &err), 0);
		if (!json_equal(o, recs[i]))
			fail_msg("record %zu reads differently after the migration", i);
		json_decref(o);
		json_decref(recs[i]);
	}
}

/* Runs sql on vault.db with the page key alone, the vault closed. */
static void fx_raw_sql(fixture *f, const char *sql)
{
	char *path = test_path(f->data, "vault.db"), *keys = fx_page_keys(f);
	sqlite3 *db = NULL;
	util_err err;

	assert_int_equal(vault_db_open(path, keys, 0, &db, &err), 0);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s", sqlite3_errmsg(db));
	sqlite3_close(db);
	keys_secret_free(keys);
	free(path);
}

/*
 * Migration 8 takes the tables of schema 7 (tokens without id, prefix and last use; officers
 * without active; pseudonyms without enrolled): old tokens get an id and their kind as prefix,
 * officers stay active, pseudonyms stay enrolled. Run again over its own columns (a version
 * moved back), it changes nothing and does not fail.
 */
static void test_migration_8_names_old_tokens(void **state)
{
	fixture *f = *state;
	char id[32];
	sqlite3_stmt *s;

	vault_close(f->v);
	f->v = NULL;
	fx_raw_sql(f, "BEGIN; DROP TABLE tokens; DROP TABLE officers; DROP TABLE pseudonyms;"
	              "CREATE TABLE tokens(hash BLOB PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL,"
	              " expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID;"
	              "CREATE INDEX tokens_subject ON tokens(subject);"
	              "CREATE TABLE officers(id TEXT PRIMARY KEY, name TEXT NOT NULL, totp BLOB NOT NULL,"
	              " totp_step INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);"
	              "CREATE TABLE pseudonyms(agency_id TEXT NOT NULL, pid BLOB NOT NULL, cid BLOB NOT NULL,"
	              " PRIMARY KEY(agency_id, pid)) WITHOUT ROWID;"
	              "INSERT INTO tokens VALUES (x'01', 'agency', 'agency:ag_1', 9000000000000000000, 1);"
	              "INSERT INTO tokens VALUES (x'02', 'admin', 'admin', 9000000000000000000, 1);"
	              "INSERT INTO officers VALUES ('of_1', 'An Officer', x'00', 0, 1);"
	              "INSERT INTO pseudonyms VALUES ('ag_1', x'00', x'00');"
	              "PRAGMA user_version = 7; COMMIT;");
	test_vault_open(f);
	assert_int_equal(test_sql_int(f->v->db, "PRAGMA user_version"), VAULT_SCHEMA);
	assert_int_equal(test_sql_int(f->v->db, "SELECT count(*) FROM tokens WHERE id GLOB 'tk_[0-9a-f]*' AND length(id) = 19"
	                                        " AND last_used = 0 AND prefix = 'vk_' || kind || '_'"),
	    2);
	assert_int_equal(test_sql_int(f->v->db, "SELECT count(DISTINCT id) FROM tokens"), 2);
	assert_int_equal(test_sql_int(f->v->db, "SELECT active FROM officers WHERE id = 'of_1'"), 1);
	assert_int_equal(test_sql_int(f->v->db, "SELECT enrolled FROM pseudonyms"), 1);
	assert_int_equal(sqlite3_prepare_v2(f->v->db, "SELECT id FROM tokens WHERE hash = x'01'", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	snprintf(id, sizeof id, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	vault_close(f->v);
	f->v = NULL;
	fx_raw_sql(f, "PRAGMA user_version = 7;");
	test_vault_open(f);
	assert_int_equal(test_sql_int(f->v->db, "PRAGMA user_version"), VAULT_SCHEMA);
	assert_int_equal(sqlite3_prepare_v2(f->v->db, "SELECT id FROM tokens WHERE hash = x'01'", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), id);
	sqlite3_finalize(s);
}

static void test_migration_moves_the_log_to_audit_db(void **state)
{
	fixture *f = *state;
	char *alog = test_path(f->data, "audit.db");
	util_err err;

	vault_close(f->v);
	f->v = NULL;
	as_schema_3(f);
	test_rmtree(alog); /* a vault of schema 3 had no audit.db */
	test_vault_open(f);
	assert_int_equal(test_sql_int(f->v->db, "PRAGMA user_version"), VAULT_SCHEMA);
	assert_int_equal(test_sql_int(f->v->db, "SELECT count(*) FROM audit.audit_entries WHERE action = 'test.old'"), 1);
	assert_int_equal(test_sql_int(f->v->db, "SELECT count(*) FROM audit.audit_hashes"), 1);
	assert_int_equal(test_sql_int(f->v->db, "SELECT count(*) FROM sqlite_master WHERE name = 'consents_decide'"), 1);
	assert_int_equal(test_sql_int(f->v->db, "SELECT count(*) FROM main.sqlite_master WHERE name LIKE 'audit\\_%' ESCAPE"
	                                    " '\\' AND name <> 'audit_pending'"),
	    0);
	assert_int_equal(test_sql_int(f->v->db, "SELECT count(*) FROM main.audit_pending"), 0);
	vault_close(f->v);
	f->v = NULL;
	/* the second half again, with audit.db already holding the copy */
	as_schema_3(f);
	test_vault_open(f);
	assert_int_equal(test_sql_int(f->v->db, "PRAGMA user_version"), VAULT_SCHEMA);
	assert_int_equal(test_sql_int(f->v->db, "SELECT count(*) FROM audit.audit_entries"), 1);
	vault_close(f->v);
	f->v = NULL;
	/* an audit.db whose log is not vault.db's (a stray file, or an old program's append in
	 * between): copied again before vault.db's log is dropped */
	as_schema_3(f);
	{
		char *keys = fx_page_keys(f);
		sqlite3 *db = NULL;

		assert_int_equal(vault_db_open(alog, VAULT_FILE_KEY(keys, 0), 0, &db, &err), 0);
		assert_int_equal(sqlite3_exec(db, "INSERT INTO audit_entries VALUES (1, 2, NULL, NULL, 'stray', NULL, 'y')",
		                     NULL, NULL, NULL),
		    SQLITE_OK);
		sqlite3_close(db);
		keys_secret_free(keys);
	}
	test_vault_open(f);
	assert_int_equal(test_sql_int(f->v->db, "SELECT count(*) FROM audit.audit_entries"), 1);
	assert_int_equal(test_sql_int(f->v->db, "SELECT count(*) FROM audit.audit_entries WHERE action = 'test.old'"), 1);
	free(alog);
}

/* ---- a VFS over the default one, failing writes to audit.db's WAL on demand ---- */

typedef struct shim_file {
	sqlite3_file base;
	int audit_wal;
	sqlite3_file *real; /* right after this struct */
} shim_file;

static sqlite3_vfs shim_vfs, *real_vfs;
static int fail_audit_wal;

#define REAL(f) (((shim_file *)(f))->real)

static int sh_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}

static int sh_read(sqlite3_file *f, void *p, int n, sqlite3_int64 o)
{
	return REAL(f)->pMethods->xRead(REAL(f), p, n, o);
}

static int sh_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 o)
{
	if (fail_audit_wal && ((shim_file *)f)->audit_wal)
		return SQLITE_FULL;
	return REAL(f)->pMethods->xWrite(REAL(f), p, n, o);
}

static int sh_truncate(sqlite3_file *f, sqlite3_int64 n)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), n);
}

static int sh_sync(sqlite3_file *f, int fl)
{
	return REAL(f)->pMethods->xSync(REAL(f), fl);
}

static int sh_size(sqlite3_file *f, sqlite3_int64 *n)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), n);
}

static int sh_lock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xLock(REAL(f), l);
}

static int sh_unlock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), l);
}

static int sh_reserved(sqlite3_file *f, int *r)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), r);
}

static int sh_fcntl(sqlite3_file *f, int op, void *a)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, a);
}

static int sh_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int sh_dev(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int sh_shmmap(sqlite3_file *f, int i, int n, int e, void volatile **p)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), i, n, e, p);
}

static int sh_shmlock(sqlite3_file *f, int o, int n, int fl)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), o, n, fl);
}

static void sh_shmbarrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int sh_shmunmap(sqlite3_file *f, int d)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), d);
}

static int sh_fetch(sqlite3_file *f, sqlite3_int64 o, int n, void **p)
{
	return REAL(f)->pMethods->xFetch(REAL(f), o, n, p);
}

static int sh_unfetch(sqlite3_file *f, sqlite3_int64 o, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), o, p);
}

static const sqlite3_io_methods shim_io = {3, sh_close, sh_read, sh_write, sh_truncate, sh_sync, sh_size, sh_lock,
	sh_unlock, sh_reserved, sh_fcntl, sh_sector, sh_dev, sh_shmmap, sh_shmlock, sh_shmbarrier, sh_shmunmap,
	sh_fetch, sh_unfetch};

static int sh_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	shim_file *s = (shim_file *)f;
	size_t n = name ? strlen(name) : 0;
	int rc;

	(void)vfs;
	s->real = (sqlite3_file *)(s + 1);
	s->audit_wal = n >= 12 && strcmp(name + n - 12, "audit.db-wal") == 0;
	rc = real_vfs->xOpen(real_vfs, name, s->real, flags, out);
	s->base.pMethods = s->real->pMethods != NULL ? &shim_io : NULL;
	return rc;
}

static void shim_install(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	shim_vfs = *real_vfs;
	shim_vfs.zName = "vaultd-test-shim";
	shim_vfs.szOsFile = (int)sizeof(shim_file) + real_vfs->szOsFile;
	shim_vfs.xOpen = sh_open;
	assert_int_equal(sqlite3_vfs_register(&shim_vfs, 1), SQLITE_OK);
}

static void shim_remove(void)
{
	sqlite3_vfs_unregister(&shim_vfs);
	sqlite3_vfs_register(real_vfs, 1);
}

/*
 * SQLite commits vault.db, then audit.db. When audit.db's commit fails after vault.db's, the
 * change stands: vault_commit finds the transaction's audit_pending copy in vault.db and says
 * so. Without a noted copy it reports the failure SQLite returned.
 */
static void test_commit_stands_when_only_the_log_failed(void **state)
{
	fixture *f = *state;
	vault *v = NULL;
	util_err err;
	int rc;

	vault_close(f->v);
	f->v = NULL;
	shim_install();
	test_vault_open(f);
	v = f->v;
	assert_int_equal(vault_begin(v, &err), 0);
	assert_int_equal(sqlite3_exec(v->db, "INSERT INTO main.audit_pending(entry) VALUES ('a')", NULL, NULL, NULL),
	    SQLITE_OK);
	audit_note_copy(v, sqlite3_last_insert_rowid(v->db));
	assert_int_equal(sqlite3_exec(v->db, "INSERT INTO audit.audit_entries VALUES (0, 1, NULL, NULL, 'x', NULL, 'a')",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	fail_audit_wal = 1;
	rc = vault_commit(v, &err);
	fail_audit_wal = 0;
	assert_int_equal(rc, 0);
	assert_int_equal(test_sql_int(v->db, "SELECT count(*) FROM main.audit_pending WHERE entry = 'a'"), 1);
	assert_int_equal(test_sql_int(v->db, "SELECT count(*) FROM audit.audit_entries"), 0);
	/* the same without a noted copy: the failure is reported, though vault.db committed */
	assert_int_equal(vault_begin(v, &err), 0);
	assert_int_equal(sqlite3_exec(v->db, "INSERT INTO main.audit_pending(entry) VALUES ('b');"
	                                     "INSERT INTO audit.audit_entries VALUES (0, 1, NULL, NULL, 'x', NULL, 'b')",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	fail_audit_wal = 1;
	rc = vault_commit(v, &err);
	fail_audit_wal = 0;
	assert_int_equal(rc, -1);
	assert_int_equal(err.code, UTIL_ENOSPC);
	assert_int_equal(test_sql_int(v->db, "SELECT count(*) FROM main.audit_pending WHERE entry = 'b'"), 1);
	vault_close(f->v);
	f->v = NULL;
	shim_remove();
	test_vault_open(f);
}

typedef struct beginner {
	vault *v;
	atomic_int done;
	int rc;
} beginner;

static void *begin_in_thread(void *arg)
{
	beginner *b = arg;
	util_err err;

	b->rc = vault_begin(b->v, &err);
	b->done = 1;
	return NULL;
}

/*
 * A writer takes the turnstile (an exclusive flock on vault.turn) before SQLite's write lock:
 * while another holder has it, vault_begin waits; once it is let go, vault_begin goes on.
 */
static void test_begin_waits_at_the_turnstile(void **state)
{
	fixture *f = *state;
	char *turnpath = test_path(f->data, "vault.turn");
	beginner b = {.v = f->v};
	pthread_t t;
	util_err err;
	int fd, i;

	fd = open(turnpath, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(pthread_create(&t, NULL, begin_in_thread, &b), 0);
	usleep(100000);
	assert_int_equal(b.done, 0); /* waiting at the turnstile, not in SQLite */
	assert_int_equal(flock(fd, LOCK_UN), 0);
	for (i = 0; i < 500 && !b.done; i++)
		usleep(10000);
	pthread_join(t, NULL);
	assert_int_equal(b.rc, 0);
	/* let go as soon as the transaction began: others can queue while it runs */
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	assert_int_equal(flock(fd, LOCK_UN), 0);
	/* and whoever holds the lock can see them queue */
	assert_int_equal(vault_writers_waiting(f->v), 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(vault_writers_waiting(f->v), 1);
	assert_int_equal(flock(fd, LOCK_UN), 0);
	assert_int_equal(vault_writers_waiting(f->v), 0);
	assert_int_equal(vault_commit(f->v, &err), 0);
	close(fd);
	free(turnpath);
}

/* The cache setting reaches the connections made after it, of both kinds, and no others. */
static void test_conn_cache_applies_to_new_connections(void **state)
{
	fixture *f = *state;
	vault *before, *after, *log;
	util_err err;
	int dflt;

	assert_int_equal(vault_clone(&before, f->v, &err), 0);
	dflt = test_sql_int(before->db, "PRAGMA main.cache_size");
	assert_int_not_equal(dflt, -12345);
	vault_set_conn_cache(f->v, 12345);
	assert_int_equal(vault_clone(&after, f->v, &err), 0);
	assert_int_equal(audit_log_clone(&log, f->v, &err), 0);
	assert_int_equal(test_sql_int(after->db, "PRAGMA main.cache_size"), -12345);
	assert_int_equal(test_sql_int(log->db, "PRAGMA main.cache_size"), -12345);
	assert_int_equal(test_sql_int(before->db, "PRAGMA main.cache_size"), dflt);
	assert_int_equal(test_sql_int(f->v->db, "PRAGMA main.cache_size"), dflt); /* the opener's own is left */
	vault_close(after);
	vault_close(log);
	vault_set_conn_cache(f->v, 0); /* back to SQLite's default */
	assert_int_equal(vault_clone(&after, f->v, &err), 0);
	assert_int_equal(test_sql_int(after->db, "PRAGMA main.cache_size"), dflt);
	vault_close(after);
	vault_close(before);
}

/* Schema 5: a lookup's consents come from the index alone, never from the rows with their receipts. */
static void test_decision_reads_consents_from_the_index(void **state)
{
	fixture *f = *state;
	sqlite3_stmt *s;
	int covering = 0;

	assert_int_equal(test_sql_int(f->v->db, "SELECT count(*) FROM sqlite_master WHERE name = 'consents_lookup'"), 0);
	/* the query of policy/store.c's load_consents */
	assert_int_equal(sqlite3_prepare_v2(f->v->db,
	                     "EXPLAIN QUERY PLAN SELECT id, granted_at, expires_at, revoked_at, use_limit, uses, fields"
	                     " FROM consents WHERE cid = ?1 AND agency_id = ?2 AND purpose_id = ?3"
	                     " ORDER BY granted_at DESC LIMIT ?4",
	                     -1, &s, NULL),
	    SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW)
		covering |= strstr((const char *)sqlite3_column_text(s, 3), "USING COVERING INDEX consents_decide") != NULL;
	sqlite3_finalize(s);
	assert_true(covering);
}

static void test_backup_and_restore(void **state)
{
	fixture *f = *state;
	char *bk = test_path(f->dir, "backup"), *rs = test_path(f->dir, "restored"), *rs2 = test_path(f->dir, "r2");
	char *other = test_path(f->dir, "other.key"), *db = test_path(rs2, "vault.db");
	unsigned char a[16];
	vault *v = NULL;
	json_t *o = NULL;
	keys_root *r = NULL;
	vault_unlock bad = {.key_file = other};
	struct stat st;
	util_err err;

	enrol(f->v, "001090012345", "Nguyễn Văn A", "0912345678", a);
	/* the audit log (audit.db) is backed up and restored with vault.db */
	assert_int_equal(sqlite3_exec(f->v->db, "INSERT INTO audit.audit_entries VALUES (0, 1, NULL, NULL, 'test', NULL, 'e')",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(vault_backup(f->v, bk, &err), 0);
	assert_int_equal(vault_backup(f->v, bk, &err), -1); /* never over an existing one */
	assert_int_equal(err.code, UTIL_EEXISTS);
	assert_int_equal(vault_restore(bk, rs, &f->u, &err), 0);
	assert_int_equal(vault_open(&v, rs, &f->u, &err), 0);
	assert_int_equal(vault_citizen_read(v, a, NULL, 0, &o, &err), 0);
	assert_string_equal(json_string_value(json_object_get(o, "full_name")), "Nguyễn Văn A");
	json_decref(o);
	assert_int_equal(test_sql_int(v->db, "SELECT count(*) FROM audit.audit_entries WHERE action = 'test'"), 1);
	vault_close(v);
	/* into a directory that holds a vault: refused */
	assert_int_equal(vault_restore(bk, rs, &f->u, &err), -1);
	assert_int_equal(err.code, UTIL_EEXISTS);
	/* with the wrong key: refused, and no vault left behind */
	assert_int_equal(keys_root_create_file(other, &r, &err), 0);
	keys_root_free(r);
	assert_int_equal(vault_restore(bk, rs2, &bad, &err), -1);
	assert_int_equal(err.code, UTIL_EKEY);
	assert_int_equal(stat(db, &st), -1);
	free(bk);
	free(rs);
	free(rs2);
	free(other);
	free(db);
}

static void test_no_plaintext_on_disk_while_open(void **state)
{
	fixture *f = *state;
	static const char *const secrets[] = {"001090012345", "Nguyễn Văn Bí Mật", "0912345678", "someone@example.vn"};
	char *bk = test_path(f->dir, "bk"), where[512];
	unsigned char a[16];
	struct stat st;
	char *wal = test_path(f->data, "vault.db-wal");
	size_t i;

	enrol(f->v, "001090012345", "Nguyễn Văn Bí Mật", "0912345678", a);
	assert_int_equal(stat(wal, &st), 0); /* the WAL exists and is scanned too */
	assert_true(st.st_size > 0);
	{
		util_err err;

		assert_int_equal(vault_backup(f->v, bk, &err), 0);
	}
	for (i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
		if (test_tree_contains(f->dir, secrets[i], strlen(secrets[i]), where, sizeof where))
			fail_msg("plaintext value %zu found in %s", i, where);
	}
	/* the scanner itself finds what is there */
	{
		char *plain = test_path(f->dir, "plain.txt");

		test_write_file(plain, secrets[1], strlen(secrets[1]));
		assert_true(test_tree_contains(f->dir, secrets[1], strlen(secrets[1]), where, sizeof where));
		unlink(plain);
		free(plain);
	}
	free(bk);
	free(wal);
}

/*
 * Every table and index of a new vault, in both files, with its SQL, hashed as lines of
 * "file TAB type TAB name TAB table TAB sql": what the one migration list made before each
 * module registered its own steps. A change to the schema is a deliberate act: a new version.
 */
static const char schema_sha256[] = "d599729b14f1fe4f7e777d449287d1b18b5dae849617c859b7d91038ab31e559";

static void test_new_vault_schema_known_answer(void **state)
{
	test_vault *f = *state;
	unsigned char d[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1], *text = NULL;
	size_t len = 0;
	sqlite3_stmt *s;
	FILE *out = open_memstream(&text, &len);
	int i;

	assert_non_null(out);
	assert_int_equal(sqlite3_prepare_v2(f->v->db,
	                     "SELECT 'main', type, name, tbl_name, coalesce(sql, '') FROM main.sqlite_master UNION ALL"
	                     " SELECT 'audit', type, name, tbl_name, coalesce(sql, '') FROM audit.sqlite_master ORDER BY 1, 3",
	                     -1, &s, NULL),
	    SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW)
		for (i = 0; i < 5; i++)
			fprintf(out, "%s%s%s", i ? "\t" : "", sqlite3_column_text(s, i), i == 4 ? "\n" : "");
	sqlite3_finalize(s);
	fclose(out);
	crypto_hash_sha256(d, (const unsigned char *)text, len);
	util_hex_encode(hex, d, sizeof d);
	if (strcmp(hex, schema_sha256) != 0)
		print_message("%s", text);
	free(text);
	assert_string_equal(hex, schema_sha256);
	assert_int_equal(test_sql_int(f->v->db, "PRAGMA user_version"), VAULT_SCHEMA);
}

/* A counter another module keeps in the vault: absent until raised, never lowered, undone with its transaction. */
static void test_counter_only_grows(void **state)
{
	test_vault *f = *state;
	int64_t n = -7;
	util_err err;
	int mine;

	assert_int_equal(vault_counter_get(f->v, "test_counter", &n), 0);
	assert_int_equal(n, -7);
	assert_int_equal(vault_counter_raise(f->v, "test_counter", 5, &err), 0);
	assert_int_equal(vault_counter_get(f->v, "test_counter", &n), 1);
	assert_int_equal(n, 5);
	assert_int_equal(vault_counter_raise(f->v, "test_counter", 3, &err), 0);
	assert_int_equal(vault_counter_get(f->v, "test_counter", &n), 1);
	assert_int_equal(n, 5);
	assert_int_equal(vault_tx_begin(f->v, &mine, &err), 0);
	assert_int_equal(vault_counter_raise(f->v, "test_counter", 9, &err), 0);
	assert_true(mine);
	assert_int_equal(vault_tx_end(f->v, mine, 0, &err), -1); /* rolled back */
	assert_int_equal(vault_counter_get(f->v, "test_counter", &n), 1);
	assert_int_equal(n, 5);
	assert_int_equal(vault_counter_get(f->v, "other_counter", &n), 0);
}

/* ---- the modules' schema steps ---- */

static int mod_befores, mod_withins;

static int mod_before(vault_migration *m, util_err *err)
{
	mod_befores++;
	return vault_migration_exec(m, "SELECT 1", err);
}

/* Asks once for its version to run again: the befores run again, then the version commits. */
static int mod_within(vault_migration *m, util_err *err)
{
	(void)m;
	(void)err;
	return mod_withins++ == 0 ? 1 : 0;
}

/* Notes whether version 2's tables and version 3's tables of the vault (rank 0) are there. */
static const vault_step mod_steps[] = {
	{3,
	    "CREATE TABLE mod_three(reviews INTEGER, tokens INTEGER);"
	    "INSERT INTO mod_three SELECT (SELECT count(*) FROM main.sqlite_master WHERE name = 'reviews'),"
	    " (SELECT count(*) FROM main.sqlite_master WHERE name = 'tokens');",
	    mod_before, mod_within},
};

static const vault_module mod_module = {.name = "test", .rank = 50, .steps = mod_steps, .nsteps = 1};

/*
 * A module's step joins the transaction of its version, after the parts of lower rank; a
 * within that asks for another try gets the befores run again and the SQL once. Registered
 * for the rest of the process: it runs last.
 */
static void test_module_steps_join_their_version(void **state)
{
	fixture *f = *state;
	char *data = test_path(f->dir, "data2"), *key = test_path(f->dir, "mod.key"), id[VAULT_ID_HEX];
	vault_unlock u = {.key_file = key};
	vault *v = NULL;
	util_err err;

	vault_module_register(&mod_module);
	vault_module_register(&mod_module); /* again: still once */
	assert_int_equal(vault_create(data, &u, NULL, id, &err), 0);
	assert_int_equal(vault_open(&v, data, &u, &err), 0);
	assert_int_equal(test_sql_int(v->db, "SELECT count(*) FROM mod_three"), 1);
	assert_int_equal(test_sql_int(v->db, "SELECT reviews FROM mod_three"), 1);
	assert_int_equal(test_sql_int(v->db, "SELECT tokens FROM mod_three"), 1);
	assert_int_equal(test_sql_int(v->db, "PRAGMA user_version"), VAULT_SCHEMA);
	assert_int_equal(mod_befores, 2);
	assert_int_equal(mod_withins, 2);
	vault_close(v);
	free(data);
	free(key);
}

/* A step beyond VAULT_SCHEMA (a version added without raising it) stops every open, in a child. */
static void test_module_step_beyond_the_schema_fails(void **state)
{
	static const vault_step beyond[] = {{VAULT_SCHEMA + 1, "SELECT 1", NULL, NULL}};
	static const vault_module late = {.name = "late", .rank = 60, .steps = beyond, .nsteps = 1};
	fixture *f = *state;
	int status;
	pid_t pid;

	vault_close(f->v);
	f->v = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		vault *v = NULL;
		util_err err;

		vault_module_register(&late);
		_exit(vault_open(&v, f->data, &f->u, &err) == -1 && err.code == UTIL_ESTATE ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	test_vault_open(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_known_answer),
		cmocka_unit_test(test_field_bindings_must_fail),
		cmocka_unit_test(test_record_known_answer),
		cmocka_unit_test(test_record_bindings_must_fail),
		cmocka_unit_test(test_national_ids),
		cmocka_unit_test(test_blind_index_is_keyed),
		cmocka_unit_test(test_default_catalog),
		cmocka_unit_test(test_field_values),
		cmocka_unit_test(test_bad_catalogs_refused),
		cmocka_unit_test(test_record_scan),
		cmocka_unit_test_setup_teardown(test_release_masks_where_asked, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_create_find_read_subset, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_read_after_find_checks_the_row, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_bad_records_write_nothing, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_update_fields, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_tampered_and_moved_ciphertexts_fail, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_rotate_kek_keeps_old_data, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_rotation_seen_by_another_handle, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_rotation_between_sealing_and_storing, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_erased_citizen_dek_dead_in_the_live_keyring, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_old_backup_dies_with_the_old_root_key, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_wrong_key_refused, test_vault_setup, test_vault_teardown),
		cmocka_unit_test(test_passphrase_vault),
		cmocka_unit_test_setup_teardown(test_rekey_key_file_and_passphrase, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_rekey_interrupted_after_switch_is_finished_on_open, test_vault_setup,
		    test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_rekey_interrupted_between_the_two_files, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_migration_moves_the_log_to_audit_db, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_migration_8_names_old_tokens, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_page_key_cannot_tell_records_apart, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_page_key_sees_the_same_pages, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_migration_reseals_format_1_records, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_migration_survives_kill9, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_commit_stands_when_only_the_log_failed, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_begin_waits_at_the_turnstile, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_conn_cache_applies_to_new_connections, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_decision_reads_consents_from_the_index, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_backup_and_restore, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_no_plaintext_on_disk_while_open, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_new_vault_schema_known_answer, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_counter_only_grows, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_module_step_beyond_the_schema_fails, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_module_steps_join_their_version, test_vault_setup, test_vault_teardown),
	};

	return cmocka_run_group_tests_name("vault", tests, setup, NULL);
}
