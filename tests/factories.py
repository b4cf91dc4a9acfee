import datetime as dt

import factory
from django.utils import timezone

from openday.events.models import (
    ActivityFormat,
    AgendaItem,
    District,
    Event,
    Invitation,
    InvitedGroup,
    SubEvent,
    Venue,
)
from openday.feedback.models import Feedback
from openday.registrations import manage_link
from openday.registrations.models import Registration


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"区{n}")
    slug = factory.Sequence(lambda n: f"district-{n}")


class ActivityFormatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivityFormat

    name = factory.Sequence(lambda n: f"形式{n}")
    slug = factory.Sequence(lambda n: f"format-{n}")


class InvitedGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvitedGroup

    name = factory.Sequence(lambda n: f"邀请对象{n}")
    slug = factory.Sequence(lambda n: f"group-{n}")


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Venue

    name = factory.Sequence(lambda n: f"场地{n}")
    slug = factory.Sequence(lambda n: f"venue-{n}")
    district = factory.SubFactory(DistrictFactory)
    address = "青岛市市南区香港中路1号"


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"公众开放日{n}")
    slug = factory.Sequence(lambda n: f"open-day-{n}")
    theme = "青岛城管 在您身边"
    organiser = "青岛市城市管理局"
    starts_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=1))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=7))
    is_published = True


class SubEventFactory(factory.django.DjangoModelFactory):
    """A published sub-event whose registration is open now."""

    class Meta:
        model = SubEvent

    event = factory.SubFactory(EventFactory)
    title = factory.Sequence(lambda n: f"执法体验日{n}")
    is_main_venue = False
    # The main venue belongs to no district (a database constraint).
    district = factory.Maybe(
        "is_main_venue", yes_declaration=None, no_declaration=factory.SubFactory(DistrictFactory)
    )
    venue = factory.SubFactory(VenueFactory)
    format = factory.SubFactory(ActivityFormatFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=3))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=2))
    capacity = 10
    max_party_size = 3
    is_published = True


class AgendaItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgendaItem

    sub_event = factory.SubFactory(SubEventFactory)
    starts_at = dt.time(9, 30)
    title = "观看宣传片"


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    sub_event = factory.SubFactory(SubEventFactory)
    group = factory.SubFactory(InvitedGroupFactory)
    seats = 4


class RegistrationFactory(factory.django.DjangoModelFactory):
    """A registration written directly, for fixtures; bookings under test go through the
    service."""

    class Meta:
        model = Registration

    class Params:
        link = factory.LazyFunction(manage_link.new_link)

    sub_event = factory.SubFactory(SubEventFactory)
    name = "王芳"
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    party_size = 1
    status = Registration.Status.CONFIRMED
    manage_salt = factory.LazyAttribute(lambda registration: registration.link[0]["manage_salt"])
    manage_token_hash = factory.LazyAttribute(
        lambda registration: registration.link[0]["manage_token_hash"]
    )
    checked_in_at = None
    # A registration checked in through the service has the whole party arrived.
    checked_in_people = factory.LazyAttribute(
        lambda registration: registration.party_size if registration.checked_in_at else None
    )


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    event = factory.SubFactory(EventFactory)
    text = "希望多举办这样的活动"
    rating = 5
