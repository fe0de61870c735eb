/* sqlite_log.c: the audit log's storage on SQLite (audit_db.h): entries, hashes, the citizen index, copies, signed notes. */
#include "audit_db.h"

#include <stdlib.h>
#include <string.h>

#include "../vault/sqlite.h"

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

int audit_db_hashes(void *ctx, const int64_t *idx, size_t n, audit_hash *out)
{
	vault *v = ctx;
	sqlite3_stmt *s;
	size_t i;

	if ((s = vault_sql_stmt(v, "SELECT hash FROM audit_hashes WHERE idx = ?1", NULL)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, idx[i]);
		if (sqlite3_step(s) != SQLITE_ROW || sqlite3_column_bytes(s, 0) != AUDIT_HASH_BYTES) {
			sqlite3_reset(s);
			return -1;
		}
		memcpy(out[i].b, sqlite3_column_blob(s, 0), AUDIT_HASH_BYTES);
	}
	sqlite3_reset(s);
	return 0;
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

	if (!vault_in_tx(v) && !vault_in_read(v)) {
		/* one snapshot: a run written between two reads would show its entries twice */
		if (vault_read_begin(v, err) != 0)
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
		vault_read_end(v);
	return rc;
}

/* ---- appending ---- */

int audit_db_put_entry(vault *v, const audit_db_entry *e, const audit_hash *hashes, int nh, int64_t base,
    util_err *err)
{
	sqlite3_stmt *ins, *hins;
	int i, rc;

	if ((ins = vault_sql_stmt(v, "INSERT INTO audit_entries(seq, time, cid, agency_id, action, decision, entry)"
	                             " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	         err)) == NULL)
		return -1;
	sqlite3_bind_int64(ins, 1, e->seq);
	sqlite3_bind_int64(ins, 2, e->time);
	if (e->cid != NULL)
		sqlite3_bind_blob(ins, 3, e->cid, KEYS_CID_BYTES, SQLITE_STATIC);
	if (e->agency_id != NULL)
		sqlite3_bind_text(ins, 4, e->agency_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 5, e->action, -1, SQLITE_STATIC);
	if (e->decision != NULL)
		sqlite3_bind_text(ins, 6, e->decision, -1, SQLITE_STATIC);
	sqlite3_bind_blob(ins, 7, e->json, (int)e->len, SQLITE_STATIC);
	rc = sqlite3_step(ins);
	sqlite3_reset(ins);
	if (rc != SQLITE_DONE)
		return vault_sql_error(v, rc, err, "audit append");
	if ((hins = vault_sql_stmt(v, "INSERT INTO audit_hashes(idx, hash) VALUES (?1, ?2)", err)) == NULL)
		return -1;
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
	return 0;
}

int audit_db_put_copy(vault *v, const char *json, size_t len, int64_t *id, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "INSERT INTO audit_pending(entry) VALUES (?1)", err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, json, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return vault_sql_error(v, rc, err, "audit append");
	*id = sqlite3_last_insert_rowid(vault_sql_db(v));
	return 0;
}

/* ---- settling the copies ---- */

int audit_db_copies(vault *v, audit_db_copy_fn fn, void *arg, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT id, entry FROM audit_pending ORDER BY id", err);
	int rc;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (fn(arg, sqlite3_column_int64(s, 0), sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1)) != 0) {
			sqlite3_reset(s);
			return -1;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "audit settle");
}

int audit_db_note_settled(vault *v, const unsigned char h[32], int64_t seq, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "INSERT INTO audit_settled(hash, seq) VALUES (?1, ?2)", err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, h, 32, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, seq);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "audit settle");
}

int audit_db_drop_copies(vault *v, int64_t after, int64_t before, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "DELETE FROM audit_pending WHERE id > ?1 AND id < ?2", err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, before);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "audit settle");
}

int audit_db_logged(vault *v, int64_t seq, const void *e, size_t n, util_err *err)
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

int audit_db_settled(vault *v, const unsigned char h[32], util_err *err)
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

/* ---- signed notes ---- */

int64_t audit_db_head_size(vault *v)
{
	return scalar(v, "SELECT size FROM audit_head WHERE id = 1", 0);
}

