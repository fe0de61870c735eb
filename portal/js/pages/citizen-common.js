// pages/citizen-common.js: what the citizen's pages share: agencies, purposes, legal bases and
// fields said in the reader's language, the step-up code field and what its failures mean, and a
// consent receipt shown and downloaded. Not a page of its own (no route names it).
import { fmtTime } from '../i18n.js';
import { receiptSigned } from './citizen-verify.js';

// The catalog's fields a citizen can ask to correct (the built-in vault/catalog.json, without
// national_id): type 'date' and 'integer' shape the input, values make it a choice.
export const CATALOG = [
	{ name: 'full_name' },
	{ name: 'date_of_birth', type: 'date' },
	{ name: 'gender', values: ['male', 'female', 'other'] },
	{ name: 'permanent_address' },
	{ name: 'current_address' },
	{ name: 'phone' },
	{ name: 'email' },
	{ name: 'ethnicity' },
	{ name: 'religion' },
	{ name: 'health_insurance_number' },
	{ name: 'blood_type', values: ['A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-'] },
	{ name: 'chronic_conditions' },
	{ name: 'annual_income', type: 'integer' },
	{ name: 'tax_code' },
	{ name: 'criminal_record_status', values: ['none', 'has_record'] },
];

// The API's answer to a step-up code that was right but already used (409, with Retry-After:
// the seconds until the authenticator shows the next code).
const REUSED = 'totp_reused';

// A text given in both languages ({vi, en}), in the reader's.
export function inLang(ctx, d) {
	if (d === null || d === undefined) return '';
	if (typeof d === 'string') return d;
	return d[ctx.lang] || d.vi || d.en || '';
}

// A translation, or fallback when the dictionary has no such key.
export function tOr(ctx, key, fallback, vars) {
	const s = ctx.t(key, vars);
	return s === key ? fallback : s;
}

export function basisText(ctx, basis) {
	return tOr(ctx, 'citizen.basis.' + basis, basis || '');
}

// A field's name for people: its catalog description as the API gives it, else ours, else the name.
export function fieldLabel(ctx, f) {
	const name = typeof f === 'string' ? f : f.name;
	if (f && typeof f === 'object' && f.description) return inLang(ctx, f.description);
	return tOr(ctx, 'citizen.field.' + name, name);
}

export function isSensitive(f) {
	return f.sensitive === true || f.category === 'sensitive';
}

// The marks beside a field: sensitive data, only the masked view.
export function fieldMarks(ctx, f) {
	const { h } = ctx.ui;
	return [
		isSensitive(f) ? h('span', { class: 'badge sensitive' }, ctx.t('citizen.field.sensitive')) : null,
		f.masked ? h('span', { class: 'badge masked' }, ctx.t('citizen.field.masked')) : null,
	];
}

// A list of fields with their marks.
export function fieldList(ctx, fields) {
	const { h } = ctx.ui;
	return h('ul', { class: 'fields' }, (fields || []).map((f) => h('li', {}, fieldLabel(ctx, f), fieldMarks(ctx, f))));
}

