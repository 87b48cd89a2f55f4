// The transmission-chain page: an ECharts graph of one cluster and its timeline.
// Data comes from the page (json_script "chain-data"); the server caps the node count.
// Tooltips are canvas text (fangkong.textTooltip, web/static/fangkong/safe.js): names never
// reach HTML.
(function () {
  "use strict";

  function read(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function drawGraph(el, data) {
    const chart = echarts.init(el);
    const large = data.nodes.length > 300;
    chart.setOption({
      tooltip: fangkong.textTooltip({
        formatter: (p) => (p.dataType === "node" ? p.data.name : ""),
      }),
      legend: [{ data: data.categories.map((c) => c.name) }],
      series: [
        {
          type: "graph",
          layout: "force",
          roam: true,
          draggable: !large,
          categories: data.categories,
          data: data.nodes.map((n) => ({
            id: n.id,
            name: n.name,
            category: n.category,
            value: n.count || 1,
            symbolSize: n.aggregate ? Math.min(60, 14 + 4 * Math.log2(n.count + 1)) : n.case ? 18 : 8,
            label: { show: !!n.case || !!n.aggregate },
          })),
          links: data.links,
          edgeSymbol: ["none", "arrow"],
          edgeSymbolSize: 5,
          force: { repulsion: large ? 40 : 120, edgeLength: large ? 20 : 60, layoutAnimation: !large },
          lineStyle: { color: "source", opacity: 0.6 },
          emphasis: { focus: "adjacency" },
        },
      ],
    });
    window.addEventListener("resize", () => chart.resize());
  }

  function drawTimeline(el, t, labels) {
    const chart = echarts.init(el);
    chart.setOption({
      tooltip: fangkong.textTooltip({ trigger: "axis" }),
      legend: { top: 0, data: [labels.onset, labels.reported, labels.exposed] },
      grid: { top: 36, bottom: 64 },
      xAxis: { type: "category", data: t.days },
      yAxis: { type: "value", minInterval: 1 },
      dataZoom: [{ type: "inside" }, { type: "slider" }],
      series: [
        { name: labels.onset, type: "bar", data: t.onset },
        { name: labels.reported, type: "bar", data: t.reported },
        { name: labels.exposed, type: "line", data: t.exposed },
      ],
    });
    window.addEventListener("resize", () => chart.resize());
  }

  document.addEventListener("DOMContentLoaded", () => {
    const data = read("chain-data");
    if (!data || typeof echarts === "undefined" || !window.fangkong) return;
    drawGraph(document.getElementById("chain-graph"), data);
    drawTimeline(document.getElementById("chain-timeline"), data.timeline, read("chain-labels"));
    document.body.dataset.chainReady = "1";
  });
})();
