from django.urls import path

from . import views

app_name = "feedback"

# Included at the site's root (in i18n_patterns): the survey is one of the pages behind a
# registration's manage link, under /r/<token>/; its first address still leads there.
urlpatterns = [
    path("r/<str:token>/survey/", views.survey, name="survey"),
    path("feedback/survey/<str:token>/", views.survey_moved, name="survey_moved"),
    path("feedback/<slug:event_slug>/suggest/", views.suggest, name="suggest"),
    path(
        "feedback/<slug:event_slug>/activities/<int:sub_event_pk>/suggest/",
        views.suggest,
        name="suggest_activity",
    ),
    path("feedback/<slug:event_slug>/thanks/", views.thanks, name="thanks"),
    path("feedback/<slug:event_slug>/heard/", views.heard, name="heard"),
    path("feedback/<slug:event_slug>/report/", views.report, name="report"),
    path(
        "feedback/<slug:event_slug>/report/<slug:district_slug>/",
        views.report,
        name="district_report",
    ),
]
