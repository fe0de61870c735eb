// lib.mjs: what the browser tests share: a real vaultd on a fresh vault serving the portal, the
// API set-up they need (agency, purpose, citizen, officer), TOTP codes, and a page signed in.
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const BUILD = resolve(process.env.BUILD || 'build');
export const PORTAL = resolve(process.env.PORTAL || join(BUILD, 'portal'));

// ---- vaultd ----

// Starts vaultd on 127.0.0.1 (a free port) over a fresh vault, serving PORTAL.
// Returns {base, dir, log, adminToken, stop()}; stop() ends it and removes the vault.
export async function startVaultd({ portal = PORTAL, args = [] } = {}) {
	const dir = mkdtempSync(join(tmpdir(), 'vaultd-browser-'));
	const data = join(dir, 'data');
	const log = join(dir, 'vaultd.log');
	const init = JSON.parse(execFileSync(join(BUILD, 'vaultctl'), ['init', '--data', data], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
	const fd = openSync(log, 'a');
	const child = spawn(join(BUILD, 'vaultd'), ['--data', data, '--listen', '127.0.0.1:0', '--portal', portal, ...args],
		{ stdio: ['ignore', 'ignore', fd] });
	closeSync(fd);
	let exited = null;
	child.on('exit', (code, sig) => { exited = { code, sig }; });
	let port = 0;
	for (let i = 0; i < 100 && !port && !exited; i++) {
		await sleep(50);
		const m = /"msg":"listening".*?"port":(\d+)/.exec(readFileSync(log, 'utf8'));
		if (m) port = Number(m[1]);
	}
	if (!port) {
		child.kill('SIGKILL');
		throw new Error(`vaultd did not start: ${JSON.stringify(exited)}\n${readFileSync(log, 'utf8').slice(-2000)}`);
	}
	const v = {
		base: `http://127.0.0.1:${port}`,
		dir,
		log,
		adminToken: init.admin_token,
		async stop() {
			if (!exited) {
				child.kill('SIGTERM');
				for (let i = 0; i < 100 && !exited; i++) await sleep(50);
				if (!exited) child.kill('SIGKILL');
			}
			rmSync(dir, { recursive: true, force: true });
		},
	};
	return v;
}

// One API call from Node: {status, json, headers}. token: a Bearer token or null.
export async function call(v, method, path, token, body, headers = {}) {
	const h = { ...headers };
	if (token) h.Authorization = `Bearer ${token}`;
	if (body !== undefined) h['Content-Type'] = 'application/json';
	const res = await fetch(v.base + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
	const text = await res.text();
	let json = null;
	try { json = text ? JSON.parse(text) : null; } catch { json = null; }
	return { status: res.status, json, headers: res.headers, text };
}

// call(), failing unless the status is want.
export async function must(v, want, method, path, token, body) {
	const r = await call(v, method, path, token, body);
	if (r.status !== want) throw new Error(`${method} ${path}: ${r.status}, want ${want}: ${r.text}`);
	return r.json;
}

// ---- the world a test needs ----

export async function createAgency(v, name, roles) {
	const a = await must(v, 201, 'POST', '/v1/agencies', v.adminToken, { name, roles });
	return { id: a.id, token: a.token, name };
}

// A purpose of agency: {code}. fields: names or {name, masked}.
export async function createPurpose(v, agencyId, code, { fields = ['full_name', 'date_of_birth', 'phone'],
	basis = 'consent', vi = 'Khám chữa bệnh', en = 'Medical treatment', maxDays = 365, retentionDays = 30 } = {}) {
	await must(v, 201, 'POST', '/v1/purposes', v.adminToken, {
		agency_id: agencyId, code, description: { vi, en }, legal_basis: basis, fields, max_days: maxDays,
		retention_days: retentionDays,
	});
	return { code };
}

let nidSeq = 0;
// A well-formed CCCD number not used before in this run: province 079, century/gender 1 (1900s, female), year 95.
export function newNationalId() {
	nidSeq += 1;
	return `0791950${String(10000 + nidSeq).slice(-5)}`;
}

function secretOf(uri) {
	const m = /[?&]secret=([A-Z2-7]+)/.exec(uri);
	if (!m) throw new Error('no secret in the otpauth URI');
	return m[1];
}

// Enrols a citizen through registrar (an agency token with the registrar role): {nid, secret, uri}.
export async function enrolCitizen(v, registrarToken, fields = { full_name: 'Nguyễn Thị Lan' }, nid = newNationalId()) {
	const r = await must(v, 201, 'POST', '/v1/citizens', registrarToken, { national_id: nid, fields });
	return { nid, uri: r.totp_uri, secret: secretOf(r.totp_uri), lastStep: 0 };
}

// A new privacy officer: {id, secret, uri}.
export async function createOfficer(v, name = 'Cán bộ bảo vệ dữ liệu') {
	const r = await must(v, 201, 'POST', '/v1/officers', v.adminToken, { name });
	return { id: r.id, uri: r.totp_uri, secret: secretOf(r.totp_uri), lastStep: 0 };
}

// A registrar, a consumer agency with a consent purpose, one enrolled citizen and one officer.
export async function world(v) {
	const registrar = await createAgency(v, 'Công an phường', ['registrar']);
	const hospital = await createAgency(v, 'Bệnh viện Bạch Mai', ['consumer']);
	const purpose = await createPurpose(v, hospital.id, 'treatment');
	const citizen = await enrolCitizen(v, registrar.token);
	const officer = await createOfficer(v);
	return { registrar, hospital, purpose, citizen, officer };
}

// ---- TOTP (RFC 6238: HMAC-SHA-1, 30 s, 6 digits) ----

function base32(s) {
	const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	let bits = 0, val = 0;
	const out = [];
	for (const c of s.replace(/=+$/, '')) {
		val = (val << 5) | abc.indexOf(c);
		bits += 5;
		if (bits >= 8) {
			out.push((val >>> (bits - 8)) & 255);
			bits -= 8;
		}
	}
	return Buffer.from(out);
}

export function totpStep(now = Date.now()) {
	return Math.floor(now / 1000 / 30);
}

export function totpAt(secret, step) {
	const msg = Buffer.alloc(8);
	msg.writeBigUInt64BE(BigInt(step));
	const mac = createHmac('sha1', base32(secret)).update(msg).digest();
	const o = mac[mac.length - 1] & 15;
	const n = (mac.readUInt32BE(o) & 0x7fffffff) % 1000000;
	return String(n).padStart(6, '0');
}

// A code vaultd has not seen for who ({secret, lastStep}): a step after the last one used, within
// one step of now (the next step when the current one is used), waiting for a new step if needed.
export async function freshCode(who) {
	for (;;) {
		const now = totpStep();
		const step = Math.max(who.lastStep + 1, now);
		if (step <= now + 1) {
			who.lastStep = step;
			return totpAt(who.secret, step);
		}
		await sleep(((now + 1) * 30 * 1000) - Date.now() + 100);
	}
}

// A code that no step near now gives: a wrong code for sure.
export function wrongCode(who) {
	const near = [-1, 0, 1].map((d) => totpAt(who.secret, totpStep() + d));
	for (let n = 0; ; n++) {
		const c = String((123457 + n * 7919) % 1000000).padStart(6, '0');
		if (!near.includes(c)) return c;
	}
}

// ---- the browser ----

// A cookie session made through the API, in the browser context, then page opened at path:
// who is a citizen ({nid, secret}) or an officer ({id, secret}).
export async function openSignedIn(env, who, path) {
	const body = who.nid ? { national_id: who.nid, totp: await freshCode(who), cookie: true }
		: { officer_id: who.id, totp: await freshCode(who), cookie: true };
	const r = await call(env.v, 'POST', '/v1/sessions', null, body);
	if (r.status !== 201) throw new Error(`sign-in for the test: ${r.status} ${r.text}`);
	const m = /vaultd_session=([^;]+)/.exec(r.headers.get('set-cookie') || '');
	const page = await env.newPage();
	await page.context().addCookies([{ name: 'vaultd_session', value: m[1], url: env.v.base, httpOnly: true, sameSite: 'Strict' }]);
	await page.goto(`${env.v.base}/#${path}`);
	await page.locator('main h1').first().waitFor();
	return page;
}
