// pages/citizen-data.js: the citizen's own data: downloaded whole as JSON (GET /v1/me/export) or
// shown as a page to print; a request to correct a field (a registrar answers it), and the
// state of the citizen's correction requests.
import * as cc from './citizen-common.js';
import { fmtNumber } from '../i18n.js';
import { sentence } from './citizen-timeline.js';

export async function render(root, ctx) {
	const { h } = ctx.ui;
	const t = ctx.t;
	const printable = h('div', { class: 'printable' });
	const exportMsg = h('div', { class: 'msg' });
	const corrections = h('div', {});

	async function getExport() {
		ctx.ui.clear(exportMsg);
		try {
			return await ctx.api('GET', '/v1/me/export');
		} catch (err) {
			exportMsg.append(ctx.ui.problem(err));
			return null;
		}
	}

	async function download() {
		const data = await getExport();
		if (!data) return;
		cc.saveJson(ctx, 'vaultd-my-data.json', data);
		ctx.announce(t('citizen.data.downloaded'));
	}

	async function showPrintable() {
		const data = await getExport();
		if (!data) return;
		ctx.ui.clear(printable).append(printView(ctx, data));
		printable.querySelector('h2').focus();
	}

	root.append(
		h('h1', {}, t('citizen.data.title')),
		h('section', { class: 'no-print', 'aria-labelledby': 'data-export-h' },
			h('h2', { id: 'data-export-h' }, t('citizen.data.export_title')),
			h('p', {}, t('citizen.data.export_intro')),
			h('div', { class: 'actions' },
				h('button', { type: 'button', onclick: download }, t('citizen.data.download')),
				h('button', { type: 'button', class: 'secondary', onclick: showPrintable }, t('citizen.data.show_print'))),
			exportMsg),
		printable,
		h('section', { class: 'no-print', 'aria-labelledby': 'data-fix-h' },
			h('h2', { id: 'data-fix-h' }, t('citizen.data.fix_title')),
			h('p', {}, t('citizen.data.fix_intro')),
			correctionForm(ctx, () => loadCorrections(ctx, corrections))),
		h('section', { class: 'no-print', 'aria-labelledby': 'data-mine-h' },
			h('h2', { id: 'data-mine-h' }, t('citizen.data.mine_title')),
			corrections));
	await loadCorrections(ctx, corrections);
}

// ---- the page to print ----

function valueText(ctx, name, v) {
	if (typeof v === 'number') return fmtNumber(v);
	const f = cc.CATALOG.find((x) => x.name === name);
	if (f && f.values) return cc.tOr(ctx, `citizen.value.${name}.${v}`, String(v));
	return String(v ?? '');
}

function printView(ctx, data) {
	const { h } = ctx.ui;
	const t = ctx.t;
	const fields = Object.entries(data.fields || {});
	const consents = (data.consents && data.consents.items) || [];
	const log = (data.access_log && data.access_log.entries) || [];
	return h('section', { class: 'card print-view', 'aria-labelledby': 'data-print-h' },
		h('h2', { id: 'data-print-h', tabindex: '-1' }, t('citizen.data.print_title')),
		h('p', {}, t('citizen.data.exported_at'), ' ', cc.time(ctx, data.exported_at)),
		h('h3', {}, t('citizen.data.record')),
		cc.facts(ctx, fields.map(([k, v]) => [cc.fieldLabel(ctx, k), valueText(ctx, k, v)])),
		h('h3', {}, t('citizen.restriction.now')),
		h('p', {}, data.restriction && data.restriction.restricted ? t('citizen.restriction.on') : t('citizen.restriction.off')),
		h('h3', {}, t('citizen.consents.title')),
		consents.length === 0 ? h('p', {}, t('citizen.consents.none')) : h('ul', {}, consents.map((c) => h('li', {},
			`${(c.agency && c.agency.name) || ''}: ${cc.purposeText(ctx, c.purpose)} (${cc.tOr(ctx, 'citizen.state.' + (c.state || c.status), c.state || c.status)})`))),
		h('h3', {}, t('citizen.timeline.title')),
		h('p', {}, t('citizen.data.log_count', { n: log.length })),
		h('ol', { class: 'print-log' }, log.map((e) => h('li', {}, cc.time(ctx, e.time), ' ', sentence(ctx, e)))),
		h('div', { class: 'actions no-print' }, h('button', { type: 'button', onclick: () => window.print() }, t('citizen.data.print'))));
}

// ---- corrections ----

