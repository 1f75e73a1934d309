from django.urls import path

from . import views

urlpatterns = [
    path("resident/complaints/", views.complaints, name="resident-complaints"),
    path("resident/complaints/new/", views.complaint_new, name="resident-complaint-new"),
    path("resident/complaints/<int:pk>/", views.complaint, name="resident-complaint"),
    path("resident/complaints/<int:pk>/<slug:step>/", views.complaint_step, name="resident-complaint-step"),
    path("resident/surveys/", views.survey_list, name="resident-surveys"),
    path("resident/surveys/<int:pk>/", views.survey, name="resident-survey"),
]
