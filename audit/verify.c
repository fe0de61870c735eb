/* verify.c: recomputing the audit tree from its entries, checking checkpoints, export and its check. */
#include "audit.h"

#include <stdlib.h>
#include <string.h>

#include "audit_db.h"

/*
 * A verifier holds the stored hashes it recomputed itself, in memory, and never trusts the
 * database's: the same code checks the live log and an exported file.
 */
typedef struct verifier {
	audit_hash *h;
	int64_t nh, cap;
	int64_t entries;
	int64_t last_ckpt; /* size of the last checkpoint that verified */
	char origin[AUDIT_ORIGIN_MAX + 1];
	unsigned char pk[32];
	audit_report *r;
} verifier;

static int mem_read(void *ctx, const int64_t *idx, size_t n, audit_hash *out)
{
	verifier *vf = ctx;
	size_t i;

	for (i = 0; i < n; i++) {
		if (idx[i] < 0 || idx[i] >= vf->nh)
			return -1;
		out[i] = vf->h[idx[i]];
	}
	return 0;
}

/* Records the first problem only: later ones usually follow from it. */
static void bad(verifier *vf, int64_t from, int64_t entry, const char *problem)
{
	if (!vf->r->ok)
		return;
	vf->r->ok = 0;
	vf->r->bad_from = from;
	vf->r->first_bad = entry;
	snprintf(vf->r->problem, sizeof vf->r->problem, "%s", problem);
}

static void vf_init(verifier *vf, audit_report *r, const char *origin, const unsigned char pk[32])
{
	memset(vf, 0, sizeof *vf);
	memset(r, 0, sizeof *r);
	r->ok = 1;
	r->first_bad = r->bad_from = -1;
	vf->r = r;
	snprintf(vf->origin, sizeof vf->origin, "%s", origin);
	memcpy(vf->pk, pk, 32);
}

/*
 * Takes entry number seq (its exact bytes); 0 unless memory ran out. citizen (may be NULL) gets
 * the entry's "citizen", 32 hex digits, or "" when it names none.
 */
static int vf_entry(verifier *vf, int64_t seq, const char *bytes, size_t len, char citizen[2 * KEYS_CID_BYTES + 1])
{
	audit_hash leaf, out[AUDIT_MAX_PROOF];
	char cit[2 * KEYS_CID_BYTES + 1];
	json_t *doc;
	int64_t at;
	int n, i;

	if (citizen != NULL)
		citizen[0] = '\0';
	if (seq != vf->entries) {
		bad(vf, -1, vf->entries, seq > vf->entries ? "an entry is missing" : "entries out of order");
		return 0;
	}
	/* entries as this program writes them are read by hand; anything else by jansson */
	if (audit_entry_scan(bytes, len, &at, cit)) {
		if (at != seq)
			bad(vf, -1, seq, "an entry's content does not match its place (edited, moved or inserted)");
	} else {
		doc = json_loadb(bytes, len, JSON_REJECT_DUPLICATES, NULL);
		if (doc == NULL || json_integer_value(json_object_get(doc, "seq")) != seq ||
		    !json_is_integer(json_object_get(doc, "seq")))
			bad(vf, -1, seq, "an entry's content does not match its place (edited, moved or inserted)");
		if (json_string_length(json_object_get(doc, "citizen")) == 2 * KEYS_CID_BYTES)
			memcpy(cit, json_string_value(json_object_get(doc, "citizen")), 2 * KEYS_CID_BYTES + 1);
		json_decref(doc);
	}
	if (citizen != NULL)
		memcpy(citizen, cit, sizeof cit);
	leaf = audit_leaf_hash((const unsigned char *)bytes, len);
	if (vf->nh + AUDIT_MAX_PROOF > vf->cap) {
		int64_t cap = vf->cap ? vf->cap * 2 : 4096;
		audit_hash *h = realloc(vf->h, (size_t)cap * sizeof *h);

		if (h == NULL)
			return -1;
		vf->h = h;
		vf->cap = cap;
	}
	n = audit_stored_hashes_for(seq, &leaf, mem_read, vf, out);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++)
		vf->h[vf->nh++] = out[i];
	vf->entries++;
	return 0;
}

