// NAME
//	test_player.mjs - the vigil player in real headless Chromium against
//	a running vigil-streamer
// DESCRIPTION
//	Run by tests/integration/test_player.sh, which starts vigild (listener,
//	writers, indexer, streamer) and the test cameras and passes them in
//	the environment:
//	  VIGIL_URL, VIGIL_USER, VIGIL_PASSWORD   the streamer and a user
//	  CAM_LIVE     H.264 testsrc camera streaming live, telemetry logged
//	               to TELE_LOG; keyframe every KEYINT_MS
//	  CAM_SWITCH   camera alternating between JPEG and H.264 sessions
//	  CAM_TAMPER   camera that stopped; its day has gaps (datagrams
//	               tampered on the wire, dropped by the listener) and one
//	               stored datagram was altered on disk afterwards
//	  RESTART_CMD  shell command that kills the streamer (vigild restarts it)
//	Checks, each with a screenshot in $OUT/browser/:
//	  login      a wrong password is refused, the right one opens the grid
//	  grid       the live tile decodes and its burned-in frame number advances
//	  jpeg       the switching camera's tile draws JPEG and H.264 pictures,
//	             both ways, the burned-in frame number advancing in each
//	  telemetry  the panel shows the values the camera sent (its log), in
//	             step with the picture's burned-in capture time
//	  seek       a drag on the timeline released at T plays a picture whose
//	             burned-in capture time is within one keyframe interval of T
//	  controls   2x, pause (the picture holds), resume, live
//	  gaps       the timeline's gaps are the API's gaps
//	  integrity  the tampered datagram is reported on the tile; its frame is
//	             never drawn, later ones are
//	  behind     live datagrams arriving 2 s later than the connection's
//	             quickest ask (once) for a new connection
//	  reduced    a live sink whose decoder falls behind skips to keyframes
//	             and says reduced; keeping up, or recorded, it never does
//	  reconnect  after the streamer is killed the tile reconnects and goes on
//	  401        a refused token returns to the login page
//	Prints "player: N passed, N failed" and exits 1 on any failure.
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { launch, newPage, login, pageReadBars, waitFor, shotDir, slack } from './player_lib.mjs';

const env = process.env;
const URL = env.VIGIL_URL, USER = env.VIGIL_USER, PASS = env.VIGIL_PASSWORD;
const KEYINT = Number(env.KEYINT_MS || 1000);
const shots = shotDir();
let passed = 0, failed = 0;
const errors = [];

async function check(name, page, fn) {
	const t0 = Date.now();
	try {
		const msg = await fn();
		passed++;
		console.log(`ok   ${name}: ${msg || ''} (${Date.now() - t0} ms)`);
	} catch (e) {
		failed++;
		console.log(`FAIL ${name}: ${e.message}`);
	}
	if (page)
		await page.screenshot({ path: path.join(shots, name + '.png') }).catch(() => {});
}

function assert(c, msg) {
	if (!c)
		throw new Error(msg);
}

// bar code and stats of the tile showing camera `uuid`
const tileState = (page, uuid) => page.evaluate((u) => {
	const t = vigil.app.tiles().find((x) => x.camera === u);
	if (!t)
		return null;
	return { bars: t.sink.stats.decoded ? window.__readBars(t.canvas) : null, s: t.stats() };
}, uuid);

// the burned-in frame number advances by at least 2 within the wait
async function advances(page, uuid, ms) {
	const a = await waitFor('a picture from ' + uuid, async () => {
		const st = await tileState(page, uuid);
		return st && st.bars && st.s.decoded > 0 ? st : null;
	}, ms);
	const b = await waitFor('the frame number to advance', async () => {
		const st = await tileState(page, uuid);
		return st && st.bars && st.bars.frame >= a.bars.frame + 2 ? st : null;
	}, ms);
	return [a, b];
}

const browser = await launch();
const page = await newPage(browser, errors);
await page.addInitScript(`window.__readBars = ${pageReadBars.toString()};`);

// docs/PROTOCOL.md's vectors through the page's own verification
const VEC_KEY = '0c270ee7926955c9f0c1355b8653ba4275b253b4fea2a1dc764497f589d46af1';
const VEC_DGRAM = '564701030f8fad5bd9cb469fa16570867728950e0000512e0000000100000000' +
    '000101000000000000000001000001a21293b60000120000a1d3b98dbfc2d428' +
    '75b67d798f0b611d7ef87299289edeb43e50e20fb4f51a8baece';
