// pages/officer-reviews.js: the emergency review queue. Each vital-interest access, pending or
// decided (GET /v1/reviews?state=pending|decided|all); a pending one is decided justified or
// unjustified with a reason (POST /v1/reviews/{access_id}); a decided one stays in view with its outcome.
import { fmtTime } from '../i18n.js';
import { agencyNames, purposeText, stateText, isoTime } from './officer-common.js';

const PAGE = 20;
const NOTE_MAX = 1000; // bytes of UTF-8, as the API counts them
const view = { state: 'pending' }; // outlives a re-render (the language switch)

// An access's state in words: pending, or its outcome.
function outcome(r) {
	return r.review ? stateText(r.review.outcome) : stateText(r.state || 'pending');
}

function columns(ctx, agencies, names, onDecide) {
	const t = ctx.t;
	const { h } = ctx.ui;
	const agency = (r) => (r.entry.agency ? names.agencies[r.entry.agency] || agencies.get(r.entry.agency) || r.entry.agency : '');
	const purpose = (r) => (r.entry.purpose ? purposeText(names.purposes[r.entry.purpose], r.entry.purpose) : '');
	const rv = (r, k) => (r.review && r.review[k]) || '';
	return [
		{ key: 'access_id', label: t('officer.col.access_id'), num: true },
		{ key: 'state', label: t('officer.col.state'), cell: (r) => h('span', { class: `state state-${r.review ? r.review.outcome : 'pending'}` }, outcome(r)), csv: outcome },
		{ key: 'note', label: t('officer.col.note'), cell: (r) => rv(r, 'note'), csv: (r) => rv(r, 'note') },
		{ key: 'act', label: t('officer.col.act'), csv: false, cell: (r) => (r.review ? ''
			: h('button', { type: 'button', class: 'secondary', 'aria-label': t('officer.reviews.decide_n', { n: r.access_id }),
				onclick: () => onDecide(r) }, t('officer.reviews.decide'))) },

		{ key: 'agency', label: t('officer.col.agency'), cell: agency, csv: agency },
		{ key: 'justification', label: t('officer.col.justification'), cell: (r) => r.entry.justification || '', csv: (r) => r.entry.justification || '' },
		{ key: 'time', label: t('officer.col.time'), cell: (r) => fmtTime(r.entry.time), csv: (r) => isoTime(r.entry.time) },
		{ key: 'purpose', label: t('officer.col.purpose'), cell: purpose, csv: purpose },
		{ key: 'fields', label: t('officer.col.fields'), cell: (r) => (r.entry.fields || []).join(', '), csv: (r) => (r.entry.fields || []).join(' ') },
		{ key: 'reviewer', label: t('officer.col.reviewer'), cell: (r) => rv(r, 'reviewer'), csv: (r) => rv(r, 'reviewer') },
		{ key: 'reviewed_at', label: t('officer.col.reviewed_at'), cell: (r) => (r.review ? fmtTime(r.review.reviewed_at) : ''),
			csv: (r) => (r.review ? isoTime(r.review.reviewed_at) : '') },
	];
}

