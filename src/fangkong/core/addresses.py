"""The client's network address, also behind a reverse proxy (settings.CLIENT_IP_HEADER)."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return ""


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR; behind a proxy, the address the nearest trusted proxy put in the header.

    X-Forwarded-For lists addresses left to right as each hop appended them; a client can
    write anything at the left, so the entry the N-th proxy from us appended is taken, counting
    from the right. A missing or malformed header falls back to REMOTE_ADDR.
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    header = settings.CLIENT_IP_HEADER
    if not header:
        return remote
    value = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
    hops = [h for h in str(value).split(",") if h.strip()]
    count = max(settings.CLIENT_IP_PROXY_COUNT, 1)
    if len(hops) < count:
        return remote
    return _valid(hops[-count]) or remote
