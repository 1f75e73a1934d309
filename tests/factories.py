from __future__ import annotations

import uuid

import factory

from backend.accounts.models import Membership, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"测试用户{n}")
    email = factory.LazyFunction(lambda: f"user-{uuid.uuid4().hex[:12]}@example.test")
    phone = None
    password = factory.PostGenerationMethodCall("set_password", "Test-pass-2026!")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    roles = factory.LazyFunction(lambda: ["company_admin"])
