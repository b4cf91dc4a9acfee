from django.http import Http404
from django.shortcuts import render

from .models import Registration


def manage(request, token):
    registration = (
        Registration.objects.by_token(token)
        .select_related("sub_event__event", "sub_event__venue")
        .first()
    )
    if registration is None:
        raise Http404
    return render(request, "registrations/manage.html", {"registration": registration})
