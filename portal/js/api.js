// api.js: the one way the portal calls vaultd: same origin, the session in its HttpOnly cookie,
// the CSRF token in this module's memory only (never in storage or a URL).

export class ApiError extends Error {
	constructor(status, code, detail, retryAfter) {
		super(code);
		this.status = status; // 0: no answer at all
		this.code = code; // the problem's stable code, or 'network' / 'unknown'
		this.detail = detail;
		this.retryAfter = retryAfter; // seconds (429), else 0
	}
}

let csrf = null;
let onUnauthorized = null;

// The shell's hook: a 401 on a signed-in route means the session ended.
export function setUnauthorizedHandler(fn) {
	onUnauthorized = fn;
}

// api('GET', '/v1/me') -> the parsed JSON answer; throws ApiError.
export async function api(method, path, body) {
	const headers = { Accept: 'application/json' };
	if (body !== undefined) headers['Content-Type'] = 'application/json';
	if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-CSRF-Token'] = csrf;
	let res;
	try {
		res = await fetch(path, {
			method,
			headers,
			body: body === undefined ? undefined : JSON.stringify(body),
			credentials: 'same-origin',
			cache: 'no-store',
			redirect: 'error',
		});
	} catch {
		throw new ApiError(0, 'network', '', 0);
	}
	const text = await res.text();
	let data = null;
	try {
		data = text ? JSON.parse(text) : null;
	} catch {
		data = null;
	}
	if (!res.ok) {
		const err = new ApiError(res.status, (data && data.code) || 'unknown', (data && data.detail) || '',
			parseInt(res.headers.get('Retry-After') || '0', 10) || 0);
		if (res.status === 401 && err.code === 'unauthorized' && csrf && onUnauthorized) {
			csrf = null;
			onUnauthorized();
		}
		throw err;
	}
	return data;
}

// The current session {kind, expires_at} or null when signed out.
export async function currentSession() {
	try {
		const s = await api('GET', '/v1/session');
		csrf = s.csrf_token;
		return { kind: s.kind, expires_at: s.expires_at };
	} catch (e) {
		if (e.status === 401) {
			csrf = null;
			return null;
		}
		throw e;
	}
}

// Signs in ({national_id, totp} or {officer_id, totp}) with a cookie session: {kind, expires_at}.
export async function signIn(body) {
	const s = await api('POST', '/v1/sessions', { ...body, cookie: true });
	csrf = s.csrf_token;
	return { kind: s.kind, expires_at: s.expires_at };
}

export async function signOut() {
	try {
		await api('DELETE', '/v1/sessions/current');
	} finally {
		csrf = null;
	}
}