void audit_db_last_checkpoint(vault *v, int64_t *size, int64_t *time)
{
	/*
	 * The newest stored checkpoint, by its key: it is also the latest made. max(created_at)
	 * read every checkpoint, hundreds of pages, at each batch of a long log.
	 */
	*size = scalar(v, "SELECT size FROM audit_checkpoints ORDER BY size DESC LIMIT 1", 0);
	*time = scalar(v, "SELECT created_at FROM audit_checkpoints ORDER BY size DESC LIMIT 1", 0);
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

int audit_db_put_head(vault *v, int64_t size, const char *note, util_err *err)
{
	return put_note(v, "INSERT OR REPLACE INTO audit_head(id, size, note) VALUES (1, ?1, ?2)", size, note, err);
}

int audit_db_put_checkpoint(vault *v, int64_t size, const char *note, util_err *err)
{
	return put_note(v, "INSERT INTO audit_checkpoints(size, note, created_at) VALUES (?1, ?2, ?3)", size, note, err);
}

int audit_db_note(vault *v, int head, char out[AUDIT_CHECKPOINT_MAX], util_err *err)
{
	const char *sql = head ? "SELECT note FROM audit_head WHERE id = 1"
	                       : "SELECT note FROM audit_checkpoints ORDER BY size DESC LIMIT 1";
	sqlite3_stmt *s;
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
	return 0;
}

/* ---- reading ---- */

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

/* ---- reading the whole log in order ---- */

int audit_db_runs_upto(vault *v, int64_t *upto, util_err *err)
{
	*upto = runs_upto(v);
	return *upto < 0 ? util_fail(err, UTIL_EIO, "cannot read the audit log's citizen index") : 0;
}

int audit_db_entries(vault *v, audit_db_entry_fn fn, void *arg, util_err *err)
{
	sqlite3_stmt *s;
	int rc, stop = 0;

	if (sqlite3_prepare_v2(vault_sql_db(v), "SELECT seq, entry, cid FROM audit_entries ORDER BY seq", -1, &s, NULL) !=
	    SQLITE_OK)
		return vault_sql_error(v, sqlite3_errcode(vault_sql_db(v)), err, "audit read");
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
		stop = fn(arg, sqlite3_column_int64(s, 0), sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1),
		    sqlite3_column_blob(s, 2), sqlite3_column_type(s, 2) == SQLITE_NULL ? -1 : sqlite3_column_bytes(s, 2));
	sqlite3_finalize(s);
	if (stop)
		return -1;
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "audit read");
}

struct audit_db_hash_cursor {
	sqlite3_stmt *s;
};

audit_db_hash_cursor *audit_db_hash_cursor_open(vault *v, util_err *err)
{
	audit_db_hash_cursor *c = calloc(1, sizeof *c);

	if (c == NULL) {
		util_fail(err, UTIL_ENOMEM, "out of memory");
		return NULL;
	}
	if (sqlite3_prepare_v2(vault_sql_db(v), "SELECT idx, hash FROM audit_hashes ORDER BY idx", -1, &c->s, NULL) !=
	    SQLITE_OK) {
		vault_sql_error(v, sqlite3_errcode(vault_sql_db(v)), err, "audit read");
		free(c);
		return NULL;
	}
	return c;
}

int audit_db_hash_next(audit_db_hash_cursor *c, int64_t *idx, audit_hash *h)
{
	if (sqlite3_step(c->s) != SQLITE_ROW || sqlite3_column_bytes(c->s, 1) != AUDIT_HASH_BYTES)
		return 0;
	*idx = sqlite3_column_int64(c->s, 0);
	memcpy(h->b, sqlite3_column_blob(c->s, 1), AUDIT_HASH_BYTES);
	return 1;
}

void audit_db_hash_cursor_close(audit_db_hash_cursor *c)
{
	if (c == NULL)
		return;
	sqlite3_finalize(c->s);
	free(c);
}

int audit_db_run(vault *v, int64_t start, audit_db_run_fn fn, void *arg, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT seq, cid FROM audit_runs WHERE run = ?1", err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, start);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		fn(arg, sqlite3_column_int64(s, 0), sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1));
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "audit read");
}

int audit_db_run_rows(vault *v, int64_t *n, util_err *err)
{
	*n = scalar(v, "SELECT count(*) FROM audit_runs", -1);
	return *n < 0 ? util_fail(err, UTIL_EIO, "cannot read the audit log's citizen index") : 0;
}

int audit_db_notes(vault *v, audit_db_note_fn fn, void *arg, util_err *err)
{
	sqlite3_stmt *s;
	int rc, stop = 0;

	if (sqlite3_prepare_v2(vault_sql_db(v),
	        "SELECT note, 0, size FROM audit_checkpoints UNION ALL SELECT note, 1, 0 FROM audit_head WHERE id = 1"
	        " ORDER BY 2, 3",
	        -1, &s, NULL) != SQLITE_OK)
		return vault_sql_error(v, sqlite3_errcode(vault_sql_db(v)), err, "audit read");
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
		stop = fn(arg, (const char *)sqlite3_column_text(s, 0), (size_t)sqlite3_column_bytes(s, 0),
		    sqlite3_column_int(s, 1));
	sqlite3_finalize(s);
	if (stop)
		return -1;
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "audit read");
}

/* ---- the group-commit writer's connections ---- */

void audit_db_writer_tune(vault *w, vault *ckpt, int (*busy)(void *arg, int count), void *arg)
{
	sqlite3_wal_autocheckpoint(vault_sql_db(w), 0);
	/* the checkpointer copies WAL frames and reads nothing through its page cache: no share */
	sqlite3_exec(vault_sql_db(ckpt), "PRAGMA cache_size = -256", NULL, NULL, NULL);
	sqlite3_busy_handler(vault_sql_db(ckpt), busy, arg);
}

int audit_db_wal_checkpoint(vault *ckpt, int restart, int *frames, int *copied)
{
	return sqlite3_wal_checkpoint_v2(vault_sql_db(ckpt), "main",
	           restart ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE, frames, copied) == SQLITE_OK
	           ? 0
	           : -1;
}

int audit_db_pages_written(vault *v)
{
	int pages = 0, hi = 0;

	sqlite3_db_status(vault_sql_db(v), SQLITE_DBSTATUS_CACHE_WRITE, &pages, &hi, 1);
	return pages;
}
