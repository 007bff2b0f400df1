// Draws the insight charts (Chart.js, vendored in static/vendor/chartjs) from the page's
// <script type="application/json" id="insights-data"> block: no inline script (the CSP).
// Labels, numbers and dates in the page's language (Intl with <html lang>), colours from the
// Okabe-Ito palette (told apart with the common colour-vision deficiencies). Every chart's
// numbers are also in the table under it, for screen readers and print.
(function () {
  const source = document.getElementById("insights-data");
  if (!source || typeof window.Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const lang = document.documentElement.lang || "en";
  const OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];
  const number = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  const monthFmt = new Intl.DateTimeFormat(lang, { month: "short", year: "numeric", timeZone: "UTC" });
  const dayFmt = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short", timeZone: "UTC" });

  function periodLabel(chart, period) {
    if (chart.period === "bucket") return chart.period_labels[period] || period;
    const d = new Date(period + "T00:00:00Z");
    return chart.period === "month" ? monthFmt.format(d) : dayFmt.format(d);
  }

  function valueText(chart, value) {
    if (value === null || value === undefined) return "—";
    return number.format(value) + (chart.unit === "percent" ? " %" : "");
  }

  // No animation: the chart is complete when drawn (print, screenshots, reduced motion).
  window.Chart.defaults.animation = false;
  window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  window.Chart.defaults.locale = lang;

  const drawn = [];
  // Printed: every table open under its chart, the charts resized to the paper's width.
  window.addEventListener("beforeprint", () => {
    document.querySelectorAll("details.insight-table").forEach((d) => {
      d.open = true;
    });
    drawn.forEach((c) => c.resize());
  });
  window.addEventListener("afterprint", () => drawn.forEach((c) => c.resize()));

  data.charts.forEach((chart) => {
    const canvas = document.querySelector('canvas[data-chart="' + chart.key + '"]');
    if (!canvas) return;
    const periods = chart.series.length ? chart.series[0].points.map((p) => p.period) : [];
    const stacked = chart.kind === "stacked";
    const line = chart.kind === "line";
    const datasets = chart.series.map((s, i) => {
      const colour = OKABE_ITO[i % OKABE_ITO.length];
      return {
        label: s.label,
        data: s.points.map((p) => p.value),
        backgroundColor: colour,
        borderColor: colour,
        borderWidth: line ? 2 : 0,
        spanGaps: false,
        // Shapes as well as colours tell the lines apart.
        pointStyle: ["circle", "rect", "triangle", "rectRot", "star", "crossRot", "cross", "dash"][i % 8],
        pointRadius: line ? 3 : 0,
      };
    });
    const drawing = new window.Chart(canvas, {
      type: line ? "line" : "bar",
      data: { labels: periods.map((p) => periodLabel(chart, p)), datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { stacked: stacked },
          y: {
            stacked: stacked,
            beginAtZero: true,
            suggestedMax: chart.unit === "percent" ? 100 : undefined,
            ticks: { precision: chart.unit === "count" ? 0 : undefined, callback: (v) => valueText(chart, v) },
          },
        },
        plugins: {
          legend: { display: chart.series.length > 1, position: "bottom" },
          tooltip: { callbacks: { label: (ctx) => ctx.dataset.label + ": " + valueText(chart, ctx.raw) } },
        },
      },
      plugins: [
        {
          id: "drawn",
          afterRender: () => {
            canvas.dataset.drawn = "1";
          },
        },
      ],
    });
    drawn.push(drawing);
  });
})();
