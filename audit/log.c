/* log.c: the audit log: appending with its Merkle hashes, settling the copies, signing the head and checkpoints, proofs. */
#include "audit.h"

#include <stdlib.h>
#include <string.h>

#include "audit_db.h"



#define BATCH_HASHES 256u /* the stored hashes an import's batch keeps: most of the next entries' left halves */

struct audit_batch {
	char *buf;             /* the batch's entries, one per line */
	size_t len, cap;       /* buf's fill and size */
	size_t last_off;       /* where its last entry starts */
	int64_t last_seq;      /* and that entry's number */
	int64_t copy;          /* the row of audit_pending that holds buf, once stored; else 0 */
	int64_t next;          /* the next entry's number while the transaction that appends lasts; else -1 */
	/* the last BATCH_HASHES hashes stored (their indexes are consecutive), from index lo on */
	audit_hash hash[BATCH_HASHES];
	int64_t lo, hi;
};

typedef struct batch_reader {
	vault *v;
	const audit_batch *b;
} batch_reader;

/* An audit_hash_reader (ctx: a batch_reader): the batch's latest hashes from its memory, others from audit.db. */
static int batch_hashes(void *ctx, const int64_t *idx, size_t n, audit_hash *out)
{
	const batch_reader *c = ctx;
	size_t i;

	for (i = 0; i < n; i++) {
		if (idx[i] >= c->b->lo && idx[i] < c->b->hi && c->b->hi - idx[i] <= (int64_t)BATCH_HASHES)
			out[i] = c->b->hash[(uint64_t)idx[i] % BATCH_HASHES];
		else if (audit_db_hashes(c->v, &idx[i], 1, &out[i]) != 0)
			return -1;
	}
	return 0;
}

/*
 * Stores entry e (its seq, columns and canonical JSON) and its Merkle hashes, in the open
 * transaction; with b, the left halves the new hashes need come mostly from b's memory; with
 * leaf, e's leaf hash is that.
 */
static int store_entry(vault *v, const audit_db_entry *e, audit_batch *b, const audit_hash *leaf_in, util_err *err)
{
	audit_hash leaf, hashes[AUDIT_MAX_PROOF];
	batch_reader ctx = {v, b};
	int64_t base = audit_stored_hash_count(e->seq);
	int nh, i;

	leaf = leaf_in != NULL ? *leaf_in : audit_leaf_hash((const unsigned char *)e->json, e->len);
	nh = b != NULL ? audit_stored_hashes_for(e->seq, &leaf, batch_hashes, &ctx, hashes)
	               : audit_stored_hashes_for(e->seq, &leaf, audit_db_hashes, v, hashes);
	if (nh < 0)
		return util_fail(err, UTIL_ECORRUPT, "the audit log's stored hashes are incomplete");
	if (audit_db_put_entry(v, e, hashes, nh, base, err) != 0)
		return -1;
	if (b != NULL) {
		if (b->hi != base) /* not where the last left off: start the memory over */
			b->lo = b->hi = base;
		for (i = 0; i < nh; i++)
			b->hash[(uint64_t)(b->hi++) % BATCH_HASHES] = hashes[i];
	}
	/* the last entry of a run: the run is indexed with it, in the same transaction */
	return (e->seq + 1) % AUDIT_RUN_ENTRIES == 0 ? audit_runs_catch_up(v, e->seq + 1, err) : 0;
}

/* Adds entry (len bytes, number seq) to b's lines. 0 or -1. */
static int gather(audit_batch *b, const char *entry, size_t len, int64_t seq, util_err *err)
{
	if (b->cap - b->len < len + 1) {
		size_t cap = b->cap ? b->cap : 1u << 20;
		char *nb;

		while (cap - b->len < len + 1)
			cap *= 2;
		if ((nb = realloc(b->buf, cap)) == NULL)
			return util_fail(err, UTIL_ENOMEM, "out of memory");
		b->buf = nb;
		b->cap = cap;
	}
	if (b->len > 0)
		b->buf[b->len++] = '\n';
	b->last_off = b->len;
	b->last_seq = seq;
	memcpy(b->buf + b->len, entry, len);
	b->len += len;
	return 0;
}

/*
 * Appends e; with copy, also its copy in vault.db (audit_pending), committed with the change:
 * a row of its own, or with b, a line of the batch's one copy (audit_batch_store). With pre,
 * e as encoded ahead, when its number is still the next one.
 */