/* Checks a signed checkpoint (or the head) against the tree recomputed so far. */
static void vf_checkpoint(verifier *vf, const char *note, size_t len, int is_head)
{
	audit_checkpoint c;
	audit_hash root;

	if (audit_checkpoint_verify(note, len, vf->origin, vf->pk, &c) != 0) {
		bad(vf, -1, -1, is_head ? "the head's signature does not verify" : "a checkpoint's signature does not verify");
		return;
	}
	if (is_head)
		vf->r->head_size = c.size;
	else
		vf->r->checkpoints++;
	if (c.size > vf->entries) {
		bad(vf, -1, vf->entries, "the log is shorter than a signed checkpoint (truncated)");
		return;
	}
	if (audit_tree_hash(c.size, mem_read, vf, &root) != 0 || sodium_memcmp(root.b, c.root.b, AUDIT_HASH_BYTES) != 0) {
		bad(vf, vf->last_ckpt, c.size, "an entry at or before this place differs from what was signed");
		return;
	}
	if (!is_head)
		vf->last_ckpt = c.size;
}

static void vf_finish(verifier *vf, int has_head)
{
	vf->r->entries = vf->entries;
	if (vf->entries > 0 && !has_head)
		bad(vf, -1, -1, "the log has entries but no signed head");
	else if (has_head && vf->r->head_size != vf->entries && vf->r->ok)
		bad(vf, -1, vf->r->head_size, "the log does not end where its signed head says");
	free(vf->h);
	vf->h = NULL;
}

/*
 * The citizen index, run by run beside the entries: each entry below upto that names a citizen
 * has exactly one row, in the run of its number, naming the same citizen, and no row names
 * anything else. A count or a sum alone would miss a row moved to another citizen, or dropped
 * and made up again elsewhere. A run's rows are read into slots by entry number, one run at a
 * time, as the entries reach it.
 */
typedef struct run_slots {
	int64_t start;
	unsigned char cid[AUDIT_RUN_ENTRIES][KEYS_CID_BYTES];
	unsigned char set[AUDIT_RUN_ENTRIES];
} run_slots;

/* Entry seq, naming cid (NULL: no citizen), against its run's slot. */
static void run_check(verifier *vf, run_slots *run, int64_t seq, const void *cid)
{
	int64_t i = seq - run->start;

	if (i < 0 || i >= AUDIT_RUN_ENTRIES) /* its run was never read: an entry is missing */
		return;
	if (cid == NULL ? run->set[i] != 0
	                : !run->set[i] || memcmp(run->cid[i], cid, KEYS_CID_BYTES) != 0)
		bad(vf, -1, seq, "the citizen index (audit_runs) does not match the entry");
}

/* One pass over the live log: the verifier, the citizen index's run in hand, the stored hashes beside. */
typedef struct live {
	verifier vf;
	vault *v;
	util_err *err;
	int64_t upto, run_rows;
	run_slots *run;
	audit_db_hash_cursor *hc;
	int has_head;
} live;

/* One row of the run being read into its slot, by entry number. */
static void run_row(void *arg, int64_t seq, const void *cid, int len)
{
	live *l = arg;
	int64_t i = seq - l->run->start;

	l->run_rows++;
	if (i < 0 || i >= AUDIT_RUN_ENTRIES || l->run->set[i] || len != KEYS_CID_BYTES) {
		bad(&l->vf, -1, l->run->start, "the citizen index (audit_runs) has rows for no entry");
		return;
	}
	memcpy(l->run->cid[i], cid, KEYS_CID_BYTES);
	l->run->set[i] = 1;
}

static int run_load(live *l, int64_t start)
{
	memset(l->run->set, 0, sizeof l->run->set);
	l->run->start = start;
	return audit_db_run(l->v, start, run_row, l, l->err);
}

