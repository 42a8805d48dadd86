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
 *	00000000, AAD = the 56-byte clear header; each decryption starts on
 *	arrival, a frame's results are awaited together), reassembles the
 *	fragments of each (session, stream, frame), and hands complete frames
 *	to its onframe callback in the order they completed. A datagram whose tag does not
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
/*
 * Live datagrams reaching this code more than RESYNC_MS later than the
 * quickest did on this connection (the clocks of camera and browser
 * need not agree) are queued in the browser behind a thread that cannot
 * keep up: onbehind asks for a new connection, which starts at the
 * present.
 */
const RESYNC_MS = 2000;

/* A decryption whose tag failed (or whose key was unusable) gives false. */
function failed() {
	return false;
}

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
		this.onbehind = null;        /* (ms) once live datagrams arrive RESYNC_MS late */
		this.minDelay = Infinity;    /* least arrival - capture of a live datagram on this connection */
		this.newest = 0;             /* newest capture time of a live datagram on this connection */
		this.behindSaid = false;
		this.sweep = 0;              /* timer giving up frames nothing completes */
		this.keys = new Map();       /* "uuid/date/session/stream/frame" -> {p: Promise<CryptoKey>, k: CryptoKey once imported} */
		this.pending = new Map();    /* "uuid/date/session/stream/frame" -> frame whose fragments are arriving */
		this.last = new Map();       /* "uuid/session/stream" -> last frame number handed on */
		this.chain = Promise.resolve();
		this.gen = 0;
		this.stats = { datagrams: 0, verified: 0, integrity: 0, unverified: 0,
		    frames: 0, incomplete: 0, late: 0, foreign: 0, bytes: 0,
		    behind: 0, recvAt: 0, recvCapture: 0, /* clock and capture time of the last datagram */
		    handedAt: 0, handedCapture: 0 };    /* ... and of the last frame handed on */
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
			const e = { p: null, k: null };
			e.p = crypto.subtle.importKey("raw", k.key, { name: "AES-GCM" }, false, ["decrypt"]);
			e.p.then((key) => { e.k = key; }, () => {});
			this.keys.set(id, e);
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
		const now = Date.now();
		this.stats.recvAt = now;
		this.stats.recvCapture = h.capture;
		if (live && h.capture >= this.newest) {
			/* only the newest: a camera's resends of older datagrams may come late */
			this.newest = h.capture;
			const delay = now - h.capture;
			if (delay < this.minDelay)
				this.minDelay = delay;
			if (delay - this.minDelay > RESYNC_MS && !this.behindSaid && this.onbehind) {
				this.behindSaid = true;
				this.stats.behind++;
				this.onbehind(delay - this.minDelay);
			}
		}
		const id = h.uuid + "/" + h.date + "/" + h.session + "/" + h.stream + "/" + h.frame;
		/*
		 * The decryption starts now (a failed tag gives false); the
		 * frame's results are awaited together once all its fragments
		 * arrived, one round trip through the chain per frame.
		 */
		const ke = this.keys.get(id);
		let dec = null; /* no key: never verified, never shown */
		if (ke) {
			const run = (k) => crypto.subtle.decrypt({
				name: "AES-GCM", iv: nonceOf(h.date, h.counter),
				additionalData: d.subarray(0, DATA_HDR), tagLength: 128,
			}, k, d.subarray(DATA_HDR));
			dec = (ke.k ? run(ke.k) : ke.p.then(run)).catch(failed);
		}
		let f = this.pending.get(id);
		if (!f) {
			this.expire(h);
			f = { id: id, h: h, parts: new Array(h.count), heads: new Array(h.count), got: 0,
			    extra: null, born: performance.now() };
			this.pending.set(id, f);
			this.sweepLater();
		}
		if (h.count !== f.h.count || f.parts[h.index] !== undefined) {
			/* a duplicate fragment: checked, never used, and a failure spoils the frame */
			if (!f.extra)
				f.extra = [];
			f.extra.push({ h: h, p: dec });
			return;
		}
		f.parts[h.index] = dec;
		f.heads[h.index] = h;
		if (++f.got < f.h.count)
			return;
		this.pending.delete(id);
		this.keys.delete(id);
		this.settle(f, true);
	}

	/*
	 * Once every decryption of a frame's fragments that arrived is
	 * settled, count and report each result, then hand the frame on
	 * (complete) or drop it, in the order frames were queued here.
	 */
	settle(f, complete) {
		const gen = this.gen;
		const all = f.extra ? f.parts.concat(f.extra.map((x) => x.p)) : f.parts;
		const settled = Promise.all(all);
		this.chain = this.chain.then(() => settled).then((rs) => {
			if (gen !== this.gen)
				return;
			const heads = f.extra ? f.heads.concat(f.extra.map((x) => x.h)) : f.heads;
			let bad = false, size = 0;
			for (let i = 0; i < rs.length; i++) {
				if (!heads[i])
					continue; /* a fragment that never came */
				if (rs[i]) {
					this.stats.verified++;
					size += rs[i].byteLength;
				} else if (rs[i] === null) {
					this.stats.unverified++;
					bad = true;
				} else {
					this.stats.integrity++;
					bad = true;
					if (this.onintegrity)
						this.onintegrity(heads[i]);
				}
			}
			if (!complete) {
				/* older than a frame handed on since: already reported as missing */
				const last = this.last.get(f.h.uuid + "/" + f.h.session + "/" + f.h.stream);
				if (last === undefined || f.h.frame > last)
					this.hand(Object.assign({ dropped: "incomplete" }, f.h));
				return;
			}
			if (bad) {
				this.hand(Object.assign({ dropped: "integrity" }, f.h));
				return;
			}
			let data;
			if (f.h.count === 1) {
				data = new Uint8Array(rs[0]);
			} else {
				data = new Uint8Array(size);
				let o = 0;
				for (let i = 0; i < f.h.count; i++) {
					data.set(new Uint8Array(rs[i]), o);
					o += rs[i].byteLength;
				}
			}
			this.hand(Object.assign({ data: data }, f.h));
		});
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
			    p.h.stream === f.stream && p.h.frame < f.frame)
				this.abandon(p);
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
		this.stats.handedAt = Date.now();
		this.stats.handedCapture = f.capture;
		this.onframe(f);
	}

	/* Frames of the same stream older than h that never completed. */
	expire(h) {
		const now = performance.now();
		for (const [id, f] of this.pending) {
			const old = now - f.born > FRAME_TIMEOUT_MS;
			const passed = h !== null && f.h.stream === h.stream && f.h.session === h.session &&
			    f.h.uuid === h.uuid && f.h.frame + 8 < h.frame;
			if (old || passed || this.pending.size > MAX_PENDING)
				this.abandon(f);
		}
	}

	/*
	 * Frames left incomplete when nothing more comes (the camera
	 * stopped) are given up after FRAME_TIMEOUT_MS all the same, so that
	 * a failed tag among their fragments is reported.
	 */
	sweepLater() {
		if (this.sweep)
			return;
		this.sweep = setTimeout(() => {
			this.sweep = 0;
			this.expire(null);
			if (this.pending.size)
				this.sweepLater();
		}, FRAME_TIMEOUT_MS + 100);
	}

	/*
	 * A frame that will never complete: dropped, after its fragments'
	 * tags were counted and any failure reported.
	 */
	abandon(f) {
		this.pending.delete(f.id);
		this.keys.delete(f.id);
		this.settle(f, false);
	}

	/* Forget frames in progress (after a seek or a reconnect). */
	reset() {
		this.gen++;
		this.minDelay = Infinity;
		this.newest = 0;
		this.behindSaid = false;
		this.chain = Promise.resolve();
		this.pending.clear();
		this.keys.clear();
		this.last.clear();
	}
}

vigil.proto = { parseData, parseFrameKey, parseTelemetry, nonceOf, uuidText, hex, CODEC };
vigil.Depacketizer = Depacketizer;
})();
