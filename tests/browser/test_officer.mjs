// test_officer.mjs: an officer's story: signing in, the dashboard's figures equal to the API's (its
// accessible tables and their CSV), and an emergency access reviewed with a reason that stays
// visible as decided.
import assert from 'node:assert/strict';
import { openSignedIn, must, createOfficer, freshCode } from './lib.mjs';
import { officerWorld, downloaded, parseCsv, tableRows, JUSTIFICATIONS } from './officer_world.mjs';

// The review table's columns: the state and its reason first, so that a phone shows them unscrolled.
const R = { state: 1, note: 2, agency: 4, justification: 5, reviewer: 9 };
const num = (s) => Number(String(s).replace(/[^\d]/g, ''));

// The dashboard as the page shows it: its tables' rows, captioned as the page captions them.
async function shown(page) {
	return {
		perDay: await tableRows(page, 'Lượt tra cứu theo ngày và cơ quan'),
		perAgency: await tableRows(page, 'Tổng theo cơ quan'),
		reasons: await tableRows(page, 'Lượt bị từ chối theo lý do'),
		emergency: await tableRows(page, 'Truy cập khẩn cấp theo trạng thái xem xét'),
		figures: (await page.locator('.figure-n').allTextContents()).map(num),
	};
}

// The same figures from GET /v1/reports/dashboard, in the tables' order.
function expected(d) {
	const perDay = [];
	for (const a of d.agencies) for (const x of a.days) perDay.push([x.day, a.agency.name, x.allowed, x.denied]);
	perDay.sort((p, q) => (p[0] === q[0] ? p[1].localeCompare(q[1], 'vi') : p[0] < q[0] ? -1 : 1));
	return {
		perDay,
		perAgency: d.agencies.map((a) => [a.agency.name, a.allowed, a.denied, a.emergency.pending, a.emergency.justified, a.emergency.unjustified]),
		reasons: Object.entries(d.denials_by_reason).sort((p, q) => q[1] - p[1] || p[0].localeCompare(q[0])),
		emergency: [d.emergency.pending, d.emergency.justified, d.emergency.unjustified],
		figures: [d.lookups.allowed, d.lookups.denied, d.emergency.total],
	};
}

function assertSame(page, api) {
	assert.deepEqual(page.perDay.map((r) => [r[0], r[1], num(r[2]), num(r[3])]), api.perDay);
	assert.deepEqual(page.perAgency.map((r) => [r[0], ...r.slice(1).map(num)]), api.perAgency);
	assert.deepEqual(page.reasons.map((r) => [r[1], num(r[2])]), api.reasons);
	assert.deepEqual(page.emergency.map((r) => num(r[1])), api.emergency);
	assert.deepEqual(page.figures, api.figures);
}

export async function testOfficerSignsInAndSeesTheDashboard(env) {
	const w = await officerWorld(env.v);
	const me = await createOfficer(env.v, 'Phạm Quốc Việt');
	const page = await env.newPage();
	await page.goto(`${env.v.base}/#/sign-in`);
	await page.getByLabel('Cán bộ bảo vệ dữ liệu').check();
	await page.getByLabel('Mã cán bộ').fill(me.id);
	await page.getByLabel('Mã xác thực').fill(await freshCode(me));
	await page.getByRole('button', { name: 'Đăng nhập' }).click();
	await page.locator('main h1', { hasText: 'Tổng quan' }).waitFor();
	await page.locator('table caption', { hasText: 'Tổng theo cơ quan' }).waitFor();

	// the default period (the last 30 days): the figures are the API's, to the lookup
	const d = await must(env.v, 200, 'GET', '/v1/reports/dashboard', w.api);
	assert.equal(d.lookups.allowed, 20 + JUSTIFICATIONS.length, 'the world is as built');
	assert.equal(d.lookups.denied, 4);
	const seen = await shown(page);
	assertSame(seen, expected(d));
	assert.deepEqual(seen.perAgency.map((r) => r[0]).sort(), [w.ambulance.name, w.hospital.name].sort(), 'agencies by name');
	assert.deepEqual(seen.reasons.map((r) => r[0]).sort(), ['Không có công dân này', 'Không có sự đồng ý', 'Thiếu lý do khẩn cấp'].sort());
	assert.equal(await page.getByLabel('Từ ngày').inputValue(), d.from);
	assert.equal(await page.getByLabel('Đến ngày').inputValue(), d.to);
	// three plots, each a labelled image drawn on a canvas, each with a text summary
	const plots = page.locator('figure .chart[role="img"]');
	assert.equal(await plots.count(), 3);
	for (let i = 0; i < 3; i++) {
		await plots.nth(i).locator('canvas').waitFor();
		assert.ok((await plots.nth(i).getAttribute('aria-label')).length > 20);
	}
	assert.match(await plots.nth(0).getAttribute('aria-label'), new RegExp(`${d.lookups.allowed} lượt được phép`));
	await env.check(page, 'officer-dashboard');

	// the per-day table's CSV: the same figures
	const block = page.locator('.table-block', { has: page.locator('caption', { hasText: 'Lượt tra cứu theo ngày và cơ quan' }) });
	const csv = await downloaded(page, () => block.getByRole('button', { name: 'Tải về CSV' }).click());
	assert.equal(csv.name, `lookups-per-agency-per-day_${d.from}_${d.to}.csv`);
	const recs = parseCsv(csv.text);
	assert.deepEqual(recs[0], ['Ngày (UTC)', 'Cơ quan', 'Được phép', 'Bị từ chối']);
	assert.deepEqual(recs.slice(1).map((r) => [r[0], r[1], Number(r[2]), Number(r[3])]), expected(d).perDay);

	// a chosen period: yesterday and today, then a month long past with nothing in it
	const today = d.to;
	const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86400000).toISOString().slice(0, 10);
	await page.getByLabel('Từ ngày').fill(yesterday);
	await page.getByRole('button', { name: 'Xem' }).click();
	await page.locator('.period', { hasText: `Từ ${yesterday} đến ${today}` }).waitFor();
	const d2 = await must(env.v, 200, 'GET', `/v1/reports/dashboard?from=${yesterday}&to=${today}`, w.api);
	assert.equal(d2.days, 2);
	assertSame(await shown(page), expected(d2));
	await page.getByLabel('Từ ngày').fill('2020-01-01');
	await page.getByLabel('Đến ngày').fill('2020-01-31');
	await page.getByRole('button', { name: 'Xem' }).click();
	await page.locator('.period', { hasText: 'Từ 2020-01-01 đến 2020-01-31' }).waitFor();
	assert.deepEqual((await page.locator('.figure-n').allTextContents()).map(num), [0, 0, 0]);
	assert.deepEqual(await page.locator('table caption', { hasText: 'Lượt tra cứu theo ngày và cơ quan' }).count(), 0, 'no table of nothing');
	// a period the API refuses is not sent
	await page.getByLabel('Từ ngày').fill('2021-01-01');
	await page.getByRole('button', { name: 'Xem' }).click();
	await page.getByRole('alert').filter({ hasText: 'Khoảng thời gian không hợp lệ' }).waitFor();
	await env.check(page, 'officer-dashboard-empty');

	// in English
	await page.getByRole('button', { name: 'English' }).click();
	await page.locator('main h1', { hasText: 'Dashboard' }).waitFor();
	await page.locator('.period', { hasText: 'From 2020-01-01 to 2020-01-31' }).waitFor();
}

