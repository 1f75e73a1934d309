"""QR codes: `{% qr_svg value %}` (portal/common/qr.py) draws an inline SVG on the server, escaped and without
scripts; the camera part of a code field (portal/common/_qr_scan.html + js/qr-scan.js) loads only our own
vendored files; every vendored npm package is pinned in portal/package.json and keeps its licence."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.template import Context, Template
from django.template.loader import render_to_string

from portal.common.qr import qr_svg

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "portal" / "static" / "portal" / "vendor"


def render(source: str, **context: object) -> str:
    return Template(source).render(Context(context))


def path_of(svg: str) -> str:
    found = re.search(r'<path [^>]*\bd="([^"]+)"', svg)
    assert found, svg
    return found.group(1)


def test_the_tag_draws_an_inline_svg_qr_code():
    html = render("{% qr_svg code %}", code="BK7X3K9QW2")
    assert html.startswith('<span class="qr" role="img" aria-label="QR code" data-qr-code><svg viewBox="0 0 ')
    assert html.endswith("</svg></span>")
    assert "<path " in html and "<script" not in html and "<?xml" not in html
    # Sized by CSS (.qr), not by the SVG; a full QR code (version 1 is 21 modules) with its 4-module quiet zone.
    size = int(re.search(r'viewBox="0 0 (\d+) \1"', html).group(1))  # type: ignore[union-attr]
    assert "width=" not in html and size >= 21 + 2 * 4


def test_the_drawing_follows_the_value():
    one, same, other = (render("{% qr_svg v %}", v=v) for v in ("BK-0001", "BK-0001", "BK-0002"))
    assert path_of(one) == path_of(same) and path_of(one) != path_of(other)
    assert path_of(render("{% qr_svg v %}", v="x" * 300)) != path_of(one)  # a longer value, a bigger code


def test_the_value_never_reaches_the_markup_and_the_label_is_escaped():
    html = render("{% qr_svg v label=l %}", v='"><script>alert(1)</script>', l='<b onclick="x">签到码</b>')
    assert "<script" not in html and "alert(1)" not in html and "<b" not in html
    assert 'aria-label="&lt;b onclick=&quot;x&quot;&gt;签到码&lt;/b&gt;"' in html


def test_nothing_to_draw_gives_nothing():
    assert render("{% qr_svg v %}", v="") == "" and render("{% qr_svg v %}", v=None) == ""
    assert str(qr_svg(12345)).startswith('<span class="qr"')  # numbers too


def test_the_camera_part_loads_only_our_own_vendored_scripts():
    html = render_to_string("portal/common/_qr_scan.html")
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts == ["/static/portal/vendor/jsQR.js", "/static/portal/js/qr-scan.js"]
    assert "data-qr-start" in html and "hidden" in html.split("data-qr-start", 1)[1].split(">", 1)[0]
    for state in ("starting", "scanning", "found", "stopped", "denied", "unavailable"):
        assert f"data-qr-msg-{state}=" in html


def test_every_vendored_package_is_pinned_and_keeps_its_licence():
    dependencies = json.loads((ROOT / "portal" / "package.json").read_text())["dependencies"]
    assert set(dependencies) == {"htmx.org", "jsqr"}
    for package, version in dependencies.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{package} is not pinned: {version}"
        assert (VENDOR / f"{package}.LICENSE").is_file(), package
    script = (ROOT / "infra" / "vendor_assets.sh").read_text()
    assert "vendor htmx.org dist/htmx.min.js htmx.min.js" in script and "vendor jsqr dist/jsQR.js jsQR.js" in script
    assert "Apache License" in (VENDOR / "jsqr.LICENSE").read_text()
