/* correction.c: a citizen's requests to correct a field of their record, sealed under their data key, and a registrar's answers. */
#include "vault_private.h"

#include <string.h>

/*
 * A request's sealed part, under the citizen's DEK with the name "@<id>" (not a catalog name):
 * the field's name, the proposed value (canonical bytes) and the citizen's note, each after its
 * length (1, 2 and 2 bytes, big-endian). The field is sealed too, so that a row whose field
 * column was changed does not open as a request for another field. A registrar's reason is
 * sealed apart, with the name "@<id>/r".
 */
#define PLAIN_MAX (1u + VAULT_NAME_MAX + 2u + VAULT_VALUE_MAX + 2u + VAULT_NOTE_MAX)
#define SEALED_MAX (PLAIN_MAX + VAULT_FIELD_OVERHEAD)
#define REASON_SEALED_MAX (VAULT_NOTE_MAX + VAULT_FIELD_OVERHEAD)

typedef char seal_name[VAULT_CORRECTION_ID_LEN + 4];

static void name_of(seal_name out, const char *id, int reason)
{
	snprintf(out, sizeof(seal_name), "@%s%s", id, reason ? "/r" : "");
}

/* 1 when id has the form of a request's id ("cr_" and 24 hex digits). */
int vault_correction_id_ok(const char *id)
{
	size_t n = strlen(id);

	return n == VAULT_CORRECTION_ID_LEN && strncmp(id, "cr_", 3) == 0 && strspn(id + 3, "0123456789abcdef") == n - 3;
}

/* The field named field, if a citizen may ask to correct it: 0, or UTIL_EINVAL naming the rule. */
static const vault_field_def *correctable(vault *v, const char *field, util_err *err)
{
	const vault_field_def *d = vault_catalog_find(vault_catalog_of(v), field, strlen(field));

	if (d == NULL) {
		util_fail(err, UTIL_EINVAL, "field is not a field of the catalog");
		return NULL;
	}
	if (strcmp(d->name, "national_id") == 0) {
		util_fail(err, UTIL_EINVAL, "the national ID cannot be corrected by a request: ask the registrar in person");
		return NULL;
	}
	return d;
}

/* Puts n bytes after their length (len bytes, big-endian) at p; returns the end. */
static unsigned char *put(unsigned char *p, size_t len, const void *b, size_t n)
{
	if (len == 2)
		*p++ = (unsigned char)(n >> 8);
	*p++ = (unsigned char)n;
	memcpy(p, b, n);
	return p + n;
}

int vault_correction_create(vault *v, const unsigned char cid[KEYS_CID_BYTES], const char *field, const json_t *value,
    const char *note, char id[VAULT_CORRECTION_ID_LEN + 1], util_err *err)
{
	const vault_field_def *d = correctable(v, field, err);
	size_t nlen = note ? strlen(note) : 0, vlen;
	unsigned char rnd[12], *p, sealed[SEALED_MAX];
	vault_work *w = vault_work_of(v);
	int64_t pending;
	uint32_t dv;
	seal_name name;
	int mine, ok = 0;

	if (d == NULL)
		return -1;
	if (nlen > VAULT_NOTE_MAX)
		return util_fail(err, UTIL_EINVAL, "note is longer than %u bytes", VAULT_NOTE_MAX);
	if (vault_field_check(d, value, w->value, &vlen, err) != 0)
		return -1;
	randombytes_buf(rnd, sizeof rnd);
	memcpy(id, "cr_", 3);
	util_hex_encode(id + 3, rnd, sizeof rnd);
	name_of(name, id, 0);
	if (vault_tx_begin(v, &mine, err) != 0)
		goto out;
	if (vault_row_corrections_pending(v, cid, &pending, err) != 0 || vault_citizen_key(v, cid, w->dek, &dv, err) != 0)
		goto end;
	if (pending >= VAULT_CORRECTIONS_PENDING_MAX) {
		util_fail(err, UTIL_ESTATE, "%u correction requests are pending already", VAULT_CORRECTIONS_PENDING_MAX);
		goto end;
	}
	w->used = PLAIN_MAX;
	p = put(w->fresh, 1, d->name, strlen(d->name));
	p = put(p, 2, w->value, vlen);
	p = put(p, 2, note ? note : "", nlen);
	vault_field_seal(w->dek, cid, dv, name, w->fresh, (size_t)(p - w->fresh), sealed);
	ok = vault_row_correction_insert(v, id, cid, d->name, sealed, (size_t)(p - w->fresh) + VAULT_FIELD_OVERHEAD,
	         util_now(), err) == 0;
end:
	if (vault_tx_end(v, mine, ok, err) != 0)
		ok = 0;
out:
	vault_work_wipe(v);
	return ok ? 0 : -1;
}

