from django.contrib import admin

from .models import Membership, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "is_staff", "is_active", "date_joined"]
    search_fields = ["name", "email", "phone"]
    exclude = ["password", "user_permissions", "groups"]
    list_filter = ["is_staff", "is_active"]

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # company schemas reference people: deactivate instead


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "roles", "is_active"]
    list_filter = ["tenant"]
    raw_id_fields = ["user"]
