"""Shapes of the passes' API."""

import datetime as dt

from ninja import Field, Schema


class JwkOut(Schema):
    kty: str = Field(description='"EC"')
    crv: str = Field(description='"P-256"')
    x: str
    y: str
    kid: str = Field(description="Base64 of the first 8 bytes of SHA-256 of the key (DER)")
    alg: str = Field(description='"ES256"')
    use: str = Field(description='"sig"')
    exp: int | None = Field(
        None, description="Unix time after which passes signed by it fail (a retired key)"
    )


class KeySetOut(Schema):
    keys: list[JwkOut]
    refresh_hours: int | None = Field(
        description="How often a checkpoint phone should fetch the list again"
    )
    tolerance_seconds: int = Field(description="How far ahead an issue time may lie")


class PassCheckIn(Schema):
    code: str = Field(max_length=4096, description='The pass text, "FK1:" + Base45')


class PassCheckOut(Schema):
    valid: bool
    reason: str = Field(
        description="valid, malformed, unknown_key, bad_signature, key_retired, expired, "
        "not_yet_valid or revoked"
    )
    message: str = Field(description="The reason in words, in the caller's language")
    serial: str = ""
    holder_kind: str = ""
    holder: str = Field("", description="The masked name, or the plate")
    enterprise: str = ""
    area: str = ""
    expires_at: dt.datetime | None = None
    revoked_reason: str = ""


class PassOut(Schema):
    id: int
    serial: str
    holder_kind: str
    courier_id: int | None
    vehicle_id: int | None
    enterprise_id: int
    issued_at: dt.datetime
    expires_at: dt.datetime
    status: str
    revoked_at: dt.datetime | None
    revoked_reason: str
    key_id: str
    code: str = Field(description="The signed pass text its QR carries")


class PassRevokeIn(Schema):
    reason: str = Field(max_length=300)
