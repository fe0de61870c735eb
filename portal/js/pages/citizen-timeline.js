// pages/citizen-timeline.js: to be written; until then the page says only what it is.
export async function render(root, ctx) {
	root.append(ctx.ui.h('h1', {}, ctx.t('citizen.timeline.title')));
}