/* One entry of the live log: its place in the tree, its citizen column and index row, its stored hashes. */
static int live_entry(void *arg, int64_t seq, const char *json, size_t len, const void *cid, int cid_len)
{
	live *l = arg;
	int64_t before = l->vf.nh, i, idx;
	audit_hash h;
	char citizen[2 * KEYS_CID_BYTES + 1], column[2 * KEYS_CID_BYTES + 1] = "";

	if (vf_entry(&l->vf, seq, json, len, citizen) != 0)
		return util_fail(l->err, UTIL_ENOMEM, "out of memory");
	/* the citizen column, by which citizens find their entries, says what the entry says */
	if (cid_len == KEYS_CID_BYTES)
		util_hex_encode(column, cid, KEYS_CID_BYTES);
	if (strcmp(citizen, column) != 0 || (cid_len >= 0 && column[0] == '\0'))
		bad(&l->vf, -1, seq, "an entry's citizen column differs from the entry (the citizen index was altered)");
	/* the citizen index (run_slots) */
	if (seq < l->upto) {
		if (seq % AUDIT_RUN_ENTRIES == 0 && run_load(l, seq) != 0)
			return -1;
		run_check(&l->vf, l->run, seq, column[0] != '\0' ? cid : NULL);
	}
	/* the stored hashes must be exactly the recomputed ones */
	for (i = before; i < l->vf.nh; i++) {
		if (!audit_db_hash_next(l->hc, &idx, &h) || idx != i || memcmp(h.b, l->vf.h[i].b, AUDIT_HASH_BYTES) != 0) {
			bad(&l->vf, -1, l->vf.entries - 1, i == before ? "an entry does not match its stored hash (edited)"
			                                               : "the stored tree hashes were altered");
			break;
		}
	}
	return 0;
}

static int live_note(void *arg, const char *note, size_t len, int is_head)
{
	live *l = arg;

	l->has_head |= is_head;
	vf_checkpoint(&l->vf, note, len, is_head);
	return 0;
}

int audit_verify(vault *v, audit_report *r, util_err *err)
{
	live l = {.v = v, .err = err};
	char origin[AUDIT_ORIGIN_MAX + 1];
	unsigned char pk[32];
	int64_t rows, noted;
	int rc = -1;

	audit_origin(v, origin);
	vault_public_key(v, pk);
	vf_init(&l.vf, r, origin, pk);
	/* where the citizen index's runs end: the entries below it with a citizen are its rows */
	if (audit_db_runs_upto(v, &l.upto, err) != 0 || (l.hc = audit_db_hash_cursor_open(v, err)) == NULL)
		goto out;
	if ((l.run = calloc(1, sizeof *l.run)) == NULL) {
		util_fail(err, UTIL_ENOMEM, "out of memory");
		goto out;
	}
	if (audit_db_entries(v, live_entry, &l, err) != 0 || audit_db_notes(v, live_note, &l, err) != 0)
		goto out;
	vf_finish(&l.vf, l.has_head);
	/* and no row outside the runs read above (a run that is not one, or past upto) */
	if (audit_db_run_rows(v, &rows, err) != 0)
		goto out;
	if (rows != l.run_rows)
		bad(&l.vf, -1, -1, "the citizen index (audit_runs) does not match the entries: a citizen's access log would be wrong");
	/* audit.db swapped for an older copy of itself verifies on its own: vault.db notes the size
	 * it last saw (audit_settle), and the log may not be shorter */
	if (!audit_log_only(v) && vault_counter_get(v, AUDIT_SIZE_COUNTER, &noted) && noted > r->entries && r->ok) {
		bad(&l.vf, -1, r->entries, "");
		snprintf(r->problem, sizeof r->problem,
		    "the log is shorter than vault.db last saw it (%lld entries): audit.db was cut or replaced", (long long)noted);
	}
	rc = 0;
out:
	audit_db_hash_cursor_close(l.hc);
	free(l.run);
	free(l.vf.h);
	return rc;
}

/* ---- export ---- */

static int put_line(FILE *out, json_t *o)
{
	int rc = json_dumpf(o, out, JSON_SORT_KEYS | JSON_COMPACT) == 0 && fputc('\n', out) != EOF ? 0 : -1;

	json_decref(o);
	return rc;
}

