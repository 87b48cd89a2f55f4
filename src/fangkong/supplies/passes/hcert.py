"""The pass format, as the EU Digital COVID Certificate (HCERT) does it: a CBOR Web Token
(RFC 8392) signed with COSE_Sign1 (RFC 9052, ES256: ECDSA P-256 with SHA-256), compressed
with zlib, encoded in Base45 (RFC 9285) behind the prefix "FK1:", shown as an alphanumeric QR.

The key id (COSE header 4) is the first 8 bytes of the SHA-256 of the signer's public key
(SubjectPublicKeyInfo, DER). Ids may collide: a verifier tries every key with the id.

No hand-written crypto: `cryptography` signs and verifies, `cbor2` and `base45` encode. The
checkpoint page verifies the same bytes in the browser with WebCrypto (static/supplies/).
This module is pure: keys and claims in, bytes or a `Verdict` out; no database.
"""

import base64
import datetime as dt
import hashlib
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import base45
import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

PREFIX = "FK1:"
COSE_SIGN1_TAG = 18
ALG = 1  # COSE header: algorithm
KID = 4  # COSE header: key id
ES256 = -7
ISS, EXP, IAT = 1, 4, 6  # CWT claims
PASS_CLAIM = -260  # the claim that carries the pass (HCERT's claim number; here our own map)
MAX_CODE = 4096  # characters: a pass is ~400; anything much longer is not one of ours
MAX_INFLATED = 8192  # bytes: a zlib bomb stops here


class Reason:
    """Why a pass does or does not verify (the same words offline in the browser)."""

    VALID = "valid"
    MALFORMED = "malformed"  # not "FK1:" + Base45 + zlib + COSE_Sign1: damaged or not a pass
    UNKNOWN_KEY = "unknown_key"  # no published key has its id: signed by someone else
    BAD_SIGNATURE = "bad_signature"  # a key has its id but the signature fails: forged/altered
    KEY_RETIRED = "key_retired"  # its key was rotated out longer ago than the grace
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"  # known online only


def kid_of(public_der: bytes) -> bytes:
    return hashlib.sha256(public_der).digest()[:8]


def kid_text(kid: bytes) -> str:
    return base64.b64encode(kid).decode("ascii")


def new_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_der(private_key: ec.EllipticCurvePrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _b64url(n: int) -> str:
    return base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode("ascii")


def jwk(der: bytes) -> dict[str, str]:
    """The public key as a JSON Web Key (RFC 7517/7518), with its COSE key id."""
    key = serialization.load_der_public_key(der)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    numbers = key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64url(numbers.x),
        "y": _b64url(numbers.y),
        "kid": kid_text(kid_of(der)),
        "alg": "ES256",
        "use": "sig",
    }


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def sign(
    *,
    private_key: ec.EllipticCurvePrivateKey,
    issuer: str,
    issued_at: dt.datetime,
    expires_at: dt.datetime,
    claims: dict[str, Any],
) -> str:
    """The pass as the text its QR carries: "FK1:" + Base45(zlib(COSE_Sign1(CWT)))."""
    kid = kid_of(public_der(private_key))
    protected = cbor2.dumps({ALG: ES256, KID: kid})
    payload = cbor2.dumps(
        {
            ISS: issuer,
            IAT: int(issued_at.timestamp()),
            EXP: int(expires_at.timestamp()),
            PASS_CLAIM: claims,
        }
    )
    der = private_key.sign(_sig_structure(protected, payload), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    cose = cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))
    return PREFIX + base45.b45encode(zlib.compress(cose, 9)).decode("ascii")


@dataclass(frozen=True)
class Parsed:
    kid: bytes
    protected: bytes
    payload: bytes
    signature: bytes
    claims: dict[Any, Any]


class Malformed(ValueError):
    pass