// The value input for a field: a choice for an enumerated field, else text (a date as YYYY-MM-DD).
function valueInput(ctx, f) {
	const { h } = ctx.ui;
	const attrs = { id: 'fix-value', name: 'value', required: true, 'aria-describedby': 'fix-value-hint' };
	if (f.values) {
		return h('select', attrs, f.values.map((v) => h('option', { value: v }, cc.tOr(ctx, `citizen.value.${f.name}.${v}`, v))));
	}
	return h('input', { ...attrs, type: 'text', maxlength: '500', inputmode: f.type === 'integer' ? 'numeric' : null,
		autocomplete: 'off' });
}

function valueHint(ctx, f) {
	if (f.type === 'date') return ctx.t('citizen.data.hint_date');
	if (f.type === 'integer') return ctx.t('citizen.data.hint_integer');
	return ctx.t('citizen.data.hint_text');
}

function correctionForm(ctx, reload) {
	const { h, clear } = ctx.ui;
	const t = ctx.t;
	const field = h('select', { id: 'fix-field', name: 'field', required: true },
		cc.CATALOG.map((f) => h('option', { value: f.name }, cc.fieldLabel(ctx, f.name))));
	const slot = h('div', {});
	const note = h('textarea', { id: 'fix-note', name: 'note', rows: '3', maxlength: '500', 'aria-describedby': 'fix-note-hint' });
	const msg = h('div', { class: 'msg' });
	const submit = h('button', { type: 'submit' }, t('citizen.data.fix_submit'));
	let input = null;
	let spec = cc.CATALOG[0];

	function pick() {
		spec = cc.CATALOG.find((f) => f.name === field.value) || cc.CATALOG[0];
		input = valueInput(ctx, spec);
		clear(slot).append(h('label', { for: 'fix-value' }, t('citizen.data.fix_value')),
			h('span', { id: 'fix-value-hint', class: 'hint' }, valueHint(ctx, spec)), input);
	}

	async function send(e) {
		e.preventDefault();
		input.removeAttribute('aria-invalid');
		let value = input.value.trim();
		if (!value) return cc.invalid(ctx, msg, t('citizen.data.fix_empty'), input);
		if (spec.type === 'integer') {
			if (!/^[0-9]{1,16}$/.test(value)) return cc.invalid(ctx, msg, t('citizen.data.hint_integer'), input);
			value = Number(value);
		}
		if (spec.type === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(value)) return cc.invalid(ctx, msg, t('citizen.data.hint_date'), input);
		const body = { field: spec.name, value };
		if (note.value.trim()) body.note = note.value.trim();
		clear(msg);
		submit.disabled = true;
		try {
			await ctx.api('POST', '/v1/me/corrections', body);
			if (input.tagName === 'INPUT') input.value = '';
			note.value = '';
			msg.append(cc.alertBox(ctx, 'ok', t('citizen.data.fix_sent')));
			ctx.announce(t('citizen.data.fix_sent'));
			await reload();
		} catch (err) {
			msg.append(ctx.ui.problem(err));
		} finally {
			submit.disabled = false;
		}
	}

	field.addEventListener('change', pick);
	pick();
	return h('form', { novalidate: true, onsubmit: send, 'aria-labelledby': 'data-fix-h' },
		h('label', { for: 'fix-field' }, t('citizen.data.fix_field')), field,
		slot,
		h('label', { for: 'fix-note' }, t('citizen.data.fix_note')),
		h('span', { id: 'fix-note-hint', class: 'hint' }, t('citizen.data.fix_note_hint')), note,
		msg, h('div', { class: 'actions' }, submit));
}

async function loadCorrections(ctx, box) {
	const t = ctx.t;
	const list = ctx.ui.pager(async (after) => {
		const q = after ? `?limit=20&after=${encodeURIComponent(after)}` : '?limit=20';
		const r = await ctx.api('GET', '/v1/me/corrections' + q);
		return { items: r.corrections, next: r.next };
	}, (items) => ctx.ui.table([
		{ key: 'field', label: t('citizen.data.col_field'), cell: (r) => cc.fieldLabel(ctx, r.field), csv: (r) => r.field },
		{ key: 'value', label: t('citizen.data.col_value'), cell: (r) => valueText(ctx, r.field, r.value) },
		{ key: 'state', label: t('citizen.data.col_state'), cell: (r) => cc.tOr(ctx, 'citizen.fix.' + r.state, r.state), csv: (r) => r.state },
		{ key: 'created_at', label: t('citizen.data.col_created'), cell: (r) => cc.time(ctx, r.created_at) },
		{ key: 'note', label: t('citizen.data.col_note'), cell: (r) => r.note || '' },
		{ key: 'reason', label: t('citizen.data.col_reason'), cell: (r) => r.reason || '' },
	], items, { caption: t('citizen.data.mine_title'), filename: 'my-corrections.csv' }));
	ctx.ui.clear(box).append(list);
	await list.ready;
}
