from django.urls import path

from openday.registrations import views as registration_views

from . import views

app_name = "events"

urlpatterns = [
    path("", views.programme, name="programme"),
    path("events/", views.archive, name="archive"),
    path("events/<slug:slug>/", views.event_detail, name="event"),
    path("events/<slug:slug>/calendar.ics", views.event_calendar, name="event_calendar"),
    path(
        "events/<slug:slug>/districts/<slug:district_slug>/calendar.ics",
        views.district_calendar,
        name="district_calendar",
    ),
    path("events/<slug:slug>/share.png", views.event_share_image, name="event_share_image"),
    path("events/<slug:event_slug>/activities/<int:pk>/", views.subevent_detail, name="subevent"),
    path(
        "events/<slug:event_slug>/activities/<int:pk>/calendar.ics",
        views.subevent_calendar,
        name="subevent_calendar",
    ),
    path(
        "events/<slug:event_slug>/activities/<int:pk>/share.png",
        views.subevent_share_image,
        name="subevent_share_image",
    ),
    path(
        "events/<slug:event_slug>/activities/<int:pk>/register/",
        registration_views.register,
        name="register",
    ),
    path("venues/<slug:slug>/", views.venue_detail, name="venue"),
    path("privacy/", views.privacy, name="privacy"),
]
