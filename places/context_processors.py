from django.conf import settings


def map_config(request):
    """The tile server, for static/js/map.js (read through `json_script`)."""
    return {
        "map_config": {
            "tiles": settings.MAP_TILES_URL,
            "attribution": settings.MAP_TILES_ATTRIBUTION,
        }
    }
