/* rights.c: a citizen's copy of everything the vault holds about them, their correction requests, and a registrar's answers. */
#include "api_private.h"

#include <string.h>

/*
 * An export is bounded: at most EXPORT_LIST_MAX items of each list and EXPORT_LOG_MAX entries
 * of the access log (the newest). A list that holds more says "complete": false; the access
 * log's "next" is where GET /v1/me/access-log?after= goes on.
 */
#define EXPORT_LIST_MAX 1000
#define EXPORT_LOG_MAX 1000
#define EXPORT_FORMAT "vaultd-export/1"
#define EXPORT_FILE "vaultd-my-data.json"

typedef int (*policy_pager)(vault *v, const unsigned char cid[KEYS_CID_BYTES], policy_page *pg, json_t **out,
    util_err *err);

/* Every page of one of the citizen's lists, up to EXPORT_LIST_MAX items: {"items", "complete"}. */
static json_t *whole_list(api_req *r, policy_pager pager, api_err *err)
{
	policy_page pg = {.after = "", .limit = API_PAGE_MAX};
	json_t *all = json_array(), *page;

	while (all != NULL) {
		if (pager(r->v, r->caller.cid, &pg, &page, &err->u) != 0) {
			json_decref(all);
			return NULL;
		}
		json_array_extend(all, page);
		json_decref(page);
		if (pg.next[0] == '\0' || json_array_size(all) >= EXPORT_LIST_MAX)
			return json_pack("{s:o, s:b}", "items", all, "complete", pg.next[0] == '\0');
		memcpy(pg.after, pg.next, sizeof pg.after);
	}
	api_fail(err, API_P_INTERNAL, "out of memory");
	return NULL;
}

/* A citizen's list of their requests: each answered one names its registrar in words. */
typedef struct own_list {
	vault *v;
	json_t *list;
} own_list;

static int append_view(void *arg, const unsigned char cid[KEYS_CID_BYTES], json_t *view, util_err *err)
{
	own_list *o = arg;
	const char *by = json_string_value(json_object_get(view, "decided_by"));
	char name[POLICY_NAME_MAX + 1];
	policy_agency a;

	(void)cid;
	if (by != NULL && strncmp(by, "agency:", 7) == 0 && policy_agency_get(o->v, by + 7, &a, name, NULL) == 0)
		json_object_set_new(view, "registrar_name", json_string(name));
	return json_array_append_new(o->list, view) == 0 ? 0 : util_fail(err, UTIL_ENOMEM, "out of memory");
}

/* The citizen's correction requests, up to EXPORT_LIST_MAX: {"items", "complete"}. */
static json_t *whole_corrections(api_req *r, api_err *err)
{
	char after[VAULT_CORRECTION_ID_LEN + 1] = "", next[VAULT_CORRECTION_ID_LEN + 1];
	json_t *all = json_array();
	own_list o = {.v = r->v, .list = all};

	while (all != NULL) {
		if (vault_corrections_list(r->v, r->caller.cid, NULL, after, API_PAGE_MAX, append_view, &o, next, &err->u) != 0) {
			json_decref(all);
			return NULL;
		}
		if (next[0] == '\0' || json_array_size(all) >= EXPORT_LIST_MAX)
			return json_pack("{s:o, s:b}", "items", all, "complete", next[0] == '\0');
		memcpy(after, next, sizeof after);
	}
	api_fail(err, API_P_INTERNAL, "out of memory");
	return NULL;
}

/* The restriction's state: {"restricted", "since" (or null)}. */
static json_t *restriction_state(api_req *r, api_err *err)
{
	int64_t since;
	int on;
	char when[21];

	if (policy_restriction_get(r->v, r->caller.cid, &on, &since, &err->u) != 0)
		return NULL;
	util_iso8601(since, when);
	return json_pack("{s:b, s:o}", "restricted", on, "since", on ? json_string(when) : json_null());
}

/* Everything but the record, read in one snapshot: restriction, lists, corrections, access log. */
static json_t *export_rest(api_req *r, api_err *err)
{
	json_t *o = json_object(), *log, *next;

	if (o == NULL || json_object_set_new(o, "restriction", restriction_state(r, err)) != 0 ||
	    json_object_set_new(o, "consents", whole_list(r, policy_consents_list, err)) != 0 ||
	    json_object_set_new(o, "consent_requests", whole_list(r, policy_requests_pending, err)) != 0 ||
	    json_object_set_new(o, "corrections", whole_corrections(r, err)) != 0 ||
	    api_access_log_collect(r, -1, EXPORT_LOG_MAX, &log, &next, err) != 0) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "access_log", json_pack("{s:o, s:b, s:o}", "entries", log, "complete", json_is_null(next), "next", next));
	return o;
}

/*
 * "Download my data": the record's every field (decrypted: it is the citizen's own), the
 * restriction, consents, pending requests, correction requests and the access log, as one
 * attachment. The export is audited (record.export, naming no value) before anything is read.
 */
