/* routes.c: the route table: every path, who may call it, whether it takes a body, its handler. */
#include "api_private.h"

/* ---- the table ---- */

#define CONSUMER API_R_CONSUMER
#define CITIZEN API_R_CITIZEN
#define OFFICER API_R_OFFICER
#define AGENCY (API_R_REGISTRAR | API_R_CONSUMER) /* any agency: every role is one of these */

static const api_route routes[] = {
	{"GET", "/healthz", API_PUBLIC, 0, api_h_healthz},
	{"GET", "/metrics", API_PUBLIC, 0, api_h_metrics},
	{"GET", "/v1/keys", API_PUBLIC, 0, api_h_keys},
	{"GET", "/v1/checkpoint", API_PUBLIC, 0, api_h_checkpoint},
	{"GET", "/v1/checkpoint/consistency", API_PUBLIC, 0, api_h_consistency},
	{"POST", "/v1/sessions", API_PUBLIC, 1, api_h_sessions},
	{"DELETE", "/v1/sessions/current", CITIZEN | OFFICER, 0, api_h_session_end},
	{"GET", "/v1/session", CITIZEN | OFFICER, 0, api_h_session_get},
	{"GET", "/v1/agencies", OFFICER | API_R_ADMIN, 0, api_h_agencies},
	{"POST", "/v1/agencies", API_R_ADMIN, 1, api_h_agency_create},
	{"POST", "/v1/agencies/{id}/suspend", API_R_ADMIN, 0, api_h_agency_suspend},
	{"GET", "/v1/agencies/{id}/tokens", API_R_ADMIN | AGENCY, 0, api_h_tokens_list},
	{"POST", "/v1/agencies/{id}/tokens", API_R_ADMIN | AGENCY, 1, api_h_tokens_issue},
	{"DELETE", "/v1/agencies/{id}/tokens/{token_id}", API_R_ADMIN | AGENCY, 0, api_h_token_revoke},
	{"GET", "/v1/purposes", OFFICER | API_R_ADMIN, 0, api_h_purposes},
	{"POST", "/v1/purposes", API_R_ADMIN, 1, api_h_purpose_create},
	{"POST", "/v1/officers", API_R_ADMIN, 1, api_h_officer_create},
	{"POST", "/v1/officers/{id}/deactivate", API_R_ADMIN, 0, api_h_officer_deactivate},
	{"POST", "/v1/officers/{id}/reactivate", API_R_ADMIN, 0, api_h_officer_reactivate},
	{"POST", "/v1/citizens", API_R_REGISTRAR, 1, api_h_citizen_create},
	{"POST", "/v1/citizens/search", API_R_REGISTRAR, 1, api_h_citizen_search},
	{"PATCH", "/v1/citizens/{citizen_id}", API_R_REGISTRAR, 1, api_h_citizen_patch},
	{"DELETE", "/v1/citizens/{citizen_id}", API_R_REGISTRAR, 0, api_h_citizen_delete},
	{"POST", "/v1/citizens/{citizen_id}/totp", API_R_REGISTRAR, 0, api_h_citizen_totp},
	{"POST", "/v1/consent-requests", CONSUMER, 1, api_h_request_create},
	{"GET", "/v1/consent-requests/{id}", CONSUMER, 0, api_h_request_get},
	{"POST", "/v1/lookup", CONSUMER, 1, api_h_lookup},
	{"POST", "/v1/lookups", CONSUMER, 1, api_h_lookups},
	{"GET", "/v1/me", CITIZEN, 0, api_h_me},
	{"GET", "/v1/me/consent-requests", CITIZEN, 0, api_h_me_requests},
	{"POST", "/v1/me/consent-requests/{id}/approve", CITIZEN, 1, api_h_me_approve},
	{"POST", "/v1/me/consent-requests/{id}/deny", CITIZEN, 0, api_h_me_deny},
	{"GET", "/v1/me/consents", CITIZEN, 0, api_h_me_consents},
	{"DELETE", "/v1/me/consents/{id}", CITIZEN, 0, api_h_me_revoke},
	{"GET", "/v1/me/consents/{id}/receipt", CITIZEN, 0, api_h_me_receipt},
	{"GET", "/v1/me/restriction", CITIZEN, 0, api_h_me_restriction},
	{"PUT", "/v1/me/restriction", CITIZEN, 1, api_h_me_restrict},
	{"DELETE", "/v1/me/restriction", CITIZEN, 1, api_h_me_unrestrict},
	{"GET", "/v1/me/access-log", CITIZEN, 0, api_h_me_access_log},
	{"GET", "/v1/me/access-log/{seq}/proof", CITIZEN, 0, api_h_me_proof},
	{"GET", "/v1/me/export", CITIZEN, 0, api_h_me_export},
	{"GET", "/v1/me/corrections", CITIZEN, 0, api_h_me_corrections},
	{"POST", "/v1/me/corrections", CITIZEN, 1, api_h_me_correction_create},
	{"GET", "/v1/corrections", API_R_REGISTRAR, 0, api_h_corrections},
	{"POST", "/v1/corrections/{id}", API_R_REGISTRAR, 1, api_h_correction_answer},
	{"GET", "/v1/audit", OFFICER, 0, api_h_audit},
	{"GET", "/v1/audit/verify", OFFICER, 0, api_h_audit_verify},
	{"GET", "/v1/reports/access", OFFICER, 0, api_h_report},
	{"GET", "/v1/reports/dashboard", OFFICER, 0, api_h_dashboard},
	{"GET", "/v1/reviews", OFFICER, 0, api_h_reviews},
	{"POST", "/v1/reviews/{access_id}", OFFICER, 1, api_h_review},
};

const api_route *api_route_table(size_t *n)
{
	*n = sizeof routes / sizeof routes[0];
	return routes;
}

const api_route_info *api_routes(size_t *n)
{
	static api_route_info info[sizeof routes / sizeof routes[0]];
	size_t i;

	*n = sizeof routes / sizeof routes[0];
	for (i = 0; i < *n; i++)
		info[i] = (api_route_info){routes[i].method, routes[i].path};
	return info;
}
