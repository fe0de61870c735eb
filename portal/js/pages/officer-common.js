// pages/officer-common.js: what the officer's pages share: the registry's names, the words for an
// audit entry's codes (action, decision, reason, basis), days as inputs and as UTC days.
import { t, has, getLang } from '../i18n.js';

// Every agency's name by id, from the paged GET /v1/agencies (at most 50 pages of 200).
export async function agencyNames(api) {
	const names = new Map();
	let after;
	for (let i = 0; i < 50; i++) {
		const q = after === undefined ? '' : `&after=${encodeURIComponent(after)}`;
		const res = await api('GET', `/v1/agencies?limit=200${q}`);
		for (const a of res.agencies || []) names.set(a.id, a.name);
		if (res.next === null || res.next === undefined) break;
		after = res.next;
	}
	return names;
}

// The reader's words for a code of the log (officer.<kind>.<code>), else the code itself.
function word(kind, code) {
	if (code === null || code === undefined || code === '') return '';
	const key = `officer.${kind}.${code}`;
	return has(key) ? t(key) : String(code);
}

export const actionText = (a) => word('action', a);
export const decisionText = (d) => word('decision', d);
export const reasonText = (r) => word('reason', r);
export const basisText = (b) => word('basis', b);
export const stateText = (s) => word('state', s);

// The actions an officer may filter on, in the order the filter lists them.
export const ACTIONS = ['lookup', 'consent.request', 'consent.approve', 'consent.deny', 'consent.revoke',
	'restriction.set', 'restriction.lift', 'record.create', 'record.read', 'record.update', 'record.search',
	'record.export', 'record.erase', 'totp.reset', 'correction.request', 'correction.apply', 'correction.reject',
	'auth.login', 'auth.login_failed', 'auth.step_up_failed', 'auth.logout', 'review.record', 'review.list',
	'audit.query', 'audit.verify', 'report.access', 'report.dashboard', 'agency.create', 'agency.suspend',
	'purpose.create', 'officer.create', 'officer.deactivate', 'officer.reactivate', 'token.issue', 'token.rotate',
	'token.revoke', 'key.rotate', 'key.rekey', 'vault.backup', 'retention.sweep'];

// Who did it: an agency by name, an officer by id, else the kind of actor in words.
export function actorText(actor, agencies) {
	if (!actor) return '';
	const m = /^(agency|officer):(.+)$/.exec(actor);
	if (m && m[1] === 'agency') return agencies.get(m[2]) || m[2];
	if (m) return t('officer.actor.officer', { id: m[2] });
	return word('actor', actor);
}

// A purpose as {code, description: {vi, en}} (a page's names) -> "description (code)".
export function purposeText(p, id) {
	if (!p) return id || '';
	const d = p.description && (p.description[getLang()] || p.description.vi);
	return d ? `${d} (${p.code})` : p.code;
}

// ---- days ----

const pad = (n) => String(n).padStart(2, '0');

// A Date's UTC day as YYYY-MM-DD.
export function utcDay(d) {
	return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

// YYYY-MM-DD + n days.
export function addDays(day, n) {
	const d = new Date(`${day}T00:00:00Z`);
	d.setUTCDate(d.getUTCDate() + n);
	return utcDay(d);
}

export const isDay = (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(new Date(`${s}T00:00:00Z`).getTime());

// Seconds since the epoch at the start (or, with end, the last second) of a local day YYYY-MM-DD.
export function localDaySeconds(day, end) {
	const [y, m, d] = day.split('-').map(Number);
	const start = new Date(y, m - 1, d).getTime() / 1000;
	return end ? start + 86399 : start;
}

// A labelled date input: {label, input} (the label first, then a hint, then the input).
export function dayField(h, id, label, value, hint) {
	const input = h('input', { id, name: id, type: 'date', value: value || '', 'aria-describedby': hint ? `${id}-hint` : null });
	return [h('label', { for: id }, label), hint ? h('span', { id: `${id}-hint`, class: 'hint' }, hint) : null, input];
}

// A labelled select over [value, text] options.
export function selectField(h, id, label, options, value) {
	const sel = h('select', { id, name: id },
		options.map(([v, text]) => h('option', { value: v, selected: v === value ? true : null }, text)));
	sel.value = value;
	return [h('label', { for: id }, label), sel];
}

// "2026-12-07T01:02:03Z" (or seconds) for a CSV cell: the instant as stored, UTC.
export function isoTime(v) {
	const d = typeof v === 'number' ? new Date(v * 1000) : new Date(v);
	return Number.isNaN(d.getTime()) ? String(v ?? '') : d.toISOString().replace('.000Z', 'Z');
}
