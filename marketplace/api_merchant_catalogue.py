"""The merchant API, catalogue side: listings (goods and services), variants, photos, slots and specials. Every
object is looked up among the caller's merchant's own (another merchant's id is a 404); each write is one
service call (catalogue.py, catalogue_slots.py)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from backend.api.openapi import error_response
from backend.api.params import validated
from backend.uploads.fields import UploadSerializerField
from backend.uploads.kinds import PRODUCT_PHOTO
from backend.uploads.serving import upload_response

from . import catalogue, catalogue_slots
from . import merchant_permissions as mperms
from . import selectors_merchant as reads
from .api_merchant_base import ERRORS, MerchantApi, found
from .models import Listing, ListingKind, ListingPhoto, ListingVariant, ServiceSlot, Special


class MerchantVariantOut(serializers.ModelSerializer):
    class Meta:
        model = ListingVariant
        fields = ["id", "name", "price_fen", "stock", "position", "is_active"]


class MerchantPhotoOut(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ListingPhoto
        fields = ["id", "position", "url"]

    def get_url(self, photo: ListingPhoto) -> str:
        return f"/api/v1/merchant/photos/{photo.pk}/image/"


class MerchantListingOut(serializers.ModelSerializer):
    category_code = serializers.CharField(source="category.code")
    variants = MerchantVariantOut(many=True, read_only=True)
    photos = MerchantPhotoOut(many=True, read_only=True)

    class Meta:
        model = Listing
        fields = [
            "id",
            "kind",
            "category_code",
            "title",
            "description",
            "price_fen",
            "unit",
            "per_order_limit",
            "stock",
            "duration_minutes",
            "service_area",
            "is_active",
            "views",
            "sales",
            "variants",
            "photos",
            "created_at",
            "updated_at",
        ]


class MerchantListingIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ListingKind.choices)
    category_code = serializers.CharField(max_length=40, allow_blank=True)
    title = serializers.CharField(max_length=200, allow_blank=True)
    description = serializers.CharField(max_length=5000, allow_blank=True, required=False, default="")
    price_fen = serializers.IntegerField(help_text="price in fen (¥12.80 is 1280)")
    unit = serializers.CharField(max_length=20, allow_blank=True, required=False, default="")
    per_order_limit = serializers.IntegerField(required=False, allow_null=True, default=None)
    stock = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="goods: the count left; null for unlimited"
    )
    duration_minutes = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="services")
    service_area = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
    is_active = serializers.BooleanField(required=False, default=True)


class MerchantListingUpdateIn(MerchantListingIn):
    kind = None  # type: ignore[assignment]
    is_active = None  # type: ignore[assignment]


def _listing_detail(merchant: Any, pk: int) -> Listing:
    return found(
        Listing.objects.filter(merchant=merchant, pk=pk)
        .select_related("category")
        .prefetch_related("variants", "photos")
        .first()
    )


class ListingListApi(MerchantApi):
    merchant_permission = mperms.CATALOGUE_WRITE

    @extend_schema(responses={200: MerchantListingOut(many=True)})
    def get(self, request: Request) -> Response:
        qs = reads.listing_list(merchant=self.merchant(request)).prefetch_related("variants", "photos")
        return self.page(request, qs, MerchantListingOut)

    @extend_schema(request=MerchantListingIn, responses={201: MerchantListingOut, **ERRORS})
    def post(self, request: Request) -> Response:
        listing = catalogue.listing_create(member=self.member(request), **validated(MerchantListingIn, request))
        return Response(MerchantListingOut(_listing_detail(self.merchant(request), listing.pk)).data, status=201)


class ListingDetailApi(MerchantApi):
    merchant_permission = mperms.CATALOGUE_WRITE

    @extend_schema(responses={200: MerchantListingOut})
    def get(self, request: Request, pk: int) -> Response:
        return Response(MerchantListingOut(_listing_detail(self.merchant(request), pk)).data)

    @extend_schema(request=MerchantListingUpdateIn, responses={200: MerchantListingOut, **ERRORS})
    def put(self, request: Request, pk: int) -> Response:
        member = self.member(request)
        found(reads.listing_get(merchant=member.merchant, listing_id=pk))
        catalogue.listing_update(member=member, listing_id=pk, **validated(MerchantListingUpdateIn, request))
        return Response(MerchantListingOut(_listing_detail(member.merchant, pk)).data)


class MerchantActiveIn(serializers.Serializer):
    is_active = serializers.BooleanField()


class ListingActiveApi(MerchantApi):
    """Put on sale (上架) or take off sale (下架)."""

    merchant_permission = mperms.CATALOGUE_WRITE

    @extend_schema(request=MerchantActiveIn, responses={200: MerchantListingOut, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        active = validated(MerchantActiveIn, request)["is_active"]
        catalogue.listing_set_active(member=self.member(request), listing_id=pk, active=active)
        return Response(MerchantListingOut(_listing_detail(self.merchant(request), pk)).data)


class MerchantVariantIn(serializers.Serializer):
    name = serializers.CharField(max_length=80, allow_blank=True)
    price_fen = serializers.IntegerField()
    stock = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="null: unlimited")
    is_active = serializers.BooleanField(required=False, default=True)


class VariantListApi(MerchantApi):
    merchant_permission = mperms.CATALOGUE_WRITE

    @extend_schema(request=MerchantVariantIn, responses={201: MerchantVariantOut, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = validated(MerchantVariantIn, request)
        data.pop("is_active")
        variant = catalogue.variant_add(member=self.member(request), listing_id=pk, **data)
        return Response(MerchantVariantOut(variant).data, status=201)


class VariantDetailApi(MerchantApi):
    merchant_permission = mperms.CATALOGUE_WRITE

    @extend_schema(request=MerchantVariantIn, responses={200: MerchantVariantOut, **ERRORS})
    def put(self, request: Request, pk: int) -> Response:
        variant = catalogue.variant_update(
            member=self.member(request), variant_id=pk, **validated(MerchantVariantIn, request)
        )
        return Response(MerchantVariantOut(variant).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        catalogue.variant_remove(member=self.member(request), variant_id=pk)
        return Response(status=204)


class MerchantPhotoIn(serializers.Serializer):
    photo = UploadSerializerField(kind=PRODUCT_PHOTO)


class PhotoListApi(MerchantApi):
    merchant_permission = mperms.CATALOGUE_WRITE
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": MerchantPhotoIn}, responses={201: MerchantPhotoOut, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        photo = catalogue.photo_add(
            member=self.member(request), listing_id=pk, photo=validated(MerchantPhotoIn, request)["photo"]
        )
        return Response(MerchantPhotoOut(photo).data, status=201)


class MerchantPhotoOrderIn(serializers.Serializer):
    photo_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)


class PhotoOrderApi(MerchantApi):
    merchant_permission = mperms.CATALOGUE_WRITE

    @extend_schema(request=MerchantPhotoOrderIn, responses={200: MerchantPhotoOut(many=True), **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        ids = validated(MerchantPhotoOrderIn, request)["photo_ids"]
        photos = catalogue.photo_reorder(member=self.member(request), listing_id=pk, photo_ids=ids)
        return Response(MerchantPhotoOut(photos, many=True).data)


class PhotoDetailApi(MerchantApi):
    merchant_permission = mperms.CATALOGUE_WRITE

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        catalogue.photo_remove(member=self.member(request), photo_id=pk)
        return Response(status=204)


class PhotoImageApi(MerchantApi):
    merchant_permission = mperms.CATALOGUE_WRITE

    @extend_schema(responses={(200, "image/*"): bytes})
    def get(self, request: Request, pk: int) -> Any:
        photo = found(reads.photo_get(merchant=self.merchant(request), photo_id=pk))
        return upload_response(photo.image, kind=PRODUCT_PHOTO, download_name=f"photo-{photo.pk}")


class MerchantSlotOut(serializers.ModelSerializer):
    free = serializers.IntegerField(read_only=True)

    class Meta:
        model = ServiceSlot
        fields = ["id", "starts_at", "ends_at", "capacity", "booked", "free", "is_active"]


class MerchantSlotSeriesIn(serializers.Serializer):
    first_date = serializers.DateField()
    last_date = serializers.DateField()
    weekdays = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6), help_text="0 = Monday")
    start_times = serializers.ListField(child=serializers.TimeField(), help_text="China time, e.g. 09:00")
    capacity = serializers.IntegerField()


class SlotListApi(MerchantApi):
    merchant_permission = mperms.CATALOGUE_WRITE

    @extend_schema(responses={200: MerchantSlotOut(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        merchant = self.merchant(request)
        listing = found(reads.listing_get(merchant=merchant, listing_id=pk))
        return self.page(request, reads.slot_list(merchant=merchant, listing=listing), MerchantSlotOut)

    @extend_schema(request=MerchantSlotSeriesIn, responses={201: MerchantSlotOut(many=True), **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        """Create a series of slots: these weekdays at these times, from the first to the last day."""
        slots = catalogue_slots.slot_series_create(
            member=self.member(request), listing_id=pk, **validated(MerchantSlotSeriesIn, request)
        )
        return Response(MerchantSlotOut(slots, many=True).data, status=201)


class MerchantSlotIn(serializers.Serializer):
    capacity = serializers.IntegerField(required=False)
    is_active = serializers.BooleanField(required=False)


class SlotDetailApi(MerchantApi):
    merchant_permission = mperms.CATALOGUE_WRITE

    @extend_schema(request=MerchantSlotIn, responses={200: MerchantSlotOut, **ERRORS})
    def patch(self, request: Request, pk: int) -> Response:
        """Change a slot's places (never below what is booked: 400 on `capacity`) or close/open it."""
        member = self.member(request)
        data = validated(MerchantSlotIn, request)
        slot = found(reads.slot_get(merchant=member.merchant, slot_id=pk))
        if "capacity" in data:
            slot = catalogue_slots.slot_capacity_set(member=member, slot_id=pk, capacity=data["capacity"])
        if "is_active" in data:
            slot = catalogue_slots.slot_set_active(member=member, slot_id=pk, active=data["is_active"])
        return Response(MerchantSlotOut(slot).data)