await page.goto(URL + '/#/login');
await check('vectors', page, async () => {
	const r = await page.evaluate(async ({ key, dg }) => {
		const hex = (h) => Uint8Array.from(h.match(/../g), (x) => parseInt(x, 16));
		const d = hex(dg), k = hex(key);
		const keymsg = new Uint8Array(68);
		keymsg[0] = 2;
		keymsg.set(d.subarray(4, 24), 4); /* uuid, date */
		keymsg.set(k, 36);                /* session 0, stream 0, frame 0 */
		const run = (dgram) => new Promise((resolve) => {
			let said = 0;
			const dp = new vigil.Depacketizer('', (f) => resolve({ text: f.data ? new TextDecoder().decode(f.data) : null,
			    dropped: f.dropped || '', integrity: dp.stats.integrity, said: said }));
			dp.onintegrity = () => said++;
			dp.push(keymsg.buffer.slice(0));
			const m = new Uint8Array(4 + dgram.length);
			m[0] = 1;
			m.set(dgram, 4);
			dp.push(m.buffer);
		});
		const good = await run(d);
		const bad = d.slice();
		bad[60] ^= 1;
		/* the first of two fragments (the count is in the sealed header), and nothing more */
		const part = d.slice();
		part[43] = 2;
		return { good, bad: await run(bad), part: await run(part) };
	}, { key: VEC_KEY, dg: VEC_DGRAM });
	assert(r.good.text === 'vigil test payload', 'vector did not decrypt: ' + JSON.stringify(r.good));
	assert(r.bad.text === null && r.bad.integrity === 1 && r.bad.said === 1 && r.bad.dropped === 'integrity',
	    'altered vector: ' + JSON.stringify(r.bad));
	assert(r.part.text === null && r.part.integrity === 1 && r.part.said === 1 && r.part.dropped === 'incomplete',
	    'altered fragment of a frame never completed: ' + JSON.stringify(r.part));
	return 'the sealed DATA vector decrypts to "vigil test payload"; with one bit changed it is refused; ' +
	    'an altered fragment of a frame that never completes is reported once the frame is given up';
});

// live datagrams arriving far later than the quickest of the connection
// ask once for a new connection; after a reset the baseline is new
await check('behind', page, async () => {
	const r = await page.evaluate(() => {
		const asked = [];
		const dp = new vigil.Depacketizer('', () => {});
		dp.onbehind = (ms) => asked.push(ms);
		const T = 1.7e12;
		const dgram = (capture) => {
			const m = new Uint8Array(4 + 56 + 16);
			const v = new DataView(m.buffer, 4);
			m[0] = 1;
			m[1] = 1; /* live */
			m.set([0x56, 0x47, 1, 3], 4);
			v.setUint16(42, 1); /* one fragment */
			v.setBigUint64(44, BigInt(capture));
			return m.buffer;
		};
		const real = Date.now;
		const at = (arrival, capture) => {
			Date.now = () => arrival;
			try {
				dp.push(dgram(capture));
			} finally {
				Date.now = real;
			}
		};
		at(T + 100, T);
		at(T + 1540, T + 40);      /* 1.4 s later than the quickest: not yet */
		at(T + 9000, T - 5000);    /* a resend of an older datagram: not counted */
		const early = asked.length;
		at(T + 4180, T + 80);      /* 4 s */
		at(T + 6220, T + 120);
		const once = asked.length;
		dp.reset();
		at(T + 6320, T + 160);     /* a new connection: its own quickest */
		at(T + 6360, T + 200);
		return { early, once, after: asked.length, ms: asked[0], behind: dp.stats.behind };
	});
	assert(r.early === 0, 'asked before 2 s, or for a resend');
	assert(r.once === 1 && r.after === 1 && r.behind === 1, `asked ${r.once} then ${r.after} times`);
	assert(r.ms === 4000, `said ${r.ms} ms late`);
	return `asked once for a new connection, ${r.ms} ms late; not at 1.4 s, not for a resend, not after a reset`;
});

