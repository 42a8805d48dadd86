// NAME
//	player_lib.mjs - drive the vigil player in Debian's headless Chromium
// DESCRIPTION
//	Shared by the player tests and the player benchmark: launch Chromium
//	through playwright-core (never a downloaded browser), sign in, read
//	the camera's burned-in bar code back from a tile's canvas, wait for
//	a condition, save screenshots.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export async function launch() {
	return chromium.launch({
		executablePath: CHROMIUM,
		args: ['--headless', '--no-sandbox', '--disable-gpu',
		    '--autoplay-policy=no-user-gesture-required'],
	});
}

export async function newPage(browser, errors) {
	const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
	page.on('pageerror', (e) => errors.push(e.message));
	return page;
}

export async function login(page, url, user, password) {
	await page.goto(url + '/#/login');
	await page.waitForSelector('#login-form', { state: 'visible' });
	await page.fill('#login-user', user);
	await page.fill('#login-password', password);
	await page.click('#login-submit');
}

// Runs in the page: the bar code of the picture on a canvas, read from
// the picture's top 48 rows (three bands of 16 rows, 32 blocks each, MSB
// left, white 1), scaled to the size the canvas is painted at:
// {frame, capture}, or null when the bands are not a code.
export function pageReadBars(canvas) {
	const w = canvas.width, h = canvas.height;
	const k = h / Number(canvas.dataset.videoHeight || h); /* canvas rows per picture row */
	const band = 16 * k;
	if (w < 64 || band < 5)
		return null;
	const img = canvas.getContext('2d', { willReadFrequently: true })
	    .getImageData(0, 0, w, Math.ceil(3 * band)).data;
	const v = [0, 0, 0];
	for (let b = 0; b < 3; b++) {
		let n = 0;
		for (let i = 0; i < 32; i++) {
			const x0 = Math.floor(i * w / 32), x1 = Math.floor((i + 1) * w / 32);
			let sum = 0, cnt = 0;
			for (let y = Math.ceil(b * band + band / 4); y < Math.floor(b * band + band * 3 / 4); y++)
				for (let x = x0 + 1; x < x1 - 1; x++) {
					const o = (y * w + x) * 4;
					sum += 0.299 * img[o] + 0.587 * img[o + 1] + 0.114 * img[o + 2];
					cnt++;
				}
			n = n * 2 + (sum / cnt > 128 ? 1 : 0);
		}
		v[b] = n >>> 0;
	}
	return { frame: v[0], capture: v[1] * 4294967296 + v[2] };
}

// Waits are for events, and their bounds only say when to give up: a
// machine at load 10 or a sanitizer build takes several times longer to
// get there, so every bound is stretched by SLACK (VIGIL_TEST_SLACK,
// default 4). A passing run does not wait any longer for it.
export const SLACK = Number(process.env.VIGIL_TEST_SLACK || 4);
export const slack = (ms) => ms * SLACK;

export async function waitFor(what, fn, timeoutMs, stepMs = 100) {
	const end = Date.now() + slack(timeoutMs);
	let last;
	for (;;) {
		last = await fn();
		if (last)
			return last;
		if (Date.now() > end)
			throw new Error('timed out waiting for ' + what);
		await new Promise((r) => setTimeout(r, stepMs));
	}
}

export function shotDir() {
	const d = path.join(process.env.OUT || 'build/default', 'browser');
	fs.mkdirSync(d, { recursive: true });
	return d;
}
