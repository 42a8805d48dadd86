// NAME
//	trace_profile.mjs - where a page's threads spend their time, from a
//	Chromium trace
// DESCRIPTION
//	traceProfile(browser, page, ms) first prints the CPU time of every
//	thread of the browser's processes over ms, from /proc (which also
//	counts threads a trace does not show, such as the video decoders'
//	own), then records a Chromium trace of the page for ms milliseconds
//	(the time each thread of every process runs its work items, and V8's
//	sampling profiler on the page and its workers) and returns lines of
//	text: for each thread busy more than 1% of the time, its busy share
//	of one core, then the JavaScript functions that used the most of its
//	time (self time) and the heaviest kinds of work item. Used by
//	bench_player.mjs with PROFILE=1; TRACE_OUT=FILE also keeps the trace
//	(chrome://tracing, Perfetto).

import fs from 'node:fs';

const CATEGORIES = ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline',
    'disabled-by-default-v8.cpu_profiler', 'v8.execute', 'blink', 'gpu', 'media', 'cc'];
const RUNS = new Set(['ThreadControllerImpl::RunTask', 'ThreadPool_RunTask', 'RunTask']);

/* CPU seconds of every thread of this process's descendants: "process/thread" -> s */
function threadCpu() {
	const out = new Map();
	const walk = (pid) => {
		let kids = [];
		try {
			for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
				const st = fs.readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
				const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
				const comm = fs.readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
				const type = /--type=([a-z-]+)/.exec(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
				const pcomm = type ? type[1] : 'browser';
				const k = pcomm + ' ' + pid + '/' + comm;
				out.set(k, (out.get(k) || 0) + (Number(f[11]) + Number(f[12])) / 100);
				kids = kids.concat(fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8')
				    .trim().split(' ').filter(Boolean));
			}
		} catch (e) {
			/* gone meanwhile */
		}
		for (const k of kids)
			walk(k);
	};
	walk(process.pid);
	return out;
}

export async function traceProfile(browser, page, ms) {
	const c0 = threadCpu();
	await new Promise((r) => setTimeout(r, ms));
	const c1 = threadCpu();
	const cpu = [...c1.entries()].map(([k, v]) => [k, v - (c0.get(k) || 0)])
	    .filter(([, v]) => v > 0.01 * ms / 1000).sort((a, b) => b[1] - a[1]);
	const total = cpu.reduce((a, [, v]) => a + v, 0);
	console.log(`CPU of Chromium's threads from /proc over ${ms / 1000} s (share of one core), total ` +
	    `${(100 * total * 1000 / ms).toFixed(0)}%:\n` +
	    cpu.map(([k, v]) => `  ${(100 * v * 1000 / ms).toFixed(1)}% ${k}`).join('\n'));
	await browser.startTracing(page, { categories: CATEGORIES });
	await new Promise((r) => setTimeout(r, ms));
	const raw = await browser.stopTracing();
	if (process.env.TRACE_OUT)
		fs.writeFileSync(process.env.TRACE_OUT, raw);
	return summarize(raw, ms);
}

/* The text of traceProfile from a recorded trace of ms milliseconds. */
export function summarize(raw, ms) {
	const trace = JSON.parse(raw.toString());
	const ev = trace.traceEvents || trace;
	const runs = new Map(); /* thread -> its work items (RunTask events), nested ones counted once */
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
		else if (e.ph === 'X' && RUNS.has(e.name)) {
			if (!runs.has(tk(e)))
				runs.set(tk(e), []);
			runs.get(tk(e)).push(e);
		}
		if (e.ph === 'X' && e.dur && !RUNS.has(e.name) && e.cat !== 'toplevel')
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
				nm.set(n.id, (n.callFrame.functionName || '(anonymous)') + (n.callFrame.url ?
				    ' ' + n.callFrame.url.split('/').pop() + ':' + (n.callFrame.lineNumber + 1) : ''));
			const dt = e.args.data.timeDeltas || [];
			(cp.samples || []).forEach((s, i) => add(js, t, nm.get(s) || '?', dt[i] || 0));
		}
	}
	for (const [t, a] of runs) {
		a.sort((x, y) => x.ts - y.ts || y.dur - x.dur);
		let end = -1, sum = 0;
		for (const e of a) {
			if (e.ts < end)
				continue; /* inside one already counted */
			end = e.ts + (e.dur || 0);
			sum += e.tdur !== undefined ? e.tdur : e.dur || 0;
		}
		busy.set(t, sum);
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
		const k = top(kinds, 12, () => true);
		if (k.length)
			out.push('  events (wall time, nested events counted in each):', ...k);
	}
	return out.join('\n');
}
