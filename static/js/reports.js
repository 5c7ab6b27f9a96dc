// Report charts: Chart.js (vendored, static/vendor/chart.js-*) draws one chart beside each
// table from the JSON in <script type="application/json" id="report-data">:
//   {"locale": "vi", "charts": {TABLE_NAME: {"type": "bar"|"doughnut", "horizontal": bool,
//     "title": "…", "labels": [...], "datasets": [{"label", "data", "kind", "line"}]}}}
// where kind is count, vnd or percent. A chart's <figure data-chart="TABLE_NAME"> stays
// hidden until it is drawn, so without JavaScript the page shows the tables alone.
(function () {
  "use strict";
  var source = document.getElementById("report-data");
  if (!source || typeof window.Chart === "undefined") { return; }
  var data;
  try { data = JSON.parse(source.textContent); } catch (e) { return; }
  var locale = data.locale === "en" ? "en-GB" : "vi-VN";
  var counts = new Intl.NumberFormat(locale);
  var percents = new Intl.NumberFormat(locale, {maximumFractionDigits: 1});
  var money = new Intl.NumberFormat(locale, {style: "currency", currency: "VND",
                                             maximumFractionDigits: 0});
  var short = new Intl.NumberFormat(locale, {notation: "compact", maximumFractionDigits: 1});
  var palette = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545", "#20c997",
                 "#6c757d", "#ffc107", "#0dcaf0", "#d63384"];

  function format(kind, value, compact) {
    if (value === null || value === undefined) { return "—"; }
    if (kind === "vnd") { return compact ? short.format(value) + " ₫" : money.format(value); }
    if (kind === "percent") { return percents.format(value) + "%"; }
    return compact ? short.format(value) : counts.format(value);
  }

  // Long category names would squeeze the plot: cut them on the axis (tooltips show all).
  function shorten(label) {
    return typeof label === "string" && label.length > 32 ? label.slice(0, 31) + "…" : label;
  }

  function config(spec) {
    var doughnut = spec.type === "doughnut";
    var hasLine = spec.datasets.some(function (d) { return d.line; });
    var kinds = {};
    var datasets = spec.datasets.map(function (d, i) {
      kinds[i] = d.kind;
      var colour = palette[i % palette.length];
      var set = {label: d.label, data: d.data, backgroundColor: doughnut ? palette : colour,
                 borderColor: doughnut ? "#fff" : colour};
      if (d.line) {
        set.type = "line";
        set.yAxisID = "y1";
        set.backgroundColor = colour;
        set.tension = 0.2;
      }
      return set;
    });
    var valueKind = spec.datasets.length ? spec.datasets[0].kind : "count";
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: {display: doughnut || spec.datasets.length > 1, position: "bottom"},
        tooltip: {callbacks: {label: function (ctx) {
          var value = doughnut ? ctx.parsed : (spec.horizontal ? ctx.parsed.x : ctx.parsed.y);
          return (ctx.dataset.label ? ctx.dataset.label + ": " : "") +
            format(kinds[ctx.datasetIndex], value, false);
        }}}
      }
    };
    if (!doughnut) {
      var valueAxis = {beginAtZero: true, ticks: {callback: function (v) {
        return format(valueKind, v, true);
      }}};
      if (valueKind === "count") { valueAxis.ticks.precision = 0; }
      var labelAxis = {ticks: {callback: function (v) { return shorten(this.getLabelForValue(v)); }}};
      options.indexAxis = spec.horizontal ? "y" : "x";
      options.scales = spec.horizontal ? {x: valueAxis, y: labelAxis}
                                       : {x: labelAxis, y: valueAxis};
      if (hasLine) {
        options.scales.y1 = {position: "right", beginAtZero: true, suggestedMax: 100,
                             grid: {drawOnChartArea: false},
                             ticks: {callback: function (v) { return format("percent", v); }}};
      }
    }
    return {type: doughnut ? "doughnut" : "bar", data: {labels: spec.labels, datasets: datasets},
            options: options};
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), function (box) {
    var spec = data.charts[box.getAttribute("data-chart")];
    var canvas = box.querySelector("canvas");
    if (!spec || !canvas || !spec.labels.length) { return; }
    box.classList.remove("d-none");
    new window.Chart(canvas, config(spec));
  });
}());
