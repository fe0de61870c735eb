// test_officer_audit.mjs: an officer's audit search (filters by agency name, action, decision and
// time; paging; names, not ids; a CSV export, formula-safe) and the log's state (verified).
import assert from 'node:assert/strict';
import { openSignedIn, must, createOfficer } from './lib.mjs';
import { officerWorld, downloaded, parseCsv, tableRows, JUSTIFICATIONS, STATUTORY } from './officer_world.mjs';

const CAPTION = 'Các mục nhật ký khớp với bộ lọc';
const COL = { seq: 0, actor: 2, action: 3, agency: 4, decision: 6, reason: 7, justification: 10 };

// Runs the search and waits for its results (the section is aria-busy while they load).
async function search(page) {
	await page.getByRole('button', { name: 'Tìm kiếm' }).click();
	await page.locator('#audit-results:not([aria-busy])').waitFor();
}

async function seqs(page) {
	return (await tableRows(page, CAPTION)).map((r) => Number(r[COL.seq]));
}

export async function testAuditSearchFiltersPagesExports(env) {
	const w = await officerWorld(env.v);
	const page = await openSignedIn(env, await createOfficer(env.v), '/officer/audit');
	await page.locator('main h1', { hasText: 'Tra cứu nhật ký kiểm toán' }).waitFor();
	await page.locator('table caption', { hasText: CAPTION }).waitFor();
	await env.check(page, 'officer-audit');

	// the agency by its name; denials only: the hospital's three, with their reasons in words
	await page.getByLabel('Cơ quan').selectOption({ label: w.hospital.name });
	await page.getByLabel('Hành động').selectOption({ label: 'Tra cứu dữ liệu' });
	await page.getByLabel('Quyết định').selectOption({ label: 'Từ chối' });
	await search(page);
	let rows = await tableRows(page, CAPTION);
	const api = await must(env.v, 200, 'GET', `/v1/audit?agency_id=${w.hospital.id}&action=lookup&decision=deny`, w.api);
	assert.deepEqual(rows.map((r) => Number(r[COL.seq])), api.entries.map((e) => e.seq));
	assert.equal(rows.length, 3);
	for (const r of rows) {
		assert.equal(r[COL.agency], w.hospital.name, 'the agency by name');
		assert.equal(r[COL.actor], w.hospital.name, 'the actor by name');
		assert.equal(r[COL.decision], 'Từ chối');
		assert.ok(!r.join(' ').includes(w.hospital.id), 'no agency id on the page');
	}
	assert.deepEqual(rows.map((r) => r[COL.reason]).sort(), ['Không có công dân này', 'Không có sự đồng ý', 'Không có sự đồng ý']);
	await env.check(page, 'officer-audit-filtered');

	// a period: the entries of the day before yesterday and earlier are none
	const d = new Date(Date.now() - 2 * 86400 * 1000);
	const day = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
	await page.getByLabel('Đến ngày').fill(day);
	await search(page);
	await page.locator('#audit-results p.muted', { hasText: 'Không có mục nào.' }).waitFor();
	await page.getByLabel('Đến ngày').fill('');
	await page.getByLabel('Từ ngày').fill(day);
	await search(page);
	assert.equal((await seqs(page)).length, 3, 'from two days ago: all three');

	// every lookup: more than a page (25), paged by next and previous
	await page.getByRole('button', { name: 'Xóa bộ lọc' }).click();
	await page.getByLabel('Hành động').selectOption('lookup');
	await search(page);
	const all = await must(env.v, 200, 'GET', '/v1/audit?action=lookup&limit=1000', w.api);
	const total = STATUTORY + 3 + JUSTIFICATIONS.length + 1;
	assert.equal(all.entries.length, total);
	const first = await seqs(page);
	assert.deepEqual(first, all.entries.slice(0, 25).map((e) => e.seq));
	await page.getByRole('button', { name: 'Trang sau' }).click();
	await page.locator('.pager span', { hasText: 'Trang 2' }).waitFor();
	assert.deepEqual(await seqs(page), all.entries.slice(25).map((e) => e.seq));
	assert.ok(await page.getByRole('button', { name: 'Trang sau' }).isDisabled(), 'the last page');
	await env.check(page, 'officer-audit-page-2');

	// the CSV of the page shown: the same rows, names, the justifications defused for spreadsheets
	const csv = await downloaded(page, () => page.getByRole('button', { name: 'Tải về CSV' }).click());
	assert.match(csv.name, /\.csv$/);
	assert.ok(csv.text.startsWith('\ufeff'), 'a BOM, so that spreadsheets read UTF-8');
	const recs = parseCsv(csv.text);
	assert.equal(recs[0][COL.seq], 'Số thứ tự');
	assert.equal(recs[0][COL.justification], 'Lý do khẩn cấp');
	const body = recs.slice(1);
	assert.deepEqual(body.map((r) => Number(r[COL.seq])), all.entries.slice(25).map((e) => e.seq));
	// page 2 holds the last two emergency accesses: their justifications start with @ and -
	assert.deepEqual(body.map((r) => r[COL.justification]).filter(Boolean), JUSTIFICATIONS.slice(2).map((j) => `'${j}`));
	for (const cell of body.flat()) assert.doesNotMatch(cell, /^[=+\-@]/, 'no cell starts a formula');
	assert.ok(body.every((r) => r[COL.agency] === w.ambulance.name || r[COL.agency] === w.hospital.name));
	assert.doesNotMatch(csv.text, new RegExp(`${w.hospital.id}|${w.ambulance.id}`), 'names, not ids');

	// English one click away: the same search, in English
	await page.getByRole('button', { name: 'English' }).click();
	await page.locator('main h1', { hasText: 'Audit search' }).waitFor();
	await page.locator('table caption', { hasText: 'Log entries matching the filters' }).waitFor();
	assert.equal(await page.getByLabel('Action').inputValue(), 'lookup', 'the filters outlive the language switch');
}

