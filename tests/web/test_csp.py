"""Content-Security-Policy and Permissions-Policy on every response, and templates that need
no inline script or style (so the policy can stay strict when a template is added later)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

import fangkong
from tests import factories as f

SOURCE = Path(fangkong.__file__).parent
TEMPLATES = sorted(SOURCE.glob("*/templates/**/*.html"))
# Rendered to PDF by WeasyPrint, never sent to a browser: no policy applies to them.
PDF_ONLY = {"command/report_pdf.html", "quarantine/certificate.html"}

SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
DATA_TYPE = re.compile(r"""type\s*=\s*["']?application/(ld\+)?json""", re.IGNORECASE)
HANDLER = re.compile(r"<[a-zA-Z][^>]*?\son[a-z]+\s*=", re.DOTALL)
JS_URL = re.compile(r"""(href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
STYLE = re.compile(r"<style\b|<[a-zA-Z][^>]*?\sstyle\s*=", re.IGNORECASE | re.DOTALL)
COMMENT = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.DOTALL)


def inline_code(source: str) -> list[str]:
    """What in a template's source the policy would block: inline scripts (a json_script-like
    data block aside), on…= handlers, javascript: URLs, <style> blocks and style attributes."""
    source = COMMENT.sub("", source)
    found = [
        f"inline <script>: {body.strip()[:60]!r}"
        for attrs, body in SCRIPT.findall(source)
        if body.strip() and not DATA_TYPE.search(attrs)
    ]
    found += [f"event handler: {m.group(0)[-40:]!r}" for m in HANDLER.finditer(source)]
    found += [f"javascript: URL: {m.group(0)!r}" for m in JS_URL.finditer(source)]
    found += [f"inline style: {m.group(0)[-40:]!r}" for m in STYLE.finditer(source)]
    return found


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<script type="text/javascript">\n  go();\n</script>',
        '<select name="site" onchange="this.form.submit()">',
        "<input type=checkbox\n  onclick='x()'>",
        '<a href="javascript:void(0)">',
        "<style>.x { color: red }</style>",
        '<div id="g" style="height: 5px">',
    ],
)
def test_the_scan_finds_inline_code(source):
    assert inline_code(source), source


@pytest.mark.parametrize(
    "source",
    [
        "<script src=\"{% static 'fangkong/app.js' %}\" defer></script>",
        '<script type="application/json" id="d">{"a": 1}</script>',
        '<select name="site" data-autosubmit>',
        "<p>Turn the lights on=off</p>",
        "{# htmx must not inject its <style> #}",
        '<link rel="stylesheet" href="/static/x.css">',
    ],
)
def test_the_scan_lets_static_files_and_data_through(source):
    assert not inline_code(source), source


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(SOURCE)))
def test_templates_hold_no_inline_script_handler_or_style(template):
    name = template.relative_to(SOURCE).as_posix().split("/templates/", 1)[1]
    if name in PDF_ONLY:
        pytest.skip("rendered to PDF, never served as a page")
    assert not inline_code(template.read_text(encoding="utf-8")), name


def _page_paths() -> list[str]:
    """Every URL of the URLconf that takes no argument (the admin and the API aside, their
    docs kept), plus a page that does not exist."""
    paths: list[str] = []

    def walk(patterns: list, prefix: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern) and "<" not in route and not route.startswith("^"):
                paths.append("/" + route)

    walk(get_resolver().url_patterns, "")
    paths = [p for p in paths if not p.startswith(("/admin/", "/api/"))]
    return sorted({*paths, "/api/docs", "/admin/login/", "/no-such-page/"})


def _directives(header: str) -> dict[str, list[str]]:
    parts = (d.strip().split() for d in header.split(";") if d.strip())
    return {d[0]: d[1:] for d in parts}


def _assert_strict(response, path: str) -> None:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{path} ({response.status_code}) has no Content-Security-Policy"
    policy = _directives(header)
    for directive in ("script-src", "style-src"):
        assert policy[directive] == ["'self'"], (path, directive, policy[directive])
    assert policy["object-src"] == ["'none'"], path
    assert policy["frame-ancestors"] == ["'none'"], path
    assert policy["base-uri"] == ["'self'"], path
    assert policy["form-action"] == ["'self'"], path
    assert "'unsafe-inline'" not in header and "'unsafe-eval'" not in header, path
    features = response.headers.get("Permissions-Policy", "")
    camera = "camera=(self)" if path in CAMERA_PAGES else "camera=()"
    for feature in (camera, "microphone=()", "geolocation=()", "payment=()"):
        assert feature in features, (path, feature)


# Pages that may use the camera (our own origin only), and why.
CAMERA_PAGES = {"/pass-check/": "the checkpoint scans supply passes' QR codes"}


def test_every_page_carries_a_strict_policy(client, personas, people):
    """As the command centre (every page it may open) and as an anonymous visitor (the public
    pages, and the redirects to the login page for the rest)."""
    paths = _page_paths()
    assert {"/risk-zones/", "/command/", "/login/", "/api/docs"} <= set(paths)
    anonymous = [(path, client.get(path)) for path in paths]
    f.sign_in(client, personas["command"])
    command = [(path, client.get(path)) for path in paths]
    for path, response in anonymous + command:
        _assert_strict(response, path)
    statuses = {response.status_code for _, response in command}
    assert 200 in statuses and 404 in statuses


def test_map_tiles_server_may_serve_images():
    """img-src names the tile server from FANGKONG_MAP_TILES ({s} subdomains as *), no other."""
    code = (
        "import json, fangkong.settings as s;"  # the settings alone: no apps to load
        "print(json.dumps(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']))"
    )

    def img_src(tiles: str) -> list[str]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "fangkong.settings",
            "FANGKONG_MAP_TILES": tiles,
        }
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        return json.loads(out.stdout)

    assert img_src("https://{s}.tile.example.org/{z}/{x}/{y}.png") == [
        "'self'",
        "data:",
        "https://*.tile.example.org",
    ]
    assert img_src("") == ["'self'", "data:"]