export async function testEmergencyAccessReviewedStaysDecided(env) {
	const w = await officerWorld(env.v);
	const me = await createOfficer(env.v, 'Võ Thị Sáu');
	const page = await openSignedIn(env, me, '/officer/reviews');
	const caption = 'Truy cập khẩn cấp chờ xem xét';
	let rows = await tableRows(page, caption);
	const pending = await must(env.v, 200, 'GET', '/v1/reviews?state=pending', w.api);
	assert.deepEqual(rows.map((r) => num(r[0])), pending.reviews.map((r) => r.access_id));
	assert.ok(rows.length >= 2, 'accesses wait for review');
	const target = pending.reviews[0];
	const row = rows[0];
	assert.equal(row[R.agency], w.ambulance.name, 'the agency by name');
	assert.equal(row[R.justification], target.entry.justification);
	assert.equal(row[R.state], 'Chờ xem xét');
	await env.check(page, 'officer-reviews');

	// no reason: refused before anything is sent
	await page.getByRole('button', { name: `Xem xét truy cập ${target.access_id}` }).click();
	const form = page.locator('form', { has: page.locator('h2', { hasText: `Kết luận về truy cập ${target.access_id}` }) });
	await form.getByLabel('Không hợp lý').check();
	await form.getByRole('button', { name: 'Ghi nhận kết luận' }).click();
	await form.getByRole('alert').filter({ hasText: 'Nhập lý do của kết luận.' }).waitFor();
	await env.check(page, 'officer-reviews-form');
	const reason = 'Bệnh nhân tỉnh táo, không cần truy cập khẩn cấp';
	await form.getByLabel('Lý do').fill(reason);
	await form.getByRole('button', { name: 'Ghi nhận kết luận' }).click();
	await page.getByRole('status').filter({ hasText: `Đã ghi nhận: truy cập ${target.access_id} là Không hợp lý.` }).waitFor();

	// it stays in view, decided, with its outcome and reason
	rows = await tableRows(page, caption);
	const mine = rows.find((r) => num(r[0]) === target.access_id);
	assert.equal(mine[R.state], 'Không hợp lý');
	assert.equal(mine[R.note], reason);
	const decided = await must(env.v, 200, 'GET', '/v1/reviews?state=decided', w.api);
	const rec = decided.reviews.find((r) => r.access_id === target.access_id);
	assert.equal(rec.review.outcome, 'unjustified');
	assert.equal(rec.review.note, reason);
	assert.equal(rec.review.reviewer, me.id);

	// the decided filter: there, with its reviewer; all: every access, this one decided
	await page.getByLabel('Đã quyết định').check();
	rows = await tableRows(page, 'Truy cập khẩn cấp đã quyết định');
	const again = rows.find((r) => num(r[0]) === target.access_id);
	assert.deepEqual([again[R.state], again[R.note], again[R.reviewer]], ['Không hợp lý', reason, me.id]);
	await env.check(page, 'officer-reviews-decided');
	await page.getByLabel('Tất cả').check();
	rows = await tableRows(page, 'Tất cả truy cập khẩn cấp');
	const all = await must(env.v, 200, 'GET', '/v1/reviews?state=all', w.api);
	assert.deepEqual(rows.map((r) => num(r[0])), all.reviews.map((r) => r.access_id));
	assert.equal(rows.find((r) => num(r[0]) === target.access_id)[R.state], 'Không hợp lý');

	// the dashboard counts it as unjustified
	await page.getByRole('navigation').getByRole('link', { name: 'Tổng quan' }).click();
	const em = await tableRows(page, 'Truy cập khẩn cấp theo trạng thái xem xét');
	const d = await must(env.v, 200, 'GET', '/v1/reports/dashboard', w.api);
	assert.ok(d.emergency.unjustified >= 1);
	assert.deepEqual(em.map((r) => num(r[1])), [d.emergency.pending, d.emergency.justified, d.emergency.unjustified]);
}
