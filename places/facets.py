"""The search's facets (type, services, publics…): their parameters and values,
how chosen values become conditions, and how many places each value would give."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import EmptyResultSet
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from epn_directory.replicas import read_connection

from .models import (
    Kind,
    Term,
    Vocabulary,
    in_language,
    name_search_query,
)
from .understanding import Need

if TYPE_CHECKING:
    from .filters import PlaceFilter


@dataclass(frozen=True)
class Facet:
    param: str
    label: str
    fields: tuple[str, ...]  # Place many-to-many fields; several are OR-ed
    vocabularies: tuple[str, ...] = ()  # empty for kinds


FACETS = [
    Facet("type", _("Type de lieu"), ("kinds",)),
    Facet("service", _("Services"), ("services",), (Vocabulary.SERVICE,)),
    Facet("public", _("Publics"), ("publics",), (Vocabulary.PUBLIC,)),
    Facet("frais", _("Frais"), ("fees",), (Vocabulary.FEE,)),
    Facet(
        "accompagnement",
        _("Accompagnement"),
        ("support_modes",),
        (Vocabulary.SUPPORT_MODE,),
    ),
    Facet(
        "label",
        _("Dispositifs et labels"),
        ("programmes", "labels"),
        (Vocabulary.PROGRAMME, Vocabulary.LABEL),
    ),
    Facet("equipement", _("Équipements"), ("equipment",), (Vocabulary.EQUIPMENT,)),
]


@dataclass(frozen=True)
class Option:
    pk: int
    code: str
    label_fr: str
    label_en: str

    @property
    def label(self) -> str:
        return in_language(self, "label", "label_fr")


def facet_options() -> dict[str, list[Option]]:
    """Every facet's values, in the order of the form (two queries)."""
    options: dict[str, list[Option]] = {facet.param: [] for facet in FACETS}
    options["type"] = [
        Option(*row)
        for row in Kind.objects.values_list("pk", "code", "label", "label_en")
    ]
    facet_of = {v: f.param for f in FACETS for v in f.vocabularies}
    terms = Term.objects.filter(vocabulary__in=facet_of).values_list(
        "vocabulary", "pk", "code", "label", "label_en"
    )
    for vocabulary, *row in terms:
        options[facet_of[vocabulary]].append(Option(*row))
    return options


def option_index(options: dict[str, list[Option]]) -> dict[tuple[str, str], Option]:
    """`facet_options()` by (facet parameter, code)."""
    return {(param, o.code): o for param, opts in options.items() for o in opts}


def facet_condition(pairs, options: dict[str, list[Option]]) -> Q:
    """Places with any of the (facet parameter, code) `pairs`, through the facet
    arrays; codes the database does not know are ignored."""
    index = option_index(options)
    found = [pair for pair in pairs if pair in index]
    kinds = [index[pair].pk for pair in found if pair[0] == "type"]
    terms = [index[pair].pk for pair in found if pair[0] != "type"]
    condition = Q(pk__in=[])
    if kinds:
        condition |= Q(kind_ids__overlap=kinds)
    if terms:
        condition |= Q(term_ids__overlap=terms)
    return condition


def need_conditions(needs) -> list[tuple[Need, Q]]:
    """Each understood need as a condition: any of its facet codes. A programme or
    label is also known from the name: "France Services de Frangy" is one even when
    its source forgot the label."""
    if not needs:
        return []
    options = facet_options()
    index = option_index(options)
    result = []
    for need, _typed, _span in needs:
        condition = facet_condition(need.means, options)
        for pair in need.means:
            if pair[0] == "label" and pair in index:
                condition |= Q(search_vector=name_search_query(index[pair].label))
        result.append((need, condition))
    return result


def facet_counts(
    place_filter: "PlaceFilter",
    base: QuerySet,
    options: dict[str, list[Option]] | None = None,
) -> dict[str, dict[str, int]]:
    """For each facet, the number of places per value given the *other* active
    filters (so that ticking a value never shows 0 for its neighbours).

    Facets with no value ticked all count over the same set of places (every filter
    applied); a facet with ticked values counts over the set without its own filter.
    Each set is read once and its places' facet arrays (`kind_ids`, `term_ids`) are
    unnested and grouped: one statement for all the sets.
    """
    place_filter.is_valid()  # cleans the parameters once
    cleaned = getattr(place_filter.form, "cleaned_data", {})
    groups: dict[str, list[Facet]] = {"": []}
    for facet in FACETS:
        groups.setdefault(facet.param if cleaned.get(facet.param) else "", []).append(
            facet
        )
    ctes, selects, params = [], [], []
    for n, (without, facets) in enumerate(groups.items()):
        if not facets:
            continue
        places = place_filter.filter_queryset(base, without=without).order_by()
        try:
            sql, set_params = places.values(
                "kind_ids", "term_ids"
            ).query.sql_with_params()
        except EmptyResultSet:  # e.g. an unknown town: nothing to count
            continue
        ctes.append(f"set{n} AS ({sql})")
        params.extend(set_params)
        for column in ("kind_ids", "term_ids"):
            if any(
                (facet.param == "type") == (column == "kind_ids") for facet in facets
            ):
                selects.append(
                    f"SELECT {n}, '{column}', v, count(*) "
                    f"FROM set{n}, unnest(set{n}.{column}) v GROUP BY v"
                )
    counts: dict[str, dict[str, int]] = {facet.param: {} for facet in FACETS}
    if not selects:
        return counts
    with read_connection().cursor() as cursor:
        cursor.execute(f"WITH {', '.join(ctes)} {' UNION ALL '.join(selects)}", params)
        rows = cursor.fetchall()
    # (array, id) -> (facet, code); programmes and labels both count for "label".
    value_of = {
        ("kind_ids" if param == "type" else "term_ids", option.pk): (param, option.code)
        for param, values in (options or facet_options()).items()
        for option in values
    }
    group_of = dict(enumerate(groups.values()))
    for n, column, pk, number in rows:
        param, code = value_of.get((column, pk), ("", ""))
        if any(facet.param == param for facet in group_of[n]):
            counts[param][code] = counts[param].get(code, 0) + number
    return counts
