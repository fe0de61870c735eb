/* log.c: the audit log's storage: append with stored Merkle hashes, signed head, checkpoints, proofs. */
#include "audit.h"

#include <stdlib.h>
#include <string.h>

#include "../vault/vault_sql.h"

/* ---- stored hashes through SQLite ---- */

typedef struct sql_reader {
	vault *v;
	sqlite3_stmt *st;
} sql_reader;

static int read_hashes(void *ctx, const int64_t *idx, size_t n, audit_hash *out)
{
	sql_reader *r = ctx;
	size_t i;

	if ((r->st = vault_sql_stmt(r->v, "SELECT hash FROM audit_hashes WHERE idx = ?1", NULL)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		sqlite3_reset(r->st);
		sqlite3_bind_int64(r->st, 1, idx[i]);
		if (sqlite3_step(r->st) != SQLITE_ROW || sqlite3_column_bytes(r->st, 0) != AUDIT_HASH_BYTES)
			return -1;
		memcpy(out[i].b, sqlite3_column_blob(r->st, 0), AUDIT_HASH_BYTES);
	}
	sqlite3_reset(r->st);
	return 0;
}

/* The one integer sql (a literal) returns, or fallback. */
static int64_t scalar(vault *v, const char *sql, int64_t fallback)
{
	sqlite3_stmt *s = vault_sql_stmt(v, sql, NULL);
	int64_t x = fallback;

	if (s == NULL)
		return fallback;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		x = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return x;
}

int audit_size(vault *v, int64_t *n, util_err *err)
{
	*n = scalar(v, "SELECT coalesce(max(seq) + 1, 0) FROM audit_entries", -1);
	return *n < 0 ? util_fail(err, UTIL_EIO, "cannot read the audit log") : 0;
}

/* ---- the citizen index, in sorted runs ---- */

/*
 * Entries are found by citizen through audit_runs, (run, cid, seq), with one run per
 * AUDIT_RUN_ENTRIES entries, written in one go, sorted, when the run's last entry is appended.
 * An index on (cid, seq) kept entry by entry dirtied a random leaf with every entry, to encrypt
 * and write at every group commit; a run's rows go in at the end of the table, a few pages each.
 * The entries after the last run (at most AUDIT_RUN_ENTRIES, unless a program without runs
 * appended meanwhile) are read from audit_entries directly. audit_runs_head.upto: where the
 * runs end.
 */
static int64_t runs_upto(vault *v)
{
	return scalar(v, "SELECT coalesce((SELECT upto FROM audit_runs_head WHERE id = 1), 0)", -1);
}

int audit_runs_catch_up(vault *v, int64_t size, util_err *err)
{
	sqlite3_stmt *run, *head;
	int64_t upto = runs_upto(v);
	int rc;

	if (upto < 0)
		return util_fail(err, UTIL_EIO, "cannot read the audit log's citizen index");
	if ((run = vault_sql_stmt(v, "INSERT INTO audit_runs(run, cid, seq) SELECT ?1, cid, seq FROM audit_entries"
	                             " WHERE seq >= ?1 AND seq < ?2 AND cid IS NOT NULL ORDER BY cid, seq",
	         err)) == NULL ||
	    (head = vault_sql_stmt(v, "INSERT OR REPLACE INTO audit_runs_head(id, upto) VALUES (1, ?1)", err)) == NULL)
		return -1;
	for (; upto + AUDIT_RUN_ENTRIES <= size; upto += AUDIT_RUN_ENTRIES) {
		sqlite3_bind_int64(run, 1, upto);
		sqlite3_bind_int64(run, 2, upto + AUDIT_RUN_ENTRIES);
		rc = sqlite3_step(run);
		sqlite3_reset(run);
		if (rc != SQLITE_DONE)
			return vault_sql_error(v, rc, err, "audit citizen index");
		sqlite3_bind_int64(head, 1, upto + AUDIT_RUN_ENTRIES);
		rc = sqlite3_step(head);
		sqlite3_reset(head);
		if (rc != SQLITE_DONE)
			return vault_sql_error(v, rc, err, "audit citizen index");
	}
	return 0;
}

/* Calls fn for the rows s gives (seq, action, entry) until it says stop; -1 on an error. */
static int history_rows(vault *v, sqlite3_stmt *s, audit_history_fn fn, void *arg, int *stop, util_err *err)
{
	int rc;

	while (!*stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
		*stop = fn(arg, sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1),
		    sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2));
	if (!*stop && rc != SQLITE_DONE) {
		sqlite3_reset(s);
		return vault_sql_error(v, rc, err, "audit history");
	}
	sqlite3_reset(s);
	return 0;
}

