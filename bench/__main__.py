"""Run every bench in turn: ``python -m bench``."""

from __future__ import annotations

from bench import audit, choices, envelope, sessions


def main() -> None:
    """Run each bench module's ``main``; each prints its own BENCH lines."""
    choices.main()
    envelope.main()
    sessions.main()
    audit.main()


if __name__ == "__main__":
    main()
