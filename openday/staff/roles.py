"""The three staff roles and their permissions. The data migration `0002_roles` creates
the groups from this table; changing it needs a new migration that calls `sync_roles`
and depends on the migrations that create the models it names."""

# Group names are data that staff read in the admin, in the admin's language; the
# migration `0007_roles_in_chinese` renamed the groups that had English names.
CITY_ORGANISER = "市级管理员"
DISTRICT_ORGANISER = "区市管理员"
CHECKIN_VOLUNTEER = "签到志愿者"

_PROGRAMME = [
    ("events", "event", ["add", "change", "delete", "view"]),
    ("events", "district", ["add", "change", "delete", "view"]),
    ("events", "venue", ["add", "change", "delete", "view"]),
    ("events", "activityformat", ["add", "change", "delete", "view"]),
    ("events", "invitedgroup", ["add", "change", "delete", "view"]),
    ("events", "subevent", ["add", "change", "delete", "view"]),
    ("events", "agendaitem", ["add", "change", "delete", "view"]),
    ("events", "invitation", ["add", "change", "delete", "view"]),
    ("events", "notice", ["add", "change", "delete", "view"]),
    ("registrations", "registration", ["add", "change", "view"]),
    ("registrations", "noshowpardon", ["add", "view"]),
    ("feedback", "feedback", ["change", "view"]),
    ("feedback", "photo", ["add", "change", "delete", "view"]),
    ("staff", "staffprofile", ["add", "change", "delete", "view"]),
    ("staff", "exportrecord", ["view"]),
    ("staff", "phonedisclosure", ["view"]),
    ("staff", "staffmessage", ["add", "view"]),
    ("staff", "messagedelivery", ["view"]),
    ("privacy", "consentstatement", ["view"]),
]

ROLES: dict[str, list[tuple[str, str]]] = {
    CITY_ORGANISER: [
        (app, f"{action}_{model}") for app, model, actions in _PROGRAMME for action in actions
    ]
    + [("staff", "all_districts"), ("staff", "check_in"), ("staff", "view_full_phone")],
    DISTRICT_ORGANISER: [
        # Read-only lists other forms pick from (autocomplete needs view permission).
        ("events", "view_event"),
        ("events", "view_district"),
        ("events", "view_venue"),
        ("events", "view_activityformat"),
        ("events", "view_invitedgroup"),
        # Their districts' programme, guests and feedback.
        ("events", "add_subevent"),
        ("events", "change_subevent"),
        ("events", "view_subevent"),
        ("events", "add_agendaitem"),
        ("events", "change_agendaitem"),
        ("events", "delete_agendaitem"),
        ("events", "view_agendaitem"),
        ("events", "add_invitation"),
        ("events", "change_invitation"),
        ("events", "delete_invitation"),
        ("events", "view_invitation"),
        ("events", "add_notice"),
        ("events", "change_notice"),
        ("events", "view_notice"),
        ("registrations", "add_registration"),
        ("registrations", "change_registration"),
        ("registrations", "view_registration"),
        ("feedback", "change_feedback"),
        ("feedback", "view_feedback"),
        ("staff", "add_staffmessage"),
        ("staff", "view_staffmessage"),
        ("staff", "view_messagedelivery"),
        ("staff", "check_in"),
    ],
    CHECKIN_VOLUNTEER: [("staff", "check_in")],
}


def sync_roles(apps) -> None:
    """Create or update the role groups so they hold exactly the permissions above."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations ran; make sure they exist now.
    # (Historical app configs have no models module, which create_permissions requires.)
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = original

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, perms in ROLES.items():
        group, _created = group_model.objects.get_or_create(name=name)
        wanted = []
        for app_label, codename in perms:
            # An earlier migration runs before later models exist: their permissions are
            # skipped then, and the migration that adds such a model syncs again.
            wanted.extend(
                permission_model.objects.filter(
                    content_type__app_label=app_label, codename=codename
                )
            )
        group.permissions.set(wanted)
