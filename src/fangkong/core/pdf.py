"""HTML to PDF for the documents the platform issues (reports, certificates): WeasyPrint, with
Chinese set in the Noto CJK fonts the templates' CSS names.

What a PDF costs, measured with `bench/report_pdf.py`: importing WeasyPrint (about a second, once
per process), then per document the layout and, above all, the fonts: every face the CSS uses
is read whole (a Noto CJK collection is 20-27 MB) and subset. So each thread keeps one font
configuration and one URL fetcher (the default one makes a TLS context, reading the system's
certificates, for every document), and a document that does not change, like a report as of
a past hour, is made once and then taken from the cache (`html_to_pdf_cached`).
"""

import hashlib
import threading
from typing import Any

from django.core.cache import cache

PDF_CACHE_SECONDS = 24 * 3600  # a report is asked for again through the day, rarely later

_local = threading.local()


def _weasyprint() -> tuple[Any, Any, Any]:
    """WeasyPrint, with this thread's font configuration and URL fetcher (made on its first
    PDF)."""
    # WeasyPrint takes about a second to import (measured 1.1 s); every process would pay it
    # at start-up, and only PDF requests need it.
    import weasyprint

    if not hasattr(_local, "tools"):
        # Documents are self-contained: nothing is fetched but data: URLs (no network, no files).
        fetcher = weasyprint.urls.URLFetcher(allowed_protocols={"data"})
        _local.tools = (weasyprint.text.fonts.FontConfiguration(), fetcher)
    return weasyprint, *_local.tools


def html_to_pdf(html: str, base_url: str | None = None) -> bytes:
    """The PDF of one HTML document."""
    weasyprint, fonts, fetcher = _weasyprint()
    document: Any = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    return bytes(document.write_pdf(font_config=fonts))


def html_to_pdf_cached(html: str, *, version: str) -> bytes:
    """The PDF of `html`, made once for each `version`: a text that changes whenever what the
    document says does (e.g. the same HTML without its "generated at" line). Kept in Django's
    cache for a day; only for documents without personal data, which any caller who rendered
    the same version may read."""
    key = "pdf:" + hashlib.sha256(version.encode()).hexdigest()
    pdf = cache.get(key)
    if not isinstance(pdf, bytes):
        pdf = html_to_pdf(html)
        cache.set(key, pdf, PDF_CACHE_SECONDS)
    return pdf
