"""Take every screenshot the README shows, from the demo open day: `make screenshots`.

Builds a fresh demo database in a temporary folder (SQLite, with its photos and
suggestions), serves it on 127.0.0.1 at a free port, walks through the pages in headless
Chromium as a citizen on a phone and at a desktop and as staff, and writes each PNG that
README.md names into docs/screenshots/. The server is stopped by its PID at the end.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # The server speaks plain HTTP.
    "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
# The door list as a page at 80 dots per inch: A4 is 662 pixels wide.
DOOR_LIST_DPI = 80


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("CACHE_URL", "REDIS_URL", "OPENDAY_SMS_TEMPLATES"):
        env.pop(name, None)
    env.update(
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        MEDIA_ROOT=str(folder / "media"),
        SECRET_KEY=secrets.token_urlsafe(50),
        DEBUG="true",
        SECURE_SSL_REDIRECT="false",
        OPENDAY_RATELIMIT="off",
        # The form asks for the code texted to the phone; texts are written to files.
        OPENDAY_PHONE_VERIFICATION="true",
        OPENDAY_SMS_BACKEND="file",
        OPENDAY_SMS_FILE_PATH=str(folder / "sms"),
        TASKS_BACKEND="immediate",
        LOG_LEVEL="WARNING",
    )
    return env


class Server:
    """`manage.py runserver` on 127.0.0.1:port, stopped by its PID."""

    def __init__(self, env: dict[str, str], log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited:\n{log.read_text(errors='replace')}")
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except (OSError, http.client.HTTPException):
                time.sleep(0.3)
            finally:
                connection.close()
        self.stop()
        raise SystemExit("the server did not answer /healthz within a minute")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def shoot(page, name: str) -> None:
    """A full-page picture, lazy images loaded and painted first."""
    page.eval_on_selector_all("img", "imgs => imgs.forEach(i => { i.loading = 'eager'; })")
    for _attempt in range(100):
        if page.evaluate("[...document.images].every(i => i.complete)"):
            break
        page.wait_for_timeout(100)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_timeout(300)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(FOLDER / f"{name}.png"), full_page=True)
    print(f"docs/screenshots/{name}.png")


def until(page, expression: str, attempts: int = 300) -> None:
    """Wait until `expression` is true (wait_for_function would need eval, which the
    Content-Security-Policy forbids)."""
    for _attempt in range(attempts):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise SystemExit(f"never true on {page.url}: {expression}")


def texted_code(sms: Path, phone: str) -> str:
    for _attempt in range(50):
        for path in sorted(sms.glob("*"), key=lambda p: p.stat().st_mtime, reverse=True):
            text = path.read_text(encoding="utf-8")
            if phone in text and (found := re.search(r"\b(\d{6})\b", text)):
                return found.group(1)
        time.sleep(0.1)
    raise SystemExit(f"no code was texted to {phone}")


def citizen(browser, server: Server, sms: Path, device: str, phone: str) -> None:
    """Programme, an activity, the form with errors, the texted code and the ticket."""
    from openday.events.models import SubEvent

    sub_event = (
        SubEvent.objects.with_places_left()
        .filter(format__slug="enforcement-experience", is_cancelled=False, places_left__gt=0)
        .order_by("starts_at")
        .first()
    )
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", **(PHONE if device == "phone" else DESKTOP)
    )
    page = context.new_page()
    page.goto(server.url + "/")
    shoot(page, f"programme-{device}")
    page.goto(server.url + sub_event.get_absolute_url())
    shoot(page, f"subevent-{device}")

    page.click(".register-action a")
    page.fill("input[name=name]", "王芳")
    page.fill("input[name=phone]", "138 0013")
    page.click("form.registration-form button[type=submit]")
    page.wait_for_selector("#form-errors")
    shoot(page, f"form-errors-{device}")

    page.fill("input[name=phone]", phone)
    page.check("input[name=consent]")
    page.click("form.registration-form button[type=submit]")
    page.wait_for_selector("input[name=code]")
    if device == "phone":
        shoot(page, "verify-code")
    page.fill("input[name=code]", texted_code(sms, phone))
    page.click("button[value=check]")
    page.wait_for_url("**/r/**")
    page.wait_for_selector("svg.ticket-qr")
    shoot(page, f"ticket-{device}")
    context.close()


def erase_data(browser, server: Server) -> None:
    """After an activity, someone who came asks to delete their data."""
    from openday.registrations import manage_link
    from openday.registrations.models import Registration

    registration = (
        Registration.objects.confirmed()
        .filter(sub_event__ends_at__lt=dt.datetime.now(dt.UTC), checked_in_at__isnull=False)
        .order_by("pk")
        .first()
    )
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **PHONE)
    page = context.new_page()
    page.goto(server.url + manage_link.manage_path(registration))
    page.click("text=删除我的个人信息")
    page.wait_for_url("**/delete/")
    shoot(page, "erase-data")
    context.close()


def heard_and_report(browser, server: Server) -> None:
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **PHONE)
    page = context.new_page()
    page.goto(f"{server.url}/feedback/open-day/heard/", wait_until="networkidle")
    shoot(page, "what-we-heard")
    context.close()
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **DESKTOP)
    page = context.new_page()
    page.goto(f"{server.url}/feedback/open-day/report/", wait_until="networkidle")
    shoot(page, "report")
    context.close()


def staff_context(browser, server: Server, **options):
    """A browser logged in as the demo's city organiser (a superuser)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(
        username="admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": server.url,
            }
        ]
    )
    return context


