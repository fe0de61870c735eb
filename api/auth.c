/* auth.c: the HTTP side of auth/: the bearer token of a request, and the answers of a TOTP attempt. */
#include "api_private.h"

#include <string.h>


_Static_assert(AUTH_ID_MAX == POLICY_ID_MAX, "auth/ and policy/ bound ids alike");

static int unauthorized(api_err *err)
{
	return api_fail(err, API_P_UNAUTHORIZED, "a valid bearer token is required");
}

/* The caller a valid token's subject names: 0, or -1 (no such caller, or not any more). */
static int caller_of(api_req *r, const auth_subject *who)
{
	switch (who->kind) {
	case AUTH_ADMIN:
		r->caller.kind = API_ADMIN;
		return 0;
	case AUTH_AGENCY:
		if (policy_agency_get(r->v, who->id, &r->caller.agency, NULL, NULL) != 0 || r->caller.agency.suspended)
			return -1;
		r->caller.kind = API_AGENCY;
		return 0;
	case AUTH_CITIZEN:
		memcpy(r->caller.cid, who->cid, KEYS_CID_BYTES);
		r->caller.kind = API_CITIZEN;
		return 0;
	case AUTH_OFFICER:
		if (auth_officer_active(r->v, who->id) != 1)
			return -1;
		memcpy(r->caller.officer, who->id, sizeof who->id);
		r->caller.kind = API_OFFICER;
		return 0;
	default:
		return -1;
	}
}

static int authenticate(api_req *r, api_err *err)
{
	const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
	const char *kind;
	auth_token tok;

	if (h == NULL) {
		/* a browser's session: the cookie, for the routes of citizens and officers only */
		if (!(r->route->access & (API_R_CITIZEN | API_R_OFFICER)) ||
		    (h = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "vaultd_session")) == NULL ||
		    (kind = auth_token_kind(h, strlen(h))) == NULL || strcmp(kind, "session") != 0)
			return unauthorized(err);
		r->caller.by_cookie = 1;
	} else if (strncasecmp(h, "Bearer ", 7) == 0) { /* the scheme is case-insensitive (RFC 9110) */
		h += 7;
	} else {
		return unauthorized(err);
	}
	if (auth_token_check(r->v, h, strlen(h), &tok) != 0)
		return unauthorized(err);
	memcpy(r->caller.token, tok.hash, sizeof tok.hash);
	r->caller.last_used = tok.last_used;
	r->caller.expires_at = tok.expires_at;
	return caller_of(r, &tok.who) == 0 ? 0 : unauthorized(err);
}

/*
 * The token comes as `Authorization: Bearer`, or, with no Authorization header, for a citizen's
 * or an officer's route, in the vaultd_session cookie (a session token only); a write by
 * cookie is then checked against CSRF (api_csrf_check).
 * The token's row and its agency's are read in one snapshot, not one each: a read transaction
 * costs a pair of WAL read locks (fcntl) and SQLite's checks. On the bench vault an agency's
 * two reads took 6.5 to 7.5 µs in two transactions and 3.9 to 5.0 µs in one.
 */
int api_authenticate(api_req *r, api_err *err)
{
	int mine = !vault_in_tx(r->v) && !vault_in_read(r->v), rc;

	if (mine && vault_read_begin(r->v, NULL) != 0)
		mine = 0; /* each read then runs on its own, as it would have */
	rc = authenticate(r, err);
	if (mine)
		vault_read_end(r->v);
	if (rc == 0) {
		auth_token tok = {.last_used = r->caller.last_used};

		memcpy(tok.hash, r->caller.token, sizeof tok.hash);
		auth_touches_note(r->srv->touches, &tok); /* stored by api_upkeep */
		/* a write with the cookie, which a browser sends on any site's behalf, must prove it is the page's */
		if (r->caller.by_cookie && strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
			rc = api_csrf_check(r, err);
	}
	return rc;
}

/* ---- TOTP: the answers of an attempt ---- */

static auth_attempt attempt_of(api_req *r)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	return (auth_attempt){.v = r->v, .lockout = r->srv->lockout, .writer = r->srv->writer,
		.addr = ci ? ci->client_addr : NULL, .step_up = r->caller.kind != API_NONE};
}

/* 0 for a good code; otherwise -1 with what the attempt came to in err. */
static int answer(const auth_attempt *a, auth_verdict verdict, api_err *err)
{
	switch (verdict) {
	case AUTH_GOOD:
		return 0;
	case AUTH_LIMITED:
		api_rate_limited(err, a->retry_after);
		break;
	case AUTH_WRONG:
		api_fail(err, API_P_INVALID_TOTP, "the code is wrong, expired or already used");
		break;
	case AUTH_UNAVAILABLE: /* the storage's error: full, busy, or else it cannot be written (503s) */
		api_fail_util(err, &a->err);
		if (err->u.code != UTIL_ENOSPC && err->u.code != UTIL_EBUSY)
			err->u.code = UTIL_EIO;
		break;
	case AUTH_NOMEM:
		api_fail(err, API_P_INTERNAL, "out of memory");
		break;
	case AUTH_REUSED: /* a step-up's only: a login's is AUTH_WRONG (auth_totp_citizen) */
		api_totp_reused(err, a->retry_after);
		break;
	}
	return -1;
}

int api_totp_unknown(api_req *r, const char *ident_label, const char *code, api_err *err)
{
	auth_attempt a = attempt_of(r);

	return answer(&a, auth_totp_unknown(&a, ident_label, code), err);
}

int api_totp_citizen(api_req *r, const unsigned char cid[KEYS_CID_BYTES], const char *code, api_err *err)
{
	auth_attempt a = attempt_of(r);

	return api_totp_citizen_on(&a, cid, code, err);
}

void api_totp_attempt(api_req *r, auth_attempt *a)
{
	*a = attempt_of(r);
}

int api_totp_citizen_on(auth_attempt *a, const unsigned char cid[KEYS_CID_BYTES], const char *code, api_err *err)
{
	return answer(a, auth_totp_citizen(a, cid, code), err);
}

int api_totp_officer(api_req *r, const char *officer_id, const char *code, api_err *err)
{
	auth_attempt a = attempt_of(r);

	return answer(&a, auth_totp_officer(&a, officer_id, code), err);
}
