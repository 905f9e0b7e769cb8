"""Component names in the OpenAPI document.

django-ninja renders each schema (and each query parameter model) with its own pydantic generator and merges
the ``$defs`` into one ``components/schemas`` by name. Pydantic names an enum by its bare class name, so our
many nested ``Status`` / ``Kind`` choices (``Finding.Status``, ``Order.Status``, ``cases.states.Status`` ...)
all became one ``Status`` component, the last one written winning, and most endpoints pointed at the wrong
values. Here every choices enum of the project is named by its app and qualified name instead
(``CoverageFindingStatus``, ``PointsOrderStatus``, ``CasesStatus``), which is unique by construction.
"""

from __future__ import annotations

import enum
import importlib

import ninja.openapi.schema
from ninja.schema import NinjaGenerateJsonSchema
from pydantic.json_schema import CoreModeRef, DefsRef


def _resolve(dotted: str):
    """The class a pydantic core reference (``module.Qual.Name``) points to, or None."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name, None)
        return obj
    return None


def enum_component_name(cls: type[enum.Enum]) -> str:
    app = cls.__module__.split(".")[1]
    return app.capitalize() + cls.__qualname__.replace(".", "")


class QualifiedEnumNames(NinjaGenerateJsonSchema):
    def get_defs_ref(self, core_mode_ref: CoreModeRef) -> DefsRef:
        defs_ref = super().get_defs_ref(core_mode_ref)
        core_ref = core_mode_ref[0]
        if core_ref.startswith("ningju.") and "[" not in core_ref:
            cls = _resolve(core_ref.rsplit(":", 1)[0])
            if isinstance(cls, type) and issubclass(cls, enum.Enum):
                self._prioritized_defsref_choices[defs_ref][0] = DefsRef(enum_component_name(cls))
        return defs_ref


def install() -> None:
    # The OpenAPI builder looks the generator up in its module; there is no setting for it.
    ninja.openapi.schema.NinjaGenerateJsonSchema = QualifiedEnumNames
