import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openday.feedback.models import Feedback, Photo
from tests import factories
from tests.feedback import images

pytestmark = pytest.mark.django_db

UPLOAD = "admin:feedback_photo_upload"


def upload_data(event, *files, **extra):
    return {
        "event": event.pk,
        "files": list(files),
        "caption": "开放日现场",
        "credit": "宣传处",
        **extra,
    }


def test_photo_upload_anonymous_is_redirected_to_login(client):
    response = client.get(reverse(UPLOAD))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_photo_upload_without_permission_is_403(client, django_user_model):
    staff = django_user_model.objects.create_user("clerk", password="pw-Clerk-123", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_photo"))
    client.force_login(staff)
    assert client.get(reverse(UPLOAD)).status_code == 403


def test_photo_add_page_is_the_upload_form(admin_client):
    response = admin_client.get(reverse("admin:feedback_photo_add"))
    assert response.status_code == 200
    assert 'type="file"' in response.text and "multiple" in response.text


def test_photo_upload_several_at_once(admin_client, sub_event):
    files = [images.upload(f"{n}.jpg", images.jpeg_bytes()) for n in range(3)]
    response = admin_client.post(
        reverse(UPLOAD), upload_data(sub_event.event, *files, sub_event=sub_event.pk)
    )
    assert response.status_code == 302
    photos = Photo.objects.all()
    assert len(photos) == 3
    assert {p.sub_event_id for p in photos} == {sub_event.pk}
    assert [p.sort_order for p in photos] == [1, 2, 3]
    assert all(p.thumbnail and p.web_image and p.caption == "开放日现场" for p in photos)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("archive.jpg", images.zip_bytes(), "This file is not an image."),
        ("pixel.jpg", images.jpeg_bytes(size=(1, 1)), "a photo needs at least 200 pixels"),
        ("huge.png", images.png_bomb_bytes(), "too large in pixels"),
        ("cut.jpg", images.jpeg_bytes(size=(1600, 1200))[:5000], "damaged or incomplete"),
    ],
)
def test_photo_upload_bad_file_is_refused_with_message(
    admin_client, sub_event, name, content, message
):
    good = images.upload("good.jpg", images.jpeg_bytes())
    response = admin_client.post(
        reverse(UPLOAD), upload_data(sub_event.event, good, images.upload(name, content))
    )
    assert response.status_code == 200
    assert name in response.text and message in response.text
    assert Photo.objects.count() == 0


def test_photo_upload_cmyk_jpeg_is_accepted(admin_client, sub_event):
    cmyk = images.upload("print.jpg", images.jpeg_bytes(mode="CMYK", colour=(0, 50, 100, 0)))
    response = admin_client.post(reverse(UPLOAD), upload_data(sub_event.event, cmyk))
    assert response.status_code == 302
    assert Photo.objects.count() == 1


def test_photo_upload_activity_of_other_event_is_refused(admin_client, sub_event):
    other = factories.EventFactory()
    response = admin_client.post(
        reverse(UPLOAD),
        upload_data(other, images.upload("a.jpg", images.jpeg_bytes()), sub_event=sub_event.pk),
    )
    assert response.status_code == 200
    assert "belongs to another open day" in response.text
    assert Photo.objects.count() == 0


def test_photo_upload_without_files_is_refused(admin_client, sub_event):
    response = admin_client.post(reverse(UPLOAD), upload_data(sub_event.event))
    assert response.status_code == 200
    assert Photo.objects.count() == 0


def test_photo_new_cover_replaces_old(admin_client, sub_event):
    files = [images.upload(f"{n}.jpg", images.jpeg_bytes()) for n in range(2)]
    admin_client.post(reverse(UPLOAD), upload_data(sub_event.event, *files))
    first, second = Photo.objects.all()
    for photo in (first, second):
        response = admin_client.post(
            reverse("admin:feedback_photo_change", args=[photo.pk]),
            {
                "caption": photo.caption,
                "credit": "",
                "is_cover": "on",
                "sort_order": photo.sort_order,
            },
        )
        assert response.status_code == 302
    assert list(Photo.objects.filter(is_cover=True)) == [second]


