"""The texts of a fee run: reasons and skip messages translated once per run, and dates
and amounts formatted with caches, since a run formats them for every line."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from babel.dates import format_date
from django.conf import settings as django_settings
from django.utils import translation
from django.utils.translation import gettext as _

from forening.core import money


def active_language() -> str:
    return (translation.get_language() or django_settings.LANGUAGE_CODE)[:2]


@functools.lru_cache(maxsize=4096)
def format_day(day: dt.date, language: str) -> str:
    return str(format_date(day, "medium", locale=money.LOCALE_BY_LANGUAGE.get(language, "sv_SE")))


@functools.lru_cache(maxsize=4096)
def format_money(amount_minor: int, currency: str, language: str) -> str:
    return money.format_money(amount_minor, currency, language)


@dataclass(frozen=True)
class Texts:
    """The messages of one run, translated once: gettext per line would cost more than
    the rest of the computation."""

    membership_type: str
    participant_in: str
    age_detail: str
    household_fee: str
    honorary: str
    no_membership_type: str
    no_category: str
    no_band: str
    no_birth_date: str
    free: str
    no_join_date: str
    not_yet_member: str


def translated_texts() -> Texts:
    return Texts(
        membership_type=_("membership type %(type)s"),
        participant_in=_("participant in %(groups)s"),
        age_detail=_("%(band)s (age on %(date)s: %(age)d)"),
        household_fee=_("one fee for the household %(household)s (%(names)s)"),
        honorary=_("No fee: honorary member (%(type)s)."),
        no_membership_type=_("No membership fee: no membership type."),
        no_category=_(
            "No membership fee: no fee category applies to the membership type %(type)s."
        ),
        no_band=_("No membership fee: no age band of %(fee)s covers age %(age)d on %(date)s."),
        no_birth_date=_(
            "No membership fee: %(fee)s depends on age and the date of birth is missing."
        ),
        free=_("No membership fee: %(fee)s is free for them."),
        no_join_date=_(
            "No membership fee: the membership renews on the join date, which is missing."
        ),
        not_yet_member=_("No membership fee: joined on %(date)s, after this period."),
    )


def band_text(low: int, high: int | None, label: str) -> str:
    if high is None:
        ages = _("%(low)d years and older") % {"low": low}
    else:
        ages = _("%(low)d–%(high)d years") % {"low": low, "high": high}
    return f"{label} {ages}" if label else ages
