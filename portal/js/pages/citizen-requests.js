// pages/citizen-requests.js: the citizen's pending consent requests, each explained in plain words
// (who asks, why, on what legal basis, which fields and whether they are sensitive, how long the
// consent lasts and how long the agency keeps what it reads). The citizen approves the fields they
// choose with a step-up code, or denies; an approval shows its signed receipt.
import * as cc from './citizen-common.js';

let seq = 0; // ids of elements, unique on the page

export async function render(root, ctx) {
	const { h } = ctx.ui;
	root.append(h('h1', {}, ctx.t('citizen.requests.title')), h('p', { class: 'lead' }, ctx.t('citizen.requests.intro')));
	const list = ctx.ui.pager(async (after) => {
		const q = after ? `?limit=10&after=${encodeURIComponent(after)}` : '?limit=10';
		const r = await ctx.api('GET', '/v1/me/consent-requests' + q);
		return { items: r.requests, next: r.next };
	}, (items) => (items.length === 0 ? h('p', { class: 'muted' }, ctx.t('citizen.requests.none'))
		: h('div', {}, items.map((rq) => card(ctx, rq)))));
	root.append(list);
	await list.ready;
}

// What the request asks, in plain words.
function explain(ctx, rq) {
	const t = ctx.t;
	return cc.facts(ctx, [
		[t('citizen.label.purpose'), cc.purposeText(ctx, rq.purpose)],
		[t('citizen.label.basis'), cc.basisText(ctx, rq.legal_basis)],
		[t('citizen.requests.lasts'), t('citizen.requests.days', { n: rq.days })],
		[t('citizen.requests.keeps'), rq.retention_days === undefined || rq.retention_days === null ? null
			: t('citizen.requests.keep_days', { n: rq.retention_days })],
		[t('citizen.requests.expires'), cc.time(ctx, rq.expires_at)],
	]);
}

// One checkbox per field asked, unchecked: the citizen chooses.
function fieldChoices(ctx, rq, id) {
	const { h } = ctx.ui;
	const boxes = [];
	const rows = (rq.fields || []).map((f, i) => {
		const box = h('input', { type: 'checkbox', id: `${id}-f${i}`, name: 'fields', value: f.name });
		boxes.push(box);
		return h('div', { class: 'field-choice' }, box,
			h('label', { for: `${id}-f${i}` }, cc.fieldLabel(ctx, f), cc.fieldMarks(ctx, f)));
	});
	const any = (rq.fields || []).some((f) => cc.isSensitive(f));
	const set = h('fieldset', {}, h('legend', {}, ctx.t('citizen.requests.choose')),
		h('p', { class: 'hint' }, ctx.t('citizen.requests.choose_hint')),
		any ? h('p', { class: 'hint' }, ctx.t('citizen.requests.sensitive_hint')) : null, rows);
	return { set, boxes };
}

function card(ctx, rq) {
	const { h, clear } = ctx.ui;
	const t = ctx.t;
	const id = `rq${++seq}`;
	const agency = (rq.agency && rq.agency.name) || t('citizen.tl.an_agency');
	const sec = h('section', { class: 'card request', 'aria-labelledby': id + '-h' });
	const { set, boxes } = fieldChoices(ctx, rq, id);
	const code = cc.stepUpField(ctx, id + '-code');
	const msg = h('div', { class: 'msg' });
	const approveBtn = h('button', { type: 'submit' }, t('citizen.requests.approve'));
	const denyBtn = h('button', { type: 'button', class: 'secondary', onclick: askDeny }, t('citizen.requests.deny'));
	const confirm = h('div', { class: 'confirm' });

	function done(node, text) {
		clear(sec).append(h('h2', { id: id + '-h', tabindex: '-1' }, agency), node);
		ctx.announce(text);
		sec.querySelector('h2').focus();
	}

	async function approve(e) {
		e.preventDefault();
		boxes.forEach((b) => b.removeAttribute('aria-invalid'));
		code.input.removeAttribute('aria-invalid');
		const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
		if (chosen.length === 0) return cc.invalid(ctx, msg, t('citizen.requests.choose_one'), boxes[0]);
		if (!code.valid()) return cc.invalid(ctx, msg, t('citizen.stepup.invalid'), code.input);
		clear(msg);
		approveBtn.disabled = true;
		try {
			const res = await ctx.api('POST', `/v1/me/consent-requests/${encodeURIComponent(rq.id)}/approve`,
				{ totp: code.value(), fields: chosen });
			done(h('div', {}, cc.alertBox(ctx, 'ok', t('citizen.requests.approved', { agency, n: chosen.length })),
				cc.receiptView(ctx, res, 'h3')), t('citizen.requests.approved', { agency, n: chosen.length }));
		} catch (err) {
			code.input.value = '';
			const limited = err.code === 'rate_limited';
			approveBtn.disabled = limited;
			msg.append(cc.stepUpProblem(ctx, err, () => { approveBtn.disabled = false; }));
			if (!limited) code.input.focus();
		}
	}

	function askDeny() {
		clear(confirm).append(h('div', { class: 'alert warn' },
			h('p', {}, t('citizen.requests.deny_confirm', { agency })),
			h('div', { class: 'actions' },
				h('button', { type: 'button', class: 'danger', onclick: deny }, t('citizen.requests.deny_yes')),
				h('button', { type: 'button', class: 'secondary', onclick: () => { clear(confirm); denyBtn.focus(); } },
					t('citizen.action.cancel')))));
		confirm.querySelector('button').focus();
	}

	async function deny() {
		try {
			await ctx.api('POST', `/v1/me/consent-requests/${encodeURIComponent(rq.id)}/deny`);
			done(cc.alertBox(ctx, 'ok', t('citizen.requests.denied', { agency })), t('citizen.requests.denied', { agency }));
		} catch (err) {
			clear(confirm).append(ctx.ui.problem(err));
		}
	}

	sec.append(
		h('h2', { id: id + '-h' }, agency),
		h('p', {}, t('citizen.requests.asks', { agency })),
		explain(ctx, rq),
		h('form', { novalidate: true, onsubmit: approve, 'aria-labelledby': id + '-h' },
			set, code.el, msg, h('div', { class: 'actions' }, approveBtn, denyBtn), confirm));
	return sec;
}
