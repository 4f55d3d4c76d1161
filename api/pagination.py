"""Cursor pagination on the places' ids: a walk sees every place that exists from
its start to its end exactly once, whatever is written meanwhile (new places get
higher ids; an id never changes)."""

from base64 import b64decode
from urllib.parse import parse_qs

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.pagination import Cursor, CursorPagination

MAX_PAGE_SIZE = 100


class IdCursorPagination(CursorPagination):
    ordering = "id"
    page_size = 50
    max_page_size = MAX_PAGE_SIZE
    page_size_query_param = "taille"
    page_size_query_description = _(
        "Nombre de résultats par page, 1 à 100 (50 par défaut)."
    )
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
        """The cursor, as `encode_cursor` wrote it, or a 400 naming it: a
        damaged cursor must neither start the walk again from the first page
        (DRF reads anything without a position so) nor reach the database."""
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            text = b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
            tokens = parse_qs(text, keep_blank_values=True, strict_parsing=True)
        except ValueError:  # binascii.Error, UnicodeError
            tokens = {}
        single = {key: values[0] for key, values in tokens.items() if len(values) == 1}
        offset, reverse = single.get("o", "0"), single.get("r", "0")
        position = single.get("p")
        if (
            single.keys() != tokens.keys()
            or not set(single) <= {"o", "r", "p"}
            or not (offset.isascii() and offset.isdigit())
            or not 0 <= int(offset) <= self.offset_cutoff
            or reverse not in {"0", "1"}
            # DRF writes no position only with an offset (a page of equal positions).
            or (position is None and offset == "0")
            or not (
                position is None
                or (position.isascii() and position.isdigit() and len(position) < 19)
            )
        ):
            raise serializers.ValidationError(
                {self.cursor_query_param: [_("Curseur illisible : suivez next.")]}
            )
        return Cursor(offset=int(offset), reverse=reverse == "1", position=position)

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
