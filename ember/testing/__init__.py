"""Test helpers for code built on ember."""

from .check_module import ModuleCheckError, check_module  # noqa: F401
from .graph_growth import assert_no_graph_growth, count_live_nodes  # noqa: F401
