/*
 * NAME
 *	vigil_track.js - the GPS track on a canvas, with a scale
 * DESCRIPTION
 *	Draws the telemetry positions received so far in Web Mercator,
 *	fitted to the canvas, with the position in step with the picture
 *	marked, a north mark and a scale bar in metres. No map tiles are
 *	fetched unless config.tileUrl is set; then the tiles of an integer
 *	zoom level are drawn beneath the track.
 */
(function () {
"use strict";
const vigil = window.vigil = window.vigil || {};

const TILE = 256;

function world(lat, lon, z) {
	const n = TILE * Math.pow(2, z);
	const s = Math.sin(lat * Math.PI / 180);
	return {
		x: (lon + 180) / 360 * n,
		y: (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * n,
	};
}

/* Largest 1, 2 or 5 times a power of ten not above v. */
function nice(v) {
	const p = Math.pow(10, Math.floor(Math.log10(v)));
	for (const m of [5, 2, 1])
		if (m * p <= v)
			return m * p;
	return p;
}

class Track {
	constructor(canvas) {
		this.canvas = canvas;
		this.ctx = canvas.getContext("2d");
		this.tiles = new Map(); /* url -> Image */
	}

	draw(records, here) {
		const c = this.ctx, W = this.canvas.width, H = this.canvas.height;
		c.fillStyle = "#f4f4ef";
		c.fillRect(0, 0, W, H);
		const pts = records.filter((r) => r.lat || r.lon);
		if (!pts.length) {
			c.fillStyle = "#777";
			c.font = "13px sans-serif";
			c.fillText("no position yet", 10, 20);
			return;
		}
		let a = Infinity, b = -Infinity, d = Infinity, e = -Infinity;
		for (const r of pts) {
			a = Math.min(a, r.lat); b = Math.max(b, r.lat);
			d = Math.min(d, r.lon); e = Math.max(e, r.lon);
		}
		/* zoom that fits the bounding box with a margin */
		const p0 = world(b, d, 0), p1 = world(a, e, 0);
		const spanX = Math.max(p1.x - p0.x, 1e-9), spanY = Math.max(p1.y - p0.y, 1e-9);
		let z = Math.log2(Math.min((W - 40) / spanX, (H - 40) / spanY));
		z = Math.min(z, 19);
		if (vigil.config.tileUrl)
			z = Math.floor(z);
		const mid = world((a + b) / 2, (d + e) / 2, z);
		const ox = mid.x - W / 2, oy = mid.y - H / 2;
		if (vigil.config.tileUrl)
			this.drawTiles(z, ox, oy, W, H);
		else
			this.grid(W, H);
		c.strokeStyle = "#1565c0";
		c.lineWidth = 2;
		c.beginPath();
		pts.forEach((r, i) => {
			const p = world(r.lat, r.lon, z);
			if (i === 0)
				c.moveTo(p.x - ox, p.y - oy);
			else
				c.lineTo(p.x - ox, p.y - oy);
		});
		c.stroke();
		const cur = here || pts[pts.length - 1];
		const p = world(cur.lat, cur.lon, z);
		c.fillStyle = "#d32f2f";
		c.beginPath();
		c.arc(p.x - ox, p.y - oy, 5, 0, 2 * Math.PI);
		c.fill();
		this.scale(z, (a + b) / 2, W, H);
		c.fillStyle = "#333";
		c.font = "bold 12px sans-serif";
		c.fillText("N ↑", W - 30, 16);
	}

	grid(W, H) {
		const c = this.ctx;
		c.strokeStyle = "#e0e0d8";
		c.lineWidth = 1;
		for (let x = 0; x < W; x += 40) {
			c.beginPath(); c.moveTo(x + 0.5, 0); c.lineTo(x + 0.5, H); c.stroke();
		}
		for (let y = 0; y < H; y += 40) {
			c.beginPath(); c.moveTo(0, y + 0.5); c.lineTo(W, y + 0.5); c.stroke();
		}
	}

	scale(z, lat, W, H) {
		const mpp = 156543.03392 * Math.cos(lat * Math.PI / 180) / Math.pow(2, z);
		const m = nice(mpp * W / 4);
		const px = m / mpp;
		const c = this.ctx, x = 10, y = H - 12;
		c.strokeStyle = "#222";
		c.lineWidth = 2;
		c.beginPath();
		c.moveTo(x, y - 5); c.lineTo(x, y); c.lineTo(x + px, y); c.lineTo(x + px, y - 5);
		c.stroke();
		c.fillStyle = "#222";
		c.font = "12px sans-serif";
		c.fillText(m >= 1000 ? m / 1000 + " km" : m + " m", x + 4, y - 6);
		this.canvas.dataset.scaleM = String(m);
	}

	drawTiles(z, ox, oy, W, H) {
		const c = this.ctx, n = Math.pow(2, z);
		for (let tx = Math.floor(ox / TILE); tx * TILE < ox + W; tx++)
			for (let ty = Math.floor(oy / TILE); ty * TILE < oy + H; ty++) {
				if (ty < 0 || ty >= n)
					continue;
				const url = vigil.config.tileUrl.replace("{z}", z)
				    .replace("{x}", ((tx % n) + n) % n).replace("{y}", ty);
				let img = this.tiles.get(url);
				if (!img) {
					img = new Image();
					img.crossOrigin = "anonymous";
					img.src = url;
					this.tiles.set(url, img);
				}
				if (img.complete && img.naturalWidth)
					c.drawImage(img, tx * TILE - ox, ty * TILE - oy);
			}
	}
}

vigil.Track = Track;
})();
