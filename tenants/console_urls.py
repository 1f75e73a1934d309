from django.urls import path

from . import console

app_name = "console"
urlpatterns = [
    path("", console.console_home, name="home"),
    path("companies/<slug:slug>/", console.console_company, name="company"),
    path("support/<int:pk>/end/", console.console_grant_end, name="grant-end"),
    path("webhooks/", console.console_webhooks, name="webhooks"),
    path("webhooks/<int:pk>/retry/", console.console_webhook_retry, name="webhook-retry"),
    path("merchants/", console.console_merchants, name="merchants"),
]
