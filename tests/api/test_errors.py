"""API errors answer JSON, never a page or a traceback (DEBUG off, as in production)."""

SECRET = "internal detail 110101199003077777"


def test_api_unknown_route_answers_json_404(as_):
    response = as_("street").get("/api/no-such-route")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_api_500_answers_json_without_traceback(as_, monkeypatch):
    def broken():
        raise RuntimeError(SECRET)

    monkeypatch.setattr("fangkong.policy.accessor.current", broken)
    client = as_("command")
    client.raise_request_exception = False
    response = client.get("/api/policy/active")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    body = response.content.decode()
    assert SECRET not in body and "Traceback" not in body
    assert set(response.json()) == {"detail"}
