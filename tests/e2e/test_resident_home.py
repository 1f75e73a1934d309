"""The resident's home on a 375 px phone, in a real browser: what is due reads at a glance, nothing overflows the
screen sideways, the entries are big tap targets, and "pay now" opens the payment of the home that owes.

Then the QR scanner (js/qr-scan.js with the vendored jsQR) under the real headers (CSP, Permissions-Policy
camera=(self)): Chromium's fake camera films a QR code drawn by segno, the module reads it, fills the code
field and submits the form; with no camera at all the button stays hidden and the typed code still submits.
This module launches its own Chromium, with the fake camera, instead of the shared one."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, watch_csp
from tests.e2e.test_payment_journey import billed_home as billed_home  # noqa: PLC0414  (fixtures)
from tests.e2e.test_payment_journey import pay_server as pay_server  # noqa: PLC0414
from tests.e2e.test_payment_journey import sign_in

pytestmark = [pytest.mark.browser]

PHONE = {"width": 375, "height": 812}
CODE = "BK-7X3K9QW2MZ"


def qr_video(path: Path, value: str) -> Path:
    """A two-frame Y4M clip (640 × 480, 4:2:0) of a QR code of `value` on white, for Chromium's fake camera."""
    import segno
    from PIL import Image

    png = io.BytesIO()
    segno.make(value, micro=False).save(png, kind="png", scale=10, border=4)
    code = Image.open(io.BytesIO(png.getvalue())).convert("RGB")
    frame = Image.new("RGB", (640, 480), "white")
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    planes = y.tobytes() + cb.resize((320, 240)).tobytes() + cr.resize((320, 240)).tobytes()
    path.write_bytes(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n" + (b"FRAME\n" + planes) * 2)
    return path


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Chromium with a fake camera that films a QR code of CODE (and grants the camera without asking)."""
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
    video = qr_video(tmp_path_factory.mktemp("camera") / "qr.y4m", CODE)
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        new_context = browser.new_context
        browser.new_context = lambda *a, **kw: watch_csp(new_context(*a, **kw))  # type: ignore[method-assign]
        yield browser
        browser.close()


def phone(browser: Any) -> Any:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(60_000)
    return context


def test_the_home_on_a_375px_phone_shows_what_is_due_and_pays_it(
    browser: Any, pay_server: str, billed_home: dict[str, Any]
) -> None:
    w = billed_home
    base = f"http://alpha.localhost{pay_server}"
    context = phone(browser)
    page = context.new_page()
    sign_in(page, base, w["resident"].email)
    page.wait_for_url(f"{base}/resident/")
    # January's three lines (物业费 ¥223.75, 垃圾清运费 ¥10, 停车费 ¥150), all past their due date.
    assert page.locator("[data-due-total]").inner_text() == "¥383.75"
    assert page.locator("[data-overdue]").is_visible()
    # Nothing is wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    entries = page.locator("[data-entry]")
    assert entries.count() >= 1
    for i in range(entries.count()):
        box = entries.nth(i).bounding_box()
        assert box and box["height"] >= 44 and box["width"] >= 44  # a thumb's tap target
    pay_now = page.locator("[data-pay-now]").bounding_box()
    assert pay_now and pay_now["height"] >= 44 and pay_now["width"] >= PHONE["width"] / 2
    for card in ("upcoming-bookings", "announcements"):
        assert page.locator(f"[data-home-section={card}]").is_visible()
    page.locator("[data-pay-now]").click()
    page.wait_for_url(f"{base}/resident/pay/?unit={w['home'].pk}")
    context.close()


SCANNER = """([markup, jsqr, module]) => new Promise((resolve, reject) => {
  const form = document.createElement("form");
  form.method = "get";
  form.action = "/announcements/";
  form.setAttribute("data-qr-scan", "");
  form.innerHTML = '<input name="code" data-qr-target><button type="submit">go</button>' + markup;
  document.querySelector("main").appendChild(form);
  const load = (src) => new Promise((done, fail) => {
    const script = document.createElement("script");
    script.src = src; script.onload = done; script.onerror = fail;
    document.head.appendChild(script);
  });
  load(jsqr).then(() => load(module)).then(resolve, reject);
})"""


def scanner_page(context: Any, base: str, email: str) -> Any:
    """A page of ours (its real CSP and Permissions-Policy) with a code form using the scanner module."""
    from django.template.loader import render_to_string

    markup = render_to_string("portal/common/_qr_scan.html").split("<script", 1)[0]
    page = context.new_page()
    sign_in(page, base, email)
    page.wait_for_url(f"{base}/resident/")
    page.evaluate(SCANNER, [markup, "/static/portal/vendor/jsQR.js", "/static/portal/js/qr-scan.js"])
    return page


def test_the_scanner_reads_a_qr_code_from_the_camera_and_submits_it(
    browser: Any, pay_server: str, billed_home: dict[str, Any]
) -> None:
    base = f"http://alpha.localhost{pay_server}"
    context = phone(browser)
    page = scanner_page(context, base, billed_home["resident"].email)
    start = page.locator("[data-qr-start]")
    start.wait_for(state="visible")  # a camera can be used here
    with page.expect_navigation(url=f"{base}/announcements/?code={CODE}"):
        start.click()
    context.close()


def test_without_a_camera_the_typed_code_still_works(
    browser: Any, pay_server: str, billed_home: dict[str, Any]
) -> None:
    base = f"http://alpha.localhost{pay_server}"
    context = phone(browser)
    # No camera: the page sees no navigator.mediaDevices (as on plain http, or an old WebView).
    context.add_init_script("Object.defineProperty(navigator, 'mediaDevices', { value: undefined });")
    page = scanner_page(context, base, billed_home["resident"].email)
    assert page.locator("[data-qr-start]").is_hidden()
    page.fill("[data-qr-target]", "BK-TYPED-0001")
    with page.expect_navigation(url=f"{base}/announcements/?code=BK-TYPED-0001"):
        page.locator("form[data-qr-scan] button[type=submit]").click()
    context.close()
