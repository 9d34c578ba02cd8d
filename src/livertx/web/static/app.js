// Small conveniences only: every page works without this file.
(function () {
  "use strict";

  function addTumorRow() {
    var list = document.getElementById("tumor-rows");
    if (!list) { return; }
    var rows = list.querySelectorAll("li");
    if (rows.length >= 50) { return; }
    var index = rows.length;
    var item = document.createElement("li");
    item.className = "field tumor-row";
    var label = document.createElement("label");
    label.htmlFor = "f-tumor_size_cm-" + index;
    label.textContent = "Tumor " + (index + 1) + " size (cm)";
    var input = document.createElement("input");
    input.className = "input-number";
    input.type = "text";
    input.inputMode = "decimal";
    input.autocomplete = "off";
    input.id = "f-tumor_size_cm-" + index;
    input.name = "tumor_size_cm";
    input.setAttribute("aria-describedby", "h-tumor_size_cm");
    item.appendChild(label);
    item.appendChild(input);
    list.appendChild(item);
    input.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var add = document.getElementById("add-tumor");
    if (add) {
      add.hidden = false;
      add.addEventListener("click", addTumorRow);
    }
    var print = document.getElementById("print-button");
    if (print) {
      print.hidden = false;
      print.addEventListener("click", function () { window.print(); });
      var hint = document.querySelector(".no-js-hint");
      if (hint) { hint.hidden = true; }
    }
    // A main option's details are part of the handout: open them while printing.
    var opened = [];
    window.addEventListener("beforeprint", function () {
      document.querySelectorAll("details.print-open:not([open])").forEach(function (d) {
        d.open = true;
        opened.push(d);
      });
    });
    window.addEventListener("afterprint", function () {
      opened.forEach(function (d) { d.open = false; });
      opened = [];
    });
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  });
}());
