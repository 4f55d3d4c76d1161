/* Admin and the public proposal form: edit OSM opening hours by day and time slot. The text field stays the
   value sent; the editor writes it ("Mo-Fr 09:00-12:00,14:00-18:00; PH off"),
   reads it back when it is simple enough, and shows the server's preview. */
(function () {
  "use strict";
  var t = (window.epn && window.epn.t) || function (text) { return text; };
  var DAYS = [["Mo", t("Lundi")], ["Tu", t("Mardi")], ["We", t("Mercredi")], ["Th", t("Jeudi")], ["Fr", t("Vendredi")], ["Sa", t("Samedi")], ["Su", t("Dimanche")]];
  var SLOT = /^\d{2}:\d{2}-\d{2}:\d{2}$/;

  function dayIndex(code) {
    for (var i = 0; i < DAYS.length; i++) { if (DAYS[i][0] === code) { return i; } }
    return -1;
  }

  /* "Mo-Fr 09:00-12:00,14:00-18:00; Sa 10:00-12:00; PH off" -> [slots per day], holidays; null if not that simple. */
  function read(text) {
    var days = DAYS.map(function () { return ""; });
    var holidays = false;
    var rules = text.split(";").map(function (r) { return r.trim(); }).filter(Boolean);
    for (var r = 0; r < rules.length; r++) {
      if (rules[r] === "PH off") { holidays = true; continue; }
      var match = /^([A-Z][a-z](?:-[A-Z][a-z])?(?:,[A-Z][a-z](?:-[A-Z][a-z])?)*) (.+)$/.exec(rules[r]);
      if (!match) { return null; }
      var slots = match[2].split(",").map(function (s) { return s.trim(); });
      if (!slots.every(function (s) { return SLOT.test(s); })) { return null; }
      var groups = match[1].split(",");
      for (var g = 0; g < groups.length; g++) {
        var ends = groups[g].split("-").map(dayIndex);
        if (ends.indexOf(-1) !== -1) { return null; }
        var last = ends.length > 1 ? ends[1] : ends[0];
        for (var d = ends[0]; d <= last; d++) { days[d] = slots.join(", "); }
      }
    }
    return { days: days, holidays: holidays };
  }

  function write(days, holidays) {
    var rules = [];
    var i = 0;
    while (i < 7) {
      var slots = days[i].split(",").map(function (s) { return s.trim(); }).filter(Boolean).join(",");
      var j = i;
      while (j + 1 < 7 && days[j + 1].split(",").map(function (s) { return s.trim(); }).filter(Boolean).join(",") === slots) { j++; }
      if (slots) { rules.push(DAYS[i][0] + (j > i ? "-" + DAYS[j][0] : "") + " " + slots); }
      i = j + 1;
    }
    if (rules.length && holidays) { rules.push("PH off"); }
    return rules.join("; ");
  }

  function setUp(editor) {
    var input = document.getElementById(editor.dataset.for);
    if (!input) { return; }
    var body = editor.querySelector("tbody");
    var holidays = editor.querySelector("[data-holidays-closed]");
    var note = editor.querySelector("[data-note]");
    var preview = editor.querySelector("[data-preview]");
    var fields = DAYS.map(function (day, index) {
      var row = document.createElement("tr");
      var head = document.createElement("th");
      var label = document.createElement("label");
      label.textContent = day[1];
      label.htmlFor = input.id + "_" + day[0];
      head.appendChild(label);
      var cell = document.createElement("td");
      var field = document.createElement("input");
      field.type = "text";
      field.id = input.id + "_" + day[0];
      field.placeholder = index < 5 ? "09:00-12:00, 14:00-18:00" : "";
      cell.appendChild(field);
      row.appendChild(head);
      row.appendChild(cell);
      body.appendChild(row);
      return field;
    });
    var timer = null;

    function showPreview() {
      clearTimeout(timer);
      timer = setTimeout(function () {
        fetch(editor.dataset.previewUrl + "?value=" + encodeURIComponent(input.value), { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (data) {
            preview.textContent = "";
            var status = document.createElement("p");
            if (!data.valid) {
              status.className = "invalid";
              status.textContent = data.message;
            } else {
              status.textContent = data.status ? t("Aperçu : ") + data.status : "";
            }
            preview.appendChild(status);
            if (data.week && data.week.length) {
              var list = document.createElement("ul");
              data.week.forEach(function (day) {
                var item = document.createElement("li");
                item.textContent = day.label + t(" : ") + (day.intervals.length ? day.intervals.join(", ") : t("fermé"));
                list.appendChild(item);
              });
              preview.appendChild(list);
            }
          });
      }, 250);
    }

    function fromText() {
      var parsed = read(input.value.trim());
      var simple = parsed !== null;
      fields.forEach(function (field, i) { field.disabled = !simple; field.value = simple ? parsed.days[i] : ""; });
      holidays.disabled = !simple;
      holidays.checked = simple ? parsed.holidays : false;
      note.textContent = simple ? "" : t("Horaires avancés : modifiez le texte ci-dessus directement.");
      showPreview();
    }

    function toText() {
      input.value = write(fields.map(function (f) { return f.value; }), holidays.checked);
      showPreview();
    }

    fields.forEach(function (field) { field.addEventListener("input", toText); });
    holidays.addEventListener("change", toText);
    input.addEventListener("input", fromText);
    editor.hidden = false;
    fromText();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-hours-editor]").forEach(setUp);
  });
})();
