/*
 * NAME
 *	vigil_grid.js - the live grid of every online camera
 * DESCRIPTION
 *	Asks GET /api/cameras every config.camerasRefreshMs, opens a live
 *	vigil.Tile for each camera that is online and closes the tiles of
 *	cameras that went offline. Each tile shows the camera's name, the age
 *	of its last frame (capture time of the last frame drawn, or the
 *	server's last_seen_ms before any), battery and signal (from the
 *	stream's telemetry, else from the camera list). A click opens the
 *	camera. Query ?all=1 also lists offline cameras.
 */
(function () {
"use strict";
const vigil = window.vigil = window.vigil || {};

function fmtAge(ms) {
	if (!(ms >= 0))
		return "–";
	if (ms < 10000)
		return (ms / 1000).toFixed(1) + " s";
	if (ms < 120000)
		return Math.round(ms / 1000) + " s";
	if (ms < 7200000)
		return Math.round(ms / 60000) + " min";
	return Math.round(ms / 3600000) + " h";
}

function pct(v) {
	return v === undefined || v === null ? "–" : Math.round(v) + "%";
}

class Grid {
	constructor(root) {
		this.root = root;
		this.box = root.querySelector("#tiles");
		this.empty = root.querySelector("#grid-empty");
		this.cells = new Map(); /* uuid -> {el, tile, info, parts} */
		this.timer = 0;
		this.ticker = 0;
		this.running = false;
	}

	start() {
		this.running = true;
		this.refresh();
		this.ticker = setInterval(() => this.paint(), 500);
	}

	stop() {
		this.running = false;
		clearTimeout(this.timer);
		clearInterval(this.ticker);
		for (const c of this.cells.values())
			c.tile.close();
		this.cells.clear();
		this.box.replaceChildren();
	}

	async refresh() {
		if (!this.running)
			return;
		try {
			const list = await vigil.api.cameras();
			if (!this.running)
				return;
			this.update(list);
			document.getElementById("bar-status").textContent = "";
		} catch (e) {
			if (e instanceof vigil.Unauthorized)
				return;
			document.getElementById("bar-status").textContent = "server unreachable, retrying…";
		}
		this.timer = setTimeout(() => this.refresh(), vigil.config.camerasRefreshMs);
	}

	update(list) {
		const all = new URLSearchParams(location.search).has("all");
		const seen = new Set();
		for (const cam of list) {
			if (!cam.online && !all)
				continue;
			seen.add(cam.uuid);
			let c = this.cells.get(cam.uuid);
			if (!c) {
				c = this.cell(cam);
				this.cells.set(cam.uuid, c);
			}
			c.info = cam;
		}
		for (const [id, c] of this.cells)
			if (!seen.has(id)) {
				c.tile.close();
				c.el.remove();
				this.cells.delete(id);
			}
		this.empty.hidden = this.cells.size > 0;
		this.paint();
	}

	cell(cam) {
		const el = document.createElement("div");
		el.className = "tile";
		el.dataset.uuid = cam.uuid;
		el.tabIndex = 0;
		const head = document.createElement("div");
		head.className = "tile-head";
		const video = document.createElement("div");
		const foot = document.createElement("div");
		foot.className = "tile-foot";
		const parts = {};
		for (const k of ["age", "battery", "signal"]) {
			const s = document.createElement("span");
			s.className = k;
			parts[k] = s;
			foot.append(s);
		}
		el.append(head, video, foot);
		head.textContent = cam.name || cam.uuid;
		const open = () => { location.hash = "#/camera/" + cam.uuid; };
		el.addEventListener("click", open);
		el.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
		this.box.append(el);
		const tile = new vigil.Tile(video, cam.uuid);
		return { el, head, tile, parts, info: cam };
	}

	paint() {
		const now = Date.now();
		for (const c of this.cells.values()) {
			const t = c.tile.latestTelemetry();
			const last = c.tile.sink.lastCapture || c.info.last_seen_ms;
			c.head.textContent = c.info.name || c.info.uuid;
			c.parts.age.textContent = "age " + fmtAge(last ? now - last : NaN);
			c.parts.battery.textContent = "battery " + pct(t ? t.battery : c.info.battery);
			c.parts.signal.textContent = "signal " + pct(t ? t.signal : c.info.signal);
			c.el.classList.toggle("is-offline", !c.info.online);
		}
	}

	tiles() {
		return [...this.cells.values()].map((c) => c.tile);
	}
}

vigil.Grid = Grid;
vigil.fmt = { age: fmtAge, pct: pct };
})();
