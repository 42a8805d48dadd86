/*
 * NAME
 *	vigil_proto.js - the streamer's binary messages, datagram headers,
 *	AES-256-GCM verification and frame reassembly in the browser
 * DESCRIPTION
 *	The streamer sends two kinds of binary WebSocket message (see
 *	docs/PROTOCOL.md, "Streamer WebSocket"): kind 1 carries one stored
 *	datagram exactly as the camera sent it, kind 2 the AES key of one
 *	frame. vigil.Depacketizer takes them in arrival order, verifies and
 *	decrypts every datagram with WebCrypto (nonce = date || counter ||
 *	00000000, AAD = the 56-byte clear header), reassembles the fragments
 *	of each (session, stream, frame), and hands complete frames to its
 *	onframe callback in arrival order. A datagram whose tag does not
 *	verify, or for which no key came, is never handed on: its whole frame
 *	is dropped and counted (integrity failures and unverified datagrams
 *	are counted apart).
 */
(function () {
"use strict";
const vigil = self.vigil = self.vigil || {}; /* the page, or the depacketizing worker */

const KIND_DATAGRAM = 1, KIND_FRAME_KEY = 2;
const T_DATA = 3;
const DATA_HDR = 56, TAG = 16, KEYMSG_LEN = 68;
const CODEC = { 1: "h264", 2: "h265", 3: "jpeg", 4: "telemetry", 5: "opus" };
const FRAME_TIMEOUT_MS = 3000;
const MAX_KEYS = 4096, MAX_PENDING = 256;

function hex(b) {
	let s = "";
	for (let i = 0; i < b.length; i++)
		s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
	return s;
}

function uuidText(b) {
	const h = hex(b);
	return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) +
	    "-" + h.slice(16, 20) + "-" + h.slice(20);
}

/* Clear header of a DATA datagram; null when it is not one. */
function parseData(d) {
	if (d.length < DATA_HDR + TAG || d[0] !== 0x56 || d[1] !== 0x47 ||
	    d[2] !== 1 || d[3] !== T_DATA)
		return null;
	const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
	const h = {
		uuid: uuidText(d.subarray(4, 20)),
		date: v.getUint32(20),
		counter: v.getUint32(24),
		session: v.getUint32(28),
		stream: d[32],
		codec: d[33],
		key: (d[34] & 1) === 1,
		frame: v.getUint32(36),
		index: v.getUint16(40),
		count: v.getUint16(42),
		capture: Number(v.getBigUint64(44)),
		plen: v.getUint16(52),
	};
	if (d.length !== DATA_HDR + h.plen + TAG || h.count === 0 || h.index >= h.count)
		return null;
	return h;
}

/* A kind 2 message: {uuid, date, session, stream, frame, key (32 bytes)}. */
function parseFrameKey(m) {
	if (m.length !== KEYMSG_LEN || m[0] !== KIND_FRAME_KEY)
		return null;
	const v = new DataView(m.buffer, m.byteOffset, m.byteLength);
	return {
		uuid: uuidText(m.subarray(4, 20)),
		date: v.getUint32(20),
		session: v.getUint32(24),
		stream: m[28],
		frame: v.getUint32(32),
		key: m.slice(36, 68),
	};
}

function nonceOf(date, counter) {
	const n = new Uint8Array(12);
	const v = new DataView(n.buffer);
	v.setUint32(0, date);
	v.setUint32(4, counter);
	return n;
}

/*
 * Telemetry payload: one record of 32 bytes (24 from the first cameras):
 * time u64, lat i32 and lon i32 in 1e-7 degrees, speed u16 cm/s, heading
 * u16 0.01 degrees, battery u8 and signal u8 percent, flags u8, a
 * reserved byte, then acceleration x, y, z i16 in 1/1000 g.
 */
function parseTelemetry(p) {
	const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
	const size = p.length % 32 === 0 ? 32 : 24;
	const out = [];
	for (let o = 0; o + size <= p.length; o += size) {
		const r = {
			time: Number(v.getBigUint64(o)),
			lat: v.getInt32(o + 8) / 1e7,
			lon: v.getInt32(o + 12) / 1e7,
			speed: v.getUint16(o + 16) / 100,
			heading: v.getUint16(o + 18) / 100,
			battery: p[o + 20],
			signal: p[o + 21],
			flags: size === 32 ? p[o + 22] : 0,
		};
		if (size === 32)
			r.accel = [v.getInt16(o + 24) / 1000, v.getInt16(o + 26) / 1000,
			    v.getInt16(o + 28) / 1000];
		out.push(r);
	}
	return out;
}

class Depacketizer {
	/* camera: the UUID this stream was asked for; anything else is refused */
	constructor(camera, onframe) {
		this.camera = camera;
		this.onframe = onframe;      /* ({uuid, date, session, stream, codec, key, frame, capture, data, live}) */
		this.onintegrity = null;     /* (header) when a datagram fails its tag */
		this.keys = new Map();       /* "uuid/date/session/stream/frame" -> Promise<CryptoKey> */
		this.pending = new Map();    /* "uuid/date/session/stream/frame" -> frame in progress */
		this.last = new Map();       /* "uuid/session/stream" -> last frame number handed on */
		this.chain = Promise.resolve();
		this.gen = 0;
		this.stats = { datagrams: 0, verified: 0, integrity: 0, unverified: 0,
		    frames: 0, incomplete: 0, late: 0, foreign: 0, bytes: 0 };
	}

	/* One binary WebSocket message (ArrayBuffer). */
	push(buf) {
		const m = new Uint8Array(buf);
		if (m.length < 4)
			return;
		if (m[0] === KIND_FRAME_KEY) {
			const k = parseFrameKey(m);
			if (!k || (this.camera && k.uuid !== this.camera))
				return;
			const id = k.uuid + "/" + k.date + "/" + k.session + "/" + k.stream + "/" + k.frame;
			if (this.keys.size >= MAX_KEYS)
				this.keys.delete(this.keys.keys().next().value);
			this.keys.set(id, crypto.subtle.importKey("raw", k.key,
			    { name: "AES-GCM" }, false, ["decrypt"]));
			return;
		}
		if (m[0] !== KIND_DATAGRAM)
			return;
		const live = (m[1] & 1) === 1;
		const d = m.subarray(4);
		const h = parseData(d);
		this.stats.datagrams++;
		this.stats.bytes += d.length;
		if (!h)
			return; /* hello, report, bye: nothing to show */
		if (this.camera && h.uuid !== this.camera) {
			this.stats.foreign++; /* another camera's datagram: never shown here */
			return;
		}
		h.live = live;
		const id = h.uuid + "/" + h.date + "/" + h.session + "/" + h.stream + "/" + h.frame;
		const keyp = this.keys.get(id);
		/* start the decryption now, hand results on in arrival order */
		const dec = keyp ? keyp.then((k) => crypto.subtle.decrypt({
			name: "AES-GCM", iv: nonceOf(h.date, h.counter),
			additionalData: d.subarray(0, DATA_HDR), tagLength: 128,
		}, k, d.subarray(DATA_HDR))).then((p) => new Uint8Array(p), () => false)
		    : Promise.resolve(null);
		const gen = this.gen;
		this.chain = this.chain.then(() => dec).then((p) => {
			if (gen === this.gen)
				this.fragment(id, h, p);
		});
	}

	/* p: plaintext, false when the tag failed, null when no key came. */
	fragment(id, h, p) {
		let f = this.pending.get(id);
		if (!f) {
			this.expire(h);
			f = { h: h, parts: new Array(h.count), got: 0, bad: false, size: 0,
			    born: performance.now() };
			this.pending.set(id, f);
		}
		if (p === false) {
			this.stats.integrity++;
			f.bad = true;
			if (this.onintegrity)
				this.onintegrity(h);
		} else if (p === null) {
			this.stats.unverified++;
			f.bad = true;
		} else {
			this.stats.verified++;
		}
		if (h.count !== f.h.count || f.parts[h.index] !== undefined)
			return; /* a duplicate fragment */
		f.parts[h.index] = p || true;
		f.got++;
		if (p)
			f.size += p.length;
		if (f.got < f.h.count)
			return;
		this.pending.delete(id);
		this.keys.delete(id);
		if (f.bad) {
			this.hand(Object.assign({ dropped: "integrity" }, f.h));
			return;
		}
		const data = new Uint8Array(f.size);
		let o = 0;
		for (const part of f.parts) {
			data.set(part, o);
			o += part.length;
		}
		this.hand(Object.assign({ data: data }, f.h));
	}

	/*
	 * Hand frames on in frame order per (camera, session, stream): older
	 * frames still incomplete are dropped first, a hole in the numbers
	 * is reported as one dropped frame, a frame older than one already
	 * handed on is discarded. So a decoder never takes a frame whose
	 * predecessor it did not see without being told.
	 */
	hand(f) {
		const sk = f.uuid + "/" + f.session + "/" + f.stream;
		for (const [id, p] of this.pending)
			if (p.h.uuid === f.uuid && p.h.session === f.session &&
			    p.h.stream === f.stream && p.h.frame < f.frame) {
				this.pending.delete(id);
				this.keys.delete(id);
				this.hand(Object.assign({ dropped: "incomplete" }, p.h));
			}
		const last = this.last.get(sk);
		if (last !== undefined && f.frame <= last) {
			this.stats.late++;
			return;
		}
		if (last !== undefined && f.frame > last + 1)
			this.emit(Object.assign({}, f, { dropped: "missing", data: undefined }));
		this.last.set(sk, f.frame);
		this.emit(f);
	}

	emit(f) {
		if (f.dropped)
			this.stats.incomplete++;
		else
			this.stats.frames++;
		this.onframe(f);
	}

	/* Frames of the same stream older than h that never completed. */
	expire(h) {
		const now = performance.now();
		for (const [id, f] of this.pending) {
			const old = now - f.born > FRAME_TIMEOUT_MS;
			const passed = f.h.stream === h.stream && f.h.session === h.session &&
			    f.h.uuid === h.uuid && f.h.frame + 8 < h.frame;
			if (old || passed || this.pending.size > MAX_PENDING) {
				this.pending.delete(id);
				this.keys.delete(id);
				this.hand(Object.assign({ dropped: "incomplete" }, f.h));
			}
		}
	}

	/* Forget frames in progress (after a seek or a reconnect). */
	reset() {
		this.gen++;
		this.pending.clear();
		this.keys.clear();
		this.last.clear();
	}
}

vigil.proto = { parseData, parseFrameKey, parseTelemetry, nonceOf, uuidText, hex, CODEC };
vigil.Depacketizer = Depacketizer;
})();