int api_h_me_export(api_req *r, api_err *err)
{
	audit_entry e = {.actor = "citizen", .action = "record.export", .cid = r->caller.cid, .note = "right of access"};
	json_t *fields = NULL, *rest;
	char hex[2 * KEYS_CID_BYTES + 1], now[21];

	if (audit_record(r->v, &e, NULL, &err->u) != 0)
		return -1;
	if (vault_read_begin(r->v, &err->u) != 0)
		return -1;
	rest = export_rest(r, err);
	if (rest != NULL && vault_citizen_read(r->v, r->caller.cid, NULL, 0, &fields, &err->u) != 0) {
		json_decref(rest);
		rest = NULL;
	}
	vault_read_end(r->v);
	if (rest == NULL)
		return -1;
	util_hex_encode(hex, r->caller.cid, KEYS_CID_BYTES);
	util_iso8601(util_now(), now);
	json_object_set_new(rest, "format", json_string(EXPORT_FORMAT));
	json_object_set_new(rest, "exported_at", json_string(now));
	json_object_set_new(rest, "citizen_id", json_string(hex));
	json_object_set_new(rest, "fields", fields);
	r->attachment = EXPORT_FILE;
	api_reply(r, 200, rest);
	return 0;
}

/* ---- correction requests ---- */

/* ?state (absent: any) and the paging arguments of a list of requests (pg). 0, or -1 with err 400. */
static int correction_args(api_req *r, const char **state, policy_page *pg, api_err *err)
{
	*state = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "state");
	if (*state != NULL && strcmp(*state, "pending") != 0 && strcmp(*state, "applied") != 0 &&
	    strcmp(*state, "rejected") != 0)
		return api_fail(err, API_P_INVALID_INPUT, "query argument state must be pending, applied or rejected");
	if (api_page_args_id(r, pg, err) != 0)
		return -1;
	if (pg->after[0] != '\0' && !vault_correction_id_ok(pg->after))
		return api_fail(err, API_P_INVALID_INPUT, "query argument after must be the next of the page before");
	return 0;
}

/* The citizen's own requests, in the order they were made: {"corrections", "next"}. */
int api_h_me_corrections(api_req *r, api_err *err)
{
	char next[VAULT_CORRECTION_ID_LEN + 1];
	const char *state;
	policy_page pg;
	json_t *list;

	if (correction_args(r, &state, &pg, err) != 0)
		return -1;
	if ((list = json_array()) == NULL)
		return api_fail(err, API_P_INTERNAL, "out of memory");
	if (vault_corrections_list(r->v, r->caller.cid, state, pg.after, pg.limit, append_view, &(own_list){r->v, list}, next,
	        &err->u) != 0) {
		json_decref(list);
		return -1;
	}
	api_reply(r, 200, json_pack("{s:o, s:o}", "corrections", list, "next", next[0] ? json_string(next) : json_null()));
	return 0;
}

/*
 * A citizen asks for a correction: {"field", "value", "note"?}. The value is checked as a
 * rectification's would be and sealed under the citizen's key; the entry (correction.request)
 * names the field only.
 */
int api_h_me_correction_create(api_req *r, api_err *err)
{
	const char *field, *note = NULL, *names[1];
	char id[VAULT_CORRECTION_ID_LEN + 1];
	audit_entry e = {.actor = "citizen", .action = "correction.request", .cid = r->caller.cid, .fields = names,
		.nfields = 1};
	json_t *value;
	int mine, ok;

	if (api_unpack(r, err, "{s:s, s:o, s?s}", "field", &field, "value", &value, "note", &note) != 0)
		return -1;
	if (strlen(field) == 0 || strlen(field) > VAULT_NAME_MAX)
		return api_fail(err, API_P_INVALID_INPUT, "field must be the name of a field of the catalog");
	if (note != NULL && (strlen(note) > VAULT_NOTE_MAX || !policy_text_visible(note, strlen(note))))
		return api_fail(err, API_P_INVALID_INPUT, "note must be 1..%u bytes of visible text", VAULT_NOTE_MAX);
	names[0] = field;
	if (vault_tx_begin(r->v, &mine, &err->u) != 0)
		return -1;
	ok = vault_correction_create(r->v, r->caller.cid, field, value, note, id, &err->u) == 0 &&
	     audit_record(r->v, &e, NULL, &err->u) == 0;
	if (vault_tx_end(r->v, mine, ok, &err->u) != 0)
		return err->u.code == UTIL_ESTATE ? api_fail(err, API_P_CONFLICT, "%s", err->u.msg) : -1;
	api_reply(r, 201, json_pack("{s:s, s:s, s:s}", "id", id, "field", field, "state", "pending"));
	return 0;
}

/* A registrar's page of requests: each gets the registrar's pseudonym for its citizen, and an entry. */
typedef struct queue {
	api_req *r;
	json_t *list;
	char actor[POLICY_ID_MAX + 8];
} queue;

