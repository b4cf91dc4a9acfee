from django.urls import path

from . import views

app_name = "registrations"

# Everything under /r/<token>/ is reached only through the secret manage link; /r/find/
# leads there again from a phone number and a texted code.
urlpatterns = [
    path("find/", views.find, name="find"),
    path("<str:token>/", views.manage, name="manage"),
    path("<str:token>/cancel/", views.cancel, name="cancel"),
    path("<str:token>/group/", views.group_names, name="group"),
    path("<str:token>/delete/", views.erase, name="erase"),
    path("<str:token>/reminders/", views.reminders, name="reminders"),
    path("<str:token>/calendar.ics", views.calendar_file, name="calendar"),
]
