"""Demo feedback and photos for the demo open day (`load_demo` first). Idempotent: a
second run creates nothing.

Adds answered and published suggestions, a few still being handled, satisfaction answers
from the people who came to the finished activity, and generated photos that go through
the same processing as uploads.
"""

import datetime as dt
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from openday.events.management.commands.load_demo import EVENT_SLUG
from openday.events.models import District, Event, SubEvent
from openday.registrations.models import Registration

from ...models import Feedback, Photo
from ...photos import photos_create

S, P, C, Q = (
    Feedback.Category.SUGGESTION,
    Feedback.Category.PRAISE,
    Feedback.Category.COMPLAINT,
    Feedback.Category.QUESTION,
)

# (district slug or "", category, rating, text, public reply or "" when not answered yet)
SUGGESTIONS = [
    (
        "shinan",
        S,
        4,
        "建议在五四广场周边增加共享单车停放点，周末经常停得到处都是，影响行人通行。",
        "感谢您的建议。我们已会同交通部门在五四广场东、西两侧新增4处单车停放区，"
        "并安排队员在周末高峰时段巡查引导。",
    ),
    (
        "shibei",
        C,
        2,
        "台东步行街晚上有流动摊贩占道经营，油烟很大，希望加强管理。",
        "您反映的问题已转市北区执法中队。中队已在台东步行街设置便民疏导点，"
        "引导摊贩入点经营，并在晚间增加两次巡查。",
    ),
    (
        "licang",
        P,
        5,
        "参加了执法体验日，跟着队员走了一上午，才知道城管工作这么辛苦，点赞！",
        "谢谢您的肯定！欢迎您继续关注和参与城市管理，也欢迎带上家人朋友参加下一次开放日。",
    ),
    (
        "laoshan",
        Q,
        None,
        "小区里的违建拆除后建筑垃圾一直没清运，应该找哪个部门？",
        "建筑垃圾清运由属地街道负责，城管部门负责监督。您可拨打12319城建热线登记，"
        "我们会督促街道在7个工作日内清运完毕。",
    ),
    (
        "huangdao",
        S,
        4,
        "希望在社区多开展垃圾分类的现场讲解，老年人对分类标准还不太清楚。",
        "已安排黄岛区城管服务进社区活动增加垃圾分类专场，并为老年居民准备了大字版分类指南。",
    ),
    (
        "chengyang",
        C,
        1,
        "法律进社区的活动临时取消了，短信通知太晚，白跑了一趟。",
        "非常抱歉给您带来不便。活动因天气原因取消，今后我们将至少提前一天通知，"
        "并同时通过短信和电话告知报名市民。",
    ),
    (
        "jimo",
        P,
        5,
        "面对面座谈会很有收获，工作人员认真记录了大家的意见。",
        "感谢您的参与！座谈会上收集的23条意见已全部分办，办理结果将在本页陆续公布。",
    ),
    (
        "",
        S,
        3,
        "开放日的报名页面在微信里打开有点慢，希望能优化一下。",
        "感谢反馈！技术团队已优化页面加载速度，并将图片压缩为适合手机浏览的尺寸。",
    ),
    (
        "jiaozhou",
        Q,
        None,
        "执法体验日对年龄有要求吗？想带十二岁的孩子一起参加。",
        "执法体验日欢迎家长带12岁以上的孩子参加，需由家长陪同并在报名时填写同行人数。",
    ),
    (
        "pingdu",
        S,
        4,
        "建议把开放日的活动照片和总结公布出来，让没去的市民也能看到。",
        "好建议！活动结束后，我们会在本网站公布活动照片和开放日总结报告。",
    ),
    ("laixi", S, None, "希望能在莱西也安排一次无人机巡查演示。", ""),
    ("shinan", C, 2, "中山路有商铺长期占道堆放货物，多次反映未见改善。", ""),
    ("", Q, None, "开放日结束后还能预约参观指挥中心吗？", ""),
]

PHOTOS = [
    ("城管队员向市民讲解执法记录仪的使用", "市城市管理局宣传处", 0),
    ("无人机巡查演示现场", "市城市管理局宣传处", 1),
    ("社区便民服务集市", "即墨区城市管理局", 2),
    ("面对面座谈会上市民发言", "即墨区城市管理局", 3),
    ("5G视频调度指挥中心", "市城市管理局宣传处", 4),
    ("执法体验日集合出发", "市南区城市管理局", 5),
]


