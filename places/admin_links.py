"""The place form's eleven lists of values (kinds, services, publics…), read
together: Django's form reads each list's choices and the place's own values with
one query per list (22 queries); here the choices of every vocabulary come from one
query per request, and the place's values from one query (plus its kinds)."""

from django.forms.models import ModelChoiceIterator

from .models import Place, Term


def term_fields() -> list:
    return [f for f in Place._meta.many_to_many if f.related_model is Term]


def prefetch_links(place: Place) -> None:
    """Read every list of values of `place` in one query and keep them where
    `getattr(place, name).all()` finds them (as prefetch_related does)."""
    fields = term_fields()
    links = " UNION ALL ".join(
        f"SELECT t.*, %s AS link FROM {Term._meta.db_table} t "
        f"JOIN {f.remote_field.through._meta.db_table} l "
        f'ON l."{f.m2m_reverse_name()}" = t.id WHERE l."{f.m2m_column_name()}" = %s'
        for f in fields
    )
    params = [value for f in fields for value in (f.name, place.pk)]
    found: dict[str, list[Term]] = {f.name: [] for f in fields}
    for term in Term.objects.raw(links, params):
        found[term.link].append(term)
    order = Term._meta.ordering
    cache = place.__dict__.setdefault("_prefetched_objects_cache", {})
    for field in fields:
        values = getattr(place, field.name).all()
        values._result_cache = sorted(
            found[field.name], key=lambda t: tuple(getattr(t, name) for name in order)
        )
        values._prefetch_done = True
        cache[field.name] = values


class ListedChoices(ModelChoiceIterator):
    """A list's choices from `field.listed`, read beforehand with the others."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for term in self.field.listed:
            yield self.choice(term)

    def __len__(self):
        return len(self.field.listed) + (self.field.empty_label is not None)


def terms_by_vocabulary(request) -> dict[str, list[Term]]:
    """Every term, by vocabulary, in their order: one query per request."""
    if not hasattr(request, "terms_by_vocabulary"):
        listed: dict[str, list[Term]] = {}
        for term in Term.objects.order_by(*Term._meta.ordering):
            listed.setdefault(term.vocabulary, []).append(term)
        request.terms_by_vocabulary = listed
    return request.terms_by_vocabulary


def list_choices_together(field, db_field, request) -> None:
    """Give the form field of a list of terms its choices from the shared read."""
    vocabulary = (db_field.remote_field.limit_choices_to or {}).get("vocabulary")
    if field is not None and vocabulary is not None:
        field.listed = terms_by_vocabulary(request).get(vocabulary, [])
        field.iterator = ListedChoices
