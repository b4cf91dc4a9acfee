"""In a real browser, the strict Content-Security-Policy blocks nothing that the public
pages and the staff admin need: no CSP violation is reported on any of them."""

import pytest
from django.core.management import call_command

from openday.events.models import SubEvent
from openday.registrations import manage_link
from openday.registrations.models import Registration, hash_token

TOKEN = "browser-check-token-0123456789abcdefghij"


@pytest.fixture
def demo_site(django_user_model, transactional_db):
    """Database work first: Playwright's event loop forbids it once the browser runs."""
    call_command("load_demo")
    django_user_model.objects.create_superuser("root", "root@example.com", "pw-Root-123")
    registration = Registration.objects.first()
    Registration.objects.filter(pk=registration.pk).update(manage_token_hash=hash_token(TOKEN))
    return registration, SubEvent.objects.first()


def test_public_and_admin_pages_run_under_the_strict_policy(demo_site, live_server, browser):
    registration, sub_event = demo_site
    public = ["/", sub_event.get_absolute_url(), manage_link.path_for_token(TOKEN)]
    admin_pages = [
        "/admin/",
        "/admin/registrations/registration/",
        "/admin/registrations/registration/add/",
        f"/admin/registrations/registration/{registration.pk}/change/",
        "/admin/events/subevent/",
        f"/admin/events/subevent/{sub_event.pk}/change/",
        "/admin/events/event/add/",
        "/admin/otp_totp/totpdevice/",
        "/admin/otp_totp/totpdevice/add/",
        "/admin/privacy/consentstatement/",
        "/admin/axes/accessattempt/",
    ]
    violations = []
    # No bypass_csp here: this test is about the policy itself.
    context = browser.new_context()
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    for path in public:
        assert page.goto(live_server.url + path).status == 200, path
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "pw-Root-123")
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + "/admin/")
    for path in admin_pages:
        assert page.goto(live_server.url + path).status == 200, path
    # An injected inline script would be refused: the policy is really enforced.
    page.goto(live_server.url + "/")
    page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.injected = true';
                   document.body.appendChild(s); }"""
    )
    injected = page.evaluate("() => window.injected === true")
    context.close()
    refused_injection = [v for v in violations if "inline script" in v]
    assert injected is False
    assert len(refused_injection) == 1
    assert [v for v in violations if v not in refused_injection] == []
