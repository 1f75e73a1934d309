"""The group-buy pages: the resident's deal list and deal page (progress, time left, join, pay, leave), and the
merchant's deals page (its deals with their state, and the form that offers one)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from backend.billing import ledger
from marketplace.groupbuy import services as gb
from marketplace.groupbuy.models import Deal, DealJoin
from marketplace.orders.models import Order
from tenants.db import connection
from tests.conftest import host_of
from tests.marketplace.orders.test_pages import merchant_portal, resident

from .conftest import Shop

pytestmark = pytest.mark.django_db


def as_user(shop: Shop, user: object) -> Client:
    connection.set_tenant(shop.tenant)
    client = Client(HTTP_HOST=host_of(shop.tenant))
    client.force_login(user, backend="backend.accounts.backends.EmailOrPhoneBackend")
    return client


def test_a_resident_finds_the_deal_joins_pays_and_leaves(shop: Shop, deal: Deal) -> None:
    client = resident(shop)
    listing = client.get("/resident/shop/deals/").content.decode()
    assert f'data-deal="{deal.pk}"' in listing and "¥9.90" in listing and "¥12.80" in listing
    assert "团购" in listing
    page = client.get(f"/resident/shop/deals/{deal.pk}/").content.decode()
    assert "data-join-button" in page and "data-progress" in page and "data-left" in page
    joined = client.post(f"/resident/shop/deals/{deal.pk}/join/", {"unit": shop.home.pk, "fulfilment": "pickup"})
    assert joined.status_code == 302 and joined["Location"] == f"/resident/shop/deals/{deal.pk}/"
    connection.set_tenant(shop.tenant)
    order = Order.objects.get(user=shop.resident)
    assert (order.total_fen, order.fulfilment) == (990, "pickup")
    page = client.get(f"/resident/shop/deals/{deal.pk}/").content.decode()
    assert "data-pay" in page and "/resident/pay/?unit=" in page and "data-join-button" not in page
    assert 'data-my-join="joined"' in page and "data-leave" in page
    part = client.get(f"/resident/shop/deals/{deal.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in part and "data-progress" in part
    again = client.post(f"/resident/shop/deals/{deal.pk}/join/", {"unit": shop.home.pk}, follow=True)
    assert "已经" in again.content.decode()  # "you have joined already", as a message
    left = client.post(f"/resident/shop/deals/{deal.pk}/leave/")
    assert left.status_code == 302
    connection.set_tenant(shop.tenant)
    assert Order.objects.get(pk=order.pk).status == "cancelled"
    assert DealJoin.objects.get().state == "lapsed"


def test_a_paid_place_counts_and_the_outcome_shows_after_the_deadline(shop: Shop, deal: Deal) -> None:
    ledger.payment_record(unit=shop.home, amount=990, method="cash", to_prepaid=True)
    gb.deal_join(deal_id=deal.pk, user=shop.resident, unit=shop.home)
    client = resident(shop)
    page = client.get(f"/resident/shop/deals/{deal.pk}/").content.decode()
    assert 'value="1"' in page  # the progress bar: 1 paid of the minimum 2
    connection.set_tenant(shop.tenant)
    gb.deal_settle(deal.pk, now=deal.deadline + dt.timedelta(minutes=1))
    page = client.get(f"/resident/shop/deals/{deal.pk}/").content.decode()
    assert 'data-state="failed"' in page and 'data-my-join="refunded"' in page and "data-join-button" not in page
    mine = client.get("/resident/shop/deals/").content.decode()
    assert "data-my-deals" in mine and "data-no-deals" in mine  # no open deal left; mine is listed


def test_a_resident_whose_estate_cannot_see_the_deal_gets_a_404(shop: Shop, deal: Deal) -> None:
    client = as_user(shop, shop.other_resident)
    assert client.get(f"/resident/shop/deals/{deal.pk}/").status_code == 404
    assert client.post(f"/resident/shop/deals/{deal.pk}/join/", {"unit": shop.other_home.pk}).status_code == 404
    assert f'data-deal="{deal.pk}"' not in client.get("/resident/shop/deals/").content.decode()
    connection.set_tenant(shop.tenant)
    assert not DealJoin.objects.exists()


def test_the_merchant_offers_a_deal_and_sees_its_state(shop: Shop, deal: Deal) -> None:
    client = merchant_portal(shop.fruit)
    page = client.get("/merchant/deals/").content.decode()
    assert f'data-deal-row="{deal.pk}"' in page and 'data-state="open"' in page and "data-deal-form" in page
    deadline = timezone.localtime(timezone.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    form = {
        "company": shop.tenant.pk,
        "listing": shop.apple.pk,
        "group_price_fen": "8.80",
        "min_participants": 5,
        "max_participants": 20,
        "deadline": deadline,
    }
    bad = client.post("/merchant/deals/", {**form, "group_price_fen": "13.00"})
    assert bad.status_code == 400 and "data-deal-form" in bad.content.decode()
    made = client.post("/merchant/deals/", form)
    assert made.status_code == 302 and made["Location"] == "/merchant/deals/"
    connection.set_tenant(shop.tenant)
    new = Deal.objects.exclude(pk=deal.pk).get()
    assert (new.group_price_fen, new.min_participants, new.max_participants) == (880, 5, 20)
    page = merchant_portal(shop.fruit).get("/merchant/deals/").content.decode()
    assert f'data-deal-row="{new.pk}"' in page
    other = merchant_portal(shop.cleaner).get("/merchant/deals/").content.decode()
    assert "data-no-deals" in other and f'data-deal-row="{deal.pk}"' not in other
