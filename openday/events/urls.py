from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("", views.programme, name="programme"),
    path("events/<slug:slug>/", views.event_detail, name="event"),
    path("events/<slug:event_slug>/activities/<int:pk>/", views.subevent_detail, name="subevent"),
    path("venues/<slug:slug>/", views.venue_detail, name="venue"),
]
