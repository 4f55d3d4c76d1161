/* Coverage map (progressive enhancement: the page's tables say the same).
   Each commune's centre is drawn in the colour of its distance band, read from the
   legend's swatches (one definition, in site.css). Canvas: thousands of points. */
(function () {
  "use strict";
  var t = (window.epn && window.epn.t) || function (text) { return text; };
  var locale = (window.epn && window.epn.locale) || "fr-FR";
  var element = document.getElementById("coverage-map");
  if (!window.L || !element) { return; }
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var status = document.getElementById("coverage-map-status");
  var FRANCE = [[41.2, -5.5], [51.2, 9.8]];

  function bandColour(band) {
    var swatch = document.querySelector(".coverage-legend .band-" + band);
    return swatch ? window.getComputedStyle(swatch).backgroundColor : "#555";
  }

  function popup(properties) {
    var box = document.createElement("div");
    var title = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = properties.name;
    title.appendChild(strong);
    box.appendChild(title);
    var text = document.createElement("p");
    text.textContent = t("%s habitants").replace("%s", (properties.population || 0).toLocaleString(locale)) + " · " +
      (properties.km === null ? t("aucun lieu") : t("%s km du lieu le plus proche").replace("%s", properties.km.toLocaleString(locale)));
    box.appendChild(text);
    if (properties.url) {
      var link = document.createElement("a");
      link.href = properties.url;
      link.textContent = properties.nearest;
      box.appendChild(link);
    }
    return box;
  }

  var map = L.map(element, { preferCanvas: true, scrollWheelZoom: false });
  L.tileLayer(config.tiles, { attribution: config.attribution, maxZoom: 19 }).addTo(map);
  map.fitBounds(FRANCE);
  var colours = [0, 1, 2, 3, 4].map(bandColour);

  fetch(element.dataset.source, { headers: { Accept: "application/geo+json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.json();
    })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        pointToLayer: function (feature, latlng) {
          var colour = colours[feature.properties.band];
          return L.circleMarker(latlng, { radius: 5, weight: 1, color: "#333", fillColor: colour, fillOpacity: 0.9 })
            .bindPopup(popup(feature.properties));
        }
      }).addTo(map);
      // A territory's communes fill the map; the country's stay framed on mainland
      // France (overseas points would zoom it out to the ocean).
      if (data.features.length && element.dataset.fit) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
      element.dataset.count = data.features.length;
    })
    .catch(function () {
      if (status) { status.textContent = t("La carte n’a pas pu être chargée ; les tableaux de cette page donnent les mêmes informations."); }
    });
})();
