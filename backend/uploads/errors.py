"""Why a file was refused. Form and serializer fields turn it into an error on the field it came in."""

from __future__ import annotations


class UploadRejected(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
