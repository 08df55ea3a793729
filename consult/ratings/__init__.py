"""Star-rating campaigns 星级评定, photo contests and owners'-representative forums 业主代表座谈会.

Its surface (see :mod:`consult.surface`) names what a higher domain registers: the
residents' ratings of delivered projects (``PROJECT_SOURCES``).
"""

from consult.surface import surface

_SURFACE = {
    "PROJECT_SOURCES": "consult.ratings.services.projects:PROJECT_SOURCES",
    "ProjectSource": "consult.ratings.services.projects:ProjectSource",
}

__all__ = sorted(_SURFACE)
__getattr__, __dir__ = surface(__name__, _SURFACE)
