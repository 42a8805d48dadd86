/*
 * NAME
 *	vigil_conn.js - one WebSocket to the streamer, reconnected with backoff
 * DESCRIPTION
 *	A vigil.Conn follows one camera, live or recorded. It remembers what
 *	it was asked (live, or play from a time at a speed, paused or not) and
 *	asks again after every reconnect, resuming recorded play from the
 *	last frame shown. Reconnects back off exponentially with jitter from
 *	config.reconnectMinMs to config.reconnectMaxMs, and reset to the
 *	minimum once a connection delivers data. A connection refused before
 *	it opened makes the API check the token, so a 401 returns to login.
 *	Binary messages go to the depacketizer; the text messages "state",
 *	"error" and "skip" go to the callbacks.
 */
(function () {
"use strict";
const vigil = window.vigil = window.vigil || {};

class Conn {
	constructor(camera, depack) {
		this.camera = camera;
		this.depack = depack;
		this.want = { op: "live" }; /* or {op:"play", date, from_ms} */
		this.speed = 1;
		this.paused = false;
		this.ws = null;
		this.closed = false;
		this.delay = vigil.config.reconnectMinMs;
		this.timer = 0;
		this.awaiting = false;     /* dropping what preceded a command */
		this.awaitTimer = 0;
		this.position = 0;         /* capture ms of the last frame shown */
		this.onstate = null;       /* (state message) */
		this.onerror = null;       /* (message text) */
		this.onskip = null;        /* (reason) */
		this.onlink = null;        /* (true when open, false when lost) */
		this.stats = { connects: 0, reconnects: 0, resyncs: 0, skips: 0, messages: 0 };
		this.connect();
	}

	connect() {
		if (this.closed)
			return;
		/* in the depacketizing worker where there is one (vigil_depack.js) */
		const ws = this.depack.openSocket ? this.depack.openSocket(vigil.api.wsUrl()) :
		    new WebSocket(vigil.api.wsUrl());
		ws.binaryType = "arraybuffer";
		ws.onbinary = (n) => {
			this.stats.messages += n;
			this.delay = vigil.config.reconnectMinMs;
		};
		this.ws = ws;
		let opened = false;
		ws.onopen = () => {
			opened = true;
			this.stats.connects++;
			if (this.onlink)
				this.onlink(true);
			this.depack.reset();
			this.request();
		};
		ws.onmessage = (ev) => {
			this.stats.messages++;
			if (typeof ev.data !== "string") {
				this.delay = vigil.config.reconnectMinMs;
				if (!this.awaiting)
					this.depack.push(ev.data);
				return;
			}
			let m;
			try {
				m = JSON.parse(ev.data);
			} catch (e) {
				return;
			}
			if (m.type === "state") {
				this.awaiting = false;
				if (this.onstate)
					this.onstate(m);
			}
			else if (m.type === "error" && this.onerror)
				this.onerror(m.message);
			else if (m.type === "skip") {
				this.stats.skips++;
				if (this.onskip)
					this.onskip(m.reason);
			}
		};
		ws.onclose = (ev) => {
			if (this.ws !== ws)
				return;
			this.ws = null;
			if (this.closed)
				return;
			if (ev && ev.code === 4001) { /* token expired or revoked: sign in again */
				vigil.api.unauthorized();
				return;
			}
			if (this.onlink)
				this.onlink(false);
			if (!opened)
				vigil.api.cameras().catch(() => {}); /* a 401 routes to login */
			this.stats.reconnects++;
			const d = this.delay * (0.75 + Math.random() / 2);
			this.delay = Math.min(this.delay * 2, vigil.config.reconnectMaxMs);
			this.timer = setTimeout(() => this.connect(), d);
		};
	}

	/*
	 * A new connection at once, without the backoff: what the old one
	 * still had queued in the browser is dropped with it, and the
	 * streamer starts the new one at the present.
	 */
	resync() {
		if (this.closed)
			return;
		this.stats.resyncs++;
		const ws = this.ws;
		this.ws = null; /* its close is not a lost link */
		if (ws)
			ws.close();
		clearTimeout(this.timer);
		this.connect();
	}

	send(o) {
		if (this.ws && this.ws.readyState === WebSocket.OPEN)
			this.ws.send(JSON.stringify(o));
	}

	/*
	 * After a new play, seek or live command, what the streamer sent
	 * before it took the command is still on the way: drop it until the
	 * streamer's state message (or a second without one).
	 */
	hold() {
		if (this.ws && this.ws.hold) {
			this.ws.hold();
			return;
		}
		this.awaiting = true;
		clearTimeout(this.awaitTimer);
		this.awaitTimer = setTimeout(() => { this.awaiting = false; }, 1000);
	}

	/* (Re)issue what this connection was asked for. */
	request() {
		if (this.want.op === "live") {
			this.send({ op: "live", camera: this.camera });
		} else {
			const from = this.position || this.want.from_ms;
			const date = vigil.api.dateOf(from);
			this.send({ op: "play", camera: this.camera, date: date, from_ms: from });
			if (this.speed !== 1)
				this.send({ op: "speed", x: this.speed });
		}
		if (this.paused)
			this.send({ op: "pause" });
	}

	live() {
		this.want = { op: "live" };
		this.paused = false;
		this.position = 0;
		this.depack.reset();
		this.hold();
		this.request();
	}

	play(fromMs) {
		const wasPlaying = this.want.op === "play" && this.ws &&
		    vigil.api.dateOf(fromMs) === vigil.api.dateOf(this.want.from_ms);
		this.want = { op: "play", from_ms: fromMs };
		this.position = 0;
		this.depack.reset();
		this.hold();
		if (wasPlaying)
			this.send({ op: "seek", from_ms: fromMs });
		else
			this.request();
	}

	setSpeed(x) {
		this.speed = x;
		this.send({ op: "speed", x: x });
	}

	pause() {
		this.paused = true;
		this.send({ op: "pause" });
	}

	resume() {
		this.paused = false;
		this.send({ op: "resume" });
	}

	close() {
		this.closed = true;
		clearTimeout(this.timer);
		clearTimeout(this.awaitTimer);
		if (this.ws) {
			this.send({ op: "stop" });
			this.ws.close();
		}
		this.ws = null;
	}
}

vigil.Conn = Conn;
})();
