"""Column mapping: which register field each column goes to. Headers are recognised in
Swedish, Danish or English (case, diacritics and spacing do not matter), custom fields by
their name; the user may change the guess, and `check_mapping` checks their choice."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from forening.core.models import Organisation
from forening.members.fields import PERSON, Use
from forening.members.importing.report import ImportFileError
from forening.members.models import AttributeDefinition

_FOLD = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l", "œ": "oe"})


def normalise_header(text: str) -> str:
    """Lower case, no diacritics (ö → o, ø → o, æ → ae), only letters and digits."""
    folded = unicodedata.normalize("NFKD", str(text).lower().translate(_FOLD))
    return "".join(char for char in folded if char.isalnum())


@dataclass(frozen=True)
class TargetField:
    key: str
    label: Promise | str
    words: str = ""

    @property
    def aliases(self) -> list[str]:
        return [word for word in self.words.split("|") if word]


# Each target with its label and the header words that mean it (Swedish, Danish, English),
# "|"-separated: the Person fields members/fields.py declares as imported, and the
# import's own targets (`OWN_TARGETS`).
_RECOGNISED: tuple[TargetField, ...] = (
    TargetField(
        "first_name",
        gettext_lazy("First name"),
        "förnamn|fornavn|first name|firstname|given name|tilltalsnamn",
    ),
    TargetField(
        "last_name",
        gettext_lazy("Last name"),
        "efternamn|efternavn|last name|surname|family name|släktnamn",
    ),
    TargetField(
        "full_name",
        gettext_lazy("Full name (first and last)"),
        "namn|navn|name|full name|fullständigt namn|fulde navn",
    ),
    TargetField(
        "organisation_name",
        gettext_lazy("Organisation name"),
        "organisationsnamn|företag|företagsnamn|firma|virksomhed|company|company name|"
        "organisation name|organization name",
    ),
    TargetField(
        "contact_name",
        gettext_lazy("Contact person"),
        "kontaktperson|contact person|contact",
    ),
    TargetField(
        "identity_number",
        gettext_lazy("Identity number"),
        "personnummer|personnr|pnr|person nr|samordningsnummer|"
        "personnummer/samordningsnummer|cpr|cpr-nummer|cpr-nr|cpr nr|"
        "personal identity number|identity number|personal id|national id",
    ),
    TargetField(
        "birth_date",
        gettext_lazy("Date of birth"),
        "födelsedatum|födelsedag|född|fødselsdato|fødselsdag|født|date of birth|"
        "birth date|birthdate|birthday|dob|born",
    ),
    TargetField(
        "gender",
        gettext_lazy("Gender"),
        "kön|køn|gender|sex|kjønn",
    ),
    TargetField(
        "email",
        gettext_lazy("E-mail"),
        "e-post|epost|e-postadress|mejl|mail|e-mail|email|e-mailadresse|mailadresse|"
        "email address|e-mail address",
    ),
    TargetField(
        "email_secondary",
        gettext_lazy("Other e-mail"),
        "e-post 2|annan e-post|e-mail 2|email 2|anden e-mail|other e-mail|secondary email",
    ),
    TargetField(
        "phone",
        gettext_lazy("Mobile phone"),
        "mobil|mobilnummer|mobiltelefon|mobilnr|telefon|telefonnummer|telefonnr|tel|tlf|"
        "tlf nr|tlfnr|phone|phone number|mobile|mobile phone|cell phone|cellphone",
    ),
    TargetField(
        "phone_secondary",
        gettext_lazy("Other phone"),
        "hemtelefon|telefon hem|telefon 2|fastnet|fastnettelefon|home phone|phone 2|other phone",
    ),
    TargetField(
        "care_of",
        gettext_lazy("c/o"),
        "c/o|co|care of",
    ),
    TargetField(
        "street",
        gettext_lazy("Street address"),
        "adress|gatuadress|utdelningsadress|adresse|gadeadresse|vejnavn|street|"
        "street address|address|address line 1",
    ),
    TargetField(
        "postal_code",
        gettext_lazy("Postal code"),
        "postnummer|postnr|post nr|postal code|postcode|zip|zip code|zipcode",
    ),
    TargetField(
        "city",
        gettext_lazy("City"),
        "ort|postort|stad|by|bynavn|postdistrikt|city|town",
    ),
    TargetField(
        "country",
        gettext_lazy("Country"),
        "land|country",
    ),
    TargetField(
        "language",
        gettext_lazy("Preferred language"),
        "språk|sprog|language|preferred language",
    ),
    TargetField(
        "member_number",
        gettext_lazy("Member number"),
        "medlemsnummer|medlemsnr|medlemsnr.|medlems-id|medlemsid|member number|"
        "member no|membership number|member id",
    ),
    TargetField(
        "membership_type",
        gettext_lazy("Membership type"),
        "medlemstyp|medlemstype|medlemskap|medlemskategori|medlemskabstype|medlemskab|"
        "membership type|membership|member type",
    ),
    TargetField(
        "status",
        gettext_lazy("Status"),
        "status|medlemsstatus|member status|membership status",
    ),
    TargetField(
        "joined_on",
        gettext_lazy("Member since"),
        "medlem sedan|medlem sen|inträdesdatum|inträde|inträdd|startdatum|indmeldt|"
        "indmeldelsesdato|indmeldelse|medlem siden|joined|joined on|member since|"
        "join date|date joined",
    ),
    TargetField(
        "household",
        gettext_lazy("Household"),
        "hushåll|husstand|familj|familie|household|family",
    ),
    TargetField(
        "organisation_number",
        gettext_lazy("Organisation number"),
        "organisationsnummer|orgnr|org nr|org.nr|orgnummer|cvr|cvr-nummer|cvr-nr|cvr nr|"
        "organisation number|organization number|company number",
    ),
    TargetField(
        "note",
        gettext_lazy("Note"),
        "anteckning|anteckningar|notering|kommentar|notat|bemærkning|bemærkninger|note|"
        "notes|comment|comments",
    ),
    TargetField(
        "tags",
        gettext_lazy("Tags (comma separated)"),
        "etiketter|etikett|taggar|tagg|mærker|tags|tag|labels",
    ),
    TargetField(
        "group",
        gettext_lazy("Group"),
        "grupp|lag|hold|gruppe|group|team",
    ),
)
_BY_KEY = {target.key: target for target in _RECOGNISED}

# The targets that are not a Person field of that name, after the field they follow in the
# list (None: at the end). The identity number is typed once and stored in three columns.
OWN_TARGETS: dict[str, str | None] = {
    "full_name": "last_name",
    "identity_number": "contact_name",
    "note": None,
    "tags": None,
    "group": None,
}


def _targets() -> tuple[TargetField, ...]:
    """The Person fields declared as imported, in the order of members/fields.py, with the
    import's own targets after the fields they follow."""
    keys: list[str] = []
    for name in PERSON:
        if Use.IMPORT in PERSON[name].uses:
            keys.append(name)
        keys.extend(key for key, after in OWN_TARGETS.items() if after == name)
    keys.extend(key for key, after in OWN_TARGETS.items() if after is None)
    return tuple(_BY_KEY[key] for key in keys)