static int append(vault *v, const audit_entry *e, int copy, audit_batch *b, const audit_prepared *pre, int64_t *seq,
    util_err *err)
{
	char *buf = NULL;
	const char *json;
	size_t len = 0;
	int64_t n, now = util_now();
	audit_db_entry c = {0, e->time ? e->time : now, e->cid, e->agency_id, e->action, e->decision, NULL, 0};
	int64_t id;
	int rc = -1, mine;

	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	/* within a batch's transaction the log is this connection's to write: its size is known */
	if (b != NULL && b->next >= 0)
		n = b->next;
	else if (audit_size(v, &n, err) != 0)
		goto out;
	if (pre != NULL && pre->seq == n) {
		json = pre->json;
		len = pre->len;
		c.time = pre->time;
	} else {
		pre = NULL;
		if ((buf = malloc(AUDIT_ENTRY_MAX)) == NULL) {
			util_fail(err, UTIL_ENOMEM, "out of memory");
			goto out;
		}
		if (audit_entry_encode(e, n, now, buf, &len, err) != 0)
			goto out;
		json = buf;
	}
	c.seq = n;
	c.json = json;
	c.len = len;
	if (store_entry(v, &c, b, pre != NULL ? &pre->leaf : NULL, err) != 0)
		goto out;
	if (b != NULL)
		b->next = n + 1;
	/* with a change to vault.db, a copy there: the two files commit one after the other */
	if (copy && !audit_log_only(v)) {
		if (b != NULL) {
			if (gather(b, json, len, n, err) != 0)
				goto out;
		} else {
			if (audit_db_put_copy(v, json, len, &id, err) != 0)
				goto out;
			audit_note_copy(v, id);
		}
	}
	if (seq != NULL)
		*seq = n;
	rc = 0;
out:
	free(buf);
	return vault_tx_end(v, mine, rc == 0, err);
}

int audit_append(vault *v, const audit_entry *e, int64_t *seq, util_err *err)
{
	return append(v, e, 1, NULL, NULL, seq, err);
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
	audit_db_entry c = {0};
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
	c.seq = n;
	c.json = buf;
	c.len = len;
	rc = store_entry(v, &c, NULL, NULL, err);
out:
	free(buf);
	json_decref(o);
	return rc;
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
	vault *v;
	util_err *err;
	int64_t last;      /* the largest copy id looked at */
	int64_t *bad;      /* ids of unreadable copies, kept */
	size_t nbad, cap;
	int64_t appended;
} settle_state;

/* Keeps id among the unreadable copies. */
static int keep_bad(settle_state *st, int64_t id)
{
	if (st->nbad == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 16;
		int64_t *b = realloc(st->bad, cap * sizeof *b);

		if (b == NULL)
			return util_fail(st->err, UTIL_ENOMEM, "out of memory");
		st->bad = b;
		st->cap = cap;
	}
	st->bad[st->nbad++] = id;
	return 0;
}

/* One entry of a copy (e, len bytes): appended when the log lacks it. 0, 1 when it is no entry, or -1. */
static int settle_entry(settle_state *st, const char *e, size_t len)
{
	vault *v = st->v;
	unsigned char h[32];
	int64_t seq, n;
	int here;

	/* the usual case: the entry committed right after its copy, under the number it has */
	if ((seq = guess_seq(e, len)) >= 0) {
		if ((here = audit_db_logged(v, seq, e, len, st->err)) != 0)
			return here < 0 ? -1 : 0;
	}
	if ((seq = copy_seq(e, len)) < 0)
		return 1;
	if ((here = audit_db_logged(v, seq, e, len, st->err)) != 0)
		return here < 0 ? -1 : 0;
	crypto_generichash(h, sizeof h, (const unsigned char *)e, len, NULL, 0);
	if ((here = audit_db_settled(v, h, st->err)) != 0)
		return here < 0 ? -1 : 0;
	/* a stop fell between the two commits: the entry goes at the end of the log now */
	if (audit_size(v, &n, st->err) != 0 || append_copy(v, n, e, len, st->err) != 0 ||
	    audit_db_note_settled(v, h, n, st->err) != 0)
		return -1;
	st->appended++;
	return 0;
}

/*
 * One copy (e, len bytes, NULL when empty) of step 1: one entry, or an import batch's, one a
 * line (audit_batch_store), each settled in turn. A copy with a line that is no entry is kept.
 */
static int settle_one(void *arg, int64_t id, const char *e, size_t len)
{
	settle_state *st = arg;
	const char *nl;
	int bad = e == NULL, rc;

	st->last = id;
	while (e != NULL) {
		size_t n = (nl = memchr(e, '\n', len)) != NULL ? (size_t)(nl - e) : len;

		if ((rc = settle_entry(st, e, n)) < 0)
			return -1;
		bad |= rc;
		if (nl == NULL)
			break;
		e = nl + 1;
		len -= n + 1;
	}
	return bad ? keep_bad(st, id) : 0;
}

