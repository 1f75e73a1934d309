"""Every use the platform accepts files for, with what each may be and how large.

A module that takes a file names its kind here and gets the checks, the re-encoding and the safe serving
of backend.uploads; it never looks at a file's name or declared type itself. Limits come from settings (read
when a file arrives, so a deployment can change them): UPLOAD_MAX_BYTES for photos and documents,
UPLOAD_IMPORT_MAX_BYTES / UPLOAD_READINGS_IMPORT_MAX_BYTES for spreadsheets, and the longest side an image
is stored at, UPLOAD_IMAGE_MAX_SIDE (photos) or UPLOAD_DOCUMENT_MAX_SIDE (documents that must stay legible).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from .formats import CSV, JPEG, PDF, PNG, WEBP, XLSX, FileFormat

IMAGES = (JPEG, PNG, WEBP)


@dataclass(frozen=True)
class UploadKind:
    name: str
    formats: tuple[FileFormat, ...]
    max_bytes_setting: str = "UPLOAD_MAX_BYTES"
    max_side_setting: str = "UPLOAD_IMAGE_MAX_SIDE"

    @property
    def max_bytes(self) -> int:
        return int(getattr(settings, self.max_bytes_setting))

    @property
    def max_side(self) -> int:
        """Images are scaled down to fit a square of this many pixels."""
        return int(getattr(settings, self.max_side_setting))

    @property
    def formats_label(self) -> str:
        return ", ".join(f.label for f in self.formats)


# Uses today.
BINDING_DOCUMENT = UploadKind("binding_document", (*IMAGES, PDF), max_side_setting="UPLOAD_DOCUMENT_MAX_SIDE")
ANNOUNCEMENT_IMAGE = UploadKind("announcement_image", IMAGES)
REGISTRY_IMPORT = UploadKind("registry_import", (XLSX,), max_bytes_setting="UPLOAD_IMPORT_MAX_BYTES")
READINGS_IMPORT = UploadKind("readings_import", (XLSX,), max_bytes_setting="UPLOAD_READINGS_IMPORT_MAX_BYTES")
# 银行托收: the bank's result file, as the bank sends it (CSV) or as finance saved it from Excel.
BANK_COLLECTION_RESULT = UploadKind(
    "bank_collection_result", (CSV, XLSX), max_bytes_setting="UPLOAD_READINGS_IMPORT_MAX_BYTES"
)

# Uses of the modules to come (club facilities, marketplace, service desk): they only name these.
FACILITY_PHOTO = UploadKind("facility_photo", IMAGES)
# 营业执照: a photo or a scan.
MERCHANT_LICENCE = UploadKind("merchant_licence", (*IMAGES, PDF), max_side_setting="UPLOAD_DOCUMENT_MAX_SIDE")
PRODUCT_PHOTO = UploadKind("product_photo", IMAGES)
REPAIR_PHOTO = UploadKind("repair_photo", IMAGES)  # before and after a repair
SHOP_AFTERSALE_PHOTO = UploadKind("shop_aftersale_photo", IMAGES)  # shop refund requests, reviews, complaints
# The signature drawn on the phone when a parcel is picked up (the canvas gives a PNG; re-encoded like any image).
PARCEL_SIGNATURE = UploadKind("parcel_signature", (PNG,), max_side_setting="UPLOAD_DOCUMENT_MAX_SIDE")
# 装修: the plans and agreements of an application (a drawing must stay legible), and inspection photos.
RENOVATION_DOCUMENT = UploadKind("renovation_document", (*IMAGES, PDF), max_side_setting="UPLOAD_DOCUMENT_MAX_SIDE")
RENOVATION_PHOTO = UploadKind("renovation_photo", IMAGES)

KINDS = {
    k.name: k
    for k in (
        BINDING_DOCUMENT,
        ANNOUNCEMENT_IMAGE,
        REGISTRY_IMPORT,
        READINGS_IMPORT,
        BANK_COLLECTION_RESULT,
        FACILITY_PHOTO,
        MERCHANT_LICENCE,
        PRODUCT_PHOTO,
        REPAIR_PHOTO,
        SHOP_AFTERSALE_PHOTO,
        PARCEL_SIGNATURE,
        RENOVATION_DOCUMENT,
        RENOVATION_PHOTO,
    )
}
