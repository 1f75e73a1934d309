"""Keeping storage in step with the database. Saving a row writes its files before the INSERT; when the
INSERT (or anything later in the same block) fails, the transaction forgets the row but the files would stay
on disk, unreferenced. Paths themselves are tenants/storage.py's: under the company's schema folder."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import models


@contextmanager
def files_removed_on_error(instance: models.Model) -> Iterator[None]:
    """Delete the files `instance` writes inside the block if the block raises (then re-raise)."""
    fields = [f for f in instance._meta.get_fields() if isinstance(f, models.FileField)]
    before = {f.attname: getattr(instance, f.attname).name if instance.pk else None for f in fields}
    try:
        yield
    except BaseException:
        for field in fields:
            file = getattr(instance, field.attname)
            if file and file._committed and file.name != before[field.attname]:
                file.storage.delete(file.name)
        raise
