"""Interaction between agents (spec Part 9): the message model and the task machine.

Pure core: :mod:`~aip.interaction.messages` (with :mod:`~aip.interaction.message_fields`)
checks, builds, signs and verifies the six message types; :mod:`~aip.interaction.tasks` is the
task machine as a table, and :mod:`~aip.interaction.task` the task value that walks it with an
injected clock.  No I/O, no clock, no randomness: ids and ``now`` are parameters.
"""

__all__: list[str] = []
