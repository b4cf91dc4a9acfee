"""Lighthouse scores of every public page a citizen meets, in Chinese and in English,
served as in production: gunicorn with DEBUG off behind Debian's nginx (gzip on, as in
docs/deploy/nginx.conf), against PostgreSQL.

    .venv/bin/python bench/lighthouse.py [--runs 1] [--keep]

Builds a database of its own (the demo open day with its feedback and photos), books one
registration for the ticket page, starts the servers on 127.0.0.1, runs Lighthouse
(mobile, its default throttling; installed with npm into .cache/lighthouse when it is not
on the PATH) against /usr/bin/chromium for each page, and prints one line per page: the
four category scores and the audits that did not pass. With --runs N each page is
measured N times and the median score is kept (Lighthouse's performance score moves
a few points between runs on a busy machine). The servers are stopped by their PIDs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    PYTHON,
    ROOT,
    Gunicorn,
    create_database,
    drop_database,
    machine,
    manage,
    server_environment,
)
from parts import Nginx  # noqa: E402

LIGHTHOUSE_VERSION = "12.8.2"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROMIUM = "/usr/bin/chromium"

# What the pages are, found in the demo: printed as JSON by a small script run in the
# app's environment (the ticket needs a booking made through the service).
FIND_PAGES = """
import json
from openday.events.models import Event, SubEvent, Venue
from openday.registrations import services
event = Event.objects.filter(is_published=True).order_by("starts_on").last()
activity = next(s for s in SubEvent.objects.filter(event=event).order_by("starts_at")
                if s.registration_open and not s.is_main_venue)
venue = Venue.objects.exclude(photo="").first() or Venue.objects.first()
booking = services.registration_create(
    sub_event_id=activity.pk, name="李雷", phone="13912345678", source="staff"
)
print(json.dumps({
    "programme": "/",
    "open day": event.get_absolute_url(),
    "activity": activity.get_absolute_url(),
    "form": activity.get_absolute_url() + "register/",
    "venue": venue.get_absolute_url(),
    "what we heard": f"/feedback/{event.slug}/heard/",
    "report": f"/feedback/{event.slug}/report/",
    "ticket": booking.manage_url,
}))
"""


def lighthouse_binary() -> list[str]:
    found = shutil.which("lighthouse")
    if found:
        return [found]
    prefix = ROOT / ".cache" / "lighthouse"
    binary = prefix / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        print(f"installing lighthouse {LIGHTHOUSE_VERSION} into {prefix}", flush=True)
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(prefix),
                "--no-audit",
                "--no-fund",
                "--silent",
                f"lighthouse@{LIGHTHOUSE_VERSION}",
            ],
            check=True,
        )
    return [str(binary)]


def audit(binary: list[str], url: str, folder: Path) -> tuple[dict[str, int], list[str]]:
    report = folder / "report.json"
    subprocess.run(
        [
            *binary,
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            f"--only-categories={','.join(CATEGORIES)}",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        ],
        check=True,
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        timeout=300,
    )
    data = json.loads(report.read_text())
    scores = {key: round(data["categories"][key]["score"] * 100) for key in CATEGORIES}
    failed = [
        name
        for name, result in data["audits"].items()
        if result.get("score") is not None
        and result["score"] < 1
        and result.get("scoreDisplayMode") in {"binary", "numeric", "metricSavings"}
    ]
    return scores, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/openday_lighthouse"
    )
    parser.add_argument("--port", type=int, default=8650)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    binary = lighthouse_binary()
    create_database(args.database_url, reuse=False)
    media = tempfile.mkdtemp(prefix="openday-lighthouse-media-")
    env = server_environment(args.database_url) | {"MEDIA_ROOT": media}
    servers = []
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "load_demo")
        manage(env, "load_demo_feedback")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        found = subprocess.run(
            [PYTHON, "manage.py", "shell", "-c", FIND_PAGES],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        pages = json.loads(found.stdout.strip().splitlines()[-1])
        gunicorn = Gunicorn(env, args.port, workers=3)
        servers.append(gunicorn)
        # nginx serves the photos from MEDIA_ROOT, as in docs/deploy/nginx.conf.
        nginx = Nginx(f"127.0.0.1:{args.port}", gzip=True, media_root=media)
        servers.append(nginx)
        base = f"http://127.0.0.1:{nginx.port}"
        print(machine())
        print(f"{'page':<22} {'perf':>4} {'a11y':>4} {'best':>4} {'seo':>4}  audits not passed")
        below = 0
        with tempfile.TemporaryDirectory(prefix="openday-lighthouse-") as folder:
            for language, prefix in (("zh", ""), ("en", "/en")):
                for name, path in pages.items():
                    runs = [
                        audit(binary, base + prefix + path, Path(folder)) for _ in range(args.runs)
                    ]
                    scores = {
                        key: round(statistics.median(run[0][key] for run in runs))
                        for key in CATEGORIES
                    }
                    failed = sorted({audit_id for run in runs for audit_id in run[1]})
                    below += sum(score < 100 for score in scores.values())
                    print(
                        f"{name + ' (' + language + ')':<22} "
                        + " ".join(f"{scores[key]:>4}" for key in CATEGORIES)
                        + "  "
                        + ", ".join(failed),
                        flush=True,
                    )
        print(f"scores under 100: {below}")
        return 0
    finally:
        for server in reversed(servers):
            (server.close if hasattr(server, "close") else server.stop)()
        shutil.rmtree(media, ignore_errors=True)
        if not args.keep:
            drop_database(args.database_url)


if __name__ == "__main__":
    sys.exit(main())
