/*
 * NAME
 *	vigil_view.js - one camera: video, telemetry, GPS track, timeline
 * DESCRIPTION
 *	Opens a vigil.Tile on the camera, live at first. The telemetry panel
 *	shows the record in step with the picture (the last record whose time
 *	is at or before the capture time of the frame shown); without a
 *	picture (telemetry-only camera, or a codec the browser cannot decode)
 *	it shows the latest record. The day selector lists the camera's days;
 *	the timeline shows the chosen day's ranges and gaps, refreshed every
 *	few seconds, and seeks on click or drag. Pause, 1x/2x/4x and Live
 *	send the streamer's commands. The live latency is the time from
 *	capture to display of the last frame drawn.
 */
(function () {
"use strict";
const vigil = window.vigil = window.vigil || {};
const $ = (id) => document.getElementById(id);

class View {
	constructor() {
		this.tile = null;
		this.camera = "";
		this.mode = "live";
		this.state = null;
		this.timers = [];
		this.track = new vigil.Track($("track"));
		this.timeline = new vigil.Timeline($("timeline"), $("tl-axis"),
		    $("tl-cursor"), $("tl-hover"));
		this.timeline.onseek = (t) => this.seek(t);
		$("btn-pause").addEventListener("click", () => this.togglePause());
		$("btn-live").addEventListener("click", () => this.live());
		for (const b of document.querySelectorAll(".speeds button"))
			b.addEventListener("click", () => this.speed(Number(b.dataset.speed)));
		$("day").addEventListener("change", () => this.loadDay($("day").value));
		$("tl-wholeday").addEventListener("change", (e) => {
			this.timeline.whole = e.target.checked;
			this.timeline.render();
		});
	}

	open(uuid) {
		this.close();
		this.camera = uuid;
		this.mode = "live";
		this.paused = false;
		this.trackDirty = true;
		$("cam-name").textContent = uuid;
		const box = $("cam-video");
		box.replaceChildren();
		this.tile = new vigil.Tile(box, uuid);
		this.tile.ontelemetry = () => { this.trackDirty = true; };
		this.tile.conn.onstate = (m) => this.onState(m);
		this.speedButtons(1);
		$("btn-pause").textContent = "Pause";
		this.date = vigil.api.dateOf(Date.now());
		this.timeline.position = 0;
		this.timeline.info = null;
		this.timeline.bar.replaceChildren();
		this.timeline.axis.replaceChildren();
		this.timeline.cursor.hidden = true;
		this.paint(); /* nothing of the previous camera stays on screen */
		this.loadCamera();
		this.loadDays();
		this.timers.push(setInterval(() => this.paint(), 200));
		this.timers.push(setInterval(() => this.refreshDay(), 5000));
		this.timers.push(setInterval(() => this.loadCamera(), 10000));
	}

	close() {
		for (const t of this.timers)
			clearInterval(t);
		this.timers = [];
		if (this.tile)
			this.tile.close();
		this.tile = null;
	}

	async loadCamera() {
		try {
			const list = await vigil.api.cameras();
			const c = list.find((x) => x.uuid === this.camera);
			if (c) {
				this.info = c;
				$("cam-name").textContent = c.name || c.uuid;
			}
		} catch (e) { /* retried by the timer; a 401 went to login */ }
	}

	async loadDays() {
		let days = [];
		try {
			days = await vigil.api.days(this.camera);
		} catch (e) {
			days = [];
		}
		const sel = $("day");
		const today = vigil.api.dateOf(Date.now());
		if (!days.includes(today))
			days = days.concat([today]);
		days.sort();
		sel.replaceChildren(...days.map((d) => {
			const o = document.createElement("option");
			o.value = o.textContent = d;
			return o;
		}));
		sel.value = this.date;
		await this.loadDay(this.date);
	}

	async loadDay(date) {
		this.date = date;
		try {
			const info = await vigil.api.day(this.camera, date);
			if (date === this.date) {
				this.dayInfo = info;
				this.timeline.set(date, info, Date.now());
			}
		} catch (e) {
			this.timeline.set(date, { ranges: [], gaps: [], keyframes: [] }, Date.now());
		}
	}

	refreshDay() {
		if (this.camera && this.date)
			this.loadDay(this.date);
	}

	onState(m) {
		this.state = m;
		if (m.mode)
			this.mode = m.mode === "paused" ? this.mode : m.mode;
		if (m.mode === "paused")
			this.paused = true;
	}

	seek(t) {
		if (!this.tile)
			return;
		this.mode = "recorded";
		this.tile.sink.reset();
		this.tile.sink.lastCapture = 0;
		this.tile.conn.play(t);
		if (this.paused)
			this.tile.conn.pause();
	}

	live() {
		if (!this.tile)
			return;
		this.mode = "live";
		this.paused = false;
		$("btn-pause").textContent = "Pause";
		this.speedButtons(1);
		this.tile.sink.reset();
		this.tile.sink.lastCapture = 0; /* the latency shown is of live pictures only */
		this.tile.conn.speed = 1;
		this.tile.conn.live();
		const today = vigil.api.dateOf(Date.now());
		if (this.date !== today) {
			$("day").value = today;
			this.loadDay(today);
		}
	}

	togglePause() {
		if (!this.tile)
			return;
		this.paused = !this.paused;
		if (this.paused) {
			if (this.mode === "live") {
				/* pausing live holds the picture: continue as recorded from here */
				this.mode = "recorded";
				this.tile.conn.want = { op: "play", from_ms: this.tile.sink.lastCapture || Date.now() };
				this.tile.conn.position = this.tile.sink.lastCapture;
			}
			this.tile.conn.pause();
		} else {
			this.tile.conn.resume();
		}
		$("btn-pause").textContent = this.paused ? "Resume" : "Pause";
	}

	speed(x) {
		if (!this.tile)
			return;
		this.speedButtons(x);
		if (this.mode === "live" && x !== 1) {
			/* faster than real time exists only in the past */
			this.speedButtons(1);
			return;
		}
		this.tile.conn.setSpeed(x);
	}

	speedButtons(x) {
		for (const b of document.querySelectorAll(".speeds button"))
			b.classList.toggle("on", Number(b.dataset.speed) === x);
	}

	paint() {
		const tile = this.tile;
		if (!tile)
			return;
		const r = tile.current();
		const set = (id, v) => {
			const e = $(id);
			if (e.textContent !== v)
				e.textContent = v;
		};
		if (!r) {
			for (const id of ["tm-time", "tm-speed", "tm-heading", "tm-battery", "tm-signal", "tm-pos"])
				set(id, "–");
			delete $("telemetry").dataset.time;
		} else {
			set("tm-time", new Date(r.time).toISOString().replace("T", " ").slice(0, 23) + "Z");
			set("tm-speed", (r.speed * 3.6).toFixed(1) + " km/h (" + r.speed.toFixed(2) + " m/s)");
			set("tm-heading", r.heading.toFixed(2) + "°");
			set("tm-battery", r.battery + "%");
			set("tm-signal", r.signal + "%");
			set("tm-pos", r.lat.toFixed(7) + ", " + r.lon.toFixed(7));
			$("telemetry").dataset.time = r.time;
		}
		if (this.trackDirty) {
			this.trackDirty = false;
			this.track.draw(tile.telem, r);
		}
		const last = tile.sink.lastCapture;
		const mode = this.paused ? "paused" : this.mode;
		set("cam-mode", mode + (this.mode === "recorded" && tile.conn.speed !== 1 ? " " + tile.conn.speed + "x" : ""));
		$("cam-mode").className = "mode " + mode;
		if (this.mode === "live" && last) {
			const lat = Date.now() - last;
			set("cam-latency", "live latency " + lat + " ms");
			$("cam-latency").dataset.ms = lat;
		} else if (last) {
			set("cam-latency", "behind live " + vigil.fmt.age(Date.now() - last));
		} else {
			set("cam-latency", "");
			delete $("cam-latency").dataset.ms;
		}
		if (!last)
			set("tl-pos", "");
		if (last) {
			set("tl-pos", vigil.fmt.hms(last) + " UTC");
			if (!this.timeline.dragging && vigil.api.dateOf(last) === this.date)
				this.timeline.setPosition(last);
		}
	}
}

vigil.View = View;
})();
