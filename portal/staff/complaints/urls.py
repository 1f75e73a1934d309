from django.urls import path

from . import surveys, views

urlpatterns = [
    path("staff/desk/complaints/", views.queue, name="staff-complaints"),
    path("staff/desk/complaints/new/", views.intake, name="staff-complaint-new"),
    path("staff/desk/complaints/analysis/", views.analysis, name="staff-complaint-analysis"),
    path("staff/desk/complaints/<int:pk>/", views.complaint_page, name="staff-complaint"),
    path("staff/desk/complaints/<int:pk>/<slug:step>/", views.complaint_step, name="staff-complaint-step"),
    path("staff/desk/satisfaction/", surveys.satisfaction, name="staff-satisfaction"),
    path("staff/desk/surveys/", surveys.survey_list, name="staff-surveys"),
    path("staff/desk/surveys/new/", surveys.survey_new, name="staff-survey-new"),
    path("staff/desk/surveys/<int:pk>/", surveys.survey_page, name="staff-survey"),
    path("staff/desk/surveys/<int:pk>/<slug:step>/", surveys.survey_step, name="staff-survey-step"),
]
