"""Agent Identity Code (AIC): parse, validate, checksum and derive (spec/04-identity-aic.md).

An AIC is ten dot-separated levels, ``1.2.156.3088.<version>.<registry>.<provider>.<ontology>.
<entity>.<checksum>``.  :func:`parse_aic` checks format and value ranges only; that is all a party
without the issuing registry's secret salt can check.  The registry, which holds the salt, uses
:func:`make_aic`, :func:`derive_entity`, :func:`ontology_of` and :func:`verify_checksum`.

Pure: no I/O, no clock, no randomness; salts and serial numbers are parameters.  Every failure
raises :class:`~aip.errors.AicError` with one of the ``AIC_*`` codes or ``SALT_INVALID``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from aip.errors import AicError, Code

__all__ = [
    "AIC_PREFIX", "MIN_SALT_SIZE", "Aic", "base36_encode", "compute_checksum",
    "crc16_ccitt_false", "derive_entity", "is_valid_aic", "make_aic", "ontology_of", "parse_aic",
    "require_entity", "require_ontology", "verify_checksum",
]

AIC_PREFIX = "1.2.156.3088"  # levels 1-4 [IDN-AIC-002]
MIN_SALT_SIZE = 2  # [IDN-AIC-014]

_PREFIX_DOT = AIC_PREFIX + "."
_WHITESPACE = " \t\n\r\x0b\x0c"  # the only characters normalisation strips [IDN-AIC-006]
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CHECKSUM_MAX = 0xFFFF  # "1EKF" [IDN-AIC-005]

# Levels 5-10: (name, min length, max length, may be all zeros) [IDN-AIC-004] [IDN-AIC-005]
_LEVELS: tuple[tuple[str, int, int, bool], ...] = (
    ("version", 1, 1, False),
    ("registry", 1, 6, False),
    ("provider", 1, 6, False),
    ("ontology", 1, 9, False),
    ("entity", 1, 9, True),
    ("checksum", 4, 4, True),
)
# One compiled pattern for levels 5-9 (a body) and one for levels 5-10 (a whole AIC).  The
# character classes are ASCII-only, so other Unicode digits and letters never match [IDN-AIC-003].
_CONTENT_RE = {
    n: re.compile(r"\.".join(f"[0-9A-Z]{{{lo},{hi}}}" for _, lo, hi, _z in _LEVELS[:n]))
    for n in (5, 6)
}
_BASE36_RE = re.compile("[0-9A-Z]+")


def _crc_table_entry(byte: int) -> int:
    reg = byte << 8
    for _ in range(8):
        reg = ((reg << 1) ^ 0x1021) if reg & 0x8000 else (reg << 1)
    return reg & 0xFFFF


_CRC_TABLE = tuple(_crc_table_entry(b) for b in range(256))  # CRC of each byte from register 0


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE of ``data`` (poly 0x1021, init 0xFFFF, unreflected, xorout 0).

    Returns an int in 0..0xFFFF; ``b"123456789"`` gives 0x29B1.  Never raises for bytes input.
    """
    crc = 0xFFFF  # [IDN-AIC-012]
    table = _CRC_TABLE
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ byte]
    return crc


def base36_encode(value: int, width: int) -> str:
    """Upper-case Base36 of ``value``, left-padded with ``0`` to exactly ``width`` characters.

    Raises :class:`AicError` (AIC_OUT_OF_RANGE) if ``value`` is negative, not an int, or needs
    more than ``width`` digits.  [IDN-AIC-013]
    """
    if type(value) is not int or type(width) is not int or width < 1 or not 0 <= value < 36**width:
        raise AicError(Code.AIC_OUT_OF_RANGE, f"{value!r} does not fit in {width} Base36 digits")
    digits = []
    while value:
        value, rem = divmod(value, 36)
        digits.append(_ALPHABET[rem])
    return "".join(reversed(digits)).rjust(width, "0")


def _describe(levels: tuple[object, ...]) -> str:
    """Name the first bad level (5-10) for an error message; format checks only."""
    for i, value in enumerate(levels):
        name, lo, hi, _ = _LEVELS[i]
        where = f"level {i + 5} ({name})"
        if not isinstance(value, str):
            return f"{where} must be a string"
        if not lo <= len(value) <= hi:
            size = f"{lo}" if lo == hi else f"{lo}-{hi}"
            return f"{where} must be {size} characters, got {len(value)}"
        if not _BASE36_RE.fullmatch(value):
            return f"{where} may hold only 0-9 and A-Z"
    return "malformed AIC"