/*
 * Step 1, a transaction that changes audit.db alone: every readable copy whose entry is not in
 * the log (at its number, with its bytes) and was not appended by an earlier settle is appended
 * now, and its hash noted in audit_settled in the same commit.
 */
static int settle_log(vault *v, settle_state *st, util_err *err)
{
	int mine, ok;

	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	st->v = v;
	st->err = err;
	ok = audit_db_copies(v, settle_one, st, err) == 0 && (st->appended == 0 || audit_seal(v, 0, err) == 0);
	return vault_tx_end(v, mine, ok, err);
}

/*
 * Step 2, a transaction that changes vault.db alone: the copies step 1 looked at go (all now in
 * the log), but for the unreadable ones; and vault.db notes the log's size (the vault counter
 * AUDIT_SIZE_COUNTER), which audit_verify holds the log to, so that audit.db cannot be swapped
 * for an older copy of itself unnoticed.
 */
static int settle_copies(vault *v, const settle_state *st, util_err *err)
{
	int64_t size;
	size_t i;
	int mine, ok = 0;

	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	/* the ranges between the unreadable ids, up to st->last */
	for (i = 0; i <= st->nbad; i++)
		if (audit_db_drop_copies(v, i == 0 ? 0 : st->bad[i - 1], i == st->nbad ? st->last + 1 : st->bad[i], err) != 0)
			goto out;
	ok = audit_size(v, &size, err) == 0 && vault_counter_raise(v, AUDIT_SIZE_COUNTER, size, err) == 0;
out:
	return vault_tx_end(v, mine, ok, err);
}

int audit_settle(vault *v, int64_t *appended, int64_t *unreadable, util_err *err)
{
	settle_state st = {0};
	int rc = -1;

	*appended = *unreadable = 0;
	if (audit_log_only(v))
		return 0;
	if (vault_in_tx(v))
		return util_fail(err, UTIL_ESTATE, "audit_settle needs transactions of its own");
	if (settle_log(v, &st, err) == 0 && settle_copies(v, &st, err) == 0) {
		*appended = st.appended;
		*unreadable = (int64_t)st.nbad;
		rc = 0;
	}
	free(st.bad);
	return rc;
}

/* ---- an import's batch: one copy for all its entries ---- */

audit_batch *audit_batch_new(void)
{
	audit_batch *b = calloc(1, sizeof *b);

	if (b != NULL)
		audit_batch_reset(b);
	return b;
}

void audit_batch_free(audit_batch *b)
{
	if (b != NULL)
		free(b->buf);
	free(b);
}

void audit_batch_reset(audit_batch *b)
{
	b->len = b->last_off = 0;
	b->last_seq = b->next = -1;
	b->copy = b->lo = b->hi = 0;
}

int audit_batch_append(vault *v, audit_batch *b, const audit_entry *e, util_err *err)
{
	return append(v, e, 1, b, NULL, NULL, err);
}

int audit_entry_prepare(const audit_entry *e, int64_t seq, int64_t now, audit_prepared *p, util_err *err)
{
	if (audit_entry_encode(e, seq, now, p->json, &p->len, err) != 0)
		return -1;
	p->seq = seq;
	p->time = e->time ? e->time : now;
	p->leaf = audit_leaf_hash((const unsigned char *)p->json, p->len);
	return 0;
}

int audit_batch_append_prepared(vault *v, audit_batch *b, const audit_entry *e, const audit_prepared *p, int64_t *seq,
    util_err *err)
{
	return append(v, e, 1, b, p, seq, err);
}

int audit_batch_store(vault *v, audit_batch *b, util_err *err)
{
	if (b->len == 0)
		return 0;
	if (audit_db_put_copy(v, b->buf, b->len, &b->copy, err) != 0)
		return -1;
	audit_note_copy(v, b->copy);
	b->next = -1; /* the transaction ends: another writer may append before the next one */
	return 0;
}

