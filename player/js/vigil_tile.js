/*
 * NAME
 *	vigil_tile.js - one camera's picture: connection, verification,
 *	decoding, telemetry and the marks shown over the picture
 * DESCRIPTION
 *	A vigil.Tile ties a vigil.Conn, a vigil.Depacketizer and a
 *	vigil.VideoSink to one canvas. Video frames (stream 0) go to the
 *	sink; telemetry records (stream 2) are kept in capture-time order so
 *	that telemetry(t) gives the record in step with the picture shown at
 *	capture time t. Over the picture the tile marks an integrity failure
 *	(a datagram whose tag did not verify; it stays marked), a codec the
 *	browser cannot decode, a lost connection, and "reduced" while the
 *	sink skips frames to stay live. Counters for the tests
 *	and the benchmark are in tile.stats().
 */
(function () {
"use strict";
const vigil = window.vigil = window.vigil || {};

const MAX_TELEMETRY = 100000;

class Tile {
	constructor(el, camera) {
		this.el = el;
		this.camera = camera;
		el.classList.add("tile-video");
		this.canvas = document.createElement("canvas");
		this.canvas.width = 640;
		this.canvas.height = 360;
		this.badge = document.createElement("div");
		this.badge.className = "badge integrity";
		this.badge.hidden = true;
		this.note = document.createElement("div");
		this.note.className = "badge note";
		this.note.hidden = true;
		this.reducedMark = document.createElement("div");
		this.reducedMark.className = "badge reduced";
		this.reducedMark.hidden = true;
		this.reducedMark.textContent = "reduced: skipping to keyframes to stay live";
		this.reducedTimer = 0;
		el.append(this.canvas, this.badge, this.note, this.reducedMark);

		this.telem = [];           /* records sorted by time */
		this.integrity = 0;
		this.lastDrawAt = 0;       /* performance.now() of the last frame drawn */
		this.lastTelemAt = 0;
		this.onframe = null;       /* (captureMs) after a frame is drawn */
		this.ontelemetry = null;   /* (record) for each telemetry record */
		this.created = performance.now();

		this.sink = new vigil.VideoSink(this.canvas);
		this.drawn = [];           /* capture times of the last pictures drawn */
		this.sink.ondraw = (t) => {
			this.lastDrawAt = performance.now();
			this.drawn.push(t);
			if (this.drawn.length > 1024)
				this.drawn.splice(0, 512);
			this.conn.position = t;
			if (this.onframe)
				this.onframe(t);
		};
		this.sink.onstatus = (s) => this.say(s);
		this.sink.onreduced = () => this.reduced();
		this.depack = vigil.makeDepacketizer(camera, (f) => this.frame(f));
		this.depack.onintegrity = (h) => this.integrityFailed(h);
		/* live datagrams queued in the browser behind a busy thread: start again at the present */
		this.depack.onbehind = () => {
			if (this.conn.want.op !== "live")
				return;
			this.sink.skip();
			this.sink.drop();
			this.conn.resync();
		};
		this.conn = new vigil.Conn(camera, this.depack);
		this.conn.onlink = (up) => {
			this.el.classList.toggle("offline", !up);
			if (!up)
				this.say("connection lost, reconnecting…", "link");
			else if (this.noteKind === "link")
				this.say("");
		};
		this.conn.onerror = (m) => this.say(m, "server");
		/* the streamer skipped to a keyframe: frames are missing */
		this.conn.onskip = () => this.sink.drop();
	}

	frame(f) {
		if (f.stream === 0) {
			this.sink.frame(f);
		} else if (f.stream === 2 && f.data) {
			for (const r of vigil.proto.parseTelemetry(f.data))
				this.addTelemetry(r);
		}
	}

	addTelemetry(r) {
		const a = this.telem;
		if (a.length && a[a.length - 1].time >= r.time) {
			/* out of order, or again after a seek: keep the array sorted */
			let i = a.length - 1;
			while (i >= 0 && a[i].time > r.time)
				i--;
			if (i >= 0 && a[i].time === r.time)
				return;
			a.splice(i + 1, 0, r);
		} else {
			a.push(r);
		}
		if (a.length > MAX_TELEMETRY)
			a.splice(0, a.length - MAX_TELEMETRY);
		this.lastTelemAt = performance.now();
		if (this.ontelemetry)
			this.ontelemetry(r);
	}

	/* The telemetry record in step with capture time t: the last at or before t. */
	telemetry(t) {
		const a = this.telem;
		let lo = 0, hi = a.length - 1, best = null;
		while (lo <= hi) {
			const mid = (lo + hi) >> 1;
			if (a[mid].time <= t) {
				best = a[mid];
				lo = mid + 1;
			} else {
				hi = mid - 1;
			}
		}
		return best;
	}

	latestTelemetry() {
		return this.telem.length ? this.telem[this.telem.length - 1] : null;
	}

	/* The record to show now: in step with the picture while there is one. */
	current() {
		const pictureFresh = performance.now() - this.lastDrawAt < 2000;
		if (pictureFresh && this.sink.lastCapture)
			return this.telemetry(this.sink.lastCapture) || this.latestTelemetry();
		return this.latestTelemetry();
	}

	integrityFailed(h) {
		this.integrity++;
		this.el.classList.add("tampered");
		this.badge.hidden = false;
		this.badge.textContent = "INTEGRITY FAILURE: " + this.integrity +
		    " datagram" + (this.integrity === 1 ? "" : "s") +
		    " failed verification (last: counter " + h.counter + ", frame " + h.frame + ")";
	}

	/* The sink skipped frames to stay live: say so until it has not for a while. */
	reduced() {
		this.reducedMark.hidden = false;
		clearTimeout(this.reducedTimer);
		this.reducedTimer = setTimeout(() => {
			this.reducedMark.hidden = !this.sink.reduced();
		}, vigil.decode.REDUCED_MS + 50);
	}

	say(text, kind) {
		this.noteKind = text ? kind || "codec" : "";
		this.note.hidden = !text;
		this.note.textContent = text || "";
	}

	stats() {
		return {
			camera: this.camera,
			decoded: this.sink.stats.decoded,
			dropped: this.sink.stats.dropped + this.conn.stats.skips,
			decodeErrors: this.sink.stats.errors,
			backlog: this.sink.stats.backlog,
			skips: this.sink.stats.skips,
			reduced: !this.reducedMark.hidden,
			painted: this.sink.stats.painted,
			overtaken: this.sink.stats.overtaken,
			waitKey: this.sink.stats.waitKey,
			queue: this.sink.dec ? this.sink.dec.decodeQueueSize : 0,
			firstFrameMs: this.sink.stats.first ? this.sink.stats.first - this.created : 0,
			lastCapture: this.sink.lastCapture,
			codec: this.sink.drawnCodec || 0,
			byCodec: Object.assign({}, this.sink.stats.byCodec),
			integrity: this.integrity,
			note: this.note.hidden ? "" : this.note.textContent,
			badge: this.badge.hidden ? "" : this.badge.textContent,
			depack: Object.assign({}, this.depack.stats),
			conn: Object.assign({}, this.conn.stats),
			telemetry: this.telem.length,
		};
	}

	close() {
		clearTimeout(this.reducedTimer);
		this.conn.close();
		if (this.depack.close)
			this.depack.close();
		this.sink.close();
		this.el.replaceChildren();
	}
}

vigil.Tile = Tile;
})();
