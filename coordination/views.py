import logging

from django.conf import settings
from django.contrib import admin
from django.core.cache import cache
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from places.models import Place

from .forms import ProposalForm, SuggestionForm
from .models import Suggestion
from .suggestions import current_value, notify

RATE_WINDOW = 3600  # seconds
log = logging.getLogger(__name__)


def too_many(request) -> bool:
    """At most SUGGESTIONS_PER_HOUR suggestions an hour from one address (the
    client's, epn_directory/clients.py). Without a cache, no limit: a citizen's
    suggestion is worth more than a spammer's nuisance."""
    key = f"suggestions:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, RATE_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_WINDOW)
        count = 1
    if count is None:  # the cache is down (django-redis answers None)
        log.warning("Suggestions are not rate-limited: the cache does not answer.")
        return False
    return count > settings.SUGGESTIONS_PER_HOUR


@require_http_methods(["GET", "HEAD", "POST"])
def suggest(request, slug: str):
    place = get_object_or_404(
        Place.objects.published().select_related("commune"), slug=slug
    )
    form = SuggestionForm(request.POST or None)
    if request.method == "POST":
        if too_many(request):
            return render(
                request, "coordination/too_many.html", {"place": place}, status=429
            )
        if form.is_valid():
            if not form.is_robot:  # a robot gets the same answer, and nothing saved
                suggestion = form.save(commit=False)
                suggestion.place = place
                suggestion.current_value = current_value(place, suggestion.field)
                suggestion.save()
                notify(suggestion, request)
            return redirect("coordination:thanks", slug=place.slug)
    context = {"place": place, "form": form, "cancel_url": place.get_absolute_url()}
    return render(request, "coordination/suggest.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def propose(request):
    """/lieux/proposer/: anyone proposes a missing place; nothing is public until a
    coordinator of its commune accepts it (coordination/proposals.py)."""
    form = ProposalForm(request.POST or None)
    if request.method == "POST":
        if too_many(request):
            return render(request, "coordination/too_many.html", status=429)
        if form.is_valid():
            if not form.is_robot:  # a robot gets the same answer, and nothing saved
                suggestion = Suggestion.objects.create(
                    field=Suggestion.Field.NEW_PLACE,
                    commune=form.commune,
                    proposal=form.proposal(),
                    proposed_value=form.cleaned_data["name"][:500],
                    comment=form.cleaned_data["comment"],
                    email=form.cleaned_data["email"],
                    language=get_language(),
                )
                notify(suggestion, request)
            return redirect("coordination:proposed")
    context = {"form": form, "cancel_url": reverse("places:home")}
    return render(request, "coordination/propose.html", context)


def proposed(request):
    return render(request, "coordination/proposed.html")


def thanks(request, slug: str):
    place = get_object_or_404(Place.objects.published(), slug=slug)
    return render(request, "coordination/thanks.html", {"place": place})


def permission_denied(request, exception=None):
    """403 in the site's layout: in the admin's for the admin (a coordinator who
    follows a link to another territory's place), saying why."""
    reason = str(exception or "")
    if request.path.startswith("/admin/"):
        reason = reason or _(
            "Cette page concerne un lieu hors de votre territoire, ou demande des "
            "droits que vous n’avez pas."
        )
        context = {**admin.site.each_context(request), "title": _("Accès refusé")}
        return render(
            request, "admin/403.html", {**context, "reason": reason}, status=403
        )
    reason = reason or _("Vous n’avez pas accès à cette page.")
    return render(request, "403.html", {"reason": reason}, status=403)
