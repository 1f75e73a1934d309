"""`make demo` seeds what the README promises: 示范物业 with a login per role and its registry."""

from __future__ import annotations

from django_tenants.utils import schema_context

from backend.accounts.models import Membership
from backend.demo.companies import DEMO_PASSWORD, DEMO_PEOPLE
from tests.backend.demo.conftest import DemoWorld


def test_demo_company_has_a_login_per_role_and_a_realistic_registry(demo_world: DemoWorld, db: None) -> None:
    # The year of billing is seeded and checked by test_billing.py (it is the slow part; once is enough).
    tenant = demo_world.shifan  # demo_seed(billing=False), once for the package (conftest.py)
    assert tenant.name == "示范物业" and tenant.domains.get().domain == "demo.localhost"
    for person in DEMO_PEOPLE:
        membership = Membership.objects.get(tenant=tenant, user__email=person.email)
        assert membership.roles == [person.role]
        assert membership.user.check_password(DEMO_PASSWORD)
    with schema_context(tenant.schema_name):
        from backend.properties.models import Estate, Occupancy, ParkingSpace, Person, Unit
        from backend.properties.selectors import resident_units

        assert sorted(Estate.objects.values_list("name", flat=True)) == ["翠湖苑", "阳光花园"]
        assert Unit.objects.count() == 1500
        assert 1150 <= Person.objects.count() <= 1250
        assert Occupancy.objects.filter(end_date__isnull=True).count() >= 1200
        assert ParkingSpace.objects.count() == 80
        # the demo resident (the shop's other shoppers are logins without a password)
        resident = Membership.objects.get(tenant=tenant, user__email="resident@demo.test").user
        assert [u.label for u in resident_units(user_id=resident.pk)] == ["阳光花园 1栋 1201"]
        assert all(len(p.id_number) == 18 for p in Person.objects.exclude(id_number="")[:50])
    # running demo_seed(billing=False) again (once, in conftest.py) added nothing: no unit, nor a row anywhere
    from backend.properties.models import Unit

    assert demo_world.after[(tenant.schema_name, Unit._meta.label)] == 1500
    assert demo_world.after == demo_world.before
