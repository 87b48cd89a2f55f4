// The operator's intake page: caller lookup, the suggested category, Ctrl+Enter saves.
(function () {
  "use strict";
  const form = document.getElementById("intake");
  if (!form) return;
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const text = form.querySelector("[name=text]");
  const category = form.querySelector("[name=category]");
  const place = form.querySelector("[name=place]");
  const phone = form.querySelector("[name=caller_phone]");
  const idNumber = form.querySelector("[name=id_number]");
  const name = form.querySelector("[name=caller_name]");
  const shown = document.getElementById("suggestion");
  const found = document.getElementById("caller-found");
  let timer = null;
  let touched = false;

  category.addEventListener("change", function () { touched = true; });

  function label(code) {
    const option = category.querySelector('option[value="' + code + '"]');
    return option ? option.textContent : code;
  }

  function classify() {
    const value = text.value.trim();
    if (!value) return;
    fetch(form.dataset.classifyUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ text: value }),
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      if (!data) return;
      shown.textContent = shown.dataset.wordsSuggested + " " + label(data.category) + " (" +
        shown.dataset.wordsConfidence + " " + Math.round(data.confidence * 100) + "%)";
      shown.dataset.category = data.category;
      if (!touched) category.value = data.category;
      if (data.place && !place.value) place.value = data.place;
      if (data.phone && !phone.value) phone.value = data.phone;
    });
  }

  text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(classify, 300);
  });
  text.addEventListener("blur", classify);

  function lookup() {
    const params = new URLSearchParams();
    if (phone.value.trim()) params.set("phone", phone.value.trim());
    if (idNumber.value.trim()) params.set("id_number", idNumber.value.trim());
    if (!params.toString()) return;
    fetch(form.dataset.callerUrl + "?" + params, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        found.textContent = data ? data.name + " · " + data.division : "";
        if (data && !name.value) name.value = data.name;
      });
  }
  phone.addEventListener("change", lookup);
  idNumber.addEventListener("change", lookup);

  // Enter in the category select confirms it and saves; Ctrl+Enter saves from anywhere.
  category.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
  });
})();
