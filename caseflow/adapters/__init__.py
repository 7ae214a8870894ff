"""Infrastructure: SQLAlchemy 2 lives here and nowhere in the domain."""
