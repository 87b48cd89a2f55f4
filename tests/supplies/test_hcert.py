"""The pass format (HCERT-like: CWT in COSE_Sign1, ES256, zlib, Base45, "FK1:"), pure."""

import datetime as dt
import hashlib
import zlib

import base45
import cbor2
import pytest

from fangkong.supplies.passes import hcert
from fangkong.supplies.passes.hcert import Reason, TrustedKey

NOW = dt.datetime(2022, 5, 7, 8, 0, tzinfo=dt.UTC)
TOL = dt.timedelta(minutes=5)


@pytest.fixture(scope="module")
def key():
    return hcert.new_private_key()


def make(key, *, issued=NOW, hours=24, claims=None):
    return hcert.sign(
        private_key=key,
        issuer="CN-FANGKONG",
        issued_at=issued,
        expires_at=issued + dt.timedelta(hours=hours),
        claims=claims or {"sn": "abc", "nm": "王*", "ent": "惠民超市", "area": "西大街街道"},
    )


def trusted(key, until=None):
    return [TrustedKey(hcert.public_der(key), until)]


def test_a_pass_round_trips_and_stays_small(key):
    code = make(key)
    assert code.startswith("FK1:") and len(code) < 400
    verdict = hcert.verify(code, trusted(key), now=NOW + dt.timedelta(hours=1), tolerance=TOL)
    assert verdict.valid and verdict.serial == "abc" and verdict.claims["ent"] == "惠民超市"
    assert verdict.expires_at == NOW + dt.timedelta(hours=24)
    assert verdict.kid == hcert.kid_text(hcert.kid_of(hcert.public_der(key)))


def test_the_kid_is_the_first_8_bytes_of_the_sha256_of_the_public_key(key):
    der = hcert.public_der(key)
    parsed = hcert.parse(make(key))
    assert parsed.kid == hashlib.sha256(der).digest()[:8]
    assert cbor2.loads(parsed.protected) == {1: -7, 4: parsed.kid}  # ES256


def _tamper(code: str, change) -> str:
    cose = cbor2.loads(zlib.decompress(base45.b45decode(code[4:])))
    protected, unprotected, payload, signature = cose.value
    claims = cbor2.loads(payload)
    change(claims)
    forged = cbor2.CBORTag(18, [protected, unprotected, cbor2.dumps(claims), signature])
    return "FK1:" + base45.b45encode(zlib.compress(cbor2.dumps(forged))).decode()


def test_a_changed_claim_breaks_the_signature(key):
    tampered = _tamper(make(key), lambda c: c[-260].update(ent="假冒超市"))
    verdict = hcert.verify(tampered, trusted(key), now=NOW, tolerance=TOL)
    assert verdict.reason == Reason.BAD_SIGNATURE
    extended = _tamper(make(key), lambda c: c.update({4: c[4] + 86400 * 30}))
    assert hcert.verify(extended, trusted(key), now=NOW, tolerance=TOL).reason == (
        Reason.BAD_SIGNATURE
    )


def test_another_key_is_unknown_and_a_colliding_kid_still_fails(key):
    other = hcert.new_private_key()
    assert hcert.verify(make(other), trusted(key), now=NOW, tolerance=TOL).reason == (
        Reason.UNKNOWN_KEY
    )
    # a key published under the same id (ids collide) does not make a forgery pass
    impostor = TrustedKey(hcert.public_der(key))
    object.__setattr__(impostor, "kid", hcert.kid_of(hcert.public_der(other)))
    verdict = hcert.verify(make(other), [impostor], now=NOW, tolerance=TOL)
    assert verdict.reason == Reason.BAD_SIGNATURE


def test_expired_not_yet_valid_and_retired_key(key):
    code = make(key, hours=1)
    later = NOW + dt.timedelta(hours=2)
    assert hcert.verify(code, trusted(key), now=later, tolerance=TOL).reason == Reason.EXPIRED
    future = make(key, issued=NOW + dt.timedelta(hours=1))
    assert hcert.verify(future, trusted(key), now=NOW, tolerance=TOL).reason == (
        Reason.NOT_YET_VALID
    )
    retired = trusted(key, until=NOW - dt.timedelta(seconds=1))
    assert hcert.verify(code, retired, now=NOW, tolerance=TOL).reason == Reason.KEY_RETIRED


@pytest.mark.parametrize(
    "text", ["", "hello", "FK1:", "FK1:%%%", "FK1:" + base45.b45encode(b"not zlib").decode()]
)
def test_garbage_is_malformed(key, text):
    assert hcert.verify(text, trusted(key), now=NOW, tolerance=TOL).reason == Reason.MALFORMED


def test_a_zlib_bomb_is_malformed_not_inflated(key):
    bomb = "FK1:" + base45.b45encode(zlib.compress(b"\0" * 1_000_000)).decode()
    assert len(bomb) < hcert.MAX_CODE
    assert hcert.verify(bomb, trusted(key), now=NOW, tolerance=TOL).reason == Reason.MALFORMED


def test_the_jwk_carries_the_point_and_the_kid(key):
    jwk = hcert.jwk(hcert.public_der(key))
    assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("EC", "P-256", "ES256")
    assert jwk["kid"] == hcert.kid_text(hcert.kid_of(hcert.public_der(key)))
    assert len(jwk["x"]) == len(jwk["y"]) == 43
