/* The rules editor's repeatable rows (declared in the markup by policy/_node.html):
 *
 * <fieldset data-rows data-prefix="rules.zones.rules">   a list of rows, named prefix.N.…
 *   <div data-rows-list> <fieldset data-row> … </fieldset> … </div>
 *   <template data-row-template> an empty row named prefix.__i__.… </template>
 *   <button data-row-add>            adds a copy of the template as row N (the next index)
 * <button data-row-remove> inside a row removes that row.
 *
 * The copy is made from the template's nodes (no HTML is parsed): its names, ids and labels
 * get the new index, nested templates included. The server reads the rows from the hidden
 * `prefix.N.__row__` inputs, whatever their indices.
 */
(function () {
  "use strict";

  var NEW = "__i__";
  var ATTRIBUTES = ["name", "id", "for", "data-prefix", "aria-describedby", "aria-errormessage"];

  function idOf(name) {
    return "f-" + name.split(".").join("-");
  }

  function nextIndex(rows, prefix) {
    var head = prefix + ".";
    var next = 0;
    rows.querySelectorAll("input[type=hidden][name$='.__row__']").forEach(function (marker) {
      var rest = marker.name.slice(head.length, -".__row__".length);
      if (marker.name.indexOf(head) === 0 && /^\d+$/.test(rest)) {
        next = Math.max(next, parseInt(rest, 10) + 1);
      }
    });
    return next;
  }

  function renumber(root, from, to) {
    var pairs = [[from, to], [idOf(from), idOf(to)]];
    root.querySelectorAll("*").forEach(function (el) {
      ATTRIBUTES.forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value === null) return;
        pairs.forEach(function (pair) {
          value = value.split(pair[0]).join(pair[1]);
        });
        el.setAttribute(attr, value);
      });
      if (el.tagName === "TEMPLATE") renumber(el.content, from, to);
    });
  }

  function addRow(button) {
    var rows = button.closest("[data-rows]");
    var prefix = rows.getAttribute("data-prefix");
    var template = rows.querySelector(":scope > template[data-row-template]");
    var list = rows.querySelector(":scope > [data-rows-list]");
    if (!template || !list) return;
    var copy = template.content.cloneNode(true);
    renumber(copy, prefix + "." + NEW, prefix + "." + nextIndex(rows, prefix));
    var row = copy.querySelector("[data-row]");
    list.appendChild(copy);
    var first = row && row.querySelector("input:not([type=hidden]), select");
    if (first) first.focus();
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-row-add]");
    if (add) {
      addRow(add);
      return;
    }
    var remove = event.target.closest("[data-row-remove]");
    if (remove) {
      var row = remove.closest("[data-row]");
      var rows = row && row.closest("[data-rows]");
      if (row) row.remove();
      var again = rows && rows.querySelector("[data-row-add]");
      if (again) again.focus();
    }
  });
})();