int audit_batch_settle(vault *v, audit_batch *b, int64_t *appended, util_err *err)
{
	int64_t unreadable, size;
	int here, mine, ok = 0;

	*appended = 0;
	if (b->copy == 0) {
		audit_batch_reset(b);
		return 0;
	}
	here = audit_db_logged(v, b->last_seq, b->buf + b->last_off, b->len - b->last_off, err);
	if (here < 0)
		return -1;
	if (here == 0) { /* the log lacks the batch: its copy is all there is of its entries */
		audit_batch_reset(b);
		return audit_settle(v, appended, &unreadable, err);
	}
	/* as settle_copies does, for this one copy */
	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	ok = audit_db_drop_copies(v, b->copy - 1, b->copy + 1, err) == 0 && audit_size(v, &size, err) == 0 &&
	     vault_counter_raise(v, AUDIT_SIZE_COUNTER, size, err) == 0;
	audit_batch_reset(b);
	return vault_tx_end(v, mine, ok, err);
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


int audit_seal(vault *v, int force, util_err *err)
{
	audit_checkpoint c;
	char note[AUDIT_CHECKPOINT_MAX];
	unsigned char pk[32];
	int64_t head, last, last_time;
	size_t len;
	int mine, ok = 0, need_ckpt;

	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	if (audit_size(v, &c.size, err) != 0)
		goto out;
	head = audit_db_head_size(v);
	audit_db_last_checkpoint(v, &last, &last_time);
	need_ckpt = c.size > last &&
	            (force || c.size - last >= AUDIT_CHECKPOINT_EVERY || util_now() - last_time >= AUDIT_CHECKPOINT_SECONDS);
	if (c.size == 0 || (head == c.size && !need_ckpt)) {
		ok = 1;
		goto out;
	}
	audit_origin(v, c.origin);
	vault_public_key(v, pk);
	if (audit_tree_hash(c.size, audit_db_hashes, v, &c.root) != 0) {
		util_fail(err, UTIL_ECORRUPT, "the audit log's stored hashes are incomplete");
		goto out;
	}
	if (audit_checkpoint_sign(&c, c.origin, pk, sign_cb, v, note, &len) != 0) {
		util_fail(err, UTIL_EINVAL, "cannot sign a checkpoint");
		goto out;
	}
	if (head != c.size && audit_db_put_head(v, c.size, note, err) != 0)
		goto out;
	/* a stored checkpoint: history that consistency proofs and witnesses refer to */
	if (need_ckpt && audit_db_put_checkpoint(v, c.size, note, err) != 0)
		goto out;
	ok = 1;
out:
	return vault_tx_end(v, mine, ok, err);
}

int audit_record(vault *v, const audit_entry *e, int64_t *seq, util_err *err)
{
	int mine, ok;

	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	/* in a transaction of its own, the entry is all it writes: vault.db needs no copy */
	ok = append(v, e, !mine, NULL, NULL, seq, err) == 0;
	/* in a group's batch, the head is signed once, at its commit, for all its entries */
	if (ok && !mine && vault_in_group(v))
		audit_seal_at_commit(v);
	else if (ok)
		ok = audit_seal(v, 0, err) == 0;
	return vault_tx_end(v, mine, ok, err);
}

/* ---- reading ---- */

/* The signed head (head) or the newest checkpoint, checked against the vault's key. */
static int read_note(vault *v, int head, char out[AUDIT_CHECKPOINT_MAX], audit_checkpoint *c, util_err *err)
{
	unsigned char pk[32];
	char origin[AUDIT_ORIGIN_MAX + 1];

	if (audit_db_note(v, head, out, err) != 0)
		return -1;
	audit_origin(v, origin);
	vault_public_key(v, pk);
	if (audit_checkpoint_verify(out, strlen(out), origin, pk, c) != 0)
		return util_fail(err, UTIL_ECORRUPT, "the latest checkpoint does not verify");
	return 0;
}

int audit_latest_checkpoint(vault *v, char out[AUDIT_CHECKPOINT_MAX], audit_checkpoint *c, util_err *err)
{
	return read_note(v, 0, out, c, err);
}

int audit_signed_head(vault *v, char out[AUDIT_CHECKPOINT_MAX], audit_checkpoint *c, util_err *err)
{
	return read_note(v, 1, out, c, err);
}


int audit_inclusion(vault *v, int64_t seq, int64_t n, audit_hash *proof, size_t *len, util_err *err)
{
	int rc = audit_prove_inclusion(seq, n, audit_db_hashes, v, proof, len);

	return rc == 0 ? 0 : util_fail(err, UTIL_EINVAL, "no inclusion proof for that entry and size");
}

int audit_consistency(vault *v, int64_t m, int64_t n, audit_hash *proof, size_t *len, util_err *err)
{
	int64_t size;
	int rc;

	if (audit_size(v, &size, err) != 0)
		return -1;
	if (m < 1 || m > n || n > size)
		return util_fail(err, UTIL_EINVAL, "sizes must satisfy 0 < from <= to <= %lld", (long long)size);
	rc = audit_prove_consistency(m, n, audit_db_hashes, v, proof, len);
	return rc == 0 ? 0 : util_fail(err, UTIL_ECORRUPT, "the audit log's stored hashes are incomplete");
}
