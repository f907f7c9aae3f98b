"""Registration and capability discovery (spec Part 8): ACS documents, the registry workflow,
``adp.discover`` with the filter language and federation by forwarding, and DSP sync.

Pure core: :mod:`~aip.discovery.acs`, :mod:`~aip.discovery.filters`,
:mod:`~aip.discovery.forwarding`, :mod:`~aip.discovery.sync`, :mod:`~aip.discovery.registry`,
:mod:`~aip.discovery.query`.  Shells: the SQLite store :mod:`~aip.discovery.store` and the
service :mod:`~aip.discovery.service`.
"""

__all__: list[str] = []
