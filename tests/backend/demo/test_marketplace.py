"""The demo marketplace: eight merchants with about 200 listings, each with a locally drawn picture that went
through the upload module, and the standing the README describes with the two demo companies; seeding again,
or seeding one company first, gives the same standing and adds nothing."""

from __future__ import annotations

from typing import Any

from django_tenants.utils import schema_context
from PIL import Image

from backend.demo.companies import DEMO_PASSWORD
from backend.demo.marketplace import MERCHANTS
from backend.properties.models import Estate
from marketplace.models import Listing, ListingPhoto, Merchant, MerchantApplication, ServiceSlot, Special
from tests.backend.demo.conftest import DemoWorld, standing


def test_the_demo_merchants_their_pictures_and_their_standing(demo_world: DemoWorld, db: Any) -> None:
    # conftest.py seeds 绿城物业 and the marketplace, then 示范物业 and the marketplace again
    lvcheng = demo_world.lvcheng
    # when the marketplace was first seeded 示范物业 did not exist yet: only 绿城物业's standing
    assert demo_world.standing_lvcheng_only == {("鲜果坊", "lvcheng", "approved")}

    shifan = demo_world.shifan
    assert Merchant.objects.count() == 8
    assert 190 <= Listing.objects.count() <= 220
    assert standing() == {
        ("鲜果坊", "lvcheng", "approved"),
        ("鲜果坊", "demo", "approved"),
        ("好帮手家政", "demo", "approved"),
        ("启明家教", "demo", "approved"),
        ("安心开锁", "demo", "approved"),
        ("麦香面包房", "demo", "approved"),
        ("绿野有机蔬菜", "demo", "approved"),
        ("快洁洗衣", "demo", "suspended"),
        ("安家搬家", "demo", "pending"),
    }
    suspended = MerchantApplication.objects.get(status="suspended")
    assert suspended.reason and suspended.decided_by is not None
    # The decisions went through the vetting services: audited in the company, the merchant told.
    from backend.audit.models import AuditEntry
    from marketplace.models import MerchantNotice

    with schema_context(shifan.schema_name):
        actions = list(
            AuditEntry.objects.filter(action__startswith="marketplace.application_").values_list("action", flat=True)
        )
    assert actions.count("marketplace.application_approve") == 7
    assert actions.count("marketplace.application_suspend") == 1
    assert MerchantNotice.objects.filter(merchant=suspended.merchant, kind__contains="suspend").exists()
    with schema_context(shifan.schema_name):
        shifan_estates = set(Estate.objects.values_list("id", flat=True))
    with schema_context(lvcheng.schema_name):
        lvcheng_estates = set(Estate.objects.values_list("id", flat=True))
    for application in MerchantApplication.objects.select_related("tenant"):
        estates = shifan_estates if application.tenant.slug == "demo" else lvcheng_estates
        assert set(application.estate_ids) == estates
        if application.status == "pending":
            assert application.approved_estate_ids == []
        else:
            assert set(application.approved_estate_ids) == estates

    # Every listing has one picture, a real image stored under merchants/, and they differ.
    photos = list(ListingPhoto.objects.all())
    assert len(photos) == Listing.objects.count()
    sizes = set()
    for photo in photos[:20]:
        with photo.image.open("rb") as f, Image.open(f) as image:
            assert image.width == image.height
            sizes.add(photo.image.size)
    assert len(sizes) > 1
    assert all("merchants/" in p.image.name for p in photos)
    # Services have slots and durations; goods have none; specials stay within the monthly limit.
    assert ServiceSlot.objects.exists()
    assert not Listing.objects.filter(kind="good", duration_minutes__isnull=False).exists()
    assert Special.objects.count() <= 10 * len(MERCHANTS)
    owner = Merchant.objects.get(name="鲜果坊").members.get().user
    assert owner.check_password(DEMO_PASSWORD)

    # The index is built: 示范物业's residents of 阳光花园 find 鲜果坊's apples, 绿城物业's too, and only
    # 绿城物业's find nothing of 好帮手家政 (approved by 示范物业 alone).
    from marketplace.search.selectors import search_for_resident

    with schema_context(shifan.schema_name):
        shifan_ids = list(Estate.objects.values_list("id", flat=True))
    assert search_for_resident(shifan, shifan_ids, text="苹果").total >= 1
    assert search_for_resident(shifan, shifan_ids, text="家政").total >= 1
    assert search_for_resident(lvcheng, list(lvcheng_estates), text="家政").total == 0
    assert search_for_resident(lvcheng, list(lvcheng_estates), text="苹果").total >= 1
    assert search_for_resident(shifan, shifan_ids, text="洗衣").total == 0  # 快洁洗衣 is suspended there

    # seeding the marketplace again (once, in conftest.py) added nothing
    assert demo_world.unchanged(Merchant, Listing, MerchantApplication)
