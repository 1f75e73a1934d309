from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "backend.privacy"
    label = "privacy"
    verbose_name = "Personal information (个人信息)"