// The form that decides access r; done(review) after the API recorded it.
function decideForm(ctx, r, done, cancel) {
	const { h, clear } = ctx.ui;
	const t = ctx.t;
	const errors = h('div', {});
	const note = h('textarea', { id: 'review-note', name: 'note', rows: '4', maxlength: String(NOTE_MAX), required: true,
		'aria-describedby': 'review-note-hint' });
	const radio = (v) => h('label', {}, h('input', { type: 'radio', name: 'outcome', value: v, required: true }), stateText(v));
	const submit = h('button', { type: 'submit' }, t('officer.reviews.submit'));
	function invalid(key, field) {
		clear(errors).append(h('div', { class: 'alert', role: 'alert' }, h('p', {}, t(key))));
		field.setAttribute('aria-invalid', 'true');
		field.focus();
	}
	async function onSubmit(e) {
		e.preventDefault();
		const chosen = form.querySelector('input[name="outcome"]:checked');
		const text = note.value.trim();
		note.removeAttribute('aria-invalid');
		if (!chosen) return invalid('officer.reviews.outcome_missing', form.querySelector('input[name="outcome"]'));
		if (!text) return invalid('officer.reviews.note_missing', note);
		if (new TextEncoder().encode(text).length > NOTE_MAX) return invalid('officer.reviews.note_long', note);
		submit.disabled = true;
		clear(errors);
		try {
			await ctx.api('POST', `/v1/reviews/${r.access_id}`, { outcome: chosen.value, note: text });
			done({ outcome: chosen.value, note: text, reviewed_at: new Date().toISOString() });
		} catch (err) {
			submit.disabled = false;
			errors.append(ctx.ui.problem(err));
		}
	}
	const form = h('form', { class: 'card', novalidate: true, onsubmit: onSubmit, 'aria-labelledby': 'review-form-h' },
		h('h2', { id: 'review-form-h', tabindex: '-1' }, t('officer.reviews.form_title', { n: r.access_id })),
		h('fieldset', {}, h('legend', {}, t('officer.reviews.outcome')),
			h('div', { class: 'choice' }, radio('justified'), radio('unjustified'))),
		h('label', { for: 'review-note' }, t('officer.reviews.note')),
		h('span', { id: 'review-note-hint', class: 'hint' }, t('officer.reviews.note_hint')),
		note, errors,
		h('div', { class: 'actions' }, submit, h('button', { type: 'button', class: 'secondary', onclick: cancel }, t('officer.reviews.cancel'))));
	return form;
}

export async function render(root, ctx) {
	const { h, clear } = ctx.ui;
	const t = ctx.t;
	const agencies = await agencyNames(ctx.api);
	const list = h('section', { 'aria-labelledby': 'reviews-list-h' });
	const formBox = h('div', {});

	async function load() {
		clear(formBox);
		const pager = ctx.ui.pager(async (after) => {
			const a = after === undefined ? '' : `&after=${after}`;
			const res = await ctx.api('GET', `/v1/reviews?state=${view.state}&limit=${PAGE}${a}`);
			return { items: { reviews: res.reviews || [], names: res.names || { agencies: {}, purposes: {} } }, next: res.next };
		}, (page) => {
			const box = h('div', {});
			const draw = () => clear(box).append(ctx.ui.table(columns(ctx, agencies, page.names, decide), page.reviews,
				{ caption: t(`officer.reviews.caption_${view.state}`), filename: 'emergency-reviews.csv' }));
			// r is decided: its row stays, with the outcome, whatever the filter
			function decide(r) {
				clear(formBox).append(decideForm(ctx, r, (review) => {
					r.state = 'decided';
					r.review = { ...review, reviewer: r.review && r.review.reviewer };
					clear(formBox).append(h('div', { class: 'alert ok', role: 'status' },
						t('officer.reviews.done', { n: r.access_id, outcome: stateText(review.outcome) })));
					draw();
					ctx.announce(t('officer.reviews.done', { n: r.access_id, outcome: stateText(review.outcome) }));
				}, () => clear(formBox)));
				formBox.querySelector('h2').focus();
			}
			draw();
			return box;
		});
		clear(list).append(h('h2', { id: 'reviews-list-h' }, t('officer.reviews.list')), pager);
		await pager.ready;
	}

	const states = ['pending', 'decided', 'all'];
	const filter = h('fieldset', { class: 'filters' }, h('legend', {}, t('officer.reviews.show')),
		h('div', { class: 'choice' }, states.map((s) => h('label', {}, h('input', { type: 'radio', name: 'review-state', value: s,
			checked: view.state === s, onchange: () => { view.state = s; load(); } }), t(`officer.reviews.state_${s}`)))));
	root.append(h('h1', {}, t('officer.reviews.title')), h('p', {}, t('officer.reviews.intro')), filter, list, formBox);
	await load();
}
