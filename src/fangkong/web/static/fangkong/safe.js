/* Strings from data on their way to the screen: the one place that makes them safe.
 *
 * fangkong.escapeHTML(text)   text for an API that takes HTML (a Leaflet tooltip or popup,
 *                             innerHTML): & < > " ' become entities, so a place called
 *                             `工农社区<img onerror=…>` shows as written and never runs.
 * fangkong.textTooltip(opts)  an ECharts tooltip drawn as canvas text (renderMode "richText"):
 *                             its formatters return plain text ("\n" for a new line), nothing
 *                             reaches the DOM, and no inline style needs the CSP to allow it.
 * Anywhere else, build elements and set textContent.
 */
(function () {
  "use strict";

  var ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

  function escapeHTML(text) {
    return String(text === null || text === undefined ? "" : text).replace(/[&<>"']/g, function (c) {
      return ENTITIES[c];
    });
  }

  function textTooltip(options) {
    return Object.assign({}, options, { renderMode: "richText" });
  }

  window.fangkong = Object.assign(window.fangkong || {}, {
    escapeHTML: escapeHTML,
    textTooltip: textTooltip,
  });
})();
