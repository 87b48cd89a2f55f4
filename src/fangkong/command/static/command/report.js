// The daily report page: "Copy text" puts the report's text on the clipboard, or selects it
// where the browser refuses clipboard access (plain http), so Ctrl+C still works.
(function () {
  "use strict";

  function start() {
    var button = document.getElementById("copy-text");
    var text = document.getElementById("report-text");
    if (!button || !text) return;
    button.addEventListener("click", async function () {
      try {
        await navigator.clipboard.writeText(text.innerText);
        button.textContent = button.dataset.copied;
      } catch (e) {
        var range = document.createRange();
        range.selectNodeContents(text);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
