"""Organisation numbers: Swedish organisationsnummer and Danish CVR, via python-stdnum."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.dk import cvr
from stdnum.se import orgnr


def validate(value: str, country: str, *, field: str | None = None) -> str:
    """Return the number in its standard form, or raise ValidationError with a clear message."""
    try:
        if country == "SE":
            return str(orgnr.format(orgnr.validate(value)))
        if country == "DK":
            return str(cvr.validate(value))
    except stdnum_errors.ValidationError:
        if country == "SE":
            message = _("This is not a valid Swedish organisation number (NNNNNN-NNNN).")
        else:
            message = _("This is not a valid Danish CVR number (8 digits).")
        raise ValidationError({field: message} if field else message) from None
    raise ValidationError(_("Unknown country."))
