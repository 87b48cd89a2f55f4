// The command dashboard: epidemic curve (by onset / by report date) and cases by place.
// Data comes from the page (json_script "command-data"); clicking a place opens its dashboard.
// Tooltips are canvas text (fangkong.textTooltip, web/static/fangkong/safe.js): place names
// never reach HTML.
(function () {
  "use strict";

  function read(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function drawCurve(el, curve, labels) {
    const chart = echarts.init(el);
    function show(by) {
      chart.setOption(
        {
          tooltip: fangkong.textTooltip({ trigger: "axis" }),
          legend: { top: 0 },
          grid: { left: 40, right: 16, top: 32, bottom: 48 },
          xAxis: { type: "category", data: curve.days },
          yAxis: { type: "value", minInterval: 1 },
          dataZoom: curve.days.length > 60 ? [{ type: "slider" }] : [],
          series: ["confirmed", "asymptomatic"].map((kind) => ({
            name: labels[kind],
            type: "bar",
            stack: "cases",
            data: curve[by][kind],
          })),
        },
        true
      );
    }
    show("onset");
    document.querySelectorAll("[data-curve]").forEach((button) => {
      button.addEventListener("click", () => {
        document
          .querySelectorAll("[data-curve]")
          .forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
        show(button.dataset.curve);
      });
    });
    window.addEventListener("resize", () => chart.resize());
  }

  function drawPlaces(el, places, labels) {
    const located = places.filter((p) => p.lat !== null && p.lon !== null);
    if (!located.length) {
      el.textContent = labels.no_places;
      return;
    }
    const chart = echarts.init(el);
    const most = Math.max(1, ...located.map((p) => p.cases));
    const point = (p) => ({ name: p.name, key: p.key, value: [p.lon, p.lat, p.cases, p.new] });
    chart.setOption({
      tooltip: fangkong.textTooltip({
        formatter: (p) =>
          [p.data.name, `${labels.cases}: ${p.data.value[2]}`, `${labels.new}: ${p.data.value[3]}`].join("\n"),
      }),
      grid: { left: 8, right: 8, top: 8, bottom: 8 },
      xAxis: { type: "value", scale: true, show: false },
      yAxis: { type: "value", scale: true, show: false },
      series: [
        {
          type: "scatter",
          name: labels.none,
          data: located.filter((p) => !p.cases).map(point),
          symbolSize: 4,
          itemStyle: { color: "#b8c2cc" },
        },
        {
          type: "scatter",
          name: labels.cases,
          data: located.filter((p) => p.cases).map(point),
          symbolSize: (v) => 8 + 32 * Math.sqrt(v[2] / most),
          itemStyle: { color: "#c62828", opacity: 0.75 },
          label: { show: true, formatter: (p) => p.data.value[2], position: "inside", color: "#fff" },
        },
      ],
    });
    chart.on("click", (p) => {
      if (p.data && p.data.key && labels.drill) {
        window.location.href = `${labels.drill}&place=${encodeURIComponent(p.data.key)}`;
      }
    });
    window.addEventListener("resize", () => chart.resize());
  }

  function start() {
    const data = read("command-data");
    const labels = read("command-labels");
    if (!data || !labels || typeof echarts === "undefined" || !window.fangkong) return;
    const curve = document.getElementById("curve");
    if (curve && data.curve && data.curve.days) drawCurve(curve, data.curve, labels);
    const map = document.getElementById("map");
    if (map && data.places) drawPlaces(map, data.places, labels);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
