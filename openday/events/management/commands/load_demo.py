"""The demo open day: a city-wide urban-management open day in a coastal city, dated from
today so that registration is open. Idempotent: a second run creates nothing.

`--subevents N --registrations M` adds generated volume for benchmarks, in bulk.
"""

import datetime as dt
import random

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Case, DateTimeField, Value, When
from django.utils import timezone
from pypinyin import lazy_pinyin
from tqdm import tqdm

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
from openday.registrations import manage_link, services
from openday.registrations.models import Registration, new_reference

EVENT_SLUG = "open-day"

DISTRICTS = [
    ("shinan", "市南区"),
    ("shibei", "市北区"),
    ("licang", "李沧区"),
    ("laoshan", "崂山区"),
    ("huangdao", "黄岛区"),
    ("chengyang", "城阳区"),
    ("jimo", "即墨区"),
    ("jiaozhou", "胶州市"),
    ("pingdu", "平度市"),
    ("laixi", "莱西市"),
]

# Roughly where each district's offices are, for the venues' map links.
DISTRICT_CENTRES = {
    "shinan": (36.0667, 120.3833),
    "shibei": (36.0875, 120.3747),
    "licang": (36.1450, 120.4328),
    "laoshan": (36.1072, 120.4686),
    "huangdao": (35.9606, 120.1981),
    "chengyang": (36.3073, 120.3963),
    "jimo": (36.3893, 120.4473),
    "jiaozhou": (36.2644, 120.0335),
    "pingdu": (36.7869, 119.9597),
    "laixi": (36.8880, 120.5177),
}

FORMATS = [
    (
        "enforcement-experience",
        "城管执法体验日",
        "市民跟随执法队员上街巡查，亲身体验城市管理执法的日常工作。名额有限，需提前报名。",
    ),
    (
        "law-in-community",
        "城管法律进社区",
        "执法队员走进社区，讲解市容环境、文明养犬、垃圾分类等法规，现场解答居民疑问。",
    ),
    (
        "service-in-community",
        "城管服务进社区",
        "在社区开展便民服务：小修小补、园林养护咨询、违建与占道问题受理。",
    ),
    (
        "face-to-face",
        "城管与您面对面",
        "座谈交流会，面对面听取市民对城市管理工作的意见和建议。",
    ),
]

GROUPS = [
    ("deputies", "两会代表委员", "人大代表和政协委员"),
    ("committee", "市城管委公众委员", "市城市管理委员会公众委员"),
    ("experts", "专家库成员", "城市管理专家库成员"),
    ("citizens", "市民代表", "各区市推荐的市民代表"),
    ("students", "学生代表", "驻青高校及中学的学生代表"),
]

MAIN_AGENDA = [
    (dt.time(9, 0), dt.time(9, 30), "签到入场", "在五四广场东侧签到处领取参观证。"),
    (dt.time(9, 30), dt.time(10, 0), "指挥中心观看城管宣传片", "了解城市管理指挥中心如何运转。"),
    (dt.time(10, 0), dt.time(10, 30), "5G视频调度现场演示", "通过5G执法记录仪实时调度一线队员。"),
    (dt.time(10, 30), dt.time(11, 0), "无人机巡查喊话演示", "无人机空中巡查并通过喊话器劝导。"),
    (
        dt.time(11, 0),
        dt.time(11, 30),
        "法治宣传展台",
        "文明养犬、文明祭祀、垃圾分类主题宣传，现场答疑。",
    ),
    (
        dt.time(11, 30),
        dt.time(12, 30),
        "参观示范中队和整治小区",
        "乘车参观市南区示范执法中队及老旧小区整治成果。",
    ),
]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鑫浩宇子涵欣怡晨阳"


def demo_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def demo_phone(n: int) -> str:
    # 139xxxxxxxx numbers in a block reserved for the demo.
    return f"139{n:08d}"


def demo_email(name: str, n: int) -> str:
    # example.com is reserved for examples: no message can reach a real person.
    return f"{''.join(lazy_pinyin(name))}{n % 100:02d}@example.com"


