// The price board's trend chart: the mean price by day of each item in one area (chosen in
// the select). Data comes from the page (json_script "price-trend"); item and area names
// reach only canvas text and option textContent, never HTML.
(function () {
  "use strict";

  function start() {
    const source = document.getElementById("price-trend");
    const el = document.getElementById("trend");
    const select = document.getElementById("trend-area");
    if (!source || !el || !select) return;
    const data = JSON.parse(source.textContent);
    if (!data.areas.length) {
      el.textContent = el.dataset.empty;
      return;
    }
    data.areas.forEach((area, i) => {
      const option = document.createElement("option");
      option.value = String(i);
      option.textContent = area.name;
      select.appendChild(option);
    });
    const chart = echarts.init(el);
    function show(i) {
      const area = data.areas[i];
      chart.setOption(
        {
          tooltip: fangkong.textTooltip({ trigger: "axis" }),
          legend: { type: "scroll", top: 0 },
          grid: { left: 40, right: 12, top: 36, bottom: 28 },
          xAxis: { type: "time" },
          yAxis: { type: "value", scale: true },
          series: area.series.map((s) => ({
            name: s.item,
            type: "line",
            showSymbol: true,
            data: s.points,
          })),
        },
        true
      );
    }
    show(0);
    select.addEventListener("change", () => show(Number(select.value)));
    window.addEventListener("resize", () => chart.resize());
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
