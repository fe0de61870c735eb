// i18n.js: the portal's words in Vietnamese (first) and English. Dictionaries are split by area
// (lang/<lang>/{common,citizen,officer}.js) so that pages of different areas never edit one file.
import viCommon from './lang/vi/common.js';
import viCitizen from './lang/vi/citizen.js';
import viOfficer from './lang/vi/officer.js';
import enCommon from './lang/en/common.js';
import enCitizen from './lang/en/citizen.js';
import enOfficer from './lang/en/officer.js';

const dicts = {
	vi: { ...viCommon, ...viCitizen, ...viOfficer },
	en: { ...enCommon, ...enCitizen, ...enOfficer },
};
export const LANGS = ['vi', 'en'];
const KEY = 'vaultd.lang'; // a preference, not a secret: the only thing the portal stores

function stored() {
	try {
		const l = localStorage.getItem(KEY);
		return LANGS.includes(l) ? l : null;
	} catch {
		return null;
	}
}

let lang = stored() || 'vi';
document.documentElement.lang = lang;

export function getLang() {
	return lang;
}

export function setLang(l) {
	if (!LANGS.includes(l)) return;
	lang = l;
	document.documentElement.lang = l;
	try {
		localStorage.setItem(KEY, l);
	} catch {
		/* private mode: the choice lasts for this page */
	}
}

// t('key', {n: 3}): the text of key in the current language, {name} replaced by vars.name.
// A key missing in English falls back to Vietnamese, then to the key itself (visible, so it gets fixed).
export function t(key, vars) {
	let s = dicts[lang][key] ?? dicts.vi[key] ?? key;
	if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
	return s;
}

export function has(key) {
	return key in dicts[lang] || key in dicts.vi;
}

const locales = { vi: 'vi-VN', en: 'en-GB' };

// A time (RFC 3339 string, or seconds since the epoch) as the reader's language writes it.
export function fmtTime(v) {
	const d = typeof v === 'number' ? new Date(v * 1000) : new Date(v);
	if (Number.isNaN(d.getTime())) return String(v ?? '');
	return new Intl.DateTimeFormat(locales[lang], { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

export function fmtDate(v) {
	const d = typeof v === 'number' ? new Date(v * 1000) : new Date(v);
	if (Number.isNaN(d.getTime())) return String(v ?? '');
	return new Intl.DateTimeFormat(locales[lang], { dateStyle: 'medium' }).format(d);
}

export function fmtNumber(n) {
	return new Intl.NumberFormat(locales[lang]).format(n);
}
