from django.urls import path

from . import views

app_name = "bench"

urlpatterns = [path("bench/bare/", views.bare_page, name="bare")]
