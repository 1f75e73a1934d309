"""The resident's community shop over the API, on the company's domain under /api/v1/shop/ (what a phone app
would call): search with facets, one listing, one merchant. Residents only (the shop permission); every read
goes through the same selectors as the pages (marketplace.shop, marketplace.search.selectors), so a listing
or merchant the resident's estates may not see is a 404 here too."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import permissions as perms
from backend.api.permissions import api_user

from .models import Listing, ListingVariant, ServiceSlot
from .search.documents import PRICE_RANGES, SORTS
from .search.selectors import search_for_resident
from .shop import ShopViewer, listing_page, merchant_page, search_hits

ERRORS = {
    400: OpenApiResponse(description="Invalid input: {error: {code, message, fields}}"),
    404: OpenApiResponse(description="Not visible to the caller's estates"),
}
MAX_LIMIT = 50


def _viewer(request: Request) -> ShopViewer:
    return ShopViewer.resident(tenant_id=request.tenant.pk, user_id=api_user(request).pk)  # type: ignore[attr-defined]


class ListingCardSerializer(serializers.ModelSerializer):
    merchant = serializers.IntegerField(source="merchant_id")
    merchant_name = serializers.CharField(source="merchant.name")
    category = serializers.CharField(source="category.code")
    rating = serializers.FloatField(allow_null=True)
    photos = serializers.SerializerMethodField()

    class Meta:
        model = Listing
        fields = [
            "id",
            "kind",
            "title",
            "price_fen",
            "unit",
            "stock",
            "duration_minutes",
            "merchant",
            "merchant_name",
            "category",
            "rating",
            "rating_count",
            "sales",
            "photos",
        ]

    def get_photos(self, listing: Listing) -> list[str]:
        """Photo URLs (served on this domain only where the listing is visible)."""
        photos = getattr(listing, "photo_list", None)
        if photos is None:
            photos = list(listing.photos.all())
        return [f"/shop/photos/{p.pk}/" for p in photos]


class VariantSerializer(serializers.ModelSerializer):
    class Meta:
        model = ListingVariant
        fields = ["id", "name", "price_fen", "stock"]


class SlotSerializer(serializers.ModelSerializer):
    free = serializers.IntegerField()

    class Meta:
        model = ServiceSlot
        fields = ["id", "starts_at", "ends_at", "capacity", "free"]


class ListingFieldsSerializer(ListingCardSerializer):
    class Meta(ListingCardSerializer.Meta):
        fields = [*ListingCardSerializer.Meta.fields, "description", "service_area", "per_order_limit"]


class ListingDetailSerializer(ListingFieldsSerializer):
    """(The schema of the answer: the listing's fields, this month's special price, variants, free slots.)"""

    special_price_fen = serializers.IntegerField(allow_null=True)
    variants = VariantSerializer(many=True)
    slots = SlotSerializer(many=True)

    class Meta(ListingFieldsSerializer.Meta):
        fields = [*ListingFieldsSerializer.Meta.fields, "special_price_fen", "variants", "slots"]


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=50, default="")
    category = serializers.SlugField(required=False, max_length=40)
    merchant = serializers.IntegerField(required=False, min_value=1)
    kind = serializers.ChoiceField(required=False, choices=["good", "service"])
    price = serializers.IntegerField(required=False, min_value=0, max_value=len(PRICE_RANGES) - 1)
    price_min_fen = serializers.IntegerField(required=False, min_value=0)
    price_max_fen = serializers.IntegerField(required=False, min_value=0)
    rating = serializers.IntegerField(required=False, min_value=1, max_value=5)
    in_stock = serializers.BooleanField(required=False, default=None, allow_null=True)
    sort = serializers.ChoiceField(required=False, choices=list(SORTS))
    offset = serializers.IntegerField(required=False, min_value=0, max_value=1000, default=0)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT, default=20)


class SearchResultSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    results = ListingCardSerializer(many=True)
    facets = serializers.DictField(child=serializers.DictField(child=serializers.IntegerField()))


class ShopApi(APIView):
    required_permission = perms.SHOP


class ShopSearchApi(ShopApi):
    """GET /api/v1/shop/listings/: search the listings the caller's estates may see."""

    @extend_schema(
        operation_id="shop_listings_search",
        parameters=[SearchQuerySerializer],
        responses={200: SearchResultSerializer, 400: ERRORS[400]},
        description="Chinese words or a typed prefix (`q`), facets (`category`, `merchant`, `price` band index "
        "into the price facet, `rating` at least, `in_stock`), `sort` and paging by `offset`/`limit`. Facets "
        "count every visible match: category (code), merchant (id), price (band index), rating (at least n "
        "stars), in_stock, kind.",
    )
    def get(self, request: Request) -> Response:
        params = SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        query: dict[str, Any] = {"text": data["q"].strip(), "offset": data["offset"], "limit": data["limit"]}
        for field, target in (("category", "category"), ("merchant", "merchant_id"), ("kind", "kind")):
            if data.get(field):
                query[target] = data[field]
        if data.get("price") is not None:
            band = PRICE_RANGES[data["price"]]
            query["price_min_fen"] = band.low_fen
            query["price_max_fen"] = band.high_fen - 1 if band.high_fen is not None else None
        for field in ("price_min_fen", "price_max_fen"):
            if data.get(field) is not None:
                query[field] = data[field]
        if data.get("rating"):
            query["min_rating"] = float(data["rating"])
        if data.get("in_stock") is not None:
            query["in_stock"] = data["in_stock"]
        query["sort"] = data.get("sort") or ("relevance" if query["text"] else "new")
        viewer = _viewer(request)
        hits = search_hits(viewer, search_for_resident(request.tenant, viewer.estate_ids, **query))  # type: ignore[attr-defined]
        return Response(
            {
                "total": hits.total,
                "results": ListingCardSerializer(hits.listings, many=True).data,
                "facets": hits.facets,
            }
        )


