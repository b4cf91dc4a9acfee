"""The figures of the post-event report, each computed by the database in a fixed number
of queries however many activities, registrations or answers there are."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum

from openday.events.models import District, Event, SubEvent
from openday.registrations import selectors
from openday.registrations.models import Registration

from .models import Feedback, Photo


@dataclass
class Bar:
    label: str
    value: int
    total: int

    @property
    def stars(self) -> str:
        return "★" * int(self.label)

    @property
    def percent(self) -> int:
        """Length of the bar, 0–100, for the SVG's 100-unit-wide view box."""
        return round(100 * self.value / self.total) if self.total else 0


@dataclass
class DistrictRow:
    district: District | None
    sub_events: int = 0
    places: int = 0
    registered: int = 0
    attended: int = 0

    @property
    def fill_percent(self) -> int:
        return min(100, round(100 * self.registered / self.places)) if self.places else 0


@dataclass
class Report:
    event: Event
    district: District | None
    sub_events: int
    places: int
    registrations: int
    people_registered: int
    people_attended: int
    people_registered_finished: int
    ratings: list[Bar]
    rating_count: int
    rating_average: float | None
    suggestions_received: int
    suggestions_answered: int
    districts: list[DistrictRow] = field(default_factory=list)
    photos: list[Photo] = field(default_factory=list)

    @property
    def attendance_percent(self) -> int:
        """Attendance as `registrations.selectors` defines it (the dashboard's too)."""
        percent = selectors.attendance_percent(
            attended=self.people_attended, expected=self.people_registered_finished
        )
        return percent or 0

    @property
    def answered_percent(self) -> int:
        if not self.suggestions_received:
            return 0
        return round(100 * self.suggestions_answered / self.suggestions_received)


def report_build(*, event: Event, district: District | None = None) -> Report:
    sub_events = SubEvent.objects.published().filter(event=event, is_cancelled=False)
    feedback = Feedback.objects.filter(event=event)
    photos = Photo.objects.for_gallery().filter(event=event, is_featured=True)
    if district is not None:
        sub_events = sub_events.filter(district=district)
        feedback = feedback.filter(district=district)
        photos = photos.filter(sub_event__district=district)

    programme = sub_events.aggregate(count=Count("pk"), places=Sum("capacity"))
    registrations = Registration.objects.filter(sub_event__in=sub_events)
    sums = selectors.people_sums()
    booked = registrations.aggregate(
        count=Count("pk", filter=Q(status=Registration.Status.CONFIRMED)),
        people=sums["confirmed_people"],
        attended=sums["attended_people"],
        finished=sums["expected_people"],
    )

    rating_counts = dict(
        feedback.filter(rating__isnull=False)
        .values_list("rating")
        .annotate(n=Count("pk"))
        .values_list("rating", "n")
    )
    rating_count = sum(rating_counts.values())
    rating_average = (
        round(sum(r * n for r, n in rating_counts.items()) / rating_count, 1)
        if rating_count
        else None
    )
    suggestions = feedback.suggestions().aggregate(
        received=Count("pk"), answered=Count("pk", filter=~Q(public_reply=""))
    )

    rows: list[DistrictRow] = []
    if district is None:
        by_district: dict[int | None, DistrictRow] = {}
        for row in sub_events.values("district").annotate(n=Count("pk"), places=Sum("capacity")):
            by_district[row["district"]] = DistrictRow(
                district=None, sub_events=row["n"], places=row["places"] or 0
            )
        for row in registrations.values("sub_event__district").annotate(
            people=sums["confirmed_people"], attended=sums["attended_people"]
        ):
            entry = by_district.get(row["sub_event__district"])
            if entry is not None:
                entry.registered = row["people"] or 0
                entry.attended = row["attended"] or 0
        names = District.objects.in_bulk([pk for pk in by_district if pk is not None])
        for pk, entry in by_district.items():
            entry.district = names.get(pk)
        rows = sorted(
            by_district.values(),
            key=lambda r: (r.district is not None, r.district.sort_order if r.district else 0),
        )

    return Report(
        event=event,
        district=district,
        sub_events=programme["count"],
        places=programme["places"] or 0,
        registrations=booked["count"],
        people_registered=booked["people"] or 0,
        people_attended=booked["attended"] or 0,
        people_registered_finished=booked["finished"] or 0,
        ratings=[
            Bar(label=str(stars), value=rating_counts.get(stars, 0), total=rating_count)
            for stars in range(5, 0, -1)
        ],
        rating_count=rating_count,
        rating_average=rating_average,
        suggestions_received=suggestions["received"],
        suggestions_answered=suggestions["answered"],
        districts=rows,
        photos=list(photos[:12]),
    )
