/* "Autour de moi": fills the hidden lat/lon fields from the browser's position and
   submits the search. Shown only when geolocation exists; a refusal is explained and
   the town field gets the focus, so typing a town still works. */
(function () {
  "use strict";
  var t = (window.epn && window.epn.t) || function (text) { return text; };
  var box = document.querySelector("[data-geolocate]");
  if (!box || !navigator.geolocation) { return; }
  var form = box.closest("form");
  var button = box.querySelector("button");
  var status = box.querySelector(".hint");
  box.hidden = false;
  button.addEventListener("click", function () {
    status.textContent = t("Recherche de votre position…");
    navigator.geolocation.getCurrentPosition(function (position) {
      form.elements.lat.value = position.coords.latitude.toFixed(5);
      form.elements.lon.value = position.coords.longitude.toFixed(5);
      form.elements.ou.value = "";
      form.submit();
    }, function () {
      status.textContent = t("Position non disponible : tapez le nom de votre ville ou son code postal.");
      form.elements.ou.focus();
    }, { timeout: 10000, maximumAge: 600000 });
  });
})();
