import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group

from openday.staff import roles
from openday.staff.models import StaffProfile
from tests import factories


def make_staff(django_user_model, username, role, *, districts=(), sub_events=()):
    if not Group.objects.filter(name=role).exists():
        # A transactional test flushed the groups the data migration made.
        roles.sync_roles(django_apps)
    user = django_user_model.objects.create_user(username, password="pw-Staff-123", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    profile = StaffProfile.objects.create(user=user)
    profile.districts.set(districts)
    profile.sub_events.set(sub_events)
    return user


@pytest.fixture
def two_districts(db):
    """Two districts, each with an activity, an invitation, a registration and feedback."""
    world = {}
    event = factories.EventFactory()
    for key in ("own", "other"):
        district = factories.DistrictFactory()
        sub_event = factories.SubEventFactory(event=event, district=district)
        invitation = factories.InvitationFactory(sub_event=sub_event)
        registration = factories.RegistrationFactory(sub_event=sub_event)
        feedback = factories.FeedbackFactory(event=sub_event.event, sub_event=sub_event)
        world[key] = {
            "district": district,
            "subevent": sub_event,
            "invitation": invitation,
            "registration": registration,
            "feedback": feedback,
        }
    return world


@pytest.fixture
def city_organiser(db, django_user_model):
    return make_staff(django_user_model, "city", roles.CITY_ORGANISER)


@pytest.fixture
def district_organiser(db, django_user_model, two_districts):
    return make_staff(
        django_user_model,
        "district",
        roles.DISTRICT_ORGANISER,
        districts=[two_districts["own"]["district"]],
    )


@pytest.fixture
def volunteer(db, django_user_model, two_districts):
    return make_staff(
        django_user_model,
        "volunteer",
        roles.CHECKIN_VOLUNTEER,
        sub_events=[two_districts["own"]["subevent"]],
    )
