"""Which places are one: pairs of published places that look alike are merged at
once when the rules are sure, otherwise kept for a coordinator to decide (the
review queue, `MatchCandidate`). The rules and their thresholds were chosen on a
labelled sample of real pairs (docs/matching.md, docs/matching-sample.csv)."""

import re
from dataclasses import dataclass

from django.db import connection, transaction

from .merging import merge_groups, propose
from .models import MatchCandidate, normalize_name

# Close enough to be looked at: the same commune, or within this many metres
# (places are often geocoded apart: the commune join does not need it).
NEAR_METRES = 150
# Candidates: names at least this alike (trigrams) when close together.
LOOKED_AT = 0.4
CANDIDATES = 10  # at most, for each place and each way of finding them
NAME = "immutable_unaccent(lower({}.name))"  # as the trigram index reads it

ABBREVIATIONS = {
    "r": "rue", "av": "avenue", "ave": "avenue", "bd": "boulevard", "bld": "boulevard",
    "pl": "place", "ch": "chemin", "che": "chemin", "rte": "route", "imp": "impasse",
    "all": "allee", "sq": "square", "fbg": "faubourg", "crs": "cours", "pte": "porte",
    "qu": "quai", "res": "residence", "zac": "zone", "za": "zone", "zi": "zone",
}  # fmt: skip
LINKING_WORDS = {"de", "du", "des", "la", "le", "les", "l", "d", "et", "a", "au", "aux"}


# What is compared of two places (`features`), for the pairs of a CTE `ordered`.
FEATURES_SQL = """
SELECT a.id, b.id, a.name, b.name, a.address, b.address, a.commune_id = b.commune_id,
       a.pivot, b.pivot, a.phone, b.phone, a.source_id, b.source_id,
       ST_Distance(a.location::geography, b.location::geography)
FROM ordered o
JOIN places_place a ON a.id = o.a_id
JOIN places_place b ON b.id = o.b_id
ORDER BY a.id, b.id
"""

PAIRS_SQL = (
    f"""
WITH touched AS (
  SELECT id, location, commune_id, pivot, name FROM places_place
  WHERE id = ANY(%(pks)s) AND status = 'published'
),
pairs AS (
  -- At most CANDIDATES per place and way: a commune of 2,000 "Espace 1…2000"
  -- would otherwise give 4 million pairs.
  SELECT a.id AS a_id, b.id AS b_id FROM touched a CROSS JOIN LATERAL (
    SELECT b.id FROM places_place b
    WHERE b.location && ST_Expand(a.location, 0.003)
      AND ST_DWithin(a.location::geography, b.location::geography, {NEAR_METRES})
      AND b.id <> a.id AND b.status = 'published'
      AND similarity({NAME.format("a")}, {NAME.format("b")}) >= {LOOKED_AT}
    ORDER BY a.location <-> b.location, b.id LIMIT {CANDIDATES}
  ) b
  UNION
  SELECT a.id, b.id FROM touched a CROSS JOIN LATERAL (
    SELECT b.id FROM places_place b
    WHERE b.commune_id = a.commune_id AND b.id <> a.id AND b.status = 'published'
      AND {NAME.format("b")} %% {NAME.format("a")}  -- the trigram index
      AND similarity({NAME.format("a")}, {NAME.format("b")}) >= {LOOKED_AT}
    LIMIT {CANDIDATES}
  ) b
  UNION
  SELECT a.id, b.id FROM touched a CROSS JOIN LATERAL (
    SELECT b.id FROM places_place b
    WHERE b.pivot = a.pivot AND b.commune_id = a.commune_id AND b.id <> a.id
      AND b.status = 'published'
    ORDER BY b.id LIMIT {CANDIDATES}
  ) b
  WHERE a.pivot <> '' AND a.pivot !~ '^(.)\\1*$'
),
ordered AS (
  SELECT DISTINCT least(a_id, b_id) AS a_id, greatest(a_id, b_id) AS b_id FROM pairs
  EXCEPT  -- a pair decided is never proposed again
  SELECT first_id, second_id FROM places_matchcandidate WHERE decision <> 'pending'
)
"""
    + FEATURES_SQL
)


