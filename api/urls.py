from django.urls import path, re_path
from django.views.generic import RedirectView

from . import docs, errors, views

app_name = "api"

urlpatterns = [
    path(
        "api/",
        errors.json_safe_methods(RedirectView.as_view(pattern_name="api:docs")),
    ),
    path("api/v1/", errors.json_safe_methods(docs.documentation), name="docs"),
    path("api/v1/openapi.json", docs.OpenApiView.as_view(), name="openapi"),
    path("api/v1/lieux/", views.PlaceList.as_view(), name="places"),
    path(
        "api/v1/lieux/supprimes/",
        views.DeletedPlaceList.as_view(),
        name="deleted-places",
    ),
    path("api/v1/lieux/<int:pk>/", views.PlaceDetail.as_view(), name="place"),
    path("api/v1/territoires/", views.TerritoryList.as_view(), name="territories"),
    path(
        "api/v1/territoires/<slug:code>/",
        views.TerritoryDetail.as_view(),
        name="territory",
    ),
    path("api/v1/vocabulaires/", views.VocabularyList.as_view(), name="vocabularies"),
    re_path(r"^api/(?P<path>[\s\S]*)$", errors.not_found),
]
