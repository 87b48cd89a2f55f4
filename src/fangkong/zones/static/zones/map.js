/* Risk-zone maps (Leaflet): our own geometry on a blank map; tiles only when configured.
 *
 * The base layer: when the page's map settings name `base` (places:map), the user's places are
 * drawn under everything else from their outlines, fetched for the view at every move: district,
 * street and community lines, then grids, compounds and buildings as one zooms in, labelled at
 * the level that fits the zoom. Each shape's path has the class fk-level-<level>. The map keeps
 * its current view in data-view ("west,south,east,north") and the number of base features
 * drawn in data-base-features.
 *
 * [data-zone-map]  draws a GeoJSON FeatureCollection (points of places, drawn outlines).
 * [data-draw-map]  the draw page: opens on the user's jurisdiction (settings `bounds`); a click
 *                  on a building adds it, and an outline is drawn by clicking corners,
 *                  written as GeoJSON into input[data-polygon].
 * [data-place-search] the place picker: search by name or code, browse children, add codes
 *                  to textarea[data-places]. Without JavaScript the codes are typed by hand.
 *
 * Leaflet tooltips take HTML: every name goes through fangkong.escapeHTML (web/static/fangkong/
 * safe.js); the picker builds its list with textContent.
 */
(function () {
  "use strict";

  var COLOURS = ["#b3261e", "#e07b00", "#b39200", "#5b6573"];
  var COMPOUND = 6;
  var BUILDING = 7;
  var COMPOUND_SHAPE_ZOOM = 14; // below it a compound is a dot
  var TILES_FILL = 0.45; // fill of compounds and buildings when a tile layer lies under them
  // Levels of places.models.Level: city 1, district 2, street 3, community 4, grid 5,
  // compound 6, building 7.
  var BASE_STYLES = {
    1: { color: "#2f3b4c", weight: 3, fillColor: "#fbfaf5", fillOpacity: 1 },
    2: { color: "#2f3b4c", weight: 2.5, fillColor: "#fbfaf5", fillOpacity: 1 },
    3: { color: "#56677d", weight: 1.6, dashArray: "7 4", fill: false },
    4: { color: "#7d8ca0", weight: 1, dashArray: "3 3", fill: false },
    5: { color: "#a3afbf", weight: 0.8, dashArray: "1 3", fill: false },
    6: { color: "#9a8f77", weight: 1, fillColor: "#ece5d3", fillOpacity: 1 },
    7: { color: "#6f6757", weight: 1, fillColor: "#c8bda4", fillOpacity: 1 },
  };
  // The level whose names are written on the map at a zoom: [least zoom, level].
  var LABEL_LEVELS = [[0, 2], [11, 3], [13, 4], [14, 5], [15, 6]];

  function colour(rank) {
    return COLOURS[Math.min(rank || 0, COLOURS.length - 1)];
  }

  function readJSON(id) {
    var el = id && document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function baseMap(el, settings) {
    var map = L.map(el, { attributionControl: Boolean(settings.tiles), maxZoom: 19, zoomSnap: 0.25 });
    if (settings.tiles) {
      L.tileLayer(settings.tiles, { attribution: settings.attribution || "", maxZoom: 19 }).addTo(map);
    }
    map.createPane("fk-base").style.zIndex = 350; // above tiles, under zones and drawings
    map.createPane("fk-labels").style.zIndex = 450;
    map.getPane("fk-labels").style.pointerEvents = "none";
    map.on("moveend", function () { el.dataset.view = map.getBounds().toBBoxString(); });
    return map;
  }

  function labelLevel(zoom) {
    var level = LABEL_LEVELS[0][1];
    LABEL_LEVELS.forEach(function (pair) { if (zoom >= pair[0]) level = pair[1]; });
    return level;
  }

  // A compound too small to see at this zoom is drawn as a dot at its middle.
  function asDot(feature) {
    var ring = feature.geometry.coordinates[0];
    var lon = 0, lat = 0;
    ring.slice(0, -1).forEach(function (p) { lon += p[0]; lat += p[1]; });
    var n = Math.max(ring.length - 1, 1);
    var bounds = L.geoJSON(feature).getBounds();
    return {
      type: "Feature",
      properties: feature.properties,
      geometry: { type: "Point", coordinates: [lon / n, lat / n] },
      bbox: [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()],
    };
  }

  // The user's places under the map, refetched for the view after every move. A click on an
  // area zooms to it (unless `busy()`: an outline is being drawn); a click on a building calls
  // `onBuilding`.
  function baseLayer(map, el, settings, onBuilding, busy) {
    var group = L.layerGroup().addTo(map);
    var latest = 0;
    var url = settings.base;
    // Over tiles, areas are lines only and compounds and buildings let the tiles through.
    var seeThrough = settings.tiles ? TILES_FILL : null;
    function style(f) {
      var level = f.properties.level;
      var s = Object.assign({ className: "fk-level-" + level }, BASE_STYLES[level] || BASE_STYLES[5]);
      if (s.fill === false) Object.assign(s, { fill: true, fillOpacity: 0 });
      if (seeThrough) s.fillOpacity = level >= COMPOUND ? seeThrough : 0;
      return s;
    }
    function draw(data) {
      group.clearLayers();
      var zoom = Math.floor(map.getZoom());
      var label = labelLevel(zoom);
      var features = data.features.map(function (f) {
        return f.properties.level === COMPOUND && zoom < COMPOUND_SHAPE_ZOOM && f.geometry.type === "Polygon" ? asDot(f) : f;
      });
      group.addLayer(L.geoJSON({ type: "FeatureCollection", features: features }, {
        pane: "fk-base",
        style: style,
        pointToLayer: function (f, latlng) {
          var s = BASE_STYLES[f.properties.level] || BASE_STYLES[BUILDING];
          return L.circleMarker(latlng, { pane: "fk-base", className: "fk-level-" + f.properties.level, radius: 4, color: s.color, weight: 1, fillColor: s.fillColor, fillOpacity: 1 });
        },
        onEachFeature: function (f, layer) {
          var p = f.properties;
          var b = f.bbox;
          var where = layer.getBounds ? layer.getBounds()
            : b ? L.latLngBounds([[b[1], b[0]], [b[3], b[2]]])
            : L.latLngBounds([layer.getLatLng(), layer.getLatLng()]);
          layer.bindTooltip(fangkong.escapeHTML(p.name + " · " + p.level_label + (p.level >= BUILDING ? " · " + p.code : "")));
          layer.on("click", function () {
            if (busy()) return;
            if (p.level >= BUILDING) onBuilding(p);
            else map.fitBounds(where, { padding: [24, 24] });
          });
          if (p.level === label && p.level < BUILDING) {
            L.marker(where.getCenter(), {
              pane: "fk-labels",
              interactive: false,
              keyboard: false,
              icon: L.divIcon({ className: "place-label level-" + p.level, html: "<span>" + fangkong.escapeHTML(p.name) + "</span>", iconSize: null }),
            }).addTo(group);
          }
        },
      }));
      el.dataset.baseFeatures = String(data.features.length);
    }
    function load() {
      var ask = ++latest;
      var params = new URLSearchParams({ zoom: String(Math.floor(map.getZoom())), bbox: map.getBounds().toBBoxString() });
      fetch(url + "?" + params.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { features: [] }; })
        .then(function (data) { if (ask === latest) draw(data); });
    }
    map.on("moveend", load);
    return group;
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
    var settings = readJSON(el.dataset.settings) || {};
    var map = baseMap(el, settings);
    if (settings.base) baseLayer(map, el, settings, function () {}, function () { return false; });
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
    var settings = readJSON(el.dataset.settings) || {};
    var map = baseMap(el, settings);
    var outline = L.layerGroup().addTo(map);
    var polygonInput = document.querySelector("input[data-polygon]");
    var corners = [];
    var drawing = false;
    var startBtn = document.querySelector("[data-outline-start]");
    var finishBtn = document.querySelector("[data-outline-finish]");
    var clearBtn = document.querySelector("[data-outline-clear]");

    if (settings.base) {
      baseLayer(map, el, settings, function (place) { addPlace(place.code); }, function () { return drawing; });
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

    // Open on the user's jurisdiction: [west, south, east, north] from the page.
    var box = settings.bounds;
    if (box) {
      map.fitBounds([[box[1], box[0]], [box[3], box[2]]], { padding: [8, 8] });
    } else {
      map.setView([0, 0], 2);
    }
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
