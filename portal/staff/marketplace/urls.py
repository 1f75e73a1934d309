from django.urls import path

from . import views, views_aftersale

urlpatterns = [
    path("staff/marketplace/", views.applications, name="staff-marketplace-applications"),
    path("staff/marketplace/applications/<int:pk>/", views.application_detail, name="staff-marketplace-application"),
    path(
        "staff/marketplace/applications/<int:pk>/licence/",
        views.application_licence,
        name="staff-marketplace-licence",
    ),
    path("staff/marketplace/merchants/", views.merchants, name="staff-marketplace-merchants"),
    path("staff/marketplace/categories/", views.categories, name="staff-marketplace-categories"),
    path("staff/marketplace/listings/", views.listings, name="staff-marketplace-listings"),
    path("staff/marketplace/refunds/", views_aftersale.refunds_list, name="staff-marketplace-refunds"),
    path("staff/marketplace/refunds/<int:pk>/", views_aftersale.refund_detail, name="staff-marketplace-refund"),
    path("staff/marketplace/complaints/", views_aftersale.complaints_list, name="staff-marketplace-complaints"),
    path(
        "staff/marketplace/complaints/<int:pk>/", views_aftersale.complaint_detail, name="staff-marketplace-complaint"
    ),
    path(
        "staff/marketplace/aftersale-photos/<int:pk>/",
        views_aftersale.aftersale_photo,
        name="staff-marketplace-aftersale-photo",
    ),
]