class ShopListingApi(ShopApi):
    """GET /api/v1/shop/listings/{id}/."""

    @extend_schema(operation_id="shop_listing_retrieve", responses={200: ListingDetailSerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        page = listing_page(_viewer(request), pk=pk)
        if page is None:
            raise Http404
        listing: Any = page.listing
        listing.photo_list = page.photos
        return Response(
            {
                **ListingFieldsSerializer(listing).data,
                "special_price_fen": page.special_price_fen,
                "variants": VariantSerializer(page.variants, many=True).data,
                "slots": SlotSerializer(page.slots, many=True).data,
            }
        )


class MerchantCardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    address = serializers.CharField()
    service_area = serializers.CharField()
    contact_phone = serializers.CharField()
    rating = serializers.FloatField(allow_null=True)
    listings = ListingCardSerializer(many=True)


class ShopMerchantApi(ShopApi):
    """GET /api/v1/shop/merchants/{id}/: a merchant the caller's estates may buy from, with its listings."""

    @extend_schema(responses={200: MerchantCardSerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        page = merchant_page(_viewer(request), pk=pk)
        if page is None:
            raise Http404
        m = page.merchant
        return Response(
            {
                "id": m.pk,
                "name": m.name,
                "description": m.description,
                "address": m.address,
                "service_area": m.service_area,
                "contact_phone": m.contact_phone,
                "rating": float(m.rating) if m.rating is not None else None,
                "listings": ListingCardSerializer(page.listings[:MAX_LIMIT], many=True).data,
            }
        )


urlpatterns: list[URLPattern] = [
    path("api/v1/shop/listings/", ShopSearchApi.as_view(), name="api-shop-listings"),
    path("api/v1/shop/listings/<int:pk>/", ShopListingApi.as_view(), name="api-shop-listing"),
    path("api/v1/shop/merchants/<int:pk>/", ShopMerchantApi.as_view(), name="api-shop-merchant"),
]
