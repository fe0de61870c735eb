/* tokens.c: bearer tokens: issued, checked by a keyed hash, rotated, revoked; their last uses noted. */
#include "auth_private.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define TOKEN_RANDOM 32u

int auth_token_new(vault *v, const char *kind, const char *subject, int64_t ttl, char out[AUTH_TOKEN_MAX],
    char id[AUTH_TOKEN_ID_MAX], util_err *err)
{
	unsigned char raw[TOKEN_RANDOM], hash[32], rid[8];
	char b64[sodium_base64_ENCODED_LEN(TOKEN_RANDOM, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	char tid[AUTH_TOKEN_ID_MAX], hex[17], prefix[AUTH_TOKEN_PREFIX_MAX];

	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	snprintf(out, AUTH_TOKEN_MAX, "vk_%s_%s", kind, b64);
	sodium_memzero(b64, sizeof b64);
	snprintf(prefix, sizeof prefix, "%.*s", (int)(strlen(kind) + 4 + AUTH_TOKEN_PREFIX_CHARS), out);
	randombytes_buf(rid, sizeof rid);
	util_hex_encode(hex, rid, sizeof rid);
	snprintf(tid, sizeof tid, "tk_%s", hex);
	vault_keyed_hash(v, KEYS_RING_TOKEN, out, strlen(out), hash);
	if (auth_db_token_insert(v, hash, kind, subject, ttl > 0 ? util_now() + ttl : INT64_MAX, tid, prefix, err) != 0) {
		sodium_memzero(out, AUTH_TOKEN_MAX);
		return -1;
	}
	if (id != NULL)
		memcpy(id, tid, sizeof tid);
	return 0;
}

const char *auth_token_kind(const char *tok, size_t n)
{
	if (n < 10 || n >= AUTH_TOKEN_MAX)
		return NULL;
	if (strncmp(tok, "vk_admin_", 9) == 0)
		return "admin";
	if (strncmp(tok, "vk_agency_", 10) == 0)
		return "agency";
	if (n >= 11 && strncmp(tok, "vk_session_", 11) == 0)
		return "session";
	return NULL;
}

int auth_token_check(vault *v, const char *tok, size_t n, auth_token *out)
{
	const char *kind = auth_token_kind(tok, n);
	auth_db_token row;
	unsigned char hash[32];

	if (kind == NULL)
		return -1;
	vault_keyed_hash(v, KEYS_RING_TOKEN, tok, n, hash);
	if (auth_db_token_find(v, hash, &row) != 0 || strcmp(row.kind, kind) != 0 || row.expires_at <= util_now() ||
	    auth_subject_parse(row.subject, &out->who) != 0)
		return -1;
	memcpy(out->hash, hash, sizeof hash);
	out->last_used = row.last_used;
	out->expires_at = row.expires_at;
	return 0;
}

/* ---- subjects ---- */

void auth_subject_agency(const char *agency_id, char out[AUTH_SUBJECT_MAX])
{
	snprintf(out, AUTH_SUBJECT_MAX, "agency:%s", agency_id);
}

void auth_subject_citizen(const unsigned char cid[KEYS_CID_BYTES], char out[AUTH_SUBJECT_MAX])
{
	memcpy(out, "citizen:", 8);
	util_hex_encode(out + 8, cid, KEYS_CID_BYTES);
}

void auth_subject_officer(const char *officer_id, char out[AUTH_SUBJECT_MAX])
{
	snprintf(out, AUTH_SUBJECT_MAX, "officer:%s", officer_id);
}

/* Copies the id after a subject's prefix into out->id: 0, or -1 when it is empty or too long. */
static int subject_id(const char *id, auth_subject *out)
{
	size_t n = strlen(id);

	if (n == 0 || n > AUTH_ID_MAX)
		return -1;
	memcpy(out->id, id, n + 1);
	return 0;
}

int auth_subject_parse(const char *subject, auth_subject *out)
{
	memset(out, 0, sizeof *out);
	if (strcmp(subject, "admin") == 0)
		out->kind = AUTH_ADMIN;
	else if (strncmp(subject, "agency:", 7) == 0 && subject_id(subject + 7, out) == 0)
		out->kind = AUTH_AGENCY;
	else if (strncmp(subject, "citizen:", 8) == 0 && util_hex_decode(out->cid, KEYS_CID_BYTES, subject + 8) == 0)
		out->kind = AUTH_CITIZEN;
	else if (strncmp(subject, "officer:", 8) == 0 && subject_id(subject + 8, out) == 0)
		out->kind = AUTH_OFFICER;
	return out->kind == AUTH_NOBODY ? -1 : 0;
}

/* ---- ending tokens ---- */

int auth_tokens_revoke(vault *v, const char *subject, util_err *err)
{
	return auth_db_tokens_delete(v, subject, err);
}

int auth_token_revoke_id(vault *v, const char *subject, const char *id, util_err *err)
{
	return auth_db_token_delete_id(v, subject, id, util_now(), err);
}

int auth_session_end(vault *v, const unsigned char hash[32], util_err *err)
{
	return auth_db_session_delete(v, hash, err);
}

int auth_tokens_rotate(vault *v, const char *subject, int64_t until, char out[AUTH_TOKEN_MAX],
    char id[AUTH_TOKEN_ID_MAX], util_err *err)
{
	int left;

	if (auth_db_tokens_cut(v, subject, until, util_now(), &left, err) != 0)
		return -1;
	if (left >= AUTH_TOKENS_PER_AGENCY)
		return util_fail(err, UTIL_EEXISTS, "an agency holds at most %d tokens: revoke one, or rotate with a shorter grace",
		    AUTH_TOKENS_PER_AGENCY);
	return auth_token_new(v, "agency", subject, 0, out, id, err);
}

int auth_admin_token(vault *v, char out[AUTH_ADMIN_TOKEN_MAX], util_err *err)
{
	audit_entry e = {.actor = "operator", .action = "token.issue", .note = "admin"};
	int mine, ok;

	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	ok = auth_token_new(v, "admin", "admin", 0, out, NULL, err) == 0 && audit_record(v, &e, NULL, err) == 0;
	return vault_tx_end(v, mine, ok, err);
}

int auth_admin_token_rotate(vault *v, char out[AUTH_ADMIN_TOKEN_MAX], util_err *err)
{
	audit_entry e = {.actor = "operator", .action = "token.rotate", .note = "admin"};
	int mine, ok;

	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	/* every admin token ends with the transaction: there is one operator, with one token */
	ok = auth_db_tokens_delete(v, "admin", err) == 0 && auth_token_new(v, "admin", "admin", 0, out, NULL, err) == 0 &&
	     audit_record(v, &e, NULL, err) == 0;
	if (!ok)
		sodium_memzero(out, AUTH_ADMIN_TOKEN_MAX);
	return vault_tx_end(v, mine, ok, err);
}

/* ---- last uses ---- */

#define TOUCH_SLOTS 1024

struct auth_touches {
	pthread_mutex_t mu;
	size_t n;
	auth_use e[TOUCH_SLOTS];
};

auth_touches *auth_touches_new(void)
{
	auth_touches *t = calloc(1, sizeof *t);

	if (t != NULL)
		pthread_mutex_init(&t->mu, NULL);
	return t;
}

void auth_touches_free(auth_touches *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->mu);
	sodium_memzero(t->e, sizeof t->e);
	free(t);
}

/* The slot of hash, or n; t->mu held. */
static size_t touch_find(const auth_touches *t, const unsigned char hash[32])
{
	size_t i;

	for (i = 0; i < t->n && memcmp(t->e[i].hash, hash, 32) != 0; i++)
		;
	return i;
}

void auth_touches_note(auth_touches *t, const auth_token *tok)
{
	int64_t now = util_now();
	size_t i;

	if (t == NULL || tok->last_used > now - AUTH_TOKEN_TOUCH_EVERY)
		return;
	pthread_mutex_lock(&t->mu);
	if ((i = touch_find(t, tok->hash)) < t->n || t->n < TOUCH_SLOTS) {
		memcpy(t->e[i].hash, tok->hash, 32);
		t->e[i].at = now;
		t->n += i == t->n;
	}
	pthread_mutex_unlock(&t->mu);
}

/* The later of stored and the noted, not yet stored, last use of the token hash. */
static int64_t touched_at(auth_touches *t, const unsigned char hash[32], int64_t stored)
{
	size_t i;

	if (t == NULL)
		return stored;
	pthread_mutex_lock(&t->mu);
	if ((i = touch_find(t, hash)) < t->n && t->e[i].at > stored)
		stored = t->e[i].at;
	pthread_mutex_unlock(&t->mu);
	return stored;
}

void auth_touches_store(auth_touches *t, vault *v)
{
	auth_use e[TOUCH_SLOTS]; /* 40 KiB, on the storing thread's stack */
	size_t n;

	if (t == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	n = t->n;
	memcpy(e, t->e, n * sizeof e[0]);
	sodium_memzero(t->e, n * sizeof e[0]);
	t->n = 0;
	pthread_mutex_unlock(&t->mu);
	if (n == 0)
		return;
	if (auth_db_token_uses(v, e, n) != 0)
		util_log(UTIL_LOG_WARN, NULL, "tokens last use not stored", "tokens=%zu", n);
	sodium_memzero(e, n * sizeof e[0]);
}

int auth_tokens_list(vault *v, auth_touches *t, const char *subject, auth_token_info out[AUTH_TOKENS_PER_AGENCY],
    size_t *n, util_err *err)
{
	unsigned char hashes[AUTH_TOKENS_PER_AGENCY][32];
	size_t i;

	if (auth_db_tokens_list(v, subject, util_now(), out, hashes, AUTH_TOKENS_PER_AGENCY, n, err) != 0)
		return -1;
	for (i = 0; i < *n; i++)
		out[i].last_used = touched_at(t, hashes[i], out[i].last_used);
	sodium_memzero(hashes, sizeof hashes);
	return 0;
}
