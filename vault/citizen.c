/* citizen.c: citizen records: enrolment, lookup by blind index, selective decryption, erasure. */
#include "vault_private.h"

#include <stdlib.h>
#include <string.h>

/*
 * A record is one row; its fields column holds every field, names and values, sealed as one
 * (record.c, format 2) and padded to a bucket, so that the page key shows neither which fields
 * a record holds nor how long they are. The TOTP secret is apart, in the totp column, sealed
 * on its own (vault_field_seal, name "@totp"): a login opens it without the record, and it is
 * always VAULT_TOTP_SECRET_BYTES long. Format 1, before it, sealed each value on its own:
 *   u8 format (1) || { u8 name length || name || u16 sealed length || sealed value }*
 * Migration 7 rewrites those (vault_citizen_reseal_v1); nothing else reads them.
 */
#define REC_FORMAT_V1 1u
#define TOTP_NAME "@totp" /* not a catalog name ([a-z0-9_]), so it cannot collide with one */
#define REC_MAX VAULT_REC_MAX
#define REC_PLAIN(blob) ((blob) + VAULT_RECORD_HEAD)

typedef struct rec_v1_entry {
	const char *name; /* points into the blob: not NUL-terminated */
	size_t nlen;
	const unsigned char *sealed;
	size_t slen;
} rec_v1_entry;

/* Splits a format-1 record blob into entries; -1 if it is malformed. */
static int rec_parse_v1(const unsigned char *b, size_t n, rec_v1_entry *e, size_t *count)
{
	size_t off = 1, k = 0;

	if (n < 1 || b[0] != REC_FORMAT_V1)
		return -1;
	while (off < n) {
		if (k == VAULT_RECORD_ENTRIES_MAX || off + 1 > n)
			return -1;
		e[k].nlen = b[off++];
		if (e[k].nlen == 0 || e[k].nlen > VAULT_NAME_MAX || off + e[k].nlen + 2 > n)
			return -1;
		e[k].name = (const char *)b + off;
		off += e[k].nlen;
		e[k].slen = util_get_u16(b + off);
		off += 2;
		if (e[k].slen < VAULT_FIELD_OVERHEAD || e[k].slen - VAULT_FIELD_OVERHEAD > VAULT_VALUE_MAX ||
		    off + e[k].slen > n)
			return -1;
		e[k].sealed = b + off;
		off += e[k].slen;
		k++;
	}
	*count = k;
	return 0;
}

typedef vault_work rec_work;

/*
 * Checks the fields object's shape: known names, national_id not among them. The values are
 * checked where they are used (vault_value_check), as they are sealed or by vault_input_check.
 */
static int check_fields(const vault_catalog *cat, const json_t *fields, util_err *err)
{
	const char *k;
	json_t *val;

	if (!json_is_object(fields))
		return util_fail(err, UTIL_EINVAL, "fields must be an object");
	if (json_object_size(fields) > VAULT_MAX_FIELDS)
		return util_fail(err, UTIL_EINVAL, "too many fields");
	json_object_foreach((json_t *)fields, k, val) {
		const vault_field_def *d = vault_catalog_find(cat, k, strlen(k));

		if (d == NULL)
			return util_fail(err, UTIL_EINVAL, "unknown field %.32s", k);
		if (strcmp(d->name, "national_id") == 0)
			return util_fail(err, UTIL_EINVAL, "national_id is given beside fields, not in them");
	}
	return 0;
}

/*
 * Builds a whole record from in and seals it under dek with nonce into blob (REC_MAX bytes,
 * secret memory: its entries are written there in the clear first). value is scratch
 * (VAULT_VALUE_MAX + 1 bytes, secret). Returns the stored size; 0 on error, blob then wiped.
 */
