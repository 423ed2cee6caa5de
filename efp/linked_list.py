"""The list a list link returns: a real list whose mutations go through the engine.

``journey.uj_steps.append(step)`` validates the new contents, applies them as one change (so that
what depends on the list is recomputed), and leaves the list untouched if the change fails. The same
list object stays the attribute's value, so references a user holds see every change.
"""
from __future__ import annotations


class LinkedList(list):
    """A list link's value (see the module docstring)."""

    def __init__(self, owner, attr: str, items=()):
        super().__init__(items)
        self._owner = owner
        self._attr = attr
        self.node_key = f"{owner.id}.{attr}"

    def _propose(self, items) -> None:
        self._owner._model.write(self._owner, self._attr, list(items))

    def _mutated(self, mutate):
        # read, change and write under the model lock: a change another thread makes meanwhile is not lost
        with self._owner._model.lock:
            items = list(self)
            result = mutate(items)
            self._propose(items)
        return result

    def append(self, item):
        self._mutated(lambda items: items.append(item))

    def extend(self, iterable):
        iterable = list(iterable)
        self._mutated(lambda items: items.extend(iterable))

    def insert(self, index, item):
        self._mutated(lambda items: items.insert(index, item))

    def remove(self, item):
        self._mutated(lambda items: items.remove(item))

    def pop(self, index=-1):
        return self._mutated(lambda items: items.pop(index))

    def clear(self):
        self._mutated(lambda items: items.clear())

    def reverse(self):
        self._mutated(lambda items: items.reverse())

    def sort(self, *args, **kwargs):
        self._mutated(lambda items: items.sort(*args, **kwargs))

    def __setitem__(self, index, value):
        self._mutated(lambda items: items.__setitem__(index, value))

    def __delitem__(self, index):
        self._mutated(lambda items: items.__delitem__(index))

    def __iadd__(self, iterable):
        self.extend(iterable)
        return self

    def __imul__(self, count):
        self._mutated(lambda items: items.__imul__(count))
        return self

    def __reduce__(self):
        return (list, (list(self),))
