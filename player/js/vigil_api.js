/*
 * NAME
 *	vigil_api.js - the streamer's HTTP API and the session token
 * DESCRIPTION
 *	POST /api/login gives a token, kept in sessionStorage (one browser
 *	tab, gone when it closes). Every other request carries it as
 *	"Authorization: Bearer T"; the WebSocket carries it as ?token=T.
 *	A 401 anywhere forgets the token and returns to the login page.
 */
(function () {
"use strict";
const vigil = window.vigil = window.vigil || {};
const KEY = "vigil.token";

class Unauthorized extends Error {}

const api = {
	token() {
		return sessionStorage.getItem(KEY);
	},

	async login(user, password) {
		const r = await fetch("/api/login", {
			method: "POST",
			headers: { "Content-Type": "application/json" },
			body: JSON.stringify({ user: user, password: password }),
		});
		if (r.status === 429)
			throw new Error("too many attempts: try again in " +
			    (r.headers.get("Retry-After") || "a few") + " s");
		if (!r.ok)
			throw new Error(r.status === 401 || r.status === 403 ?
			    "wrong user or password" : "login failed: HTTP " + r.status);
		const j = await r.json();
		if (!j.token)
			throw new Error("login failed: no token in the answer");
		sessionStorage.setItem(KEY, j.token);
	},

	logout() {
		sessionStorage.removeItem(KEY);
		api.unauthorized();
	},

	/* Called on a 401: the app routes to the login page. */
	unauthorized() {
		sessionStorage.removeItem(KEY);
		if (vigil.app)
			vigil.app.toLogin();
	},

	async get(path) {
		const t = api.token();
		if (!t) {
			api.unauthorized();
			throw new Unauthorized("not signed in");
		}
		const r = await fetch(path, { headers: { Authorization: "Bearer " + t } });
		if (r.status === 401) {
			api.unauthorized();
			throw new Unauthorized("token refused");
		}
		if (!r.ok)
			throw new Error(path + ": HTTP " + r.status);
		return r.json();
	},

	cameras() {
		return api.get("/api/cameras");
	},
	days(uuid) {
		return api.get("/api/cameras/" + encodeURIComponent(uuid) + "/days");
	},
	day(uuid, date) {
		return api.get("/api/cameras/" + encodeURIComponent(uuid) + "/days/" + date);
	},

	wsUrl() {
		const proto = location.protocol === "https:" ? "wss:" : "ws:";
		return proto + "//" + location.host + "/ws?token=" + encodeURIComponent(api.token() || "");
	},
};

/* "YYYY-MM-DD" of a time in ms (UTC), and the day's first ms. */
api.dateOf = (ms) => new Date(ms).toISOString().slice(0, 10);
api.dayStart = (date) => Date.parse(date + "T00:00:00Z");

vigil.api = api;
vigil.Unauthorized = Unauthorized;
})();