def _check_levels(levels: tuple[str, ...]) -> None:
    """Check canonical levels 5-9 (a body) or 5-10 (a whole AIC): format, then ranges."""
    if not (
        all(type(v) is str for v in levels) and _CONTENT_RE[len(levels)].fullmatch(".".join(levels))
    ):
        raise AicError(Code.AIC_MALFORMED, _describe(levels))  # [IDN-AIC-003] [IDN-AIC-004]
    for i in range(4):  # levels 5-8 must not be zero [IDN-AIC-005]
        if not levels[i].strip("0"):
            raise AicError(Code.AIC_OUT_OF_RANGE, f"level {i + 5} ({_LEVELS[i][0]}) is zero")
    if len(levels) == 6 and int(levels[5], 36) > _CHECKSUM_MAX:  # [IDN-AIC-005]
        raise AicError(Code.AIC_OUT_OF_RANGE, "level 10 (checksum) is above 1EKF")


def _normalise(text: object, what: str) -> str:
    """Strip ASCII whitespace and upper-case; reject non-strings and non-ASCII [IDN-AIC-006]."""
    if not isinstance(text, str):
        raise AicError(Code.AIC_MALFORMED, f"{what} must be a string, not {type(text).__name__}")
    text = text.strip(_WHITESPACE)
    if not text.isascii():  # before upper(): "ı".upper() == "I", "ß".upper() == "SS"
        raise AicError(Code.AIC_MALFORMED, f"{what} contains a non-ASCII character")
    return text.upper()


def _split(text: str, count: int, what: str) -> tuple[str, ...]:
    """Check levels 1-4 and the level count of a normalised text; return levels 5 onwards."""
    total = text.count(".") + 1
    if total != count + 4:  # [IDN-AIC-001]
        raise AicError(Code.AIC_MALFORMED, f"{what} has {total} levels, expected {count + 4}")
    if not text.startswith(_PREFIX_DOT):  # [IDN-AIC-002]
        raise AicError(Code.AIC_MALFORMED, f"levels 1-4 of {what} must be {AIC_PREFIX}")
    return tuple(text[len(_PREFIX_DOT) :].split("."))


def _check_salt(salt: object) -> bytes:
    if not isinstance(salt, bytes | bytearray) or len(salt) < MIN_SALT_SIZE:  # [IDN-AIC-014]
        raise AicError(Code.SALT_INVALID, f"a salt is bytes of length >= {MIN_SALT_SIZE}")
    return bytes(salt)


def _checksum(body: str, salt: bytes) -> str:
    """Level 10 for a canonical body and a checked salt [IDN-AIC-011]."""
    return base36_encode(crc16_ccitt_false(body.encode("ascii") + salt), 4)


@dataclass(frozen=True, slots=True)
class Aic:
    """A format- and range-valid AIC; fields are levels 5-10 in canonical (upper-case) form.

    Obtain one from :func:`parse_aic`, :func:`make_aic` or :func:`derive_entity`.  Direct
    construction validates the fields as given (no normalisation) and raises :class:`AicError`
    (AIC_MALFORMED, AIC_OUT_OF_RANGE).  The checksum is not checked here (no salt).
    """

    version: str
    registry: str
    provider: str
    ontology: str
    entity: str
    checksum: str

    def __post_init__(self) -> None:
        _check_levels(
            (self.version, self.registry, self.provider, self.ontology, self.entity, self.checksum)
        )

    def __str__(self) -> str:
        """The canonical text, e.g. ``1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU4``."""
        return f"{self.body}.{self.checksum}"

    @property
    def is_ontology(self) -> bool:
        """True if the entity serial is all zeros, i.e. this AIC names an ontology [IDN-AIC-017]."""
        return not self.entity.strip("0")

    @property
    def is_entity(self) -> bool:
        """True if this AIC names an entity (a running instance) [IDN-AIC-017]."""
        return not self.is_ontology

    @property
    def ontology_prefix(self) -> str:
        """Levels 1-8 joined by dots: shared by an ontology and all its entities [IDN-AIC-018]."""
        return f"{AIC_PREFIX}.{self.version}.{self.registry}.{self.provider}.{self.ontology}"

    @property
    def body(self) -> str:
        """Levels 1-9 joined by dots: the text the checksum covers [IDN-AIC-011]."""
        return f"{self.ontology_prefix}.{self.entity}"


def parse_aic(text: str) -> Aic:
    """Normalise ``text`` and check its format and value ranges (not the checksum).

    Call on every AIC received from outside.  Returns the canonical :class:`Aic`.  Raises
    :class:`AicError`: AIC_MALFORMED (not a string, non-ASCII, wrong level count, wrong prefix,
    bad character or length) or AIC_OUT_OF_RANGE (a zero level 5-8, a checksum above 1EKF).
    """
    levels = _split(_normalise(text, "AIC"), 6, "AIC")
    return Aic(*levels)


def is_valid_aic(text: object) -> bool:
    """True if ``text`` passes :func:`parse_aic` (format and ranges); never raises."""
    if not isinstance(text, str):
        return False
    try:
        parse_aic(text)
    except AicError:
        return False
    return True


def _coerce(aic: Aic | str) -> Aic:
    return aic if isinstance(aic, Aic) else parse_aic(aic)


