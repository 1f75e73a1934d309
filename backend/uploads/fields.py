"""A form field (portal) and a serializer field (API) that accept a file for one upload kind. Their cleaned
value is an AcceptedUpload; a refused file is an error on that field (a form error, or a 400 whose "fields"
names it), raised before any service runs, so nothing is stored."""

from __future__ import annotations

from typing import Any

from django import forms
from rest_framework import serializers

from .errors import UploadRejected
from .kinds import UploadKind
from .validation import AcceptedUpload, upload_accept


class UploadFormField(forms.FileField):
    def __init__(self, *, kind: UploadKind, **kwargs: Any) -> None:
        self.kind = kind
        # A hint for the file picker only (the bytes decide): types and extensions, since pickers differ.
        attrs = {"accept": ",".join([*(f.mime for f in kind.formats), *(f.extension for f in kind.formats)])}
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs=attrs))
        super().__init__(**kwargs)

    # The cleaned value is the accepted upload, not the raw file: that is the point of the field.
    def to_python(self, data: Any) -> AcceptedUpload | None:  # type: ignore[override]
        upload = super().to_python(data)
        if upload is None:
            return None
        try:
            return upload_accept(kind=self.kind, upload=upload)
        except UploadRejected as rejected:
            raise forms.ValidationError(rejected.message, code="upload_rejected") from rejected


class UploadSerializerField(serializers.FileField):
    def __init__(self, *, kind: UploadKind, **kwargs: Any) -> None:
        self.kind = kind
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> AcceptedUpload:  # type: ignore[override]
        upload = super().to_internal_value(data)
        try:
            return upload_accept(kind=self.kind, upload=upload)
        except UploadRejected as rejected:
            raise serializers.ValidationError(rejected.message, code="upload_rejected") from rejected
