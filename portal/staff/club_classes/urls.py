from django.urls import path

from . import views

urlpatterns = [
    path("staff/classes/", views.classes, name="classes-list"),
    path("staff/classes/new/", views.class_create, name="classes-create"),
    path("staff/classes/<int:pk>/", views.class_detail, name="classes-detail"),
    path("staff/classes/<int:pk>/edit/", views.class_edit, name="classes-edit"),
    path("staff/classes/<int:pk>/publish/", views.class_publish, name="classes-publish"),
    path("staff/classes/<int:pk>/close/", views.class_close, name="classes-close"),
    path("staff/classes/<int:pk>/cancel/", views.class_cancel, name="classes-cancel"),
    path("staff/classes/<int:pk>/sessions/", views.session_add, name="classes-session-add"),
    path("staff/classes/<int:pk>/enrolments/", views.enrolments, name="classes-enrolments"),
    path("staff/classes/sessions/<int:pk>/cancel/", views.session_cancel, name="classes-session-cancel"),
    path("staff/classes/sessions/<int:pk>/attendance/", views.attendance, name="classes-attendance"),
    path("staff/classes/teachers/", views.teachers, name="classes-teachers"),
    path("staff/classes/teachers/new/", views.teacher_create, name="classes-teacher-create"),
    path("staff/classes/teachers/<int:pk>/", views.teacher_edit, name="classes-teacher"),
    path("staff/classes/statement/", views.statement, name="classes-statement"),
    path("staff/classes/statement/export.pdf", views.statement_pdf_download, name="classes-statement-pdf"),
    path("staff/classes/statement/export.xlsx", views.statement_xlsx_download, name="classes-statement-xlsx"),
]
