"""Text that grows when normalised or folded never overflows a column.

NFC can lengthen text (U+0958 becomes two code points) and folding can too ("ß" → "ss",
"ﬃ" → "ffi"). PostgreSQL refuses a value longer than its column, so a name that passed a
form's length check, or its search key, could turn a save into a server error (SQLite does
not check lengths, so the tests compare lengths themselves)."""

import pytest
import sqlalchemy as sa

from matchmaker.catalogue.forms import NeedForm, ProductForm
from matchmaker.catalogue.models import Product
from matchmaker.events.models import Event, RegistrationDelegate
from matchmaker.organisations.models import Organisation, Side


def _limit(model, column: str) -> int:
    return sa.inspect(model).columns[column].type.length


@pytest.mark.parametrize(("model", "field", "key", "values"), [
    (Organisation, "name", "name_key", {"side": Side.PRODUCER}),
    (Organisation, "name", "identity_key", {"side": Side.PRODUCER}),
    (Product, "name", "name_key", {}),
    (Event, "title", "title_key", {}),
    (RegistrationDelegate, "full_name", "name_key", {}),
])
def test_every_folded_key_fits_its_column(app_ctx, model, field, key, values):
    longest = _limit(model, field)
    for grows in ("ß", "\ufb03"):
        obj = model(**values, **{field: grows * longest})
        assert len(getattr(obj, field)) == longest
        assert 0 < len(getattr(obj, key)) <= _limit(model, key)


@pytest.mark.parametrize(("form_class", "field", "limit"), [
    (ProductForm, "name", 255),
    (NeedForm, "title", 255),
])
def test_name_fields_check_the_length_after_normalising(app, form_class, field, limit):
    """200 × U+0958 is 200 characters typed but 400 stored: the form must refuse it."""
    with app.test_request_context(method="POST", data={field: "\u0958" * 200}):
        form = form_class(meta={"csrf": False})
        getattr(form, field).validate(form)
        assert len(getattr(form, field).data) == 400
        assert any(str(limit) in error for error in getattr(form, field).errors)
