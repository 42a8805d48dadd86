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
 *	Every frame drawn reports its capture time through ondraw.
 */
(function () {
"use strict";
const vigil = window.vigil = window.vigil || {};

const MAX_QUEUE = 30; /* decoder backlog (about a second) beyond which live frames are dropped */

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
		this.stats = { decoded: 0, dropped: 0, errors: 0, first: 0, byCodec: {}, backlog: 0, waitKey: 0 };
		this.lastCapture = 0;
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
		const codec = hevc ? HEVC_CODEC : avcCodec(f.data);
		if (!this.dec || this.dec.state === "closed" || (f.key && codec !== this.decCodec)) {
			this.open(codec);
		}
		if (f.live && this.dec.decodeQueueSize > MAX_QUEUE && !f.key) {
			this.stats.backlog++;
			this.drop();
			return;
		}
		try {
			this.dec.decode(new EncodedVideoChunk({
				type: f.key ? "key" : "delta",
				timestamp: f.capture * 1000,
				data: f.data,
			}));
			this.needKey = false;
		} catch (e) {
			this.fail(e);
		}
	}

	open(codec) {
		if (this.dec && this.dec.state !== "closed")
			this.dec.close();
		this.dec = new VideoDecoder({
			output: (vf) => this.draw(vf, vf.timestamp / 1000),
			error: (e) => this.fail(e),
		});
		this.dec.configure({ codec: codec, optimizeForLatency: true });
		this.decCodec = codec;
	}

	fail(e) {
		this.stats.errors++;
		this.needKey = true;
		this.dec = null;
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

	draw(img, capture) {
		const codec = this.codec;
		/*
		 * Paint at the size the canvas is shown (never above the
		 * picture's): a small tile costs a fraction of the pixels to
		 * paint and composite.
		 */
		const vw = img.displayWidth || img.width, vh = img.displayHeight || img.height;
		const shown = Math.round(this.canvas.clientWidth * (window.devicePixelRatio || 1));
		const w = shown > 0 && shown < vw ? shown : vw;
		const h = Math.round(vh * w / vw);
		if (this.canvas.width !== w || this.canvas.height !== h) {
			this.canvas.width = w;
			this.canvas.height = h;
			this.canvas.dataset.videoWidth = vw;
			this.canvas.dataset.videoHeight = vh;
		}
		this.ctx.drawImage(img, 0, 0, w, h);
		img.close();
		this.stats.decoded++;
		this.stats.byCodec[codec] = (this.stats.byCodec[codec] || 0) + 1;
		this.drawnCodec = codec;
		if (!this.stats.first)
			this.stats.first = performance.now();
		this.lastCapture = capture;
		if (this.ondraw)
			this.ondraw(capture, codec);
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
	}
}

vigil.VideoSink = VideoSink;
vigil.decode = { avcCodec, findNal, hevcSupported };
})();
