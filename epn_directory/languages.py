"""The page's language comes from its address only: French at the usual paths,
English under /en/ (epn_directory/urls.py). Never from the browser's
Accept-Language nor a cookie, so that a shared link shows everyone the same page
and caches keep one copy of each."""

from django.middleware.locale import LocaleMiddleware
from django.utils.cache import cc_delim_re


class PathLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware (which already takes French for unprefixed paths
    with `prefix_default_language=False`), without the `Vary: Accept-Language` it
    adds to them: they do not vary with it."""

    def process_response(self, request, response):
        response = super().process_response(request, response)
        if response.has_header("Vary"):
            kept = [
                value
                for value in cc_delim_re.split(response["Vary"])
                if value and value.lower() != "accept-language"
            ]
            if kept:
                response["Vary"] = ", ".join(kept)
            else:
                del response["Vary"]
        return response
