"""Default charts of accounts that a new organisation's ledger is seeded with.

Accounts carry SIE's account types (`#KTYP`): T tillgång (asset), S skuld (liability or
equity), I intäkt (income), K kostnad (expense). A `role` names what the system posts to
the account on its own (invoices, payments, VAT, rounding); the organisation may renumber
or rename any account, and the role follows the account.

Sweden follows BAS 2026 (docs/formats.md § 6), with these choices:

- Membership, training and course fees: BAS has no accounts for them, so they get our own
  3010/3020/3030 in the sales group 30, as bookkeeping guides advise. 3001–3004 stay free
  for the VAT-coded sales that BAS defines there. Reminder fees likewise get our own 3930 in
  group 39 (other operating income); BAS has no reminder-fee account either.
- card_clearing 1686 "Fordringar för kontokort och kuponger": BAS 2026 moved this account
  here from 1580, which it dropped. The acquirer pays later, net of fees: a receivable.
- swish_clearing 1940 "Övriga bankkonton": Swish credits the bank account behind the Swish
  number within seconds, so the money is already bank funds (class 19), not a claim on a
  third party. Payments confirmed by Swish wait on 1940 until the bank statement line is
  matched and moved to 1930; an association with a separate Swish bank account uses 1940
  as that account, which is what BAS means it for.
- credit_balances 2420 "Förskott från kunder": money members paid before anything was
  invoiced, or paid twice, is an advance that later invoices use up. That is what 2420
  holds; 2890 "Övriga kortfristiga skulder" is only a catch-all.
- prepaid_income 2970 "Förutbetalda intäkter" rather than 2990: fees paid for the next
  period are prepaid income, which BAS gives its own main account (2972 is its sub-account
  for membership fees); 2990 mixes in accrued expenses.
- unplaced_payments 2891 (a sub-account of 2890 "Övriga kortfristiga skulder"): money that
  arrived with no reference anyone can place is owed back to someone until the office
  finds whom it is from; BAS has no account of its own for it.
- bad_debts 6351 "Konstaterade förluster på kundfordringar".
- cash_method_interim 1517 "Fakturerat, ej betalt (kontantmetoden)": under the cash method
  an invoice is still kept on 1510 with its payer (the reminders and the member ledger read
  it there), but its revenue and output VAT wait until it is paid. This account is the
  other side meanwhile: a contra account to 1510, so group 15 nets to zero, as
  kontantmetoden keeps unpaid invoices out of the books. BAS has no account for it; 1517
  is free within 151x. It stays at zero under the invoice method.

Denmark has no common chart for associations. Erhvervsstyrelsen's standardkontoplan is a
mapping target with its own numbering, and bookkeeping programs each use their own. The
Danish seed is therefore a small set on the same numbering, with Danish names, so roles,
reports and the kind rule work the same in both countries; it is not a Danish standard.
MobilePay pays out in batches after the payment, so its clearing account is a receivable
(1689).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["T", "S", "K", "I"]


@dataclass(frozen=True, slots=True)
class AccountSeed:
    number: str
    name_sv: str
    name_da: str
    name_en: str
    kind: Kind
    role: str | None = None


# Roles every country's chart has, then the country-specific ones.
_COMMON_ROLES: tuple[str, ...] = (
    "receivables",
    "retained_result",
    "bank",
    "cash",
    "card_clearing",
    "credit_balances",
    "unplaced_payments",
    "cash_method_interim",
    "membership_fees",
    "course_fees",
    "training_fees",
    "reminder_fees",
    "grants_state",
    "grants_municipal",
    "rounding",
    "vat_out_25",
    "prepaid_income",
    "gifts",
    "bad_debts",
    "bank_fees",
    "card_fees",
)
REQUIRED_ROLES: dict[str, frozenset[str]] = {
    "SE": frozenset(_COMMON_ROLES + ("plusgiro", "swish_clearing", "vat_out_12", "vat_out_6")),
    "DK": frozenset(_COMMON_ROLES + ("mobilepay_clearing",)),
}
ROLES: tuple[str, ...] = _COMMON_ROLES + (
    "plusgiro",
    "swish_clearing",
    "mobilepay_clearing",
    "vat_out_12",
    "vat_out_6",
)

A = AccountSeed

# fmt: off
SWEDEN: tuple[AccountSeed, ...] = (
    # 1 Tillgångar
    A("1510", "Kundfordringar", "Tilgodehavender fra medlemmer og kunder",
      "Accounts receivable", "T", "receivables"),
    A("1517", "Fakturerat, ej betalt (kontantmetoden)", "Faktureret, ikke betalt (kontantmetoden)",
      "Invoiced, not yet paid (cash method)", "T", "cash_method_interim"),
    A("1686", "Fordringar för kontokort och kuponger", "Tilgodehavender på betalingskort",
      "Card payment receivables", "T", "card_clearing"),
    A("1790", "Övriga förutbetalda kostnader och upplupna intäkter",
      "Forudbetalte omkostninger og tilgodehavende indtægter",
      "Prepaid expenses and accrued income", "T"),
    A("1910", "Kassa", "Kasse", "Cash", "T", "cash"),
    A("1920", "PlusGiro", "PlusGiro", "PlusGiro", "T", "plusgiro"),
    A("1930", "Företagskonto", "Bankkonto", "Bank account", "T", "bank"),
    A("1940", "Övriga bankkonton (Swish)", "Andre bankkonti (Swish)",
      "Other bank accounts (Swish)", "T", "swish_clearing"),
    # 2 Eget kapital och skulder
    A("2068", "Överskott eller underskott från föregående år", "Overført resultat",
      "Surplus or deficit brought forward", "S", "retained_result"),
    A("2069", "Årets resultat", "Årets resultat", "Result for the year", "S"),
    A("2420", "Förskott från kunder", "Forudbetalinger fra medlemmer og kunder",
      "Advances from members and customers", "S", "credit_balances"),
    A("2440", "Leverantörsskulder", "Leverandørgæld", "Accounts payable", "S"),
    A("2611", "Utgående moms på försäljning inom Sverige, 25 %", "Salgsmoms 25 %",
      "Output VAT 25 %", "S", "vat_out_25"),
    A("2621", "Utgående moms på försäljning inom Sverige, 12 %", "Salgsmoms 12 %",
      "Output VAT 12 %", "S", "vat_out_12"),
    A("2631", "Utgående moms på försäljning inom Sverige, 6 %", "Salgsmoms 6 %",
      "Output VAT 6 %", "S", "vat_out_6"),
    A("2641", "Debiterad ingående moms", "Købsmoms", "Input VAT", "S"),
    A("2650", "Redovisningskonto för moms", "Momsafregning", "VAT settlement account", "S"),
    A("2880", "Skuld erhållna bidrag", "Modtagne tilskud, ikke anvendt",
      "Grants received, not yet used", "S"),
    A("2890", "Övriga kortfristiga skulder", "Anden kortfristet gæld",
      "Other current liabilities", "S"),
    A("2891", "Ej placerade inbetalningar", "Uplacerede indbetalinger",
      "Payments not yet placed", "S", "unplaced_payments"),
    A("2970", "Förutbetalda intäkter", "Forudbetalte indtægter", "Prepaid income", "S",
      "prepaid_income"),
    A("2990", "Övriga upplupna kostnader och förutbetalda intäkter", "Skyldige omkostninger",
      "Accrued expenses", "S"),
    # 3 Intäkter
    A("3001", "Försäljning inom Sverige, 25 % moms", "Salg med 25 % moms",
      "Sales with 25 % VAT", "I"),
    A("3002", "Försäljning inom Sverige, 12 % moms", "Salg med 12 % moms",
      "Sales with 12 % VAT", "I"),
    A("3003", "Försäljning inom Sverige, 6 % moms", "Salg med 6 % moms",
      "Sales with 6 % VAT", "I"),
    A("3004", "Försäljning inom Sverige, momsfri", "Momsfrit salg", "VAT-exempt sales", "I"),
    A("3010", "Medlemsavgifter", "Kontingenter", "Membership fees", "I", "membership_fees"),
    A("3020", "Träningsavgifter", "Træningsgebyrer", "Training fees", "I", "training_fees"),
    A("3030", "Kursavgifter", "Kursusgebyrer", "Course fees", "I", "course_fees"),
    A("3740", "Öres- och kronutjämning", "Øreafrunding", "Rounding", "I", "rounding"),
    A("3911", "Hyresintäkter", "Lejeindtægter", "Rental income", "I"),
    A("3930", "Påminnelseavgifter", "Rykkergebyrer", "Reminder fees", "I", "reminder_fees"),
    A("3985", "Erhållna statliga bidrag", "Statslige tilskud", "Government grants", "I",
      "grants_state"),
    A("3987", "Erhållna kommunala bidrag", "Kommunale tilskud", "Municipal grants", "I",
      "grants_municipal"),
    A("3989", "Övriga erhållna offentliga bidrag", "Andre offentlige tilskud",
      "Other public grants", "I"),
    A("3990", "Övriga ersättningar, bidrag och intäkter", "Andre tilskud og indtægter",
      "Other grants and income", "I"),
    A("3993", "Erhållna donationer och gåvor", "Modtagne gaver og donationer",
      "Donations and gifts received", "I", "gifts"),
    # 4–7 Kostnader
    A("4010", "Inköp av handelsvaror i Sverige", "Varekøb", "Goods bought for resale", "K"),
    A("5010", "Lokalhyra", "Lokaleleje", "Rent of premises", "K"),
    A("5410", "Förbrukningsinventarier", "Småanskaffelser og udstyr",
      "Equipment (expensed)", "K"),
    A("5460", "Förbrukningsmaterial", "Forbrugsmaterialer", "Consumables", "K"),
    A("5810", "Biljetter", "Rejser og billetter", "Travel tickets", "K"),
    A("5830", "Kost och logi", "Kost og logi", "Board and lodging", "K"),
    A("5910", "Annonsering", "Annoncering", "Advertising", "K"),
    A("6040", "Kontokortsavgifter", "Kortgebyrer", "Card fees", "K", "card_fees"),
    A("6110", "Kontorsmateriel", "Kontorartikler", "Office supplies", "K"),
    A("6150", "Trycksaker", "Tryksager", "Printed matter", "K"),
    A("6250", "Porto", "Porto", "Postage", "K"),
    A("6310", "Företagsförsäkringar", "Forsikringer", "Insurance", "K"),
    A("6351", "Konstaterade förluster på kundfordringar", "Konstaterede tab på debitorer",
      "Bad debts written off", "K", "bad_debts"),
    A("6450", "Bolagsstämma/års- eller föreningsstämma", "Generalforsamling",
      "Annual general meeting", "K"),
    A("6540", "IT-tjänster", "IT-tjenester", "IT services", "K"),
    A("6570", "Bankkostnader", "Bankgebyrer", "Bank charges", "K", "bank_fees"),
    A("6710", "Lämnade bidrag", "Ydede tilskud", "Grants given", "K"),
    A("6981", "Föreningsavgifter, avdragsgilla", "Kontingenter til forbund, fradragsberettigede",
      "Federation and membership fees, deductible", "K"),
    A("6982", "Föreningsavgifter, ej avdragsgilla",
      "Kontingenter til forbund, ikke fradragsberettigede",
      "Federation and membership fees, non-deductible", "K"),
    A("6990", "Övriga externa kostnader", "Andre eksterne omkostninger",
      "Other external expenses", "K"),
    A("7240", "Styrelsearvoden", "Bestyrelseshonorarer", "Board fees", "K"),
    A("7331", "Skattefria bilersättningar", "Skattefri kørselsgodtgørelse",
      "Tax-free mileage allowances", "K"),
    A("7510", "Arbetsgivaravgifter", "Arbejdsgiverafgifter", "Employer's social contributions",
      "K"),
    A("7610", "Utbildning", "Uddannelse", "Training of leaders and staff", "K"),
    # 8 Finansiella poster
    A("8311", "Ränteintäkter från bank", "Renteindtægter fra bank", "Interest income from bank",
      "I"),
)

DENMARK: tuple[AccountSeed, ...] = (
    A("1510", "Kundfordringar", "Tilgodehavender fra medlemmer (debitorer)",
      "Accounts receivable", "T", "receivables"),
    A("1517", "Fakturerat, ej betalt (kontantmetoden)", "Faktureret, ikke betalt (kontantmetoden)",
      "Invoiced, not yet paid (cash method)", "T", "cash_method_interim"),
    A("1686", "Fordringar för kontokort", "Tilgodehavender på betalingskort",
      "Card payment receivables", "T", "card_clearing"),
    A("1689", "Fordran på MobilePay", "Tilgodehavende hos MobilePay", "MobilePay receivable",
      "T", "mobilepay_clearing"),
    A("1910", "Kassa", "Kasse", "Cash", "T", "cash"),
    A("1930", "Bankkonto", "Bankkonto", "Bank account", "T", "bank"),
    A("2068", "Balanserat resultat", "Overført resultat", "Surplus or deficit brought forward",
      "S", "retained_result"),
    A("2069", "Årets resultat", "Årets resultat", "Result for the year", "S"),
    A("2420", "Förskott från medlemmar", "Forudbetalinger fra medlemmer",
      "Advances from members", "S", "credit_balances"),
    A("2440", "Leverantörsskulder", "Leverandørgæld (kreditorer)", "Accounts payable", "S"),
    A("2611", "Utgående moms", "Salgsmoms", "Output VAT", "S", "vat_out_25"),
    A("2641", "Ingående moms", "Købsmoms", "Input VAT", "S"),
    A("2650", "Momsredovisning", "Momsafregning", "VAT settlement account", "S"),
    A("2891", "Ej placerade inbetalningar", "Uplacerede indbetalinger",
      "Payments not yet placed", "S", "unplaced_payments"),
    A("2970", "Förutbetalda intäkter", "Forudbetalte indtægter", "Prepaid income", "S",
      "prepaid_income"),
    A("2990", "Upplupna kostnader", "Skyldige omkostninger", "Accrued expenses", "S"),
    A("3010", "Medlemsavgifter", "Kontingenter", "Membership fees", "I", "membership_fees"),
    A("3020", "Träningsavgifter", "Træningsgebyrer", "Training fees", "I", "training_fees"),
    A("3030", "Kursavgifter", "Kursusgebyrer", "Course fees", "I", "course_fees"),
    A("3740", "Öresavrundning", "Øreafrunding", "Rounding", "I", "rounding"),
    A("3930", "Påminnelseavgifter", "Rykkergebyrer", "Reminder fees", "I", "reminder_fees"),
    A("3985", "Statliga bidrag", "Statslige tilskud", "Government grants", "I",
      "grants_state"),
    A("3987", "Kommunala bidrag", "Kommunale tilskud (folkeoplysningsloven)",
      "Municipal grants", "I", "grants_municipal"),
    A("3990", "Övriga bidrag och intäkter", "Andre tilskud og indtægter",
      "Other grants and income", "I"),
    A("3993", "Gåvor och donationer", "Gaver og donationer", "Donations and gifts received",
      "I", "gifts"),
    A("5010", "Lokalhyra", "Lokaleleje", "Rent of premises", "K"),
    A("5410", "Utrustning och redskap", "Udstyr og redskaber", "Equipment (expensed)", "K"),
    A("5810", "Resor och transport", "Rejser og transport", "Travel and transport", "K"),
    A("6040", "Kortavgifter", "Kortgebyrer", "Card fees", "K", "card_fees"),
    A("6110", "Kontorsmaterial", "Kontorartikler", "Office supplies", "K"),
    A("6310", "Försäkringar", "Forsikringer", "Insurance", "K"),
    A("6351", "Kundförluster", "Tab på debitorer", "Bad debts written off", "K",
      "bad_debts"),
    A("6450", "Årsmöte", "Generalforsamling", "Annual general meeting", "K"),
    A("6570", "Bankavgifter", "Bankgebyrer", "Bank charges", "K", "bank_fees"),
    A("6981", "Förbundsavgifter", "Kontingenter til forbund (fx DIF, DGI)",
      "Federation fees", "K"),
    A("6990", "Övriga kostnader", "Andre omkostninger", "Other expenses", "K"),
    A("7610", "Utbildning av ledare", "Uddannelse af trænere og ledere",
      "Training of coaches and leaders", "K"),
    A("8311", "Ränteintäkter", "Renteindtægter", "Interest income", "I"),
)
# fmt: on

_CHARTS: dict[str, tuple[AccountSeed, ...]] = {"SE": SWEDEN, "DK": DENMARK}


def chart_for(country: str) -> tuple[AccountSeed, ...]:
    """The default accounts for an organisation in `country` ("SE" or "DK")."""
    try:
        return _CHARTS[country.upper()]
    except KeyError:
        raise ValueError(f"No default chart of accounts for country {country!r}") from None
