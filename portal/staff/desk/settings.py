"""The service desk's set-up, for company admins: repair categories (name, default priority, paid or free,
revisit rule, response and resolution targets per priority in business minutes) and the desk's settings
(business hours, one window a line as "0-4 08:30-12:00" with 0 = Monday; the near-breach share; an
engineer's load cap). Written through backend.desk.intake (audited)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.desk.intake import category_save, desk_settings_update
from backend.desk.models import DeskSettings, Priority, RepairCategory, RevisitRule, SlaTarget
from backend.errors import ApplicationError
from portal.access import permission_required
from portal.common.forms import add_service_errors
from tenants.http import CompanyRequest

TEMPLATES = "portal/staff/desk"


class CategoryForm(forms.Form):
    code = forms.SlugField(label=gettext_lazy("Code"), max_length=30)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=40)
    default_priority = forms.ChoiceField(label=gettext_lazy("Default priority"), choices=Priority.choices)
    paid = forms.BooleanField(label=gettext_lazy("Paid (有偿)"), required=False)
    revisit_rule = forms.ChoiceField(label=gettext_lazy("Revisit"), choices=RevisitRule.choices)
    active = forms.BooleanField(label=gettext_lazy("In use"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for value, label in Priority.choices:
            self.fields[f"{value}_response"] = forms.IntegerField(
                label=_("%(p)s: respond within (minutes)") % {"p": label}, min_value=1, required=False
            )
            self.fields[f"{value}_resolution"] = forms.IntegerField(
                label=_("%(p)s: resolve within (minutes)") % {"p": label}, min_value=1, required=False
            )

    def targets(self) -> dict[str, tuple[int, int]]:
        data = self.cleaned_data
        return {
            p: (data[f"{p}_response"], data[f"{p}_resolution"])
            for p in Priority.values
            if data.get(f"{p}_response") and data.get(f"{p}_resolution")
        }


def hours_text(rows: list[list[int]]) -> str:
    return "\n".join(f"{d} {a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for d, a, b in sorted(rows))


def hours_parse(text: str) -> list[list[int]]:
    """ "0-4 08:30-12:00" or "5 09:00-12:00" a line → [[weekday, from, to], …] (ValueError on a bad line)."""
    rows = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        days, span = line.split()
        first, _sep, last = days.partition("-")
        start, end = span.split("-")

        def minutes(hhmm: str) -> int:
            h, m = hhmm.split(":")
            return int(h) * 60 + int(m)

        for day in range(int(first), int(last or first) + 1):
            rows.append([day, minutes(start), minutes(end)])
    return rows


class SettingsForm(forms.Form):
    business_hours = forms.CharField(
        label=gettext_lazy("Business hours (one window a line: 0-4 08:30-12:00; 0 = Monday)"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    near_breach_percent = forms.IntegerField(label=gettext_lazy("Warn at this share of a time limit (%)"))
    engineer_open_cap = forms.IntegerField(label=gettext_lazy("Most open repairs an engineer may hold"))


@permission_required(perms.DESK_MANAGE)
@require_http_methods(["GET", "POST"])
def desk_settings(request: CompanyRequest) -> HttpResponse:
    current = DeskSettings.load()
    posted = request.POST if request.method == "POST" else None
    which = request.POST.get("form") if request.method == "POST" else None
    settings_form = SettingsForm(
        posted if which == "settings" else None,
        initial={
            "business_hours": hours_text(current.business_hours),
            "near_breach_percent": current.near_breach_percent,
            "engineer_open_cap": current.engineer_open_cap,
        },
    )
    category_form = CategoryForm(posted if which == "category" else None)
    if which == "settings" and settings_form.is_valid():
        data = settings_form.cleaned_data
        try:
            try:
                hours = hours_parse(data["business_hours"])
            except ValueError:
                raise ApplicationError.for_fields(
                    {"business_hours": [_("Write each window as 0-4 08:30-12:00.")]}
                ) from None
            desk_settings_update(
                business_hours=hours,
                near_breach_percent=data["near_breach_percent"],
                engineer_open_cap=data["engineer_open_cap"],
            )
        except ApplicationError as error:
            add_service_errors(settings_form, error)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("portal:staff-desk-settings")
    if which == "category" and category_form.is_valid():
        data = category_form.cleaned_data
        try:
            category_save(
                code=data["code"],
                name=data["name"],
                default_priority=data["default_priority"],
                paid=data["paid"],
                revisit_rule=data["revisit_rule"],
                active=data["active"],
                targets=category_form.targets(),
            )
        except ApplicationError as error:
            add_service_errors(category_form, error)
        else:
            messages.success(request, _("Category saved."))
            return redirect("portal:staff-desk-settings")
    targets: dict[int, list[SlaTarget]] = {}
    for target in SlaTarget.objects.order_by("category_id", "priority"):
        targets.setdefault(target.category_id, []).append(target)
    categories = [(c, targets.get(c.pk, [])) for c in RepairCategory.objects.all()]
    return render(
        request,
        f"{TEMPLATES}/settings.html",
        {"settings_form": settings_form, "category_form": category_form, "categories": categories},
        status=400 if request.method == "POST" else 200,
    )