static size_t build_record(const vault_catalog *cat, const unsigned char *dek, const unsigned char *cid,
    const vault_input *in, const unsigned char *nonce, char *value, unsigned char *blob, util_err *err)
{
	unsigned char *plain = REC_PLAIN(blob);
	size_t off, i, n;

	off = vault_record_put(plain, 0, "national_id", sizeof "national_id" - 1, in->nid, VAULT_NID_LEN);
	/* catalog order, so the same input always gives the same plaintext */
	for (i = 0; i < vault_catalog_count(cat) && off != 0; i++) {
		const vault_field_def *d = vault_catalog_at(cat, i);
		const vault_value *val = &in->v[i];

		if (val->type == VAULT_V_ABSENT || val->type == VAULT_V_NULL || strcmp(d->name, "national_id") == 0)
			continue;
		if (vault_value_check(d, val, value, &n, err) != 0)
			goto fail;
		off = vault_record_put(plain, off, d->name, strlen(d->name), value, n);
	}
	if (off == 0) {
		util_fail(err, UTIL_EINVAL, "the record is larger than the vault allows");
		goto fail;
	}
	return vault_record_seal(dek, cid, 1, nonce, blob, off);
fail:
	sodium_memzero(blob, REC_MAX);
	return 0;
}

/* ---- enrolment in two steps: sealing (any thread), then storing ---- */

struct vault_prepared {
	/* secret until wiped: the DEK, the TOTP secret, a value being sealed */
	unsigned char dek[KEYS_BYTES];
	unsigned char totp[VAULT_TOTP_SECRET_BYTES];
	char value[VAULT_VALUE_MAX + 1];
	unsigned char rnd[KEYS_CID_BYTES + KEYS_BYTES + VAULT_TOTP_SECRET_BYTES + KEYS_NONCE_BYTES * 2];
	/* what is stored */
	unsigned char cid[KEYS_CID_BYTES];
	unsigned char index[VAULT_INDEX_BYTES];
	unsigned char wrapped[KEYS_WRAPPED_DEK_BYTES];
	unsigned char sealed_totp[VAULT_TOTP_SECRET_BYTES + VAULT_FIELD_OVERHEAD];
	uint32_t kek;
	size_t blen; /* 0: nothing prepared */
	unsigned char blob[REC_MAX];
};

