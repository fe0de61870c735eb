/* state.c: a consent's state and its request's status at a given time: pure functions of what is stored. */
#include "policy.h"

#include <string.h>

policy_consent_state policy_consent_state_of(const policy_consent_life *c, int restricted, int64_t now)
{
	if (c->revoked_at != 0)
		return POLICY_CONSENT_REVOKED;
	if (now >= c->expires_at)
		return POLICY_CONSENT_EXPIRED;
	if (c->use_limit > 0 && c->uses >= c->use_limit)
		return POLICY_CONSENT_USED_UP;
	return restricted ? POLICY_CONSENT_RESTRICTED : POLICY_CONSENT_ACTIVE;
}

const char *policy_consent_state_name(policy_consent_state s)
{
	switch (s) {
	case POLICY_CONSENT_ACTIVE: return "active";
	case POLICY_CONSENT_RESTRICTED: return "restricted";
	case POLICY_CONSENT_EXPIRED: return "expired";
	case POLICY_CONSENT_USED_UP: return "used_up";
	case POLICY_CONSENT_REVOKED: return "revoked";
	}
	return "active"; /* not reached: every state is named above */
}

const char *policy_request_status_of(const char *stored, int64_t expires_at, const policy_consent_life *c, int64_t now)
{
	if (strcmp(stored, "pending") == 0)
		return now >= expires_at ? "expired" : "pending";
	if (strcmp(stored, "approved") != 0 || c == NULL)
		return stored;
	switch (policy_consent_state_of(c, 0, now)) {
	case POLICY_CONSENT_REVOKED: return "revoked";
	case POLICY_CONSENT_EXPIRED: return "expired";
	case POLICY_CONSENT_USED_UP: return "used_up";
	default: return "approved";
	}
}
