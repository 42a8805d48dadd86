// NAME
//	trace_profile.mjs - where a page's threads spend their time, from a
//	Chromium trace
// DESCRIPTION
//	traceProfile(browser, page, ms) records a Chromium trace of the page
//	for ms milliseconds (task times of every thread of every process, and
//	V8's sampling profiler on the page and its workers) and returns lines
//	of text: for each thread busy more than 1% of the time, its busy
//	share of one core, then the JavaScript functions that used the most
//	of its time (self time) and the heaviest kinds of task. Used by
//	bench_player.mjs with PROFILE=1.

const CATEGORIES = ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline',
    'disabled-by-default-v8.cpu_profiler', 'v8.execute', 'blink', 'gpu', 'media', 'cc'];
const TASKS = new Set(['ThreadControllerImpl::RunTask', 'ThreadPool_RunTask', 'RunTask']);

export async function traceProfile(browser, page, ms) {
	await browser.startTracing(page, { categories: CATEGORIES });
	await new Promise((r) => setTimeout(r, ms));
	const trace = JSON.parse((await browser.stopTracing()).toString());
	const ev = trace.traceEvents || trace;
	const names = new Map(), busy = new Map(), kinds = new Map(), js = new Map();
	const tk = (e) => e.pid + ':' + e.tid;
	const add = (m, k, sub, v) => {
		let x = m.get(k);
		if (!x)
			m.set(k, x = new Map());
		x.set(sub, (x.get(sub) || 0) + v);
	};
	const profThread = new Map(), nodes = new Map();
	for (const e of ev) {
		if (e.ph === 'M' && e.name === 'thread_name')
			names.set(tk(e), e.args.name);
		else if (e.ph === 'M' && e.name === 'process_name')
			names.set(e.pid + ':', e.args.name);
		else if (e.ph === 'X' && TASKS.has(e.name))
			busy.set(tk(e), (busy.get(tk(e)) || 0) + (e.tdur !== undefined ? e.tdur : e.dur || 0));
		if (e.ph === 'X' && e.dur && !TASKS.has(e.name) && e.cat !== 'toplevel')
			add(kinds, tk(e), e.name, e.dur);
		if (e.name === 'Profile')
			profThread.set(e.pid + '/' + e.id, tk(e));
		if (e.name === 'ProfileChunk') {
			const t = profThread.get(e.pid + '/' + e.id) || tk(e);
			const cp = e.args.data.cpuProfile || {};
			const key = e.pid + '/' + e.id;
			let nm = nodes.get(key);
			if (!nm)
				nodes.set(key, nm = new Map());
			for (const n of cp.nodes || [])
				nm.set(n.id, n.callFrame.functionName + ' ' +
				    (n.callFrame.url || '').split('/').pop() + ':' + (n.callFrame.lineNumber + 1));
			const dt = e.args.data.timeDeltas || [];
			(cp.samples || []).forEach((s, i) => add(js, t, nm.get(s) || '?', dt[i] || 0));
		}
	}
	const out = [];
	const us = ms * 1000;
	const threads = [...busy.entries()].filter(([, v]) => v > us / 100).sort((a, b) => b[1] - a[1]);
	for (const [t, v] of threads) {
		const pid = t.split(':')[0];
		out.push(`${(100 * v / us).toFixed(1)}% ${names.get(pid + ':') || pid} / ${names.get(t) || t}`);
		const top = (m, n, f) => [...(m.get(t) || new Map()).entries()]
		    .filter(([k]) => f(k)).sort((a, b) => b[1] - a[1]).slice(0, n)
		    .map(([k, x]) => `    ${(100 * x / us).toFixed(1)}% ${k}`);
		const j = top(js, 12, (k) => !/^\(idle\)/.test(k));
		if (j.length)
			out.push('  JavaScript (self time):', ...j);
		const k = top(kinds, 8, () => true);
		if (k.length)
			out.push('  events (wall time, nested events counted in each):', ...k);
	}
	return out.join('\n');
}
