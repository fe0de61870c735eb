// officer_world.mjs: the log an officer's pages show: agencies that look citizens up (allowed and
// denied, through the API with their bearer tokens), an ambulance service's emergency accesses,
// and an officer's bearer session for the API's own figures (each test signs its own officer in).
// Built once per vaultd.
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { createAgency, enrolCitizen, createOfficer, freshCode, must, call, newNationalId } from './lib.mjs';

// Emergency justifications a spreadsheet would take for formulas (= + - @), and one with a comma and quotes.
export const JUSTIFICATIONS = ['=SUM(1,2) ngừng tim', '+84 gọi cấp cứu', '@tai nạn giao thông', '-bất tỉnh, "khẩn cấp"'];
export const STATUTORY = 20; // allowed lookups of the hospital: more than one page of the audit search with the rest

async function purpose(v, agencyId, code, basis, fields, extra = {}) {
	await must(v, 201, 'POST', '/v1/purposes', v.adminToken, {
		agency_id: agencyId, code, description: { vi: `Mục đích ${code}`, en: `Purpose ${code}` }, legal_basis: basis, fields,
		max_days: 30, retention_days: 30, ...extra,
	});
}

async function lookup(v, agency, nid, code, want, justification) {
	const body = { national_id: nid, purpose: code };
	if (justification) body.justification = justification;
	const r = await call(v, 'POST', '/v1/lookup', agency.token, body);
	assert.equal(r.status, want, `lookup ${code}: ${r.text}`);
	return r.json;
}

const worlds = new Map();

// {registrar, hospital, ambulance, citizen, api (an officer's bearer token), accesses}.
export async function officerWorld(v) {
	if (worlds.has(v.base)) return worlds.get(v.base);
	const registrar = await createAgency(v, 'Công an phường Bến Nghé', ['registrar']);
	const hospital = await createAgency(v, 'Bệnh viện Chợ Rẫy', ['consumer']);
	const ambulance = await createAgency(v, 'Trung tâm Cấp cứu 115', ['consumer', 'emergency']);
	await purpose(v, hospital.id, 'treatment', 'consent', ['full_name']);
	await purpose(v, hospital.id, 'statutory', 'legal_obligation', ['full_name'], { legal_reference: 'Nghị định 356/2025/NĐ-CP' });
	await purpose(v, ambulance.id, 'emergency_care', 'vital_interest', ['full_name']);
	const citizen = await enrolCitizen(v, registrar.token, { full_name: 'Trần Văn Bình' });
	for (let i = 0; i < STATUTORY; i++) await lookup(v, hospital, citizen.nid, 'statutory', 200);
	await lookup(v, hospital, citizen.nid, 'treatment', 403); // no consent
	await lookup(v, hospital, citizen.nid, 'treatment', 403);
	await lookup(v, hospital, newNationalId(), 'statutory', 403); // no such citizen
	const accesses = [];
	for (const j of JUSTIFICATIONS) accesses.push((await lookup(v, ambulance, citizen.nid, 'emergency_care', 200, j)).access_id);
	await lookup(v, ambulance, citizen.nid, 'emergency_care', 403); // no justification
	const reader = await createOfficer(v, 'Lê Thu Hà');
	const s = await must(v, 201, 'POST', '/v1/sessions', null, { officer_id: reader.id, totp: await freshCode(reader) });
	const w = { registrar, hospital, ambulance, citizen, api: s.token, accesses };
	worlds.set(v.base, w);
	return w;
}

// The file a download saved, as text.
export async function downloaded(page, click) {
	const [dl] = await Promise.all([page.waitForEvent('download'), click()]);
	return { name: dl.suggestedFilename(), text: readFileSync(await dl.path(), 'utf8') };
}

// A CSV file's records (RFC 4180: quoted cells, "" inside), without the BOM.
export function parseCsv(text) {
	const rows = [];
	let row = [], cell = '', quoted = false;
	const s = text.replace(/^\ufeff/, '');
	for (let i = 0; i < s.length; i++) {
		const c = s[i];
		if (quoted) {
			if (c === '"' && s[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
		} else if (c === '"') quoted = true;
		else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\r' && s[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; } else cell += c;
	}
	if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
	return rows;
}

// The rows of the table captioned caption: each an array of its cells' texts.
export async function tableRows(page, caption) {
	const table = page.locator('table', { has: page.locator('caption', { hasText: caption }) });
	await table.waitFor();
	return table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent.trim())));
}
