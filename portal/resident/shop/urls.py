from django.urls import path

from . import views, views_aftersale, views_deals, views_orders

urlpatterns = [
    path("resident/shop/", views.home, name="resident-shop"),
    path("resident/shop/search/", views.search, name="resident-shop-search"),
    path("resident/shop/category/<slug:code>/", views.category, name="resident-shop-category"),
    path("resident/shop/listings/<int:pk>/", views.listing, name="resident-shop-listing"),
    path("resident/shop/merchants/<int:pk>/", views.merchant, name="resident-shop-merchant"),
    path("shop/photos/<int:pk>/", views.photo, name="shop-photo"),
    path("resident/shop/cart/", views_orders.cart, name="resident-shop-cart"),
    path("resident/shop/cart/add/", views_orders.cart_add, name="resident-shop-cart-add"),
    path("resident/shop/cart/<int:pk>/", views_orders.cart_quantity, name="resident-shop-cart-quantity"),
    path("resident/shop/checkout/", views_orders.checkout, name="resident-shop-checkout"),
    path("resident/shop/orders/", views_orders.orders, name="resident-shop-orders"),
    path("resident/shop/orders/<int:pk>/", views_orders.order, name="resident-shop-order"),
    path("resident/shop/orders/<int:pk>/cancel/", views_orders.order_cancel, name="resident-shop-order-cancel"),
    path("resident/shop/orders/<int:pk>/confirm/", views_orders.order_confirm, name="resident-shop-order-confirm"),
    path("resident/shop/orders/<int:pk>/refund/", views_aftersale.refund_new, name="resident-shop-refund-new"),
    path("resident/shop/orders/<int:pk>/review/", views_aftersale.review, name="resident-shop-review"),
    path(
        "resident/shop/refunds/<int:pk>/withdraw/",
        views_aftersale.refund_withdraw,
        name="resident-shop-refund-withdraw",
    ),
    path(
        "resident/shop/refunds/<int:pk>/escalate/",
        views_aftersale.refund_escalate,
        name="resident-shop-refund-escalate",
    ),
    path("resident/shop/deals/", views_deals.deals, name="resident-shop-deals"),
    path("resident/shop/deals/<int:pk>/", views_deals.deal, name="resident-shop-deal"),
    path("resident/shop/deals/<int:pk>/join/", views_deals.deal_join, name="resident-shop-deal-join"),
    path("resident/shop/deals/<int:pk>/leave/", views_deals.deal_leave, name="resident-shop-deal-leave"),
    path("resident/shop/complaints/", views_aftersale.complaints_list, name="resident-shop-complaints"),
    path("resident/shop/complaints/new/", views_aftersale.complaint_new, name="resident-shop-complaint-new"),
    path("resident/shop/complaints/<int:pk>/", views_aftersale.complaint, name="resident-shop-complaint"),
    path(
        "resident/shop/aftersale-photos/<int:pk>/",
        views_aftersale.aftersale_photo,
        name="resident-shop-aftersale-photo",
    ),
]