// The CSV of any table: quoted cells, quotes doubled, formulas defused, numbers as they are.
export async function testCsvCells(env) {
	const w = await officerWorld(env.v);
	const page = await openSignedIn(env, await createOfficer(env.v), '/officer/log');
	const csv = await page.evaluate(async () => {
		const ui = await import('/js/ui.js');
		return ui.toCsv([{ key: 'a', label: 'A' }, { key: 'b', label: 'B, "b"' }, { key: 'c', label: 'C', csv: false }], [
			{ a: '=1+1', b: '+1', c: 'x' }, { a: '-2', b: -2, c: 'x' }, { a: '@SUM(A1)', b: ' =cmd', c: 'x' },
			{ a: '\tx', b: 'dòng\nmới', c: 'x' }, { a: 'a,b', b: null, c: 'x' }, { a: '＝1', b: 3.5, c: 'x' },
		]);
	});
	assert.equal(csv, '\ufeffA,"B, ""b"""\r\n\'=1+1,\'+1\r\n\'-2,-2\r\n\'@SUM(A1),\' =cmd\r\n\'\tx,"dòng\nmới"\r\n"a,b",\r\n\'＝1,3.5\r\n');
}

export async function testLogVerified(env) {
	const w = await officerWorld(env.v);
	const page = await openSignedIn(env, await createOfficer(env.v), '/officer/log');
	await page.locator('main h1', { hasText: 'Trạng thái nhật ký' }).waitFor();
	const verdict = page.locator('.verdict');
	await verdict.waitFor();
	assert.match(await verdict.textContent(), /Nhật ký toàn vẹn\./);
	assert.ok(await verdict.evaluate((el) => el.classList.contains('ok')));
	const v = await must(env.v, 200, 'GET', '/v1/audit/verify', w.api);
	assert.equal(v.ok, true);
	const facts = await page.locator('#log-verify dd').allTextContents();
	assert.ok(Number(facts[0].replace(/\D/g, '')) > 0, 'entries checked');
	assert.ok(Number(facts[0].replace(/\D/g, '')) <= v.entries, 'no more than the log holds now');

	// the checkpoint: the one vaultd serves, or "none yet"
	const cp = await fetch(`${env.v.base}/v1/checkpoint`);
	const box = page.locator('#log-checkpoint');
	if (cp.status === 200) {
		const j = await cp.json();
		const root = j.checkpoint.split('\n')[2];
		await box.locator('code.hash', { hasText: root }).waitFor();
	} else {
		assert.equal(cp.status, 404);
		await box.getByText('Chưa có điểm kiểm tra nào được lưu', { exact: false }).waitFor();
	}
	const keys = await must(env.v, 200, 'GET', '/v1/keys', null);
	await box.locator('code.hash', { hasText: keys.public_key }).waitFor();
	await env.check(page, 'officer-log');

	await page.getByRole('button', { name: 'Kiểm tra lại' }).click();
	await page.getByRole('button', { name: 'Kiểm tra lại' }).and(page.locator(':enabled')).waitFor();
	assert.match(await page.locator('.verdict').textContent(), /Nhật ký toàn vẹn\./);
}
