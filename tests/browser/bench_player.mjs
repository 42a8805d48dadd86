// NAME
//	bench_player.mjs - the player's decode rate with 16 live tiles, and
//	the time to the first live picture, against references in the page
// DESCRIPTION
//	Run by bench/bench_player.sh with a system streaming 16 cameras
//	(VIGIL_URL, VIGIL_USER, VIGIL_PASSWORD, CAMS = comma list) and the
//	same H.264 frames exported to REF_H264 with their lengths in
//	REF_LIST (vigilctl export -l). Figures, in the same run:
//	  grid: pictures decoded per second, pictures painted per second
//	    (a picture overtaken by a newer one before the next animation
//	    frame is decoded, not painted) and pictures dropped over
//	    SECONDS with 16 live tiles; ref: the same access units fed at the
//	    cameras' rate to 16 of the player's own decode-and-paint sinks on
//	    canvases laid out like the grid's tiles, without network,
//	    WebSocket or AES.
//	  first frame: page load to the first live picture of one camera
//	    (median of 3 loads); ref: page load to the first picture decoded
//	    from the same keyframe held in the page.
//	With PROFILE=1 it also prints where the grid page's threads (page,
//	worker, decoders, compositor) spend their time, from a Chromium
//	trace over 4 s (trace_profile.mjs).
import fs from 'node:fs';
import { launch } from './player_lib.mjs';
import { traceProfile } from './trace_profile.mjs';

const env = process.env;
const URL = env.VIGIL_URL, CAMS = env.CAMS.split(','), FPS = Number(env.FPS || 25);
const SECONDS = Number(env.SECONDS || 10);
const median = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
const r2 = (x) => Math.round(x * 100) / 100;

const tok = await (await fetch(URL + '/api/login', { method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user: env.VIGIL_USER, password: env.VIGIL_PASSWORD }) })).json();
const browser = await launch();
async function page(hash, token) {
	const p = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
	if (token)
		await p.addInitScript((t) => sessionStorage.setItem('vigil.token', t), token);
	await p.goto(URL + '/' + hash);
	return p;
}

// the access units of the reference, from the export's listing
const h264 = fs.readFileSync(env.REF_H264);
const aus = [];
let off = 0;
for (const l of fs.readFileSync(env.REF_LIST, 'utf8').trim().split('\n')) {
	const len = Number(/len=(\d+)/.exec(l)[1]);
	aus.push({ key: / key=1 /.test(l), b64: h264.subarray(off, off + len).toString('base64') });
	off += len;
}
const first = aus.findIndex((a) => a.key);

// first live picture
const firsts = [];
for (let i = 0; i < 3; i++) {
	const p = await page('#/camera/' + CAMS[0], tok.token);
	await p.waitForFunction(() => vigil.app.view.tile && vigil.app.view.tile.sink.stats.first, null, { timeout: 20000 });
	firsts.push(await p.evaluate(() => vigil.app.view.tile.sink.stats.first));
	await p.close();
}
const refFirsts = [];
for (let i = 0; i < 3; i++) {
	const p = await page('#/login');
	refFirsts.push(await p.evaluate(async (au) => {
		const data = Uint8Array.from(atob(au.b64), (c) => c.charCodeAt(0));
		const canvas = document.createElement('canvas');
		document.body.append(canvas);
		const ctx = canvas.getContext('2d');
		return new Promise((resolve) => {
			const d = new VideoDecoder({ output: (f) => {
				canvas.width = f.displayWidth; canvas.height = f.displayHeight;
				ctx.drawImage(f, 0, 0); f.close(); resolve(performance.now());
			}, error: () => resolve(-1) });
			d.configure({ codec: vigil.decode.avcCodec(data), optimizeForLatency: true });
			d.decode(new EncodedVideoChunk({ type: 'key', timestamp: 0, data }));
			d.flush();
		});
	}, aus[first]));
	await p.close();
}

// 16 live tiles
const grid = await page('#/', tok.token);
await grid.waitForFunction((n) => vigil.app.tiles().filter((t) => t.sink.stats.decoded > 0).length >= n,
    CAMS.length, { timeout: 30000 });
const sample = () => grid.evaluate(() => vigil.app.tiles().reduce((a, t) => {
	const s = t.stats();
	a.decoded += s.decoded; a.dropped += s.dropped; a.tiles++;
	a.painted += s.painted; a.liveSkips += s.skips; a.reduced += s.reduced ? 1 : 0;
	a.skips += s.conn.skips; a.incomplete += s.depack.incomplete; a.late += s.depack.late;
	a.datagrams += s.depack.datagrams; a.errors += s.decodeErrors;
	a.backlog += s.backlog; a.waitKey += s.waitKey; a.queue += s.queue;
	a.behind += (Date.now() - s.lastCapture) / 1000;
	a.handed += (s.depack.handedAt - s.depack.handedCapture) / 1000;
	a.recv += (s.depack.recvAt - s.depack.recvCapture) / 1000;
	a.resyncs += s.conn.resyncs || 0;
	return a;
}, { decoded: 0, painted: 0, liveSkips: 0, reduced: 0, dropped: 0, tiles: 0, skips: 0, incomplete: 0, late: 0, datagrams: 0, errors: 0,
    backlog: 0, waitKey: 0, queue: 0, behind: 0, handed: 0, recv: 0, resyncs: 0,
    at: performance.now() }));
