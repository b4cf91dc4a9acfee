"""Staff pages outside the admin: check-in at the door, the dashboard, messages to
registrants and the guest-list import. Each view narrows what it reads through `scope`."""

from __future__ import annotations

import functools
import json
import unicodedata

from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from openday.events.models import Event, SubEvent
from openday.notifications import services as notify
from openday.registrations import services as booking
from openday.registrations.models import Registration

from . import dashboard, door, exports, imports, paper, scope
from . import services as staff_services
from .door import reference_from_scan
from .forms import GuestImportForm, StaffMessageForm, WalkInForm
from .messaging import staff_message_send

# People found at the door by phone digits or name, at most.
FIND_LIMIT = 20


def _counter(sub_event: SubEvent) -> dict:
    totals = (
        Registration.objects.confirmed()
        .filter(sub_event=sub_event)
        .aggregate(
            expected=Sum("party_size", default=0),
            checked_in=Sum("checked_in_people", default=0),
        )
    )
    return {"checked_in": totals["checked_in"], "expected": totals["expected"]}


@login_required
@permission_required(scope.CHECK_IN, raise_exception=True)
@require_http_methods(["GET", "POST"])
def checkin(request):
    allowed = scope.check_in_sub_events(request.user).select_related("venue")
    sub_event = None
    sub_event_id = request.POST.get("sub_event") or request.GET.get("sub_event")
    if sub_event_id:
        if not str(sub_event_id).isdigit():
            raise Http404
        sub_event = get_object_or_404(allowed, pk=sub_event_id)
    if request.method == "POST":
        return _checkin_confirm(request, sub_event)

    today = timezone.localdate()
    choices = allowed.filter(is_cancelled=False, ends_at__date__gte=today).order_by(
        "starts_at", "pk"
    )[:200]
    context = {"sub_event": sub_event, "choices": choices, "code": ""}
    code = request.GET.get("code", "")
    if sub_event is not None:
        context["counter"] = _counter(sub_event)
        context["walk_in_form"] = WalkInForm(sub_event=sub_event)
        context["checkin_texts"] = json.dumps(_checkin_texts(), ensure_ascii=False)
        if code.strip():
            context.update(_checkin_lookup(request.user, sub_event, code))
        elif request.GET.get("find", "").strip():
            context.update(_checkin_find(sub_event, request.GET["find"]))
    return render(request, "staff/checkin.html", context)


def _checkin_texts() -> dict:
    """What the offline check-in script says, in the page's language."""
    return {
        "online": _("Online"),
        "offline": _("Offline: scans are kept and sent later"),
        "never": _("not yet"),
        "not_on_list": _(
            "Not on this activity's list: a ticket for another activity, or unknown. "
            "Checked again when the connection returns."
        ),
        "waitlisted": _("This registration is on the waiting list, not confirmed."),
        "wrong_day": _("This ticket is for another day."),
        "already_at": _("Already checked in at %(time)s at %(door)s."),
        "people_of": _("%(count)s of %(party)s"),
        "party": _("%(count)s people"),
        "done": _("Checked in."),
        "results": {
            "unknown": _("No registration with this reference."),
            "other_activity": _("This ticket is for another activity."),
            "not_confirmed": _("This registration is cancelled or not confirmed."),
        },
    }


def _serves(user, registration: Registration) -> bool:
    """Whether the ticket is for an activity this staff member checks people in for: only
    then may the door say which activity another ticket is for."""
    return scope.check_in_sub_events(user).filter(pk=registration.sub_event_id).exists()


def _checkin_lookup(user, sub_event: SubEvent, code: str) -> dict:
    reference = reference_from_scan(code)
    result = {"code": code.strip()[:100]}
    registration = (
        Registration.objects.select_related("sub_event", "invitation__group")
        .filter(reference=reference)
        .first()
        if reference
        else None
    )
    if registration is None:
        result["refusal"] = _("No registration with this reference.")
        return result
    refusal = staff_services.check_in_refusal(
        registration,
        sub_event_id=sub_event.pk,
        name_other_activity=registration.sub_event_id == sub_event.pk
        or _serves(user, registration),
    )
    if registration.sub_event_id == sub_event.pk:
        # Who it is is shown only for this door's own tickets.
        result["registration"] = registration
    if refusal is not None:
        result["refusal"] = refusal.message
        result["refusal_code"] = refusal.code
    return result


