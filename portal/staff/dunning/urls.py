from django.urls import path

from . import views

urlpatterns = [
    path("staff/billing/arrears/", views.arrears, name="billing-arrears"),
    path("staff/billing/arrears/<int:pk>/", views.dunning_unit, name="billing-dunning-unit"),
    path("staff/billing/arrears/<int:pk>/letter.pdf", views.demand_letter, name="billing-demand-letter"),
]
