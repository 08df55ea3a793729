"""Imports every domain's tables so ``SQLModel.metadata`` is complete.

Alembic's env and the schema-drift test import this module; a new domain adds
its models here.
"""

from importlib import import_module

from sqlmodel import SQLModel

#: Every domain with tables. A new domain adds its name here.
MODEL_DOMAINS = ("accounts", "audit", "communities", "notifications", "consultations",
                 "voting", "surveys", "ratings", "owners", "messaging", "elections", "points", "delivery")

for _name in MODEL_DOMAINS:
    import_module(f"consult.{_name}.models")

metadata = SQLModel.metadata
