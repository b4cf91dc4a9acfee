from django.db import migrations


def create_roles(apps, schema_editor):
    from openday.staff.roles import sync_roles

    sync_roles(apps)


def remove_roles(apps, schema_editor):
    from openday.staff.roles import ROLES

    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("events", "0001_initial"),
        # The roles name permissions of these apps' models, so they come first.
        ("registrations", "0003_no_show_pardon"),
        ("feedback", "0002_photo_cover_and_published_reply"),
        ("privacy", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
