/*
 * NAME
 *	vigil_depack.js - the page's side of the depacketizing workers
 * DESCRIPTION
 *	vigil.makeDepacketizer(camera, onframe) gives an object with the
 *	interface of vigil.Depacketizer (push, reset, close, stats,
 *	onintegrity) whose work runs in vigil_depack_worker.js, so that
 *	AES-GCM verification, reassembly and the WebSocket's message rate
 *	leave the main thread to decoding and painting. Where no worker can
 *	be started it returns a vigil.Depacketizer running in the page.
 */
(function () {
"use strict";
const vigil = window.vigil = window.vigil || {};

/*
 * Tiles are dealt in turn to a few workers, each its own thread: one
 * thread receiving every tile's thousands of messages a second falls
 * behind (and live pictures with it) on a busy machine long before the
 * decoders do.
 */
const WORKERS = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 2));
const workers = []; /* Worker, or false where none could be started */
let nextId = 0;
const tiles = new Map(); /* id -> RemoteDepacketizer */

function start() {
	const i = nextId % WORKERS;
	if (workers[i] !== undefined)
		return workers[i];
	let w;
	try {
		w = new Worker("js/vigil_depack_worker.js");
	} catch (e) {
		workers[i] = false;
		return false;
	}
	w.onmessage = (ev) => {
		if (ev.data.t === "batch") {
			for (const m of ev.data.items)
				take(m);
			return;
		}
		take(ev.data);
	};
	w.onerror = () => { /* the worker failed to load: tiles made later run in the page */
		workers[i] = false;
	};
	workers[i] = w;
	return w;
}

/* One message from the worker: a socket's event, a frame or an integrity failure. */
function take(m) {
	const d = tiles.get(m.id);
	if (d && m.t.startsWith("ws-")) {
		if (d.sock && d.sock.serial === m.serial)
			d.sock.event(m);
		return;
	}
	if (!d || m.gen !== d.gen)
		return; /* made before a reset, or for a closed tile */
	d.stats = m.stats;
	if (m.t === "frame")
		d.onframe(m.f);
	else if (m.t === "integrity" && d.onintegrity)
		d.onintegrity(m.h);
	else if (m.t === "behind" && d.onbehind)
		d.onbehind(m.ms);
}

let serials = 0;

/* The part of the WebSocket interface vigil.Conn uses, for a socket in the worker. */
class WorkerSocket {
	constructor(d, url) {
		this.d = d;
		this.serial = ++serials;
		this.readyState = 0;
		this.onopen = this.onmessage = this.onclose = this.onbinary = null;
		d.sock = this;
		d.w.postMessage({ t: "ws-open", id: d.id, serial: this.serial, url: url });
	}

	event(m) {
		if (m.t === "ws-open") {
			this.readyState = 1;
			if (this.onopen)
				this.onopen();
		} else if (m.t === "ws-text") {
			if (this.onmessage)
				this.onmessage({ data: m.data });
		} else if (m.t === "ws-data") {
			if (this.onbinary)
				this.onbinary(m.n);
		} else if (m.t === "ws-close") {
			this.readyState = 3;
			if (this.onclose)
				this.onclose();
		}
	}

	send(text) {
		if (this.readyState === 1)
			this.d.w.postMessage({ t: "ws-send", id: this.d.id, text: text });
	}

	/* Drop binary messages until the streamer's next state message (or a second). */
	hold() {
		this.d.w.postMessage({ t: "hold", id: this.d.id });
	}

	close() {
		if (this.readyState === 3)
			return;
		this.readyState = 3;
		this.d.w.postMessage({ t: "ws-close", id: this.d.id });
	}
}

class RemoteDepacketizer {
	constructor(w, camera, onframe) {
		this.w = w;
		this.camera = camera;
		this.onframe = onframe;
		this.onintegrity = null;
		this.onbehind = null;
		this.gen = 0;
		this.id = ++nextId;
		this.stats = { datagrams: 0, verified: 0, integrity: 0, unverified: 0,
		    frames: 0, incomplete: 0, late: 0, foreign: 0, bytes: 0, behind: 0,
		    recvAt: 0, recvCapture: 0, handedAt: 0, handedCapture: 0 };
		tiles.set(this.id, this);
		w.postMessage({ t: "new", id: this.id, camera: camera });
	}

	/* A WebSocket whose binary messages come straight to this depacketizer. */
	openSocket(url) {
		return new WorkerSocket(this, url);
	}

	push(buf) {
		this.w.postMessage({ t: "push", id: this.id, buf: buf }, [buf]);
	}

	reset() {
		this.gen++;
		this.w.postMessage({ t: "reset", id: this.id, gen: this.gen });
	}

	close() {
		tiles.delete(this.id);
		this.w.postMessage({ t: "close", id: this.id });
	}
}

vigil.makeDepacketizer = (camera, onframe) => {
	const w = new URLSearchParams(location.search).has("noworker") ? false : start();
	return w ? new RemoteDepacketizer(w, camera, onframe) : new vigil.Depacketizer(camera, onframe);
};
})();
