"""社区征询 — community consultation and voting platform.

The package is laid out by domain (accounts, communities, consultations, voting,
surveys, owners, ...); each domain keeps its models, pure rules, services and thin
routes together. What every page shares lives in :mod:`consult.web`.
"""
