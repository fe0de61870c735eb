/*
 * fuzz_entry.c: an audit entry's canonical JSON, written and read back by hand (audit/entry.c).
 * Differential, both ways:
 *   - the input as an entry's bytes: whenever audit_entry_scan reads them, jansson must read them
 *     too, to the same "seq" and "citizen", and dump them back to the very same bytes;
 *   - the input cut at NUL bytes into an entry's strings: audit_entry_encode must write what
 *     jansson's json_dumpb (sorted keys, compact) writes for the same object, or fail where
 *     jansson fails, and what it writes must scan back.
 */
#include <stdint.h>
#include <string.h>

#include "../../audit/audit.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (vault_init() != 0)
		__builtin_trap();
	return 0;
}

static void check_scan(const char *bytes, size_t n)
{
	static char again[AUDIT_ENTRY_MAX + 1];
	char citizen[2 * KEYS_CID_BYTES + 1];
	const char *want = "";
	int64_t seq;
	json_t *o;
	size_t m;

	if (!audit_entry_scan(bytes, n, &seq, citizen)) {
		if (citizen[0] != '\0')
			__builtin_trap();
		return;
	}
	if ((o = json_loadb(bytes, n, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_integer(json_object_get(o, "seq")) || json_integer_value(json_object_get(o, "seq")) != seq)
		__builtin_trap();
	if (json_string_length(json_object_get(o, "citizen")) == 2 * KEYS_CID_BYTES)
		want = json_string_value(json_object_get(o, "citizen"));
	if (strcmp(want, citizen) != 0)
		__builtin_trap();
	m = json_dumpb(o, again, sizeof again, JSON_SORT_KEYS | JSON_COMPACT);
	if (m != n || memcmp(again, bytes, n) != 0)
		__builtin_trap();
	json_decref(o);
}

/* The entry as the log built it with jansson before audit/entry.c: the reference. */
static size_t reference(const audit_entry *e, int64_t seq, char *out, int *refused)
{
	static const char *const keys[] = {"actor", "action", "agency", "purpose", "decision", "reason", "basis",
	    "justification", "consent", "note"};
	const char *vals[] = {e->actor, e->action, e->agency_id, e->purpose_id, e->decision, e->reason, e->basis,
	    e->justification, e->consent_id, e->note};
	json_t *o = json_object(), *f = json_array();
	size_t i, n;

	*refused = 0;
	json_object_set_new(o, "seq", json_integer(seq));
	json_object_set_new(o, "time", json_integer(e->time));
	for (i = 0; i < sizeof keys / sizeof *keys; i++)
		if (vals[i] != NULL && json_object_set_new(o, keys[i], json_string(vals[i])) != 0)
			*refused = 1;
	if (e->cid != NULL) {
		char hex[2 * KEYS_CID_BYTES + 1];

		util_hex_encode(hex, e->cid, KEYS_CID_BYTES);
		json_object_set_new(o, "citizen", json_string(hex));
	}
	if (e->nfields > 0) {
		json_object_set(o, "fields", f);
		for (i = 0; i < e->nfields; i++)
			if (json_array_append_new(f, json_string(e->fields[i])) != 0)
				*refused = 1;
	}
	n = json_dumpb(o, out, AUDIT_ENTRY_MAX - 1, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(f);
	json_decref(o);
	return n;
}

static void check_encode(const uint8_t *d, size_t n)
{
	static char text[2 * AUDIT_ENTRY_MAX], mine[AUDIT_ENTRY_MAX], theirs[AUDIT_ENTRY_MAX];
	const char *parts[14] = {0}, *fields[4];
	unsigned char cid[KEYS_CID_BYTES];
	size_t i, np = 0, len, ref;
	int64_t seq, got;
	audit_entry e = {0};
	char citizen[2 * KEYS_CID_BYTES + 1];
	util_err err;
	int refused, rc;

	if (n < 4 || n > sizeof text - 1)
		return;
	/* the first bytes choose the numbers and which strings are present; the rest are the strings */
	seq = d[0] * 1000003LL;
	memcpy(text, d + 4, n - 4);
	text[n - 4] = '\0';
	for (parts[np++] = text, i = 0; i < n - 4 && np < 14; i++)
		if (text[i] == '\0')
			parts[np++] = text + i + 1;
	e.time = (int8_t)d[1];
	e.actor = parts[0];
	e.action = parts[1] ? parts[1] : "a";
	e.agency_id = d[2] & 1 ? parts[2] : NULL;
	e.purpose_id = d[2] & 2 ? parts[3] : NULL;
	e.decision = d[2] & 4 ? parts[4] : NULL;
	e.reason = d[2] & 8 ? parts[5] : NULL;
	e.basis = d[2] & 16 ? parts[6] : NULL;
	e.justification = d[2] & 32 ? parts[7] : NULL;
	e.consent_id = d[2] & 64 ? parts[8] : NULL;
	e.note = d[2] & 128 ? parts[9] : NULL;
	for (i = 0; i < 4 && parts[10 + i] != NULL && i < (size_t)(d[3] & 7); i++)
		fields[i] = parts[10 + i];
	e.fields = fields;
	e.nfields = i;
	if (d[3] & 8) {
		memset(cid, d[3], sizeof cid);
		e.cid = cid;
	}
	if (e.time == 0)
		e.time = 1; /* 0 means now, which the reference cannot know */
	rc = audit_entry_encode(&e, seq, 0, mine, &len, &err);
	ref = reference(&e, seq, theirs, &refused);
	if (refused) {
		if (rc == 0 || err.code != UTIL_ENOMEM)
			__builtin_trap();
		return;
	}
	if (ref == 0 || ref >= AUDIT_ENTRY_MAX - 1) {
		if (rc == 0 || err.code != UTIL_EINVAL)
			__builtin_trap();
		return;
	}
	if (rc != 0 || len != ref || memcmp(mine, theirs, len) != 0 || mine[len] != '\0')
		__builtin_trap();
	if (!audit_entry_scan(mine, len, &got, citizen) || got != seq || (e.cid != NULL) != (citizen[0] != '\0'))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	check_scan((const char *)d, n);
	check_encode(d, n);
	return 0;
}
