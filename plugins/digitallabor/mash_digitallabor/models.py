"""Tables of the Digitallabor plugin (prefix ``digitallabor_``)."""

import datetime as dt
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import UniqueConstraint

from mash_core.api import Field, Session, TenantModel, select


class Stop(TenantModel, table=True):
    """One stop of the lab's tour: where and when it stands, and for whom."""

    __tablename__ = "digitallabor_stop"
    __table_args__ = (UniqueConstraint("municipality_id", "date", "start_time", "place",
                                       name="uq_digitallabor_stop_when_where"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    date: dt.date = Field(index=True)
    start_time: dt.time
    end_time: dt.time
    place: str = Field(max_length=200)
    #: name of the district (Stadtteil), as free text so that a stop outside the list is possible
    district: str = Field(default="", max_length=120)
    #: e.g. "Kita", "Klasse 4", "Seniorinnen und Senioren", "offen für alle"
    audience: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=2000)


#: the tour's calendar runs in the city's local time
LOCAL_TZ = ZoneInfo("Europe/Berlin")


def local_today() -> dt.date:
    """Today's date in local time (stops are planned by local calendar day)."""
    return dt.datetime.now(LOCAL_TZ).date()


def upcoming_stops(session: Session, start: Optional[dt.date] = None, end: Optional[dt.date] = None) -> list[Stop]:
    """Stops from ``start`` (default: today) up to and including ``end`` (default: open), in order."""
    query = select(Stop).where(Stop.date >= (start or local_today()))
    if end is not None:
        query = query.where(Stop.date <= end)
    return list(session.exec(query.order_by(Stop.date, Stop.start_time, Stop.place)).all())
