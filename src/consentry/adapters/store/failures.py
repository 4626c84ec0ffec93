"""Driver and SQLAlchemy errors become Consentry's at the store's boundary (STYLE §4).

The one map, used by every port method of the store (``translated``) and by the unit of work
around them (``engine.unit_of_work``); the original error is chained (``from exc``).

====================================================  ==================================
raised below the port                                 raised through the port
====================================================  ==================================
``OperationalError`` (no server, locked, serialise)   ``Unavailable``: retry later
a lost connection (``connection_invalidated``)        ``Unavailable``: retry now
anything else (``IntegrityError``, ``DataError`` …)   ``InternalError``: rolled back
====================================================  ==================================

Errors the store expects (a duplicate scope or address) are turned into their own errors where
they happen (``ScopeExists``, ``ContactExists``) and never reach this map.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import wraps
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from consentry.core.errors import ConsentryError, InternalError, Unavailable

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


def translate(exc: SQLAlchemyError) -> ConsentryError:
    """Our error for a driver or SQLAlchemy error (raise it ``from exc``)."""
    if isinstance(exc, OperationalError):
        return Unavailable(f"the database is unavailable: {exc.orig}")
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return Unavailable("the database connection was lost; retry")
    return InternalError("the database refused a statement; nothing half-done was kept")


def translated(method: Callable[P, R]) -> Callable[P, R]:
    """A port method that raises only Consentry's errors."""

    @wraps(method)
    def boundary(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except SQLAlchemyError as exc:
            raise translate(exc) from exc

    return boundary


def translated_rows(rows: Iterator[T]) -> Iterator[T]:
    """The rows of a stream, with errors raised while reading it translated."""
    try:
        yield from rows
    except SQLAlchemyError as exc:
        raise translate(exc) from exc
