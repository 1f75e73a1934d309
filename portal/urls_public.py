from django.urls import path

from .views import public

app_name = "platform"

urlpatterns = [
    path("", public.landing, name="landing"),
    path("signup/", public.company_signup, name="signup"),
]
