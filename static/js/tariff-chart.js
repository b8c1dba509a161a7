/*
 * Rammeaftaleportalen: line charts of tariffs over the years (Chart.js).
 *
 * An enhancement only: the page's table (table[data-tariff-chart]) holds the numbers and is what
 * works without JavaScript and for screen readers. This script reads the table's cells that carry
 * a point — data-series (the line's name), data-x (the year), data-y (the number, with a decimal
 * point) and optionally data-group (series of one group share a colour) and data-dashed — and
 * draws one line per series above the table. The table says what the numbers are in
 * data-axis-label, data-unit (" kr.", " %") and data-decimals.
 *
 * Loaded with defer, no inline scripts. Chart.js (vendor/chartjs/chart.umd.min.js) is used if the
 * page has loaded it; otherwise it is loaded from this script's data-chartjs address.
 */
(function () {
  "use strict";

  var COLOURS = ["#0059b3", "#008139", "#b35c00", "#6f42c1", "#b3261e", "#00778a", "#5c5c5c"];
  var script = document.currentScript;

  function formatter(table) {
    var unit = table.dataset.unit || "";
    var decimals = Number(table.dataset.decimals || 0);
    var locale = document.documentElement.lang || "da";
    return function (value) {
      return (
        Number(value).toLocaleString(locale, {
          minimumFractionDigits: decimals,
          maximumFractionDigits: decimals,
        }) + unit
      );
    };
  }

  function draw(table) {
    var Chart = window.Chart;
    var cells = table.querySelectorAll("[data-series][data-x][data-y]");
    if (!Chart || !cells.length) {
      return;
    }
    var labels = [];
    var order = [];
    var series = {};
    var groups = [];
    cells.forEach(function (cell) {
      var x = cell.dataset.x;
      var name = cell.dataset.series;
      var group = cell.dataset.group || name;
      if (labels.indexOf(x) < 0) {
        labels.push(x);
      }
      if (groups.indexOf(group) < 0) {
        groups.push(group);
      }
      if (!series[name]) {
        series[name] = { group: group, dashed: cell.hasAttribute("data-dashed"), values: {} };
        order.push(name);
      }
      series[name].values[x] = Number(cell.dataset.y);
    });
    labels.sort();
    var datasets = order.map(function (name) {
      var line = series[name];
      var colour = COLOURS[groups.indexOf(line.group) % COLOURS.length];
      return {
        label: name,
        data: labels.map(function (x) {
          return x in line.values ? line.values[x] : null;
        }),
        borderColor: colour,
        backgroundColor: colour,
        borderDash: line.dashed ? [6, 4] : [],
        borderWidth: 2,
        spanGaps: true,
        pointRadius: 4,
      };
    });
    var format = formatter(table);

    var figure = document.createElement("div");
    figure.className = "tariff-chart";
    figure.style.position = "relative";
    figure.style.height = "24rem";
    figure.style.marginBottom = "2.4rem";
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", table.dataset.chartLabel || "");
    figure.appendChild(canvas);
    var wrapper = table.closest(".table--responsive-scroll") || table;
    wrapper.parentNode.insertBefore(figure, wrapper);

    new Chart(canvas, {
      type: "line",
      data: { labels: labels, datasets: datasets },
      options: {
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: {
            position: "bottom",
            // A box of no height is a short line, dashed like its series (fixed prices) or not.
            labels: { boxWidth: 32, boxHeight: 0 },
          },
          tooltip: {
            callbacks: {
              label: function (context) {
                return context.dataset.label + ": " + format(context.parsed.y);
              },
            },
          },
        },
        scales: {
          y: {
            ticks: {
              callback: function (value) {
                return format(value);
              },
            },
            title: { display: true, text: table.dataset.axisLabel || "" },
          },
        },
      },
    });
  }

  function drawAll() {
    document.querySelectorAll("table[data-tariff-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.querySelector("table[data-tariff-chart]")) {
      return;
    }
    var source = script && script.dataset.chartjs;
    if (window.Chart || !source) {
      drawAll();
      return;
    }
    var loader = document.createElement("script");
    loader.src = source;
    loader.addEventListener("load", drawAll);
    document.head.appendChild(loader);
  });
})();
