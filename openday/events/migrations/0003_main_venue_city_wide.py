from django.db import migrations, models


def unflag_district_main_venues(apps, schema_editor):
    # Until now a district organiser could tick "main venue" on their own activity. Such
    # a flag was never the city's decision: it goes, the activity stays in its district.
    SubEvent = apps.get_model("events", "SubEvent")
    SubEvent.objects.filter(is_main_venue=True, district__isnull=False).update(is_main_venue=False)


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0002_live_notice"),
    ]

    operations = [
        migrations.RunPython(unflag_district_main_venues, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="subevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("is_main_venue", False), ("district__isnull", True), _connector="OR"
                ),
                name="subevent_main_venue_city_wide",
                violation_error_message="The main venue is city-wide: leave its district empty.",
            ),
        ),
    ]