TARGET_FIELDS = _targets()
FIELDS_BY_KEY = {target.key: target for target in TARGET_FIELDS}
_ALIASES = {
    normalise_header(alias): target.key for target in TARGET_FIELDS for alias in target.aliases
}
NAME_FIELDS = ("first_name", "last_name", "full_name", "organisation_name")
ATTRIBUTE_PREFIX = "attr_"


def active_attributes(organisation: Organisation) -> list[AttributeDefinition]:
    return list(AttributeDefinition.objects.filter(organisation=organisation, is_active=True))


def field_choices(
    organisation: Organisation, attributes: Sequence[AttributeDefinition] | None = None
) -> list[tuple[str, str]]:
    """(key, label) of every field a column can go to: the register's, then custom fields."""
    if attributes is None:
        attributes = active_attributes(organisation)
    choices = [(target.key, str(target.label)) for target in TARGET_FIELDS]
    if not organisation.records_gender:
        choices = [choice for choice in choices if choice[0] != "gender"]
    choices += [(f"{ATTRIBUTE_PREFIX}{attr.pk}", attr.name) for attr in attributes]
    return choices


def guess_mapping(
    organisation: Organisation,
    headers: Sequence[str],
    attributes: Sequence[AttributeDefinition] | None = None,
) -> dict[int, str]:
    """Column index → field key for the headers we recognise. A custom field's name wins
    over the register's words; a second column for the same field is left out."""
    if attributes is None:
        attributes = active_attributes(organisation)
    custom = {normalise_header(attr.name): f"{ATTRIBUTE_PREFIX}{attr.pk}" for attr in attributes}
    allowed = {key for key, _label in field_choices(organisation, attributes)}
    mapping: dict[int, str] = {}
    for index, header in enumerate(headers):
        folded = normalise_header(header)
        if not folded:
            continue
        key = custom.get(folded) or _ALIASES.get(folded)
        if key and key in allowed and key not in mapping.values():
            mapping[index] = key
    return mapping


def check_mapping(
    organisation: Organisation,
    mapping: Mapping[int, str],
    headers: Sequence[str],
    attributes: Sequence[AttributeDefinition] | None = None,
) -> dict[int, str]:
    """The mapping with int keys and empty choices dropped; ImportFileError when a field is
    chosen twice, a field is unknown, or no column holds a name."""
    allowed = dict(field_choices(organisation, attributes))
    clean: dict[int, str] = {}
    seen: dict[str, int] = {}
    for raw_index, key in sorted(mapping.items(), key=lambda item: int(item[0])):
        index = int(raw_index)
        if not key:
            continue
        if key not in allowed or not 0 <= index < len(headers):
            raise ImportFileError(_("Choose a field from the list for each column."))
        if key in seen:
            raise ImportFileError(
                _("“%(first)s” and “%(second)s” both go to %(field)s: choose one.")
                % {"first": headers[seen[key]], "second": headers[index], "field": allowed[key]}
            )
        seen[key] = index
        clean[index] = key
    if not any(key in seen for key in NAME_FIELDS):
        raise ImportFileError(
            _("Choose which column holds the first name, the last name or the full name.")
        )
    return clean
