"""Batch changes and simulations: :class:`ModelingUpdate`.

``ModelingUpdate([[old_value, new_value], ...])`` applies every pair as one transaction with one
recomputation: either all of it applies, or nothing does. ``old_value`` is a value read from an
object (``job.data_transferred``, ``journey.uj_steps``); it tells which attribute to change.

With ``simulation_date``, the changes take effect at that UTC hour: every hourly value recomputed by
the change keeps its baseline values before the date (each formula's result is spliced before its
dependents read it, so journeys started before the date keep the baseline behaviour). The model then
returns to the baseline; :meth:`set_updated_values` and :meth:`reset_values` switch the whole model
between the two states without recomputing.
"""
from __future__ import annotations

from datetime import datetime



from efp.errors import ValidationError
from efp.journal import Journal
from efp.states import State
from efp.values.hourly import to_datetime64


class _Baselines:
    """Reads a node's value at compile time, i.e. before the transaction stores its result."""

    def __init__(self, model):
        self.model = model

    def get(self, key):
        return self.model.nodes[key].value


class ModelingUpdate:
    """Apply a batch of changes, optionally as a simulation from a date (see the module docstring)."""

    def __init__(self, changes, simulation_date: datetime | None = None):
        pairs = [self._target(pair) for pair in changes]
        if not pairs:
            raise ValidationError("ModelingUpdate: got no change; allowed: a list of [old_value, new_value]")
        models = {id(model): model for model, _, _ in pairs}
        if len(models) != 1:
            raise ValidationError("ModelingUpdate: the changed values belong to different models")
        self.model = pairs[0][0]
        try:
            self.simulation_date = None if simulation_date is None else to_datetime64(simulation_date)
        except (ValueError, TypeError) as error:
            raise ValidationError(f"ModelingUpdate: got the simulation_date {simulation_date!r}; allowed: a naive "
                                  f"datetime on a whole UTC hour, such as datetime(2025, 6, 1, 0) ({error})") from None
        simulation = None if self.simulation_date is None else (self.simulation_date, _Baselines(self.model))
        changes = [(self.model.nodes[key], new) for _, key, new in pairs]
        # One hold of the model lock from the baseline to the rollback: a reader in another thread sees the
        # model before or after the update, never a simulated state between apply and rollback.
        with self.model.lock:
            if simulation is not None:
                # Only FRESH nodes are recomputed, spliced and switched: a node still stale here would later be
                # computed unspliced from whichever inputs are active, and kept when switching back. So the
                # baseline is computed first.
                self.model.pull([key for key, node in self.model.nodes.items() if node.state is State.STALE])
            self._baseline: Journal = self.model.apply(changes, simulation=simulation)
            self.recomputed = list(self.model.last_plan)
            self._updated: Journal | None = None
            if self.simulation_date is not None:
                self._updated = self._capture(self._baseline)
                self._baseline.rollback()
                self.model.simulation = self
                self._active = False
            else:
                self._active = True

    @staticmethod
    def _target(pair):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValidationError(f"ModelingUpdate: got {pair!r}; allowed: [old_value, new_value] pairs")
        old, new = pair
        key = getattr(old, "node_key", None)
        owner = getattr(old, "_owner", None)
        model = owner._model if owner is not None else getattr(old, "_model", None)
        if key is None or model is None:
            raise ValidationError(f"ModelingUpdate: got {old!r} as the value to replace; allowed: a value read "
                                  f"from an object's attribute (e.g. job.data_transferred)")
        return model, key, new

    def _capture(self, journal: Journal) -> Journal:
        """A journal holding the current state of everything ``journal`` saved."""
        capture = Journal(self.model)
        for key in journal.nodes:
            capture.save(self.model.nodes[key])
        for object_id in journal.referrers:
            capture.save_referrers(object_id)
        return capture

    @property
    def is_simulation(self) -> bool:
        return self.simulation_date is not None

    def updated_value(self, key: str):
        """The simulated value of a node (``None`` if the simulation did not change it)."""
        if self._updated is None or key not in self._updated.nodes:
            return None
        value = self._updated.nodes[key][1]
        return getattr(value, "the_list", value)

    def set_updated_values(self) -> None:
        """Switch the model to the simulated state."""
        self._require_simulation()
        with self.model.lock:
            if not self._active:
                self._updated.rollback()
                self._active = True

    def reset_values(self) -> None:
        """Switch the model back to the baseline state."""
        self._require_simulation()
        with self.model.lock:
            if self._active:
                self._baseline.rollback()
                self._active = False

    def _require_simulation(self):
        if self._updated is None:
            raise ValidationError("ModelingUpdate: set_updated_values() and reset_values() need a "
                                  "simulation_date; this update was applied directly")

    @property
    def simulation_date_as_datetime(self) -> datetime | None:
        if self.simulation_date is None:
            return None
        return self.simulation_date.astype("datetime64[s]").astype(datetime)


__all__ = ["ModelingUpdate"]
