"""The SLA dashboard and the repairs report pages, through the real middleware: the hand-computed figures of
tests/backend/desk/test_reports.py on the page (zh-hans), the charts drawn as SVG, the .xlsx download, bad
parameters answered with the form's errors, an estate outside the caller's scope a 404, another office's
supervisor seeing only theirs, an engineer and a resident refused, and the other company's staff kept out."""

from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import load_workbook

from backend.desk.models import Ticket
from tests.backend.desk.conftest import Desk
from tests.backend.desk.test_reports import tickets

MARCH = "from=2030-03&months=1"


def html(response: Any) -> str:
    return response.content.decode()


def test_the_report_page_shows_the_figures_with_charts(world: Desk, client_for: Any, tenant_a: Any) -> None:
    found = tickets(world)
    client = client_for(tenant_a, world.supervisor)
    page = client.get(f"/staff/desk/reports/?{MARCH}&group=category")
    assert page.status_code == 200
    text = html(page)
    assert "报修统计" in text and "时效达标率" in text  # zh-hans first
    # Counted now (today, before the world's 2030): t3 is not yet past its limits, so 1 within and 1 late.
    assert re.search(r"data-total-reported>3<", text)
    assert re.search(r"data-total-attainment>50\.0%<", text)
    assert "data-attainment-chart" in text and "data-desk-trend-chart" in text and "<svg" in text
    assert f'data-row="{world.plumbing.pk}"' in text and f'data-row="{world.electrical.pk}"' in text
    by_engineer = html(client.get(f"/staff/desk/reports/?{MARCH}&group=engineer"))
    assert f'data-row="{world.engineer.pk}"' in by_engineer and 'data-row="none"' in by_engineer
    by_month = html(client.get(f"/staff/desk/reports/?{MARCH}&group=month"))
    assert 'data-row="2030-03"' in by_month
    # 滨江's ticket is not in 西湖's supervisor's report, nor its estate in the filter.
    assert found["t5"].code not in text and "江景苑" not in text


def test_the_xlsx_download(world: Desk, client_for: Any, tenant_a: Any) -> None:
    tickets(world)
    client = client_for(tenant_a, world.supervisor)
    response = client.get(f"/staff/desk/reports/export/?{MARCH}&group=estate")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="repairs-estate-203003-1m.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    assert rows[0][:3] == ["阳光花园", 3, 2]
    assert rows[-1][1] == 3


def test_bad_parameters_and_an_estate_out_of_scope(world: Desk, client_for: Any, tenant_a: Any) -> None:
    client = client_for(tenant_a, world.supervisor)
    bad = client.get("/staff/desk/reports/?from=2030-13&months=7")
    assert bad.status_code == 400 and 'class="error"' in html(bad)
    assert client.get(f"/staff/desk/reports/?{MARCH}&estate={world.other_estate.pk}").status_code == 404
    assert client.get(f"/staff/desk/reports/export/?{MARCH}&estate={world.other_estate.pk}").status_code == 404
    assert client.get(f"/staff/desk/reports/?{MARCH}&estate={world.estate.pk}").status_code == 200


def test_the_sla_dashboard_in_scope(world: Desk, client_for: Any, tenant_a: Any) -> None:
    found = tickets(world)
    # The world's tickets are dated 2030: as the SLA sweep would have, flag the open ones past their limits.
    Ticket.objects.filter(pk__in=[found["t3"].pk, found["t6"].pk]).update(breached=True)
    page = client_for(tenant_a, world.supervisor).get("/staff/desk/sla/")
    assert page.status_code == 200
    text = html(page)
    assert "时效看板" in text and "data-breached-list" in text
    # Open past their limits now: t3 and February's t6; finished: t1 within, t2 past.
    assert f'data-ticket="{found["t3"].pk}" data-breached' in text and f'data-ticket="{found["t6"].pk}"' in text
    assert re.search(r"data-breached-count>2<", text)
    assert f'data-finished="{found["t1"].pk}" data-within="yes"' in text
    assert f'data-finished="{found["t2"].pk}" data-within="no"' in text
    assert found["t5"].code not in text
    theirs = html(client_for(tenant_a, world.other_supervisor).get("/staff/desk/sla/"))
    assert f'data-finished="{found["t5"].pk}" data-within="yes"' in theirs
    assert found["t1"].code not in theirs and re.search(r"data-breached-count>0<", theirs)


def test_who_may_open_them(world: Desk, client_for: Any, tenant_a: Any, tenant_b: Any, member: Any) -> None:
    for path in ("/staff/desk/sla/", f"/staff/desk/reports/?{MARCH}", f"/staff/desk/reports/export/?{MARCH}"):
        assert client_for(tenant_a, world.engineer).get(path).status_code == 403
        assert client_for(tenant_a, world.resident).get(path).status_code == 403
        assert client_for(tenant_a).get(path).status_code == 302  # sign in
        outsider = member(tenant_b, ["customer_service"])
        # Signed in at company beta, asking company alpha: not a member here.
        assert client_for(tenant_a, outsider).get(path).status_code in (302, 403, 404)


def test_the_dispatch_board_offers_the_engineers_of_the_callers_scope(
    world: Desk, client_for: Any, tenant_a: Any
) -> None:
    found = tickets(world)  # t3 waits for dispatch; the engineer holds nothing open (t1, t2 finished)
    text = html(client_for(tenant_a, world.supervisor).get("/staff/desk/board/"))
    assert f'data-ticket="{found["t3"].pk}"' in text and f'data-ticket="{found["t5"].pk}"' not in text
    assert f'data-engineer="{world.engineer.pk}" data-load="0"' in text
    assert f'data-engineer="{world.engineer2.pk}"' in text
    assert f'data-engineer="{world.other_engineer.pk}"' not in text  # 滨江's engineer works elsewhere
    assert f'<option value="{world.other_engineer.pk}"' not in text
    theirs = html(client_for(tenant_a, world.other_supervisor).get("/staff/desk/board/"))
    assert f'data-engineer="{world.other_engineer.pk}"' in theirs
    assert f'data-engineer="{world.engineer.pk}"' not in theirs
