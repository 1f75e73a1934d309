from django.urls import path

from . import views

urlpatterns = [
    path("resident/shop/", views.home, name="resident-shop"),
    path("resident/shop/search/", views.search, name="resident-shop-search"),
    path("resident/shop/category/<slug:code>/", views.category, name="resident-shop-category"),
    path("resident/shop/listings/<int:pk>/", views.listing, name="resident-shop-listing"),
    path("resident/shop/merchants/<int:pk>/", views.merchant, name="resident-shop-merchant"),
    path("shop/photos/<int:pk>/", views.photo, name="shop-photo"),
]
