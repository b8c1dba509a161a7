import pytest


@pytest.mark.django_db
def test_front_page_answers_in_danish(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b'lang="da"' in response.content


@pytest.mark.django_db
def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"]["ok"] is True
