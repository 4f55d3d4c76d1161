"""The database triggers that keep a place's derived columns right whatever writes
it (the admin, imports' bulk SQL, seeding, a psql session), declared with
django-pgtrigger next to the models so that `makemigrations` tracks them:

- `search_vector`: what the search reads, from `places_place_vector(place)` (an SQL
  function, migration 0015: the one definition the importer and `seed_places` use
  too, `search.search_vectors_deferred`);
- `facet_arrays`: `kind_ids` and `term_ids`, the facets' arrays, from the link
  tables (`places_place_kind_ids`, `places_place_term_ids`, migration 0005);
- `was_public`: whether the place has ever been published (it only becomes true);
- on each link table (services, publics…), a statement trigger that updates the
  places whose links changed, which recomputes both of the first two.

Bulk writers set `epn.defer_search_vector` for their transaction: new places are
inserted with their vector and arrays (`exchange.writing.copy_places`), updated ones
get theirs once at the end (`search_vectors_deferred`).

Each trigger first reads the session setting `pgtrigger.ignore`, which settings.py
defines for every connection (undefined, each read costs a caught error per row).
"""

import pgtrigger

NOT_DEFERRED = "coalesce(current_setting('epn.defer_search_vector', true), '') <> 'on'"

SEARCH_VECTOR = pgtrigger.Trigger(
    name="search_vector",
    when=pgtrigger.Before,
    operation=pgtrigger.Insert
    | pgtrigger.UpdateOf("name", "summary", "description", "commune_id"),
    func=f"""
        IF {NOT_DEFERRED} THEN
          NEW.search_vector := places_place_vector(NEW);
        END IF;
        RETURN NEW;
    """,
)

FACET_ARRAYS = pgtrigger.Trigger(
    name="facet_arrays",
    when=pgtrigger.Before,
    operation=pgtrigger.Update,
    func=f"""
        IF {NOT_DEFERRED} THEN
          NEW.kind_ids := places_place_kind_ids(NEW.id);
          NEW.term_ids := places_place_term_ids(NEW.id);
        END IF;
        RETURN NEW;
    """,
)

WAS_PUBLIC = pgtrigger.Trigger(
    name="was_public",
    when=pgtrigger.Before,
    operation=pgtrigger.Insert | pgtrigger.Update,
    func="""
        NEW.was_public := NEW.status <> 'draft'
          OR (TG_OP = 'UPDATE' AND OLD.was_public);
        RETURN NEW;
    """,
)

PLACE_TRIGGERS = [FACET_ARRAYS, SEARCH_VECTOR, WAS_PUBLIC]

# The places whose links changed are updated: `facet_arrays` recomputes their
# arrays, and their search vector is recomputed (the names of services, programmes,
# labels, equipment and kinds are searched words).
LINKS_CHANGED = f"""
    IF {NOT_DEFERRED} THEN
      UPDATE places_place p SET search_vector = places_place_vector(p)
       WHERE p.id IN (SELECT DISTINCT place_id FROM changed);
    END IF;
    RETURN NULL;
"""


def links_trigger(name: str, operation, changed) -> pgtrigger.Trigger:
    return pgtrigger.Trigger(
        name=name,
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=operation,
        referencing=changed,
        func=LINKS_CHANGED,
    )


LINK_TRIGGERS = [
    links_trigger(
        "links_added", pgtrigger.Insert, pgtrigger.Referencing(new="changed")
    ),
    links_trigger(
        "links_removed", pgtrigger.Delete, pgtrigger.Referencing(old="changed")
    ),
]


def links_proxy(place_model, field: str):
    """A proxy of the table that links places to their `field` values, holding that
    table's triggers (django-pgtrigger reads them from a model's Meta; the table
    itself is Django's own for the many-to-many field)."""
    through = place_model._meta.get_field(field).remote_field.through
    name = "".join(part.title() for part in ["place", *field.split("_"), "links"])
    meta = type("Meta", (), {"proxy": True, "triggers": LINK_TRIGGERS})
    return type(name, (through,), {"__module__": place_model.__module__, "Meta": meta})
