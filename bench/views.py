from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def bare_page(request: HttpRequest) -> HttpResponse:
    """The machine's ceiling for `bench_load`: a page rendered by Django through the
    same middleware, without data. Routed only when BENCH_BARE_PAGE is set."""
    return render(request, "bench/bare.html", {"title": "Page nue"})
