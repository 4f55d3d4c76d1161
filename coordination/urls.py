from django.urls import path

from . import views

app_name = "coordination"

urlpatterns = [
    path("lieux/proposer/", views.propose, name="propose"),
    path("lieux/proposer/merci/", views.proposed, name="proposed"),
    path("lieux/<slug:slug>/signaler/", views.suggest, name="suggest"),
    path("lieux/<slug:slug>/signaler/merci/", views.thanks, name="thanks"),
]
