/* Maps of the public pages (progressive enhancement: every page works without it).
   Reads its settings from json_script blocks; never inline data.

   The full map (/carte/) asks the server for what its view needs (bbox + zoom):
   clusters zoomed out, places zoomed in. Its view lives in the address
   (#carte=zoom/lat/lon) so that it can be shared; the filters are the query string. */
(function () {
  "use strict";
  var t = (window.epn && window.epn.t) || function (text) { return text; };
  var locale = (window.epn && window.epn.locale) || "fr-FR";
  if (!window.L) { return; }

  function readJSON(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : {};
  }
  var config = readJSON("map-config");
  var kinds = readJSON("map-kinds");

  function baseMap(element, options) {
    var map = L.map(element, options);
    L.tileLayer(config.tiles, { attribution: config.attribution, maxZoom: 19 }).addTo(map);
    return map;
  }

  var placeMap = document.getElementById("place-map");
  if (placeMap) {
    var point = [parseFloat(placeMap.dataset.lat), parseFloat(placeMap.dataset.lon)];
    var small = baseMap(placeMap, { scrollWheelZoom: false }).setView(point, 16);
    L.marker(point, { title: placeMap.dataset.name, alt: placeMap.dataset.name }).addTo(small);
  }

  var fullMap = document.getElementById("full-map");
  if (!fullMap) { return; }

  var FRANCE = [[41.2, -5.5], [51.2, 9.8]];
  var status = document.getElementById("map-status");
  var list = document.getElementById("map-list");
  var snippet = document.getElementById("embed-snippet");
  var map = baseMap(fullMap, {});
  var layer = L.layerGroup().addTo(map);
  var pending = null;

  function number(n) {
    return n.toLocaleString(locale);
  }

  function kindLabels(codes) {
    return codes.map(function (code) { return kinds[code] ? kinds[code].label : code; });
  }

  function openText(open) {
    if (open === true) { return t("Ouvert maintenant"); }
    if (open === false) { return t("Fermé maintenant"); }
    return "";
  }

  function popupContent(properties) {
    var box = document.createElement("div");
    var title = document.createElement("p");
    var link = document.createElement("a");
    link.href = properties.url;
    link.textContent = properties.name;
    title.appendChild(link);
    box.appendChild(title);
    var details = kindLabels(properties.kinds || []);
    if (openText(properties.open)) { details.push(openText(properties.open)); }
    if (details.length) {
      var text = document.createElement("p");
      text.textContent = details.join(" · ");
      box.appendChild(text);
    }
    return box;
  }

  function placeMarker(feature, latlng) {
    var properties = feature.properties;
    var kind = kinds[(properties.kinds || [])[0]];
    var label = properties.name + (kind ? " (" + kind.label + ")" : "");
    var options = { title: label, alt: label, keyboard: true };
    if (kind) {
      options.icon = L.icon({ iconUrl: kind.icon, iconSize: [30, 30], iconAnchor: [15, 15], popupAnchor: [0, -12], className: "map-icon" });
    }
    return L.marker(latlng, options).bindPopup(popupContent(properties));
  }

  function clusterMarker(feature, latlng) {
    var count = feature.properties.count;
    var size = count < 100 ? 30 : count < 10000 ? 38 : 46;
    var label = t("%s lieux : zoomer sur ce groupe").replace("%s", number(count));
    var marker = L.marker(latlng, {
      title: label,
      alt: label,
      keyboard: true,
      icon: L.divIcon({ html: "<span>" + number(count) + "</span>", className: "map-cluster", iconSize: [size, size] })
    });
    marker.on("click", function () {
      var b = feature.properties.bounds;
      var bounds = L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
      var zoom = Math.min(map.getBoundsZoom(bounds), map.getMaxZoom());
      map.setView(bounds.getCenter(), Math.max(zoom, map.getZoom() + 1));
    });
    return marker;
  }

  function viewParams() {
    var b = map.getBounds();
    var clamp = function (value, limit) { return Math.max(-limit, Math.min(limit, value)); };
    var box = [clamp(b.getWest(), 180), clamp(b.getSouth(), 90), clamp(b.getEast(), 180), clamp(b.getNorth(), 90)];
    return "bbox=" + box.map(function (v) { return v.toFixed(5); }).join(",") + "&zoom=" + map.getZoom();
  }

  function withParams(url, extra) {
    return url + (url.indexOf("?") === -1 ? "?" : "&") + extra;
  }

  function rememberView() {
    var centre = map.getCenter();
    var hash = "#carte=" + map.getZoom() + "/" + centre.lat.toFixed(5) + "/" + centre.lng.toFixed(5);
    if (window.location.hash !== hash) { history.replaceState(null, "", hash); }
    if (snippet) {
      snippet.value = snippet.value.replace(/src="[^"]*"/, 'src="' + snippet.dataset.embedUrl.replace(/&/g, "&amp;") + hash + '"');
    }
  }

  function refresh() {
    rememberView();
    if (pending) { pending.abort(); }
    pending = window.AbortController ? new AbortController() : null;
    var signal = pending ? pending.signal : undefined;
    var params = viewParams();
    fetch(withParams(fullMap.dataset.source, params), { headers: { Accept: "application/geo+json" }, signal: signal })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (data) {
        layer.clearLayers();
        L.geoJSON(data, {
          pointToLayer: function (feature, latlng) {
            return feature.properties.count ? clusterMarker(feature, latlng) : placeMarker(feature, latlng);
          }
        }).eachLayer(function (marker) { layer.addLayer(marker); });
        fullMap.dataset.count = data.count;
        fullMap.dataset.clustered = data.clustered;
        if (status) {
          var several = locale === "fr-FR" ? data.count > 1 : data.count !== 1;
          status.textContent = t(several ? "%s lieux sur la carte" : "%s lieu sur la carte").replace("%s", number(data.count)) +
            (data.clustered ? t(" (regroupés : zoomez pour les voir un à un)") : "");
        }
      })
      .catch(function (error) {
        if (error.name === "AbortError") { return; }
        if (status) { status.textContent = t("La carte n’a pas pu être chargée. La liste des lieux reste disponible."); }
      });
    if (list && fullMap.dataset.list) {
      fetch(withParams(fullMap.dataset.list, params), { signal: signal })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) { list.innerHTML = html; })
        .catch(function () {});
    }
  }

  function viewFromHash() {
    var match = /^#carte=(\d+)\/(-?[\d.]+)\/(-?[\d.]+)$/.exec(window.location.hash);
    if (!match) { return false; }
    map.setView([parseFloat(match[2]), parseFloat(match[3])], parseInt(match[1], 10));
    return true;
  }

  map.on("moveend", refresh);
  window.addEventListener("hashchange", viewFromHash);
  if (!viewFromHash()) {
    var b = fullMap.dataset.bounds ? fullMap.dataset.bounds.split(",").map(parseFloat) : null;
    map.fitBounds(b ? [[b[1], b[0]], [b[3], b[2]]] : FRANCE, { maxZoom: 15, padding: [20, 20] });
  }
})();
