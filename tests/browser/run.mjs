// run.mjs: the browser suite. Runs every exported async function of every tests/browser/test_*.mjs
// against a real vaultd (a fresh vault per file) in Debian's chromium, headless. For every page
// a test hands to env.check(page, name): no request to any origin but vaultd's, no console error
// (a CSP violation is one), no serious or critical axe-core violation, and a screenshot at phone
// (390x844) and desktop (1280x800) size under build/browser/. Prints one line per test and
// "browser tests: N passed, N failed"; exits 1 on any failure.
import { readdirSync, readFileSync, mkdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { startVaultd, BUILD } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const OUT = join(BUILD, 'browser');
const SIZES = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } };
const only = process.argv[2]; // a file name or a test name, to run just that

function newEnv(browser, v, file) {
	const problems = [];
	const contexts = [];
	const env = {
		v,
		browser,
		problems,
		// A new page in a new context (its own cookies), watched for foreign requests and errors.
		async newPage() {
			const ctx = await browser.newContext({ viewport: SIZES.phone, locale: 'vi-VN', serviceWorkers: 'block' });
			contexts.push(ctx);
			ctx.setDefaultTimeout(10000);
			await ctx.route('**/*', (route) => {
				const u = new URL(route.request().url());
				if (u.origin === v.base || u.protocol === 'data:' || u.protocol === 'blob:') return route.continue();
				problems.push(`request to another origin: ${u.origin}`);
				return route.abort();
			});
			const page = await ctx.newPage();
			page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
			page.on('console', (m) => {
				// a failed fetch (401 before sign-in, a problem the page shows) is logged by Chromium; it is not a defect
				if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
			});
			return page;
		},
		// Checks the page as it is now (axe), and saves it at both sizes as build/browser/<name>-<size>.png.
		async check(page, name) {
			await page.evaluate(axeSource);
			const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
			for (const viol of res.violations) {
				if (viol.impact === 'serious' || viol.impact === 'critical') {
					problems.push(`axe ${viol.impact} on ${name}: ${viol.id}: ${viol.help} (${viol.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`);
				}
			}
			for (const [size, vp] of Object.entries(SIZES)) {
				await page.setViewportSize(vp);
				await page.screenshot({ path: join(OUT, `${name}-${size}.png`), fullPage: true });
			}
			await page.setViewportSize(SIZES.phone);
		},
		async close() {
			for (const c of contexts) await c.close().catch(() => {});
			contexts.length = 0;
		},
	};
	return env;
}

async function main() {
	mkdirSync(OUT, { recursive: true });
	const files = readdirSync(here).filter((f) => /^test_.*\.mjs$/.test(f)).sort();
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
	});
	let passed = 0, failed = 0;
	const t0 = Date.now();
	try {
		for (const f of files) {
			const mod = await import(pathToFileURL(resolve(here, f)).href);
			const tests = Object.entries(mod).filter(([n, fn]) => typeof fn === 'function' && /^test/.test(n))
				.filter(([n]) => !only || only === f || only === n);
			if (tests.length === 0) continue;
			const v = await startVaultd();
			try {
				for (const [name, fn] of tests) {
					const env = newEnv(browser, v, f);
					const t1 = Date.now();
					let err = null;
					try {
						await fn(env);
					} catch (e) {
						err = e;
					}
					await env.close();
					if (env.problems.length) {
						const also = env.problems.join('\n  ');
						err = err ? new Error(`${err.stack || err}\n  ${also}`) : new Error(also);
					}
					const ms = Date.now() - t1;
					if (err) {
						failed += 1;
						console.log(`[  FAILED  ] ${f} ${name} (${ms} ms)\n  ${err.stack || err}`);
					} else {
						passed += 1;
						console.log(`[       OK ] ${f} ${name} (${ms} ms)`);
					}
				}
			} finally {
				await v.stop();
			}
		}
	} finally {
		await browser.close();
	}
	console.log(`browser tests: ${passed} passed, ${failed} failed (${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${OUT})`);
	process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

main().catch((e) => {
	console.log(`[  FAILED  ] browser suite: ${e.stack || e}`);
	console.log('browser tests: 0 passed, 1 failed');
	process.exit(1);
});
