// The insights dashboard's charts, drawn by Chart.js (static/vendor/chart.js) from the JSON in
// each canvas's data-chart-data attribute (data, never executed: the CSP holds). The
// server gives the labels in the reader's language; numbers are formatted here in the page's
// locale. Colours: the Okabe-Ito palette, told apart by people with colour-blindness.
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;

  const PALETTE = [
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9",
    "#d55e00", "#f0e442", "#000000", "#999999",
  ];
  //: The stages and the deadlines in fixed colours (the same as the account table's badges).
  const KEYED = {
    acquisition: "#0072b2",
    expansion: "#e69f00",
    retention: "#009e73",
    met: "#009e73",
    missed: "#d55e00",
  };
  const root = document.querySelector(".insights-charts");
  if (!root) return;
  const locale = root.dataset.locale || document.documentElement.lang || "en";

  function formatter(spec) {
    if (spec.value === "money" && spec.currency) {
      const money = new Intl.NumberFormat(locale, {
        style: "currency", currency: spec.currency, maximumFractionDigits: 0,
      });
      return (value) => money.format(value);
    }
    if (spec.value === "percent") {
      const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
      return (value) => number.format(value) + "%";
    }
    const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    return (value) => number.format(value);
  }

  function colour(dataset, index) {
    return KEYED[dataset.key] || PALETTE[index % PALETTE.length];
  }

  function config(spec) {
    const format = formatter(spec);
    const compact = new Intl.NumberFormat(locale, { notation: "compact" });
    const options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      locale: locale,
      plugins: { legend: { position: "bottom" }, tooltip: { callbacks: {} } },
    };
    if (spec.type === "doughnut") {
      const colours = (spec.keys || []).map((key, i) => KEYED[key] || PALETTE[i % PALETTE.length]);
      options.plugins.tooltip.callbacks.label = (item) => `${item.label}: ${format(item.parsed)}`;
      return {
        type: "doughnut",
        data: {
          labels: spec.labels,
          datasets: spec.datasets.map((d) => ({ ...d, backgroundColor: colours })),
        },
        options: options,
      };
    }
    if (spec.type === "scatter") {
      const money = formatter({ value: "money", currency: spec.currency });
      options.scales = {
        x: { type: "linear", title: { display: true, text: spec.x_title },
             ticks: { callback: (value) => compact.format(value) } },
        y: { min: 0, title: { display: true, text: spec.y_title },
             ticks: { callback: (value) => format(value) } },
      };
      options.plugins.tooltip.callbacks.label = (item) =>
        `${item.raw.label}: ${money(item.raw.x)}, ${format(item.raw.y)}`;
      return {
        type: "scatter",
        data: {
          datasets: spec.datasets.map((d, i) => ({
            ...d, backgroundColor: colour(d, i), borderColor: colour(d, i), pointRadius: 4,
          })),
        },
        options: options,
      };
    }
    const value = { stacked: !!spec.stacked, beginAtZero: true,
                    ticks: { callback: (v) => (spec.value === "money" ? compact.format(v) : format(v)) } };
    const category = { stacked: !!spec.stacked, ticks: { autoSkip: true } };
    options.indexAxis = spec.horizontal ? "y" : "x";
    options.scales = spec.horizontal ? { x: value, y: category } : { x: category, y: value };
    options.plugins.tooltip.callbacks.label = (item) =>
      `${item.dataset.label}: ${format(spec.horizontal ? item.parsed.x : item.parsed.y)}`;
    return {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map((d, i) => ({
          ...d, backgroundColor: colour(d, i), borderColor: colour(d, i),
        })),
      },
      options: options,
    };
  }

  document.querySelectorAll("canvas[data-chart-data]").forEach((canvas) => {
    new Chart(canvas, config(JSON.parse(canvas.dataset.chartData)));
  });
})();