class MerchantSpecialOut(serializers.ModelSerializer):
    listing_title = serializers.CharField(source="listing.title")
    listing_price_fen = serializers.IntegerField(source="listing.price_fen")

    class Meta:
        model = Special
        fields = ["id", "listing", "listing_title", "listing_price_fen", "month", "price_fen", "created_at"]


class MerchantSpecialIn(serializers.Serializer):
    listing_id = serializers.IntegerField()
    month = serializers.DateField(help_text="any day of the month; stored as its first day")
    price_fen = serializers.IntegerField()


class SpecialListApi(MerchantApi):
    merchant_permission = mperms.CATALOGUE_WRITE

    @extend_schema(responses={200: MerchantSpecialOut(many=True)})
    def get(self, request: Request) -> Response:
        return self.page(request, reads.special_list(merchant=self.merchant(request)), MerchantSpecialOut)

    @extend_schema(
        request=MerchantSpecialIn,
        responses={201: MerchantSpecialOut, **ERRORS, 409: error_response(409, "This month's specials are used up")},
    )
    def post(self, request: Request) -> Response:
        special = catalogue_slots.special_create(member=self.member(request), **validated(MerchantSpecialIn, request))
        return Response(MerchantSpecialOut(special).data, status=201)


class SpecialDetailApi(MerchantApi):
    merchant_permission = mperms.CATALOGUE_WRITE

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        catalogue_slots.special_remove(member=self.member(request), special_id=pk)
        return Response(status=204)