int audit_history(vault *v, const unsigned char cid[KEYS_CID_BYTES], audit_history_fn fn, void *arg, util_err *err)
{
	sqlite3_stmt *tail, *prev, *run;
	int64_t upto, r;
	int mine = 0, stop = 0, rc = -1;

	if (!vault_sql_in_tx(v) && !vault_sql_in_read(v)) {
		/* one snapshot: a run written between two reads would show its entries twice */
		if (vault_sql_read_begin(v, err) != 0)
			return -1;
		mine = 1;
	}
	if ((upto = runs_upto(v)) < 0) {
		util_fail(err, UTIL_EIO, "cannot read the audit log's citizen index");
		goto out;
	}
	if ((tail = vault_sql_stmt(v, "SELECT seq, action, entry FROM audit_entries WHERE seq >= ?1 AND cid = ?2"
	                              " ORDER BY seq DESC",
	         err)) == NULL ||
	    (prev = vault_sql_stmt(v, "SELECT max(run) FROM audit_runs WHERE run < ?1", err)) == NULL ||
	    (run = vault_sql_stmt(v, "SELECT e.seq, e.action, e.entry FROM audit_runs r"
	                             " JOIN audit_entries e ON e.seq = r.seq WHERE r.run = ?1 AND r.cid = ?2"
	                             " ORDER BY r.seq DESC",
	         err)) == NULL)
		goto out;
	sqlite3_bind_int64(tail, 1, upto);
	sqlite3_bind_blob(tail, 2, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	if (history_rows(v, tail, fn, arg, &stop, err) != 0)
		goto out;
	sqlite3_bind_blob(run, 2, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	/* run by run, newest first, each found from the one after it: whatever size each has */
	for (r = upto; !stop; ) {
		int step;

		sqlite3_bind_int64(prev, 1, r);
		step = sqlite3_step(prev);
		r = step == SQLITE_ROW && sqlite3_column_type(prev, 0) != SQLITE_NULL ? sqlite3_column_int64(prev, 0) : -1;
		sqlite3_reset(prev);
		if (step != SQLITE_ROW) {
			vault_sql_error(v, step, err, "audit history");
			goto out;
		}
		if (r < 0)
			break;
		sqlite3_bind_int64(run, 1, r);
		if (history_rows(v, run, fn, arg, &stop, err) != 0)
			goto out;
	}
	rc = 0;
out:
	if (mine)
		vault_sql_read_end(v);
	return rc;
}

/* The columns an entry is found by, beside its canonical JSON. */
typedef struct entry_cols {
	int64_t time;
	const unsigned char *cid; /* KEYS_CID_BYTES or NULL */
	const char *agency_id, *action, *decision;
} entry_cols;

/* Stores entry number n (its canonical JSON buf) and its Merkle hashes, in the open transaction. */
static int store_entry(vault *v, int64_t n, const entry_cols *c, const char *buf, size_t len, util_err *err)
{
	audit_hash leaf, hashes[AUDIT_MAX_PROOF];
	sql_reader rd = {v, NULL};
	sqlite3_stmt *ins, *hins;
	int64_t base;
	int i, nh, rc;

	leaf = audit_leaf_hash((const unsigned char *)buf, len);
	if ((nh = audit_stored_hashes_for(n, &leaf, read_hashes, &rd, hashes)) < 0)
		return util_fail(err, UTIL_ECORRUPT, "the audit log's stored hashes are incomplete");
	if ((ins = vault_sql_stmt(v, "INSERT INTO audit_entries(seq, time, cid, agency_id, action, decision, entry)"
	                             " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	         err)) == NULL)
		return -1;
	sqlite3_bind_int64(ins, 1, n);
	sqlite3_bind_int64(ins, 2, c->time);
	if (c->cid != NULL)
		sqlite3_bind_blob(ins, 3, c->cid, KEYS_CID_BYTES, SQLITE_STATIC);
	if (c->agency_id != NULL)
		sqlite3_bind_text(ins, 4, c->agency_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 5, c->action, -1, SQLITE_STATIC);
	if (c->decision != NULL)
		sqlite3_bind_text(ins, 6, c->decision, -1, SQLITE_STATIC);
	sqlite3_bind_blob(ins, 7, buf, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(ins);
	sqlite3_reset(ins);
	if (rc != SQLITE_DONE)
		return vault_sql_error(v, rc, err, "audit append");
	if ((hins = vault_sql_stmt(v, "INSERT INTO audit_hashes(idx, hash) VALUES (?1, ?2)", err)) == NULL)
		return -1;
	base = audit_stored_hash_count(n);
	for (i = 0; i < nh; i++) {
		sqlite3_reset(hins);
		sqlite3_bind_int64(hins, 1, base + i);
		sqlite3_bind_blob(hins, 2, hashes[i].b, AUDIT_HASH_BYTES, SQLITE_STATIC);
		if ((rc = sqlite3_step(hins)) != SQLITE_DONE) {
			sqlite3_reset(hins);
			return vault_sql_error(v, rc, err, "audit append");
		}
	}
	sqlite3_reset(hins);
	/* the last entry of a run: the run is indexed with it, in the same transaction */
	return (n + 1) % AUDIT_RUN_ENTRIES == 0 ? audit_runs_catch_up(v, n + 1, err) : 0;
}

/* Appends e; with copy, also its copy in vault.db (audit_pending), committed with the change. */
static int append(vault *v, const audit_entry *e, int copy, int64_t *seq, util_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int64_t n, now = util_now();
	entry_cols c = {e->time ? e->time : now, e->cid, e->agency_id, e->action, e->decision};
	sqlite3_stmt *s;
	int rc = -1, mine;

	if (vault_sql_begin(v, &mine, err) != 0)
		return -1;
	if ((buf = malloc(AUDIT_ENTRY_MAX)) == NULL) {
		util_fail(err, UTIL_ENOMEM, "out of memory");
		goto out;
	}
	if (audit_size(v, &n, err) != 0 || audit_entry_encode(e, n, now, buf, &len, err) != 0 ||
	    store_entry(v, n, &c, buf, len, err) != 0)
		goto out;
	/* with a change to vault.db, a copy there: the two files commit one after the other */
	if (copy && !audit_log_only(v)) {
		if ((s = vault_sql_stmt(v, "INSERT INTO audit_pending(entry) VALUES (?1)", err)) == NULL)
			goto out;
		sqlite3_bind_blob(s, 1, buf, (int)len, SQLITE_STATIC);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE) {
			rc = vault_sql_error(v, rc, err, "audit append");
			goto out;
		}
		audit_note_copy(v, sqlite3_last_insert_rowid(vault_sql_db(v)));
		rc = -1;
	}
	if (seq != NULL)
		*seq = n;
	rc = 0;
out:
	free(buf);
	return vault_sql_end(v, mine, rc == 0, err);
}

int audit_append(vault *v, const audit_entry *e, int64_t *seq, util_err *err)
{
	return append(v, e, 1, seq, err);
}

/*
 * Appends again, under number n, the entry whose canonical JSON is old (a copy from
 * audit_pending): the same entry with only its "seq" changed.
 */
static int append_copy(vault *v, int64_t n, const char *old, size_t oldlen, util_err *err)
{
	json_t *o = json_loadb(old, oldlen, JSON_REJECT_DUPLICATES, NULL);
	unsigned char cid[KEYS_CID_BYTES];
	const char *hex;
	char *buf = NULL;
	entry_cols c = {0};
	size_t len;
	int rc = -1;

	if (o == NULL || !json_is_integer(json_object_get(o, "time")) ||
	    (c.action = json_string_value(json_object_get(o, "action"))) == NULL) {
		util_fail(err, UTIL_ECORRUPT, "a pending audit entry is unreadable");
		goto out;
	}
	c.time = json_integer_value(json_object_get(o, "time"));
	c.agency_id = json_string_value(json_object_get(o, "agency"));
	c.decision = json_string_value(json_object_get(o, "decision"));
	if ((hex = json_string_value(json_object_get(o, "citizen"))) != NULL) {
		if (util_hex_decode(cid, sizeof cid, hex) != 0) {
			util_fail(err, UTIL_ECORRUPT, "a pending audit entry is unreadable");
			goto out;
		}
		c.cid = cid;
	}
	if (json_object_set_new(o, "seq", json_integer(n)) != 0 || (buf = malloc(AUDIT_ENTRY_MAX)) == NULL) {
		util_fail(err, UTIL_ENOMEM, "out of memory");
		goto out;
	}
	len = json_dumpb(o, buf, AUDIT_ENTRY_MAX - 1, JSON_SORT_KEYS | JSON_COMPACT);
	if (len == 0 || len >= AUDIT_ENTRY_MAX - 1) {
		util_fail(err, UTIL_ECORRUPT, "a pending audit entry is too large");
		goto out;
	}
	rc = store_entry(v, n, &c, buf, len, err);
out:
	free(buf);
	json_decref(o);
	return rc;
}

/* 1 when the log holds entry seq with exactly the bytes e (len n). */
static int logged(vault *v, int64_t seq, const void *e, size_t n, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT entry FROM audit_entries WHERE seq = ?1", err);
	int rc, same = 0;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, seq);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		same = (size_t)sqlite3_column_bytes(s, 0) == n && memcmp(sqlite3_column_blob(s, 0), e, n) == 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return vault_sql_error(v, rc, err, "audit settle");
	return same;
}

/* 1 when a settle already appended the copy whose hash is h (audit_settled). */
static int resettled(vault *v, const unsigned char h[32], util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT 1 FROM audit_settled WHERE hash = ?1", err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, h, 32, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return vault_sql_error(v, rc, err, "audit settle");
	return rc == SQLITE_ROW;
}

/* The number a copy's entry had, or -1 when the copy is not an entry this program wrote. */
static int64_t copy_seq(const char *e, size_t len)
{
	json_t *o, *seq;
	int64_t n = -1;

	if (len >= AUDIT_ENTRY_MAX - 1 || (o = json_loadb(e, len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return -1;
	seq = json_object_get(o, "seq");
	if (json_is_integer(seq) && json_integer_value(seq) >= 0 && json_is_string(json_object_get(o, "action")) &&
	    json_is_integer(json_object_get(o, "time")))
		n = json_integer_value(seq);
	json_decref(o);
	return n;
}

/*
 * The number after the first "seq": in a copy, found without parsing it. Only a guess: a copy
 * counts as logged when the log holds its exact bytes under that number (logged), and that is
 * proof enough that this program wrote it. -1 when there is no such number.
 */
static int64_t guess_seq(const char *e, size_t len)
{
	static const char key[] = "\"seq\":";
	const char *p = memmem(e, len, key, sizeof key - 1), *end = e + len;
	int64_t n = 0;
	int digits = 0;

	if (p == NULL)
		return -1;
	for (p += sizeof key - 1; p < end && *p >= '0' && *p <= '9' && digits < 18; p++, digits++)
		n = n * 10 + (*p - '0');
	return digits > 0 ? n : -1;
}

typedef struct settle_state {
	int64_t last;      /* the largest copy id looked at */
	int64_t *bad;      /* ids of unreadable copies, kept */
	size_t nbad, cap;
	int64_t appended;
} settle_state;

/*
 * Step 1, a transaction that changes audit.db alone: every readable copy whose entry is not in
 * the log (at its number, with its bytes) and was not appended by an earlier settle is appended
 * now, and its hash noted in audit_settled in the same commit.
 */
static int settle_log(vault *v, settle_state *st, util_err *err)
{
	sqlite3_stmt *s, *note;
	unsigned char h[32];
	int64_t seq, n;
	int mine, ok = 0, rc, here;

	if (vault_sql_begin(v, &mine, err) != 0)
		return -1;
	if ((s = vault_sql_stmt(v, "SELECT id, entry FROM audit_pending ORDER BY id", err)) == NULL)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *e = sqlite3_column_blob(s, 1);
		size_t len = (size_t)sqlite3_column_bytes(s, 1);

		st->last = sqlite3_column_int64(s, 0);
		/* the usual case: the entry committed right after its copy, under the number it has */
		if (e != NULL && (seq = guess_seq(e, len)) >= 0) {
			if ((here = logged(v, seq, e, len, err)) < 0)
				goto done;
			if (here)
				continue;
		}
		if (e == NULL || (seq = copy_seq(e, len)) < 0) {
			if (st->nbad == st->cap) {
				size_t cap = st->cap ? 2 * st->cap : 16;
				int64_t *b = realloc(st->bad, cap * sizeof *b);

				if (b == NULL) {
					util_fail(err, UTIL_ENOMEM, "out of memory");
					goto done;
				}
				st->bad = b;
				st->cap = cap;
			}
			st->bad[st->nbad++] = st->last;
			continue;
		}
		if ((here = logged(v, seq, e, len, err)) < 0)
			goto done;
		if (here)
			continue;
		crypto_generichash(h, sizeof h, (const unsigned char *)e, len, NULL, 0);
		if ((here = resettled(v, h, err)) < 0)
			goto done;
		if (here)
			continue;
		/* a stop fell between the two commits: the entry goes at the end of the log now */
		if (audit_size(v, &n, err) != 0 || append_copy(v, n, e, len, err) != 0)
			goto done;
		if ((note = vault_sql_stmt(v, "INSERT INTO audit_settled(hash, seq) VALUES (?1, ?2)", err)) == NULL)
			goto done;
		sqlite3_bind_blob(note, 1, h, sizeof h, SQLITE_STATIC);
		sqlite3_bind_int64(note, 2, n);
		rc = sqlite3_step(note);
		sqlite3_reset(note);
		if (rc != SQLITE_DONE) {
			vault_sql_error(v, rc, err, "audit settle");
			goto done;
		}
		st->appended++;
	}
	if (rc != SQLITE_DONE) {
		vault_sql_error(v, rc, err, "audit settle");
		goto done;
	}
	ok = st->appended == 0 || audit_seal(v, 0, err) == 0;
done:
	sqlite3_reset(s);
out:
	return vault_sql_end(v, mine, ok, err);
}

/*
 * Step 2, a transaction that changes vault.db alone: the copies step 1 looked at go (all now in
 * the log), but for the unreadable ones; and vault.db notes the log's size (meta audit_size),
 * which audit_verify holds the log to, so that audit.db cannot be swapped for an older copy of
 * itself unnoticed.
 */
static int settle_copies(vault *v, const settle_state *st, util_err *err)
{
	sqlite3_stmt *del, *put;
	int64_t size;
	size_t i = 0;
	int mine, ok = 0, rc = SQLITE_DONE;

	if (vault_sql_begin(v, &mine, err) != 0)
		return -1;
	if ((del = vault_sql_stmt(v, "DELETE FROM audit_pending WHERE id > ?1 AND id < ?2", err)) == NULL)
		goto out;
	/* the ranges between the unreadable ids, up to st->last */
	for (i = 0; i <= st->nbad && rc == SQLITE_DONE; i++) {
		sqlite3_reset(del);
		sqlite3_bind_int64(del, 1, i == 0 ? 0 : st->bad[i - 1]);
		sqlite3_bind_int64(del, 2, i == st->nbad ? st->last + 1 : st->bad[i]);
		rc = sqlite3_step(del);
	}
	sqlite3_reset(del);
	if (rc != SQLITE_DONE) {
		vault_sql_error(v, rc, err, "audit settle");
		goto out;
	}
	if (audit_size(v, &size, err) != 0 ||
	    (put = vault_sql_stmt(v, "INSERT OR REPLACE INTO meta(k, v) SELECT 'audit_size', ?1"
	                             " WHERE ?1 > coalesce((SELECT v FROM meta WHERE k = 'audit_size'), -1)",
	         err)) == NULL)
		goto out;
	sqlite3_bind_int64(put, 1, size);
	rc = sqlite3_step(put);
	sqlite3_reset(put);
	ok = rc == SQLITE_DONE || vault_sql_error(v, rc, err, "audit settle") == 0;
out:
	return vault_sql_end(v, mine, ok, err);
}

int audit_settle(vault *v, int64_t *appended, int64_t *unreadable, util_err *err)
{
	settle_state st = {0};
	int rc = -1;

	*appended = *unreadable = 0;
	if (audit_log_only(v))
		return 0;
	if (vault_sql_in_tx(v))
		return util_fail(err, UTIL_ESTATE, "audit_settle needs transactions of its own");
	if (settle_log(v, &st, err) == 0 && settle_copies(v, &st, err) == 0) {
		*appended = st.appended;
		*unreadable = (int64_t)st.nbad;
		rc = 0;
	}
	free(st.bad);
	return rc;
}

/* ---- signing ---- */

void audit_origin(vault *v, char out[AUDIT_ORIGIN_MAX + 1])
{
	snprintf(out, AUDIT_ORIGIN_MAX + 1, "vaultd/%s", vault_id(v));
}

static void sign_cb(void *ctx, const unsigned char *m, size_t n, unsigned char sig[64])
{
	vault_sign(ctx, m, n, sig);
}

static int put_note(vault *v, const char *sql, int64_t size, const char *note, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, sql, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, size);
	sqlite3_bind_text(s, 2, note, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(s) >= 3)
		sqlite3_bind_int64(s, 3, util_now());
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "audit checkpoint");
}

int audit_seal(vault *v, int force, util_err *err)
{
	audit_checkpoint c;
	char note[AUDIT_CHECKPOINT_MAX];
	unsigned char pk[32];
	sql_reader rd = {v, NULL};
	int64_t head, last, last_time;
	size_t len;
	int mine, ok = 0, need_ckpt;

	if (vault_sql_begin(v, &mine, err) != 0)
		return -1;
	if (audit_size(v, &c.size, err) != 0)
		goto out;
	head = scalar(v, "SELECT size FROM audit_head WHERE id = 1", 0);
	/*
	 * The newest stored checkpoint, by its key: it is also the latest made. max(created_at)
	 * read every checkpoint, hundreds of pages, at each batch of a long log.
	 */
	last = scalar(v, "SELECT size FROM audit_checkpoints ORDER BY size DESC LIMIT 1", 0);
	last_time = scalar(v, "SELECT created_at FROM audit_checkpoints ORDER BY size DESC LIMIT 1", 0);
	need_ckpt = c.size > last &&
	            (force || c.size - last >= AUDIT_CHECKPOINT_EVERY || util_now() - last_time >= AUDIT_CHECKPOINT_SECONDS);
	if (c.size == 0 || (head == c.size && !need_ckpt)) {
		ok = 1;
		goto out;
	}
	audit_origin(v, c.origin);
	vault_public_key(v, pk);
	if (audit_tree_hash(c.size, read_hashes, &rd, &c.root) != 0) {
		util_fail(err, UTIL_ECORRUPT, "the audit log's stored hashes are incomplete");
		goto out;
	}
	if (audit_checkpoint_sign(&c, c.origin, pk, sign_cb, v, note, &len) != 0) {
		util_fail(err, UTIL_EINVAL, "cannot sign a checkpoint");
		goto out;
	}
	if (head != c.size &&
	    put_note(v, "INSERT OR REPLACE INTO audit_head(id, size, note) VALUES (1, ?1, ?2)", c.size, note, err) != 0)
		goto out;
	/* a stored checkpoint: history that consistency proofs and witnesses refer to */
	if (need_ckpt &&
	    put_note(v, "INSERT INTO audit_checkpoints(size, note, created_at) VALUES (?1, ?2, ?3)", c.size, note, err) !=
	        0)
		goto out;
	ok = 1;
out:
	return vault_sql_end(v, mine, ok, err);
}

int audit_record(vault *v, const audit_entry *e, int64_t *seq, util_err *err)
{
	int mine, ok;

	if (vault_sql_begin(v, &mine, err) != 0)
		return -1;
	/* in a transaction of its own, the entry is all it writes: vault.db needs no copy */
	ok = append(v, e, !mine, seq, err) == 0 && audit_seal(v, 0, err) == 0;
	return vault_sql_end(v, mine, ok, err);
}

/* ---- reading ---- */

/* The signed note that sql selects, checked against the vault's key. */
static int read_note(vault *v, const char *sql, char out[AUDIT_CHECKPOINT_MAX], audit_checkpoint *c, util_err *err)
{
	sqlite3_stmt *s;
	unsigned char pk[32];
	char origin[AUDIT_ORIGIN_MAX + 1];
	int rc;

	if (sqlite3_prepare_v2(vault_sql_db(v), sql, -1, &s, NULL) != SQLITE_OK)
		return vault_sql_error(v, sqlite3_errcode(vault_sql_db(v)), err, "checkpoint");
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW || (size_t)sqlite3_column_bytes(s, 0) >= AUDIT_CHECKPOINT_MAX) {
		sqlite3_finalize(s);
		return rc == SQLITE_DONE ? util_fail(err, UTIL_ENOTFOUND, "no checkpoint yet")
		                         : util_fail(err, UTIL_ECORRUPT, "a stored checkpoint is unreadable");
	}
	memcpy(out, sqlite3_column_text(s, 0), (size_t)sqlite3_column_bytes(s, 0) + 1);
	sqlite3_finalize(s);
	audit_origin(v, origin);
	vault_public_key(v, pk);
	if (audit_checkpoint_verify(out, strlen(out), origin, pk, c) != 0)
		return util_fail(err, UTIL_ECORRUPT, "the latest checkpoint does not verify");
	return 0;
}

int audit_latest_checkpoint(vault *v, char out[AUDIT_CHECKPOINT_MAX], audit_checkpoint *c, util_err *err)
{
	return read_note(v, "SELECT note FROM audit_checkpoints ORDER BY size DESC LIMIT 1", out, c, err);
}

int audit_signed_head(vault *v, char out[AUDIT_CHECKPOINT_MAX], audit_checkpoint *c, util_err *err)
{
	return read_note(v, "SELECT note FROM audit_head WHERE id = 1", out, c, err);
}

int audit_entry_get(vault *v, int64_t seq, char *out, size_t *len, util_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(vault_sql_db(v), "SELECT entry FROM audit_entries WHERE seq = ?1", -1, &s, NULL) != SQLITE_OK)
		return vault_sql_error(v, sqlite3_errcode(vault_sql_db(v)), err, "audit read");
	sqlite3_bind_int64(s, 1, seq);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		return rc == SQLITE_DONE ? util_fail(err, UTIL_ENOTFOUND, "no such entry") : vault_sql_error(v, rc, err, "audit read");
	}
	*len = (size_t)sqlite3_column_bytes(s, 0);
	if (*len >= AUDIT_ENTRY_MAX) {
		sqlite3_finalize(s);
		return util_fail(err, UTIL_ECORRUPT, "an audit entry is too large");
	}
	memcpy(out, sqlite3_column_blob(s, 0), *len);
	out[*len] = '\0';
	sqlite3_finalize(s);
	return 0;
}

int audit_inclusion(vault *v, int64_t seq, int64_t n, audit_hash *proof, size_t *len, util_err *err)
{
	sql_reader rd = {v, NULL};
	int rc = audit_prove_inclusion(seq, n, read_hashes, &rd, proof, len);

	return rc == 0 ? 0 : util_fail(err, UTIL_EINVAL, "no inclusion proof for that entry and size");
}

int audit_consistency(vault *v, int64_t m, int64_t n, audit_hash *proof, size_t *len, util_err *err)
{
	sql_reader rd = {v, NULL};
	int64_t size;
	int rc;

	if (audit_size(v, &size, err) != 0)
		return -1;
	if (m < 1 || m > n || n > size)
		return util_fail(err, UTIL_EINVAL, "sizes must satisfy 0 < from <= to <= %lld", (long long)size);
	rc = audit_prove_consistency(m, n, read_hashes, &rd, proof, len);
	return rc == 0 ? 0 : util_fail(err, UTIL_ECORRUPT, "the audit log's stored hashes are incomplete");
}