/* Reads n bytes after their length (len bytes) from *p (end: the plaintext's end): 0, or -1. */
static int get(const unsigned char **p, const unsigned char *end, size_t len, const unsigned char **b, size_t *n)
{
	if (end - *p < (ptrdiff_t)len)
		return -1;
	*n = len == 2 ? (size_t)(*p)[0] << 8 | (*p)[1] : (*p)[0];
	*p += len;
	if ((size_t)(end - *p) < *n)
		return -1;
	*b = *p;
	*p += *n;
	return 0;
}

/*
 * Opens row r (the DEK already in w->dek, of version dv) into the view a citizen and a
 * registrar see: a new object (its strings wiped as freed), or NULL with err filled.
 */
static json_t *view_of(vault *v, const vault_correction_row *r, uint32_t dv, util_err *err)
{
	vault_work *w = vault_work_of(v);
	const unsigned char *p = w->fresh, *end, *f, *val, *note;
	size_t fl, vl, nl;
	const vault_field_def *d;
	char when[21], decided[21];
	seal_name name;
	json_t *o;

	if (r->slen < VAULT_FIELD_OVERHEAD || r->slen > SEALED_MAX || r->rlen > REASON_SEALED_MAX)
		return util_fail(err, UTIL_ECORRUPT, "a correction request is malformed"), NULL;
	name_of(name, r->id, 0);
	w->used = PLAIN_MAX;
	if (vault_field_open(w->dek, r->cid, dv, name, r->sealed, r->slen, w->fresh, err) != 0)
		return NULL;
	end = w->fresh + r->slen - VAULT_FIELD_OVERHEAD;
	if (get(&p, end, 1, &f, &fl) != 0 || get(&p, end, 2, &val, &vl) != 0 || get(&p, end, 2, &note, &nl) != 0 ||
	    p != end || fl != strlen(r->field) || memcmp(f, r->field, fl) != 0)
		return util_fail(err, UTIL_ECORRUPT, "a correction request is malformed"), NULL;
	if ((d = vault_catalog_find(vault_catalog_of(v), r->field, fl)) == NULL)
		return util_fail(err, UTIL_ECORRUPT, "a correction request names a field no longer in the catalog"), NULL;
	util_iso8601(r->created_at, when);
	util_iso8601(r->decided_at, decided);
	o = json_pack("{s:s, s:s, s:o, s:s%, s:s, s:s, s:o, s:o, s:o}", "id", r->id, "field", r->field, "value",
	    vault_field_json(d, (const char *)val, vl), "note", (const char *)note, nl, "state", r->state, "created_at",
	    when, "decided_at", r->decided_at ? json_string(decided) : json_null(), "decided_by",
	    r->decided_by[0] ? json_string(r->decided_by) : json_null(), "reason", json_null());
	if (o != NULL && nl == 0)
		json_object_set_new(o, "note", json_null());
	if (o != NULL && r->reason != NULL && r->rlen >= VAULT_FIELD_OVERHEAD) {
		name_of(name, r->id, 1);
		if (vault_field_open(w->dek, r->cid, dv, name, r->reason, r->rlen, w->fresh, err) != 0) {
			json_decref(o);
			return NULL;
		}
		json_object_set_new(o, "reason", json_stringn((const char *)w->fresh, r->rlen - VAULT_FIELD_OVERHEAD));
	}
	if (o == NULL)
		util_fail(err, UTIL_ENOMEM, "out of memory");
	return o;
}

typedef struct walk {
	vault *v;
	vault_correction_fn fn;
	void *arg;
	char last[VAULT_CORRECTION_ID_LEN + 1];
} walk;

static int walk_row(void *arg, const vault_correction_row *r, util_err *err)
{
	walk *k = arg;
	uint32_t dv;
	json_t *o = NULL;
	int rc = -1;

	if (vault_citizen_key(k->v, r->cid, vault_work_of(k->v)->dek, &dv, err) == 0 &&
	    (o = view_of(k->v, r, dv, err)) != NULL) {
		snprintf(k->last, sizeof k->last, "%s", r->id);
		rc = k->fn(k->arg, r->cid, o, err);
	}
	vault_work_wipe(k->v);
	return rc;
}

