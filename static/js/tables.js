// Each body cell of a table gets its column's heading as data-label: on narrow screens the rows
// of the buyer's tables are stacked, one cell a line, with that label beside it (portal.css).
document.querySelectorAll("main table").forEach((table) => {
  const headings = Array.from(table.querySelectorAll("thead tr:last-child th"), (th) =>
    th.textContent.trim(),
  );
  table.querySelectorAll("tbody tr").forEach((row) => {
    let column = 0;
    Array.from(row.cells).forEach((cell) => {
      if (!cell.dataset.label && headings[column]) cell.dataset.label = headings[column];
      column += cell.colSpan;
    });
  });
});
