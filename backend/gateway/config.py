"""Which Stripe account a company uses: the platform's (env vars) unless it has its own keys."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from django.conf import settings

from .models import StripeAccount

STRIPE_API = "https://api.stripe.com"
STRIPE_JS = "https://js.stripe.com/v3/"


@dataclass(frozen=True)
class StripeConfig:
    secret_key: str
    publishable_key: str
    webhook_secret: str
    api_base: str
    js_url: str
    own_account: bool = False

    @property
    def configured(self) -> bool:
        return bool(self.secret_key and self.publishable_key)

    @property
    def csp_sources(self) -> dict[str, list[str]]:
        """What a page that loads this Stripe.js must allow: the script, Stripe's frames (card Element, 3-D
        Secure) and the API it calls from the browser (localstripe: one origin serving all three)."""
        js, api = _origin(self.js_url), _origin(self.api_base)
        sources = {"script-src": [js], "frame-src": [js], "connect-src": [api]}
        if js == _origin(STRIPE_JS):
            # Stripe.js loads parts of itself from its subdomains and runs 3-D Secure via hooks.stripe.com.
            sources["script-src"].append("https://*.js.stripe.com")
            sources["frame-src"] += ["https://*.js.stripe.com", "https://hooks.stripe.com"]
        return sources

    @property
    def is_local(self) -> bool:
        """A local test gateway (localstripe), not Stripe: the payment page says so."""
        return urlparse(self.api_base).hostname not in ("api.stripe.com", None)


def _origin(url: str) -> str:
    parts = urlparse(url)
    return f"{parts.scheme}://{parts.netloc}"


def _stripe_js(api_base: str) -> str:
    """Stripe.js from js.stripe.com for Stripe; localstripe serves its own beside its API."""
    return STRIPE_JS if api_base == STRIPE_API else f"{api_base}/js.stripe.com/v3/"


def platform_config() -> StripeConfig:
    api_base = (settings.STRIPE_API_BASE or STRIPE_API).rstrip("/")
    js_url = settings.STRIPE_JS_URL or _stripe_js(api_base)
    return StripeConfig(
        secret_key=settings.STRIPE_SECRET_KEY,
        publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
        webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
        api_base=api_base,
        js_url=js_url,
    )


def stripe_config(tenant_id: int | None) -> StripeConfig:
    """The company's Stripe settings: its own account's fields where set, the platform's otherwise."""
    base = platform_config()
    if tenant_id is None:
        return base
    own = StripeAccount.objects.filter(tenant_id=tenant_id).first()
    if own is None or not own.secret_key:
        return base
    api_base = (own.api_base or base.api_base).rstrip("/")
    return StripeConfig(
        secret_key=own.secret_key,
        publishable_key=own.publishable_key or base.publishable_key,
        webhook_secret=own.webhook_secret or base.webhook_secret,
        api_base=api_base,
        js_url=_stripe_js(api_base),
        own_account=True,
    )


def webhook_secrets() -> list[str]:
    """Every secret a webhook may be signed with: the platform's, then companies' own accounts'."""
    secrets = [settings.STRIPE_WEBHOOK_SECRET] if settings.STRIPE_WEBHOOK_SECRET else []
    secrets += [
        s for s in StripeAccount.objects.exclude(webhook_secret="").values_list("webhook_secret", flat=True).distinct()
    ]
    return list(dict.fromkeys(secrets))
