"""A 200-line invoice rendered to PDF (WeasyPrint), measured side by side with its floors.

Builds one key account with a 200-line order and its invoice, and a 1-line order and its
invoice, then times in turn, REPEAT rounds of each (DESIGN.md section 7, issue 15 item 6):

(a) the 200-line invoice as a PDF (payments.documents.invoice_pdf: the same body template as
    the page, the PDF stylesheet, the fonts subset and embedded), in English;
(b) the same, for a Chinese reader (the CJK glyphs of the product names and labels);
(c) the same invoice as the HTML page (payments/invoice.html rendered from the same context),
    what the browser gets instead: the floor of everything but the layout and the PDF;
(d) a 1-line invoice as a PDF: the fixed cost of a document (fonts, stylesheet, one page).

It prints the median time of each, the PDF's pages and bytes, and the ratios PDF / HTML and
200 lines / 1 line, with the time per page. Rendering reads nothing from the database (the
invoice is loaded once, as the view loads it), so the database does not matter: SQLite, in a
temporary file.

    .venv/bin/python benchmarks/bench_invoice_pdf.py
"""

import statistics
import time
from decimal import Decimal

from common import app_on, sqlite_database
from flask import render_template
from flask_babel import force_locale

from portal.payments import documents, invoices
from tests import factories
from tests.support.pdfs import reader

LINES = 200
REPEAT = 7


def make_invoice(account, contract, lines: int) -> str:
    """An order of `lines` lines, shipped, with its invoice; the invoice's number."""
    total = Decimal(0)
    with factories.committed_once():
        order = factories.OrderFactory(contract=contract, status="shipped", po_number="PO-2026-77")
        for n in range(1, lines + 1):
            quantity = n % 7 + 1
            unit = Decimal(f"{(n * 37) % 9000 + 99}.{n % 100:02d}")
            factories.OrderLineFactory(
                order=order,
                position=n,
                sku=f"NW-{n:05d}",
                name=f"Component {n}, industrial grade",
                name_zh=f"工业级元件{n}号",
                quantity=quantity,
                unit_price_amount=unit,
                line_total_amount=unit * quantity,
            )
            total += unit * quantity
        order.total_amount = total
        factories.MilestoneFactory(
            order=order,
            position=1,
            amount=total,
            due_on=order.placed_on,
            invoiced_on=order.placed_on,
        )
    return f"{order.number}-1"


def timed_rounds(variants: dict, repeat: int) -> dict[str, float]:
    """Each variant once per round, in turn; the median seconds of each."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeat):
        for name, run in variants.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    with sqlite_database() as url, app_on(url) as app, app.test_request_context():
        with factories.committed_once():
            account = factories.AccountFactory(slug="qingdao", name="青岛港湾医疗集团")
            contract = factories.ContractFactory(account=account)
        big = invoices.invoice_or_404(make_invoice(account, contract, LINES))
        small = invoices.invoice_or_404(make_invoice(account, contract, 1))

        def pdf(milestone, locale="en"):
            with force_locale(locale):
                return documents.invoice_pdf(milestone)

        def page(milestone):
            context = documents.invoice_document(milestone)
            return render_template("payments/invoice.html", **context, is_staff_view=True)

        # Once outside the clock: fonts found and the stylesheet read, as a warm process has.
        made = {"en": pdf(big), "zh_Hans": pdf(big, "zh_Hans"), "1 line": pdf(small)}
        html = page(big)
        assert "data-invoice-number=" in html and html.count("data-sku=") == LINES

        medians = timed_rounds(
            {
                "pdf": lambda: pdf(big),
                "pdf_zh": lambda: pdf(big, "zh_Hans"),
                "html": lambda: page(big),
                "pdf_1": lambda: pdf(small),
            },
            REPEAT,
        )

    pages = {name: len(reader(data).pages) for name, data in made.items()}
    print(f"Invoice PDF benchmark: {LINES}-line invoice, median of {REPEAT} rounds, in turn")
    print(f"{'':34} {'median':>10} {'pages':>6} {'bytes':>10}")
    rows = [
        (f"{LINES}-line invoice, PDF (en)", medians["pdf"], pages["en"], len(made["en"])),
        (
            f"{LINES}-line invoice, PDF (zh_Hans)",
            medians["pdf_zh"],
            pages["zh_Hans"],
            len(made["zh_Hans"]),
        ),
        (f"{LINES}-line invoice, HTML page", medians["html"], None, len(html.encode())),
        ("1-line invoice, PDF (en)", medians["pdf_1"], pages["1 line"], len(made["1 line"])),
    ]
    for label, seconds, page_count, size in rows:
        shown_pages = "" if page_count is None else str(page_count)
        print(f"{label:34} {seconds * 1000:8.1f} ms {shown_pages:>6} {size:>10,}")
    print()
    ratios = [
        (f"PDF / HTML page (same {LINES}-line invoice)", medians["pdf"] / medians["html"]),
        (f"{LINES} lines / 1 line (PDF)", medians["pdf"] / medians["pdf_1"]),
        ("Chinese / English (PDF)", medians["pdf_zh"] / medians["pdf"]),
    ]
    for label, ratio in ratios:
        print(f"{label:44} {ratio:6.2f}x")
    per_page = medians["pdf"] / pages["en"]
    print(f"{'time per page (' + str(LINES) + '-line PDF, en)':44} {per_page * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
