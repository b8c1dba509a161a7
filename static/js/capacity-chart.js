/*
 * Rammeaftaleportalen: the chart of an offer's capacity over time (Chart.js).
 *
 * An enhancement only: the page's table (table[data-capacity-chart]) holds the numbers and is
 * what works without JavaScript and for screen readers. This script reads that table — each
 * row's data-date and data-places — and draws a step line above it: the places hold from a date
 * until the next. Loaded with defer after vendor/chartjs/chart.umd.min.js; no inline scripts.
 */
(function () {
  "use strict";

  var DAY = 24 * 60 * 60 * 1000;

  function parseDay(value) {
    var parts = value.split("-");
    return Date.UTC(Number(parts[0]), Number(parts[1]) - 1, Number(parts[2]));
  }

  function formatDay(ms) {
    return new Date(ms).toLocaleDateString(document.documentElement.lang || "da", {
      day: "numeric",
      month: "short",
      year: "numeric",
      timeZone: "UTC",
    });
  }

  function draw(table) {
    var Chart = window.Chart;
    var rows = table.querySelectorAll("tr[data-date][data-places]");
    if (!Chart || !rows.length) {
      return;
    }
    var points = [];
    rows.forEach(function (row) {
      points.push({ x: parseDay(row.dataset.date), y: Number(row.dataset.places) });
    });
    // Carry the last number on to today (or a little past the last change), so it shows.
    var last = points[points.length - 1];
    var today = table.dataset.today ? parseDay(table.dataset.today) : Date.now();
    var end = Math.max(today, last.x + 90 * DAY);
    points.push({ x: end, y: last.y });

    var figure = document.createElement("div");
    figure.className = "capacity-chart";
    figure.style.position = "relative";
    figure.style.height = "28rem";
    figure.style.marginBottom = "2.4rem";
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", table.dataset.chartLabel || "");
    figure.appendChild(canvas);
    var wrapper = table.closest(".table--responsive-scroll") || table;
    wrapper.parentNode.insertBefore(figure, wrapper);

    new Chart(canvas, {
      type: "line",
      data: {
        datasets: [
          {
            label: table.dataset.axisLabel || "",
            data: points,
            stepped: "before",
            borderColor: "#0059b3",
            backgroundColor: "rgba(0, 89, 179, 0.1)",
            fill: true,
            pointRadius: function (context) {
              return context.dataIndex === points.length - 1 ? 0 : 4;
            },
          },
        ],
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        parsing: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: function (items) {
                return items.length ? formatDay(items[0].parsed.x) : "";
              },
            },
          },
        },
        scales: {
          x: {
            type: "linear",
            ticks: {
              maxTicksLimit: 8,
              callback: function (value) {
                return formatDay(value);
              },
            },
          },
          y: {
            beginAtZero: true,
            ticks: { precision: 0 },
            title: { display: true, text: table.dataset.axisLabel || "" },
          },
        },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table[data-capacity-chart]").forEach(draw);
  });
})();
