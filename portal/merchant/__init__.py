"""The merchant portal: its place is ready, its pages come with the marketplace.

A merchant serves residents of one or more companies. Its pages follow the portal's convention: views in
this package (views.py, or modules named after what they hold), forms in forms.py, URLs in urls.py (already
included by portal/urls_tenant.py), templates in templates/portal/merchant/, and every page declares a
permission of the catalogue (backend/accounts/permissions.py: add a "Marketplace" section there)."""
