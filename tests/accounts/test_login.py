from tests import factories as f


def test_login_with_password_reaches_home(client, personas):
    response = client.post("/login/", {"username": "p_street", "password": f.PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_repeated_failed_logins_lock_the_account_from_that_address(client, personas, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "p_street", "password": "wrong"})
    locked = client.post("/login/", {"username": "p_street", "password": f.PASSWORD})
    assert locked.status_code == 429
    assert client.get("/").status_code == 302  # still not logged in


def test_other_users_are_not_locked_by_someone_elses_failures(client, personas, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "p_street", "password": "wrong"})
    response = client.post("/login/", {"username": "p_grid", "password": f.PASSWORD})
    assert response.status_code == 302
