/* Maps of the public pages (progressive enhancement: every page works without it).
   Reads the tile server from #map-config (json_script); never inline data. */
(function () {
  "use strict";
  if (!window.L) { return; }
  var configNode = document.getElementById("map-config");
  var config = configNode ? JSON.parse(configNode.textContent) : {};

  function baseMap(element, options) {
    var map = L.map(element, options);
    L.tileLayer(config.tiles, { attribution: config.attribution, maxZoom: 19 }).addTo(map);
    return map;
  }

  function popupContent(properties) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = properties.url;
    link.textContent = properties.name;
    box.appendChild(link);
    if (properties.kinds && properties.kinds.length) {
      var kinds = document.createElement("p");
      kinds.textContent = properties.kinds.join(", ");
      box.appendChild(kinds);
    }
    return box;
  }

  var placeMap = document.getElementById("place-map");
  if (placeMap) {
    var point = [parseFloat(placeMap.dataset.lat), parseFloat(placeMap.dataset.lon)];
    var small = baseMap(placeMap, { scrollWheelZoom: false }).setView(point, 16);
    L.marker(point, { title: placeMap.dataset.name, alt: placeMap.dataset.name }).addTo(small);
  }

  var fullMap = document.getElementById("full-map");
  if (fullMap) {
    var status = document.getElementById("map-status");
    var map = baseMap(fullMap, {}).setView([46.6, 2.4], 5);
    fetch(fullMap.dataset.source, { headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (data) {
        var layer = L.geoJSON(data, {
          pointToLayer: function (feature, latlng) {
            return L.marker(latlng, { title: feature.properties.name, alt: feature.properties.name });
          },
          onEachFeature: function (feature, marker) {
            marker.bindPopup(popupContent(feature.properties));
          }
        }).addTo(map);
        var count = data.features.length;
        fullMap.dataset.count = count;
        if (status) { status.textContent = count + (count > 1 ? " lieux sur la carte" : " lieu sur la carte"); }
        if (count) { map.fitBounds(layer.getBounds(), { maxZoom: 14, padding: [20, 20] }); }
      })
      .catch(function () {
        if (status) { status.textContent = "La carte n’a pas pu être chargée. La liste des lieux reste disponible."; }
      });
  }
})();
