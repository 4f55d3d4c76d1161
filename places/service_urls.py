"""Addresses for machines, in no language: the health check, robots.txt and the
sitemaps (which list the pages of both languages)."""

from django.contrib.sitemaps import views as sitemaps
from django.urls import path

from . import service_views as views
from .sitemaps import SITEMAPS

app_name = "service"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots, name="robots"),
    path(
        "sitemap.xml",
        sitemaps.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "service:sitemap"},
        name="sitemap-index",
    ),
    path(
        "sitemap-<section>.xml",
        sitemaps.sitemap,
        {"sitemaps": SITEMAPS},
        name="sitemap",
    ),
]
