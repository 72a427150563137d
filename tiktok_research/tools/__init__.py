"""Agent tools: one module per tool, each with ``Input``, ``Output`` and ``run()``.

The pydantic models are the single definition of each tool's interface: the
CLI's options and help, and the schemas agents see, come from them.
"""

from . import dataset_finder, ethics_review, study_design

TOOLS = {m.NAME: m for m in (study_design, dataset_finder, ethics_review)}

__all__ = ["TOOLS", "dataset_finder", "ethics_review", "study_design"]