int vault_corrections_list(vault *v, const unsigned char *cid, const char *state, const char *after, int64_t limit,
    vault_correction_fn fn, void *arg, char next[VAULT_CORRECTION_ID_LEN + 1], util_err *err)
{
	walk k = {.v = v, .fn = fn, .arg = arg};
	int more = 0, rc;

	next[0] = '\0';
	if (state != NULL && strcmp(state, "pending") != 0 && strcmp(state, "applied") != 0 && strcmp(state, "rejected") != 0)
		return util_fail(err, UTIL_EINVAL, "state must be pending, applied or rejected");
	if (after[0] != '\0' && !vault_correction_id_ok(after))
		return util_fail(err, UTIL_EINVAL, "query argument after is not a next of this list");
	/* one statement: the page is one state of the table, and each key is read while it runs */
	rc = vault_row_corrections_page(v, cid, state, after, limit, walk_row, &k, &more, err);
	if (rc == 0 && more)
		memcpy(next, k.last, sizeof k.last);
	return rc;
}

/* What a decision needs of the request, copied out of its row. */
typedef struct pending_one {
	unsigned char cid[KEYS_CID_BYTES];
	char field[VAULT_NAME_MAX + 1], state[16];
	unsigned char sealed[SEALED_MAX];
	size_t slen;
} pending_one;

static int copy_row(void *arg, const vault_correction_row *r, util_err *err)
{
	pending_one *o = arg;

	if (r->slen > SEALED_MAX || strlen(r->field) > VAULT_NAME_MAX)
		return util_fail(err, UTIL_ECORRUPT, "a correction request is malformed");
	memcpy(o->cid, r->cid, KEYS_CID_BYTES);
	snprintf(o->field, sizeof o->field, "%s", r->field);
	snprintf(o->state, sizeof o->state, "%s", r->state);
	memcpy(o->sealed, r->sealed, r->slen);
	o->slen = r->slen;
	return 0;
}

/* Applies request id's proposed value to the record (the DEK in w->dek, of version dv). */
static int apply(vault *v, const char *id, const pending_one *o, uint32_t dv, util_err *err)
{
	vault_correction_row r = {.id = id, .cid = o->cid, .field = o->field, .state = o->state, .sealed = o->sealed,
		.slen = o->slen, .decided_by = ""};
	json_t *view = view_of(v, &r, dv, err), *fields;
	int rc;

	if (view == NULL)
		return -1;
	fields = json_pack("{s:O}", o->field, json_object_get(view, "value"));
	json_decref(view);
	vault_work_wipe(v);
	if (fields == NULL)
		return util_fail(err, UTIL_ENOMEM, "out of memory");
	rc = vault_citizen_update(v, o->cid, fields, err);
	json_decref(fields);
	return rc;
}

int vault_correction_decide(vault *v, const char *id, int applied, const char *reason, const char *by,
    unsigned char cid[KEYS_CID_BYTES], char field[VAULT_NAME_MAX + 1], util_err *err)
{
	size_t rlen = reason ? strlen(reason) : 0;
	unsigned char sealed[REASON_SEALED_MAX];
	vault_work *w = vault_work_of(v);
	pending_one o;
	seal_name name;
	uint32_t dv;
	int mine, ok = 0;

	if (rlen > VAULT_NOTE_MAX)
		return util_fail(err, UTIL_EINVAL, "reason is longer than %u bytes", VAULT_NOTE_MAX);
	if (!vault_correction_id_ok(id))
		return util_fail(err, UTIL_ENOTFOUND, "no such correction request");
	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	if (vault_row_correction_get(v, id, copy_row, &o, err) != 0)
		goto end;
	if (strcmp(o.state, "pending") != 0) {
		util_fail(err, UTIL_ESTATE, "this correction request was already answered");
		goto end;
	}
	if (vault_citizen_key(v, o.cid, w->dek, &dv, err) != 0 || (applied && apply(v, id, &o, dv, err) != 0))
		goto end;
	/* apply wiped the key: the reason is sealed under it again */
	if (rlen > 0) {
		if (vault_citizen_key(v, o.cid, w->dek, &dv, err) != 0)
			goto end;
		name_of(name, id, 1);
		vault_field_seal(w->dek, o.cid, dv, name, (const unsigned char *)reason, rlen, sealed);
	}
	ok = vault_row_correction_decide(v, id, applied ? "applied" : "rejected", rlen ? sealed : NULL,
	         rlen + VAULT_FIELD_OVERHEAD, by, util_now(), err) == 0;
	memcpy(cid, o.cid, KEYS_CID_BYTES);
	snprintf(field, VAULT_NAME_MAX + 1, "%s", o.field);
end:
	vault_work_wipe(v);
	sodium_memzero(&o, sizeof o);
	return vault_tx_end(v, mine, ok, err) == 0 && ok ? 0 : -1;
}
