from django.urls import path

from . import views

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
]
