// pages/sign-in.js: a citizen (national ID) or an officer (officer ID) signs in with a TOTP code.
export async function render(root, ctx) {
	const { h } = ctx.ui;
	const t = ctx.t;
	let who = 'citizen';

	const idInput = h('input', { id: 'signin-id', name: 'id', type: 'text', inputmode: 'numeric', autocomplete: 'off',
		spellcheck: 'false', maxlength: '12', 'aria-describedby': 'signin-id-hint', required: true });
	const idLabel = h('label', { for: 'signin-id' });
	const idHint = h('span', { id: 'signin-id-hint', class: 'hint' });
	const code = h('input', { id: 'signin-code', name: 'totp', type: 'text', inputmode: 'numeric',
		autocomplete: 'one-time-code', maxlength: '6', class: 'code', 'aria-describedby': 'signin-code-hint', required: true });
	const errors = h('div', { id: 'signin-errors' });
	const submit = h('button', { type: 'submit' }, t('signin.submit'));

	function choose(kind) {
		who = kind;
		idLabel.textContent = t(kind === 'citizen' ? 'signin.nid' : 'signin.officer_id');
		idHint.textContent = t(kind === 'citizen' ? 'signin.nid_hint' : 'signin.officer_id_hint');
		idInput.setAttribute('inputmode', kind === 'citizen' ? 'numeric' : 'text');
		idInput.setAttribute('maxlength', kind === 'citizen' ? '12' : '40');
		idInput.value = '';
		ctx.ui.clear(errors);
	}

	function radio(kind, key) {
		return h('label', {}, h('input', { type: 'radio', name: 'who', value: kind, checked: kind === who,
			onchange: () => choose(kind) }), t(key));
	}

	function invalid(key, field) {
		ctx.ui.clear(errors).append(h('div', { class: 'alert', role: 'alert' }, h('p', {}, t(key))));
		field.setAttribute('aria-invalid', 'true');
		field.focus();
	}

	async function onSubmit(e) {
		e.preventDefault();
		idInput.removeAttribute('aria-invalid');
		code.removeAttribute('aria-invalid');
		const id = idInput.value.trim();
		const totp = code.value.trim();
		if (who === 'citizen' && !/^[0-9]{12}$/.test(id)) return invalid('signin.nid_invalid', idInput);
		if (who === 'officer' && !/^[A-Za-z0-9_]{1,40}$/.test(id)) return invalid('signin.officer_id_invalid', idInput);
		if (!/^[0-9]{6}$/.test(totp)) return invalid('signin.code_invalid', code);
		submit.disabled = true;
		submit.textContent = t('signin.busy');
		ctx.ui.clear(errors);
		try {
			const session = await ctx.signIn(who === 'citizen' ? { national_id: id, totp } : { officer_id: id, totp });
			ctx.announce(t('signin.welcome'));
			ctx.signedIn(session);
		} catch (err) {
			code.value = '';
			submit.textContent = t('signin.submit');
			const limited = err.code === 'rate_limited';
			submit.disabled = limited;
			errors.append(ctx.ui.problem(err, () => { submit.disabled = false; }));
			if (!limited) code.focus();
		}
	}

	root.append(
		h('h1', {}, t('signin.title')),
		h('form', { novalidate: true, onsubmit: onSubmit },
			h('fieldset', {}, h('legend', {}, t('signin.who')),
				h('div', { class: 'choice' }, radio('citizen', 'signin.citizen'), radio('officer', 'signin.officer'))),
			idLabel, idHint, idInput,
			h('label', { for: 'signin-code' }, t('signin.code')),
			h('span', { id: 'signin-code-hint', class: 'hint' }, t('signin.code_hint')),
			code,
			errors,
			h('div', { class: 'actions' }, submit)));
	choose('citizen');
}
