// pages/citizen-verify.js: proves in the browser that an entry of the citizen's access log is in
// the vault's audit log, with WebCrypto alone (SHA-256, Ed25519), exactly as docs/api/openapi.yaml
// describes for GET /v1/me/access-log/{seq}/proof: the signed checkpoint against the key of
// GET /v1/keys, the leaf hash of the entry's bytes, and the RFC 9162 inclusion path to the root.
// Also checks that the entry shown is the entry proved. Not a page of its own.

const enc = new TextEncoder();

function b64(s) {
	const bin = atob(s);
	const out = new Uint8Array(bin.length);
	for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
	return out;
}

function concat(...parts) {
	const n = parts.reduce((a, p) => a + p.length, 0);
	const out = new Uint8Array(n);
	let o = 0;
	for (const p of parts) {
		out.set(p, o);
		o += p.length;
	}
	return out;
}

function equal(a, b) {
	if (a.length !== b.length) return false;
	let d = 0;
	for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
	return d === 0;
}

async function sha256(...parts) {
	return new Uint8Array(await crypto.subtle.digest('SHA-256', concat(...parts)));
}

const node = (l, r) => sha256(Uint8Array.of(1), l, r);

// Whether this browser can verify at all: a secure context (https or localhost) with WebCrypto
// and Ed25519. Resolves to true or false.
export async function available() {
	if (!globalThis.isSecureContext || !globalThis.crypto || !crypto.subtle) return false;
	try {
		const k = await crypto.subtle.importKey('raw', new Uint8Array(32).fill(0x11), { name: 'Ed25519' }, false, ['verify']);
		return !!k;
	} catch {
		return false;
	}
}

// The vault's key ({public_key, key_name} of GET /v1/keys), imported: {key, name, id}.
async function importKey(keys) {
	const raw = b64(keys.public_key);
	if (raw.length !== 32 || typeof keys.key_name !== 'string') throw new Error('bad key');
	const key = await crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
	const id = (await sha256(enc.encode(keys.key_name), Uint8Array.of(0x0a, 0x01), raw)).slice(0, 4);
	return { key, name: keys.key_name, id };
}

// The root hash a signed checkpoint of size treeSize commits to, or null if it does not verify.
export async function checkpointRoot(k, note, treeSize) {
	const blank = note.indexOf('\n\n');
	if (blank < 0) return null;
	const body = note.slice(0, blank + 1);
	const lines = body.split('\n');
	if (lines.length !== 4 || lines[0] !== k.name || lines[1] !== String(treeSize)) return null;
	const root = b64(lines[2]);
	if (root.length !== 32) return null;
	const prefix = '\u2014 ' + k.name + ' ';
	for (const line of note.slice(blank + 2).split('\n')) {
		if (!line.startsWith(prefix)) continue;
		const sig = b64(line.slice(prefix.length));
		if (sig.length !== 68 || !equal(sig.slice(0, 4), k.id)) continue;
		if (await crypto.subtle.verify('Ed25519', k.key, sig.slice(4), enc.encode(body))) return root;
	}
	return null;
}

// RFC 9162, 2.1.3.2: whether leaf, at index seq of a tree of treeSize, hashes up to root.
export async function included(seq, treeSize, leaf, proof, root) {
	let fn = BigInt(seq);
	let sn = BigInt(treeSize) - 1n;
	if (fn < 0n || fn > sn) return false;
	let r = leaf;
	for (const s of proof) {
		const p = b64(s);
		if (sn === 0n || p.length !== 32) return false;
		if ((fn & 1n) === 1n || fn === sn) {
			r = await node(p, r);
			while ((fn & 1n) === 0n && fn !== 0n) {
				fn >>= 1n;
				sn >>= 1n;
			}
		} else {
			r = await node(r, p);
		}
		fn >>= 1n;
		sn >>= 1n;
	}
	return sn === 0n && equal(r, root);
}

// Whether the entry as listed (an AccessLogEntry) says what the stored bytes say: every stored
// key but `citizen` equal, `time` the same second, and no listed key the stored entry lacks
// (beside the names and the review the list adds).
export function sameEntry(listed, stored) {
	const added = ['agency_name', 'purpose_description', 'review', 'time'];
	for (const [k, v] of Object.entries(stored)) {
		if (k === 'citizen') continue;
		if (k === 'time') {
			if (Date.parse(listed.time) / 1000 !== v) return false;
		} else if (JSON.stringify(listed[k]) !== JSON.stringify(v)) {
			return false;
		}
	}
	return Object.keys(listed).every((k) => added.includes(k) || k in stored);
}

// A verifier over api: verify(entry) -> 'verified' (proved), 'failed' (the proof, the checkpoint
// or the entry does not check out) or 'error' (the vault did not answer: not a verdict). The key
// and each checkpoint are fetched and checked once.
export function verifier(api) {
	let key = null;
	const roots = new Map();
	return async function verify(entry) {
		let pr;
		let k;
		try {
			if (!key) key = api('GET', '/v1/keys').then(importKey);
			k = await key;
			pr = await api('GET', `/v1/me/access-log/${Number(entry.seq)}/proof`);
		} catch {
			key = null;
			return 'error';
		}
		try {
			if (pr.seq !== entry.seq || typeof pr.entry !== 'string' || !Array.isArray(pr.proof)) return 'failed';
			if (!sameEntry(entry, JSON.parse(pr.entry))) return 'failed';
			const ck = `${pr.tree_size}\n${pr.checkpoint}`;
			if (!roots.has(ck)) roots.set(ck, checkpointRoot(k, pr.checkpoint, pr.tree_size));
			const root = await roots.get(ck);
			if (!root) return 'failed';
			const leaf = await sha256(Uint8Array.of(0), enc.encode(pr.entry));
			return (await included(pr.seq, pr.tree_size, leaf, pr.proof, root)) ? 'verified' : 'failed';
		} catch {
			return 'failed';
		}
	};
}

// The canonical JSON the vault signs (jansson's JSON_SORT_KEYS | JSON_COMPACT): keys in byte
// order, no spaces. The texts a receipt holds escape the same way in both.
function canonical(v) {
	if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
	if (v !== null && typeof v === 'object') {
		const keys = Object.keys(v).sort((a, b) => {
			const x = enc.encode(a);
			const y = enc.encode(b);
			for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
			return x.length - y.length;
		});
		return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
	}
	return JSON.stringify(v);
}

// Whether a consent receipt ({receipt, alg, signature}) is signed by the vault's key: true,
// false, or null when this browser cannot tell (no Ed25519, or the key could not be read).
export async function receiptSigned(api, signed) {
	if (!(await available())) return null;
	let key;
	try {
		const keys = await api('GET', '/v1/keys');
		key = await crypto.subtle.importKey('raw', b64(keys.public_key), { name: 'Ed25519' }, false, ['verify']);
	} catch {
		return null;
	}
	try {
		const sig = b64(signed.signature);
		return sig.length === 64 && signed.alg === 'Ed25519' &&
			(await crypto.subtle.verify('Ed25519', key, sig, enc.encode(canonical(signed.receipt))));
	} catch {
		return false;
	}
}
