"""One place, once, in the admin: the review queue of the places that may be one
(`MatchCandidate`), compared side by side, merged or told apart. A coordinator
reviews the pairs whose two places are both in their territory, as they edit only
those places (coordination/scope.py). Where a place's values come from, and
"Séparer", are places/admin_sources.py."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from coordination.roles import scoped
from coordination.scope import SaysOutOfScope

from . import merging
from .admin_sources import source_names
from .models import MatchCandidate, Place, SourceRecord

PENDING = MatchCandidate.Decision.PENDING
PAIR_OUT_OF_SCOPE = _("Au moins un de ces deux lieux est hors de votre territoire.")


def may_review(user) -> bool:
    """Deciding whether two places are one changes both: it takes the right to
    change places (the coordinators' group has it; it has none on the pairs)."""
    return user.has_perm("places.change_place") or user.has_perm(
        "places.change_matchcandidate"
    )


# The review queue.


class DecisionFilter(admin.SimpleListFilter):
    """The pairs to examine unless asked otherwise: the queue is the work."""

    title = _("décision")
    parameter_name = "decision"
    ALL = "all"

    def lookups(self, request, model_admin):
        return [*MatchCandidate.Decision.choices, (self.ALL, _("toutes"))]

    def value(self):
        return super().value() or PENDING

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: value}
                ),
                "display": label,
            }

    def queryset(self, request, queryset):
        if self.value() == self.ALL:
            return queryset
        return queryset.filter(decision=self.value())


def decidable(first: Place, second: Place) -> bool:
    """Still two places to decide on: neither has become part of another, and one
    at least is published (the queue compares published places)."""
    statuses = {first.status, second.status}
    return Place.Status.MERGED not in statuses and Place.Status.PUBLISHED in statuses


def kept_and_merged(first: Place, second: Place) -> tuple[Place, Place]:
    """The place that stays (the older one, unless only the other is published:
    its page is the one people know) and the one merged into it."""
    published = [p for p in (first, second) if p.status == Place.Status.PUBLISHED]
    target = published[0] if len(published) == 1 else min(first, second, key=pk_of)
    return target, (second if target is first else first)


def pk_of(place: Place) -> int:
    return place.pk


def comparison(first: Place, second: Place) -> list[tuple[str, str, str, bool]]:
    """(label, first's value, second's, whether they differ) for the fields that
    tell two places apart."""
    sources = records_shown([first.pk, second.pk])

    def values(place: Place) -> list[str]:
        return [
            place.name,
            ", ".join(v for v in (place.address, place.address_extra) if v),
            place.postal_code,
            str(place.commune) if place.commune_id else "",
            place.phone,
            ", ".join(place.emails),
            ", ".join(place.websites),
            place.opening_hours,
            ", ".join(kind.label for kind in place.kinds.all()),
            "; ".join(sources.get(place.pk, [])),
            date_format(place.data_updated_on, "SHORT_DATE_FORMAT")
            if place.data_updated_on
            else "",
            place.get_status_display(),
        ]

    labels = [
        _("nom"), _("adresse"), _("code postal"), _("commune"), _("téléphone"),
        _("courriels"), _("sites web"), _("horaires"), _("types"),
        _("source et identifiant"), _("mis à jour le"), _("statut"),
    ]  # fmt: skip
    return [
        (label, a or "—", b or "—", a != b)
        for label, a, b in zip(labels, values(first), values(second), strict=True)
    ]


def records_shown(pks: list[int]) -> dict[int, list[str]]:
    """Each place's open records, as "source · id at the source"."""
    records = list(
        SourceRecord.objects.filter(place_id__in=pks, withdrawn_at__isnull=True)
        .order_by("first_seen", "pk")
        .values_list("place_id", "source", "source_id")
    )
    sources = source_names(source for _pk, source, _id in records)
    shown: dict[int, list[str]] = {}
    for place_pk, source, source_id in records:
        shown.setdefault(place_pk, []).append(f"{sources[source][0]} · {source_id}")
    return shown


