/* tokens.c: the routes of bearer tokens (listed, rotated, revoked), signing out, and the upkeep that stores their last uses. */
#include "api_private.h"

#include <stdio.h>
#include <string.h>


/* Stores the noted last uses on the main connection (main thread only). */
void api_upkeep(api_server *s)
{
	if (s != NULL)
		auth_touches_store(s->touches, s->v);
}

/*
 * The tokens' subject of the agency in the path: the admin names any agency, an agency only
 * itself. 0, or -1 with err 404.
 */
static int token_owner(api_req *r, char subject[AUTH_SUBJECT_MAX], api_err *err)
{
	policy_agency a;

	if (r->caller.kind == API_AGENCY ? strcmp(r->params[0], r->caller.agency.id) != 0
	                                 : policy_agency_get(r->v, r->params[0], &a, NULL, NULL) != 0)
		return api_fail(err, API_P_NOT_FOUND, "no such agency");
	auth_subject_agency(r->params[0], subject);
	return 0;
}

static const char *token_actor(const api_req *r, char buf[POLICY_ID_MAX + 8])
{
	if (r->caller.kind != API_AGENCY)
		return "operator";
	snprintf(buf, POLICY_ID_MAX + 8, "agency:%s", r->caller.agency.id);
	return buf;
}

static json_t *time_or_null(int64_t t)
{
	char iso[21];

	if (t <= 0 || t == INT64_MAX)
		return json_null();
	util_iso8601(t, iso);
	return json_string(iso);
}

int api_h_tokens_list(api_req *r, api_err *err)
{
	char subject[AUTH_SUBJECT_MAX];
	auth_token_info t[AUTH_TOKENS_PER_AGENCY];
	json_t *list, *page;
	int64_t after, limit, next;
	size_t i, n;

	/* at most AUTH_TOKENS_PER_AGENCY: read whole, then paged like every list (the cursor an offset) */
	if (token_owner(r, subject, err) != 0 || api_page_args(r, 0, &after, &limit, err) != 0)
		return -1;
	if (auth_tokens_list(r->v, r->srv->touches, subject, t, &n, NULL) != 0 || (list = json_array()) == NULL)
		return api_fail(err, API_P_INTERNAL, "database");
	/* the id, the prefix and times: never the hash, which is as good as the secret for a guess check */
	for (i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:o, s:o, s:o}", "id", t[i].id, "prefix", t[i].prefix,
		                                "created_at", time_or_null(t[i].created_at), "last_used_at",
		                                time_or_null(t[i].last_used), "expires_at", time_or_null(t[i].expires_at)));
	page = api_page_slice(list, after, limit, &next);
	json_decref(list);
	api_reply(r, 200, json_pack("{s:s, s:o, s:o}", "agency_id", r->params[0], "tokens", page, "next",
	                      api_page_next(next >= 0, next)));
	return 0;
}

/*
 * A new token for the agency; every other token of it stays valid for grace_seconds more
 * (default 0: they end now), never longer than it already would. One transaction.
 */
int api_h_tokens_issue(api_req *r, api_err *err)
{
	char subject[AUTH_SUBJECT_MAX], actor[POLICY_ID_MAX + 8], token[AUTH_TOKEN_MAX], id[AUTH_TOKEN_ID_MAX], note[64];
	char prefix[AUTH_TOKEN_PREFIX_MAX];
	audit_entry e = {.action = "token.issue", .agency_id = r->params[0], .note = note};
	json_int_t grace = 0;
	int64_t now = util_now();
	int mine, ok;

	if (api_unpack(r, err, "{s?I}", "grace_seconds", &grace) != 0)
		return -1;
	if (grace < 0 || grace > AUTH_TOKEN_GRACE_MAX)
		return api_fail(err, API_P_INVALID_INPUT, "grace_seconds must be 0..86400");
	if (token_owner(r, subject, err) != 0)
		return -1;
	e.actor = token_actor(r, actor);
	if (vault_tx_begin(r->v, &mine, &err->u) != 0)
		return -1;
	ok = auth_tokens_rotate(r->v, subject, now + grace, token, id, &err->u) == 0;
	if (ok) {
		snprintf(note, sizeof note, "%s grace_seconds=%lld", id, (long long)grace);
		ok = audit_record(r->v, &e, NULL, &err->u) == 0;
	}
	if (vault_tx_end(r->v, mine, ok, &err->u) != 0) {
		sodium_memzero(token, sizeof token);
		return -1;
	}
	snprintf(prefix, sizeof prefix, "%.*s", (int)(10 + AUTH_TOKEN_PREFIX_CHARS), token);
	api_reply(r, 201, json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", id, "token", token, "prefix", prefix, "created_at",
	                     time_or_null(now), "others_expire_at", time_or_null(now + grace)));
	sodium_memzero(token, sizeof token);
	return 0;
}

int api_h_token_revoke(api_req *r, api_err *err)
{
	char subject[AUTH_SUBJECT_MAX], actor[POLICY_ID_MAX + 8];
	audit_entry e = {.action = "token.revoke", .agency_id = r->params[0], .note = r->params[1]};
	int mine, ok;

	if (token_owner(r, subject, err) != 0)
		return -1;
	e.actor = token_actor(r, actor);
	if (vault_tx_begin(r->v, &mine, &err->u) != 0)
		return -1;
	ok = auth_token_revoke_id(r->v, subject, r->params[1], &err->u) == 0 && audit_record(r->v, &e, NULL, &err->u) == 0;
	if (vault_tx_end(r->v, mine, ok, &err->u) != 0)
		return -1;
	api_reply(r, 200, json_pack("{s:s, s:s}", "id", r->params[1], "status", "revoked"));
	return 0;
}

/* Signing out: the session token the request came with ends now. */
int api_h_session_end(api_req *r, api_err *err)
{
	char actor[POLICY_ID_MAX + 16];
	audit_entry e = {.actor = actor, .action = "auth.logout"};
	int mine, ok;

	if (r->caller.kind == API_CITIZEN) {
		snprintf(actor, sizeof actor, "citizen");
		e.cid = r->caller.cid;
	} else {
		snprintf(actor, sizeof actor, "officer:%s", r->caller.officer);
	}
	if (vault_tx_begin(r->v, &mine, &err->u) != 0)
		return -1;
	ok = auth_session_end(r->v, r->caller.token, &err->u) == 0 && audit_record(r->v, &e, NULL, &err->u) == 0;
	if (vault_tx_end(r->v, mine, ok, &err->u) != 0)
		return -1;
	api_cookie_clear(r); /* a browser forgets the cookie too, whichever way the session came */
	api_reply(r, 200, json_pack("{s:s}", "status", "signed_out"));
	return 0;
}
