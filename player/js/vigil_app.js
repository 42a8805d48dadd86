/*
 * NAME
 *	vigil_app.js - routes between the login page, the grid and one camera
 * DESCRIPTION
 *	The fragment names the page: #/login, #/ (grid), #/camera/UUID.
 *	Without a token every route leads to the login page; after signing in
 *	the player returns to the route it was sent away from.
 */
(function () {
"use strict";
const vigil = window.vigil = window.vigil || {};
const $ = (id) => document.getElementById(id);

const app = {
	grid: null,
	view: null,
	after: "#/",

	start() {
		app.grid = new vigil.Grid($("grid"));
		app.view = new vigil.View();
		$("login-form").addEventListener("submit", app.submit);
		$("logout").addEventListener("click", () => vigil.api.logout());
		window.addEventListener("hashchange", app.route);
		app.route();
	},

	toLogin() {
		if (location.hash !== "#/login") {
			if (!location.hash.startsWith("#/login"))
				app.after = location.hash || "#/";
			location.hash = "#/login";
		} else {
			app.route();
		}
	},

	async submit(e) {
		e.preventDefault();
		$("login-error").textContent = "";
		try {
			await vigil.api.login($("login-user").value, $("login-password").value);
			$("login-password").value = "";
			location.hash = app.after && app.after !== "#/login" ? app.after : "#/";
		} catch (err) {
			$("login-error").textContent = err.message;
		}
	},

	show(id) {
		for (const p of document.querySelectorAll(".page"))
			p.hidden = p.id !== id;
		$("logout").hidden = id === "login";
		$("nav-grid").hidden = id === "login";
		document.body.dataset.page = id;
	},

	route() {
		const h = location.hash || "#/";
		app.grid.stop();
		app.view.close();
		if (h === "#/login" || !vigil.api.token()) {
			if (h !== "#/login") {
				app.after = h;
				location.hash = "#/login";
				return;
			}
			app.show("login");
			$("login-user").focus();
			return;
		}
		const m = h.match(/^#\/camera\/([0-9a-fA-F-]{36})$/);
		if (m) {
			app.show("camera");
			app.view.open(m[1].toLowerCase());
			return;
		}
		app.show("grid");
		app.grid.start();
	},

	/* Every tile on the page, for tests and the benchmark. */
	tiles() {
		const t = app.grid.tiles();
		if (app.view.tile)
			t.push(app.view.tile);
		return t;
	},
};

vigil.app = app;
window.addEventListener("DOMContentLoaded", app.start);
})();
