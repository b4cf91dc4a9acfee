from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openday.core import ratelimit
from openday.events.models import District, Event, SubEvent
from openday.registrations import manage_link

from .forms import SuggestionForm, SurveyForm
from .models import Feedback
from .report import report_build
from .services import (
    FeedbackError,
    suggestion_create,
    survey_answer_create,
    survey_open_for,
)

SUGGESTIONS_PER_WINDOW = 5
SUGGESTION_WINDOW_SECONDS = 600


def suggestion_rate_limited(request) -> bool:
    """Whether this client has sent too many suggestions lately (5 per 10 minutes per
    address), through the site's one rate limiter, so every app server sees the same
    count and the address is read behind proxies as everywhere else."""
    rate = f"{SUGGESTIONS_PER_WINDOW}/{SUGGESTION_WINDOW_SECONDS}"
    return ratelimit.retry_after(request, scope="suggestion", address_rate=rate) is not None


def _published_event(slug: str) -> Event:
    return get_object_or_404(Event.objects.published(), slug=slug)


def suggest(request, event_slug, sub_event_pk=None):
    event = _published_event(event_slug)
    sub_event = None
    if sub_event_pk is not None:
        sub_event = get_object_or_404(
            SubEvent.objects.published().select_related("district"), pk=sub_event_pk, event=event
        )
    form = SuggestionForm(request.POST or None, sub_event=sub_event)
    if request.method == "POST":
        # The one place where the suggestion form is rate-limited.
        if suggestion_rate_limited(request):
            messages.error(
                request,
                _("You have sent several suggestions in a short time. Please try again later."),
            )
            return render(
                request,
                "feedback/suggest.html",
                {"event": event, "sub_event": sub_event, "form": form},
                status=429,
            )
        if form.is_bot:
            # Bots get the same answer as people, and nothing is stored.
            return redirect("feedback:thanks", event_slug=event.slug)
        if form.is_valid():
            data = form.cleaned_data
            suggestion_create(
                event=event,
                sub_event=sub_event,
                district=data.get("district"),
                category=data["category"],
                text=data["text"],
                rating=data["rating"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                contact_email=data["contact_email"],
                contact_consent=data["contact_consent"],
            )
            return redirect("feedback:thanks", event_slug=event.slug)
    return render(
        request, "feedback/suggest.html", {"event": event, "sub_event": sub_event, "form": form}
    )


def thanks(request, event_slug):
    event = _published_event(event_slug)
    return render(request, "feedback/thanks.html", {"event": event})


@manage_link.page
def survey_moved(request, token):
    """The survey's first address, in links already sent: to its place behind the manage
    link (whether the token is right is for that page to say)."""
    return HttpResponsePermanentRedirect(reverse("feedback:survey", kwargs={"token": token}))


@manage_link.page
def survey(request, token):
    registration = (
        manage_link.lookup(token)
        .select_related("sub_event__event", "sub_event__venue", "feedback")
        .first()
    )
    if registration is None:
        raise Http404
    answer = getattr(registration, "feedback", None)
    context = {"registration": registration, "sub_event": registration.sub_event}
    if answer is not None:
        return render(request, "feedback/survey_done.html", {**context, "answer": answer})
    if not survey_open_for(registration):
        return render(request, "feedback/survey_closed.html", context)
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            answer = survey_answer_create(
                registration=registration,
                rating=form.cleaned_data["rating"],
                text=form.cleaned_data["text"],
            )
        except FeedbackError as error:
            messages.error(request, error.message)
            return redirect("feedback:survey", token=token)
        messages.success(request, _("Thank you for your answer."))
        return redirect("feedback:survey", token=token)
    return render(request, "feedback/survey.html", {**context, "form": form})


class HeardFilterForm(forms.Form):
    district = forms.ModelChoiceField(
        label=gettext_lazy("District"),
        queryset=District.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=gettext_lazy("All districts"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Category"),
        choices=[("", gettext_lazy("All categories"))]
        + [c for c in Feedback.Category.choices if c[0] != Feedback.Category.SURVEY],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


HEARD_PER_PAGE = 20


def heard(request, event_slug):
    """What we heard: the suggestions staff published, with their replies."""
    event = _published_event(event_slug)
    filters = HeardFilterForm(request.GET or None)
    received = Feedback.objects.filter(event=event).suggestions()
    if filters.is_bound and not filters.is_valid():
        messages.warning(request, _("That filter is not available; showing everything."))
    elif filters.is_bound:
        if district := filters.cleaned_data["district"]:
            received = received.filter(district=district)
        if category := filters.cleaned_data["category"]:
            received = received.filter(category=category)
    counts = received.aggregate(
        received=Count("pk"), answered=Count("pk", filter=~Q(public_reply=""))
    )
    published = (
        received.published()
        .select_related("district", "sub_event")
        .only(
            "pk",
            "category",
            "text",
            "public_reply",
            "replied_at",
            "created_at",
            "district__name",
            "sub_event__title",
        )
        .order_by("-replied_at", "-pk")
    )
    page = Paginator(published, HEARD_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "feedback/heard.html",
        {
            "event": event,
            "filters": filters,
            "page": page,
            "counts": counts,
            "query": query.urlencode(),
        },
    )


def report(request, event_slug, district_slug=None):
    event = _published_event(event_slug)
    district = None
    if district_slug is not None:
        district = get_object_or_404(District, slug=district_slug)
    return render(
        request,
        "feedback/report.html",
        {"event": event, "report": report_build(event=event, district=district)},
    )
