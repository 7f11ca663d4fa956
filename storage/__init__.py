"""Storage: SQLAlchemy Core on asyncio engines, Alembic migrations, small repositories."""
