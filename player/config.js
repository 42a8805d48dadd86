/*
 * NAME
 *	config.js - site settings of the vigil player
 * DESCRIPTION
 *	Edited by the operator; every default is shown.
 *	tileUrl: map tiles behind the GPS track, as a template with {z}, {x}
 *	and {y} (e.g. "https://tiles.example/{z}/{x}/{y}.png"). Empty: no map
 *	tiles are fetched; the track is drawn on a plain grid with a scale.
 *	camerasRefreshMs: how often the grid asks for the camera list.
 *	reconnectMinMs, reconnectMaxMs: WebSocket reconnect backoff bounds.
 */
window.vigil = window.vigil || {};
vigil.config = {
	tileUrl: "",
	camerasRefreshMs: 2000,
	reconnectMinMs: 250,
	reconnectMaxMs: 8000,
};
