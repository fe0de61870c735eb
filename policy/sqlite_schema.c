/* sqlite_schema.c: policy's tables (the registry, consents, restrictions, reviews), registered with the vault. */
#include "policy_private.h"

#include "../vault/sqlite.h"

static const vault_step policy_steps[] = {
	/* 2: the registry (agencies, purposes), consent requests, consents, restrictions, officers' reviews */
	{2, "CREATE TABLE agencies(id TEXT PRIMARY KEY, name TEXT NOT NULL, roles INTEGER NOT NULL,"
	    " suspended INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);"
	    "CREATE TABLE purposes(id TEXT PRIMARY KEY, agency_id TEXT NOT NULL REFERENCES agencies(id), code TEXT NOT NULL,"
	    " desc_vi TEXT NOT NULL, desc_en TEXT NOT NULL, basis INTEGER NOT NULL, legal_reference TEXT,"
	    " fields TEXT NOT NULL, max_days INTEGER NOT NULL, retention_days INTEGER NOT NULL,"
	    " created_at INTEGER NOT NULL, UNIQUE(agency_id, code));"
	    "CREATE TABLE consent_requests(id TEXT PRIMARY KEY, agency_id TEXT NOT NULL, purpose_id TEXT NOT NULL,"
	    " cid BLOB, fields TEXT NOT NULL, days INTEGER NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL,"
	    " expires_at INTEGER NOT NULL, decided_at INTEGER);"
	    "CREATE INDEX consent_requests_cid ON consent_requests(cid, status);"
	    "CREATE TABLE consents(id TEXT PRIMARY KEY, cid BLOB NOT NULL, agency_id TEXT NOT NULL,"
	    " purpose_id TEXT NOT NULL, request_id TEXT, fields TEXT NOT NULL, granted_at INTEGER NOT NULL,"
	    " expires_at INTEGER NOT NULL, revoked_at INTEGER NOT NULL DEFAULT 0, use_limit INTEGER NOT NULL DEFAULT 0,"
	    " uses INTEGER NOT NULL DEFAULT 0, receipt TEXT NOT NULL);"
	    "CREATE INDEX consents_lookup ON consents(cid, agency_id, purpose_id);"
	    "CREATE TABLE restrictions(cid BLOB PRIMARY KEY, since INTEGER NOT NULL) WITHOUT ROWID;"
	    "CREATE TABLE reviews(seq INTEGER PRIMARY KEY, agency_id TEXT NOT NULL, purpose_id TEXT NOT NULL,"
	    " outcome TEXT, note TEXT, reviewed_by TEXT, reviewed_at INTEGER);",
	    NULL, NULL},
	/*
	 * 5: a lookup's decision reads its consents from the index alone. The rows also hold the
	 * signed receipts, so each one is a page of its own to read and decrypt, at random.
	 */
	{5, "CREATE INDEX IF NOT EXISTS consents_decide ON consents(cid, agency_id, purpose_id, granted_at, expires_at,"
	    " revoked_at, use_limit, uses, id, fields);"
	    "DROP INDEX IF EXISTS consents_lookup;",
	    NULL, NULL},
	/*
	 * 9: the subject of each pending consent request, a keyed per-agency tag of the national ID
	 * asked about (policy_request_subject), kept only while the request is pending: the cap on
	 * pending requests per agency and ID counts by it, alike for enrolled, erased and
	 * never-enrolled IDs. Requests made before it have none and expire within 7 days.
	 */
	{9, "CREATE TABLE IF NOT EXISTS request_subjects(id TEXT PRIMARY KEY, agency_id TEXT NOT NULL, subject BLOB NOT NULL,"
	    " expires_at INTEGER NOT NULL) WITHOUT ROWID;"
	    "CREATE INDEX IF NOT EXISTS request_subjects_cap ON request_subjects(agency_id, subject, expires_at);",
	    NULL, NULL},
};

static const vault_module policy_module = {
	.name = "policy",
	.rank = 10,
	.steps = policy_steps,
	.nsteps = sizeof policy_steps / sizeof policy_steps[0],
};

/* Policy's tables are part of every vault this program opens: registered as the program starts. */
__attribute__((constructor)) static void policy_module_register(void)
{
	vault_module_register(&policy_module);
}
