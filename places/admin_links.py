"""The place form's eleven lists of values (kinds, services, publics…), read
together: Django's form reads each list's choices and the place's own values with
one query per list (22 queries); here the choices of every vocabulary come from one
query per request, and the place's values from one (places/links.py)."""

from django.forms.models import ModelChoiceIterator

from .models import Term


class ListedChoices(ModelChoiceIterator):
    """A list's choices from `field.listed`, read beforehand with the others."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for term in self.field.listed:
            yield self.choice(term)

    def __len__(self):
        return len(self.field.listed) + (self.field.empty_label is not None)


def terms_by_vocabulary(request) -> dict[str, list[Term]]:
    """Every term, by vocabulary, in their order: one query per request."""
    if not hasattr(request, "terms_by_vocabulary"):
        listed: dict[str, list[Term]] = {}
        for term in Term.objects.order_by(*Term._meta.ordering):
            listed.setdefault(term.vocabulary, []).append(term)
        request.terms_by_vocabulary = listed
    return request.terms_by_vocabulary


def list_choices_together(field, db_field, request) -> None:
    """Give the form field of a list of terms its choices from the shared read."""
    vocabulary = (db_field.remote_field.limit_choices_to or {}).get("vocabulary")
    if field is not None and vocabulary is not None:
        field.listed = terms_by_vocabulary(request).get(vocabulary, [])
        field.iterator = ListedChoices
