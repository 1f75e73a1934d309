"""The server-rendered portal (Django templates + htmx), one package per audience and, for staff, per area:

    public/     anyone: sign-in and sign-up, invitations, password reset, error pages; the platform's pages
    member/     every signed-in member, staff or resident: notifications, preferences, announcements
    staff/      one package per area: dashboard, members, audit, registry, notifications, billing, meters,
                dunning, payments
    resident/   a resident's homes, bills and statements, online payment and autopay, linking a home
    merchant/   the merchant portal (empty for now)
    common/     what areas share: the forms base, the payment form, the data scope, links, statements

Each package has its urls.py (urls_tenant.py and urls_public.py put them together), its views (views.py, or
a few modules named after what they hold), its forms.py when it has forms, and its templates under
templates/portal/<audience>/<area>/. A view module never imports another area's views: what two areas
share lives in common/ (or access.py, throttling.py, context_processors.py, templatetags/ at the top).
Pages declare who may open them with a permission of the catalogue (backend/accounts/permissions.py, see
access.py); views parse input, call one service or selector, and render."""
