/* sessions.c: a citizen or an officer logs in with a TOTP code and gets a session: a token, or a browser's cookie. */
#include "api_private.h"

#include <string.h>


/* Who logs in, and whether the code is good: 0 (subject, e filled), or -1 with err filled. */
static int login_check(api_req *r, const char *nid, const char *officer, const char *code,
    char subject[AUTH_SUBJECT_MAX], unsigned char cid[KEYS_CID_BYTES], audit_entry *e, api_err *err)
{
	char label[64];

	if (nid != NULL) {
		if (vault_nid_check(nid, strlen(nid), &err->u) != 0)
			return api_fail(err, API_P_INVALID_INPUT, "%s", err->u.msg);
		if (vault_citizen_find(r->v, nid, cid, &err->u) != 0) {
			if (err->u.code != UTIL_ENOTFOUND)
				return -1;
			snprintf(label, sizeof label, "nid:%s", nid);
			return api_totp_unknown(r, label, code, err);
		}
		if (api_totp_citizen(r, cid, code, err) != 0)
			return -1;
		auth_subject_citizen(cid, subject);
		e->actor = "citizen";
		e->cid = cid;
	} else {
		int known = strlen(officer) <= POLICY_ID_MAX ? auth_officer_active(r->v, officer) : 0;

		if (known < 0)
			return api_fail(err, API_P_INTERNAL, "database");
		if (!known) {
			snprintf(label, sizeof label, "officer?:%.40s", officer);
			return api_totp_unknown(r, label, code, err);
		}
		if (api_totp_officer(r, officer, code, err) != 0)
			return -1;
		auth_subject_officer(officer, subject); /* "officer:<id>", the actor of its entries too */
		e->actor = subject;
	}
	return 0;
}

/*
 * The answer to a login: the token in the body (Bearer use), or, asked with "cookie": true (a
 * browser), the token in the vaultd_session cookie and only the session's CSRF token, kind and
 * end in the body. 0, or -1 with err.
 */
static int reply_login(api_req *r, const char *token, int cookie, const char *nid, api_err *err)
{
	char expires[21], csrf[API_CSRF_MAX];
	auth_token tok;

	util_iso8601(util_now() + AUTH_SESSION_TTL, expires);
	if (!cookie) {
		api_reply(r, 201, json_pack("{s:s, s:s}", "token", token, "expires_at", expires));
		return 0;
	}
	if (auth_token_check(r->v, token, strlen(token), &tok) != 0)
		return api_fail(err, API_P_INTERNAL, "the new session cannot be read");
	api_csrf_token(tok.hash, csrf);
	sodium_memzero(&tok, sizeof tok);
	api_cookie_set(r, token, AUTH_SESSION_TTL);
	api_reply(r, 201, json_pack("{s:s, s:s, s:s}", "csrf_token", csrf, "kind", nid != NULL ? "citizen" : "officer",
	    "expires_at", expires));
	sodium_memzero(csrf, sizeof csrf);
	return 0;
}

int api_h_sessions(api_req *r, api_err *err)
{
	const char *nid = NULL, *officer = NULL, *code = NULL;
	char token[AUTH_TOKEN_MAX], subject[AUTH_SUBJECT_MAX];
	unsigned char cid[KEYS_CID_BYTES];
	audit_entry e = {.action = "auth.login"};
	int mine, ok, issued, cookie = 0, rc;

	if (api_unpack(r, err, "{s?s, s?s, s:s, s?b}", "national_id", &nid, "officer_id", &officer, "totp", &code,
	        "cookie", &cookie) != 0)
		return -1;
	if ((nid == NULL) == (officer == NULL))
		return api_fail(err, API_P_INVALID_INPUT, "give national_id (a citizen) or officer_id (an officer)");
	if (cookie && !api_origin_ok(r)) /* no page of another site signs a browser in */
		return api_fail(err, API_P_CSRF_FAILED, "the request's Origin is not this server");
	/* one transaction, known or not: a code is spent only with the session it opens */
	if (vault_tx_begin(r->v, &mine, &err->u) != 0)
		return -1;
	ok = login_check(r, nid, officer, code, subject, cid, &e, err) == 0;
	issued = ok && auth_token_new(r->v, "session", subject, AUTH_SESSION_TTL, token, NULL, &err->u) == 0 &&
	         audit_record(r->v, &e, NULL, &err->u) == 0;
	if (vault_tx_end(r->v, mine, issued, &err->u) != 0)
		return -1;
	rc = reply_login(r, token, cookie, nid, err);
	sodium_memzero(token, sizeof token);
	return rc;
}

/* GET /v1/session: whether the caller (a cookie's or a bearer's) is signed in, as whom, until when, and its CSRF token. */
int api_h_session_get(api_req *r, api_err *err)
{
	char expires[21], csrf[API_CSRF_MAX];

	(void)err;
	api_csrf_token(r->caller.token, csrf);
	util_iso8601(r->caller.expires_at, expires);
	api_reply(r, 200, json_pack("{s:s, s:s, s:s}", "kind", r->caller.kind == API_CITIZEN ? "citizen" : "officer",
	    "expires_at", expires, "csrf_token", csrf));
	sodium_memzero(csrf, sizeof csrf);
	return 0;
}
