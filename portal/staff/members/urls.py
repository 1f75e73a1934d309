from django.urls import path

from . import views

urlpatterns = [
    path("staff/members/", views.members, name="staff-members"),
    path("staff/members/<int:pk>/", views.member_edit, name="staff-member"),
    path("staff/invitations/<int:pk>/withdraw/", views.invitation_withdraw, name="staff-invitation-withdraw"),
]
