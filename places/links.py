"""A place's lists of values (services, publics, labels… : ten lists of terms)
read in one query, where reading each list costs one (the admin's form, the
place's page)."""

from .models import Place, Term


def term_fields() -> list:
    return [f for f in Place._meta.many_to_many if f.related_model is Term]


def prefetch_links(place: Place) -> None:
    """Read every list of values of `place` in one query and keep them where
    `getattr(place, name).all()` finds them (as prefetch_related does)."""
    fields = term_fields()
    # The ten link tables first, then one join with the terms: planned in a third
    # of the time of ten joins (0.15 ms against 0.48; 0.49 ms a page against 0.85).
    linked = " UNION ALL ".join(
        f'SELECT "{f.m2m_reverse_name()}" AS term_id, %s AS link '
        f"FROM {f.remote_field.through._meta.db_table} "
        f'WHERE "{f.m2m_column_name()}" = %s'
        for f in fields
    )
    links = (
        f"SELECT t.*, l.link FROM ({linked}) l "
        f"JOIN {Term._meta.db_table} t ON t.id = l.term_id"
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