def compute_checksum(body: str, salt: bytes) -> str:
    """The 4-character checksum (level 10) of ``body`` (levels 1-9) under the registry ``salt``.

    ``body`` is normalised and must be a format- and range-valid body.  Raises
    :class:`AicError`: SALT_INVALID, AIC_MALFORMED or AIC_OUT_OF_RANGE.  [IDN-AIC-011]
    """
    key = _check_salt(salt)
    text = _normalise(body, "AIC body")
    _check_levels(_split(text, 5, "AIC body"))
    return _checksum(text, key)


def verify_checksum(aic: Aic | str, salt: bytes) -> Aic:
    """Check ``aic`` (parsed first if a string) against the registry ``salt``; return it.

    Raises :class:`AicError`: SALT_INVALID, then AIC_MALFORMED / AIC_OUT_OF_RANGE from
    parsing, then AIC_CHECKSUM_MISMATCH.  [IDN-AIC-016] [IDN-AIC-024]
    """
    key = _check_salt(salt)
    parsed = _coerce(aic)
    if _checksum(parsed.body, key) != parsed.checksum:
        raise AicError(Code.AIC_CHECKSUM_MISMATCH, "the AIC checksum does not match this salt")
    return parsed


def make_aic(
    *, version: str, registry: str, provider: str, ontology: str, entity: str, salt: bytes
) -> Aic:
    """Mint an AIC from levels 5-9 (letters are upper-cased) and compute its checksum.

    Call in the registry that owns ``salt``.  An all-zero ``entity`` makes an ontology AIC.
    Raises :class:`AicError`: SALT_INVALID, AIC_MALFORMED or AIC_OUT_OF_RANGE.
    """
    key = _check_salt(salt)
    levels = tuple(
        v.upper() if isinstance(v, str) and v.isascii() else v
        for v in (version, registry, provider, ontology, entity)
    )
    _check_levels(levels)
    ver, reg, prov, onto, ent = levels
    return Aic(ver, reg, prov, onto, ent, _checksum(f"{AIC_PREFIX}.{'.'.join(levels)}", key))


def require_entity(aic: Aic | str) -> Aic:
    """Return ``aic`` (parsed if a string) if it names an entity.

    Raises :class:`AicError`: AIC_KIND_MISMATCH for an ontology AIC (parse errors first).
    [IDN-AIC-021]
    """
    parsed = _coerce(aic)
    if parsed.is_ontology:
        raise AicError(Code.AIC_KIND_MISMATCH, "an entity AIC is required, got an ontology AIC")
    return parsed


def require_ontology(aic: Aic | str) -> Aic:
    """Return ``aic`` (parsed if a string) if it names an ontology.

    Raises :class:`AicError`: AIC_KIND_MISMATCH for an entity AIC (parse errors first).
    [IDN-AIC-021]
    """
    parsed = _coerce(aic)
    if parsed.is_entity:
        raise AicError(Code.AIC_KIND_MISMATCH, "an ontology AIC is required, got an entity AIC")
    return parsed


def derive_entity(ontology: Aic | str, entity_serial: str, salt: bytes) -> Aic:
    """Derive the entity AIC with ``entity_serial`` from an ontology AIC the registry issued.

    Checks, in this order [IDN-AIC-024]: the salt (SALT_INVALID); the ontology's format and
    ranges; the serial's format (AIC_MALFORMED: 1-9 Base36 characters) and range
    (AIC_OUT_OF_RANGE: all zeros); the kind (AIC_KIND_MISMATCH if ``ontology`` is an entity);
    the ontology's checksum under ``salt`` (AIC_CHECKSUM_MISMATCH).  [IDN-AIC-019]
    """
    key = _check_salt(salt)
    onto = _coerce(ontology)
    serial = _normalise_serial(entity_serial)
    if not serial.strip("0"):
        raise AicError(Code.AIC_OUT_OF_RANGE, "an entity serial must not be all zeros")
    verify_checksum(require_ontology(onto), key)
    return replace(onto, entity=serial, checksum=_checksum(f"{onto.ontology_prefix}.{serial}", key))


def _normalise_serial(serial: object) -> str:
    if isinstance(serial, str) and serial.isascii():
        serial = serial.upper()
        if 1 <= len(serial) <= 9 and _BASE36_RE.fullmatch(serial):
            return serial
    raise AicError(Code.AIC_MALFORMED, "an entity serial is 1-9 characters from 0-9 and A-Z")


def ontology_of(entity: Aic | str, salt: bytes) -> Aic:
    """The ontology AIC (entity serial ``0``) from which the entity AIC ``entity`` was derived.

    Raises :class:`AicError`: SALT_INVALID; parse errors; AIC_KIND_MISMATCH if ``entity`` is an
    ontology; AIC_CHECKSUM_MISMATCH if its checksum fails under ``salt``.  [IDN-AIC-020]
    """
    key = _check_salt(salt)
    ent = verify_checksum(require_entity(entity), key)
    return replace(ent, entity="0", checksum=_checksum(f"{ent.ontology_prefix}.0", key))
