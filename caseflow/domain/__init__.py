"""The pure domain: events, aggregates, the workflow engine, roles and guards.

Nothing here may import Flask, SQLAlchemy or any other layer of Caseflow: the
event store, projections, web and CLI depend on the domain, never the reverse
(enforced by ``tests/test_architecture.py``).
"""
