"""/merchant/ on the platform domain, the `merchant:` namespace (backend/urls_public.py includes it)."""

from django.urls import path

from . import views_account as account
from . import views_aftersale as aftersale
from . import views_auth as auth
from . import views_catalogue as cat
from . import views_deals as deals
from . import views_orders as orders
from . import views_statements as statements

app_name = "merchant"

urlpatterns = [
    path("", auth.dashboard, name="dashboard"),
    path("figures/", auth.dashboard_figures, name="dashboard-figures"),
    path("notices/read/", auth.notices_read, name="notices-read"),
    path("signup/", auth.signup, name="signup"),
    path("login/", auth.sign_in, name="login"),
    path("logout/", auth.sign_out, name="logout"),
    path("profile/", account.profile, name="profile"),
    path("profile/licence/", account.licence, name="licence"),
    path("members/", account.members, name="members"),
    path("members/<int:pk>/remove/", account.member_remove, name="member-remove"),
    path("applications/", account.applications, name="applications"),
    path("applications/company/<int:tenant_id>/", account.apply, name="apply"),
    path("applications/<int:pk>/withdraw/", account.withdraw, name="withdraw"),
    path("listings/", cat.listings, name="listings"),
    path("listings/new/", cat.listing_new, name="listing-new"),
    path("listings/<int:pk>/", cat.listing_edit, name="listing"),
    path("listings/<int:pk>/active/", cat.listing_active, name="listing-active"),
    path("photos/<int:pk>/", cat.photo_image, name="photo"),
    path("photos/<int:pk>/remove/", cat.photo_remove, name="photo-remove"),
    path("photos/<int:pk>/first/", cat.photo_first, name="photo-first"),
    path("variants/<int:pk>/", cat.variant_edit, name="variant"),
    path("slots/<int:pk>/", cat.slot_edit, name="slot"),
    path("specials/", cat.specials, name="specials"),
    path("specials/<int:pk>/remove/", cat.special_remove, name="special-remove"),
    path("deals/", deals.deal_list, name="deals"),
    path("orders/", orders.board, name="orders"),
    path("orders/<int:pk>/", orders.detail, name="order"),
    path("orders/<int:pk>/<str:action>/", orders.act, name="order-act"),
    path("statements/", statements.statement_list, name="statements"),
    path("statements/<int:pk>/", statements.statement_detail, name="statement"),
    path("statements/<int:pk>/confirm/", statements.statement_confirm, name="statement-confirm"),
    path("statements/<int:pk>/statement.pdf", statements.statement_pdf, name="statement-pdf"),
    path("statements/<int:pk>/statement.xlsx", statements.statement_xlsx, name="statement-xlsx"),
    path("refunds/", aftersale.refunds, name="refunds"),
    path("refunds/<int:pk>/", aftersale.refund, name="refund"),
    path("reviews/", aftersale.reviews, name="reviews"),
    path("reviews/<int:pk>/", aftersale.review, name="review"),
    path("aftersale/<str:kind>/<int:pk>/photos/<int:photo_id>/", aftersale.photo, name="aftersale-photo"),
]
