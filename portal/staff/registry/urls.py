from django.urls import path

from . import views

urlpatterns = [
    path("staff/registry/", views.registry_tree, name="registry"),
    path("staff/buildings/<int:pk>/generate/", views.building_generate, name="registry-generate"),
    path("staff/units/", views.unit_list, name="units"),
    path("staff/units/export.xlsx", views.unit_export, name="units-export"),
    path("staff/units/residents.xlsx", views.residents_export, name="residents-export"),
    path("staff/units/<int:pk>/", views.unit_detail, name="unit"),
    path("staff/people/", views.people, name="people"),
    path("staff/people/<int:pk>/", views.person_detail, name="person"),
    path("staff/bindings/", views.bindings, name="bindings"),
    path("staff/bindings/<int:pk>/document/", views.binding_document, name="binding-document"),
    path("staff/imports/", views.import_page, name="imports"),
    path("staff/imports/<int:pk>/status/", views.import_status, name="import-status"),
    path("staff/imports/template/<str:kind>.xlsx", views.import_template, name="import-template"),
    path("staff/search/", views.search, name="search"),
]
