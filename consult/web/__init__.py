"""What every page and API route shares: middleware, sessions, CSRF, guards, templating, errors.

Importing this package (every routes and api module does, before it builds its routes)
narrows Starlette's ``{name:int}`` path convertor to what a database integer holds: see
``consult.web.routing.DatabaseIntConvertor``.
"""

from consult.web.routing import install_int_convertor

install_int_convertor()
