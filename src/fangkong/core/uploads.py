"""Uploaded files for the import pages: one size limit and one way to read them from disk."""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _


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
