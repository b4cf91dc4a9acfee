"""Figures for the staff dashboard, per open day and per district.

A fixed number of grouped queries whatever the size of the open day: one over the
activities with their registration sums, one per day of registrations, one over
invitations, one over feedback. District organisers get the same report over their
districts only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Avg, Count, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext as _

from openday.events.models import Invitation, SubEvent
from openday.feedback.models import Feedback
from openday.notifications import services as notify
from openday.notifications.models import Notification
from openday.registrations import selectors
from openday.registrations.models import Registration

from . import scope

CHART_WIDTH = 600
CHART_HEIGHT = 160


def _rate(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


@dataclass
class Line:
    name: str
    activities: int = 0
    capacity: int = 0
    confirmed: int = 0
    waitlisted: int = 0
    checked_in: int = 0
    finished_confirmed: int = 0
    finished_checked_in: int = 0
    rating: float | None = None
    ratings: int = 0
    district_id: int | None = None
    starts_at: object = None

    @property
    def fill_rate(self) -> int | None:
        return _rate(self.confirmed, self.capacity)

    @property
    def attendance_rate(self) -> int | None:
        """Attendance as `registrations.selectors` defines it (the public report's too)."""
        return selectors.attendance_percent(
            attended=self.finished_checked_in, expected=self.finished_confirmed
        )

    @property
    def no_shows(self) -> int:
        return self.finished_confirmed - self.finished_checked_in


@dataclass
class Report:
    event: object
    total: Line
    districts: list[Line] = field(default_factory=list)
    sub_events: list[Line] = field(default_factory=list)
    daily: list[dict] = field(default_factory=list)
    groups: list[dict] = field(default_factory=list)
    # Messages to registrants: sent, failed, waiting (queued, retrying, being sent).
    messages: dict = field(default_factory=dict)
    sms_budget_reached: bool = False


def event_report(event, user, district=None) -> Report:
    """The figures of one open day that `user` may see; with `district`, of that district
    only (the caller has checked the user may see it)."""
    narrow = {} if district is None else {"district": district}
    activities = (
        scope.restrict(SubEvent.objects.filter(event=event, **narrow), user, "district")
        .select_related("district")
        .annotate(**selectors.people_sums(registration="registrations__", sub_event=""))
        .order_by("district__sort_order", "district__name", "starts_at", "pk")
    )
    total = Line(name=_("All"))
    districts: dict[int | None, Line] = {}
    sub_events = []
    for activity in activities:
        line = Line(
            name=activity.title,
            activities=1,
            capacity=activity.capacity,
            confirmed=activity.confirmed_people,
            waitlisted=activity.waitlisted_people,
            checked_in=activity.checked_in_people,
            finished_confirmed=activity.expected_people,
            finished_checked_in=activity.attended_people,
            district_id=activity.district_id,
            starts_at=activity.starts_at,
        )
        sub_events.append(line)
        district_name = activity.district.name if activity.district_id else _("City-wide")
        group = districts.setdefault(
            activity.district_id, Line(name=district_name, district_id=activity.district_id)
        )
        for target in (group, total):
            target.activities += 1
            for name in (
                "capacity",
                "confirmed",
                "waitlisted",
                "checked_in",
                "finished_confirmed",
                "finished_checked_in",
            ):
                setattr(target, name, getattr(target, name) + getattr(line, name))

    feedback = Feedback.objects.filter(event=event, rating__isnull=False)
    if district is not None:
        feedback = feedback.filter(Q(district=district) | Q(sub_event__district=district))
    feedback = scope.restrict(
        feedback,
        user,
        "district",
        "sub_event__district",
    )
    for row in feedback.values(place=Coalesce("district_id", "sub_event__district_id")).annotate(
        average=Avg("rating"), count=Count("pk")
    ):
        line = districts.get(row["place"])
        if line is not None:
            line.rating = round(row["average"], 1)
            line.ratings = row["count"]
    overall = feedback.aggregate(average=Avg("rating"), count=Count("pk"))
    if overall["count"]:
        total.rating = round(overall["average"], 1)
        total.ratings = overall["count"]

    registrations = scope.restrict(
        Registration.objects.filter(
            sub_event__event=event, **{f"sub_event__{k}": v for k, v in narrow.items()}
        ),
        user,
        "sub_event__district",
    )
    daily = list(
        registrations.annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(count=Count("pk"), people=Sum("party_size"))
        .order_by("day")
    )
    _lay_out_bars(daily)

    invitations = scope.restrict(
        Invitation.objects.filter(
            sub_event__event=event, **{f"sub_event__{k}": v for k, v in narrow.items()}
        ),
        user,
        "sub_event__district",
    )
    seats = {
        row["group__name"]: row["seats"]
        for row in invitations.values("group__name").annotate(seats=Sum("seats"))
    }
    booked = {
        row["invitation__group__name"]: row["people"]
        for row in registrations.filter(
            status=Registration.Status.CONFIRMED, invitation__isnull=False
        )
        .values("invitation__group__name")
        .annotate(people=Sum("party_size"))
    }
    groups = [
        {"name": name, "seats": seats[name], "booked": booked.get(name, 0)}
        for name in sorted(seats)
    ]
    for group in groups:
        group["rate"] = _rate(group["booked"], group["seats"])

    sent = scope.restrict(
        Notification.objects.filter(
            sub_event__event=event, **{f"sub_event__{k}": v for k, v in narrow.items()}
        ),
        user,
        "sub_event__district",
    )
    return Report(
        event=event,
        total=total,
        districts=list(districts.values()),
        sub_events=sub_events,
        daily=daily,
        groups=groups,
        messages=notify.delivery_counts(sent),
        sms_budget_reached=notify.sms_budget_reached(),
    )


def _lay_out_bars(daily: list[dict]) -> None:
    """Positions of the bars of the registrations-per-day chart, in SVG user units."""
    if not daily:
        return
    highest = max(row["count"] for row in daily) or 1
    # Bars no wider than 40 units, so a few days do not look like a wall.
    slot = min(CHART_WIDTH / len(daily), 50)
    for index, row in enumerate(daily):
        height = round((CHART_HEIGHT - 20) * row["count"] / highest, 1)
        row["x"] = round(index * slot + slot * 0.1, 1)
        row["width"] = round(max(slot * 0.8, 1), 1)
        row["height"] = height
        row["y"] = round(CHART_HEIGHT - height, 1)
        row["label_y"] = round(CHART_HEIGHT - height - 4, 1)
        # Label every day when they fit, else about ten of them.
        row["show_label"] = len(daily) <= 12 or index % (len(daily) // 10 + 1) == 0


def report_rows(report: Report):
    """The dashboard as a table for CSV: one row per district, then per activity."""
    yield [
        _("level"),
        _("name"),
        _("activities"),
        _("places"),
        _("confirmed people"),
        _("fill rate %"),
        _("waiting people"),
        _("people checked in"),
        _("attendance rate %"),
        _("no-shows"),
        _("average rating"),
        _("ratings"),
    ]
    for level, lines in (
        (_("total"), [report.total]),
        (_("district"), report.districts),
        (_("activity"), report.sub_events),
    ):
        for line in lines:
            yield [
                level,
                line.name,
                line.activities,
                line.capacity,
                line.confirmed,
                "" if line.fill_rate is None else line.fill_rate,
                line.waitlisted,
                line.checked_in,
                "" if line.attendance_rate is None else line.attendance_rate,
                line.no_shows,
                "" if line.rating is None else line.rating,
                line.ratings,
            ]
    yield []
    yield [_("day"), _("registrations"), _("people")]
    for row in report.daily:
        yield [row["day"].isoformat(), row["count"], row["people"]]
    yield []
    yield [_("invited group"), _("reserved places"), _("places booked")]
    for group in report.groups:
        yield [group["name"], group["seats"], group["booked"]]
