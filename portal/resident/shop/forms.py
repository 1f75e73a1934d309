"""The shop search's query string, checked: a bad value is an error on its field, and the rest still works."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.search.documents import PRICE_RANGES, SORTS

SORT_LABELS = {
    "relevance": _("Best match"),
    "new": _("Newest"),
    "price": _("Price: low to high"),
    "-price": _("Price: high to low"),
    "sales": _("Best selling"),
    "rating": _("Top rated"),
}
RATINGS = ("4", "3", "2", "1")


class ShopSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=50)
    category = forms.SlugField(required=False, max_length=40)
    merchant = forms.IntegerField(required=False, min_value=1)
    price = forms.TypedChoiceField(
        required=False, coerce=int, choices=[(str(i), str(i)) for i in range(len(PRICE_RANGES))], empty_value=None
    )
    rating = forms.ChoiceField(required=False, choices=[(r, r) for r in RATINGS])
    in_stock = forms.ChoiceField(required=False, choices=[("true", "true")])
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=[(s, SORT_LABELS[s]) for s in SORTS])
    page = forms.IntegerField(required=False, min_value=1, max_value=50)

    def query(self) -> dict[str, Any]:
        """ListingQuery's fields from what was valid (call after is_valid(); invalid fields are left out)."""
        data = getattr(self, "cleaned_data", {})
        out: dict[str, Any] = {"text": (data.get("q") or "").strip()}
        if data.get("category"):
            out["category"] = data["category"]
        if data.get("merchant"):
            out["merchant_id"] = data["merchant"]
        if data.get("price") is not None:
            band = PRICE_RANGES[data["price"]]
            # A band's top is exclusive; the query's maximum is inclusive.
            out["price_min_fen"] = band.low_fen
            out["price_max_fen"] = band.high_fen - 1 if band.high_fen is not None else None
        if data.get("rating"):
            out["min_rating"] = float(data["rating"])
        if data.get("in_stock"):
            out["in_stock"] = True
        out["sort"] = data.get("sort") or ("relevance" if out["text"] else "new")
        return out

    def page_number(self) -> int:
        return getattr(self, "cleaned_data", {}).get("page") or 1
