from django.contrib.sitemaps import Sitemap

from .models import Place, Territory


class BothLanguages(Sitemap):
    """Each page in French and in English (/en/…), each naming the other
    (hreflang alternates), French as the default."""

    i18n = True
    alternates = True
    x_default = True


class PlaceSitemap(BothLanguages):
    changefreq = "weekly"
    limit = 10000

    def items(self):
        return Place.objects.published().order_by("pk").only("slug", "updated_at")

    def lastmod(self, place: Place):
        return place.updated_at


class TerritorySitemap(BothLanguages):
    """Régions and départements, and the communes that have places."""

    changefreq = "weekly"
    limit = 10000

    def items(self):
        with_places = Place.objects.published().values("commune_id")
        return (
            Territory.objects.filter(level__in=["region", "departement"])
            | Territory.objects.filter(pk__in=with_places)
        ).order_by("level", "code")


SITEMAPS = {"lieux": PlaceSitemap, "territoires": TerritorySitemap}
