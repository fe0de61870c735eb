// pages/officer-charts.js: the dashboard's plots, drawn by uPlot (vendored from npm by make portal,
// served by vaultd: /vendor/uPlot.esm.js). A plot is a picture for sighted readers: each comes with
// a text summary (its aria-label) and the table of its figures beside it.
import uPlot from '/vendor/uPlot.esm.js';

// The series' colours (each at least 3:1 against white, WCAG 1.4.11); app.css's .swatch-N match them.
export const PALETTE = ['#0b5394', '#b3261e', '#0f6b35', '#8a5a00', '#6b2fa0', '#00707a', '#a3195b', '#4a4a4a'];
const AXIS = { stroke: '#1b1b1b', grid: { stroke: '#d9dbdd', width: 1 }, ticks: { stroke: '#b1b4b6', width: 1 } };
const FONT = '13px system-ui, sans-serif';

// uPlot's own style sheet, once per page.
function styleSheet() {
	if (document.querySelector('link[data-uplot]')) return;
	const link = document.createElement('link');
	link.rel = 'stylesheet';
	link.href = '/vendor/uPlot.min.css';
	link.setAttribute('data-uplot', '');
	document.head.append(link);
}

// Draws the plot into box once box has a width, and follows the box's width after that.
function mount(box, height, make) {
	styleSheet();
	let plot = null;
	const ro = new ResizeObserver(() => {
		if (!box.isConnected) {
			ro.disconnect();
			if (plot) plot.destroy();
			return;
		}
		const width = Math.floor(box.clientWidth);
		if (width <= 0) return;
		if (!plot) plot = make(width, height);
		else if (plot.width !== width) plot.setSize({ width, height });
	});
	ro.observe(box);
}

// Counts: whole steps only (1, 2, 5, 10, ...), so that no grid line falls between two counts.
const INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6];
const intAxis = (extra) => ({ ...AXIS, font: FONT, size: 48, incrs: INCRS, values: (u, splits) => splits.map(String), ...extra });

// The width the longest label takes in FONT, in CSS pixels.
function textWidth(labels) {
	const ctx = document.createElement('canvas').getContext('2d');
	ctx.font = FONT;
	return Math.max(0, ...labels.map((l) => ctx.measureText(l).width));
}

// Lines over days: xs (seconds, UTC midnights), series [{label, values, color, dash}], fmtDay(seconds) -> label.
export function linesByDay(box, xs, series, fmtDay) {
	mount(box, 260, (width, height) => new uPlot({
		width, height,
		legend: { show: false },
		cursor: { show: false },
		scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, Math.ceil(max * 1.15))] } },
		tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
		axes: [{ ...AXIS, font: FONT, values: (u, splits) => splits.map(fmtDay) }, intAxis({})],
		series: [{}, ...series.map((s) => ({
			label: s.label, stroke: s.color, width: 2, dash: s.dash || undefined,
			points: { show: xs.length <= 62, size: 6, fill: s.color, stroke: s.color },
		}))],
	}, [xs, ...series.map((s) => s.values)], box));
}

// Bars, one per category: labels, values, color; horizontal (categories down the side), so long
// labels read on a phone.
export function bars(box, labels, values, color) {
	const n = labels.length;
	const height = Math.max(120, 44 * n + 48);
	mount(box, height, (width) => new uPlot({
		width, height,
		legend: { show: false },
		cursor: { show: false },
		scales: {
			x: { time: false, ori: 1, dir: -1, range: [-0.5, n - 0.5] },
			y: { ori: 0, range: (u, min, max) => [0, Math.max(1, Math.ceil(max * 1.15))] },
		},
		axes: [
			{ ...AXIS, font: FONT, side: 3, size: Math.ceil(Math.min(width * 0.5, textWidth(labels) + 20)), grid: { show: false },
				splits: () => labels.map((_, i) => i), values: (u, splits) => splits.map((i) => labels[i] ?? '') },
			intAxis({ side: 2, size: 36 }),
		],
		series: [{}, { label: '', fill: color, stroke: color, width: 0, paths: uPlot.paths.bars({ size: [0.6, 32] }),
			points: { show: false } }],
	}, [labels.map((_, i) => i), values], box));
}
