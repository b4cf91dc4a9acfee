"""District scoping for admin classes.

`DistrictScopedAdmin.get_queryset()` is what the changelist, the change/history/delete
views (a guessed id is "not found"), the actions, the exports and the autocomplete
endpoint of *this* model read; `formfield_for_foreignkey()` narrows the choices (and what a
forged POST may pick) of district and activity fields; `ScopedRelatedFilter` keeps other
districts out of the sidebar filters.
"""

from django.contrib import admin
from django.db.models.constants import LOOKUP_SEP

from openday.events.models import District, Event, SubEvent
from openday.registrations.models import Registration

from . import scope


class ScopedRelatedFilter(admin.RelatedFieldListFilter):
    """A related-object filter that offers only the districts (or activities) the user may
    see. Other related models keep their ordinary choices."""

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        related = field.related_model
        if scope.sees_all_districts(request.user):
            return field.get_choices(include_blank=False, ordering=ordering)
        if related is District:
            limit = scope.district_q(request.user, "pk")
        elif related is SubEvent:
            limit = scope.district_q(request.user, "district")
        elif related is Event:
            limit = scope.district_q(request.user, "sub_events__district")
            return [
                (event.pk, str(event))
                for event in Event.objects.filter(limit).distinct().order_by(*ordering)
            ]
        else:
            return field.get_choices(include_blank=False, ordering=ordering)
        return field.get_choices(include_blank=False, ordering=ordering, limit_choices_to=limit)


class PhoneLookupGuard:
    """An admin whose rows hold phone numbers shown masked: filters on those fields in the
    address (`?phone__startswith=1380`) would answer what the mask hides, so only staff
    allowed to see full numbers may use them. Searching follows its own rule
    (`scope.search_with_phone`)."""

    phone_fields: tuple[str, ...] = ("phone",)

    def lookup_allowed(self, lookup, value, request=None):
        field = lookup.split(LOOKUP_SEP, 1)[0]
        if field in self.phone_fields and not scope.may_view_full_phone(request.user):
            return False
        return super().lookup_allowed(lookup, value, request)


class DistrictScopedAdmin(admin.ModelAdmin):
    # Lookups from this model to District; a row is visible when any of them is one of
    # the user's districts.
    district_paths: tuple[str, ...] = ("district",)

    def get_queryset(self, request):
        return scope.restrict(super().get_queryset(request), request.user, *self.district_paths)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        user = request.user
        if not scope.sees_all_districts(user):
            if db_field.related_model is District:
                kwargs["queryset"] = scope.districts_for(user)
                # A district organiser's activities always belong to a district.
                kwargs["required"] = True
            elif db_field.related_model is SubEvent:
                kwargs["queryset"] = scope.sub_events_for(user)
            elif db_field.related_model is Registration:
                kwargs["queryset"] = scope.restrict(
                    Registration.objects.all(), user, "sub_event__district"
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScopedInlineMixin:
    """Inlines of a scoped object: the same narrowing of district and activity choices."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not scope.sees_all_districts(request.user):
            if db_field.related_model is District:
                kwargs["queryset"] = scope.districts_for(request.user)
            elif db_field.related_model is SubEvent:
                kwargs["queryset"] = scope.sub_events_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