await new Promise((r) => setTimeout(r, 2000));
if (env.PROFILE)
	console.log(await traceProfile(browser, grid, 4000));
const g0 = await sample();
await new Promise((r) => setTimeout(r, SECONDS * 1000));
const g1 = await sample();
await grid.screenshot({ path: (env.OUT || '.') + '/bench_player_grid.png' });
await grid.close();
const gridFps = (g1.decoded - g0.decoded) / ((g1.at - g0.at) / 1000);
const gridDropped = g1.dropped - g0.dropped;
const gridPainted = (g1.painted - g0.painted) / ((g1.at - g0.at) / 1000);

// reference: the same access units fed at the cameras' rate to the
// player's own decode-and-paint (vigil.VideoSink), one per tile-sized
// canvas laid out like the grid, without network, WebSocket or AES
const ref = await page('#/login');
const r = await ref.evaluate(async ({ aus, first, n, fps, seconds }) => {
	const units = aus.slice(first).map((a) => ({ key: a.key,
	    data: Uint8Array.from(atob(a.b64), (c) => c.charCodeAt(0)) }));
	document.getElementById('login').hidden = true;
	const box = document.getElementById('tiles');
	document.getElementById('grid').hidden = false;
	const sinks = [];
	for (let i = 0; i < n; i++) {
		const tile = document.createElement('div');
		tile.className = 'tile';
		const v = document.createElement('div');
		v.className = 'tile-video';
		const canvas = document.createElement('canvas');
		v.append(canvas);
		tile.append(v);
		box.append(tile);
		sinks.push({ sink: new vigil.VideoSink(canvas), k: 0 });
	}
	const total = () => sinks.reduce((a, x) => ({ decoded: a.decoded + x.sink.stats.decoded,
	    painted: a.painted + x.sink.stats.painted,
	    dropped: a.dropped + x.sink.stats.dropped }), { decoded: 0, painted: 0, dropped: 0 });
	const t0 = performance.now();
	let s0 = null;
	await new Promise((resolve) => {
		let tick = 0;
		const iv = setInterval(() => {
			const due = Math.floor((performance.now() - t0) / (1000 / fps));
			for (; tick < due; tick++) {
				if (tick === fps * 2)
					s0 = total();
				for (const x of sinks) {
					const u = units[x.k++ % units.length];
					x.sink.frame({ stream: 0, codec: 1, key: u.key, live: true,
					    capture: 1e12 + tick * 1000 / fps, data: u.data });
				}
			}
			if (performance.now() - t0 > (seconds + 2) * 1000) { clearInterval(iv); resolve(); }
		}, 5);
	});
	const s1 = total();
	return { fps: (s1.decoded - s0.decoded) / seconds, painted: (s1.painted - s0.painted) / seconds,
	    dropped: s1.dropped - s0.dropped };
}, { aus, first, n: CAMS.length, fps: FPS, seconds: SECONDS });
await ref.close();
await browser.close();

const fm = median(firsts), rf = median(refFirsts);
console.log(`BENCH player_grid${CAMS.length} decoded_fps=${r2(gridFps)} ref=${r2(r.fps)} ratio=${r2(gridFps / r.fps)}`);
console.log(`BENCH player_grid${CAMS.length} painted_fps=${r2(gridPainted)} ref=${r2(r.painted)} ratio=${r2(gridPainted / r.painted)}`);
console.log(`BENCH player_grid${CAMS.length} dropped=${gridDropped} ref=${r.dropped} ratio=${r2((gridDropped + 1) / (r.dropped + 1))}`);
console.log(`BENCH player_first_frame ms=${r2(fm)} ref=${r2(rf)} ratio=${r2(fm / rf)}`);
const d = (k) => g1[k] - g0[k];
console.log(`# grid over ${SECONDS} s: ${d('datagrams')} datagrams, ${d('skips')} streamer skips, ${d('incomplete')} frames incomplete or missing, ${d('late')} late, ${d('errors')} decoder errors, ${d('backlog')} backlog drops, ${d('waitKey')} waiting for a keyframe, ${d('liveSkips')} skips to a keyframe to stay live, ${g1.reduced} tiles reduced at the end, ${d('resyncs')} new connections for datagrams queued late, ${g1.queue} chunks queued in the decoders, pictures on screen ${(g1.behind / g1.tiles).toFixed(1)} s behind capture (datagrams received ${(g1.recv / g1.tiles).toFixed(1)} s, frames handed to the page ${(g1.handed / g1.tiles).toFixed(1)} s after capture)`);
console.log(`# ${g1.tiles} tiles over ${SECONDS} s (${CAMS.length * FPS} pictures/s sent); first frames ${firsts.map(r2).join(' ')} ms, ref ${refFirsts.map(r2).join(' ')} ms; dropped ratio is (dropped+1)/(ref+1)`);