// a live tile whose decoder falls behind skips to keyframes and says so;
// one that keeps up, or a recorded one, never does (a stand-in decoder
// that outputs nothing, or each picture at the next turn)
await check('reduced', page, async () => {
	const r = await page.evaluate(async () => {
		const Real = window.VideoDecoder;
		const cv = document.createElement('canvas');
		cv.width = 64;
		cv.height = 36;
		cv.getContext('2d').fillRect(0, 0, 64, 36);
		let keepUp = false, made = [];
		class StandIn {
			constructor(init) { this.init = init; this.q = []; this.state = 'configured'; made.push(this); }
			configure() {}
			get decodeQueueSize() { return this.q.length; }
			decode(c) {
				this.q.push(c.timestamp);
				if (keepUp)
					setTimeout(() => this.init.output(new VideoFrame(cv, { timestamp: this.q.shift() })), 0);
			}
			close() { this.state = 'closed'; }
		}
		window.VideoDecoder = StandIn;
		const run = async (live, up) => {
			keepUp = up;
			made = [];
			const sink = new vigil.VideoSink(document.createElement('canvas'));
			let said = 0;
			sink.onreduced = () => said++;
			const T = 1.7e12;
			for (let i = 0; i < 100; i++) { /* 4 s at 25 pictures a second, a keyframe every 2 s */
				sink.frame({ stream: 0, codec: 1, key: i % 50 === 0, live: live, capture: T + 40 * i,
				    data: new Uint8Array([0, 0, 0, 1, i % 50 === 0 ? 0x65 : 0x41, 0x88]) });
				await new Promise((res) => setTimeout(res, 0));
			}
			const out = { skips: sink.stats.skips, said: said, reduced: sink.reduced(),
			    decoded: sink.stats.decoded, decoders: made.length,
			    queued: made.length ? made[made.length - 1].q.length : 0 };
			sink.close();
			return out;
		};
		try {
			return { stuck: await run(true, false), up: await run(true, true), recorded: await run(false, false) };
		} finally {
			window.VideoDecoder = Real;
		}
	});
	const { stuck, up, recorded } = r;
	assert(stuck.skips >= 2 && stuck.said === stuck.skips && stuck.reduced,
	    'a decoder behind did not make the sink skip and say reduced: ' + JSON.stringify(stuck));
	/* the second keyframe found the decoder behind: a fresh one took it, then 1 s of frames */
	assert(stuck.decoders === 2 && stuck.queued <= 26, 'the keyframe did not start afresh: ' + JSON.stringify(stuck));
	assert(up.skips === 0 && up.said === 0 && !up.reduced && up.decoded === 100,
	    'a decoder keeping up was reduced: ' + JSON.stringify(up));
	assert(recorded.skips === 0 && !recorded.reduced, 'recorded play was reduced: ' + JSON.stringify(recorded));
	return `decoder behind: ${stuck.skips} skips, said reduced, a fresh decoder at the keyframe; ` +
	    `keeping up: ${up.decoded} decoded, never reduced; recorded: never reduced`;
});

await check('h265', page, async () => {
	const r = await page.evaluate(async () => {
		const el = document.createElement('div');
		document.body.append(el);
		const sink = new vigil.VideoSink(document.createElement('canvas'));
		const said = new Promise((resolve) => { sink.onstatus = (t) => { if (t) resolve(t); }; });
		const supported = await vigil.decode.hevcSupported();
		const au = new Uint8Array([0, 0, 0, 1, 0x40, 0x01, 0x0c, 0x01]);
		sink.frame({ codec: 2, key: true, capture: 1, data: au, stream: 0 });
		const text = supported ? '(supported)' : await said;
		return { supported, text };
	});
	assert(r.supported || /H\.265.*cannot be decoded/.test(r.text), 'no clear message: ' + r.text);
	return r.supported ? 'this Chromium decodes H.265' : 'unsupported here, the tile says: ' + r.text;
});

await check('login', page, async () => {
	await login(page, URL, USER, PASS + 'x');
	await waitFor('the refusal', () => page.textContent('#login-error'), 5000);
	await login(page, URL, USER, PASS);
	await page.waitForSelector('#grid', { state: 'visible', timeout: slack(5000) });
	const tok = await page.evaluate(() => sessionStorage.getItem('vigil.token'));
	assert(tok, 'no token in sessionStorage');
	return 'refused a wrong password, token kept in sessionStorage';
});

