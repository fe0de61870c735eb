/* totp.c: TOTP checks with replay refusal, each behind a slot in the login budgets (lockout.c). */
#include "auth_private.h"

#include <liboath/oath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int ct_compare(void *handle, const char *test_otp)
{
	return sodium_memcmp(handle, test_otp, 6) == 0 ? 0 : 1;
}

/* Checks code against secret within one step either way; *step gets the step it matched. */
static int totp_match(const unsigned char *secret, size_t n, const char *code, int64_t *step)
{
	uint64_t counter = 0;
	size_t i;
	int rc;

	if (code == NULL || strlen(code) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		if (code[i] < '0' || code[i] > '9')
			return -1;
	rc = oath_totp_validate3_callback((const char *)secret, n, time(NULL), OATH_TOTP_DEFAULT_TIME_STEP_SIZE, 0, 6, 1,
	    NULL, &counter, ct_compare, (void *)code);
	if (rc < 0)
		return -1;
	*step = (int64_t)counter;
	return 0;
}

/* ---- a failure, told to the identity's own log by the audit writer later: the answer waits for nothing ---- */

typedef struct note {
	audit_entry e;
	char actor[AUTH_SUBJECT_MAX];
	unsigned char cid[KEYS_CID_BYTES];
} note;

static void note_done(void *ctx, int rc, int64_t seq, const util_err *err)
{
	(void)seq;
	if (rc != 0)
		util_log(UTIL_LOG_ERROR, NULL, "audit", "code=%s", util_code_name(err ? err->code : UTIL_EIO));
	free(ctx);
}

static void note_failure(const auth_attempt *a, const char *actor, const unsigned char *cid)
{
	note *n;
	util_err err;

	if (a->writer == NULL || (n = calloc(1, sizeof *n)) == NULL)
		return;
	snprintf(n->actor, sizeof n->actor, "%s", actor);
	n->e.actor = n->actor;
	/* a login has no caller yet; a step-up comes from the citizen's session */
	n->e.action = a->step_up ? "auth.step_up_failed" : "auth.login_failed";
	if (cid != NULL) {
		memcpy(n->cid, cid, KEYS_CID_BYTES);
		n->e.cid = n->cid;
	}
	/* not now: the writer's work would make a known identity's wrong code slower than an unknown one's */
	if (audit_writer_submit_later(a->writer, &n->e, note_done, n, &err) != 0)
		free(n);
}

/* ---- an attempt ---- */

static auth_verdict take(auth_attempt *a, const char *label, auth_lockout_slot *slot)
{
	auth_lockout_keys(a->v, label, a->addr, slot);
	return auth_lockout_reserve(a->lockout, slot, &a->retry_after) == 0 ? AUTH_GOOD : AUTH_LIMITED;
}

/* 1 if err is the storage's (full, unwritable, busy): no failure of the code's. */
static int storage_failed(const util_err *err)
{
	return err->code == UTIL_ENOSPC || err->code == UTIL_EIO || err->code == UTIL_EBUSY;
}

/* The end of an attempt whose code did not pass: the slot back on a storage error, else kept (a wrong code). */
static auth_verdict refused(auth_attempt *a, const auth_lockout_slot *slot, const char *actor, const unsigned char *cid)
{
	if (storage_failed(&a->err)) {
		auth_lockout_release(a->lockout, slot);
		return AUTH_UNAVAILABLE;
	}
	if (actor != NULL)
		note_failure(a, actor, cid);
	return AUTH_WRONG;
}

int64_t auth_totp_wait(int64_t last_step, int64_t now)
{
	int64_t wait = (last_step + 1) * OATH_TOTP_DEFAULT_TIME_STEP_SIZE - now;

	return wait >= 1 ? wait : 1;
}

/*
 * The end of a step-up whose code was right but of a step already spent: no failure (the
 * slot back, nothing logged), and when the next code comes.
 */
static auth_verdict spent(auth_attempt *a, const auth_lockout_slot *slot, int64_t last)
{
	auth_lockout_release(a->lockout, slot);
	a->retry_after = auth_totp_wait(last, util_now());
	return AUTH_REUSED;
}

auth_verdict auth_totp_unknown(auth_attempt *a, const char *label, const char *code)
{
	unsigned char *secret;
	auth_lockout_slot slot;
	int64_t step;

	a->err = (util_err){0};
	if (take(a, label, &slot) != AUTH_GOOD)
		return AUTH_LIMITED;
	if ((secret = keys_secret_alloc(VAULT_TOTP_SECRET_BYTES)) == NULL) {
		auth_lockout_release(a->lockout, &slot);
		return AUTH_NOMEM;
	}
	/* the work a known identity's check does: the same read, unwrap and open, of a decoy */
	if (vault_totp_decoy(a->v, secret, &a->err) == 0)
		(void)totp_match(secret, VAULT_TOTP_SECRET_BYTES, code, &step);
	keys_secret_free(secret);
	/* the same answer a known identity with a wrong code gets; nothing is kept but the budget */
	return refused(a, &slot, NULL, NULL);
}

auth_verdict auth_totp_citizen(auth_attempt *a, const unsigned char cid[KEYS_CID_BYTES], const char *code)
{
	unsigned char *secret;
	char label[AUTH_SUBJECT_MAX];
	auth_lockout_slot slot;
	int64_t last = 0, step = 0;
	int ok, right;

	a->err = (util_err){0};
	auth_subject_citizen(cid, label);
	if (take(a, label, &slot) != AUTH_GOOD)
		return AUTH_LIMITED;
	if ((secret = keys_secret_alloc(VAULT_TOTP_SECRET_BYTES)) == NULL) {
		auth_lockout_release(a->lockout, &slot);
		return AUTH_NOMEM;
	}
	right = vault_citizen_totp(a->v, cid, secret, &last, &a->err) == 0 &&
	        totp_match(secret, VAULT_TOTP_SECRET_BYTES, code, &step) == 0;
	ok = right && step > last && vault_citizen_totp_use(a->v, cid, step, &a->err) == 0;
	keys_secret_free(secret);
	if (right && step <= last && a->step_up)
		return spent(a, &slot, last);
	if (!ok)
		return refused(a, &slot, "citizen", cid);
	auth_lockout_success(a->lockout, &slot);
	return AUTH_GOOD;
}

/* The officer's secret and last step: 0; -1 unknown or unreadable (a->err filled when storage failed). */
static int officer_secret(auth_attempt *a, const char *officer_id, unsigned char *secret, int64_t *last)
{
	unsigned char sealed[VAULT_TOTP_SECRET_BYTES + VAULT_BOX_OVERHEAD];
	char box[AUTH_ID_MAX + 24];
	size_t n = 0;

	snprintf(box, sizeof box, "vaultd/officer-totp/%s", officer_id);
	if (auth_db_officer_totp(a->v, officer_id, sealed, sizeof sealed, &n, last, &a->err) != 0 || n != sizeof sealed)
		return -1;
	return vault_box_open(a->v, box, sealed, n, secret, NULL);
}

auth_verdict auth_totp_officer(auth_attempt *a, const char *officer_id, const char *code)
{
	unsigned char secret[VAULT_TOTP_SECRET_BYTES];
	char label[AUTH_SUBJECT_MAX];
	auth_lockout_slot slot;
	int64_t last = 0, step = 0;
	int ok, right;

	a->err = (util_err){0};
	auth_subject_officer(officer_id, label);
	if (take(a, label, &slot) != AUTH_GOOD)
		return AUTH_LIMITED;
	right = officer_secret(a, officer_id, secret, &last) == 0 && totp_match(secret, sizeof secret, code, &step) == 0;
	sodium_memzero(secret, sizeof secret);
	if (right && step <= last && a->step_up) /* no officer route steps up today; the rule is the citizen's */
		return spent(a, &slot, last);
	ok = right && step > last && auth_db_officer_step(a->v, officer_id, step, &a->err) == 1;
	if (!ok)
		return refused(a, &slot, label, NULL);
	auth_lockout_success(a->lockout, &slot);
	return AUTH_GOOD;
}

void auth_totp_clear(auth_lockout *l, vault *v, const unsigned char cid[KEYS_CID_BYTES])
{
	char label[AUTH_SUBJECT_MAX];

	auth_subject_citizen(cid, label);
	auth_lockout_clear(l, v, label);
}

void auth_totp_uri(const char *label, const unsigned char *secret, size_t n, char out[256])
{
	char b32[64];

	util_base32_encode(b32, secret, n);
	snprintf(out, 256, "otpauth://totp/vaultd:%s?secret=%s&issuer=vaultd&algorithm=SHA1&digits=6&period=30", label,
	    b32);
	sodium_memzero(b32, sizeof b32);
}
