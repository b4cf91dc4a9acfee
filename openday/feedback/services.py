"""What citizens send us and what staff answer: the only place that creates feedback or
records a reply. The public forms and the admin both call these functions."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openday.core.refusals import Refusal
from openday.events.models import District, Event, SubEvent
from openday.notifications import services as notify
from openday.registrations.models import Registration

from .models import Feedback


class FeedbackError(Refusal):
    """A feedback rule refused the request."""

    code = "feedback_refused"
    message = _("Your feedback could not be saved.")


class SurveyNotOpen(FeedbackError):
    code = "survey_not_open"
    message = _("The satisfaction survey opens once you have checked in or the activity is over.")


class SurveyAlreadyAnswered(FeedbackError):
    code = "survey_answered"
    message = _("You have already answered the satisfaction survey. Thank you!")


def survey_open_for(registration: Registration) -> bool:
    """A registrant may rate an activity they took part in: checked in, or booked and the
    activity is over. Cancelled registrations and cancelled activities may not."""
    sub_event = registration.sub_event
    if registration.status != Registration.Status.CONFIRMED or sub_event.is_cancelled:
        return False
    return registration.checked_in_at is not None or sub_event.is_past


@transaction.atomic
def suggestion_create(
    *,
    event: Event,
    sub_event: SubEvent | None = None,
    district: District | None = None,
    category: str,
    text: str,
    rating: int | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    contact_consent: bool = False,
) -> Feedback:
    """A suggestion from the public form. Contact details are kept only with consent."""
    if sub_event is not None:
        district = sub_event.district
    if not contact_consent:
        contact_name = contact_phone = contact_email = ""
    return Feedback.objects.create(
        event=event,
        sub_event=sub_event,
        district=district,
        category=category,
        text=text,
        rating=rating,
        contact_name=contact_name,
        contact_phone=contact_phone,
        contact_email=contact_email,
        contact_consent=contact_consent and bool(contact_name or contact_phone or contact_email),
    )


def survey_answer_create(*, registration: Registration, rating: int, text: str = "") -> Feedback:
    """One answer per registration: the one-to-one column refuses a second one even when
    two submissions race."""
    if not survey_open_for(registration):
        raise SurveyNotOpen
    sub_event = registration.sub_event
    try:
        with transaction.atomic():
            return Feedback.objects.create(
                event_id=sub_event.event_id,
                sub_event=sub_event,
                district_id=sub_event.district_id,
                registration=registration,
                category=Feedback.Category.SURVEY,
                rating=rating,
                text=text,
            )
    except IntegrityError as error:
        if Feedback.objects.filter(registration=registration).exists():
            raise SurveyAlreadyAnswered from error
        raise


def feedback_record_reply(*, feedback: Feedback, previous_reply: str) -> None:
    """Keep the answer date and status in step with the public reply before a save: a new
    or changed reply is dated now and marks a new suggestion answered."""
    if feedback.public_reply and feedback.public_reply != previous_reply:
        feedback.replied_at = timezone.now()
        if feedback.status in {Feedback.Status.NEW, Feedback.Status.IN_PROGRESS}:
            feedback.status = Feedback.Status.ANSWERED
    if not feedback.public_reply:
        feedback.replied_at = None
        feedback.is_published = False


def feedback_reply_published(*, feedback: Feedback) -> None:
    """A saved reply is on the "what we heard" page: its author hears of it once, if they
    agreed to be contacted."""
    notify.notify_suggestion_replied(feedback)
