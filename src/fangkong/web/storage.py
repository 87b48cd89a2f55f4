"""Static files for production (`make serve`): hashed names and gzip, served by WhiteNoise."""

from typing import Any

from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage


class HashedStaticStorage(CompressedManifestStaticFilesStorage):
    """Content hashes in file names (a year of immutable cache) and gzip copies, without brotli:
    brotli at its highest level takes most of a minute over the vendor bundles at every start
    for some 15 % less than gzip, and every browser reads gzip."""

    def create_compressor(self, **kwargs: Any) -> Compressor:
        return super().create_compressor(use_brotli=False, **kwargs)
