/*
 * NAME
 *	vigil_decode.js - decode reassembled video frames onto a canvas
 * DESCRIPTION
 *	vigil.VideoSink takes complete frames from vigil.Depacketizer.
 *	H.264 access units (Annex-B, as the camera sends them) go to a
 *	WebCodecs VideoDecoder configured without a description, which makes
 *	it expect Annex-B; the codec string is read from the keyframe's SPS.
 *	JPEG frames go to ImageDecoder. The camera may switch between the two
 *	at any frame (JPEG fallback and back); after a switch, a lost frame or
 *	a failed one, H.264 waits for the next keyframe. H.265 is decoded only
 *	where VideoDecoder.isConfigSupported says so; elsewhere the sink
 *	reports it as unsupported and shows nothing (telemetry goes on).
 *	Decoded pictures are painted in one animation frame for all sinks,
 *	each sink's newest; every picture painted reports its capture time
 *	through ondraw. A live H.264 tile that the machine cannot decode in
 *	real time (the oldest frame still decoding more than a second older
 *	than the newest frame received) drops frames up to the next
 *	keyframe, so that it stays near live; it is "reduced" for five
 *	seconds after each such skip (reduced(), onreduced).
 */
(function () {
"use strict";
const vigil = window.vigil = window.vigil || {};

const MAX_QUEUE = 30;    /* decoder backlog (chunks) beyond which a live tile skips to the next keyframe */
const LAG_MS = 1000;    /* ... or when the oldest frame still decoding is this much older than the newest */
const REDUCED_MS = 5000; /* a tile says "reduced" this long after its last skip */

/*
 * Pictures are painted in one animation frame for every sink: each
 * sink's newest decoded picture; one decoded and overtaken before the
 * animation frame is closed unpainted.
 */
const painter = { sinks: new Set(), raf: 0 };
let rgbaCopy = true; /* VideoFrame.copyTo converts to RGBA here (until it refuses once) */

function paintAll() {
	painter.raf = 0;
	const sinks = [...painter.sinks];
	painter.sinks.clear();
	for (const s of sinks)
		s.paint();
}

function schedule(sink) {
	painter.sinks.add(sink);
	if (!painter.raf)
		painter.raf = requestAnimationFrame(paintAll);
}

/* First NAL unit of type `type` in an Annex-B buffer, or null. */
function findNal(b, type, hevc) {
	for (let i = 0; i + 3 < b.length; i++) {
		if (b[i] !== 0 || b[i + 1] !== 0)
			continue;
		let s = -1;
		if (b[i + 2] === 1)
			s = i + 3;
		else if (b[i + 2] === 0 && b[i + 3] === 1)
			s = i + 4;
		if (s < 0 || s >= b.length)
			continue;
		const t = hevc ? (b[s] >> 1) & 0x3f : b[s] & 0x1f;
		if (t === type)
			return b.subarray(s);
		i = s - 1;
	}
	return null;
}

function hex2(n) {
	return (n < 16 ? "0" : "") + n.toString(16).toUpperCase();
}

/* "avc1.PPCCLL" from the SPS of a keyframe; a baseline default without. */
function avcCodec(au) {
	const sps = findNal(au, 7, false);
	if (!sps || sps.length < 4)
		return "avc1.42E01F";
	return "avc1." + hex2(sps[1]) + hex2(sps[2]) + hex2(sps[3]);
}

const HEVC_CODEC = "hev1.1.6.L93.B0";
let hevcSupport = null; /* Promise<boolean>, asked once per page */
function hevcSupported() {
	if (!hevcSupport)
		hevcSupport = (typeof VideoDecoder === "undefined" ? Promise.resolve(false) :
		    VideoDecoder.isConfigSupported({ codec: HEVC_CODEC })
			.then((r) => !!r.supported, () => false));
	return hevcSupport;
}

class VideoSink {
	constructor(canvas) {
		this.canvas = canvas;
		this.ctx = canvas.getContext("2d");
		this.ondraw = null;        /* (captureMs, codec) after each frame drawn */
		this.onstatus = null;      /* (text or "") when decoding cannot go on */
		this.dec = null;
		this.decCodec = "";
		this.codec = 0;            /* codec of the last video frame seen */
		this.needKey = true;
		this.hevc = null;          /* null unknown, true or false once asked */
		this.jpegChain = Promise.resolve();
		this.stats = { decoded: 0, painted: 0, overtaken: 0, dropped: 0, errors: 0, first: 0,
		    byCodec: {}, backlog: 0, waitKey: 0, skips: 0 };
		this.lastCapture = 0;      /* capture time of the picture on the canvas */
		this.inflight = [];        /* capture times of the chunks the decoder has not output yet */
		this.next = null;          /* {img, capture, codec}: decoded, to paint at the next animation frame */
		this.copying = false;      /* a picture is being converted for the canvas */
		this.epoch = 0;            /* counts resets: a conversion from before one is not shown */
		this.rgba = null;          /* ImageData the pictures are converted into */
		this.skipping = false;     /* live, behind: dropping frames until the next keyframe */
		this.reducedAt = -Infinity; /* performance.now() of the last skip */
		this.onreduced = null;     /* () at each skip to stay live */
	}

	/* True while the sink recently skipped frames to stay live. */
	reduced() {
		return performance.now() - this.reducedAt < REDUCED_MS;
	}

	/* A complete or dropped video frame from the depacketizer. */
	frame(f) {
		if (f.dropped) {
			this.drop();
			return;
		}
		if (f.codec !== this.codec) {
			this.codec = f.codec;
			this.needKey = true;
			if (this.onstatus)
				this.onstatus("");
		}
		if (f.codec === 3)
			this.jpeg(f);
		else if (f.codec === 1)
			this.h26x(f, false);
		else if (f.codec === 2)
			this.h265(f);
	}

	drop() {
		this.stats.dropped++;
		this.needKey = true;
	}

	h265(f) {
		if (this.hevc === null) {
			hevcSupported().then((ok) => {
				this.hevc = ok;
				if (!ok && this.onstatus)
					this.onstatus("H.265 video cannot be decoded by this browser; telemetry only");
			});
			this.stats.dropped++;
			return;
		}
		if (!this.hevc) {
			this.stats.dropped++;
			return;
		}
		this.h26x(f, true);
	}

	h26x(f, hevc) {
		if (this.needKey && !f.key) {
			this.stats.dropped++;
			this.stats.waitKey++;
			return;
		}
		/* the SPS is read from keyframes only; a delta frame goes to the decoder there is */
		const codec = hevc ? HEVC_CODEC : f.key ? avcCodec(f.data) : this.decCodec;
		if (!this.dec || this.dec.state === "closed" || (f.key && codec !== this.decCodec)) {
			this.open(codec);
		}
		if (f.live && this.behind(f)) {
			if (!f.key) {
				/* drop until the next keyframe; the decoder catches up meanwhile */
				this.stats.backlog++;
				this.skip();
				this.drop();
				return;
			}
			/* still behind at a keyframe: what is queued is too old to show */
			this.skip();
			this.open(codec);
		}
		try {
			this.dec.decode(new EncodedVideoChunk({
				type: f.key ? "key" : "delta",
				timestamp: f.capture * 1000,
				data: f.data,
			}));
			this.inflight.push(f.capture);
			this.needKey = false;
		} catch (e) {
			this.fail(e);
		}
	}

	/*
	 * A live frame that arrives while the decoder (or the page, taking
	 * its output) is more than LAG_MS or MAX_QUEUE chunks behind: the
	 * machine cannot decode this tile in real time.
	 */
	behind(f) {
		if (!this.inflight.length)
			return false;
		return f.capture - this.inflight[0] > LAG_MS || this.dec.decodeQueueSize > MAX_QUEUE;
	}

	skip() {
		this.stats.skips++;
		this.reducedAt = performance.now();
		if (this.onreduced)
			this.onreduced();
	}

	open(codec) {
		if (this.dec && this.dec.state !== "closed")
			this.dec.close();
		const dec = new VideoDecoder({
			output: (vf) => {
				if (dec !== this.dec) {
					vf.close(); /* from a decoder replaced since */
					return;
				}
				const t = vf.timestamp / 1000;
				while (this.inflight.length && this.inflight[0] <= t)
					this.inflight.shift();
				this.draw(vf, t);
			},
			error: (e) => this.fail(e),
		});
		dec.configure({ codec: codec, optimizeForLatency: true });
		this.dec = dec;
		this.decCodec = codec;
		this.inflight = [];
	}

	fail(e) {
		this.stats.errors++;
		this.needKey = true;
		this.dec = null;
		this.inflight = [];
		if (this.onstatus)
			this.onstatus("decoder error: " + (e && e.message ? e.message : e));
	}

	jpeg(f) {
		const data = f.data, capture = f.capture;
		const p = typeof ImageDecoder !== "undefined" ?
		    new ImageDecoder({ data: data, type: "image/jpeg" }).decode()
			.then((r) => r.image) :
		    createImageBitmap(new Blob([data], { type: "image/jpeg" }));
		this.jpegChain = this.jpegChain.then(() => p).then((img) => {
			if (this.codec === 3)
				this.draw(img, capture);
			else
				img.close();
		}, () => this.stats.errors++);
	}

	/* A decoded picture: painted at the next animation frame unless a newer one comes first. */
	draw(img, capture) {
		this.stats.decoded++;
		if (this.next) {
			this.next.img.close();
			this.stats.overtaken++;
		}
		this.next = { img: img, capture: capture, codec: this.codec };
		schedule(this);
	}

	/*
	 * A VideoFrame is converted to RGBA by VideoFrame.copyTo into an
	 * ImageData kept per sink and put on the canvas at the picture's
	 * size (the compositor scales it to the tile): on a machine without
	 * GPU this costs the page's main thread about half of drawImage,
	 * which records the picture and has it converted, scaled and cached
	 * by the canvas on every paint. An ImageBitmap (JPEG without
	 * ImageDecoder), or a browser whose copyTo cannot convert, is drawn
	 * with drawImage at the size the canvas is shown. One conversion at a
	 * time: a picture decoded meanwhile waits for the next animation frame.
	 */
	paint() {
		const p = this.next;
		if (!p || this.copying)
			return;
		this.next = null;
		const img = p.img;
		if (rgbaCopy && typeof img.copyTo === "function" && img.visibleRect) {
			const w = img.visibleRect.width, h = img.visibleRect.height;
			if (!this.rgba || this.rgba.width !== w || this.rgba.height !== h)
				this.rgba = new ImageData(w, h);
			this.copying = true;
			const epoch = this.epoch;
			img.copyTo(this.rgba.data, { format: "RGBA" }).then(() => {
				img.close();
				this.copying = false;
				if (epoch !== this.epoch)
					return; /* reset or closed meanwhile */
				this.size(w, h, img.displayWidth || w, img.displayHeight || h);
				this.ctx.putImageData(this.rgba, 0, 0);
				this.painted(p);
				if (this.next)
					schedule(this);
			}, () => {
				rgbaCopy = false; /* this browser cannot: drawImage from now on */
				this.copying = false;
				this.next = this.next || p;
				if (this.next !== p)
					img.close();
				schedule(this);
			});
			return;
		}
		/* paint at the size the canvas is shown, never above the picture's */
		const vw = img.displayWidth || img.width, vh = img.displayHeight || img.height;
		const shown = Math.round(this.canvas.clientWidth * (window.devicePixelRatio || 1));
		const w = shown > 0 && shown < vw ? shown : vw;
		const h = Math.round(vh * w / vw);
		this.size(w, h, vw, vh);
		this.ctx.drawImage(img, 0, 0, w, h);
		img.close();
		this.painted(p);
	}

	size(w, h, vw, vh) {
		if (this.canvas.width !== w || this.canvas.height !== h) {
			this.canvas.width = w;
			this.canvas.height = h;
			this.canvas.dataset.videoWidth = vw;
			this.canvas.dataset.videoHeight = vh;
		}
	}

	painted(p) {
		const codec = p.codec;
		this.stats.painted++;
		this.stats.byCodec[codec] = (this.stats.byCodec[codec] || 0) + 1;
		this.drawnCodec = codec;
		if (!this.stats.first)
			this.stats.first = performance.now();
		this.lastCapture = p.capture;
		if (this.ondraw)
			this.ondraw(p.capture, codec);
	}

	/* After a seek: forget the decoder's references. */
	reset() {
		this.needKey = true;
		this.close();
	}

	close() {
		if (this.dec && this.dec.state !== "closed")
			this.dec.close();
		this.dec = null;
		this.inflight = [];
		this.epoch++;
		if (this.next) {
			this.next.img.close();
			this.next = null;
		}
	}
}

vigil.VideoSink = VideoSink;
vigil.decode = { avcCodec, findNal, hevcSupported, REDUCED_MS };
})();
