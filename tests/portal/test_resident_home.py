"""The resident's home page (portal/resident/home.py): what is due (total, overdue part, next due date, a way to
pay), the entries that appear once their pages exist, the cards of the registry (upcoming bookings, the latest
three announcements sent to this resident) and my homes. Only the resident's own homes and announcements,
never another company's; staff without the resident role are refused as on every resident page."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from backend.billing.ledger import payment_record
from backend.billing.models import BillLine
from backend.billing.periods import add_months
from backend.billing.runs import bill_run_create, bill_run_execute
from backend.notifications.announcements import announcement_create
from backend.properties.models import Occupancy, Person, Unit
from portal.resident import home as resident_home
from portal.resident.home import HomeEntry, HomeItem, HomeSection, HomeViewer
from tests.backend.billing.conftest import EVERYTHING, World
from tests.backend.billing.conftest import world as world  # noqa: PLC0414  (the billed world fixture)

THIS_MONTH = dt.date.today().replace(day=1)
PAST = add_months(THIS_MONTH, -2)
NEXT = add_months(THIS_MONTH, 1)


def post_run(period: dt.date) -> None:
    bill_run_execute(bill_run_create(period=period, scope=EVERYTHING, by=None).pk)


def text(response: Any) -> str:
    assert response.status_code == 200
    return response.content.decode()


def part(html: str, marker: str) -> str:
    """The element that carries `marker` (up to its section's end)."""
    assert marker in html, marker
    return html.split(marker, 1)[1].split("</section>", 1)[0]


@pytest.fixture
def resident(tenant_a: Any, member: Callable[..., Any], client_for: Callable[..., Client]) -> Callable[..., Any]:
    """resident(*units, roles=["resident"]) -> (user, signed-in client) of a person living in units now."""

    def make(*units: Unit, roles: list[str] | None = None) -> tuple[Any, Client]:
        user = member(tenant_a, roles or ["resident"])
        client = client_for(tenant_a, user)
        connection.set_tenant(tenant_a)
        person = Person.objects.create(name="住户", user=user)
        for unit in units:
            Occupancy.objects.create(unit=unit, person=person, role="owner", start_date=dt.date(2025, 1, 1))
        return user, client

    return make


def announce(title: str, **target: Any) -> Any:
    from backend.accounts.models import User

    author = User.objects.filter(memberships__isnull=False).first()
    return announcement_create(title=title, body=f"<p>{title}</p>", by=author, scope=EVERYTHING, **target)


# --- what is due ------------------------------------------------------------------------------------------------


def test_a_home_with_bills_due_shows_the_total_the_overdue_part_and_the_next_due_date(
    world: World, resident: Any
) -> None:
    home = world.units[0]  # 89.50 m²: ¥223.75 management + ¥10 garbage a month
    post_run(PAST)
    post_run(NEXT)
    garbage_past = BillLine.objects.get(unit=home, fee_item=world.garbage, period_start=PAST)
    payment_record(unit=home, amount=1000, method="cash", line_ids=[garbage_past.pk])
    next_due = min(BillLine.objects.filter(unit=home, period_start=NEXT).values_list("due_date", flat=True))
    _user, client = resident(home)
    due = part(text(client.get("/resident/")), "data-due>")
    assert "data-due-total>¥457.50<" in due  # PAST ¥223.75 still owed + NEXT ¥233.75, to the fen
    assert "¥223.75" in part(due, "data-overdue>")  # PAST's management fee, past its due date
    assert f'data-next-due="{next_due:%Y-%m-%d}"' in due
    # One home owes: "pay now" and the pay entry go straight to its payment page.
    assert f'href="/resident/pay/?unit={home.pk}" data-pay-now' in due
    html = text(client.get("/resident/"))
    assert re.search(rf'<a class="entry" href="/resident/pay/\?unit={home.pk}" data-entry="pay">', html)


def test_a_home_with_nothing_due_says_so_and_offers_no_payment(world: World, resident: Any) -> None:
    post_run(PAST)
    home = world.units[1]
    for line in BillLine.objects.filter(unit=home):
        payment_record(unit=home, amount=line.amount, method="cash", line_ids=[line.pk])
    _user, client = resident(home)
    html = text(client.get("/resident/"))
    due = part(html, "data-due>")
    assert "data-all-paid" in due and "data-due-total>¥0.00<" in due
    assert "data-pay-now" not in due and "data-overdue" not in due and "data-next-due" not in due
    assert '<a class="entry" href="/resident/bills/" data-entry="pay">' in html  # the bills, to look at


def test_two_homes_owing_are_listed_and_paying_starts_from_the_bills(world: World, resident: Any) -> None:
    first, second = world.units[0], world.units2[0]
    post_run(NEXT)
    _user, client = resident(first, second)
    due = part(text(client.get("/resident/")), "data-due>")
    assert "data-due-total>¥543.75<" in due  # ¥233.75 (89.50 m²) + ¥310.00 (120 m²)
    assert f'data-due-home="{first.pk}"' in due and f'data-due-home="{second.pk}"' in due
    assert 'href="/resident/bills/" data-pay-now' in due


def test_a_resident_without_a_home_is_asked_to_link_one(world: World, resident: Any) -> None:
    _user, client = resident()
    due = part(text(client.get("/resident/")), "data-due>")
    assert "data-no-home" in due and 'href="/resident/bind/"' in due and "data-due-total" not in due


# --- who may open it --------------------------------------------------------------------------------------------


def test_staff_without_the_resident_role_are_refused_and_visitors_sent_to_sign_in(
    world: World, member: Any, client_for: Any, tenant_a: Any
) -> None:
    for roles in (["finance"], ["company_admin"], ["security"]):
        assert client_for(tenant_a, member(tenant_a, roles)).get("/resident/").status_code == 403
    anonymous = client_for(tenant_a).get("/resident/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/?next=")


def test_staff_who_also_live_here_see_only_their_own_home_due(world: World, resident: Any) -> None:
    mine, neighbour = world.units[0], world.units[1]
    post_run(NEXT)
    _user, client = resident(mine, roles=["finance", "resident"])  # company-wide finance, and a resident
    html = text(client.get("/resident/"))
    assert "data-due-total>¥233.75<" in html  # not the neighbour's ¥233.75 added on top
    assert f'data-unit="{mine.pk}"' in html and f'data-unit="{neighbour.pk}"' not in html


def test_company_beta_residents_see_nothing_of_alpha(
    world: World, tenant_b: Any, member: Any, client_for: Any, resident: Any
) -> None:
    home = world.units[0]
    post_run(PAST)
    resident(home)  # someone lives there in alpha
    announce("阿尔法停水", target_all=True)
    connection.set_schema_to_public()
    beta = client_for(tenant_b, member(tenant_b, ["resident"]))
    html = text(beta.get("/resident/"))
    assert "金色家园" not in html and "阿尔法停水" not in html and "¥233.75" not in html
    assert "data-no-home" in html and "data-home-item=" not in html


# --- the cards --------------------------------------------------------------------------------------------------


def test_the_latest_three_announcements_sent_to_me_and_only_those(world: World, resident: Any, tenant_a: Any) -> None:
    home = world.units[0]  # building 1
    user, client = resident(home)
    other_user, _other = resident(world.units2[0])  # building 2
    for n in range(1, 5):
        announce(f"一栋通知{n}", building_ids=[world.building.pk])
    announce("二栋通知", building_ids=[world.building2.pk])
    announce("财务内部", roles=["finance"])
    card = part(text(client.get("/resident/")), 'data-home-section="announcements"')
    assert re.findall(r"一栋通知\d|二栋通知|财务内部", card) == ["一栋通知4", "一栋通知3", "一栋通知2"]
    assert 'href="/announcements/"' in card  # see all
    connection.set_tenant(tenant_a)
    theirs = resident_home.latest_announcements(
        HomeViewer(user_id=other_user.pk, membership=None, units=(), now=dt.datetime.now(dt.UTC))
    )
    assert [item.title for item in theirs] == ["二栋通知"]


def test_no_announcements_and_no_bookings_say_so(world: World, resident: Any) -> None:
    _user, client = resident(world.units[0])
    html = text(client.get("/resident/"))
    bookings = part(html, 'data-home-section="upcoming-bookings"')
    assert "data-home-empty" in bookings and "data-home-item=" not in bookings
    assert "data-home-empty" in part(html, 'data-home-section="announcements"')
    # The club's "my bookings" page links from the card.
    assert "data-home-section" in html and 'href="/resident/bookings/"' in bookings


def test_an_area_adds_a_card_and_fills_upcoming_bookings_without_the_home_knowing_it(
    world: World, resident: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, neighbour = world.units[0], world.units[1]
    user, client = resident(home)
    resident(neighbour)
    seen: list[HomeViewer] = []
    monkeypatch.setattr(resident_home, "_SECTIONS", dict(resident_home._SECTIONS))

    def parcels(viewer: HomeViewer) -> list[HomeItem]:
        seen.append(viewer)
        return [HomeItem(title=f"{u.label} 快递 <b>", detail="丰巢 3 号柜", key=f"parcel-{u.pk}") for u in viewer.units]

    when = dt.datetime(2026, 5, 1, 1, 30, tzinfo=dt.UTC)  # 09:30 in Shanghai
    resident_home.home_section_add(HomeSection(key="parcels", title="我的快递", provider=parcels, order=10))
    resident_home.home_section_provide(
        "upcoming-bookings", lambda viewer: [HomeItem(title="网球场 1 号", when=when, url="/x/", key="booking-1")]
    )
    html = text(client.get("/resident/"))
    parcels_card = part(html, 'data-home-section="parcels"')
    assert f'data-home-item="parcel-{home.pk}"' in parcels_card and f"parcel-{neighbour.pk}" not in parcels_card
    assert "快递 &lt;b&gt;" in parcels_card  # escaped
    assert [v.user_id for v in seen] == [user.pk] and [u.pk for u in seen[0].units] == [home.pk]
    bookings = part(html, 'data-home-section="upcoming-bookings"')
    assert 'data-home-item="booking-1"' in bookings and "2026-05-01 09:30" in bookings
    # In order: parcels (10), upcoming bookings (20), announcements (80).
    assert html.index('"parcels"') < html.index('"upcoming-bookings"') < html.index('"announcements"')


# --- entries ----------------------------------------------------------------------------------------------------


def test_entries_appear_only_once_their_pages_exist(
    world: World, resident: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _user, client = resident(world.units[0])
    entries = part(text(client.get("/resident/")), "data-entries>").split("</nav>", 1)[0]
    assert re.findall(r'data-entry="(\w+)"', entries) == ["pay", "book", "shop", "repair", "repairs", "complain"]
    monkeypatch.setattr(
        resident_home,
        "ENTRIES",
        [
            *resident_home.ENTRIES[:1],
            HomeEntry("book", "预约", "portal:announcements", "calendar"),  # a page that exists, standing in
            HomeEntry("shop", "商城", "portal:no-such-page", "bag"),
        ],
    )
    entries = part(text(client.get("/resident/")), "data-entries>").split("</nav>", 1)[0]
    assert re.findall(r'data-entry="(\w+)"', entries) == ["pay", "book"]
    assert 'href="/announcements/" data-entry="book"' in entries


def test_the_page_is_chinese_first_with_english(world: World, resident: Any, settings: Any) -> None:
    _user, client = resident(world.units[0])
    zh = text(client.get("/resident/"))  # the company's default language
    assert "待缴费用" in zh and "缴费" in zh and "公告" in zh and "近期预约" in zh
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    en = text(client.get("/resident/"))
    assert "What is due" in en and "Upcoming bookings" in en and "Announcements" in en