def feedback_form(feedback, **changes):
    data = {
        "event": feedback.event_id,
        "category": feedback.category,
        "rating": feedback.rating or "",
        "text": feedback.text,
        "status": feedback.status,
        "public_reply": feedback.public_reply,
        "internal_notes": "",
    }
    data.update(changes)
    if data.get("is_published") is False:
        data.pop("is_published")
    return data


def test_feedback_reply_dates_and_answers(admin_client):
    feedback = factories.FeedbackFactory()
    url = reverse("admin:feedback_feedback_change", args=[feedback.pk])
    response = admin_client.post(
        url, feedback_form(feedback, public_reply="感谢您的建议。", is_published="on")
    )
    assert response.status_code == 302
    feedback.refresh_from_db()
    assert feedback.status == Feedback.Status.ANSWERED
    assert feedback.replied_at is not None and feedback.is_published


def test_feedback_publish_without_reply_is_refused(admin_client):
    feedback = factories.FeedbackFactory()
    url = reverse("admin:feedback_feedback_change", args=[feedback.pk])
    response = admin_client.post(url, feedback_form(feedback, is_published="on"))
    assert response.status_code == 200
    assert "Write a public reply before publishing" in response.text
    feedback.refresh_from_db()
    assert not feedback.is_published


def test_feedback_publish_action_skips_unanswered(admin_client):
    answered = factories.FeedbackFactory(public_reply="已处理")
    unanswered = factories.FeedbackFactory()
    response = admin_client.post(
        reverse("admin:feedback_feedback_changelist"),
        {"action": "publish", "_selected_action": [answered.pk, unanswered.pk]},
        follow=True,
    )
    assert "1 suggestion published." in response.text
    assert "has no public reply yet" in response.text
    answered.refresh_from_db()
    unanswered.refresh_from_db()
    assert answered.is_published and not unanswered.is_published


def test_feedback_take_on_assigns_to_me(admin_client, superuser):
    feedback = factories.FeedbackFactory()
    admin_client.post(
        reverse("admin:feedback_feedback_changelist"),
        {"action": "take_on", "_selected_action": [feedback.pk]},
    )
    feedback.refresh_from_db()
    assert (feedback.status, feedback.assignee) == (Feedback.Status.IN_PROGRESS, superuser)


def test_photo_change_to_activity_of_other_event_is_refused(admin_client, sub_event):
    admin_client.post(
        reverse(UPLOAD), upload_data(sub_event.event, images.upload("a.jpg", images.jpeg_bytes()))
    )
    photo = Photo.objects.get()
    elsewhere = factories.SubEventFactory()
    response = admin_client.post(
        reverse("admin:feedback_photo_change", args=[photo.pk]),
        {"sub_event": elsewhere.pk, "caption": "x", "credit": "", "sort_order": 1},
    )
    assert response.status_code == 200
    assert "belongs to another open day" in response.text
    photo.refresh_from_db()
    assert photo.sub_event is None


@pytest.mark.parametrize("model", ["feedback", "photo"])
def test_changelist_queries_do_not_grow_with_rows(admin_client, sub_event, model):
    def add_rows():
        factories.FeedbackFactory(
            event=sub_event.event,
            sub_event=sub_event,
            district=factories.DistrictFactory(),
            public_reply="已答复",
        )
        admin_client.post(
            reverse(UPLOAD),
            upload_data(
                sub_event.event,
                images.upload("a.jpg", images.jpeg_bytes()),
                sub_event=sub_event.pk,
            ),
        )

    url = reverse(f"admin:feedback_{model}_changelist")
    add_rows()
    admin_client.get(url)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    for _ in range(3):
        add_rows()
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(url)
    assert response.context["cl"].result_count == 4
    assert len(many) == len(few)
