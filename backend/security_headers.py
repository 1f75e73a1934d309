"""The Content-Security-Policy of every response: SECURE_CSP, plus what one page adds for itself; and the
Permissions-Policy of every document (PERMISSIONS_POLICY: the camera for our own pages only).

Django's SecurityMiddleware sets the other headers (X-Content-Type-Options: nosniff, Referrer-Policy,
Cross-Origin-Opener-Policy, HSTS in production) and XFrameOptionsMiddleware X-Frame-Options; Django 5.2 has
no CSP of its own. A page that loads a third-party script (Stripe.js) or posts a form to another of our
hosts (the platform's sign-up, to the new company) allows those origins on its own response with
`csp_extend`. A response that already carries a policy (uploaded files, which get a stricter one) keeps it.

The policy is for documents. Anything else (JSON, PDF, spreadsheets, scripts, images) cannot run code as
it is served (nosniff keeps browsers from reading it as HTML) and gets only frame-ancestors 'none': a full
policy would break the browser's own viewers, e.g. Chrome shows a PDF through an internal <embed> that
object-src 'none' blocks (crbug.com/271452), and the receipts are printed from there."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

CSP = "Content-Security-Policy"
PERMISSIONS_POLICY = "Permissions-Policy"
# What a browser renders as a document of ours, able to run scripts.
DOCUMENT_TYPES = frozenset({"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml"})
NOT_A_DOCUMENT = "frame-ancestors 'none'"


def csp_extend(request: HttpRequest, sources: Mapping[str, Iterable[str]]) -> None:
    """Allow `sources` (directive -> origins) on the response to this request only."""
    extra: dict[str, list[str]] = request.__dict__.setdefault("csp_extra", {})
    for directive, values in sources.items():
        extra.setdefault(directive, []).extend(values)


def csp_header(extra: Mapping[str, Iterable[str]] | None = None) -> str:
    policy = {directive: list(values) for directive, values in settings.SECURE_CSP.items()}
    for directive, values in (extra or {}).items():
        # A directive the policy leaves out falls back to default-src: extending it starts from there.
        current = policy.get(directive, policy.get("default-src", []))
        policy[directive] = [s for s in dict.fromkeys([*current, *values]) if s != "'none'"]
    return "; ".join(" ".join([directive, *values]) for directive, values in policy.items())


def permissions_policy_header() -> str:
    """PERMISSIONS_POLICY ({"camera": ["self"], "microphone": []}) as 'camera=(self), microphone=()'."""
    return ", ".join(f"{feature}=({' '.join(origins)})" for feature, origins in settings.PERMISSIONS_POLICY.items())


class SecurityHeadersMiddleware:
    """Adds the CSP on the way out. Header-only: it runs before the tenant middleware and needs no database."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        if self.is_async:
            return self._acall(request)
        return self._finish(request, self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        return self._finish(request, await self.get_response(request))

    @staticmethod
    def _finish(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if CSP in response:
            return response
        content_type = response.get("Content-Type", "text/html").split(";")[0].strip().lower()
        if content_type in DOCUMENT_TYPES:
            response[CSP] = csp_header(request.__dict__.get("csp_extra"))
            policy = permissions_policy_header()
            if policy and PERMISSIONS_POLICY not in response:
                response[PERMISSIONS_POLICY] = policy
        else:
            response[CSP] = NOT_A_DOCUMENT
        return response
