"""Imports every domain's tables so ``SQLModel.metadata`` is complete.

Alembic's env and the schema-drift test import this module; a new domain adds
its models here.
"""

from sqlmodel import SQLModel

from consult.accounts import models as _accounts  # noqa: F401
from consult.audit import models as _audit  # noqa: F401
from consult.communities import models as _communities  # noqa: F401
from consult.notifications import models as _notifications  # noqa: F401

metadata = SQLModel.metadata
