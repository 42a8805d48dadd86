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
 *	made before it. vigil_depack.js is the page's side.
 */
"use strict";
importScripts("vigil_proto.js");

const tiles = new Map(); /* id -> {dp, gen} */

self.onmessage = (ev) => {
	const m = ev.data;
	let t = tiles.get(m.id);
	if (m.t === "new") {
		t = { gen: 0 };
		t.dp = new vigil.Depacketizer(m.camera, (f) => {
			self.postMessage({ t: "frame", id: m.id, gen: t.gen, f: f, stats: t.dp.stats },
			    f.data ? [f.data.buffer] : []);
		});
		t.dp.onintegrity = (h) => self.postMessage({ t: "integrity", id: m.id, gen: t.gen,
		    h: h, stats: t.dp.stats });
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
	}
};