def _checkin_confirm(request, sub_event):
    if sub_event is None:
        raise Http404
    reference = reference_from_scan(request.POST.get("reference", ""))
    registration = Registration.objects.filter(reference=reference).first()
    back = f"{reverse('staff:checkin')}?{urlencode({'sub_event': sub_event.pk})}"
    if registration is None:
        messages.error(request, _("No registration with this reference."))
        return HttpResponseRedirect(back)
    people = request.POST.get("people", "")
    try:
        done = staff_services.registration_check_in(
            registration=registration,
            sub_event_id=sub_event.pk,
            people=int(people) if people.isdigit() else None,
            name_other_activity=registration.sub_event_id == sub_event.pk
            or _serves(request.user, registration),
            by_staff=request.user,
        )
    except booking.BookingError as refusal:
        messages.error(request, f"{registration.reference}: {refusal.message}")
        return HttpResponseRedirect(back)
    messages.success(
        request,
        _("Checked in: %(name)s, %(count)d of %(party)d people.")
        % {"name": done.name, "count": done.checked_in_people, "party": done.party_size},
    )
    return HttpResponseRedirect(back)


def _checkin_find(sub_event: SubEvent, text: str) -> dict:
    """People at the door without their ticket: found by the last four digits of their
    phone or by their name, among this activity's registrations only."""
    text = " ".join(text.split())[:50]
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())
    registrations = Registration.objects.filter(sub_event=sub_event, anonymised_at__isnull=True)
    if len(digits) == 4 and len(text.replace(" ", "")) == 4:
        registrations = registrations.filter(phone__endswith=digits)
    elif text:
        registrations = registrations.filter(name__icontains=text)
    else:
        registrations = registrations.none()
    found = list(registrations.order_by("name", "pk")[: FIND_LIMIT + 1])
    return {"find": text, "found": found[:FIND_LIMIT], "found_more": len(found) > FIND_LIMIT}


@login_required
@permission_required(scope.CHECK_IN, raise_exception=True)
@require_http_methods(["POST"])
def walk_in(request, pk: int):
    """Someone without a booking at the door: registered on the spot when places are left
    (through the booking service, like every booking), and checked in at once."""
    sub_event = get_object_or_404(scope.check_in_sub_events(request.user), pk=pk)
    back = f"{reverse('staff:checkin')}?{urlencode({'sub_event': sub_event.pk})}"
    form = WalkInForm(request.POST, sub_event=sub_event)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return HttpResponseRedirect(back)
    try:
        registration = door.walk_in_register(
            sub_event=sub_event,
            name=form.cleaned_data["name"],
            phone=form.cleaned_data["phone"],
            party_size=form.cleaned_data["party_size"],
            by_staff=request.user,
        )
    except booking.BookingError as refusal:
        messages.error(request, refusal.message)
        return HttpResponseRedirect(back)
    messages.success(
        request,
        _("Walk-in registered and checked in: %(name)s, %(count)d people (%(reference)s).")
        % {
            "name": registration.name,
            "count": registration.party_size,
            "reference": registration.reference,
        },
    )
    return HttpResponseRedirect(back)


@login_required
@permission_required(scope.CHECK_IN, raise_exception=True)
def checkin_counter(request, pk: int):
    sub_event = get_object_or_404(scope.check_in_sub_events(request.user), pk=pk)
    return JsonResponse(_counter(sub_event))


@functools.cache
def _service_worker_script() -> bytes:
    # Read once per process: the file changes only with a deployment.
    with open(finders.find("js/checkin-sw.js"), "rb") as handle:
        return handle.read()


@require_safe
def checkin_service_worker(request):
    """The check-in page's service worker, served from under the page's path so that it
    may control it (a worker's scope cannot reach above the folder it is served from)."""
    response = HttpResponse(_service_worker_script(), content_type="text/javascript")
    response["Cache-Control"] = "no-cache"
    return response


def admin_index(request):
    """The admin's front page, except for check-in volunteers: the admin has nothing for
    them, so they land on the check-in page."""
    user = request.user
    if (
        user.is_active
        and user.is_staff
        and user.has_perm(scope.CHECK_IN)
        and not admin.site.get_app_list(request)
    ):
        return HttpResponseRedirect(reverse("staff:checkin"))
    # The admin's own wrapper: login, never cached, CSRF as on every admin page.
    return admin.site.admin_view(admin.site.index)(request)


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def door_list(request, pk: int):
    sub_event = get_object_or_404(
        scope.door_sub_events(request.user).select_related("venue"), pk=pk
    )
    return _pdf_response(paper.door_list_pdf(request, sub_event), f"door-list-{pk}.pdf")


@login_required
@require_safe
def name_cards(request, pk: int):
    sub_event = get_object_or_404(scope.door_sub_events(request.user), pk=pk)
    return _pdf_response(paper.name_cards_pdf(request, sub_event), f"name-cards-{pk}.pdf")


