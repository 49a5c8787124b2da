"""Through Debian's Chromium with a zh-CN browser: Qingdao's buyer 王芳 sees her account and
catalog with Chinese names in Chinese characters, not boxes ("tofu"), and screenshots of the
pages are kept. Chromium needs a Chinese font (Debian's fonts-noto-cjk, which .ci/run
installs); without one the characters are boxes and these tests skip locally, fail in CI."""

import pytest

from tests.support.environment import skip_or_fail
from tests.support.glyphs import (
    boxes_on,
    chinese_fonts,
    probe,
    save_screenshot,
    screenshot_folder,
)
from tests.support.live import demo_site

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The demo, offering Chinese to a browser that asks for it."""
    path = tmp_path_factory.mktemp("live-zh") / "live.db"
    with demo_site(path, LANGUAGES=["en", "zh_Hans"]) as (_, base):
        yield base


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    return screenshot_folder(tmp_path_factory)


@pytest.fixture
def zh_page(browser):
    # What a zh-CN Chrome sends. (Playwright's locale="zh-CN" would send "zh-CN" alone, and
    # override this header.)
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"},
    )
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, base, email):
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "demo-password")
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def assert_characters_not_boxes(page):
    found = boxes_on(page)
    assert found["checked"] > 0, "no Chinese text on the page"
    if found["boxes"]:
        message = f"drawn as boxes in {found['fonts']}: {found['boxes']}"
        if not chinese_fonts():
            skip_or_fail(f"No Chinese font ({message}): apt-get install fonts-noto-cjk")
        pytest.fail(message)


def test_the_box_check_tells_a_box_from_a_character(zh_page, live_server):
    """The check itself: a private-use code point no font has is a box in any font, even one
    that does not exist; a Latin letter is not."""
    zh_page.goto(f"{live_server}/login")
    assert probe(zh_page, "\U0010fffc", "No Such Font", pattern=".")["boxes"] == "\U0010fffc"
    assert probe(zh_page, "A", "No Such Font", pattern=".") == {
        "checked": 1,
        "boxes": "",
        "fonts": [],
    }


def test_qingdaos_landing_page_shows_its_chinese_name_in_characters(
    zh_page, live_server, screenshots
):
    zh_page.goto(f"{live_server}/a/qingdao/")
    assert zh_page.locator("h1").inner_text() == "青岛港湾医疗集团"
    assert "欢迎使用青岛港湾医疗集团采购门户" in zh_page.content()
    path = save_screenshot(zh_page, screenshots, "qingdao-landing-zh")
    assert path.stat().st_size > 0
    assert_characters_not_boxes(zh_page)


def test_wang_fang_sees_her_catalog_with_chinese_product_names_in_characters(
    zh_page, live_server, screenshots
):
    sign_in(zh_page, live_server, "wangfang@qingdao.example")
    zh_page.goto(f"{live_server}/a/qingdao/catalog")
    monitor = zh_page.locator("[data-sku='NW-MN27'] .product-link").first
    assert monitor.inner_text() == "27 英寸 4K 显示器"
    assert "2,159.10" in zh_page.locator("[data-sku='NW-MN27']").first.inner_text()
    path = save_screenshot(zh_page, screenshots, "qingdao-catalog-zh")
    assert path.stat().st_size > 0
    assert_characters_not_boxes(zh_page)

    zh_page.goto(f"{live_server}/a/qingdao/products/NW-DT7")
    assert zh_page.locator("h1").inner_text() == "Tower 7 台式机"
    save_screenshot(zh_page, screenshots, "qingdao-product-zh")
    assert_characters_not_boxes(zh_page)


#: The Chinese labels (up to 8 characters) in headings, cells, badges and buttons of the page
#: that are drawn over more than one line, with their number of lines.
BROKEN_LABELS = """() => {
  const broken = [];
  for (const el of document.querySelectorAll('main :is(th, td, .badge, .btn)')) {
    const text = (el.innerText || '').trim();
    if (!text || text.length > 8 || !/^[\\u4e00-\\u9fff]+$/.test(text)) continue;
    const tops = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const rect of range.getClientRects()) if (rect.width > 0) tops.push(rect.top);
    }
    const lines = tops.filter((top, i) => tops.findIndex(t => Math.abs(t - top) < 4) === i);
    if (lines.length > 1) broken.push(`${text}: ${lines.length}`);
  }
  return broken;
}"""


def test_short_chinese_labels_stay_on_one_line_in_a_phones_narrow_columns(
    browser, live_server, screenshots
):
    """Chinese breaks between any two characters: without keep-all, 陈静's order list on a
    phone drew its statuses and headings one character a line (待/审/批, 下单/时间)."""
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server, "chen@northwind.example")
        page.goto(f"{live_server}/staff/orders")
        assert page.locator("main .badge").count() > 0
        save_screenshot(page, screenshots, "staff-orders-zh-390")
        assert page.evaluate(BROKEN_LABELS) == []
    finally:
        context.close()


def test_phone_numbers_stay_on_one_line_on_a_phone(browser, live_server, screenshots):
    """The 360's contacts on a phone split each number over four lines (+86 / 139 / ...)."""
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server, "chen@northwind.example")
        page.goto(f"{live_server}/staff/accounts/qingdao")
        save_screenshot(page, screenshots, "qingdao-360-zh-390")
        lines = page.evaluate(
            """() => [...document.querySelectorAll('main a[href^="tel:"]')].map(a => {
                 const range = document.createRange();
                 range.selectNodeContents(a);
                 return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
               })"""
        )
        assert lines and set(lines) == {1}
    finally:
        context.close()
