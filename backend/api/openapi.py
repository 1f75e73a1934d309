"""The API's OpenAPI schema documents its errors: every operation lists the error answers it can give, each in
the one error shape of backend/api/errors.py, so a client (or schemathesis) can rely on the documentation.

The AutoSchema adds what follows from the view itself, unless the view documents that status itself:

- 400 where there is input to validate: a request body (POST, PUT, PATCH, DELETE) or query parameters;
- 401 and 403 where the view needs a signed-in member (anything but AllowAny);
- 404 where the path or a member's request body names an object by id, and on paged lists (a page past
  the end);
- 429 where the view is throttled (Retry-After says when to try again).

Statuses that depend on the business rule (409 for a state that forbids it, 502 and 503 for the payment
gateway, 403 for a rule of its own) are documented by the view, with `error_response(...)` or a description:
a view that documents an error status with a description only gets the error body added."""

from __future__ import annotations

import copy
from typing import Any

import uritemplate
from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="What went wrong, for programs: validation_error, not_found, …")
    message = serializers.CharField(help_text="What went wrong, for people, in the company's language")

    def get_fields(self) -> dict[str, serializers.Field]:
        # "fields" cannot be declared as a class attribute: it would hide Serializer.fields.
        fields = super().get_fields()
        fields["fields"] = serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text="For invalid input: each field that is wrong, with its messages (may be empty)",
        )
        return fields


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


ERROR_DESCRIPTIONS = {
    400: "Invalid input: error.fields names each field that is wrong",
    401: "Not signed in, or the token is invalid or expired",
    403: "The caller's roles (or this company's rules) do not allow this",
    404: "Not found, or not within what the caller may see (lists: no such page)",
    409: "Not possible in the current state",
    429: "Too many requests: try again later (Retry-After, in seconds, where given)",
    502: "The payment gateway refused the request",
    503: "The payment gateway cannot be reached; nothing was charged or stored",
}
# A time of day as DRF writes and reads it ("22:00:00", "22:00"): JSON Schema's `time` format is RFC 3339's
# full-time, which needs a UTC offset that these times of day (in the company's zone) never carry.
TIME_OF_DAY = {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$", "example": "22:00"}
RETRY_AFTER = {"schema": {"type": "integer"}, "description": "Seconds to wait before trying again"}
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def error_response(status: int, description: str | None = None) -> OpenApiResponse:
    """An error answer in the shared shape, for a view's `@extend_schema(responses={...})`."""
    return OpenApiResponse(ErrorSerializer, description=description or ERROR_DESCRIPTIONS[status])


def _model_allows_blank(field: serializers.ChoiceField) -> bool:
    """A ModelSerializer's choice field on a model field with blank=True. DRF drops `allow_blank` from
    read-only fields, so without this the documented enum would leave out the "" such a field can hold."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    source = field.source or ""
    if model is None or not source or "." in source:
        return False
    try:
        return bool(model._meta.get_field(source).blank)
    except FieldDoesNotExist:  # a property or an annotation: nothing to add
        return False


def _names_objects(serializer: Any) -> bool:
    """Whether a request body refers to objects by id (an integer, or a list of them): those may not exist
    or lie outside what the caller may see, which the services answer with 404."""
    serializer = force_instance(serializer)
    if not isinstance(serializer, serializers.Serializer):
        return False
    fields = serializer.fields
    for field in fields.values():
        if isinstance(field, serializers.ListField):
            field = field.child
        if isinstance(field, (serializers.IntegerField, serializers.PrimaryKeyRelatedField)) and not field.read_only:
            return True
    return False


class AutoSchema(SpectacularAutoSchema):
    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False) -> Any:
        if (
            isinstance(field, serializers.ChoiceField)
            and field.read_only
            and not field.allow_blank
            and _model_allows_blank(field)
        ):
            field = copy.copy(field)
            field.allow_blank = True
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.TimeField) and isinstance(schema, dict) and schema.get("format") == "time":
            schema.pop("format")
            schema.update(TIME_OF_DAY)
        return schema

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for status in sorted(self._implied_error_statuses()):
            responses.setdefault(str(status), {})
        for code, response in list(responses.items()):
            if code < "400" or "content" in response:
                continue
            description = response.get("description") or ERROR_DESCRIPTIONS.get(int(code), "")
            responses[code] = {
                **self._get_response_for_code(error_response(int(code), description), code, direction=direction),
                **({"headers": response["headers"]} if "headers" in response else {}),
            }
        if "429" in responses:
            responses["429"].setdefault("headers", {}).setdefault("Retry-After", RETRY_AFTER)
        return responses

    def _implied_error_statuses(self) -> set[int]:
        statuses: set[int] = set()
        query = [
            p.name
            for p in self.get_override_parameters()
            if isinstance(p, OpenApiParameter) and p.location == OpenApiParameter.QUERY
        ]
        paged_list = "page" in query or (
            self.method == "GET" and self._get_paginator() is not None and self._is_list_view()
        )
        if self.method in BODY_METHODS or query or paged_list:
            statuses.add(400)
        members_only = not all(isinstance(permission, AllowAny) for permission in self.view.get_permissions())
        if members_only:
            statuses |= {401, 403}
        body = self.get_request_serializer() if self.method in ("POST", "PUT", "PATCH") else None
        if uritemplate.variables(self.path) or paged_list or (members_only and _names_objects(body)):
            statuses.add(404)
        if self.view.get_throttles():
            statuses.add(429)
        return statuses