typedef struct exporter {
	FILE *out;
	int io; /* a write failed */
} exporter;

static int export_entry(void *arg, int64_t seq, const char *json, size_t len, const void *cid, int cid_len)
{
	exporter *x = arg;

	(void)cid;
	(void)cid_len;
	x->io = put_line(x->out, json_pack("{s:s, s:I, s:s%}", "type", "entry", "seq", (json_int_t)seq, "entry", json, len));
	return x->io;
}

static int export_note(void *arg, const char *note, size_t len, int is_head)
{
	exporter *x = arg;

	(void)len;
	x->io = put_line(x->out, json_pack("{s:s, s:s}", "type", is_head ? "head" : "checkpoint", "note", note));
	return x->io;
}

int audit_export(vault *v, FILE *out, util_err *err)
{
	char origin[AUDIT_ORIGIN_MAX + 1], pkb64[64];
	unsigned char pk[32];
	exporter x = {out, 0};

	audit_origin(v, origin);
	vault_public_key(v, pk);
	sodium_bin2base64(pkb64, sizeof pkb64, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
	if (put_line(out, json_pack("{s:s, s:i, s:s, s:s}", "type", "header", "format", 1, "origin", origin, "public_key",
	                      pkb64)) != 0)
		goto io;
	if (audit_db_entries(v, export_entry, &x, err) != 0 || audit_db_notes(v, export_note, &x, err) != 0) {
		if (x.io)
			goto io;
		return -1;
	}
	if (fflush(out) != 0)
		goto io;
	return 0;
io:
	return util_fail(err, UTIL_EIO, "cannot write the export");
}

int audit_verify_export(FILE *in, const unsigned char pk[32], audit_report *r, util_err *err)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	verifier vf;
	int has_head = 0, rc = -1;

	memset(&vf, 0, sizeof vf);
	while ((n = getline(&line, &cap, in)) != -1) {
		json_t *o = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
		const char *type = json_string_value(json_object_get(o, "type"));

		lineno++;
		if (type == NULL) {
			json_decref(o);
			util_fail(err, UTIL_EINVAL, "line %zu is not an export record", lineno);
			goto out;
		}
		if (lineno == 1) {
			const char *origin = json_string_value(json_object_get(o, "origin"));

			if (strcmp(type, "header") != 0 || origin == NULL || strlen(origin) > AUDIT_ORIGIN_MAX) {
				json_decref(o);
				util_fail(err, UTIL_EINVAL, "the export does not start with its header");
				goto out;
			}
			vf_init(&vf, r, origin, pk);
		} else if (strcmp(type, "entry") == 0) {
			json_t *e = json_object_get(o, "entry");

			if (!json_is_string(e) || !json_is_integer(json_object_get(o, "seq"))) {
				json_decref(o);
				util_fail(err, UTIL_EINVAL, "line %zu: a malformed entry record", lineno);
				goto out;
			}
			if (vf_entry(&vf, json_integer_value(json_object_get(o, "seq")), json_string_value(e),
			        json_string_length(e), NULL) != 0) {
				json_decref(o);
				util_fail(err, UTIL_ENOMEM, "out of memory");
				goto out;
			}
		} else if (strcmp(type, "checkpoint") == 0 || strcmp(type, "head") == 0) {
			const char *note = json_string_value(json_object_get(o, "note"));
			int head = type[0] == 'h';

			has_head |= head;
			vf_checkpoint(&vf, note ? note : "", note ? strlen(note) : 0, head);
		} else {
			json_decref(o);
			util_fail(err, UTIL_EINVAL, "line %zu: unknown record type", lineno);
			goto out;
		}
		json_decref(o);
	}
	if (lineno == 0) {
		util_fail(err, UTIL_EINVAL, "the export is empty");
		goto out;
	}
	vf_finish(&vf, has_head);
	rc = 0;
out:
	if (rc != 0)
		free(vf.h);
	free(line);
	return rc;
}
