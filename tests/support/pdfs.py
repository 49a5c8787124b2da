"""Reading the PDFs the portal makes (pypdf): their text, and the fonts they carry."""

import io

from pypdf import PdfReader


def reader(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-"), data[:20]
    return PdfReader(io.BytesIO(data))


def pdf_text(data: bytes) -> str:
    """The text of every page, one after another."""
    return "\n".join(page.extract_text() for page in reader(data).pages)


def flat(text: str) -> str:
    """Text with its line breaks and runs of spaces as one space: where a table cell or a long
    sentence wraps is the layout's business, not the test's."""
    return " ".join(text.split())


def fonts(data: bytes) -> dict[str, set[str]]:
    """Each font the pages use (its BaseFont) -> the font files its descriptor carries
    (/FontFile, /FontFile2 for TrueType, /FontFile3 for CFF/OpenType): empty when the font
    is only named and not embedded."""
    found: dict[str, set[str]] = {}
    for page in reader(data).pages:
        resources = page["/Resources"].get_object()
        for font in resources.get("/Font", {}).values():
            font = font.get_object()
            descriptor_holder = font
            if "/DescendantFonts" in font:  # Type0 (CID) fonts: the descendant has it
                descriptor_holder = font["/DescendantFonts"][0].get_object()
            descriptor = descriptor_holder.get("/FontDescriptor")
            files = set()
            if descriptor is not None:
                files = {key for key in descriptor.get_object() if key.startswith("/FontFile")}
            found[str(font["/BaseFont"])] = files
    return found