def staff(browser, server: Server) -> None:
    """The dashboard, check-in at today's activity online and offline, the door list."""
    import pypdfium2
    from django.utils import timezone

    from openday.events.models import Event, SubEvent
    from openday.registrations.models import Registration

    event = Event.objects.get(slug="open-day")
    context = staff_context(browser, server, **DESKTOP)
    page = context.new_page()
    page.goto(f"{server.url}/staff/?event={event.pk}")
    page.wait_for_selector("svg.chart")
    shoot(page, "staff-dashboard")

    today = SubEvent.objects.filter(
        event=event, is_cancelled=False, starts_at__date=timezone.localdate()
    ).first()
    door_list = page.request.get(f"{server.url}/staff/activities/{today.pk}/door-list.pdf")
    pdf = pypdfium2.PdfDocument(door_list.body())
    pdf[0].render(scale=DOOR_LIST_DPI / 72).to_pil().save(FOLDER / "door-list.png")
    pdf.close()
    print("docs/screenshots/door-list.png")
    context.close()

    waiting = list(
        Registration.objects.confirmed()
        .filter(sub_event=today, checked_in_at__isnull=True)
        .order_by("-party_size", "pk")[:3]
    )
    context = staff_context(browser, server, **PHONE)
    page = context.new_page()
    page.goto(f"{server.url}/staff/checkin/?sub_event={today.pk}")
    page.fill("#checkin-code", waiting[0].reference)
    page.click("#checkin-lookup button[type=submit]")
    page.wait_for_selector(".checkin-name")
    shoot(page, "staff-checkin-phone")

    # Without signal: the page still opens from the service worker, and scans wait.
    page.goto(f"{server.url}/staff/checkin/?sub_event={today.pk}")
    until(page, "document.querySelector('[data-state=refreshed]').textContent.includes(':')")
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()
    until(page, "document.querySelector('[data-state=refreshed]').textContent.includes(':')")
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#checkin-offline:not([hidden])")
    for registration in waiting[1:]:
        page.fill("#checkin-code", registration.checkin_code)
        page.click("#checkin-lookup button[type=submit]")
        page.wait_for_selector("#checkin-local:not([hidden])")
        page.click("#checkin-local-confirm button")
    until(page, "document.querySelector('[data-state=queued]').textContent === '2'")
    shoot(page, "staff-checkin-offline")
    context.close()


def main() -> int:
    from playwright.sync_api import sync_playwright

    FOLDER.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="openday-screenshots-") as temporary:
        folder = Path(temporary)
        env = environment(folder)
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "openday.settings"
        # Playwright's sync API runs an event loop in this thread; the ORM calls between
        # browser steps are plain synchronous calls all the same.
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        sys.path.insert(0, str(ROOT))
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", "--noinput", verbosity=0)
        call_command("load_demo", verbosity=0)
        call_command("load_demo_feedback", verbosity=0)
        server = Server(env, folder / "server.log")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                citizen(browser, server, folder / "sms", "phone", "13800138000")
                citizen(browser, server, folder / "sms", "desktop", "13900139000")
                erase_data(browser, server)
                heard_and_report(browser, server)
                staff(browser, server)
                browser.close()
        except BaseException:
            print(f"server log:\n{server.log.read_text(errors='replace')[-5000:]}", file=sys.stderr)
            raise
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