def words(text: str, abbreviations: bool = False) -> list[str]:
    found = re.findall(r"[a-z0-9]+", normalize_name(text or ""))
    if abbreviations:
        found = [ABBREVIATIONS.get(w, w) for w in found]
    return [w for w in found if w not in LINKING_WORDS]


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams of each word ("  w", " wo", …, "rd ")."""
    found = set()
    for word in text.split():
        padded = f"  {word} "
        found.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return found


def similarity(a: str, b: str) -> float:
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


def numbers(text: str) -> set[str]:
    return set(re.findall(r"[0-9]+", text))


def copied_id(a: str, b: str) -> bool:
    """One id is the other with a prefix: a partner's file republishing another's
    record ("mediation-numerique-conseiller-numerique-62bace13dd51e705b180b3af"
    is the national file's "62bace13dd51e705b180b3af"). Only opaque ids (letters
    and digits, at least 12): page addresses nest ("mediatheque-brest" ends
    "reseau-mediatheque-brest")."""
    short, long = sorted([a or "", b or ""], key=len)
    opaque = re.fullmatch(r"[0-9A-Za-z]{12,}", short) and re.search(r"[0-9]", short)
    return bool(opaque) and long.endswith("-" + short)


def real_pivot(pivot: str) -> bool:
    """A SIRET (or RNA) that identifies something: not a placeholder."""
    return bool(pivot) and len(set(pivot)) > 1


@dataclass
class Pair:
    first: int
    second: int
    name: float  # similarity of the names
    address: float  # similarity of the addresses
    same_name: bool
    same_address: bool
    same_commune: bool
    same_pivot: bool
    same_phone: bool
    metres: float | None
    same_id: bool = False  # one record is a copy of the other (`copied_id`)
    # Numbers that differ: in the names ("Atelier 2", "Mairie du 15e"), or the
    # house numbers of the addresses.
    other_number: bool = False
    other_house: bool = False

    @property
    def score(self) -> float:
        return round((2 * self.name + self.address) / 3, 3)

    def reasons(self) -> str:
        said = [f"noms semblables à {self.name:.0%}"]
        if self.same_address:
            said.append("même adresse")
        else:
            said.append(f"adresses semblables à {self.address:.0%}")
        if self.metres is not None:
            said.append(f"à {self.metres:.0f} m")
        if self.same_pivot:
            said.append("même SIRET")
        if self.same_phone:
            said.append("même téléphone")
        if self.same_id:
            said.append("même identifiant")
        return ", ".join(said)


def features(row) -> Pair:
    a, b, name_a, name_b, address_a, address_b, same_commune, *rest = row
    pivot_a, pivot_b, phone_a, phone_b, id_a, id_b, metres = rest
    na, nb = " ".join(words(name_a)), " ".join(words(name_b))
    aa, ab = " ".join(words(address_a, True)), " ".join(words(address_b, True))
    return Pair(
        first=a,
        second=b,
        name=similarity(na, nb),
        address=similarity(aa, ab),
        same_name=na == nb,
        same_address=bool(aa) and aa == ab,
        same_commune=bool(same_commune),
        same_pivot=real_pivot(pivot_a) and pivot_a == pivot_b,
        same_phone=bool(phone_a) and phone_a == phone_b,
        same_id=copied_id(id_a, id_b),
        other_number=numbers(na) != numbers(nb),
        other_house=bool(numbers(aa) and numbers(ab)) and numbers(aa) != numbers(ab),
        metres=metres,
    )


# The rules, chosen on the labelled sample (docs/matching.md: 160 real pairs; no
# distinct pair there had names alike above 0.44 at addresses alike from 0.6).
SURE_METRES = 50  # the same name this close: one place
SURE_ADDRESS = 0.6  # addresses this alike (trigrams, abbreviations spelled out)…
SURE_NAME = 0.5  # …and names this alike, in the same commune: one place
PIVOT_NAME = 0.4  # with the same real SIRET, names this alike suffice
REVIEW_NAME = 0.5  # a coordinator looks at names this alike


def decide(pair: Pair) -> str | None:
    """ "merge" when sure, "review" when a coordinator should look, else None."""
    near = pair.metres is not None and pair.metres <= SURE_METRES
    if pair.same_commune:
        if pair.same_id:
            return "merge"
        if pair.other_number:  # "Espace 12" and "Espace 13"
            return "review" if pair.same_address else None
        if pair.same_name and (pair.same_address or near):
            return "merge"
        alike = pair.address >= SURE_ADDRESS and not pair.other_house
        if alike and pair.name >= SURE_NAME:
            return "merge"
        if alike and pair.same_pivot and pair.name >= PIVOT_NAME:
            return "merge"
    if (
        pair.name >= REVIEW_NAME
        or pair.same_pivot
        or (pair.address >= SURE_ADDRESS and pair.name >= 0.3)
    ):
        return "review"
    return None


def pairs_of(pks: list[int]) -> list[Pair]:
    if not pks:
        return []
    with connection.cursor() as cursor:
        cursor.execute(PAIRS_SQL, {"pks": list(pks)})
        return [features(row) for row in cursor.fetchall()]


@dataclass
class Outcome:
    merged: list[tuple[int, int]]  # (kept, merged into it)


@transaction.atomic
def match(pks: list[int], user=None) -> Outcome:
    """Look for places like the places `pks` among all published ones: merge those
    the rules are sure of (into the oldest place of each group), keep the others
    for review. A merged place shows new values (its records'): it is compared
    again, until nothing more is sure."""
    outcome = Outcome([])
    for _round in range(5):
        merged = match_once(pks, user)
        outcome.merged += merged
        if not merged:
            break
        pks = sorted({kept for kept, _other in merged})
    return outcome


def match_once(pks: list[int], user=None) -> list[tuple[int, int]]:
    merged = []
    sure, review = [], []
    for pair in pairs_of(pks):
        verdict = decide(pair)
        if verdict == "merge":
            sure.append(pair)
        elif verdict == "review":
            review.append(pair)
    # Groups (a pair may chain places: A=B, B=C), each merged into its oldest place.
    group: dict[int, int] = {}

    def root(pk: int) -> int:
        while group.get(pk, pk) != pk:
            pk = group[pk]
        return pk

    # A pair a coordinator said apart is never among `sure`, but a third place
    # could join them: a join that would is left for review instead.
    ids = {pk for pair in sure for pk in (pair.first, pair.second)}
    apart = set(
        MatchCandidate.objects.filter(
            decision=MatchCandidate.Decision.DISTINCT,
            first_id__in=ids,
            second_id__in=ids,
        ).values_list("first_id", "second_id")
    )
    members: dict[int, set[int]] = {}
    for pair in sorted(sure, key=lambda pair: -pair.score):
        a, b = root(pair.first), root(pair.second)
        if a == b:
            continue
        one, other = members.get(a, {a}), members.get(b, {b})
        if any(
            (x in one and y in other) or (x in other and y in one) for x, y in apart
        ):
            review.append(pair)
            continue
        group[max(a, b)] = min(a, b)
        members[min(a, b)] = one | other
    groups: dict[int, list[int]] = {}
    for pk in sorted(group):
        groups.setdefault(root(pk), []).append(pk)
        merged.append((root(pk), pk))
    if groups:
        found = {(p.first, p.second): (p.reasons(), p.score) for p in sure}
        merge_groups(groups, user, automatic=True, found=found)
    # Proposed once merged: a pair with a place just merged is about the place
    # it was merged into (and about nothing when both are now one).
    propose(
        (min(a, b), max(a, b), pair.reasons(), pair.score)
        for pair in review
        if (a := root(pair.first)) != (b := root(pair.second))
    )
    return merged