def _dashboard_choice(request):
    """The open day and (optionally) the district the dashboard shows; a district the user
    may not see is "not found"."""
    user = request.user
    if not (scope.sees_all_districts(user) or user.has_perm("events.view_subevent")):
        raise PermissionDenied
    events = Event.objects.order_by("-starts_on")
    event_id = request.GET.get("event", "")
    event = events.filter(pk=event_id).first() if event_id.isdigit() else None
    district = None
    district_id = request.GET.get("district", "")
    if district_id:
        if not district_id.isdigit():
            raise Http404
        district = get_object_or_404(scope.districts_for(user), pk=district_id)
    return events, event or Event.objects.current() or events.first(), district


@login_required
def dashboard_view(request):
    events, event, district = _dashboard_choice(request)
    context = {
        "events": events[:50],
        "event": event,
        "district": district,
        "districts": scope.districts_for(request.user),
    }
    if event is not None:
        context["report"] = dashboard.event_report(event, request.user, district)
    return render(request, "staff/dashboard.html", context)


@login_required
def dashboard_csv(request):
    _events, event, district = _dashboard_choice(request)
    if event is None:
        raise Http404
    report = dashboard.event_report(event, request.user, district)
    name = f"dashboard-{event.slug}{f'-{district.slug}' if district else ''}.csv"
    rows = (exports.safe_row(row) for row in dashboard.report_rows(report))
    return exports.csv_response(rows, name)


@login_required
@permission_required("staff.add_staffmessage", raise_exception=True)
def message_registrants(request, pk: int):
    sub_event = get_object_or_404(scope.sub_events_for(request.user), pk=pk)
    form = StaffMessageForm(request.POST or None, sub_event=sub_event)
    if request.method == "POST" and form.is_valid():
        message, count = staff_message_send(
            sub_event=sub_event,
            kind=form.cleaned_data["kind"],
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
            statuses=form.cleaned_data["statuses"],
            checked_in=form.cleaned_data["checked_in"],
            sent_by=request.user,
        )
        LogEntry.objects.log_actions(
            request.user.pk,
            [sub_event],
            CHANGE,
            change_message=_("Message “%(subject)s” sent to %(count)d registrations.")
            % {"subject": message.subject, "count": count},
        )
        messages.success(
            request, _("Message queued for %(count)d registrations.") % {"count": count}
        )
        return HttpResponseRedirect(reverse("staff:message", args=[sub_event.pk]))
    sent = sub_event.staff_messages.select_related("sent_by").order_by("-created_at")[:20]
    # Who a message would reach, per registration status, before it is sent.
    reach = [
        (label, notify.reach(Registration.objects.filter(sub_event=sub_event, status=status)))
        for status, label in Registration.Status.choices
    ]
    return render(
        request,
        "staff/message.html",
        {
            "sub_event": sub_event,
            "form": form,
            "sent": sent,
            "reach": reach,
            "budget_reached": notify.sms_budget_reached(),
        },
    )


@login_required
@permission_required("registrations.add_registration", raise_exception=True)
@require_http_methods(["GET", "POST"])
def guest_import(request):
    """Upload → preview with row errors → confirm. The confirmed rows travel signed in the
    form, so nothing is stored between the two steps and nothing is written before."""
    context = {"form": GuestImportForm()}
    if request.method == "POST" and "rows" in request.POST:
        return _guest_import_confirm(request)
    if request.method == "POST":
        form = GuestImportForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            preview = imports.guest_list_preview(form.cleaned_data["file"], request.user)
            context["preview"] = preview
            if preview.ok:
                context["signed_rows"] = imports.sign_rows(preview.rows)
    return render(request, "staff/guest_import.html", context)


def _guest_import_confirm(request):
    rows = imports.unsign_rows(request.POST.get("rows", ""))
    if rows is None:
        messages.error(request, _("The preview expired or was changed; upload the file again."))
        return HttpResponseRedirect(reverse("staff:guest_import"))
    try:
        result = imports.guest_list_import(rows, request.user)
    except booking.Busy as error:
        # Nothing was written: the same preview again, to confirm once the rush is over.
        messages.error(request, str(error.message))
        context = {
            "form": GuestImportForm(),
            "preview": imports.ImportResult(rows=rows),
            "signed_rows": request.POST["rows"],
        }
        return render(request, "staff/guest_import.html", context)
    if result.errors:
        return render(
            request,
            "staff/guest_import.html",
            {"form": GuestImportForm(), "preview": result},
        )
    messages.success(
        request,
        _("%(count)d guests registered.")
        % {"count": sum(registration.party_size for registration in result.registrations)},
    )
    return HttpResponseRedirect(reverse("admin:registrations_registration_changelist"))
