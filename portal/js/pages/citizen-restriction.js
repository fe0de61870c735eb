// pages/citizen-restriction.js: restricting the processing of one's data, and lifting it, each
// with a step-up code. The page says what a restriction stops (lookups on consent) and what it
// does not (a legal obligation, a vital interest), and whether it holds now (from GET /v1/me).
import * as cc from './citizen-common.js';

export async function render(root, ctx) {
	const { h, clear } = ctx.ui;
	const t = ctx.t;
	const me = await ctx.api('GET', '/v1/me');
	// restricted: true, false, or null when this vaultd does not say (then both actions are offered)
	let restricted = typeof me.restricted === 'boolean' ? me.restricted : null;
	let since = me.restricted_since || null;

	const status = h('div', { class: 'card status', id: 'restriction-status' });
	const code = cc.stepUpField(ctx, 'restriction-code');
	const msg = h('div', { class: 'msg' });
	const buttons = h('div', { class: 'actions' });

	function draw() {
		clear(status).append(...[h('h2', {}, t('citizen.restriction.now')),
			h('p', {}, h('strong', {}, restricted === null ? t('citizen.restriction.unknown')
				: restricted ? t('citizen.restriction.on') : t('citizen.restriction.off'))),
			restricted && since ? h('p', {}, t('citizen.restriction.since'), ' ', cc.time(ctx, since)) : null].filter(Boolean));
		clear(buttons).append(...[
			restricted !== true ? h('button', { type: 'submit', value: 'set', class: restricted === null ? 'secondary' : null },
				t('citizen.restriction.set')) : null,
			restricted !== false ? h('button', { type: 'submit', value: 'lift', class: 'secondary' }, t('citizen.restriction.lift')) : null,
		].filter(Boolean));
	}

	async function submit(e) {
		e.preventDefault();
		const action = e.submitter && e.submitter.value === 'lift' ? 'lift' : 'set';
		code.input.removeAttribute('aria-invalid');
		if (!code.valid()) return cc.invalid(ctx, msg, t('citizen.stepup.invalid'), code.input);
		clear(msg);
		const btns = [...buttons.querySelectorAll('button')];
		btns.forEach((b) => { b.disabled = true; });
		try {
			const r = await ctx.api(action === 'set' ? 'PUT' : 'DELETE', '/v1/me/restriction', { totp: code.value() });
			restricted = r.restricted === true;
			since = restricted ? new Date().toISOString().replace(/\.\d+Z$/, 'Z') : null;
			code.input.value = '';
			draw();
			const text = t(restricted ? 'citizen.restriction.done_on' : 'citizen.restriction.done_off');
			msg.append(cc.alertBox(ctx, 'ok', text));
			ctx.announce(text);
		} catch (err) {
			code.input.value = '';
			const limited = err.code === 'rate_limited';
			btns.forEach((b) => { b.disabled = limited; });
			msg.append(cc.stepUpProblem(ctx, err, () => btns.forEach((b) => { b.disabled = false; })));
			if (!limited) code.input.focus();
		}
	}

	draw();
	root.append(
		h('h1', {}, t('citizen.restriction.title')),
		h('p', { class: 'lead' }, t('citizen.restriction.intro')),
		h('ul', {}, h('li', {}, t('citizen.restriction.stops')), h('li', {}, t('citizen.restriction.not_stops')),
			h('li', {}, t('citizen.restriction.consents_stay'))),
		status,
		h('form', { novalidate: true, onsubmit: submit, 'aria-label': t('citizen.restriction.form') }, code.el, msg, buttons));
}
