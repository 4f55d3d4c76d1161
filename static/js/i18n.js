/* The page's translations of the scripts' messages: the server writes them, in the
   page's language, into <script type="application/json" id="js-messages"> (French
   pages have none: the messages are written in French). epn.t("Carte") reads one. */
(function () {
  "use strict";
  var element = document.getElementById("js-messages");
  var messages = element ? JSON.parse(element.textContent) : {};
  window.epn = window.epn || {};
  window.epn.t = function (text) { return messages[text] || text; };
  window.epn.locale = document.documentElement.lang === "en" ? "en-GB" : "fr-FR";
})();