def demo_booking_times(
    rng: random.Random, count: int, opens: dt.datetime, closes: dt.datetime
) -> list[dt.datetime]:
    """When `count` people booked, in order: many on the day booking opened, fewer after,
    more again as the day comes closer; in waking hours, between `opens` and `closes`."""
    tz = timezone.get_current_timezone()
    first, last = timezone.localdate(opens), timezone.localdate(closes)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    weights = [4.0 if n == 0 else 1.0 + 0.5 * n for n in range(len(days))]
    times = []
    for _ in range(count):
        for _attempt in range(20):
            day = rng.choices(days, weights)[0]
            hour = rng.choices(range(7, 23), [1, 2, 3, 3, 3, 4, 3, 2, 2, 2, 2, 3, 4, 4, 3, 2])[0]
            moment = dt.datetime.combine(day, dt.time(hour, rng.randrange(60)), tzinfo=tz)
            if opens <= moment < closes:
                break
        else:
            # A narrow window (a waiting list filled just now): anywhere inside it.
            moment = opens + max(closes - opens, dt.timedelta(0)) * rng.random()
        times.append(moment)
    return sorted(times)


class Bookings:
    """The demo's registrations, made in bulk: parties of one to three where the activity
    allows, booked over the days since booking opened, some with an e-mail address, and
    checked in as people arrived at activities that have begun."""

    def __init__(self, rng: random.Random, *, now: dt.datetime, opens: dt.datetime):
        self.names = rng
        # Times, party sizes and e-mail addresses draw from their own sequence, so that the
        # names and fill levels stay what they were before these details existed.
        self.details = random.Random(2027)
        self.now, self.opens = now, opens
        self.rows: list[Registration] = []
        self.times: list[dt.datetime] = []
        self.last: dict[int, dt.datetime] = {}
        self.counts: dict[int, int] = {}

    def add(self, sub_event, places, *, block, status="confirmed", invitation=None) -> None:
        parties = []
        while sum(parties) < places:
            size = self.details.choices((1, 2, 3), (6, 3, 1))[0]
            parties.append(min(size, sub_event.max_party_size, places - sum(parties)))
        opens = sub_event.registration_opens_at or self.opens
        if status == Registration.Status.WAITLISTED:
            # The waiting list began once the places were taken.
            opens = max(opens, self.last.get(sub_event.pk, opens))
        closes = min(self.now, sub_event.registration_closes_at or sub_event.starts_at)
        times = demo_booking_times(self.details, len(parties), opens, closes)
        if times:
            self.last[sub_event.pk] = times[-1]
        for party_size, booked_at in zip(parties, times, strict=True):
            index = self.counts.get(sub_event.pk, 0)
            self.counts[sub_event.pk] = index + 1
            name = demo_name(self.names)
            # Most arrive around the start; one in five does not come.
            arrived = sub_event.starts_at + dt.timedelta(minutes=index * 7 % 40 - 15)
            came = status == "confirmed" and index % 5 and arrived <= self.now
            self.rows.append(
                Registration(
                    sub_event=sub_event,
                    invitation=invitation,
                    name=name,
                    phone=demo_phone(block * 1000 + index),
                    email=demo_email(name, index) if self.details.random() < 0.3 else "",
                    party_size=party_size,
                    status=status,
                    reference=new_reference(),
                    **manage_link.new_link()[0],
                    consent_version="demo",
                    consent_given_at=booked_at,
                    checked_in_at=arrived if came else None,
                    checked_in_people=party_size if came else None,
                    checked_in_device="door-1" if came else "",
                )
            )
            self.times.append(booked_at)

    def save(self) -> None:
        Registration.objects.bulk_create(self.rows)
        # `created_at` is set on insert; the booking times are written after, in one go.
        Registration.objects.filter(pk__in=[row.pk for row in self.rows]).update(
            created_at=Case(
                *(
                    When(pk=row.pk, then=Value(at))
                    for row, at in zip(self.rows, self.times, strict=True)
                ),
                output_field=DateTimeField(),
            )
        )


