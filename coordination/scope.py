"""The admin side of the coordinators' scope (see `roles`): every list, form,
deletion, bulk action and autocomplete of a scoped model goes through it, and a
request outside the scope gets 403, never a silent success."""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError

from .roles import OUT_OF_SCOPE, commune_in_scope, scoped


class SaysOutOfScope:
    """For a ModelAdmin whose queryset is narrowed to the user's scope: an object
    that exists outside it gets 403 with `out_of_scope`, never "not found" nor a
    redirect."""

    out_of_scope = OUT_OF_SCOPE

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            model = self.model
            field = model._meta.get_field(from_field) if from_field else model._meta.pk
            try:
                value = field.to_python(object_id)
            except ValidationError:
                return None
            if model._default_manager.filter(**{field.name: value}).exists():
                raise PermissionDenied(self.out_of_scope)
        return obj


class ScopedAdminMixin(SaysOutOfScope):
    """For a ModelAdmin whose objects reach a commune through `commune_path`."""

    commune_path = "commune__"

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user, self.commune_path)

    def in_scope(self, request, obj) -> bool:
        """Asked a dozen times per page for the same object: checked once per
        request (an object `get_object` found came through the scoped queryset)."""
        if obj is None:
            return True
        checked = self.checked_in_scope(request)
        if obj.pk not in checked:
            if not self.get_queryset(request).filter(pk=obj.pk).exists():
                return False
            checked.add(obj.pk)
        return True

    def checked_in_scope(self, request) -> set:
        return request.__dict__.setdefault(f"in_scope_{self.model._meta.label}", set())

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            self.checked_in_scope(request).add(obj.pk)
        return obj

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self.in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.in_scope(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.in_scope(
            request, obj
        )

    def response_action(self, request, queryset):
        """A bulk action on places some of which are outside the scope is refused
        whole (Django would act on the others and say nothing)."""
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        if selected and not request.POST.get("select_across"):
            try:
                wanted = {self.model._meta.pk.to_python(pk) for pk in selected}
            except ValidationError:
                raise PermissionDenied(OUT_OF_SCOPE) from None
            allowed = set(queryset.filter(pk__in=wanted).values_list("pk", flat=True))
            if allowed != wanted:
                raise PermissionDenied(OUT_OF_SCOPE)
        return super().response_action(request, queryset)


def check_commune(form, user, field: str = "commune") -> None:
    """Form validation: the commune chosen must lie in the user's scope."""
    commune = form.cleaned_data.get(field)
    if commune is not None and not commune_in_scope(user, commune):
        form.add_error(field, OUT_OF_SCOPE)
