"""Digitallabor: page, API with validated query, widget and demo tour, through the core's pytest plugin."""

import datetime as dt

import pytest

from mash_core.api import db_session, municipality_context


def _load_demo(app, times=1):
    from mash_digitallabor.demo import load
    with app.app_context(), municipality_context(1):
        for _ in range(times):
            load()


def _add_stop(app, day, place="Vergangener Halt"):
    from mash_digitallabor.models import Stop
    with app.app_context(), municipality_context(1):
        session = db_session()
        session.add(Stop(date=day, start_time=dt.time(10), end_time=dt.time(11), place=place,
                         district="Altstadt", audience="offen für alle", description="Test"))
        session.commit()


@pytest.mark.mash_plugins("digitallabor")
def test_page_explains_offering_and_lists_upcoming_stops(mash_app, client_as):
    from mash_digitallabor.models import local_today
    _load_demo(mash_app)
    _add_stop(mash_app, local_today() - dt.timedelta(days=1))
    page = client_as(None).get("/digitallabor/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Stadtbücherei" in html and "Bee-Bot" in html
    assert 'href="mailto:biblab@heidelberg.de"' in html  # contact from the settings default
    assert "Vergangener Halt" not in html  # only date >= today
    positions = [html.index(place) for place in ("Kindertagesstätte im Boxberg", "Grundschule in Kirchheim",
                                                 "Seniorenzentrum in Rohrbach", "Stadtteilzentrum Emmertsgrund")]
    assert positions == sorted(positions)
    assert "<caption>" in html and 'scope="row"' in html and "<time datetime=" in html
    main = html[html.index("<main"):]
    assert "style=" not in main and "<script" not in main


@pytest.mark.mash_plugins("digitallabor")
def test_demo_tour_is_upcoming_on_weekdays_and_idempotent(mash_app, client_as):
    from mash_digitallabor.models import local_today
    _load_demo(mash_app, times=2)
    data = client_as(None).get("/api/v1/digitallabor/stops").get_json()
    assert len(data) == 6
    days = [dt.date.fromisoformat(s["date"]) for s in data]
    assert days == sorted(days) and days[0] >= local_today()
    assert all(d.weekday() < 5 for d in days)
    assert len({(s["date"], s["place"]) for s in data}) == 6


@pytest.mark.mash_plugins("digitallabor")
def test_api_filters_by_from_and_to(mash_app, client_as):
    _add_stop(mash_app, dt.date(2030, 3, 4), "A")
    _add_stop(mash_app, dt.date(2030, 3, 6), "B")
    _add_stop(mash_app, dt.date(2030, 3, 9), "C")
    client = client_as(None)
    data = client.get("/api/v1/digitallabor/stops?from=2030-03-05").get_json()
    assert [s["place"] for s in data] == ["B", "C"]
    assert data[0] == {"id": data[0]["id"], "date": "2030-03-06", "start_time": "10:00:00",
                       "end_time": "11:00:00", "place": "B", "district": "Altstadt",
                       "audience": "offen für alle", "description": "Test"}
    data = client.get("/api/v1/digitallabor/stops?from=2030-03-01&to=2030-03-06").get_json()
    assert [s["place"] for s in data] == ["A", "B"]


@pytest.mark.mash_plugins("digitallabor")
@pytest.mark.parametrize("query", ["from=gestern", "from=2030-02-30", "from=30.03.2030", "from=2030-03-05&to=2030-03-01"])
def test_api_rejects_bad_query_with_json_422(mash_app, client_as, query):
    response = client_as(None).get(f"/api/v1/digitallabor/stops?{query}")
    assert response.status_code == 422
    assert response.is_json
    body = response.get_json()
    assert body["code"] == 422
    assert "query" in body["errors"]


@pytest.mark.mash_plugins("digitallabor")
def test_widget_only_for_staff(mash_app, client_as):
    _load_demo(mash_app)
    html = client_as("staff").get("/dashboard").get_data(as_text=True)
    assert "6 Termine in den nächsten 30 Tagen" in html and "Nächster Halt:" in html
    assert client_as("citizen").get("/dashboard").status_code == 403


def test_settings_schema_validates_contacts():
    import marshmallow as ma
    from mash_digitallabor.settings import DigitallaborSettings
    schema = DigitallaborSettings()
    assert schema.load({})["contact_email"] == "biblab@heidelberg.de"
    for bad in ({"contact_phone": "zwölf"}, {"contact_email": "biblab"}):
        with pytest.raises(ma.ValidationError):
            schema.load(bad)
    assert all(field.metadata.get("label") for field in schema.fields.values())
