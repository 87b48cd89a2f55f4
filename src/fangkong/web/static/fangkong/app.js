/* Behaviours every page may use, declared in the markup (the CSP allows no inline script):
 *
 * <select data-autosubmit>      submits its form when the choice changes.
 * <input type=checkbox data-select-all>  ticks or clears every checkbox in its table's body.
 * <a data-menu-toggle aria-controls=ID aria-expanded=false>  shows or hides element ID (the
 *                               menu on a phone); Escape closes it again.
 * <table class="grid">          each body cell gets data-label, its column's heading, which
 *                               the stylesheet shows beside the value when rows become cards
 *                               on a narrow screen (a cell's own data-label is kept).
 */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches("[data-autosubmit]") && el.form) {
      el.form.submit();
    } else if (el.matches("[data-select-all]")) {
      var table = el.closest("table");
      if (!table) return;
      table.querySelectorAll("tbody input[type=checkbox]").forEach(function (box) {
        box.checked = el.checked;
      });
    }
  });

  function menuShow(toggle, open) {
    var menu = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!menu) return;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("open", open);
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-menu-toggle]");
    if (!toggle) return;
    event.preventDefault(); // a disclosure now, not a jump to #menu
    menuShow(toggle, toggle.getAttribute("aria-expanded") !== "true");
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("[data-menu-toggle][aria-expanded=true]").forEach(function (t) {
      menuShow(t, false);
      t.focus();
    });
  });

  function headings(table) {
    var row = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    var labels = [];
    if (!row) return labels;
    Array.prototype.forEach.call(row.cells, function (th) {
      var text = th.getAttribute("data-label");
      if (text === null) text = th.textContent.replace(/\s+/g, " ").trim();
      for (var i = 0; i < th.colSpan; i++) labels.push(text);
    });
    return labels;
  }

  function labelCells() {
    document.querySelectorAll("table.grid").forEach(function (table) {
      var labels = headings(table);
      if (!labels.length) return;
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (tr) {
          var column = 0;
          Array.prototype.forEach.call(tr.cells, function (cell) {
            if (cell.colSpan === 1 && !cell.hasAttribute("data-label")) {
              cell.setAttribute("data-label", labels[column] || "");
            }
            column += cell.colSpan;
          });
        });
      });
    });
  }

  labelCells(); // deferred: the document is parsed
  document.addEventListener("htmx:afterSettle", labelCells); // rows a fragment brought
})();
