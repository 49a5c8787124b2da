"""Whether a page in Chromium shows Chinese characters or boxes ("tofu"), and its screenshots.

A character no installed font has is drawn as the font's .notdef glyph, the same box for every
such character. So each Chinese character on the page is drawn on a canvas in the font of the
element that holds it and compared, pixel by pixel, with the drawing of U+10FFFD, a private-use
code point that no font has: the same pixels (or none at all) is a box.
"""

import os
import shutil
import subprocess
from pathlib import Path

#: What the check runs in the page: {checked: how many (font, character) pairs, boxes: the
#: characters drawn as boxes, fonts: the fonts they were drawn in}. Its arguments: the
#: selector of the part of the page to check, and the characters to check (a RegExp source).
BOXES_JS = r"""
([selector, pattern]) => {
  const canvas = document.createElement("canvas");
  canvas.width = 80;
  canvas.height = 64;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const draw = (font, text) => {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.font = font;
    ctx.fillStyle = "#000";
    ctx.textBaseline = "top";
    ctx.fillText(text, 8, 8);
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let hash = 0, inked = 0;
    for (let i = 3; i < data.length; i += 4) {
      hash = (hash * 31 + data[i] + i) | 0;
      if (data[i]) inked++;
    }
    return { hash, inked };
  };
  const han = new RegExp(pattern, "gu");
  const nothing = String.fromCodePoint(0x10fffd);
  const boxOf = new Map(), done = new Set(), boxes = new Set(), fonts = new Set();
  const root = document.querySelector(selector) || document.body;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const found = node.data.match(han);
    if (!found || !node.parentElement) continue;
    const style = getComputedStyle(node.parentElement);
    const font = `${style.fontStyle} ${style.fontWeight} 40px ${style.fontFamily}`;
    if (!boxOf.has(font)) boxOf.set(font, draw(font, nothing));
    const box = boxOf.get(font);
    for (const ch of found) {
      if (done.has(font + ch)) continue;
      done.add(font + ch);
      const drawn = draw(font, ch);
      if (drawn.inked === 0 || drawn.hash === box.hash) {
        boxes.add(ch);
        fonts.add(style.fontFamily);
      }
    }
  }
  return { checked: done.size, boxes: [...boxes].join(""), fonts: [...fonts] };
}
"""


#: Chinese characters, punctuation and full-width forms.
HAN = r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]"


def boxes_on(page, selector: str = "body", pattern: str = HAN) -> dict:
    """{checked, boxes, fonts} of the page's text under `selector` (see BOXES_JS)."""
    return page.evaluate(BOXES_JS, [selector, pattern])


def probe(page, text: str, font_family: str, pattern: str = HAN) -> dict:
    """boxes_on for `text` in `font_family`, in a span added to the page for the check."""
    page.evaluate(
        """([text, family]) => {
          const el = document.createElement("span");
          el.id = "glyph-probe";
          el.style.fontFamily = family;
          el.textContent = text;
          document.body.appendChild(el);
        }""",
        [text, font_family],
    )
    try:
        return boxes_on(page, "#glyph-probe", pattern)
    finally:
        page.evaluate("document.getElementById('glyph-probe').remove()")


def chinese_fonts() -> list[str]:
    """The fonts fontconfig knows for Chinese; [] when none (or no fontconfig)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    listing = subprocess.run(  # noqa: S603 - fontconfig, fixed arguments
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False
    )
    return [line for line in listing.stdout.splitlines() if line.strip()]


def screenshot_folder(tmp_path_factory) -> Path:
    """PORTAL_SCREENSHOTS when set, else `screenshots` in pytest's kept temporary folder (the
    last three runs' are kept: pytest-of-<user>/pytest-current/screenshots0)."""
    named = os.environ.get("PORTAL_SCREENSHOTS")
    if named:
        folder = Path(named)
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("screenshots", numbered=True)


def save_screenshot(page, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
