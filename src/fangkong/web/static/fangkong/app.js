/* Behaviours every page may use, declared in the markup (the CSP allows no inline script):
 *
 * <select data-autosubmit>      submits its form when the choice changes.
 * <input type=checkbox data-select-all>  ticks or clears every checkbox in its table's body.
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
})();
