/*
 * NAME
 *	vigil_depack_worker.js - verification and reassembly off the page's
 *	main thread
 * DESCRIPTION
 *	One worker serves every tile of the page: it runs a
 *	vigil.Depacketizer (vigil_proto.js) per tile on the binary messages
 *	the tile's WebSocket received (transferred, not copied) and posts
 *	back complete or dropped frames (their bytes transferred), integrity
 *	failures and the depacketizer's counters. Each message carries the
 *	tile's generation: after a reset the page ignores what the worker
 *	made before it. The tile's WebSocket is opened here as well, so that
 *	its thousands of binary messages a second never reach the main
 *	thread. vigil_depack.js is the page's side.
 */
"use strict";
importScripts("vigil_proto.js");

const tiles = new Map(); /* id -> {dp, gen} */
let outbox = [], transfers = [];

/*
 * Frames and integrity reports of every tile go to the page together,
 * one message per turn of this worker's event loop, their bytes
 * transferred.
 */
function send(m, buf) {
	if (!outbox.length)
		setTimeout(flush, 0);
	outbox.push(m);
	if (buf)
		transfers.push(buf);
}

function flush() {
	self.postMessage({ t: "batch", items: outbox }, transfers);
	outbox = [];
	transfers = [];
}
const socks = new Map(); /* id -> the tile's WebSocket and its state */

/*
 * The tile's WebSocket lives here too: binary messages go straight to
 * its depacketizer (dropped while held, that is from a new command to
 * the streamer's state message or for a second); text messages, open
 * and close go to the page, and a count of binary messages at most
 * every 250 ms.
 */
function socket(m) {
	const post = (o) => self.postMessage(Object.assign({ id: m.id, serial: m.serial }, o));
	const old = socks.get(m.id);
	if (old)
		old.ws.close();
	const s = { ws: new WebSocket(m.url), hold: false, holdTimer: 0, count: 0, noteTimer: 0 };
	s.ws.binaryType = "arraybuffer";
	socks.set(m.id, s);
	s.ws.onopen = () => post({ t: "ws-open" });
	s.ws.onclose = () => {
		if (socks.get(m.id) === s)
			socks.delete(m.id);
		post({ t: "ws-close" });
	};
	s.ws.onmessage = (ev) => {
		if (typeof ev.data === "string") {
			if (s.hold && ev.data.indexOf('"type":"state"') >= 0)
				s.hold = false;
			post({ t: "ws-text", data: ev.data });
			return;
		}
		s.count++;
		const t = tiles.get(m.id);
		if (!s.hold && t)
			t.dp.push(ev.data);
		if (!s.noteTimer)
			s.noteTimer = setTimeout(() => {
				post({ t: "ws-data", n: s.count });
				s.count = 0;
				s.noteTimer = 0;
			}, 250);
	};
}

self.onmessage = (ev) => {
	const m = ev.data;
	let t = tiles.get(m.id);
	const s = socks.get(m.id);
	if (m.t === "ws-open") {
		socket(m);
		return;
	} else if (m.t === "ws-send") {
		if (s && s.ws.readyState === WebSocket.OPEN)
			s.ws.send(m.text);
		return;
	} else if (m.t === "ws-close") {
		if (s) {
			s.ws.close();
			socks.delete(m.id);
		}
		return;
	} else if (m.t === "hold") {
		if (s) {
			s.hold = true;
			clearTimeout(s.holdTimer);
			s.holdTimer = setTimeout(() => { s.hold = false; }, 1000);
		}
		return;
	}
	if (m.t === "new") {
		t = { gen: 0 };
		t.dp = new vigil.Depacketizer(m.camera, (f) => {
			send({ t: "frame", id: m.id, gen: t.gen, f: f, stats: t.dp.stats },
			    f.data ? f.data.buffer : null);
		});
		t.dp.onintegrity = (h) => send({ t: "integrity", id: m.id, gen: t.gen,
		    h: h, stats: t.dp.stats });
		t.dp.onbehind = (ms) => send({ t: "behind", id: m.id, gen: t.gen,
		    ms: ms, stats: t.dp.stats });
		tiles.set(m.id, t);
	} else if (!t) {
		return;
	} else if (m.t === "push") {
		t.dp.push(m.buf);
	} else if (m.t === "reset") {
		t.gen = m.gen;
		t.dp.reset();
	} else if (m.t === "close") {
		t.dp.reset();
		tiles.delete(m.id);
		if (s) {
			s.ws.close();
			socks.delete(m.id);
		}
	}
};