def demo_picture(seed: int) -> bytes:
    """A simple illustrated scene (sky, sea, a skyline, a crowd), different per seed."""
    rng = random.Random(seed)
    width, height = 1600, 1000
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    top = (rng.randint(60, 120), rng.randint(140, 190), rng.randint(210, 250))
    for y in range(height):
        t = y / height
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(int(c + (255 - c) * t * 0.6) for c in top),
        )
    sun_x = rng.randint(200, 1400)
    draw.ellipse([sun_x - 70, 120, sun_x + 70, 260], fill=(255, 214, 102))
    horizon = 620
    draw.rectangle([0, horizon, width, height], fill=(38, 110, 160))
    x = 0
    while x < width:
        w, h = rng.randint(60, 160), rng.randint(120, 420)
        shade = rng.randint(70, 140)
        draw.rectangle([x, horizon - h, x + w, horizon], fill=(shade, shade + 10, shade + 25))
        for wy in range(horizon - h + 20, horizon - 20, 40):
            for wx in range(x + 12, x + w - 20, 30):
                if rng.random() < 0.6:
                    draw.rectangle([wx, wy, wx + 12, wy + 18], fill=(250, 230, 160))
        x += w + rng.randint(4, 30)
    draw.rectangle([0, 780, width, height], fill=(214, 200, 170))
    for _ in range(rng.randint(25, 45)):
        px, py = rng.randint(20, width - 20), rng.randint(800, 960)
        colour = rng.choice([(30, 80, 160), (200, 60, 50), (40, 40, 40), (240, 180, 40)])
        draw.ellipse([px - 12, py - 46, px + 12, py - 22], fill=(240, 200, 170))
        draw.rounded_rectangle([px - 18, py - 22, px + 18, py + 30], radius=8, fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


class Command(BaseCommand):
    help = "Add demo feedback and photos to the demo open day (after load_demo). Idempotent."

    def handle(self, *args, **options):
        event = Event.objects.filter(slug=EVENT_SLUG).first()
        if event is None:
            raise CommandError("The demo open day is missing: run `manage.py load_demo` first.")
        with transaction.atomic():
            added = self.load_suggestions(event)
            surveyed = self.load_survey_answers(event)
        photos = self.load_photos(event)
        self.stdout.write(
            f"demo feedback: {added} suggestions, {surveyed} survey answers, {photos} photos added"
        )

    def load_suggestions(self, event: Event) -> int:
        districts = District.objects.in_bulk(field_name="slug")
        sub_events = {
            s.district_id: s
            for s in SubEvent.objects.filter(event=event).order_by("-starts_at")
            if s.district_id
        }
        existing = set(Feedback.objects.filter(event=event).values_list("text", flat=True))
        now = timezone.now()
        added = 0
        for number, (slug, category, rating, text, reply) in enumerate(SUGGESTIONS):
            if text in existing:
                continue
            district = districts.get(slug)
            feedback = Feedback.objects.create(
                event=event,
                district=district,
                sub_event=sub_events.get(district.pk) if district and number % 3 == 0 else None,
                category=category,
                rating=rating,
                text=text,
                public_reply=reply,
                replied_at=now - dt.timedelta(hours=number) if reply else None,
                is_published=bool(reply),
                status=Feedback.Status.ANSWERED if reply else Feedback.Status.NEW,
            )
            # Received a day or more before the answer.
            Feedback.objects.filter(pk=feedback.pk).update(
                created_at=now - dt.timedelta(days=1 + number % 3, hours=number)
            )
            added += 1
        return added

    def load_survey_answers(self, event: Event) -> int:
        """Everyone who came to a finished activity rates it; skewed towards satisfied."""
        rng = random.Random(6)
        came = Registration.objects.confirmed().filter(
            sub_event__event=event,
            sub_event__ends_at__lt=timezone.now(),
            checked_in_at__isnull=False,
            feedback__isnull=True,
        )
        answers = [
            Feedback(
                event=event,
                sub_event_id=registration.sub_event_id,
                district_id=registration.sub_event.district_id,
                registration=registration,
                category=Feedback.Category.SURVEY,
                rating=rng.choices([5, 4, 3, 2, 1], weights=[50, 30, 12, 5, 3])[0],
                text="",
            )
            for registration in came.select_related("sub_event").order_by("pk")
        ]
        Feedback.objects.bulk_create(answers)
        return len(answers)

    def load_photos(self, event: Event) -> int:
        if Photo.objects.filter(event=event, caption=PHOTOS[0][0]).exists():
            return 0
        finished = (
            SubEvent.objects.filter(event=event, ends_at__lt=timezone.now())
            .order_by("starts_at")
            .first()
        )
        added = 0
        for caption, credit, seed in PHOTOS:
            sub_event = finished if finished and seed in {2, 3} else None
            upload = SimpleUploadedFile(f"demo-{seed}.jpg", demo_picture(seed), "image/jpeg")
            (photo,) = photos_create(
                event=event, sub_event=sub_event, uploads=[upload], caption=caption, credit=credit
            )
            photo.is_featured = True
            photo.is_cover = seed == 4
            photo.save(update_fields=["is_featured", "is_cover"])
            added += 1
        return added
