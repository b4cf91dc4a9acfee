from django.db import migrations

# The names the groups had, and have now; permissions and members stay with the group.
RENAMED = {
    "City organiser": "市级管理员",
    "District organiser": "区市管理员",
    "Check-in volunteer": "签到志愿者",
}


def rename(apps, names: dict[str, str]) -> None:
    group_model = apps.get_model("auth", "Group")
    for old, new in names.items():
        group = group_model.objects.filter(name=old).first()
        if group is None:
            continue
        existing = group_model.objects.filter(name=new).first()
        if existing is not None:
            # Made meanwhile under the new name: keep that one, with the old one's members.
            existing.user_set.add(*group.user_set.all())
            group.delete()
            continue
        group.name = new
        group.save(update_fields=["name"])


def to_chinese(apps, schema_editor):
    rename(apps, RENAMED)


def to_english(apps, schema_editor):
    rename(apps, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [("staff", "0006_door_scans")]

    operations = [migrations.RunPython(to_chinese, to_english)]
