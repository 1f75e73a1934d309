from django.apps import AppConfig


class CompanyConfig(AppConfig):
    name = "tenants.company"
    label = "company"
    verbose_name = "Company settings (per tenant schema)"
