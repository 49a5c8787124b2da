// Each body cell (and each cell of a footer row laid out in columns) of a table gets its column's heading as data-label: on narrow screens the rows
// of the buyer's tables are stacked, one cell a line, with that label beside it (portal.css).
document.querySelectorAll("main table").forEach((table) => {
  const headings = Array.from(table.querySelectorAll("thead tr:last-child th"), (th) =>
    th.textContent.trim(),
  );
  // Footer rows too, where each cell stands in its own column (a total per column).
  const footer = Array.from(table.querySelectorAll("tfoot tr")).filter((row) =>
    Array.from(row.cells).every((cell) => cell.colSpan === 1),
  );
  [...table.querySelectorAll("tbody tr"), ...footer].forEach((row) => {
    let column = 0;
    Array.from(row.cells).forEach((cell) => {
      if (!cell.dataset.label && headings[column]) cell.dataset.label = headings[column];
      column += cell.colSpan;
    });
  });
});
