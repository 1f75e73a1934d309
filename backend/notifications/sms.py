"""SMS senders behind one small interface. SMS_BACKEND picks one:

- `backend.notifications.sms.LoggingSmsBackend` (default): writes the message to the log; for development.
- `backend.notifications.sms.AliyunSmsBackend`: Aliyun SMS (阿里云短信) SendSms over its HTTP API with the
  HMAC-SHA1 request signature, configured by ALIYUN_SMS_* settings. Messages are sent through one template
  whose ${title} and ${url} the company registers with Aliyun.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The provider refused or could not be reached; the message may be retried."""


class SmsBackend(Protocol):
    def send(self, *, phone: str, title: str, url: str) -> str:
        """Send one message; returns the provider's message id. Raises SmsError."""
        ...


class LoggingSmsBackend:
    def send(self, *, phone: str, title: str, url: str) -> str:
        logger.info("SMS to %s****%s: %s %s", phone[:3], phone[-4:], title, url)
        return f"log-{uuid.uuid4().hex[:12]}"


def _percent(value: str) -> str:
    return urllib.parse.quote(value, safe="~")


class AliyunSmsBackend:
    def __init__(self) -> None:
        self.endpoint = settings.ALIYUN_SMS_ENDPOINT
        self.key_id = settings.ALIYUN_SMS_ACCESS_KEY_ID
        self.secret = settings.ALIYUN_SMS_ACCESS_KEY_SECRET
        self.sign_name = settings.ALIYUN_SMS_SIGN_NAME
        self.template = settings.ALIYUN_SMS_TEMPLATE_CODE
        if not (self.key_id and self.secret and self.sign_name and self.template):
            raise SmsError("ALIYUN_SMS_ACCESS_KEY_ID, _SECRET, _SIGN_NAME and _TEMPLATE_CODE must all be set")

    def signed_query(self, params: dict[str, str]) -> str:
        canonical = "&".join(f"{_percent(k)}={_percent(v)}" for k, v in sorted(params.items()))
        to_sign = f"GET&{_percent('/')}&{_percent(canonical)}"
        digest = hmac.new(f"{self.secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
        return f"Signature={_percent(base64.b64encode(digest).decode())}&{canonical}"

    def send(self, *, phone: str, title: str, url: str) -> str:
        params = {
            "AccessKeyId": self.key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "RegionId": "cn-hangzhou",
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": self.template,
            "TemplateParam": json.dumps({"title": title[:30], "url": url}, ensure_ascii=False),
            "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        if not self.endpoint.startswith(("https://", "http://")):
            raise SmsError("ALIYUN_SMS_ENDPOINT must be an http(s) URL")
        request = urllib.request.Request(f"{self.endpoint.rstrip('/')}/?{self.signed_query(params)}")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - configured https endpoint
                body = json.loads(response.read().decode())
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise SmsError(f"Aliyun SMS unreachable: {exc}") from exc
        if body.get("Code") != "OK":
            raise SmsError(f"Aliyun SMS refused: {body.get('Code')} {body.get('Message')}")
        return str(body.get("BizId", ""))


def sms_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    return backend
