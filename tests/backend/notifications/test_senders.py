"""E-mail and SMS copies: sent by a task, retried on provider errors, marked failed (and admins told) after
the last attempt, never sent twice. The Aliyun adapter is tested against a local HTTP server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.db import connection

from backend.notifications.models import Delivery, Notification, NotificationPreference
from backend.notifications.recipients import Recipients
from backend.notifications.services import notify
from backend.notifications.tasks import delivery_send

SECRET = "test-secret"


class FakeAliyun(BaseHTTPRequestHandler):
    """Records each request; answers with the next planned response (the last one repeats)."""

    requests: list[dict[str, str]] = []
    plan: list[tuple[int, dict]] = []

    def do_GET(self):  # noqa: N802
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(self.path).query, keep_blank_values=True))
        FakeAliyun.requests.append(query)
        status, body = FakeAliyun.plan.pop(0) if len(FakeAliyun.plan) > 1 else FakeAliyun.plan[0]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def aliyun(settings):
    server = HTTPServer(("127.0.0.1", 0), FakeAliyun)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeAliyun.requests = []
    settings.SMS_BACKEND = "backend.notifications.sms.AliyunSmsBackend"
    settings.ALIYUN_SMS_ENDPOINT = f"http://127.0.0.1:{server.server_port}"
    settings.ALIYUN_SMS_ACCESS_KEY_ID = "test-key"
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = SECRET
    settings.ALIYUN_SMS_SIGN_NAME = "示范物业"
    settings.ALIYUN_SMS_TEMPLATE_CODE = "SMS_123"
    settings.DELIVERY_MAX_ATTEMPTS = 3
    yield FakeAliyun
    server.shutdown()


OK = (200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "x"})
THROTTLED = (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控"})
DOWN = (503, {"Message": "unavailable"})


def verify_signature(query: dict[str, str]) -> bool:
    params = {k: v for k, v in query.items() if k != "Signature"}

    def pct(value: str) -> str:
        return urllib.parse.quote(value, safe="~")

    canonical = "&".join(f"{pct(k)}={pct(v)}" for k, v in sorted(params.items()))
    to_sign = f"GET&%2F&{pct(canonical)}"
    expected = base64.b64encode(hmac.new(f"{SECRET}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()
    return hmac.compare_digest(expected, query["Signature"])


@pytest.fixture
def sms_notification(tenant_a, member):
    user = member(tenant_a, ["resident"], phone="13912340000")
    connection.set_tenant(tenant_a)
    NotificationPreference.objects.create(user=user, kind="announcement", sms=True)
    notify(recipients=Recipients(user_ids=(user.pk,)), kind="announcement", title="停水通知", url="/announcements/1/")
    return Delivery.objects.get(notification__recipient=user, channel="sms")


def test_aliyun_sms_is_a_signed_sendsms_request(aliyun, sms_notification):
    aliyun.plan = [OK]
    assert delivery_send.apply((sms_notification.pk,)).get() == "sent"
    [query] = aliyun.requests
    assert query["Action"] == "SendSms" and query["PhoneNumbers"] == "13912340000"
    assert query["SignName"] == "示范物业" and query["TemplateCode"] == "SMS_123"
    assert json.loads(query["TemplateParam"]) == {"title": "停水通知", "url": "/announcements/1/"}
    assert query["AccessKeyId"] == "test-key" and query["SignatureMethod"] == "HMAC-SHA1"
    assert verify_signature(query)
    sms_notification.refresh_from_db()
    assert (sms_notification.status, sms_notification.attempts) == ("sent", 1)


def test_provider_errors_are_retried_until_it_works(aliyun, sms_notification):
    aliyun.plan = [DOWN, THROTTLED, OK]
    assert delivery_send.apply((sms_notification.pk,)).get() == "sent"
    sms_notification.refresh_from_db()
    assert (sms_notification.status, sms_notification.attempts) == ("sent", 3)
    assert len(aliyun.requests) == 3


def test_after_the_last_attempt_it_is_failed_and_company_admins_are_told(aliyun, sms_notification, member, tenant_a):
    admin = member(tenant_a, ["company_admin"])
    connection.set_tenant(tenant_a)
    aliyun.plan = [THROTTLED]
    assert delivery_send.apply((sms_notification.pk,)).get() == "failed"
    sms_notification.refresh_from_db()
    assert (sms_notification.status, sms_notification.attempts) == ("failed", 3)
    assert "isv.BUSINESS_LIMIT_CONTROL" in sms_notification.last_error
    alert = Notification.objects.get(recipient=admin, kind="delivery.failed")
    assert "139****0000" in alert.title


def test_a_sent_delivery_is_never_sent_again(aliyun, sms_notification):
    aliyun.plan = [OK]
    delivery_send.apply((sms_notification.pk,)).get()
    assert delivery_send.apply((sms_notification.pk,)).get() == "sent"  # a redelivered task
    assert len(aliyun.requests) == 1


def test_email_copies_go_through_djangos_mail_backend(tenant_a, member, mailoutbox):
    user = member(tenant_a, ["resident"], email="mail-me@example.test")
    connection.set_tenant(tenant_a)
    NotificationPreference.objects.create(user=user, kind="announcement", email=True)
    notify(recipients=Recipients(user_ids=(user.pk,)), kind="announcement", title="电梯检修", body="明天 9 点")
    delivery = Delivery.objects.get(notification__recipient=user, channel="email")
    assert delivery_send.apply((delivery.pk,)).get() == "sent"
    assert mailoutbox[-1].subject == "电梯检修" and "明天 9 点" in mailoutbox[-1].body


def test_staff_see_failed_deliveries(aliyun, sms_notification, member, client_for, tenant_a):
    aliyun.plan = [DOWN]
    delivery_send.apply((sms_notification.pk,)).get()
    page = client_for(tenant_a, member(tenant_a, ["company_admin"])).get("/staff/deliveries/?status=failed")
    assert "停水通知" in page.content.decode() and "139****0000" in page.content.decode()
    assert client_for(tenant_a, member(tenant_a, ["finance"])).get("/staff/deliveries/").status_code == 403
