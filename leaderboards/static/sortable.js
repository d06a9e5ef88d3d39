/* Sortable tables for the bench leaderboard: click (or Enter/Space on) a header to sort its
   column; click again to reverse. Cells sort by their data-sort attribute when present (numbers
   compare as numbers), else by their text; empty cells always go last. No dependencies. */
(function () {
  "use strict";

  function cellKey(row, index) {
    var cell = row.cells[index];
    if (!cell) { return null; }
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    if (raw === "") { return null; }
    var number = Number(raw);
    return isNaN(number) ? raw.toLowerCase() : number;
  }

  function compare(x, y) {
    if (typeof x !== typeof y) { return typeof x === "number" ? -1 : 1; }
    return x < y ? -1 : (x > y ? 1 : 0);
  }

  function sortTable(table, header) {
    var index = header.cellIndex;
    var current = header.getAttribute("aria-sort");
    var order;
    if (current === "ascending") { order = "descending"; }
    else if (current === "descending") { order = "ascending"; }
    else { order = header.getAttribute("data-first-order") || "ascending"; }
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellKey(a, index), y = cellKey(b, index);
      if (x === null || y === null) { return (x === null) - (y === null); }
      return order === "ascending" ? compare(x, y) : compare(y, x);
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", order);
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    if (!table.tHead || !table.tBodies.length) { return; }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header) {
      if (header.classList.contains("nosort")) { return; }
      header.tabIndex = 0;
      header.classList.add("sortable-header");
      header.addEventListener("click", function (event) {
        if (event.target.closest("a")) { return; }  // links in headers still navigate
        sortTable(table, header);
      });
      header.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortTable(table, header); }
      });
    });
  });
}());
