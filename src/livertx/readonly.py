"""Read-only list and dict: values that several results share (`livertx.engine.typed`).

They are a `list` and a `dict` to every reader (isinstance, ==, iteration, JSON, pydantic's
dump), but refuse to change, so that a caller who edits one result cannot edit another's
through a shared part. A copy (`list(x)`, `dict(x)`, `copy.copy`, `copy.deepcopy`,
pickle) is an ordinary, changeable list or dict.
"""

from __future__ import annotations

from typing import Any, NoReturn, TypeVar

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


def _refuse(self: object, *args: Any, **kwargs: Any) -> NoReturn:
    raise TypeError(f"this {type(self).__bases__[0].__name__} is shared between assessments "
                    "and cannot be changed; change a copy (list(...) or dict(...))")


class ReadOnlyList(list[T]):
    """A list that cannot be changed."""

    __slots__ = ()
    append = extend = insert = remove = pop = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return list, (list(self),)


class ReadOnlyDict(dict[K, V]):
    """A dict that cannot be changed."""

    __slots__ = ()
    pop = popitem = clear = setdefault = update = _refuse
    __setitem__ = __delitem__ = __ior__ = _refuse

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return dict, (dict(self),)


__all__ = ["ReadOnlyDict", "ReadOnlyList"]
