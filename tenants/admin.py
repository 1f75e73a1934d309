"""The platform operators' admin (/operator/ on the platform domain): companies, suspend and resume."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from backend.errors import ApplicationError

from .models import Domain, Tenant
from .services import company_resume, company_suspend


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "slug"]
    readonly_fields = ["schema_name", "slug", "created_at"]
    inlines = [DomainInline]
    actions = ["suspend", "resume"]

    @admin.action(description="Suspend selected companies (reason: operator action)")
    def suspend(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        for tenant in queryset:
            try:
                company_suspend(tenant=tenant, reason="Suspended by the platform operator.")
            except ApplicationError as error:
                self.message_user(request, f"{tenant}: {error.message}", messages.ERROR)

    @admin.action(description="Resume selected companies")
    def resume(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        for tenant in queryset:
            try:
                company_resume(tenant=tenant)
            except ApplicationError as error:
                self.message_user(request, f"{tenant}: {error.message}", messages.ERROR)

    def has_delete_permission(self, request: HttpRequest, obj: Tenant | None = None) -> bool:
        return False
