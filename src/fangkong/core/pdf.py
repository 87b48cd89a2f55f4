"""HTML to PDF for the documents the platform issues (reports, certificates): WeasyPrint, with
Chinese set in the Noto CJK fonts the templates' CSS names."""

from typing import Any


def html_to_pdf(html: str, base_url: str | None = None) -> bytes:
    """The PDF of one HTML document."""
    # WeasyPrint takes about a second to import (measured 1.1 s); every process would pay it
    # at start-up, and only PDF requests need it.
    import weasyprint

    document: Any = weasyprint.HTML(string=html, base_url=base_url)
    return bytes(document.write_pdf())
