"""Cursor pagination on the places' ids: a walk sees every place that exists from
its start to its end exactly once, whatever is written meanwhile (new places get
higher ids; an id never changes)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

MAX_PAGE_SIZE = 100


class IdCursorPagination(CursorPagination):
    ordering = "id"
    page_size = 50
    max_page_size = MAX_PAGE_SIZE
    page_size_query_param = "taille"
    page_size_query_description = _("Nombre de résultats par page, 1 à 100 (50).")
    cursor_query_description = _(
        "Curseur de la page suivante : suivez le lien `next` sans le modifier."
    )

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        if not (value.isascii() and value.isdigit()) or not (
            1 <= int(value) <= self.max_page_size
        ):
            raise serializers.ValidationError(
                {self.page_size_query_param: [_("Un nombre entier de 1 à 100.")]}
            )
        return int(value)

    def decode_cursor(self, request):
        """The cursor, or a 400 naming it: a made-up one must not reach the
        database (`id > 'abc'` is a server error there)."""
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = False
        if cursor is False or (
            cursor is not None
            and cursor.position is not None
            and not (
                cursor.position.isascii()
                and cursor.position.isdigit()
                and len(cursor.position) < 19
            )
        ):
            raise serializers.ValidationError(
                {self.cursor_query_param: [_("Curseur illisible : suivez `next`.")]}
            )
        return cursor

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters

    def get_paginated_response_schema(self, schema):
        link = {"type": ["string", "null"], "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {
                    **link,
                    "description": str(_("La page suivante ; null à la fin.")),
                },
                "previous": {**link, "description": str(_("La page précédente."))},
                "results": schema,
            },
        }


class DeletionCursorPagination(IdCursorPagination):
    """Deletions in the order they were recorded (their history row's id)."""

    ordering = "history_id"
