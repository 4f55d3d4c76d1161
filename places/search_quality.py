"""Measured search quality: precision@10 and recall@10 of need queries, and the share
of misspelt or ambiguous towns understood, over the relevance set
`search_data/relevance.yaml` (written for the real data of ../shared/data).

A need query's right answers are the published places that have any of its
`relevant` facet codes (each parameter's codes with `all: true`) and lie in its `in`
territory. precision@10: the right ones among the first ten results; recall@10: the
right ones found among the first ten, over min(10, number of right answers).
"""

import functools
import operator
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db.models import Q
from django.http import QueryDict

from .facets import facet_condition, facet_options
from .filters import PlaceFilter
from .models import Place, Territory, territory_condition
from .where import resolve

RELEVANCE_FILE = Path(__file__).parent / "search_data" / "relevance.yaml"
TOP = 10
# The bar of issue 13: `search_quality --check` and the tests hold the search to it.
MIN_PRECISION, MIN_RECALL, MIN_TOWNS = 0.9, 0.85, 0.9


@dataclass
class NeedScore:
    query: str
    relevant: int  # right answers in the whole data
    found: int  # results of the search
    right: int  # right answers among the first TOP results
    shown: int  # results among the first TOP (≤ TOP)

    @property
    def precision(self) -> float:
        return self.right / self.shown if self.shown else 0.0

    @property
    def recall(self) -> float:
        return self.right / min(TOP, self.relevant) if self.relevant else 1.0


@dataclass
class TownScore:
    typed: str
    expected: str
    understood: str

    @property
    def ok(self) -> bool:
        return self.expected == self.understood


@dataclass
class Report:
    needs: list[NeedScore]
    towns: list[TownScore]

    @property
    def precision(self) -> float:
        return sum(s.precision for s in self.needs) / len(self.needs)

    @property
    def recall(self) -> float:
        return sum(s.recall for s in self.needs) / len(self.needs)

    @property
    def towns_understood(self) -> float:
        return sum(s.ok for s in self.towns) / len(self.towns)

    @property
    def meets_the_bar(self) -> bool:
        return (
            self.precision >= MIN_PRECISION
            and self.recall >= MIN_RECALL
            and self.towns_understood >= MIN_TOWNS
        )


def territory(code: str) -> Territory:
    if code.startswith("R"):
        return Territory.objects.get(level="region", code=code[1:])
    level = "departement" if len(code) <= 3 else "commune"
    return Territory.objects.get(level=level, code=code)


def right_answers(case: dict) -> Q:
    """The places `case` defines as right, as a condition."""
    options = facet_options()
    conditions = [
        facet_condition([(param, code) for code in codes], options)
        for param, codes in case["relevant"].items()
    ]
    joined = functools.reduce(
        operator.and_ if case.get("all") else operator.or_, conditions
    )
    for words in case.get("named", []):
        joined |= Q(name__unaccent__icontains=words)
    if case.get("in"):
        joined &= territory_condition(territory(str(case["in"])))
    return joined


def score_need(case: dict) -> NeedScore:
    params = QueryDict(mutable=True)
    params["q"] = case["q"]
    if case.get("ou"):
        params["ou"] = str(case["ou"])
    results = PlaceFilter(params, queryset=Place.objects.published()).qs
    top = list(results.values_list("pk", flat=True)[:TOP])
    right = Place.objects.published().filter(right_answers(case))
    query = case["q"] + (f" | ou={case['ou']}" if case.get("ou") else "")
    return NeedScore(
        query=query,
        relevant=right.count(),
        found=results.count(),
        right=right.filter(pk__in=top).count(),
        shown=len(top),
    )


def score_town(case: dict) -> TownScore:
    where = resolve(str(case["ou"]))
    found = where.territory.url_code if where.territory else ""
    return TownScore(str(case["ou"]), str(case["code"]), found)


def evaluate(path: Path = RELEVANCE_FILE) -> Report:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Report(
        needs=[score_need(case) for case in data["needs"]],
        towns=[score_town(case) for case in data["towns"]],
    )
