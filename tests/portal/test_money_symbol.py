"""The `yuan` filter writes the ¥ itself (backend/billing/money.py): a template or a label that puts another ¥ in
front of it shows "¥¥12.80". Every template and every Python source under portal/ is scanned for that pattern."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
TEMPLATE_DOUBLE = re.compile(r"[¥￥]\s*\{\{[^}]*\|\s*yuan\b")
PYTHON_DOUBLE = re.compile(r"[¥￥]\s*\{\s*(yuan|fmt)\(")


def _offenders(pattern: re.Pattern[str], paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}")
    return found


def test_no_template_puts_a_second_yuan_sign_before_the_yuan_filter() -> None:
    templates = [p for top in ("portal", "backend", "marketplace") for p in (ROOT / top).rglob("*.html")]
    assert templates
    assert _offenders(TEMPLATE_DOUBLE, templates) == []


def test_no_python_label_puts_a_second_yuan_sign_before_yuan() -> None:
    sources = [p for top in ("portal", "backend", "marketplace") for p in (ROOT / top).rglob("*.py")]
    assert _offenders(PYTHON_DOUBLE, sources) == []


def test_the_scan_catches_the_old_board_row() -> None:
    assert TEMPLATE_DOUBLE.search("· ¥{{ row.total_fen|yuan }} <span")
    assert not TEMPLATE_DOUBLE.search("· {{ row.total_fen|yuan }} <span")
    assert PYTHON_DOUBLE.search('f"up to ¥{yuan(left)}"')