await check('grid', page, async () => {
	await page.waitForSelector(`.tile[data-uuid="${env.CAM_LIVE}"]`, { timeout: slack(8000) });
	const [a, b] = await advances(page, env.CAM_LIVE, 10000);
	assert(b.s.integrity === 0, 'integrity failures on a clean stream');
	assert(Math.abs(b.bars.capture - b.s.lastCapture) < 1, `burned-in time ${b.bars.capture} is not the frame's capture time ${b.s.lastCapture}`);
	const foot = await page.textContent(`.tile[data-uuid="${env.CAM_LIVE}"] .tile-foot`);
	assert(/age [0-9.]+ s/.test(foot) && /battery \d+%/.test(foot) && /signal \d+%/.test(foot), 'tile footer: ' + foot);
	// one tile per online camera, as the API says (the list is refreshed)
	await waitFor('one tile per online camera', () => page.evaluate(async () => {
		const on = (await vigil.api.cameras()).filter((c) => c.online).map((c) => c.uuid).sort();
		const shown = [...document.querySelectorAll('#tiles .tile')].map((e) => e.dataset.uuid).sort();
		return JSON.stringify(on) === JSON.stringify(shown);
	}), 8000, 500);
	return `frame ${a.bars.frame} -> ${b.bars.frame}, ${b.s.decoded} decoded, "${foot}"`;
});

await check('jpeg', page, async () => {
	// both codecs drawn, in both orders, with the picture advancing
	const seen = [];
	await waitFor('JPEG and H.264 pictures both ways', async () => {
		const st = await tileState(page, env.CAM_SWITCH);
		if (st && st.bars && st.s.codec) {
			const last = seen[seen.length - 1];
			if (!last || last.codec !== st.s.codec)
				seen.push({ codec: st.s.codec, frame: st.bars.frame, n: 1 });
			else if (st.bars.frame !== last.frame) {
				last.frame = st.bars.frame;
				last.n++;
			}
		}
		const runs = seen.filter((r) => r.n >= 3).map((r) => r.codec).join('');
		return /13|31/.test(runs) && /(13.*1|31.*3|1.*31|3.*13)/.test(runs);
	}, 30000, 50);
	const st = await tileState(page, env.CAM_SWITCH);
	assert(st.s.integrity === 0, 'integrity failures');
	return 'codec runs ' + seen.map((r) => (r.codec === 3 ? 'jpeg' : 'h264') + 'x' + r.n).join(' ') +
	    `, pictures by codec ${JSON.stringify(st.s.byCodec)}`;
});

await check('telemetry', page, async () => {
	await page.click(`.tile[data-uuid="${env.CAM_LIVE}"]`);
	await page.waitForSelector('#camera', { state: 'visible' });
	await advances(page, env.CAM_LIVE, 10000);
	const shown = await waitFor('telemetry in step with the picture', () => page.evaluate(() => {
		vigil.app.view.paint();
		const t = vigil.app.view.tile;
		const bars = window.__readBars(t.canvas);
		const txt = (id) => document.getElementById(id).textContent;
		const time = Number(document.getElementById('telemetry').dataset.time);
		if (!time || !bars)
			return null;
		return { bars, time, speed: txt('tm-speed'), heading: txt('tm-heading'),
		    battery: txt('tm-battery'), signal: txt('tm-signal'), pos: txt('tm-pos'),
		    latency: document.getElementById('cam-latency').dataset.ms };
	}), 10000);
	/* read the camera's log after the page showed its record, not before */
	const log = fs.readFileSync(env.TELE_LOG, 'utf8').trim().split('\n').map((l) =>
	    Object.fromEntries(l.split(' ').map((kv) => kv.split('='))));
	const i = log.findIndex((r) => Number(r.time_ms) === shown.time);
	assert(i >= 0, `shown record time ${shown.time} is not in the camera's log`);
	const r = log[i];
	const want = {
		speed: (r.speed_cms / 100 * 3.6).toFixed(1) + ' km/h (' + (r.speed_cms / 100).toFixed(2) + ' m/s)',
		heading: (r.heading_cdeg / 100).toFixed(2) + '°',
		battery: r.battery + '%', signal: r.signal + '%',
		pos: (r.lat_e7 / 1e7).toFixed(7) + ', ' + (r.lon_e7 / 1e7).toFixed(7),
	};
	for (const k of Object.keys(want))
		assert(shown[k] === want[k], `${k}: shown "${shown[k]}", sent "${want[k]}"`);
	// in step: the record is the last one at or before the picture's capture time
	assert(shown.time <= shown.bars.capture, `record ${shown.time} is after the picture ${shown.bars.capture}`);
	const next = log[i + 1];
	assert(!next || Number(next.time_ms) > shown.bars.capture,
	    `record ${next && next.time_ms} was due for the picture ${shown.bars.capture}`);
	assert(Number(shown.latency) >= 0, 'no live latency figure');
	return `record ${shown.time} for picture ${shown.bars.capture}: ${shown.speed}, ${shown.heading}, battery ${shown.battery}, signal ${shown.signal}, latency ${shown.latency} ms`;
});

