"""Demo data for ``flask seed-demo``: accounts now; later features add real Nghệ An data.

Every function is idempotent: it looks records up by a natural key before creating them, so
running the seed twice adds nothing.
"""

import sqlalchemy as sa

from matchmaker.auth.models import User
from matchmaker.catalogue.taxonomy import load_categories
from matchmaker.extensions import db
from matchmaker.organisations.models import Organisation, Side
from matchmaker.permissions import Role

# (email, role, full name, (organisation name, side) or None)
DEMO_ACCOUNTS = [
    ("organiser@example.com", Role.ORGANISER, "Cán bộ Trung tâm Khuyến công (demo)", None),
    ("producer@example.com", Role.MEMBER, "Người bán demo",
     ("Nhà sản xuất demo", Side.PRODUCER)),
    ("distributor@example.com", Role.MEMBER, "Người mua demo",
     ("Nhà phân phối demo", Side.DISTRIBUTOR)),
]


def _organisation(name: str, side: Side) -> tuple[Organisation, bool]:
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == name))
    if org is not None:
        return org, False
    org = Organisation(name=name, side=side)
    db.session.add(org)
    return org, True


def seed(password: str) -> int:
    """Load the category trees, then create the demo accounts (and their organisations) that
    do not exist yet.

    Returns the number of records created. Flushes, does not commit.
    """
    report = load_categories()
    created = sum(c["added"] for c in report.counts.values())
    for email, role, full_name, org_spec in DEMO_ACCOUNTS:
        if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
            continue
        organisation = None
        if org_spec is not None:
            organisation, new_org = _organisation(*org_spec)
            created += new_org
        user = User(email=email, full_name=full_name, role=role, organisation=organisation)
        user.set_password(password)
        db.session.add(user)
        created += 1
    db.session.flush()
    return created
