// On a narrow screen a table in a scrolling box (.table-wrap) becomes a list of cards, each
// cell labelled with its column's heading (data-label, shown by app.css), so that no page
// scrolls sideways on a phone. Without JavaScript the table scrolls inside its own box, as
// before. A table meant to scroll sideways (the people × days grid, or any table with
// data-sideways) is left as it is.
(function () {
  "use strict";
  var KEEP = "table.answer-grid, table[data-sideways]";

  function visibleText(cell) {
    var copy = cell.cloneNode(true);
    copy.querySelectorAll(".visually-hidden, .vh").forEach(function (hidden) { hidden.remove(); });
    return (copy.textContent || "").replace(/\s+/g, " ").trim();
  }

  function columnLabels(table) {
    var rows = table.tHead ? table.tHead.rows : [];
    if (!rows.length) { return null; }
    var last = rows[rows.length - 1];
    var labels = [];
    Array.prototype.forEach.call(last.cells, function (cell) {
      for (var i = 0; i < (cell.colSpan || 1); i++) { labels.push(visibleText(cell)); }
    });
    return labels;
  }

  function label(table, labels) {
    var sections = Array.prototype.slice.call(table.tBodies);
    if (table.tFoot) { sections.push(table.tFoot); }
    sections.forEach(function (section) {
      Array.prototype.forEach.call(section.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          var text = labels[column];
          var rowHeader = cell.tagName === "TH" && cell.getAttribute("scope") !== "col";
          var empty = !cell.textContent.trim() && !cell.querySelector("input, button, select, a, img");
          if (empty) {
            cell.classList.add("empty-cell");
          } else if (text && !rowHeader && row.cells.length > 1) {
            cell.setAttribute("data-label", text);
          }
          column += cell.colSpan || 1;
        });
      });
    });
  }

  document.querySelectorAll(".table-wrap > table").forEach(function (table) {
    if (table.matches(KEEP)) { return; }
    var labels = columnLabels(table);
    if (!labels) { return; }
    label(table, labels);
    table.classList.add("stacks");
  });
})();
