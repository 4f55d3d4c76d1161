from django.urls import path, re_path

from . import map_views, views

app_name = "places"

urlpatterns = [
    path("", views.home, name="home"),
    path("lieux/", views.place_list, name="list"),
    path("lieux/<slug:slug>/", views.place_detail, name="detail"),
    path("territoires/<slug:code>/", views.territory_detail, name="territory"),
    path("carte/", map_views.map_page, name="map"),
    path("carte/lieux.geojson", map_views.places_geojson, name="geojson"),
    path("carte/liste/", map_views.map_list, name="map-list"),
    path("horaires/apercu/", views.hours_preview, name="hours-preview"),
    re_path(
        r"^export/lieux\.(?P<fmt>csv|json|geojson)$", views.export_places, name="export"
    ),
]
