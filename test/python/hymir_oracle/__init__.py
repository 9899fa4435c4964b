"""Independent float64 oracle for the Hymir operator gallery (EXAMPLES.md).

Modules
-------
ops     one plain token-by-token numpy function per gallery example, named after the file
        stem of ``examples/ops/NAME.mlir``; arguments and results in the order of
        EXAMPLES.md section 3.
alt     second forms (chunked / quadratic / dual / recurrent) used only to validate ``ops``.
inputs  ``make_inputs(name, B, T, seed)`` and ``signature(name)`` / ``result_signature(name)``.

The oracle is written from EXAMPLES.md alone; it shares no code with the compiler.
"""

from . import ops  # noqa: F401
from .ops import EXAMPLES  # noqa: F401
