/* Risk-zone maps (Leaflet): our own geometry on a blank map; tiles only when configured.
 *
 * [data-zone-map]  draws a GeoJSON FeatureCollection (points of places, drawn outlines).
 * [data-draw-map]  the draw page: buildings in view as dots (click adds one), and an outline
 *                  drawn by clicking corners, written as GeoJSON into input[data-polygon].
 * [data-place-search] the place picker: search by name or code, browse children, add codes
 *                  to textarea[data-places]. Without JavaScript the codes are typed by hand.
 *
 * Leaflet tooltips take HTML: every name goes through fangkong.escapeHTML (web/static/fangkong/
 * safe.js); the picker builds its list with textContent.
 */
(function () {
  "use strict";

  var COLOURS = ["#b3261e", "#e07b00", "#b39200", "#5b6573"];
  var MIN_BUILDING_ZOOM = 14;

  function colour(rank) {
    return COLOURS[Math.min(rank || 0, COLOURS.length - 1)];
  }

  function readJSON(id) {
    var el = id && document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function baseMap(el) {
    var settings = readJSON(el.dataset.settings) || {};
    var map = L.map(el, { attributionControl: Boolean(settings.tiles) });
    if (settings.tiles) {
      L.tileLayer(settings.tiles, { attribution: settings.attribution || "", maxZoom: 19 }).addTo(map);
    }
    return map;
  }

  function zoneLayer(data) {
    return L.geoJSON(data, {
      style: function (f) {
        return { color: colour(f.properties.rank), weight: 2, fillOpacity: 0.25 };
      },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: 7, color: colour(f.properties.rank), fillOpacity: 0.6 });
      },
      onEachFeature: function (f, layer) {
        var p = f.properties || {};
        layer.bindTooltip(fangkong.escapeHTML([p.label, p.name].filter(Boolean).join(" · ")));
      },
    });
  }

  function showZones(el) {
    var map = baseMap(el);
    var layer = zoneLayer(readJSON(el.dataset.geojson)).addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) {
      map.fitBounds(bounds.pad(0.3), { maxZoom: 17 });
    }
  }

  // ── the place picker ────────────────────────────────────────────────────────────────────

  function placesField() {
    return document.querySelector("textarea[data-places]");
  }

  function addPlace(code) {
    var field = placesField();
    if (!field) return;
    var codes = field.value.split(/[\s,，;；、]+/).filter(Boolean);
    if (codes.indexOf(code) === -1) codes.push(code);
    field.value = codes.join("\n");
    field.dispatchEvent(new Event("change"));
  }

  function fetchPlaces(url, params) {
    var query = new URLSearchParams(params).toString();
    return fetch(url + "?" + query, { credentials: "same-origin" }).then(function (r) {
      return r.ok ? r.json() : { items: [] };
    });
  }

  function setupPicker(input) {
    var list = document.querySelector("[data-place-results]");
    var url = input.dataset.url;
    function show(items) {
      list.textContent = "";
      if (!items.length) {
        var none = document.createElement("li");
        none.className = "muted";
        none.textContent = list.dataset.empty;
        list.appendChild(none);
      }
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.dataset.code = item.code;
        var label = document.createElement("span");
        label.textContent = item.path + " (" + item.level + ", " + item.code + ")";
        var add = document.createElement("button");
        add.type = "button";
        add.className = "secondary";
        add.textContent = list.dataset.add;
        add.dataset.add = item.code;
        add.addEventListener("click", function () { addPlace(item.code); });
        li.appendChild(label);
        li.appendChild(add);
        if (!item.leaf) {
          var open = document.createElement("button");
          open.type = "button";
          open.className = "secondary";
          open.textContent = list.dataset.open;
          open.addEventListener("click", function () {
            fetchPlaces(url, { parent: item.key }).then(function (d) { show(d.items); });
          });
          li.appendChild(open);
        }
        list.appendChild(li);
      });
    }
    function search() {
      fetchPlaces(url, { q: input.value.trim() }).then(function (d) { show(d.items); });
    }
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); search(); }
    });
    var go = document.querySelector("[data-place-go]");
    if (go) go.addEventListener("click", search);
    var top = document.querySelector("[data-place-top]");
    if (top) top.addEventListener("click", function () {
      fetchPlaces(url, {}).then(function (d) { show(d.items); });
    });
  }

  // ── the draw map ────────────────────────────────────────────────────────────────────────

  function setupDrawMap(el) {
    var map = baseMap(el);
    var url = el.dataset.url;
    var dots = L.layerGroup().addTo(map);
    var outline = L.layerGroup().addTo(map);
    var polygonInput = document.querySelector("input[data-polygon]");
    var corners = [];
    var drawing = false;
    var startBtn = document.querySelector("[data-outline-start]");
    var finishBtn = document.querySelector("[data-outline-finish]");
    var clearBtn = document.querySelector("[data-outline-clear]");

    function loadBuildings() {
      if (map.getZoom() < MIN_BUILDING_ZOOM) { dots.clearLayers(); return; }
      var b = map.getBounds();
      var box = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].join(",");
      fetchPlaces(url, { bbox: box }).then(function (d) {
        dots.clearLayers();
        d.items.forEach(function (item) {
          L.circleMarker([item.lat, item.lon], { radius: 5, color: "#1f5fae", fillOpacity: 0.5 })
            .bindTooltip(fangkong.escapeHTML(item.path))
            .on("click", function () { if (!drawing) addPlace(item.code); })
            .addTo(dots);
        });
      });
    }

    function redraw(closed) {
      outline.clearLayers();
      if (!corners.length) return;
      var shape = closed ? L.polygon(corners, { color: "#b3261e" }) : L.polyline(corners, { color: "#b3261e", dashArray: "4" });
      shape.addTo(outline);
      corners.forEach(function (c) { L.circleMarker(c, { radius: 3, color: "#b3261e" }).addTo(outline); });
    }

    map.on("click", function (e) {
      if (!drawing) return;
      corners.push(e.latlng);
      finishBtn.disabled = corners.length < 3;
      redraw(false);
    });
    startBtn.addEventListener("click", function () {
      drawing = true;
      corners = [];
      polygonInput.value = "";
      redraw(false);
      el.classList.add("drawing");
    });
    finishBtn.addEventListener("click", function () {
      if (corners.length < 3) return;
      drawing = false;
      el.classList.remove("drawing");
      finishBtn.disabled = true;
      var ring = corners.map(function (c) { return [c.lng, c.lat]; });
      ring.push(ring[0]);
      polygonInput.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
      redraw(true);
    });
    clearBtn.addEventListener("click", function () {
      drawing = false;
      corners = [];
      polygonInput.value = "";
      finishBtn.disabled = true;
      el.classList.remove("drawing");
      redraw(false);
    });

    map.on("moveend", loadBuildings);
    // Start over the caller's places: the first node with coordinates the picker knows.
    fetchPlaces(url, {}).then(function (d) {
      var placed = d.items.filter(function (i) { return i.lat !== null && i.lon !== null; });
      if (placed.length) {
        map.setView([placed[0].lat, placed[0].lon], MIN_BUILDING_ZOOM);
      } else {
        map.setView([0, 0], 2);
      }
    });
    if (polygonInput && polygonInput.value) {
      try {
        var ring = JSON.parse(polygonInput.value).coordinates[0];
        corners = ring.slice(0, -1).map(function (p) { return L.latLng(p[1], p[0]); });
        redraw(true);
      } catch (err) { polygonInput.value = ""; }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof L !== "undefined" && window.fangkong) {
      document.querySelectorAll("[data-zone-map]").forEach(showZones);
      document.querySelectorAll("[data-draw-map]").forEach(setupDrawMap);
    }
    document.querySelectorAll("[data-place-search]").forEach(setupPicker);
  });
})();
