from django.db import migrations


def sync(apps, schema_editor):
    from openday.staff.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0003_alter_exportrecord_file_format"),
        ("events", "0002_live_notice"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
