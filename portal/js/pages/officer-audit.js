// pages/officer-audit.js: the audit search: filters (agency by name, action, decision, a period of
// local days), pages over GET /v1/audit's after/next, names instead of ids, and CSV export.
import { fmtTime } from '../i18n.js';
import {
	agencyNames, actionText, decisionText, reasonText, basisText, actorText, purposeText, ACTIONS,
	dayField, selectField, isDay, localDaySeconds, isoTime,
} from './officer-common.js';

const PAGE = 25;
// The filters outlive a re-render (the language switch): {agency, action, decision, from, to}.
const filters = { agency: '', action: '', decision: '', from: '', to: '' };

// The query of the filters: "&agency_id=…" and so on ('' when none).
export function auditQuery(f) {
	const q = [];
	if (f.agency) q.push(['agency_id', f.agency]);
	if (f.action) q.push(['action', f.action]);
	if (f.decision) q.push(['decision', f.decision]);
	if (f.from) q.push(['from', String(localDaySeconds(f.from))]);
	if (f.to) q.push(['to', String(localDaySeconds(f.to, true))]);
	return q.map(([k, v]) => `&${k}=${encodeURIComponent(v)}`).join('');
}

function columns(t, agencies, names) {
	const agencyName = (id) => (id ? names.agencies[id] || agencies.get(id) || id : '');
	const purpose = (id) => (id ? purposeText(names.purposes[id], id) : '');
	return [
		{ key: 'seq', label: t('officer.col.seq'), num: true },
		{ key: 'time', label: t('officer.col.time'), cell: (e) => fmtTime(e.time), csv: (e) => isoTime(e.time) },
		{ key: 'actor', label: t('officer.col.actor'), cell: (e) => actorText(e.actor, agencies), csv: (e) => actorText(e.actor, agencies) },
		{ key: 'action', label: t('officer.col.action'), cell: (e) => actionText(e.action), csv: (e) => actionText(e.action) },
		{ key: 'agency', label: t('officer.col.agency'), cell: (e) => agencyName(e.agency), csv: (e) => agencyName(e.agency) },
		{ key: 'purpose', label: t('officer.col.purpose'), cell: (e) => purpose(e.purpose), csv: (e) => purpose(e.purpose) },
		{ key: 'decision', label: t('officer.col.decision'), cell: (e) => decisionText(e.decision), csv: (e) => decisionText(e.decision) },
		{ key: 'reason', label: t('officer.col.reason'), cell: (e) => (e.decision === 'deny' ? reasonText(e.reason) : ''),
			csv: (e) => (e.decision === 'deny' ? reasonText(e.reason) : '') },
		{ key: 'basis', label: t('officer.col.basis'), cell: (e) => basisText(e.basis), csv: (e) => basisText(e.basis) },
		{ key: 'fields', label: t('officer.col.fields'), cell: (e) => (e.fields || []).join(', '), csv: (e) => (e.fields || []).join(' ') },
		{ key: 'justification', label: t('officer.col.justification') },
	];
}

function form(ctx, agencies, onSearch) {
	const { h } = ctx.ui;
	const t = ctx.t;
	const errors = h('div', {});
	const byName = [...agencies.entries()].sort((a, b) => a[1].localeCompare(b[1], ctx.lang));
	const agency = selectField(h, 'audit-agency', t('officer.audit.agency'), [['', t('officer.audit.any_agency')], ...byName], filters.agency);
	const action = selectField(h, 'audit-action', t('officer.audit.action'),
		[['', t('officer.audit.any_action')], ...ACTIONS.map((a) => [a, actionText(a)])], filters.action);
	const decision = selectField(h, 'audit-decision', t('officer.audit.decision'),
		[['', t('officer.audit.any_decision')], ['allow', decisionText('allow')], ['deny', decisionText('deny')]], filters.decision);
	const from = dayField(h, 'audit-from', t('officer.audit.from'), filters.from);
	const to = dayField(h, 'audit-to', t('officer.audit.to'), filters.to);
	const read = () => ({ agency: agency[1].value, action: action[1].value, decision: decision[1].value, from: from[2].value, to: to[2].value });
	async function submit(e) {
		e.preventDefault();
		ctx.ui.clear(errors);
		const f = read();
		if ((f.from && !isDay(f.from)) || (f.to && !isDay(f.to)) || (f.from && f.to && f.from > f.to)) {
			errors.append(h('div', { class: 'alert', role: 'alert' }, h('p', {}, t('officer.period_invalid'))));
			from[2].focus();
			return;
		}
		Object.assign(filters, f);
		await onSearch();
	}
	function reset() {
		Object.assign(filters, { agency: '', action: '', decision: '', from: '', to: '' });
		agency[1].value = action[1].value = decision[1].value = from[2].value = to[2].value = '';
		onSearch();
	}
	return h('form', { class: 'filters', role: 'search', 'aria-label': t('officer.audit.filters'), novalidate: true, onsubmit: submit },
		h('div', { class: 'filter-grid' }, h('div', {}, agency), h('div', {}, action), h('div', {}, decision),
			h('div', {}, from), h('div', {}, to)),
		errors,
		h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('officer.audit.search')),
			h('button', { type: 'button', class: 'secondary', onclick: reset }, t('officer.audit.reset'))));
}

export async function render(root, ctx) {
	const { h, clear } = ctx.ui;
	const t = ctx.t;
	const agencies = await agencyNames(ctx.api);
	const results = h('section', { id: 'audit-results', 'aria-labelledby': 'audit-results-h' });
	async function search() {
		const q = auditQuery(filters);
		const pager = ctx.ui.pager(async (after) => {
			const a = after === undefined ? '' : `&after=${after}`;
			const res = await ctx.api('GET', `/v1/audit?limit=${PAGE}${q}${a}`);
			return { items: (res.entries || []).map((e) => ({ ...e, names: res.names })), next: res.next };
		}, (items) => {
			const names = items.length ? items[0].names : { agencies: {}, purposes: {} };
			ctx.announce(t('officer.audit.shown', { n: items.length }));
			return ctx.ui.table(columns(t, agencies, names), items, { caption: t('officer.audit.caption'), filename: 'audit.csv' });
		});
		results.setAttribute('aria-busy', 'true');
		clear(results).append(h('h2', { id: 'audit-results-h' }, t('officer.audit.results')), pager);
		await pager.ready;
		results.removeAttribute('aria-busy');
	}
	root.append(h('h1', {}, t('officer.audit.title')), form(ctx, agencies, search), results);
	await search();
}
