from django.urls import path

from . import views

app_name = "staff"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("dashboard.csv", views.dashboard_csv, name="dashboard_csv"),
    path("checkin/", views.checkin, name="checkin"),
    path("checkin/<int:pk>/counter.json", views.checkin_counter, name="checkin_counter"),
    path("activities/<int:pk>/door-list.pdf", views.door_list, name="door_list"),
    path("activities/<int:pk>/name-cards.pdf", views.name_cards, name="name_cards"),
    path("activities/<int:pk>/message/", views.message_registrants, name="message"),
    path("guest-import/", views.guest_import, name="guest_import"),
]