class Command(BaseCommand):
    help = "Load the demo open day (idempotent). Optionally add generated volume."

    def add_arguments(self, parser):
        parser.add_argument(
            "--subevents", type=int, default=0, help="Generated sub-events to add, for benchmarks."
        )
        parser.add_argument(
            "--registrations",
            type=int,
            default=0,
            help="Generated registrations spread over the generated sub-events.",
        )

    def handle(self, *args, subevents: int, registrations: int, **options):
        if subevents < 0 or registrations < 0:
            raise CommandError("--subevents and --registrations must not be negative")
        if registrations and not subevents and not self._generated().exists():
            raise CommandError("--registrations needs --subevents to spread them over")
        with transaction.atomic():
            event, created = self.load_programme()
        if created:
            self.stdout.write(self.style.SUCCESS(f"Loaded the demo open day: {event.title}"))
        else:
            self.stdout.write("The demo open day is already loaded; nothing changed.")
        if subevents or registrations:
            self.generate_volume(event, subevents, registrations)

    # --- the demo programme -------------------------------------------------------------

    def load_programme(self) -> tuple[Event, bool]:
        existing = Event.objects.filter(slug=EVENT_SLUG).first()
        if existing:
            return existing, False

        rng = random.Random(2026)
        today = timezone.localdate()
        tz = timezone.get_current_timezone()

        def at(day_offset: int, hour: int, minute: int = 0) -> dt.datetime:
            day = today + dt.timedelta(days=day_offset)
            return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)

        districts = {
            slug: District.objects.get_or_create(
                slug=slug, defaults={"name": name, "sort_order": index}
            )[0]
            for index, (slug, name) in enumerate(DISTRICTS)
        }
        formats = {
            slug: ActivityFormat.objects.get_or_create(
                slug=slug, defaults={"name": name, "description": text, "sort_order": index}
            )[0]
            for index, (slug, name, text) in enumerate(FORMATS)
        }
        groups = {
            slug: InvitedGroup.objects.get_or_create(
                slug=slug, defaults={"name": name, "description": text, "sort_order": index}
            )[0]
            for index, (slug, name, text) in enumerate(GROUPS)
        }

        event = Event.objects.create(
            slug=EVENT_SLUG,
            title=f"{today.year}年城市管理公众开放日",
            theme="青岛城管 在您身边",
            organiser="青岛市城市管理局",
            starts_on=today - dt.timedelta(days=2),
            ends_on=today + dt.timedelta(days=12),
            is_published=True,
            description=(
                "一年一度的城市管理公众开放日向全体市民敞开大门。主会场设在五四广场，"
                "邀请两会代表委员、公众委员、专家和市民学生代表走进指挥中心，"
                "观看5G视频调度和无人机巡查演示；十个区市同步开展执法体验、法律进社区、"
                "服务进社区和“城管与您面对面”等活动，欢迎市民报名参加。"
            ),
        )

        square = Venue.objects.create(
            name="五四广场",
            slug="may-fourth-square",
            district=districts["shinan"],
            address="青岛市市南区东海西路35号",
            directions="地铁2号线五四广场站C口出，步行约3分钟。",
            latitude="36.061856",
            longitude="120.384659",
        )
        main = SubEvent.objects.create(
            event=event,
            title="主会场：城市管理公众开放日启动仪式",
            is_main_venue=True,
            venue=square,
            starts_at=at(5, 9),
            ends_at=at(5, 12, 30),
            capacity=100,
            max_party_size=1,
            waitlist_enabled=False,
            is_published=True,
            description=(
                "启动仪式后，受邀嘉宾参观指挥中心、观看5G视频调度与无人机巡查演示，"
                "走访法治宣传展台，并实地参观示范执法中队和整治小区。"
            ),
            what_to_bring="请携带身份证和邀请短信，着便于步行的服装。",
        )
        for start, end, title, text in MAIN_AGENDA:
            AgendaItem.objects.create(
                sub_event=main, starts_at=start, ends_at=end, title=title, description=text
            )
        # Invited guests booked most of their seats with their codes.
        booking = Bookings(rng, now=timezone.now(), opens=at(-7, 9))
        invitations = {}
        for group, booked in zip(groups.values(), (17, 14, 11, 16, 10), strict=True):
            invitation = Invitation.objects.create(sub_event=main, group=group, seats=20)
            invitations[group.slug] = invitation
            booking.add(main, booked, block=0, invitation=invitation)

        plans = [
            # (district, format, day offset, hour, capacity, state)
            ("shinan", "enforcement-experience", 3, 9, 12, "nearly_full"),
            ("shinan", "face-to-face", 6, 14, 40, ""),
            ("shibei", "enforcement-experience", 4, 9, 10, "waitlist"),
            ("shibei", "law-in-community", 7, 15, 60, ""),
            ("licang", "service-in-community", 4, 9, 50, ""),
            ("licang", "enforcement-experience", 8, 9, 12, "invitations"),
            ("laoshan", "law-in-community", 5, 14, 80, ""),
            ("laoshan", "face-to-face", 9, 9, 30, "invitations"),
            ("huangdao", "enforcement-experience", 6, 9, 15, ""),
            ("huangdao", "service-in-community", 10, 9, 60, ""),
            ("chengyang", "law-in-community", 3, 15, 40, "cancelled"),
            ("laoshan", "service-in-community", 0, 9, 60, "today"),
            ("chengyang", "enforcement-experience", 7, 9, 12, ""),
            ("jimo", "service-in-community", 6, 9, 40, ""),
            ("jimo", "face-to-face", -2, 14, 30, "past"),
            ("jiaozhou", "enforcement-experience", 8, 9, 10, ""),
            ("jiaozhou", "law-in-community", 11, 14, 50, ""),
            ("pingdu", "service-in-community", 9, 9, 50, ""),
            ("pingdu", "face-to-face", 11, 14, 30, ""),
            ("laixi", "law-in-community", 10, 9, 40, ""),
            ("laixi", "enforcement-experience", 12, 9, 10, ""),
        ]
        venue_kind = {
            "enforcement-experience": (
                "执法中队",
                "squadron",
                "中队门口集合，由带队队员讲解安全须知。",
                (0.0042, -0.0061),
            ),
            "law-in-community": (
                "社区党群服务中心",
                "community-centre",
                "在服务中心一楼多功能厅。",
                (-0.0053, 0.0034),
            ),
            "service-in-community": (
                "社区广场",
                "community-square",
                "社区广场东侧服务台。",
                (0.0021, 0.0072),
            ),
            "face-to-face": (
                "城市管理局会议室",
                "bureau",
                "一楼大厅登记后由工作人员引导。",
                (-0.0031, -0.0044),
            ),
        }
        titles = {
            "enforcement-experience": "跟着城管去巡查：{d}执法体验日",
            "law-in-community": "{d}城管法律进社区：文明养犬与垃圾分类",
            "service-in-community": "{d}城管服务进社区：便民服务集市",
            "face-to-face": "城管与您面对面：{d}市民座谈会",
        }
        streets = ["香港中路", "延安路", "重庆路", "黑龙江路", "长江路"]
        for number, (district_slug, format_slug, day, hour, capacity, state) in enumerate(
            plans, start=1
        ):
            district = districts[district_slug]
            kind_name, kind_slug, directions, (north, east) = venue_kind[format_slug]
            latitude, longitude = DISTRICT_CENTRES[district_slug]
            venue, _ = Venue.objects.get_or_create(
                slug=f"{district_slug}-{kind_slug}",
                defaults={
                    "name": f"{district.name}{kind_name}",
                    "district": district,
                    "address": f"青岛市{district.name}{rng.choice(streets)}{rng.randint(1, 300)}号",
                    "directions": directions,
                    "latitude": f"{latitude + north:.6f}",
                    "longitude": f"{longitude + east:.6f}",
                },
            )
            starts = at(day, hour)
            sub_event = SubEvent.objects.create(
                event=event,
                title=titles[format_slug].format(d=district.name),
                district=district,
                venue=venue,
                format=formats[format_slug],
                starts_at=starts,
                # Today's service fair lasts the day.
                ends_at=starts
                + dt.timedelta(hours=7 if state == "today" else 3 if hour == 9 else 2),
                capacity=capacity,
                max_party_size=1 if format_slug == "enforcement-experience" else 3,
                waitlist_enabled=state != "nearly_full",
                registration_opens_at=at(-7, 9),
                registration_closes_at=starts - dt.timedelta(hours=12),
                is_published=True,
                is_cancelled=state == "cancelled",
                cancellation_reason="受天气影响，本场活动取消，敬请谅解。"
                if state == "cancelled"
                else "",
                description=formats[format_slug].description,
                what_to_bring=(
                    "请穿运动鞋，携带身份证；体验全程约3小时，年满18周岁方可参加。"
                    if format_slug == "enforcement-experience"
                    else "无需携带物品，欢迎带上您的问题和建议。"
                ),
            )
            if format_slug == "enforcement-experience":
                for minute_offset, title in [
                    (0, "集合、安全讲解、领取体验马甲"),
                    (30, "随队巡查主要街道"),
                    (120, "交流座谈，填写体验反馈"),
                ]:
                    item_start = (starts + dt.timedelta(minutes=minute_offset)).astimezone(tz)
                    AgendaItem.objects.create(
                        sub_event=sub_event, starts_at=item_start.time(), title=title
                    )
            if state == "invitations":
                Invitation.objects.create(sub_event=sub_event, group=groups["citizens"], seats=4)
                invitations[f"students-{district_slug}"] = Invitation.objects.create(
                    sub_event=sub_event, group=groups["students"], seats=4
                )
            filled = {
                "nearly_full": capacity - 2,
                "waitlist": capacity,
                "past": 24,
                "today": capacity - 14,
            }.get(state, 0)
            if not filled and state != "cancelled":
                filled = rng.randint(0, capacity // 2)
            booking.add(sub_event, filled, block=number)
            if state == "waitlist":
                booking.add(sub_event, 3, block=number, status=Registration.Status.WAITLISTED)
        booking.save()
        self._group_bookings(invitations, opens=at(-7, 9))
        return event, True

    def _group_bookings(self, invitations: dict[str, Invitation], *, opens: dt.datetime) -> None:
        """Groups (a class with its teacher, a delegation) booked by their leaders with an
        invitation code, every member named, through the booking service as on the site."""
        names = random.Random(2029)
        for number, (key, leader, size) in enumerate(
            [
                ("students", "刘晓梅", 6),
                ("committee", "赵建国", 3),
                ("students-licang", "孙立新", 4),
                ("students-laoshan", "周文静", 4),
            ]
        ):
            invitation = invitations[key]
            created = services.registration_create(
                sub_event_id=invitation.sub_event_id,
                name=leader,
                phone=demo_phone(900 + number),
                party_size=size,
                invitation_code=invitation.code,
                participants=[{"name": demo_name(names)} for _ in range(size - 1)],
            ).registration
            Registration.objects.filter(pk=created.pk).update(
                created_at=opens + dt.timedelta(days=1 + number, hours=2 + number)
            )

    # --- generated volume ---------------------------------------------------------------

    def _generated(self):
        return SubEvent.objects.filter(event__slug=EVENT_SLUG, title__startswith="[bench]")

    def generate_volume(self, event: Event, subevents: int, registrations: int) -> None:
        """Add generated sub-events up to `subevents` and registrations up to
        `registrations` in total, so that a second run with the same numbers adds nothing."""
        rng = random.Random(7)
        districts = list(District.objects.all())
        formats = list(ActivityFormat.objects.all())
        venues = list(Venue.objects.exclude(slug="may-fourth-square"))
        have = self._generated().count()
        per_sub_event = -(-registrations // max(subevents, have, 1))
        capacity = max(per_sub_event + 20, 30)
        base = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=3)
        new = []
        for index in range(have, subevents):
            starts = base + dt.timedelta(days=index % 9, hours=index % 8)
            new.append(
                SubEvent(
                    event=event,
                    title=f"[bench] 生成的活动 {index + 1:05d}",
                    district=districts[index % len(districts)],
                    venue=venues[index % len(venues)],
                    format=formats[index % len(formats)],
                    starts_at=starts,
                    ends_at=starts + dt.timedelta(hours=2),
                    capacity=capacity,
                    max_party_size=3,
                    is_published=True,
                )
            )
        for start in tqdm(range(0, len(new), 1000), desc="activities", unit="k", disable=not new):
            SubEvent.objects.bulk_create(new[start : start + 1000])

        targets = list(self._generated().order_by("pk").values_list("pk", flat=True))
        existing = Registration.objects.filter(sub_event_id__in=targets).count()
        missing = registrations - existing
        if missing <= 0:
            self.stdout.write(f"{len(new)} activities added; registrations already present.")
            return
        now = timezone.now()
        batch_size = 5000
        # References are random; at this volume two could meet, so draw them distinct.
        taken = set(Registration.objects.values_list("reference", flat=True).iterator())

        def fresh_reference() -> str:
            while (reference := new_reference()) in taken:
                pass
            taken.add(reference)
            return reference

        made = 0
        with tqdm(total=missing, desc="registrations", unit="reg") as progress:
            while made < missing:
                rows = []
                for offset in range(min(batch_size, missing - made)):
                    number = existing + made + offset
                    rows.append(
                        Registration(
                            sub_event_id=targets[number % len(targets)],
                            name=demo_name(rng),
                            phone=f"13{number:09d}",
                            party_size=1,
                            status="confirmed",
                            **manage_link.new_link()[0],
                            consent_version="bench",
                            consent_given_at=now,
                            reference=fresh_reference(),
                        )
                    )
                with transaction.atomic():
                    Registration.objects.bulk_create(rows)
                made += len(rows)
                progress.update(len(rows))
        self.stdout.write(
            self.style.SUCCESS(f"{len(new)} activities and {made} registrations added.")
        )