await check('seek', page, async () => {
	// T: two and a half seconds into the first recorded range (between keyframes)
	await waitFor('the day on the timeline', () => page.$('.tl-range'), 10000);
	const box = await page.$eval('#timeline', (e) => {
		const r = e.getBoundingClientRect();
		return { x: r.left, y: r.top, w: r.width, h: r.height };
	});
	const tl = await page.evaluate(() => {
		const t = vigil.app.view.timeline;
		const r = t.info.ranges[0];
		return { t0: t.t0, t1: t.t1, start: r.start_ms, end: t.info.ranges[t.info.ranges.length - 1].end_ms };
	});
	let T = Math.min(tl.start + 2500, tl.end - 500);
	const x = box.x + (T - tl.t0) / (tl.t1 - tl.t0) * box.w;
	// press further left, drag to T, release: the release seeks
	await page.mouse.move(box.x + 5, box.y + box.h / 2);
	await page.mouse.down();
	await page.mouse.move((box.x + 5 + x) / 2, box.y + box.h / 2, { steps: 3 });
	await page.mouse.move(x, box.y + box.h / 2, { steps: 3 });
	await page.mouse.up();
	T = await page.evaluate(() => vigil.app.view.tile.conn.want.from_ms);
	const got = await waitFor('a recorded picture', () => page.evaluate((t) => {
		const tile = vigil.app.view.tile;
		const b = tile.sink.stats.decoded && tile.sink.lastCapture && tile.conn.position ?
		    window.__readBars(tile.canvas) : null;
		return b && b.capture < t + 60000 && b.capture > t - 60000 ? b : null;
	}, T), 10000, 20);
	assert(Math.abs(got.capture - T) <= KEYINT, `first picture at ${got.capture}, ${got.capture - T} ms from T=${T} (keyframe interval ${KEYINT} ms)`);
	const mode = await waitFor('the recorded mode shown', () => page.evaluate(() => {
		vigil.app.view.paint();
		const m = document.getElementById('cam-mode').textContent;
		return /recorded|paused/.test(m) ? m : null;
	}), 3000);
	return `T=${T}, first picture ${got.capture} (${got.capture - T} ms), frame ${got.frame}`;
});

await check('controls', page, async () => {
	const state = () => page.evaluate(() => vigil.app.view.state || {});
	const frame = () => page.evaluate(() => window.__readBars(vigil.app.view.tile.canvas).frame);
	await page.click('.speeds button[data-speed="2"]');
	await waitFor('speed 2 from the streamer', async () => (await state()).speed === 2, 5000);
	await page.click('#btn-pause');
	await waitFor('paused', async () => (await state()).mode === 'paused', 5000);
	await new Promise((r) => setTimeout(r, 300));
	const f0 = await frame();
	await new Promise((r) => setTimeout(r, 700));
	const f1 = await frame();
	assert(f0 === f1, `the picture moved while paused (${f0} -> ${f1})`);
	await page.click('#btn-pause');
	await waitFor('the picture moving again', async () => (await frame()) > f1, 5000);
	await page.click('.speeds button[data-speed="1"]');
	await page.click('#btn-live');
	await waitFor('live again', async () => (await state()).mode === 'live', 5000);
	const lat = await waitFor('a live latency figure', () => page.evaluate(() => {
		vigil.app.view.paint();
		return document.getElementById('cam-latency').dataset.ms;
	}), 5000);
	return `2x, paused at frame ${f0}, resumed, live again (latency ${lat} ms)`;
});

