"""The URLs the load benchmark asks for, drawn from the data with fixed seeds: the
warm scenarios (each URL asked many times) and the cold and varied one (each asked
once)."""

import random
from urllib.parse import quote_plus, urlencode

from django.db.models import Count

from places.models import Place, PointX, PointY, Term, Territory

WORDS = ["mediatheque", "numerique", "fablab", "espace", "atelier", "cyber",
         "tiers-lieu", "france services", "centre social", "coworking"]  # fmt: skip


def warm_scenarios() -> list[tuple[str, list[str]]]:
    """URLs as citizens ask for them, drawn from the data (fixed seed)."""
    rng = random.Random(7)
    published = Place.objects.published()
    ids = list(published.values_list("pk", flat=True))
    sample = rng.sample(ids, min(2000, len(ids)))
    places = list(
        published.filter(pk__in=sample)
        .annotate(lon=PointX("location"), lat=PointY("location"))
        .values_list("slug", "lon", "lat")
    )
    place_pages = [f"/lieux/{slug}/" for slug, _, _ in places]
    services = list(
        Term.objects.filter(vocabulary="service")
        .order_by("pk")
        .values_list("code", flat=True)[:4]
    )
    towns = list(
        Territory.objects.filter(level__in=["commune", "arrondissement"])
        .annotate(n=Count("places"))
        .order_by("-n")
        .values_list("name", flat=True)[:60]
    )
    listings = (
        [f"/lieux/?q={quote_plus(w)}" for w in WORDS]
        + [f"/lieux/?ou={quote_plus(t)}" for t in towns]
        + [f"/lieux/?ou={d}" for d in ("35", "29", "75", "13", "69", "59", "33")]
        + [
            f"/lieux/?lat={lat:.4f}&lon={lon:.4f}&tri=distance"
            for _, lon, lat in places[:60]
            if lat is not None
        ]
        + [
            f"/lieux/?type={kind}&service={service}&frais=gratuit"
            for kind in ("epn", "fablab", "tiers-lieu", "coworking")
            for service in services
        ]
        + ["/lieux/?ouvert=1"]
        + [f"/lieux/?ouvert=1&ou={quote_plus(t)}" for t in towns[:20]]
        + [f"/lieux/?page={n}" for n in range(1, 6)]
    )
    cities = [
        (lon, lat) for _, lon, lat in places[60:120] if lat is not None
    ]  # map views around some places
    map_data = ["/carte/lieux.geojson?bbox=-5.5,41.2,9.8,51.2&zoom=6"] + [
        f"/carte/lieux.geojson?bbox={lon - 0.06:.3f},{lat - 0.03:.3f},"
        f"{lon + 0.06:.3f},{lat + 0.03:.3f}&zoom=13"
        for lon, lat in cities
    ]
    territories = [f"/territoires/{d}/" for d in ("35", "29", "22", "56", "R53")]
    weighted = [
        (place_pages, 45),
        (listings, 25),
        (["/"], 8),
        (map_data, 12),
        (["/carte/", "/carte/?type=fablab"], 5),
        (territories, 5),
    ]
    mixed = []
    for paths, weight in weighted:
        mixed += rng.choices(paths, k=weight * 40)
    rng.shuffle(mixed)
    return [
        ("place pages", place_pages),
        ("listings", listings),
        ("mixed traffic", mixed),
    ]


def cold_urls(count: int) -> dict[str, list[str]]:
    """Random realistic pages (another seed than the warm scenarios'): searches
    by commune or point, with words, 0–2 facets and sometimes open now; place,
    territory and map pages."""
    rng = random.Random(2026)
    published = Place.objects.published()
    ids = list(published.values_list("pk", flat=True))
    located = list(
        published.filter(pk__in=rng.sample(ids, min(3000, len(ids))))
        .annotate(lon=PointX("location"), lat=PointY("location"))
        .values_list("slug", "lon", "lat", "commune__code")
    )
    towns = list(
        Territory.objects.filter(level__in=["commune", "arrondissement"])
        .annotate(n=Count("places"))
        .filter(n__gt=0)
        .values_list("name", flat=True)
    )
    options = {
        "type": ["epn", "fablab", "tiers-lieu", "coworking"],
        **{
            param: list(
                Term.objects.filter(vocabulary=vocabulary).values_list(
                    "code", flat=True
                )
            )
            for param, vocabulary in (
                ("service", "service"),
                ("public", "public"),
                ("frais", "fee"),
                ("accompagnement", "support_mode"),
            )
        },
    }
    listings = set()
    while len(listings) < count:
        params = {}
        where = rng.random()
        if where < 0.5:
            params["ou"] = rng.choice(towns)
        elif where < 0.8:
            _slug, lon, lat, _code = rng.choice(located)
            params.update(
                lat=f"{lat + rng.uniform(-0.05, 0.05):.4f}",
                lon=f"{lon + rng.uniform(-0.05, 0.05):.4f}",
                tri="distance",
            )
        if rng.random() < 0.5:
            params["q"] = rng.choice(WORDS)
        for param in rng.sample(list(options), rng.choice([0, 0, 1, 2])):
            params[param] = rng.choice(options[param])
        if rng.random() < 0.15:
            params["ouvert"] = "1"
        listings.add("/lieux/?" + urlencode(params))
    places = rng.sample(located, min(count, len(located)))
    departements = list(
        Territory.objects.filter(level="departement").values_list("code", flat=True)
    )
    return {
        "listing": sorted(listings),
        "place page": [f"/lieux/{slug}/" for slug, *_ in places],
        "territory page": [f"/territoires/{code}/" for code in departements]
        + [f"/territoires/{code}/" for *_, code in places[:100]],
        "map page": [
            f"/carte/?ou={quote_plus(town)}" for town in rng.sample(towns, 60)
        ],
        "map data": [
            f"/carte/lieux.geojson?bbox={lon - 0.06:.3f},{lat - 0.03:.3f},"
            f"{lon + 0.06:.3f},{lat + 0.03:.3f}&zoom=13"
            for _slug, lon, lat, _code in places[:100]
        ],
    }
