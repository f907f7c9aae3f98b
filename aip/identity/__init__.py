"""Identity: who an agent is and how others can check it (spec Parts 4-6).

Import from the modules: :mod:`~aip.identity.aic` (the Agent Identity Code),
:mod:`~aip.identity.keys` and :mod:`~aip.identity.keyfile` (Ed25519 keys),
:mod:`~aip.identity.certificates` and :mod:`~aip.identity.chain` (the agent certificate
profile and its validation), :mod:`~aip.identity.ca` (the domain CA),
:mod:`~aip.identity.enrollment` and :mod:`~aip.identity.revocation`.
"""

__all__: list[str] = []
