/* An import's page in the admin, while the task worker checks or imports the file:
   asks for its state every two seconds, shows the rows read, and reloads the page
   when the work is done (the page then shows the report). */
(function () {
  "use strict";
  var job = document.getElementById("import-job");
  if (!job || !window.fetch) { return; }
  var label = job.querySelector("[data-label]");
  var rows = job.querySelector("[data-rows]");
  var bar = job.querySelector("[data-progress]");

  function update(state) {
    if (state.state !== job.dataset.state) { window.location.reload(); return; }
    label.textContent = state.label.charAt(0).toUpperCase() + state.label.slice(1);
    if (state.total) {
      rows.textContent = " · " + job.dataset.rowsText
        .replace("{done}", state.done.toLocaleString("fr-FR"))
        .replace("{total}", state.total.toLocaleString("fr-FR"));
      bar.max = state.total;
      bar.value = state.done;
    }
    window.setTimeout(poll, 2000);
  }

  function poll() {
    fetch(job.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(update)
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 1000);
})();
