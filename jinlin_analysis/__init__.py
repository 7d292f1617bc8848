"""Monitoring and early warning for Jinlin District's Children's Development Plan (2021-2025)."""

import sys

# jsonschema (imported by altair, nbformat, papermill) imports rfc3987_syntax eagerly, and that
# compiles an Earley grammar: 2.5 s of CPU in every process that touches a notebook or a chart,
# the report's kernels included (jsonschema issue #1428). We never validate IRIs; without the
# module jsonschema simply leaves the 'iri' formats unchecked. Notebooks import this package
# before altair, so their kernels get the saving too.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]
