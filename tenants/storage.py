"""Uploaded files live under the company's schema name, and are served only through views that check who
asks (never as public media): a file of company A is neither stored beside nor reachable from company B."""

from __future__ import annotations

import os
import uuid
from typing import Any

from django.utils import timezone

from .db import connection


def company_file_path(kind: str, filename: str) -> str:
    # `filename` is the name backend.uploads gives an accepted file, so the extension is the detected format's.
    ext = os.path.splitext(filename)[1].lower()[:10]
    return f"{connection.schema_name}/{kind}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{ext}"


def binding_document_path(instance: Any, filename: str) -> str:
    return company_file_path("binding", filename)


def announcement_image_path(instance: Any, filename: str) -> str:
    return company_file_path("announcements", filename)


def import_file_path(instance: Any, filename: str) -> str:
    return company_file_path("imports", filename)
