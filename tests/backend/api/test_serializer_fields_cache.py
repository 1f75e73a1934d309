"""CachedModelFields: a ModelSerializer's fields are built once per class, each instance gets its own copy
with the same fields as a plain ModelSerializer of the same Meta would build."""

from __future__ import annotations

from rest_framework import serializers

from backend.api.serializer_fields_cache import CachedModelFields
from backend.billing.api_bills import BillLineSerializer
from backend.billing.models import BillLine


class _Plain(serializers.ModelSerializer):
    class Meta:
        model = BillLine
        fields = ["id", "unit", "kind", "amount", "due_date"]


class _Cached(CachedModelFields, _Plain):
    class Meta(_Plain.Meta):
        pass


def _shape(fields: dict) -> list[tuple[str, str, bool, bool]]:
    return [(name, type(f).__name__, f.read_only, f.required) for name, f in fields.items()]


def test_the_fields_are_a_plain_model_serializers_built_once_and_copied_per_instance() -> None:
    first, second = _Cached(), _Cached()
    assert _shape(first.fields) == _shape(_Plain().fields)
    assert _shape(second.fields) == _shape(first.fields)
    assert first.fields["kind"] is not second.fields["kind"]  # each instance binds its own
    assert first.fields["kind"].parent is first and second.fields["kind"].parent is second
    assert "_cached_model_fields" in _Cached.__dict__ and "_cached_model_fields" not in _Plain.__dict__
    second.fields.pop("kind")
    assert "kind" in _Cached().fields  # a change to one instance's fields is that instance's


def test_a_bill_line_serializer_keeps_its_declared_and_model_fields() -> None:
    fields = BillLineSerializer().fields
    assert {"id", "unit", "unit_label", "fee_item_name", "period", "owed", "owed_display"} <= set(fields)
    assert _shape(BillLineSerializer().fields) == _shape(fields)