// dl.facts from [[term, value], ...]; a null value leaves its pair out.
export function facts(ctx, pairs) {
	const { h } = ctx.ui;
	return h('dl', { class: 'facts' }, pairs.filter((p) => p[1] !== null && p[1] !== undefined && p[1] !== '')
		.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export function time(ctx, v) {
	return ctx.ui.h('time', { datetime: typeof v === 'string' ? v : null }, fmtTime(v));
}

// The purpose as a citizen reads it: its description, and the law it cites if any.
export function purposeText(ctx, p) {
	if (!p) return '';
	const d = inLang(ctx, p.description) || p.code || '';
	return p.legal_reference ? `${d} (${p.legal_reference})` : d;
}

// The step-up code: its label, hint and input (id must be unique on the page).
export function stepUpField(ctx, id) {
	const { h } = ctx.ui;
	const input = h('input', { id, name: 'totp', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code',
		maxlength: '6', class: 'code', 'aria-describedby': id + '-hint', required: true });
	const el = h('div', { class: 'stepup' },
		h('label', { for: id }, ctx.t('citizen.stepup.label')),
		h('span', { id: id + '-hint', class: 'hint' }, ctx.t('citizen.stepup.hint')),
		input);
	return {
		el,
		input,
		value: () => input.value.trim(),
		valid: () => /^[0-9]{6}$/.test(input.value.trim()),
	};
}

export function isReusedCode(err) {
	return !!err && err.code === REUSED;
}

// Seconds until the authenticator shows its next code (30-second steps, RFC 6238).
export function secondsToNextCode(now = Date.now()) {
	return 30 - (Math.floor(now / 1000) % 30);
}

// A message box (role=alert) of one or more paragraphs; cls 'warn' or 'ok' or none (an error).
export function alertBox(ctx, cls, ...paras) {
	const { h } = ctx.ui;
	return h('div', { class: cls ? 'alert ' + cls : 'alert', role: 'alert' }, paras.map((p) => h('p', {}, p)));
}

// What a failed step-up tells the citizen: a code just used waits for the next one (with a
// countdown), never "wrong code"; a wrong code says so; anything else as the API's problem.
export function stepUpProblem(ctx, err, done) {
	if (isReusedCode(err)) {
		const wait = err.retryAfter > 0 ? err.retryAfter : secondsToNextCode();
		return alertBox(ctx, 'warn', ctx.t('citizen.stepup.reused'),
			ctx.ui.h('span', { class: 'countdown' }, ctx.ui.countdown(wait, (s) => ctx.t('citizen.stepup.next_in', { s }), done)));
	}
	if (err && err.code === 'invalid_totp') return alertBox(ctx, null, ctx.t('citizen.stepup.wrong'));
	return ctx.ui.problem(err, done);
}

// A form's message: an error about one input, which gets the focus.
export function invalid(ctx, box, text, input) {
	ctx.ui.clear(box).append(alertBox(ctx, null, text));
	if (input) {
		input.setAttribute('aria-invalid', 'true');
		input.focus();
	}
}

// Saves obj as a JSON file the citizen keeps.
export function saveJson(ctx, filename, obj) {
	ctx.ui.download(filename, JSON.stringify(obj, null, 2) + '\n', 'application/json');
}

// A signed consent receipt ({consent_id, receipt: {receipt, alg, signature}}): what it says,
// how to withdraw, and a button to keep it as a file.
export function receiptView(ctx, res, headingLevel = 'h2') {
	const { h } = ctx.ui;
	const t = ctx.t;
	const r = (res && res.receipt && res.receipt.receipt) || {};
	const sigStatus = h('span', { class: 'verify' }, t('citizen.timeline.checking'));
	receiptSigned(ctx.api, res.receipt || {}).then((ok) => {
		sigStatus.className = 'verify ' + (ok === true ? 'verified' : ok === false ? 'failed' : '');
		sigStatus.textContent = t(ok === true ? 'citizen.receipt.valid' : ok === false ? 'citizen.receipt.invalid' : 'citizen.receipt.unchecked');
	});
	const uses = r.use_limit ? t('citizen.consent.uses_limit', { n: r.use_limit }) : t('citizen.consent.uses_unlimited_short');
	return h('section', { class: 'receipt' },
		h(headingLevel, {}, t('citizen.receipt.title')),
		h('p', {}, t('citizen.receipt.intro')),
		facts(ctx, [
			[t('citizen.receipt.number'), r.receipt_id],
			[t('citizen.label.agency'), r.agency && r.agency.name],
			[t('citizen.label.purpose'), purposeText(ctx, r.purpose)],
			[t('citizen.label.basis'), r.legal_basis ? basisText(ctx, r.legal_basis) : null],
			[t('citizen.label.fields'), fieldList(ctx, r.fields)],
			[t('citizen.label.granted'), r.granted_at ? time(ctx, r.granted_at) : null],
			[t('citizen.label.expires'), r.expires_at ? time(ctx, r.expires_at) : null],
			[t('citizen.label.uses'), uses],
			[t('citizen.receipt.signature'), sigStatus],
		]),
		h('p', {}, t('citizen.receipt.withdraw'), ' ', h('a', { href: '#/citizen/consents' }, t('citizen.nav.consents')), '.'),
		h('div', { class: 'actions' }, h('button', {
			type: 'button', class: 'secondary',
			onclick: () => saveJson(ctx, `receipt-${res.consent_id || 'consent'}.json`, res),
		}, t('citizen.receipt.download'))));
}
