"""Organisation model (``organisations`` table)."""

from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, validates

from matchmaker.db import TimestampMixin
from matchmaker.extensions import db
from matchmaker.permissions import is_staff, same_organisation, view_rule
from matchmaker.text import fold, normalise


class Side(StrEnum):
    """Which side of the market an organisation is on."""

    PRODUCER = "producer"
    DISTRIBUTOR = "distributor"
    BOTH = "both"


class Organisation(TimestampMixin, db.Model):
    """A business or cooperative: producer (nhà sản xuất), distributor (nhà phân phối) or both.

    ``name`` is stored NFC with collapsed spaces; ``name_key`` is its search key
    (:func:`matchmaker.text.fold`), kept in step by the ``name`` validator.
    """

    __tablename__ = "organisations"
    __table_args__ = (
        sa.CheckConstraint("side IN ('producer', 'distributor', 'both')", name="side_valid"),
        sa.CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    name_key: Mapped[str] = mapped_column(sa.String(255), index=True)
    side: Mapped[str] = mapped_column(sa.String(16))

    @validates("name")
    def _normalise_name(self, _key: str, value: str) -> str:
        value = normalise(value)
        self.name_key = fold(value)
        return value

    @property
    def is_producer(self) -> bool:
        return self.side in (Side.PRODUCER, Side.BOTH)

    @property
    def is_distributor(self) -> bool:
        return self.side in (Side.DISTRIBUTOR, Side.BOTH)

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


@view_rule(Organisation)
def _can_view_organisation(user, org: Organisation) -> bool:
    # Public profiles arrive with the catalogue; until then only members and staff see one.
    return is_staff(user) or same_organisation(user, org.id)
