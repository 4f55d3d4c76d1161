"""A harvest asked from the admin, run by the task worker (a partner's server may
take a minute to answer, an import longer)."""

from django_tasks import task

from .harvest import harvest
from .models import Partner


@task()
def harvest_partner(partner_id: int, force: bool = False) -> None:
    partner = Partner.objects.filter(pk=partner_id).select_related("territory").first()
    if partner is not None:
        harvest(partner, force=force)