vault_prepared *vault_prepared_new(size_t n)
{
	vault_prepared *p;
	size_t i;

	if (n == 0 || n > SIZE_MAX / sizeof *p || (p = keys_secret_alloc(n * sizeof *p)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		p[i].blen = 0;
	return p;
}

vault_prepared *vault_prepared_at(vault_prepared *p, size_t i)
{
	return &p[i];
}

void vault_prepared_free(vault_prepared *p)
{
	keys_secret_free(p); /* wipes all of it */
}

void vault_prepared_wipe(vault_prepared *p)
{
	sodium_memzero(p->dek, sizeof p->dek);
	sodium_memzero(p->totp, sizeof p->totp);
	sodium_memzero(p->blob, p->blen);
	sodium_memzero(p->cid, sizeof p->cid);
	p->blen = 0;
}

const unsigned char *vault_prepared_cid(const vault_prepared *p)
{
	return p->cid;
}

const unsigned char *vault_prepared_totp(const vault_prepared *p)
{
	return p->totp;
}

int vault_citizen_prepare(vault *v, const vault_input *in, vault_prepared *p, util_err *err)
{
	const vault_catalog *cat = vault_shared_of(v)->cat;
	int ok = 0;

	p->blen = 0;
	if (vault_nid_check(in->nid, strnlen(in->nid, VAULT_NID_LEN + 1), err) != 0)
		return -1;
	/* every random byte this record needs, from one call */
	randombytes_buf(p->rnd, sizeof p->rnd);
	memcpy(p->cid, p->rnd, KEYS_CID_BYTES);
	memcpy(p->dek, p->rnd + KEYS_CID_BYTES, KEYS_BYTES);
	memcpy(p->totp, p->rnd + KEYS_CID_BYTES + KEYS_BYTES, VAULT_TOTP_SECRET_BYTES);
	{
		const unsigned char *nonces = p->rnd + KEYS_CID_BYTES + KEYS_BYTES + VAULT_TOTP_SECRET_BYTES;
		size_t blen = build_record(cat, p->dek, p->cid, in, nonces + KEYS_NONCE_BYTES, p->value, p->blob, err);

		if (blen == 0)
			goto out;
		vault_field_seal_nonce(p->dek, p->cid, 1, TOTP_NAME, nonces, p->totp, sizeof p->totp, p->sealed_totp);
		p->blen = blen;
	}
	pthread_rwlock_rdlock(&vault_shared_of(v)->ring_mu);
	vault_nid_index(keys_ring_key(vault_shared_of(v)->ring, KEYS_RING_BLIND), in->nid, p->index);
	keys_ring_wrap_dek(vault_shared_of(v)->ring, p->cid, p->dek, p->wrapped, &p->kek);
	pthread_rwlock_unlock(&vault_shared_of(v)->ring_mu);
	ok = 1;
out:
	/* the DEK stays (secret memory) until the record is stored: a KEK rotated in between
	 * means wrapping it again */
	sodium_memzero(p->value, sizeof p->value);
	sodium_memzero(p->rnd, sizeof p->rnd);
	if (!ok)
		vault_prepared_wipe(p);
	return ok ? 0 : -1;
}

int vault_citizen_insert(vault *v, vault_prepared *p, util_err *err)
{
	vault_row_new row;
	int mine = 0, ok = 0;

	if (p->blen == 0)
		return util_fail(err, UTIL_EINVAL, "no record was prepared");
	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	if (vault_kek_sync(v, err) != 0)
		goto end;
	pthread_rwlock_rdlock(&vault_shared_of(v)->ring_mu);
	if (keys_ring_current_kek(vault_shared_of(v)->ring) != p->kek) /* rotated since it was sealed */
		keys_ring_wrap_dek(vault_shared_of(v)->ring, p->cid, p->dek, p->wrapped, &p->kek);
	pthread_rwlock_unlock(&vault_shared_of(v)->ring_mu);
	row = (vault_row_new){.cid = p->cid, .index = p->index, .wrapped = p->wrapped, .record = p->blob,
		.rlen = p->blen, .totp = p->sealed_totp, .tlen = sizeof p->sealed_totp, .kek = p->kek, .now = util_now()};
	ok = vault_row_insert(v, &row, err) == 0;
end:
	if (vault_tx_end(v, mine, ok, err) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

int vault_citizen_create(vault *v, const char *nid, const json_t *fields, unsigned char cid[KEYS_CID_BYTES],
    unsigned char *totp, util_err *err)
{
	vault_input **ins = vault_input_slot(v), *in;
	vault_prepared **ps = vault_prepared_slot(v), *p;
	int rc = -1;

	/* allocated on first use: most connections never enrol anyone */
	if (*ins == NULL && (*ins = keys_secret_alloc(sizeof **ins)) == NULL)
		return util_fail(err, UTIL_ENOMEM, "out of secret memory");
	if (*ps == NULL && (*ps = vault_prepared_new(1)) == NULL)
		return util_fail(err, UTIL_ENOMEM, "out of secret memory");
	in = *ins;
	p = *ps;
	if (vault_input_from_json(vault_shared_of(v)->cat, nid, fields, in, err) == 0 &&
	    vault_citizen_prepare(v, in, p, err) == 0 &&
	    vault_citizen_insert(v, p, err) == 0) {
		memcpy(cid, p->cid, KEYS_CID_BYTES);
		if (totp != NULL)
			memcpy(totp, p->totp, VAULT_TOTP_SECRET_BYTES);
		rc = 0;
	}
	sodium_memzero(in, sizeof *in);
	vault_prepared_wipe(p);
	return rc;
}

int vault_record_parse(const char *line, size_t n, char *nid, json_t **fields, util_err *err)
{
	json_error_t je;
	json_t *doc, *f = NULL;
	const char *s = NULL;
	size_t sl = 0;

	doc = json_loadb(line, n, JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL)
		return util_fail(err, UTIL_EINVAL, "not valid JSON (column %d)", je.column);
	if (json_unpack_ex(doc, &je, JSON_STRICT, "{s:s%, s:o}", "national_id", &s, &sl, "fields", &f) != 0) {
		json_decref(doc);
		return util_fail(err, UTIL_EINVAL, "must be {\"national_id\": string, \"fields\": object}");
	}
	if (sl != VAULT_NID_LEN || memchr(s, '\0', sl) != NULL) {
		json_decref(doc);
		return util_fail(err, UTIL_EINVAL, "national_id must be 12 digits");
	}
	memcpy(nid, s, VAULT_NID_LEN + 1);
	*fields = json_incref(f);
	json_decref(doc);
	return 0;
}

int vault_input_from_json(const vault_catalog *cat, const char *nid, const json_t *fields, vault_input *in,
    util_err *err)
{
	size_t i;

	if (nid == NULL || vault_nid_check(nid, strlen(nid), err) != 0 || check_fields(cat, fields, err) != 0)
		return -1;
	memmove(in->nid, nid, VAULT_NID_LEN + 1); /* nid may be in->nid */
	for (i = 0; i < vault_catalog_count(cat); i++)
		vault_value_of_json(json_object_get(fields, vault_catalog_at(cat, i)->name), &in->v[i]);
	return 0;
}

int vault_input_check(const vault_catalog *cat, const vault_input *in, util_err *err)
{
	char value[VAULT_VALUE_MAX + 1];
	size_t i, n;
	int rc = 0;

	if (vault_nid_check(in->nid, strnlen(in->nid, VAULT_NID_LEN + 1), err) != 0)
		return -1;
	for (i = 0; i < vault_catalog_count(cat) && rc == 0; i++) {
		const vault_value *val = &in->v[i];

		if (val->type != VAULT_V_ABSENT && strcmp(vault_catalog_at(cat, i)->name, "national_id") != 0)
			rc = vault_value_check(vault_catalog_at(cat, i), val, value, &n, err);
	}
	sodium_memzero(value, sizeof value);
	return rc;
}

/* ---- reading import lines in their plain form without jansson ---- */

/* A field's value: a string with no escape, or a non-negative integer; anything else is 0. */
static int scan_field_value(util_json *j, vault_value *val)
{
	int64_t x;
	util_json_str s;

	if (util_json_peek(j) == '"') {
		if (!util_json_string(j, &s))
			return 0;
		val->s = s.s;
		val->n = s.n;
		val->type = VAULT_V_STRING;
		return 1;
	}
	if (util_json_peek(j) == '-' || !util_json_int(j, &x))
		return 0;
	val->i = x;
	val->type = VAULT_V_INTEGER;
	return 1;
}

int vault_record_scan(const vault_catalog *cat, const char *line, size_t n, vault_input *in)
{
	util_json j;
	util_json_str s;
	uint64_t seen = 0;
	size_t k = 0, i;

	for (i = 0; i < vault_catalog_count(cat); i++)
		in->v[i].type = VAULT_V_ABSENT;
	/* whitespace allowed, escapes not: a line that has one goes to jansson */
	util_json_init(&j, line, n, UTIL_JSON_WS);
	if (!util_json_take(&j, '{') || !util_json_key_is(&j, "national_id") || !util_json_string(&j, &s) ||
	    s.n != VAULT_NID_LEN)
		return 0;
	memcpy(in->nid, s.s, VAULT_NID_LEN);
	in->nid[VAULT_NID_LEN] = '\0';
	if (!util_json_take(&j, ',') || !util_json_key_is(&j, "fields") || !util_json_take(&j, '{'))
		return 0;
	if (!util_json_take(&j, '}')) {
		for (;; k++) {
			ptrdiff_t pos;

			if (!util_json_string(&j, &s) || !util_json_take(&j, ':'))
				return 0;
			/* the k-th key is most often the catalog's (k+1)-th field: national_id comes first */
			pos = vault_catalog_pos(cat, s.s, s.n, k + 1);
			if (pos < 0 || (seen >> pos & 1) || strcmp(vault_catalog_at(cat, (size_t)pos)->name, "national_id") == 0)
				return 0;
			seen |= (uint64_t)1 << pos;
			if (!scan_field_value(&j, &in->v[pos]))
				return 0;
			if (util_json_take(&j, '}'))
				break;
			if (!util_json_take(&j, ','))
				return 0;
		}
	}
	return util_json_take(&j, '}') && util_json_end(&j);
}

int vault_citizen_index(vault *v, const char *nid, unsigned char out[VAULT_INDEX_BYTES], util_err *err)
{
	if (nid == NULL || vault_nid_check(nid, strlen(nid), err) != 0)
		return -1;
	pthread_rwlock_rdlock(&vault_shared_of(v)->ring_mu);
	vault_nid_index(keys_ring_key(vault_shared_of(v)->ring, KEYS_RING_BLIND), nid, out);
	pthread_rwlock_unlock(&vault_shared_of(v)->ring_mu);
	return 0;
}

int vault_citizen_find(vault *v, const char *nid, unsigned char cid[KEYS_CID_BYTES], util_err *err)
{
	unsigned char index[VAULT_INDEX_BYTES];

	if (vault_citizen_index(v, nid, index, err) != 0)
		return -1;
	return vault_row_find(v, index, cid, err);
}

int vault_citizen_find_index(vault *v, const unsigned char index[VAULT_INDEX_BYTES], unsigned char cid[KEYS_CID_BYTES],
    util_err *err)
{
	return vault_row_find(v, index, cid, err);
}

/*
 * Unwraps a DEK wrapped under KEK version kek. A version this process has not seen means
 * another process rotated: the keyring is reloaded once and the unwrap tried again.
 */
static int unwrap_dek(vault *v, uint32_t kek, const unsigned char *cid, const void *wrapped, size_t n,
    unsigned char *dek, util_err *err)
{
	int rc, tries;

	for (tries = 0;; tries++) {
		pthread_rwlock_rdlock(&vault_shared_of(v)->ring_mu);
		rc = keys_ring_unwrap_dek(vault_shared_of(v)->ring, kek, cid, wrapped, n, dek, err);
		pthread_rwlock_unlock(&vault_shared_of(v)->ring_mu);
		if (rc == 0 || err == NULL || err->code != UTIL_ENOTFOUND || tries == 1 || vault_ring_reload(v, err) != 0)
			return rc;
	}
}

/* Loads a citizen's row: unwraps the DEK into w->dek and copies the record blob into w->blob. */
static int load_row(vault *v, const unsigned char *cid, rec_work *w, size_t *blen, uint32_t *dek_version,
    util_err *err)
{
	vault_row_keys k;

	if (vault_row_load(v, cid, &k, w->blob, REC_MAX, blen, err) != 0)
		return -1;
	w->used = *blen;
	*dek_version = k.dek_version;
	return unwrap_dek(v, k.kek, cid, k.wrapped, sizeof k.wrapped, w->dek, err);
}

/* Loads a citizen's row and opens its record in w->blob: its entries into e. */
static int open_row(vault *v, const unsigned char *cid, rec_work *w, vault_rec_entry *e, size_t *count,
    uint32_t *dek_version, util_err *err)
{
	size_t blen, plen;

	if (load_row(v, cid, w, &blen, dek_version, err) != 0 ||
	    vault_record_open(w->dek, cid, *dek_version, w->blob, blen, &plen, err) != 0)
		return -1;
	if (vault_record_entries(REC_PLAIN(w->blob), plen, e, count) != 0)
		return util_fail(err, UTIL_ECORRUPT, "a record is malformed");
	return 0;
}

int vault_citizen_read(vault *v, const unsigned char cid[KEYS_CID_BYTES], const char *const *names, size_t n,
    json_t **out, util_err *err)
{
	const vault_catalog *cat = vault_shared_of(v)->cat;
	vault_rec_entry e[VAULT_RECORD_ENTRIES_MAX];
	size_t count, i, j;
	uint32_t dv;
	json_t *o = NULL;
	int rc = -1;

	if (names != NULL && n > VAULT_MAX_FIELDS)
		return util_fail(err, UTIL_EINVAL, "too many fields asked for");
	for (i = 0; names != NULL && i < n; i++)
		if (vault_catalog_find(cat, names[i], strlen(names[i])) == NULL)
			return util_fail(err, UTIL_EINVAL, "unknown field %.32s", names[i]);
	if (open_row(v, cid, vault_work_of(v), e, &count, &dv, err) != 0)
		goto out;
	if ((o = json_object()) == NULL) {
		util_fail(err, UTIL_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < count; i++) {
		char name[VAULT_NAME_MAX + 1];
		const vault_field_def *d;
		json_t *val;

		memcpy(name, e[i].name, e[i].nlen);
		name[e[i].nlen] = '\0';
		if ((d = vault_catalog_find(cat, name, e[i].nlen)) == NULL)
			continue; /* a field since removed from the catalog stays stored, unread */
		if (names != NULL) {
			for (j = 0; j < n && strcmp(names[j], name) != 0; j++)
				;
			if (j == n)
				continue;
		}
		val = vault_field_json(d, (const char *)e[i].value, e[i].vlen);
		if (val == NULL || json_object_set_new(o, name, val) != 0) {
			util_fail(err, UTIL_ENOMEM, "out of memory");
			goto out;
		}
	}
	*out = o;
	o = NULL;
	rc = 0;
out:
	json_decref(o);
	vault_work_wipe(v);
	return rc;
}

int vault_citizen_update(vault *v, const unsigned char cid[KEYS_CID_BYTES], const json_t *fields, util_err *err)
{
	const vault_catalog *cat = vault_shared_of(v)->cat;
	vault_rec_entry e[VAULT_RECORD_ENTRIES_MAX];
	unsigned char *fresh;
	size_t count, i, off = 0, next, slen, n;
	uint32_t dv;
	rec_work *w = NULL;
	int mine = 0, ok = 0, full = 0;

	if (check_fields(cat, fields, err) != 0)
		return -1;
	w = vault_work_of(v);
	fresh = REC_PLAIN(w->fresh);
	if (vault_tx_begin(v, &mine, err) != 0)
		goto out;
	if (open_row(v, cid, w, e, &count, &dv, err) != 0)
		goto end;
	/* the whole record again: the entries not being changed as they are, then the new values */
	for (i = 0; i < count && !full; i++) {
		char name[VAULT_NAME_MAX + 1];

		memcpy(name, e[i].name, e[i].nlen);
		name[e[i].nlen] = '\0';
		if (json_object_get(fields, name) != NULL)
			continue;
		full = (next = vault_record_put(fresh, off, name, e[i].nlen, e[i].value, e[i].vlen)) == 0;
		off = full ? off : next;
	}
	for (i = 0; i < vault_catalog_count(cat) && !full; i++) {
		const vault_field_def *d = vault_catalog_at(cat, i);
		json_t *val = json_object_get(fields, d->name);

		if (val == NULL || json_is_null(val))
			continue;
		if (vault_field_check(d, val, w->value, &n, err) != 0)
			goto end;
		full = (next = vault_record_put(fresh, off, d->name, strlen(d->name), w->value, n)) == 0;
		off = full ? off : next;
	}
	if (full) {
		util_fail(err, UTIL_EINVAL, "the record is larger than the vault allows");
		goto end;
	}
	randombytes_buf(w->rnd, KEYS_NONCE_BYTES);
	slen = vault_record_seal(w->dek, cid, dv, w->rnd, w->fresh, off);
	ok = vault_row_set_record(v, cid, w->fresh, slen, util_now(), err) == 0;
end:
	if (vault_tx_end(v, mine, ok, err) != 0)
		ok = 0;
out:
	w->used = REC_MAX;
	vault_work_wipe(v);
	return ok ? 0 : -1;
}

int vault_citizen_erase(vault *v, const unsigned char cid[KEYS_CID_BYTES], util_err *err)
{
	int mine, ok;

	/* the citizen's correction requests go with the record: they hold values of it */
	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	ok = vault_row_delete(v, cid, err) == 0 && vault_row_corrections_delete(v, cid, err) == 0;
	return vault_tx_end(v, mine, ok, err);
}

int vault_citizen_key(vault *v, const unsigned char cid[KEYS_CID_BYTES], unsigned char dek[KEYS_BYTES],
    uint32_t *dek_version, util_err *err)
{
	unsigned char sealed[VAULT_TOTP_SECRET_BYTES + VAULT_FIELD_OVERHEAD];
	vault_row_keys k;
	int64_t last;

	if (vault_row_totp(v, cid, &k, sealed, &last, err) != 0)
		return -1;
	*dek_version = k.dek_version;
	return unwrap_dek(v, k.kek, cid, k.wrapped, sizeof k.wrapped, dek, err);
}

/* ---- migration 7: format 1 to format 2 ---- */

/*
 * Opens every entry of a format-1 record (w->blob, n bytes) into a format-2 plaintext at
 * REC_PLAIN(w->fresh), in the same order; returns its length, or 0 (err filled).
 */
static size_t reseal_entries(rec_work *w, const unsigned char *cid, uint32_t dv, size_t n, util_err *err)
{
	rec_v1_entry e[VAULT_RECORD_ENTRIES_MAX];
	unsigned char *plain = REC_PLAIN(w->fresh);
	size_t count, i, off = 0;

	if (rec_parse_v1(w->blob, n, e, &count) != 0 || count == 0) {
		util_fail(err, UTIL_ECORRUPT, "a record of format 1 is malformed");
		return 0;
	}
	for (i = 0; i < count; i++) {
		char name[VAULT_NAME_MAX + 1];
		size_t vlen = e[i].slen - VAULT_FIELD_OVERHEAD;

		memcpy(name, e[i].name, e[i].nlen);
		name[e[i].nlen] = '\0';
		if (vault_field_open(w->dek, cid, dv, name, e[i].sealed, e[i].slen, (unsigned char *)w->value, err) != 0)
			return 0;
		if ((off = vault_record_put(plain, off, name, e[i].nlen, w->value, vlen)) == 0) {
			util_fail(err, UTIL_ECORRUPT, "a record of format 1 is larger than format 2 allows");
			return 0;
		}
	}
	return off;
}

/* The migration's walk: where it is, and how many it rewrote. */
typedef struct reseal_walk {
	vault *v;
	int64_t *after, *done;
} reseal_walk;

/* One format-1 record (in vault_work_of(v)->blob) opened, sealed again as format 2, and written back. */
static int reseal_row(void *arg, int64_t id, const unsigned char *cid, const vault_row_keys *k, size_t n, util_err *err)
{
	reseal_walk *rw = arg;
	rec_work *w = vault_work_of(rw->v);
	size_t plen, slen;
	int rc;

	*rw->after = id;
	w->used = REC_MAX;
	if (unwrap_dek(rw->v, k->kek, cid, k->wrapped, sizeof k->wrapped, w->dek, err) != 0 ||
	    (plen = reseal_entries(w, cid, k->dek_version, n, err)) == 0) {
		vault_work_wipe(rw->v);
		return -1;
	}
	randombytes_buf(w->rnd, KEYS_NONCE_BYTES);
	slen = vault_record_seal(w->dek, cid, k->dek_version, w->rnd, w->fresh, plen);
	rc = vault_row_set_record_at(rw->v, id, w->fresh, slen, err);
	vault_work_wipe(rw->v);
	if (rc == 0)
		++*rw->done;
	return rc;
}

int vault_citizen_reseal_v1(vault *v, int64_t *after, int64_t limit, int64_t *done, util_err *err)
{
	reseal_walk rw = {.v = v, .after = after, .done = done};
	int rc;

	*done = 0;
	rc = vault_rows_v1(v, *after, limit, reseal_row, &rw, err);
	vault_work_wipe(v);
	return rc;
}

/* ---- TOTP ---- */

int vault_citizen_totp(vault *v, const unsigned char cid[KEYS_CID_BYTES], unsigned char *secret, int64_t *last_step,
    util_err *err)
{
	unsigned char sealed[VAULT_TOTP_SECRET_BYTES + VAULT_FIELD_OVERHEAD];
	rec_work *w = vault_work_of(v);
	vault_row_keys k;
	int rc;

	if (vault_row_totp(v, cid, &k, sealed, last_step, err) != 0)
		return -1;
	rc = unwrap_dek(v, k.kek, cid, k.wrapped, sizeof k.wrapped, w->dek, err);
	if (rc == 0)
		rc = vault_field_open(w->dek, cid, k.dek_version, TOTP_NAME, sealed, sizeof sealed, secret, err);
	vault_work_wipe(v);
	return rc;
}

int vault_citizen_totp_use(vault *v, const unsigned char cid[KEYS_CID_BYTES], int64_t step, util_err *err)
{
	return vault_row_totp_use(v, cid, step, err);
}

int vault_citizen_totp_reset(vault *v, const unsigned char cid[KEYS_CID_BYTES], unsigned char *secret, util_err *err)
{
	unsigned char sealed[VAULT_TOTP_SECRET_BYTES + VAULT_FIELD_OVERHEAD], old[VAULT_TOTP_SECRET_BYTES];
	rec_work *w = vault_work_of(v);
	size_t blen;
	uint32_t dv;
	int64_t last;
	int mine, ok = 0;

	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	/* the row exists and its DEK opens: load_row leaves the DEK in w->dek */
	if (vault_citizen_totp(v, cid, old, &last, err) != 0 || load_row(v, cid, w, &blen, &dv, err) != 0)
		goto out;
	randombytes_buf(secret, VAULT_TOTP_SECRET_BYTES);
	vault_field_seal(w->dek, cid, dv, TOTP_NAME, secret, VAULT_TOTP_SECRET_BYTES, sealed);
	ok = vault_row_totp_set(v, cid, sealed, err) == 0;
out:
	sodium_memzero(old, sizeof old);
	vault_work_wipe(v);
	return vault_tx_end(v, mine, ok, err);
}
