from django.urls import path

from . import views

app_name = "registrations"

urlpatterns = [
    path("<str:token>/", views.manage, name="manage"),
]
