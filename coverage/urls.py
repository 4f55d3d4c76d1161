from django.urls import path

from . import views

app_name = "coverage"

urlpatterns = [
    path("couverture/", views.coverage_page, name="country"),
    path("couverture.csv", views.coverage_csv, name="country-csv"),
    path("couverture.geojson", views.coverage_map, name="country-map"),
    path("territoires/<slug:code>/couverture/", views.coverage_page, name="page"),
    path("territoires/<slug:code>/couverture.csv", views.coverage_csv, name="csv"),
    path("territoires/<slug:code>/couverture.geojson", views.coverage_map, name="map"),
]
