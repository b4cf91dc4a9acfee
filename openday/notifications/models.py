"""Delivery records: one row per message per channel, written before anything is sent.

A row is the promise that a message goes out once: its `idempotency_key` is unique, so
an event told twice (a command run twice, two processes at once) records it once, and
a worker sends a row only after claiming it with one conditional UPDATE (queued or
retrying → sending), so a task run twice sends it once.

Parameters never hold a secret: the manage link is derived again from the registration
when the message is sent, and a verification code travels only to the gateway.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openday.core.phone import mask_phone

from .kinds import Kind


class NotificationQuerySet(models.QuerySet):
    def due(self, now=None):
        """Waiting to be sent and due now (after the night, a budget pause or a backoff)."""
        now = now or timezone.now()
        return self.filter(
            status__in=[Notification.Status.QUEUED, Notification.Status.RETRYING],
            send_after__lte=now,
        )

    def waiting(self):
        return self.filter(status__in=[Notification.Status.QUEUED, Notification.Status.RETRYING])


class Notification(models.Model):
    class Channel(models.TextChoices):
        SMS = "sms", _("text message")
        EMAIL = "email", _("e-mail")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        RETRYING = "retrying", _("waiting to be tried again")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("not sent (no template for this kind)")

    registration = models.ForeignKey(
        "registrations.Registration",
        verbose_name=_("registration"),
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    sub_event = models.ForeignKey(
        "events.SubEvent",
        verbose_name=_("activity"),
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    # Only for messages that belong to no registration (a reply to a suggestion): the
    # registration's own number and address are read when its messages are sent.
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    template_id = models.CharField(_("template"), max_length=64, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    provider_message_id = models.CharField(_("provider message ID"), max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error_code = models.CharField(_("error"), max_length=40, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    # Not before this moment: the end of the night, a budget pause, a retry's backoff.
    send_after = models.DateTimeField(_("not before"), default=timezone.now)
    # When a worker last took the row (a row left `sending` long after is taken back) or
    # when it was last handed to the task queue.
    claimed_at = models.DateTimeField(_("taken by a worker"), null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # What `send_due_notifications` looks for, and the dashboard counts.
            models.Index(fields=["status", "send_after"], name="notification_due_idx"),
            models.Index(fields=["sub_event", "status"], name="notification_activity_idx"),
            models.Index(fields=["channel", "sent_at"], name="notification_sent_idx"),
        ]
        constraints = [
            # A message still to be sent has someone to go to; one that went out may
            # have lost its recipient to the retention purge.
            models.CheckConstraint(
                condition=~Q(
                    registration__isnull=True,
                    phone="",
                    email="",
                    status__in=["queued", "retrying", "sending"],
                ),
                name="notification_waiting_has_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_channel_display()}"

    @property
    def recipient_display(self) -> str:
        """Who it goes to as staff may see it: a masked number or the e-mail address."""
        if self.channel == self.Channel.SMS:
            phone = self.registration.phone if self.registration_id else self.phone
            return mask_phone(phone)
        return self.registration.email if self.registration_id else self.email


class ReminderOptOut(models.Model):
    """The registrant asked for no reminder (from the manage page)."""

    registration = models.OneToOneField(
        "registrations.Registration",
        verbose_name=_("registration"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="reminder_opt_out",
    )
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminders turned off")
        verbose_name_plural = _("reminders turned off")
