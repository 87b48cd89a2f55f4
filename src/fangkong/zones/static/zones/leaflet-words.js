/* Leaflet's own words in the page's language: the zoom buttons' titles (shown on hover, read
 * out by screen readers) come from this script tag's data-zoom-in and data-zoom-out. Loaded
 * after leaflet.js and before any map is made. */
(function () {
  "use strict";

  var words = document.currentScript.dataset;
  L.Control.Zoom.mergeOptions({ zoomInTitle: words.zoomIn, zoomOutTitle: words.zoomOut });
})();
