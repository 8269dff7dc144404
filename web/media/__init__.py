"""Item media: teachers upload images for their items; pages show them to who may see them."""

from web.media.views import bp

__all__ = ["bp"]
