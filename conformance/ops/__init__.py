"""Vector operations: each module exports ``OPERATIONS``, merged by the runner."""

__all__: list[str] = []
