"""Admin pages: the list of accounts."""

import sqlalchemy as sa
from flask import render_template, request

from matchmaker.admin import bp
from matchmaker.auth.models import User
from matchmaker.extensions import db
from matchmaker.pagination import page_arg
from matchmaker.permissions import Role, role_required

USERS_PER_PAGE = 50


@bp.route("/users")
@role_required(Role.ADMIN)
def users():
    """Every account, newest first, with its organisation (paginated, 50 a page)."""
    query = request.args.get("q", "").strip()
    stmt = sa.select(User).order_by(User.created_at.desc(), User.id.desc())
    if query:
        stmt = stmt.where(User.email.contains(query.casefold(), autoescape=True))
    page = db.paginate(stmt, page=page_arg(), per_page=USERS_PER_PAGE, error_out=False)
    return render_template("admin/users.html", page=page, query=query)
