/*
 * NAME
 *	vigil_timeline.js - a day's recorded ranges and gaps; click or drag
 *	to seek
 * DESCRIPTION
 *	Shows what GET /api/cameras/UUID/days/DATE returns: each range and
 *	each gap is one element (class tl-range or tl-gap) carrying its
 *	first and last counter and start and end times as data attributes,
 *	placed on a bar that spans the recorded part of the day (or the whole
 *	UTC day). A press on the bar moves the cursor, a drag follows the
 *	pointer, and the release seeks to the time under it (onseek).
 */
(function () {
"use strict";
const vigil = window.vigil = window.vigil || {};
const DAY = 86400000;

function hms(ms) {
	return new Date(ms).toISOString().slice(11, 19);
}

function niceStep(span) {
	const steps = [1e3, 2e3, 5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3,
	    900e3, 1800e3, 3600e3, 7200e3, 10800e3, 21600e3];
	for (const s of steps)
		if (span / s <= 8)
			return s;
	return 21600e3;
}

class Timeline {
	constructor(el, axis, cursor, hover) {
		this.el = el;
		this.bar = el.querySelector(".tl-bar");
		this.axis = axis;
		this.cursor = cursor;
		this.hover = hover;
		this.info = null;
		this.date = "";
		this.whole = false;
		this.t0 = 0;
		this.t1 = 1;
		this.position = 0;
		this.onseek = null;
		this.dragging = false;
		el.addEventListener("pointerdown", (e) => {
			if (!this.info)
				return;
			this.dragging = true;
			el.setPointerCapture(e.pointerId);
			this.follow(e);
		});
		el.addEventListener("pointermove", (e) => {
			if (this.info)
				this.follow(e);
		});
		el.addEventListener("pointerup", (e) => {
			if (!this.dragging)
				return;
			this.dragging = false;
			const t = this.timeAt(e.clientX);
			this.setPosition(t);
			if (this.onseek)
				this.onseek(t);
		});
		el.addEventListener("pointerleave", () => { this.hover.hidden = true; });
	}

	timeAt(clientX) {
		const r = this.el.getBoundingClientRect();
		const f = Math.min(Math.max((clientX - r.left) / r.width, 0), 1);
		return Math.round(this.t0 + f * (this.t1 - this.t0));
	}

	/* Horizontal place of time t, in percent of the bar. */
	x(t) {
		return (t - this.t0) / (this.t1 - this.t0) * 100;
	}

	follow(e) {
		const t = this.timeAt(e.clientX);
		this.hover.hidden = false;
		this.hover.style.left = this.x(t) + "%";
		this.hover.textContent = hms(t);
		if (this.dragging)
			this.setPosition(t);
	}

	set(date, info, now) {
		this.date = date;
		this.info = info;
		this.now = now || 0;
		this.render();
	}

	render() {
		const info = this.info;
		if (!info)
			return;
		const d0 = vigil.api.dayStart(this.date);
		/* the recorded span; a gap before the first range may start at 00:00 */
		let a = Infinity, b = -Infinity;
		for (const r of info.ranges.length ? info.ranges : info.gaps) {
			a = Math.min(a, r.start_ms);
			b = Math.max(b, r.end_ms);
		}
		if (this.now && this.now > d0 && this.now < d0 + DAY)
			b = Math.max(b, this.now);
		if (this.whole || !(a < Infinity)) {
			this.t0 = d0;
			this.t1 = d0 + DAY;
		} else {
			const pad = Math.max((b - a) * 0.04, 2000);
			this.t0 = Math.max(d0, a - pad);
			this.t1 = Math.min(d0 + DAY, b + pad);
		}
		const els = [];
		const put = (cls, r) => {
			const e = document.createElement("div");
			e.className = cls;
			e.style.left = this.x(r.start_ms) + "%";
			e.style.width = Math.max(this.x(r.end_ms) - this.x(r.start_ms), 0.15) + "%";
			e.dataset.first = r.first;
			e.dataset.last = r.last;
			e.dataset.startMs = r.start_ms;
			e.dataset.endMs = r.end_ms;
			e.title = (cls === "tl-gap" ? "missing " : "recorded ") + hms(r.start_ms) +
			    "–" + hms(r.end_ms) + " (counters " + r.first + "–" + r.last + ")";
			els.push(e);
		};
		for (const r of info.ranges)
			put("tl-range", r);
		for (const g of info.gaps)
			put("tl-gap", g);
		this.bar.replaceChildren(...els);
		this.el.dataset.complete = info.complete ? "1" : "0";
		const step = niceStep(this.t1 - this.t0);
		const ticks = [];
		for (let t = Math.ceil(this.t0 / step) * step; t <= this.t1; t += step) {
			const s = document.createElement("span");
			s.style.left = this.x(t) + "%";
			s.textContent = step >= 60000 ? hms(t).slice(0, 5) : hms(t);
			ticks.push(s);
		}
		this.axis.replaceChildren(...ticks);
		this.setPosition(this.position);
	}

	setPosition(t) {
		this.position = t;
		if (!t || !this.info || t < this.t0 || t > this.t1) {
			this.cursor.hidden = true;
			return;
		}
		this.cursor.hidden = false;
		this.cursor.style.left = this.x(t) + "%";
	}
}

vigil.Timeline = Timeline;
vigil.fmt = Object.assign(vigil.fmt || {}, { hms: hms });
})();