static int queue_row(void *arg, const unsigned char cid[KEYS_CID_BYTES], json_t *view, util_err *err)
{
	queue *q = arg;
	const char *names[1] = {json_string_value(json_object_get(view, "field"))};
	audit_entry e = {.actor = q->actor, .action = "correction.read", .agency_id = q->r->caller.agency.id, .cid = cid,
		.fields = names, .nfields = 1};
	char pseudonym[33];

	policy_pseudonym(q->r->v, q->r->caller.agency.id, cid, pseudonym);
	if (auth_pseudonym_remember(q->r->v, q->r->caller.agency.id, cid, pseudonym, 0, err) != 0 ||
	    audit_record(q->r->v, &e, NULL, err) != 0) {
		json_decref(view);
		return -1;
	}
	json_object_set_new(view, "citizen_id", json_string(pseudonym));
	return json_array_append_new(q->list, view) == 0 ? 0 : util_fail(err, UTIL_ENOMEM, "out of memory");
}

/*
 * The registrars' queue: everyone's requests, pending first (or those of ?state), with the
 * proposed value (a registrar corrects records) and the registrar's pseudonym for the citizen,
 * which PATCH /v1/citizens/{citizen_id} takes. Each request shown is audited
 * (correction.read, naming the citizen and the field), in one transaction with the page.
 */
int api_h_corrections(api_req *r, api_err *err)
{
	char next[VAULT_CORRECTION_ID_LEN + 1];
	queue q = {.r = r};
	const char *state;
	policy_page pg;
	int mine, ok;

	if (correction_args(r, &state, &pg, err) != 0)
		return -1;
	if ((q.list = json_array()) == NULL)
		return api_fail(err, API_P_INTERNAL, "out of memory");
	api_agency_actor(r, q.actor);
	if (vault_tx_begin(r->v, &mine, &err->u) != 0) {
		json_decref(q.list);
		return -1;
	}
	ok = vault_corrections_list(r->v, NULL, state, pg.after, pg.limit, queue_row, &q, next, &err->u) == 0;
	if (vault_tx_end(r->v, mine, ok, &err->u) != 0) {
		json_decref(q.list);
		return -1;
	}
	api_reply(r, 200, json_pack("{s:o, s:o}", "corrections", q.list, "next", next[0] ? json_string(next) : json_null()));
	return 0;
}

/*
 * A registrar answers: {"outcome": "applied" | "rejected", "reason"?} (a rejection gives its
 * reason). Applied writes the proposed value to the record, as PATCH /v1/citizens/{id} would,
 * with the same record.update entry, in one transaction with the answer and its entry
 * (correction.apply or correction.reject).
 */
int api_h_correction_answer(api_req *r, api_err *err)
{
	const char *outcome, *reason = NULL, *names[1];
	unsigned char cid[KEYS_CID_BYTES];
	char actor[POLICY_ID_MAX + 8], field[VAULT_NAME_MAX + 1], pseudonym[33];
	audit_entry update = {.action = "record.update", .fields = names, .nfields = 1, .cid = cid},
		    answer = {.fields = names, .nfields = 1, .cid = cid};
	int applied, mine, ok;

	if (api_unpack(r, err, "{s:s, s?s}", "outcome", &outcome, "reason", &reason) != 0)
		return -1;
	if (strcmp(outcome, "applied") != 0 && strcmp(outcome, "rejected") != 0)
		return api_fail(err, API_P_INVALID_INPUT, "outcome must be applied or rejected");
	applied = strcmp(outcome, "applied") == 0;
	if (reason != NULL && (strlen(reason) > VAULT_NOTE_MAX || !policy_text_visible(reason, strlen(reason))))
		return api_fail(err, API_P_INVALID_INPUT, "reason must be 1..%u bytes of visible text", VAULT_NOTE_MAX);
	if (!applied && reason == NULL)
		return api_fail(err, API_P_INVALID_INPUT, "a rejection gives its reason");
	update.actor = answer.actor = api_agency_actor(r, actor);
	update.agency_id = answer.agency_id = r->caller.agency.id;
	answer.action = applied ? "correction.apply" : "correction.reject";
	names[0] = field;
	if (vault_tx_begin(r->v, &mine, &err->u) != 0)
		return -1;
	ok = vault_correction_decide(r->v, r->params[0], applied, reason, actor, cid, field, &err->u) == 0;
	if (ok) {
		policy_pseudonym(r->v, r->caller.agency.id, cid, pseudonym);
		ok = (!applied || audit_record(r->v, &update, NULL, &err->u) == 0) &&
		     audit_record(r->v, &answer, NULL, &err->u) == 0 &&
		     auth_pseudonym_remember(r->v, r->caller.agency.id, cid, pseudonym, 0, &err->u) == 0;
	}
	if (vault_tx_end(r->v, mine, ok, &err->u) != 0)
		return err->u.code == UTIL_ESTATE ? api_fail(err, API_P_CONFLICT, "%s", err->u.msg) : -1;
	api_reply(r, 200, json_pack("{s:s, s:s, s:s, s:s}", "id", r->params[0], "state", applied ? "applied" : "rejected",
	                     "citizen_id", pseudonym, "field", field));
	return 0;
}
