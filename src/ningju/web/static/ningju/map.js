/* Ningju maps: a point picker and a read-only point map on 焦作市's county boundaries (Leaflet, no tiles).
 *
 * Markup comes from the include web/_map_picker.html; every setting is a data- attribute on the element
 * [data-map] ("pick" or "view"):
 *   data-leaflet-js, data-leaflet-css      static URLs of the vendored Leaflet (loaded once, on demand)
 *   data-icon, data-icon-2x, data-icon-shadow  static URLs of the marker images
 *   data-boundaries                        URL of the county GeoJSON (geo:counties_geojson)
 *   data-lat-input, data-lng-input         names of the inputs a pick fills (default "lat" / "lng"); looked up
 *                                          inside the element, then in its form, then in the document
 *   data-points                            id of a json_script block: [{lat, lng, label?, url?}, ...] (view mode)
 * Works on full page loads and on content swapped in by htmx (htmx:load); a map whose element htmx removes
 * is taken down (htmx:beforeCleanupElement). No inline script or style: CSP 'self' holds.
 */
(function () {
  "use strict";

  if (window.NingjuMap) { // this file was executed again (a swapped-in include): just look for new maps
    window.NingjuMap.scan(document);
    return;
  }

  var CITY = [[34.81, 112.56], [35.50, 113.65]]; // 焦作市, until the boundaries arrive
  var loads = {};
  var geojsons = {};
  var maps = [];

  function loadOnce(key, create) {
    if (!loads[key]) {
      loads[key] = new Promise(create);
      loads[key].catch(function () { delete loads[key]; });
    }
    return loads[key];
  }

  function loadLeaflet(el) {
    var css = loadOnce("css:" + el.dataset.leafletCss, function (resolve, reject) {
      var found = document.querySelector('link[rel="stylesheet"][href="' + el.dataset.leafletCss + '"]');
      if (found && found.sheet) { resolve(); return; }
      var link = found || document.createElement("link");
      link.addEventListener("load", function () { resolve(); });
      link.addEventListener("error", function () { reject(new Error("地图样式加载失败")); });
      if (!found) {
        link.rel = "stylesheet";
        link.href = el.dataset.leafletCss;
        document.head.appendChild(link);
      }
    });
    var js = window.L ? Promise.resolve() : loadOnce("js:" + el.dataset.leafletJs, function (resolve, reject) {
      var script = document.createElement("script");
      script.src = el.dataset.leafletJs;
      script.onload = function () { resolve(); };
      script.onerror = function () { reject(new Error("地图程序加载失败")); };
      document.head.appendChild(script);
    });
    return Promise.all([css, js]);
  }

  function loadBoundaries(url) {
    if (!geojsons[url]) {
      geojsons[url] = fetch(url, {credentials: "same-origin"}).then(function (response) {
        if (!response.ok) { throw new Error("边界数据加载失败（" + response.status + "）"); }
        return response.json();
      });
      geojsons[url].catch(function () { delete geojsons[url]; });
    }
    return geojsons[url];
  }

  // Even-odd ray casting on [lng, lat] rings, as geo.selectors does on the server.
  function ringContains(ring, lng, lat) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > lat) !== (yj > lat) && lng < (xj - xi) * (lat - yi) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }

  function countyAt(collection, lat, lng) {
    if (!collection) { return null; }
    for (var f = 0; f < collection.features.length; f++) {
      var feature = collection.features[f];
      var geometry = feature.geometry;
      var polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
      for (var p = 0; p < polygons.length; p++) {
        if (ringContains(polygons[p][0], lng, lat) && !polygons[p].slice(1).some(function (hole) {
          return ringContains(hole, lng, lat);
        })) {
          return feature.properties.name;
        }
      }
    }
    return null;
  }

  function findInput(el, name) {
    var inside = el.querySelector('input[name="' + name + '"]');
    if (inside) { return inside; }
    var form = el.closest("form");
    if (form && form.elements[name]) { return form.elements[name]; }
    return document.querySelector('input[name="' + name + '"]');
  }

  function readPoints(el) {
    var id = el.dataset.points;
    var block = id && document.getElementById(id);
    if (!block) { return []; }
    try {
      var points = JSON.parse(block.textContent);
      return Array.isArray(points) ? points : [];
    } catch (err) {
      return [];
    }
  }

  function text(tag, value) {
    var node = document.createElement(tag);
    node.textContent = value;
    return node;
  }

  function init(el) {
    if (el._ningjuMap || el._ningjuMapPending) { return; }
    el._ningjuMapPending = true;
    var status = el.querySelector("[data-map-status]");
    function say(message) { if (status) { status.textContent = message; } }
    loadLeaflet(el).then(function () {
      el._ningjuMapPending = false;
      if (!el.isConnected || el._ningjuMap) { return; }
      build(el, say);
    }).catch(function (err) {
      el._ningjuMapPending = false;
      say(err.message);
    });
  }

  function build(el, say) {
    var L = window.L;
    var canvas = el.querySelector("[data-map-canvas]") || el;
    var picking = el.dataset.map !== "view";
    var map = L.map(canvas, {
      attributionControl: false, zoomSnap: 0.25, minZoom: 7, maxZoom: 17,
      maxBounds: L.latLngBounds(CITY).pad(0.5), maxBoundsViscosity: 0.8,
    });
    map.fitBounds(CITY);
    var icon = L.icon({
      iconUrl: el.dataset.icon, iconRetinaUrl: el.dataset.icon2x, shadowUrl: el.dataset.iconShadow,
      iconSize: [25, 41], iconAnchor: [12, 41], popupAnchor: [1, -34], tooltipAnchor: [16, -28], shadowSize: [41, 41],
    });
    var state = {map: map, el: el, boundaries: null, marker: null};
    el._ningjuMap = state;
    maps.push(state);

    loadBoundaries(el.dataset.boundaries).then(function (collection) {
      if (!el._ningjuMap) { return; }
      state.boundaries = collection;
      var layer = L.geoJSON(collection, {
        interactive: false,
        style: {color: "#b71c1c", weight: 1.5, opacity: 0.8, fillColor: "#ffffff", fillOpacity: 0.85},
        onEachFeature: function (feature, county) {
          county.bindTooltip(text("span", feature.properties.name), {
            permanent: true, direction: "center", className: "map-label", interactive: false,
          });
        },
      }).addTo(map);
      layer.bringToBack();
      if (!state.fitted) { map.fitBounds(layer.getBounds(), {padding: [8, 8]}); }
      if (state.marker) { describe(state.marker.getLatLng()); }
      el.dataset.mapReady = "1";
    }).catch(function (err) {
      say(err.message);
      el.dataset.mapReady = "1";
    });

    function describe(latlng) {
      if (!picking) { return; }
      var county = countyAt(state.boundaries, latlng.lat, latlng.lng);
      var where = "北纬 " + latlng.lat.toFixed(5) + "，东经 " + latlng.lng.toFixed(5);
      if (!state.boundaries) { say("已选位置：" + where); return; }
      say(county ? "已选位置：" + county + "（" + where + "）" : "所选位置不在焦作市范围内（" + where + "）");
    }

    if (picking) {
      var latInput = findInput(el, el.dataset.latInput || "lat");
      var lngInput = findInput(el, el.dataset.lngInput || "lng");
      var place = function (latlng, pan) {
        if (state.marker) {
          state.marker.setLatLng(latlng);
        } else {
          state.marker = L.marker(latlng, {icon: icon, draggable: true, keyboard: false}).addTo(map);
          state.marker.on("dragend", function () { place(state.marker.getLatLng(), false); });
        }
        if (pan) { map.panTo(latlng); }
        [[latInput, latlng.lat], [lngInput, latlng.lng]].forEach(function (pair) {
          if (!pair[0]) { return; }
          pair[0].value = pair[1].toFixed(6);
          pair[0].dispatchEvent(new Event("change", {bubbles: true}));
        });
        describe(latlng);
      };
      var lat0 = latInput && parseFloat(latInput.value);
      var lng0 = lngInput && parseFloat(lngInput.value);
      if (isFinite(lat0) && isFinite(lng0)) {
        state.marker = L.marker([lat0, lng0], {icon: icon, draggable: true, keyboard: false}).addTo(map);
        state.marker.on("dragend", function () { place(state.marker.getLatLng(), false); });
        map.setView([lat0, lng0], 13);
        state.fitted = true;
        describe(state.marker.getLatLng());
      }
      map.on("click", function (event) { place(event.latlng, false); });

      var locate = el.querySelector("[data-map-locate]");
      if (locate) {
        locate.addEventListener("click", function () {
          if (!window.isSecureContext) { say("定位需要通过 HTTPS 访问本系统，请在地图上点选位置"); return; }
          if (!navigator.geolocation) { say("此浏览器不支持定位，请在地图上点选位置"); return; }
          say("正在获取当前位置…");
          locate.disabled = true;
          navigator.geolocation.getCurrentPosition(function (position) {
            locate.disabled = false;
            var latlng = L.latLng(position.coords.latitude, position.coords.longitude);
            place(latlng, false);
            map.setView(latlng, Math.max(map.getZoom(), 14));
          }, function (error) {
            locate.disabled = false;
            var reasons = {1: "未获得定位权限", 2: "无法确定当前位置", 3: "定位超时"};
            say((reasons[error.code] || "定位失败") + "，请在地图上点选位置");
          }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
        });
      }
    } else {
      var group = [];
      readPoints(el).forEach(function (point) {
        var lat = parseFloat(point.lat), lng = parseFloat(point.lng);
        if (!isFinite(lat) || !isFinite(lng)) { return; }
        var marker = L.marker([lat, lng], {icon: icon, keyboard: false}).addTo(map);
        if (point.label) {
          var label = point.url ? text("a", point.label) : text("span", point.label);
          if (point.url) { label.href = point.url; }
          marker.bindPopup(label);
        }
        group.push([lat, lng]);
      });
      if (group.length === 1) {
        map.setView(group[0], 13);
        state.fitted = true;
      } else if (group.length > 1) {
        map.fitBounds(group, {paddingTopLeft: [24, 52], paddingBottomRight: [24, 12], maxZoom: 14}); // icons stand above
        state.fitted = true;
      }
      el.dataset.mapPoints = String(group.length);
    }
  }

  function destroy(el) {
    var state = el._ningjuMap;
    if (!state) { return; }
    state.map.remove();
    el._ningjuMap = null;
    maps = maps.filter(function (s) { return s !== state; });
  }

  function scan(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("[data-map]")) { init(scope); }
    scope.querySelectorAll("[data-map]").forEach(init);
  }

  window.NingjuMap = {scan: scan, destroy: destroy, maps: function () { return maps.slice(); }};

  document.addEventListener("htmx:load", function (event) { scan(event.detail && event.detail.elt); });
  document.addEventListener("htmx:beforeCleanupElement", function (event) {
    var el = event.target;
    if (el && el.matches && el.matches("[data-map]")) { destroy(el); }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  } else {
    scan(document);
  }
})();
