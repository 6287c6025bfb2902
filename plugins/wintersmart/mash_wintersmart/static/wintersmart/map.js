// WinterSMART interactive map (setting map_library = "leaflet"): turns each [data-ws-leaflet]
// container into a Leaflet map of the GeoJSON in its data-features attribute, styled like the
// page's SVG map (which stays as the fallback without script and is hidden once this map is drawn).
// When the tile server cannot be reached (a few tile errors, or no tile within a few seconds), the
// tile layer is removed: the network stays on a plain background and a note says so.
// No inline script or style: everything comes from data-* attributes; texts are set as text.
(function () {
  "use strict";
  var ERROR_LIMIT = 3;          // tile errors before the background is given up
  var TIMEOUT_MS = 5000;        // no tile loaded by then: given up as well
  var COLOUR = /^#[0-9a-f]{6}$/i;
  var DASH = /^[0-9 .]*$/;

  function colour(value, fallback) { return COLOUR.test(value || "") ? value : fallback; }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function textNode(text, className) {
    var span = document.createElement("span");
    if (className) { span.className = className; }
    span.textContent = text;
    return span;
  }

  // square (grit bin, silo) and triangle (sign) as inline SVG with presentation attributes
  function shapeIcon(shape, fill) {
    var svg = shape === "triangle"
      ? '<svg xmlns="http://www.w3.org/2000/svg" width="18" height="16" viewBox="0 0 18 16" aria-hidden="true" focusable="false"><polygon points="9,1 1,15 17,15" fill="' + fill + '" stroke="#1a1a1a" stroke-width="1.5"/></svg>'
      : '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" viewBox="0 0 10 10" aria-hidden="true" focusable="false"><rect x="1" y="1" width="8" height="8" fill="' + fill + '" stroke="#1a1a1a" stroke-width="1"/></svg>';
    var size = shape === "triangle" ? [18, 16] : [10, 10];
    return L.divIcon({html: svg, className: "ws-leaflet-icon", iconSize: size,
                      iconAnchor: [size[0] / 2, size[1] / 2]});
  }

  function circleStyle(p) {
    return {radius: 7, color: "#1a1a1a", weight: 1.5, opacity: 1, fillColor: colour(p.colour, "#ffffff"),
            fillOpacity: 1};
  }

  function feature(f, latlng) {
    var p = f.properties || {};
    if (p.shape === "circle") { return L.circleMarker(latlng, circleStyle(p)); }
    return L.marker(latlng, {icon: shapeIcon(p.shape, colour(p.colour, "#ffffff")), keyboard: false});
  }

  // L.geoJSON applies this to every vector layer, the stations' circles included
  function style(f) {
    var p = f.properties || {};
    if (f.geometry.type === "Point") { return circleStyle(p); }
    return {color: colour(p.colour, "#767676"), weight: Number(p.width) || 3, opacity: 1,
            dashArray: DASH.test(p.dash || "") && p.dash ? p.dash : null, lineCap: "round", lineJoin: "round"};
  }

  function decorate(f, layer) {
    var p = f.properties || {};
    if (p.label) { layer.bindTooltip(textNode(p.label), {sticky: f.geometry.type === "LineString"}); }
    if (p.layer) { layer.options.wsLayer = p.layer; }
  }

  function levelLabels(data) {
    // the level number beside stations and on segments with a warning: colour is never the only cue
    var marks = [];
    data.features.forEach(function (f) {
      var p = f.properties || {}, c = f.geometry.coordinates;
      if (!p.level) { return; }
      var at = null;
      if (f.geometry.type === "Point") { at = [c[1], c[0]]; }
      else if (p.layer === "segments") { var m = c[Math.floor(c.length / 2)]; at = [m[1], m[0]]; }
      if (!at) { return; }
      var mark = L.marker(at, {icon: L.divIcon({className: "ws-leaflet-level", html: "", iconSize: [0, 0]}),
                               keyboard: false, interactive: false});
      mark.bindTooltip(textNode(String(p.level)), {permanent: true, direction: "right",
                                                   className: "ws-leaflet-level-label", offset: [6, 0]});
      mark.options.wsLayer = p.layer;
      marks.push(mark);
    });
    return marks;
  }

  function init(box) {
    var data;
    try { data = JSON.parse(box.getAttribute("data-features") || ""); } catch (e) { return; }
    if (!data || !data.features || !data.features.length) { return; }
    var fallback = document.getElementById(box.getAttribute("data-fallback") || "");
    var note = box.parentNode.querySelector("[data-ws-map-note]");
    var hint = box.parentNode.querySelector("[data-ws-map-hint]");
    box.hidden = false;
    var map = L.map(box, {zoomControl: false, attributionControl: false, zoomSnap: 0.25,
                          maxZoom: Number(box.getAttribute("data-max-zoom")) || 19});
    L.control.zoom({zoomInTitle: box.getAttribute("data-zoom-in") || "+",
                    zoomOutTitle: box.getAttribute("data-zoom-out") || "-"}).addTo(map);
    L.control.attribution({prefix: "Leaflet"}).addTo(map);

    var groups = {};
    function group(name) {
      name = name || "other";
      if (!groups[name]) { groups[name] = L.layerGroup().addTo(map); }
      return groups[name];
    }
    var geo = L.geoJSON(data, {pointToLayer: feature, style: style, onEachFeature: decorate});
    geo.eachLayer(function (layer) { group(layer.options.wsLayer).addLayer(layer); });
    levelLabels(data).forEach(function (mark) { group(mark.options.wsLayer).addLayer(mark); });
    var bounds = geo.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, {padding: [16, 16]}); } else { map.setView([0, 0], 2); }

    function plain() {
      if (box.getAttribute("data-tiles") === "failed") { return; }
      box.setAttribute("data-tiles", "failed");
      box.classList.add("ws-leaflet-plain");
      if (tiles) { map.removeLayer(tiles); }
      if (note) { note.hidden = false; }
    }

    var url = box.getAttribute("data-tile-url") || "";
    var tiles = null;
    if (url) {
      var loaded = 0, errors = 0;
      tiles = L.tileLayer(url, {maxZoom: map.getMaxZoom(), referrerPolicy: "strict-origin-when-cross-origin",
                                attribution: escapeHtml(box.getAttribute("data-attribution") || "")});
      tiles.on("tileload", function () {
        loaded += 1;
        if (box.getAttribute("data-tiles") !== "failed") { box.setAttribute("data-tiles", "ok"); }
      });
      tiles.on("tileerror", function () {
        errors += 1;
        if (errors >= ERROR_LIMIT && loaded === 0) { plain(); }
      });
      tiles.addTo(map);
      window.setTimeout(function () { if (loaded === 0) { plain(); } }, TIMEOUT_MS);
    } else {
      plain();
    }

    // the dashboard's layer switches (leitstand.js shows them) also switch the map's layers
    document.querySelectorAll("[data-ws-layers] input[data-layer]").forEach(function (input) {
      input.addEventListener("change", function () {
        var g = groups[input.getAttribute("data-layer")];
        if (!g) { return; }
        if (input.checked) { g.addTo(map); } else { map.removeLayer(g); }
      });
    });

    if (fallback) { fallback.hidden = true; }
    if (hint) { hint.hidden = false; }
    box.setAttribute("data-ready", "true");
  }

  function start() {
    if (typeof window.L === "undefined") { return; }     // no Leaflet: the SVG map stays
    document.querySelectorAll("[data-ws-leaflet]").forEach(function (box) {
      try { init(box); } catch (e) {
        box.hidden = true;                                 // whatever failed, the SVG map stays
        if (window.console) { window.console.error(e); }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