@admin.register(MatchCandidate)
class MatchCandidateAdmin(SaysOutOfScope, admin.ModelAdmin):
    """« Doublons possibles »: a pair per row, its page compares the two places and
    decides. Pairs come from the matching (places/matching.py), never by hand; a
    decision is their memory (a "not the same" is never proposed again), so none
    is deleted here."""

    out_of_scope = PAIR_OUT_OF_SCOPE
    list_display = [
        "first_place", "second_place", "reason", "likeness", "decision", "automatic",
    ]  # fmt: skip
    list_filter = [DecisionFilter, "automatic"]
    actions = None
    show_full_result_count = False
    # Pending pairs first (when all are listed), the most alike first.
    ordering = [
        Case(
            When(decision=PENDING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ).asc(),
        "-score",
        "pk",
    ]

    def get_queryset(self, request):
        """Both places in the user's territory (one condition per place, in SQL)."""
        pairs = (
            super()
            .get_queryset(request)
            .select_related("first__commune", "second__commune", "decided_by")
        )
        pairs = scoped(pairs, request.user, "first__commune__")
        return scoped(pairs, request.user, "second__commune__")

    def has_view_permission(self, request, obj=None):
        return may_review(request.user)

    def has_change_permission(self, request, obj=None):
        return may_review(request.user)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("lieu"), ordering="first__name")
    def first_place(self, pair: MatchCandidate) -> str:
        return named(pair.first)

    @admin.display(description=_("autre lieu"), ordering="second__name")
    def second_place(self, pair: MatchCandidate) -> str:
        return named(pair.second)

    @admin.display(description=_("ressemblance"), ordering="score")
    def likeness(self, pair: MatchCandidate) -> str:
        return gettext("%(percent)s %%") % {"percent": round(pair.score * 100)}

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/fusionner/",
                view(require_POST(self.merge_view)),
                name="places_matchcandidate_merge",
            ),
            path(
                "<int:pk>/distincts/",
                view(require_POST(self.distinct_view)),
                name="places_matchcandidate_distinct",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The two places side by side, and the two decisions (each its own POST)."""
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        pair = self.get_object(request, unquote(object_id))  # 403 outside
        if pair is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, pair):
            raise PermissionDenied
        first, second = pair.first, pair.second
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Même lieu ?"),
            "pair": pair,
            "first": first,
            "second": second,
            "rows": comparison(first, second),
            "likeness": self.likeness(pair),
            "may_decide": pair.decision == PENDING
            and decidable(first, second)
            and self.has_change_permission(request, pair),
            "blocked": pair.decision == PENDING and not decidable(first, second),
            "kept": kept_and_merged(first, second)[0],
        }
        return TemplateResponse(
            request, "admin/places/matchcandidate/compare.html", context
        )

    def merge_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.decide(request, pk, same=True)

    def distinct_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.decide(request, pk, same=False)

    @transaction.atomic
    def decide(self, request: HttpRequest, pk: int, same: bool) -> HttpResponse:
        """Merge the two places, or remember they are two. The pair and its places
        are locked first: two coordinators on the same pair decide once."""
        pair = self.get_object(request, str(pk))  # 403 outside the territory
        if pair is None:
            raise Http404
        if not self.has_change_permission(request, pair):
            raise PermissionDenied
        pair = MatchCandidate.objects.select_for_update().get(pk=pair.pk)
        first, second = (
            Place.objects.select_for_update()
            .filter(pk__in=[pair.first_id, pair.second_id])
            .order_by("pk")
        )
        refusal = None
        if pair.decision != PENDING:
            refusal = gettext("Ce doublon a déjà été décidé : rien n’a changé.")
        elif not decidable(first, second):
            refusal = gettext(
                "Un des deux lieux n’est plus publié (fusionné dans un autre, ou "
                "retiré) : rien n’a changé."
            )
        if refusal:
            messages.error(request, refusal)
            return redirect(reverse("admin:places_matchcandidate_change", args=[pk]))
        if same:
            target, other = kept_and_merged(first, second)
            # The names as the coordinator saw them (the merge may rename the place).
            names = {"other": other.name, "target": target.name}
            merging.merge(target, other, request.user)
            said = gettext("Fusionnés : « %(other)s » fait partie de « %(target)s ».")
            said %= names
        else:
            merging.remember(
                first, second, MatchCandidate.Decision.DISTINCT, request.user
            )
            said = gettext(
                "Noté : « %(first)s » et « %(second)s » sont deux lieux ; ils ne "
                "seront plus proposés."
            )
            said %= {"first": first.name, "second": second.name}
        messages.success(request, said)
        return redirect(self.next_pair_url(request))

    def next_pair_url(self, request: HttpRequest) -> str:
        """The next pair to examine in the user's territory, or the queue."""
        merged = Place.Status.MERGED
        following = (
            self.get_queryset(request)
            .filter(decision=PENDING)
            .exclude(first__status=merged)
            .exclude(second__status=merged)
            .order_by("-score", "pk")
            .values_list("pk", flat=True)
            .first()
        )
        if following is None:
            return reverse("admin:places_matchcandidate_changelist")
        return reverse("admin:places_matchcandidate_change", args=[following])


def named(place: Place) -> str:
    return f"{place.name} · {place.commune}" if place.commune_id else place.name
