"""Uploaded files: for the import pages one size limit and one way to read them from disk;
for photos (proof at a door) a smaller limit and the type told by the bytes, not the name."""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _

from fangkong.core.errors import field_error


class ImportFileField(forms.FileField):
    """A file field refusing uploads over settings.IMPORT_MAX_UPLOAD_MB."""

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        limit = settings.IMPORT_MAX_UPLOAD_MB
        if upload is not None and upload.size > limit * 1024 * 1024:
            message = _("The file is larger than %(limit)s MB; split it or use the command line")
            raise forms.ValidationError(message % {"limit": limit})
        return upload


@contextmanager
def uploaded_path(upload: Any) -> Iterator[str]:
    """A path to the upload's bytes: Django's own temporary file when it spooled the upload
    to disk, else a temporary copy with the same suffix (the readers go by the suffix)."""
    if hasattr(upload, "temporary_file_path"):
        yield upload.temporary_file_path()
        return
    suffix = Path(getattr(upload, "name", "") or "").suffix.lower()
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        for block in upload.chunks():
            tmp.write(block)
        tmp.flush()
        yield tmp.name


def sample_response(text: str, filename: str) -> HttpResponse:
    """An import's example file, downloaded from its upload page (`?sample=csv`)."""
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Photos -----------------------------------------------------------------------------------------


def image_type(data: bytes) -> str | None:
    """The content type of a JPEG, PNG or WebP image told by its first bytes; None otherwise."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def photo_limit_bytes() -> int:
    return int(settings.PHOTO_MAX_UPLOAD_MB * 1024 * 1024)


def photo_problem(data: bytes) -> str | None:
    """Why these bytes are not an acceptable photo (too large, not an image); None if they are."""
    if len(data) > photo_limit_bytes():
        return _("The photo is larger than %(limit)s MB") % {"limit": settings.PHOTO_MAX_UPLOAD_MB}
    if image_type(data) is None:
        return _("The photo must be a JPEG, PNG or WebP image")
    return None


def photo_read(upload: Any, field: str) -> tuple[bytes, str]:
    """The bytes and content type of an uploaded photo; an error naming `field` when it is
    larger than settings.PHOTO_MAX_UPLOAD_MB (told by its declared size before it is read, and
    by what is read) or is not a JPEG, PNG or WebP image by its bytes."""
    limit = photo_limit_bytes()
    size = getattr(upload, "size", None)
    data = upload.read(limit + 1) if size is None or size <= limit else b"\0" * (limit + 1)
    problem = photo_problem(data)
    if problem:
        raise field_error(field, problem)
    return data, image_type(data) or ""


class PhotoField(forms.FileField):
    """A photo: refused over settings.PHOTO_MAX_UPLOAD_MB or when its bytes are not a JPEG,
    PNG or WebP image; cleaned to (bytes, content type)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": "image/*"}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if upload is None or upload is False:
            return None
        try:
            return photo_read(upload, "photo")
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["photo"]) from None
