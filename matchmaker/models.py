"""Imports every model module, so that the metadata (and Alembic) sees every table."""

from matchmaker.auth.models import User  # noqa: F401
from matchmaker.catalogue import search_index  # noqa: F401  (keeps search keys current)
from matchmaker.catalogue.models import (  # noqa: F401
    Category,
    NeedCertification,
    NeedProvince,
    Product,
    ProductImage,
    SourcingNeed,
)
from matchmaker.deals.models import Mou, SupplyContract  # noqa: F401
from matchmaker.events.models import Event, EventSession, Registration, RegistrationDelegate  # noqa: F401,E501
from matchmaker.history import StatusChange  # noqa: F401
from matchmaker.imports.models import ImportRow, MatchReview, ProducerImport  # noqa: F401
from matchmaker.matching.models import MatchDecision  # noqa: F401
from matchmaker.meetings.models import Meeting, SlotUnavailability, TimeSlot  # noqa: F401
from matchmaker.notifications.models import Notification  # noqa: F401
from matchmaker.organisations.models import (  # noqa: F401
    Certification,
    DeliveryProvince,
    Organisation,
)