def parse(code: str) -> Parsed:
    """The parts of a pass code, unverified; `Malformed` if it is not one."""
    text = (code or "").strip()
    if not text.startswith(PREFIX) or len(text) > MAX_CODE:
        raise Malformed("prefix")
    try:
        packed = base45.b45decode(text[len(PREFIX) :])
        inflater = zlib.decompressobj()
        cose = inflater.decompress(packed, MAX_INFLATED)
        if inflater.unconsumed_tail or not inflater.eof:
            raise Malformed("zlib")
        message = cbor2.loads(cose)
        if isinstance(message, cbor2.CBORTag):
            if message.tag != COSE_SIGN1_TAG:
                raise Malformed("tag")
            message = message.value
        protected, _unprotected, payload, signature = message
        header = cbor2.loads(protected)
        claims = cbor2.loads(payload)
    except Malformed:
        raise
    except Exception as exc:  # any decoding failure: not a pass of ours
        raise Malformed(type(exc).__name__) from None
    if not isinstance(header, dict) or header.get(ALG) != ES256:
        raise Malformed("alg")
    kid = header.get(KID)
    if not isinstance(kid, bytes) or not isinstance(claims, dict) or len(signature) != 64:
        raise Malformed("header")
    return Parsed(kid, protected, payload, signature, claims)


@dataclass(frozen=True)
class TrustedKey:
    """A key a verifier trusts, until `valid_until` (None: the key in use)."""

    der: bytes
    valid_until: dt.datetime | None = None
    kid: bytes = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kid", kid_of(self.der))


@dataclass(frozen=True)
class Verdict:
    reason: str
    claims: dict[str, Any]
    issued_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    kid: str = ""

    @property
    def valid(self) -> bool:
        return self.reason == Reason.VALID

    @property
    def serial(self) -> str:
        return str(self.claims.get("sn", ""))


def _moment(value: Any) -> dt.datetime | None:
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    return None


def _verifies(der: bytes, parsed: Parsed) -> bool:
    key = serialization.load_der_public_key(der)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    r = int.from_bytes(parsed.signature[:32], "big")
    s = int.from_bytes(parsed.signature[32:], "big")
    try:
        key.verify(
            encode_dss_signature(r, s),
            _sig_structure(parsed.protected, parsed.payload),
            ec.ECDSA(hashes.SHA256()),
        )
    except InvalidSignature:
        return False
    return True


def verify(
    code: str, keys: Iterable[TrustedKey], *, now: dt.datetime, tolerance: dt.timedelta
) -> Verdict:
    """Whether a pass is genuine, unexpired and signed by a trusted key, and its claims.
    `tolerance`: how far ahead of `now` an issue time may lie (a clock running fast)."""
    try:
        parsed = parse(code)
    except Malformed:
        return Verdict(Reason.MALFORMED, {})
    raw = parsed.claims.get(PASS_CLAIM)
    claims = raw if isinstance(raw, dict) else {}
    issued, expires = _moment(parsed.claims.get(IAT)), _moment(parsed.claims.get(EXP))
    kid = kid_text(parsed.kid)
    candidates = [k for k in keys if k.kid == parsed.kid]
    if not candidates:
        return Verdict(Reason.UNKNOWN_KEY, claims, issued, expires, kid)
    signer = next((k for k in candidates if _verifies(k.der, parsed)), None)
    if signer is None:
        return Verdict(Reason.BAD_SIGNATURE, claims, issued, expires, kid)
    if expires is None or issued is None:
        return Verdict(Reason.MALFORMED, claims, issued, expires, kid)
    if signer.valid_until is not None and now >= signer.valid_until:
        return Verdict(Reason.KEY_RETIRED, claims, issued, expires, kid)
    if now >= expires:
        return Verdict(Reason.EXPIRED, claims, issued, expires, kid)
    if issued > now + tolerance:
        return Verdict(Reason.NOT_YET_VALID, claims, issued, expires, kid)
    return Verdict(Reason.VALID, claims, issued, expires, kid)