// the day of a stopped camera, read by the page's own API client
const dayOf = (uuid) => page.evaluate(async (u) => {
	const days = await vigil.api.days(u);
	return { date: days[days.length - 1], info: await vigil.api.day(u, days[days.length - 1]) };
}, uuid);

await check('gaps', page, async () => {
	await page.evaluate((u) => { location.hash = '#/camera/' + u; }, env.CAM_TAMPER);
	const api = await dayOf(env.CAM_TAMPER);
	assert(api.info.gaps.length > 0, 'the API reports no gap');
	const dom = await waitFor('gaps on the timeline', () => page.$$eval('#tl-bar .tl-gap', (els) =>
	    els.length ? els.map((e) => ({ first: Number(e.dataset.first), last: Number(e.dataset.last),
		start_ms: Number(e.dataset.startMs), end_ms: Number(e.dataset.endMs) })) : null), 8000);
	const want = api.info.gaps.map((g) => ({ first: g.first, last: g.last, start_ms: g.start_ms, end_ms: g.end_ms }));
	assert(JSON.stringify(dom) === JSON.stringify(want), `timeline ${JSON.stringify(dom)} != API ${JSON.stringify(want)}`);
	const foreign = await page.evaluate(() => vigil.app.view.tile.depack.stats.foreign);
	assert(foreign === 0, `the stream of this camera carried ${foreign} datagrams of other cameras`);
	const ranges = await page.$$eval('#tl-bar .tl-range', (els) => els.length);
	assert(ranges === api.info.ranges.length, `${ranges} ranges drawn, API has ${api.info.ranges.length}`);
	return `${dom.length} gaps, ${ranges} ranges, as the API says`;
});

await check('integrity', page, async () => {
	const api = await dayOf(env.CAM_TAMPER);
	const from = api.info.ranges[0].start_ms;
	await page.evaluate((t) => vigil.app.view.seek(t), from);
	const st = await waitFor('the integrity failure on the tile', async () => {
		const s = await tileState(page, env.CAM_TAMPER);
		return s && s.s.integrity > 0 && s.s.decoded > 0 ? s : null;
	}, 15000);
	const badge = await page.textContent('#cam-video .badge.integrity');
	assert(/INTEGRITY FAILURE/.test(badge) && await page.isVisible('#cam-video .badge.integrity'), 'no visible mark');
	assert(st.s.depack.integrity === st.s.integrity, 'counts differ');
	// the altered frame is never on screen, and pictures after it are
	const tc = Number(env.TAMPER_CAPTURE);
	const drawn = await waitFor('pictures after the altered frame', () => page.evaluate((c) => {
		const d = vigil.app.view.tile.drawn;
		return d.some((t) => t > c) ? d : null;
	}, tc), 10000);
	assert(!drawn.includes(tc), `the altered frame (capture ${tc}) was drawn`);
	return `${badge}; frame at ${tc} never drawn; ${drawn.length} good pictures shown, ${st.s.dropped} dropped`;
});

if (env.RESTART_CMD) {
	await check('reconnect', page, async () => {
		await page.evaluate((u) => { location.hash = '#/camera/' + u; }, env.CAM_LIVE);
		const [a] = await advances(page, env.CAM_LIVE, 10000);
		execSync(env.RESTART_CMD, { stdio: 'inherit' });
		const st = await waitFor('a reconnect and newer pictures', async () => {
			const s = await tileState(page, env.CAM_LIVE);
			return s && s.s.conn.connects >= 2 && s.bars && s.bars.frame > a.bars.frame + 5 ? s : null;
		}, 20000);
		return `${st.s.conn.connects} connections, frame ${a.bars.frame} -> ${st.bars.frame}`;
	});
}

await check('401', page, async () => {
	await page.evaluate(() => sessionStorage.setItem('vigil.token', 'not-a-token'));
	await page.evaluate(() => { location.hash = '#/'; });
	await page.reload();
	await page.waitForSelector('#login', { state: 'visible', timeout: slack(8000) });
	const tok = await page.evaluate(() => sessionStorage.getItem('vigil.token'));
	assert(!tok, 'the refused token was kept');
	return 'back on the login page, token forgotten';
});

if (errors.length) {
	failed++;
	console.log('FAIL page errors: ' + errors.slice(0, 5).join(' | '));
}
await browser.close();
console.log(`player: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
