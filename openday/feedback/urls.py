from django.urls import path

from . import views

app_name = "feedback"

urlpatterns = [
    path("survey/<str:token>/", views.survey, name="survey"),
    path("<slug:event_slug>/suggest/", views.suggest, name="suggest"),
    path(
        "<slug:event_slug>/activities/<int:sub_event_pk>/suggest/",
        views.suggest,
        name="suggest_activity",
    ),
    path("<slug:event_slug>/thanks/", views.thanks, name="thanks"),
    path("<slug:event_slug>/heard/", views.heard, name="heard"),
    path("<slug:event_slug>/report/", views.report, name="report"),
    path("<slug:event_slug>/report/<slug:district_slug>/", views.report, name="district_report"),
]
