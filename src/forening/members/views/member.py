"""The member page and its forms (REG-01 … REG-04, REG-06, REG-08, GDPR-01).

Every view is an adapter: it fetches with an explicit organisation filter (another
association's ids are 404), parses the input with a form, calls one service (one
transaction) and renders or redirects. The member page runs a fixed number of queries,
however many groups, notes, consents or history rows the person has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from forening.core import panels, policy
from forening.core.audit_changes import with_change_items
from forening.core.badges import member_status_badge
from forening.core.context import Actor
from forening.core.countries import country_name
from forening.core.forms_base import add_validation_error
from forening.core.models import (
    AuditEvent,
    Gender,
    GroupMembership,
    GroupRole,
    Guardianship,
    MemberStatus,
    Person,
    PersonKind,
)
from forening.core.views.base import OrganisationRequest, organisation_view
from forening.households import services as household_services
from forening.households.forms import NewHouseholdForm
from forening.households.models import Household
from forening.members import attributes as attribute_values
from forening.members import services
from forening.members.forms import (
    ApplicationDecisionForm,
    GroupAddForm,
    NoteForm,
    PersonForm,
    StatusForm,
    TagAddForm,
    available_groups,
    group_label,
    phone_display,
)
from forening.members.models import (
    AttributeDefinition,
    AttributeKind,
    AttributeValue,
    Consent,
    ConsentPurpose,
    Note,
    NoteAttachment,
    StatusChange,
    Tag,
    Tagging,
)

HISTORY_LIMIT = 50
APPLICATIONS_PAGE_SIZE = 50
SEARCH_LIMIT = 20


# --- helpers ------------------------------------------------------------------------


def _people(request: OrganisationRequest) -> QuerySet[Person]:
    return Person.objects.filter(organisation=request.organisation).select_related(
        "membership_type", "household", "household__payer", "household__invoice_recipient"
    )


def _get_person(request: OrganisationRequest, person_id: int) -> Person:
    person = get_object_or_404(_people(request), pk=person_id)
    person.organisation = request.organisation  # spare the services a query
    person.status_badge = member_status_badge(person.status)
    return person


def _member_url(person: Person, anchor: str = "") -> str:
    url = reverse(
        "org:member", kwargs={"org_slug": person.organisation.slug, "person_id": person.pk}
    )
    return f"{url}#{anchor}" if anchor else url


def _actor(request: OrganisationRequest) -> Actor:
    return Actor.from_request(request)


def _refuse_read_only(request: OrganisationRequest, person: Person) -> HttpResponse | None:
    """Former members and the deceased: only their status changes (REG-02)."""
    if not person.is_read_only:
        return None
    messages.error(
        request,
        _("%(name)s is %(status)s: the record is read-only except for its status.")
        % {"name": person.full_name, "status": person.get_status_display().lower()},
    )
    return redirect(_member_url(person, "status"))


def _error_text(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


# --- create and edit ----------------------------------------------------------------


@organisation_view("members.person.change")
def member_create(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    posted = request.method == "POST"
    form = PersonForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        organisation=organisation,
    )
    if posted and form.is_valid():
        try:
            person = services.create_person(
                organisation, actor=_actor(request), **form.service_arguments()
            )
        except ValidationError as error:
            add_validation_error(form, error)
        except services.RegisterError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("%(name)s has been added to the register.") % {"name": person}
            )
            return redirect(_member_url(person))
    return render(request, "members/member/form.html", {"form": form, "person": None})


@organisation_view("members.person.change")
def member_edit(request: OrganisationRequest, person_id: int) -> HttpResponse:
    person = _get_person(request, person_id)
    posted = request.method == "POST"
    if person.is_read_only:
        return render(
            request,
            "members/member/read_only.html",
            {"person": person},
            status=409 if posted else 200,
        )
    form = PersonForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        organisation=request.organisation,
        person=person,
        attribute_values_by_id=services.attribute_values_of(person),
    )
    if posted and form.is_valid():
        try:
            services.update_person(person, actor=_actor(request), **form.service_arguments())
        except ValidationError as error:
            add_validation_error(form, error)
        except services.RegisterError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The changes have been saved."))
            return redirect(_member_url(person))
    return render(request, "members/member/form.html", {"form": form, "person": person})


# --- the member page ------------------------------------------------------------------


@organisation_view("members.register.view")
def member_detail(request: OrganisationRequest, person_id: int) -> HttpResponse:
    person = _get_person(request, person_id)
    return render(request, "members/member/detail.html", _member_page(request, person))


def _member_page(request: OrganisationRequest, person: Person) -> dict[str, Any]:
    organisation = request.organisation
    access = request.access
    today = timezone.localdate()
    editable = policy.can(access, "members.person.change") and not person.is_read_only
    context: dict[str, Any] = {
        "person": person,
        "age": person.age_on(today)
        if person.kind == PersonKind.PERSON and person.status != MemberStatus.DECEASED
        else None,
        "is_organisation": person.kind == PersonKind.ORGANISATION,
        "country_label": country_name(person.country) if person.country else "",
        "gender_label": Gender(person.gender).label if person.gender else "",
        "phone_label": phone_display(person.phone, organisation.country),
        "phone_secondary_label": phone_display(person.phone_secondary, organisation.country),
        "can_edit": editable,
        "can_change_status": policy.can(access, "members.status.change"),
        "can_reveal": policy.can(access, "members.identity.reveal")
        and bool(person.identity_number_masked),
        "can_manage_privacy": policy.can(access, "members.privacy.manage"),
        "can_withdraw_consent": policy.can(access, "members.person.change"),
        "can_view_audit": policy.can(access, "core.audit.view"),
        "records_gender": organisation.records_gender,
    }
    context.update(_household_part(person))
    context["panels"] = panels.collect("member", request, person, today=today)
    context.update(_guardian_part(organisation, person))
    context.update(_group_part(organisation, person, editable))
    context.update(_tag_part(organisation, person, editable))
    fields = _attributes(organisation, person)
    context["attribute_rows"] = fields.rows
    context["consent_rows"] = _consent_rows(organisation, person)
    context.update(_status_part(organisation, person))
    context["notes"] = list(
        Note.objects.filter(organisation=organisation, person=person)
        .prefetch_related(
            Prefetch(
                "attachments", queryset=NoteAttachment.objects.filter(organisation=organisation)
            )
        )
        .order_by("-created_at", "-pk")
    )
    context["note_form"] = NoteForm() if editable else None
    events = list(
        AuditEvent.objects.filter(organisation=organisation, person=person)
        .select_related("actor")
        .order_by("-created_at", "-pk")[: HISTORY_LIMIT + 1]
    )
    context["history"] = _history(events[:HISTORY_LIMIT], person, fields)
    context["history_has_more"] = len(events) > HISTORY_LIMIT
    return context


def _household_part(person: Person) -> dict[str, Any]:
    household = person.household
    if household is None:
        return {"household": None, "household_people": []}
    people = list(
        Person.objects.filter(organisation_id=person.organisation_id, household=household)
        .exclude(pk=person.pk)
        .order_by("birth_date", "pk")
    )
    return {"household": household, "household_people": people}


def _guardian_part(organisation: Any, person: Person) -> dict[str, Any]:
    links = list(
        Guardianship.objects.filter(organisation=organisation)
        .filter(Q(ward=person) | Q(guardian=person))
        .select_related("guardian", "ward")
        .order_by("pk")
    )
    return {
        "guardians": [link for link in links if link.ward_id == person.pk],
        "wards": [link for link in links if link.guardian_id == person.pk],
    }


def _group_part(organisation: Any, person: Person, editable: bool) -> dict[str, Any]:
    memberships = list(
        GroupMembership.objects.filter(organisation=organisation, person=person)
        .select_related("group", "group__section")
        .order_by("group__section__name", "group__name", "pk")
    )
    choices = list(available_groups(organisation, person)) if editable else []
    for group in choices:
        group.label = group_label(group)
    return {
        "group_memberships": memberships,
        "group_choices": choices,
        "group_roles": GroupRole.choices,
    }


def _tag_part(organisation: Any, person: Person, editable: bool) -> dict[str, Any]:
    taggings = list(
        Tagging.objects.filter(organisation=organisation, person=person)
        .select_related("tag")
        .order_by("tag__name", "pk")
    )
    other_tags: list[str] = []
    if editable:
        other_tags = list(
            Tag.objects.filter(organisation=organisation)
            .exclude(pk__in=[tagging.tag_id for tagging in taggings])
            .order_by("name")
            .values_list("name", flat=True)
        )
    return {
        "tags": [tagging.tag for tagging in taggings],
        "tag_form": TagAddForm() if editable else None,
        "other_tag_names": other_tags,
    }


@dataclass
class _Attributes:
    """The custom fields of one person: rows to show, and what the history needs to name
    the field an attribute-value event is about."""

    rows: list[dict[str, Any]]
    definitions: dict[int, AttributeDefinition]
    attribute_of_value: dict[int, int]


def _attributes(organisation: Any, person: Person) -> _Attributes:
    values = {
        row.attribute_id: row
        for row in AttributeValue.objects.filter(organisation=organisation, person=person)
    }
    definitions = {
        attribute.pk: attribute
        for attribute in AttributeDefinition.objects.filter(organisation=organisation).order_by(
            "position", "name", "pk"
        )
    }
    rows = []
    for attribute in definitions.values():
        row = values.get(attribute.pk)
        if not attribute.is_active and row is None:
            continue  # a retired field still shows the value the person has
        value = attribute_values.read_value(attribute, row) if row is not None else None
        rows.append({"attribute": attribute, "display": attribute_values.display(attribute, value)})
    return _Attributes(
        rows=rows,
        definitions=definitions,
        attribute_of_value={row.pk: row.attribute_id for row in values.values()},
    )


VALUE_COLUMNS = ("text", "number", "date", "boolean")


def _history(events: list[AuditEvent], person: Person, fields: _Attributes) -> list[AuditEvent]:
    """The audit events with their changes in words; a custom field's value change reads
    "Allergies: — → Gluten" instead of naming the columns it is stored in."""
    rows = with_change_items(events)
    for event in rows:
        event.subject = event.object_repr if event.object_repr != person.full_name else ""
        if event.object_type != "members.attributevalue":
            continue
        changes = event.changes if isinstance(event.changes, dict) else {}
        attribute_id = _side(changes.get("attribute_id"), 1)
        if attribute_id is None and event.object_id.isdigit():
            attribute_id = fields.attribute_of_value.get(int(event.object_id))
        attribute = fields.definitions.get(attribute_id) if attribute_id else None
        old = _first_value(changes, 0)
        new = _first_value(changes, 1)
        is_boolean = attribute is not None and attribute.kind == AttributeKind.BOOLEAN
        if is_boolean and new is None and event.action.endswith(".created"):
            new = False  # a new row records only its non-empty columns
        event.subject = attribute.name if attribute is not None else _("Custom field")
        event.change_items = [
            {
                "field": event.subject,
                "old": _attribute_text(attribute, old),
                "new": _attribute_text(attribute, new),
            }
        ]
    return rows


def _side(pair: Any, index: int) -> Any:
    return pair[index] if isinstance(pair, list) and len(pair) == 2 else None


def _first_value(changes: dict[str, Any], index: int) -> Any:
    for column in VALUE_COLUMNS:
        value = _side(changes.get(column), index)
        if value not in (None, ""):
            return value
    return None


def _attribute_text(attribute: AttributeDefinition | None, stored: Any) -> str:
    if stored is None or stored == "":
        return "—"
    if attribute is not None and attribute.kind in (
        AttributeKind.CHOICE,
        AttributeKind.MULTIPLE_CHOICE,
    ):
        labels = attribute.option_labels
        keys = [key for key in str(stored).strip(",").split(",") if key]
        text = ", ".join(labels.get(key, key) for key in keys)
    elif attribute is not None and attribute.kind == AttributeKind.BOOLEAN:
        text = _("Yes") if stored is True or stored == "True" else _("No")
    else:
        text = str(stored)
    return text if len(text) <= 60 else f"{text[:57]}…"


def _consent_rows(organisation: Any, person: Person) -> list[dict[str, Any]]:
    consents = list(
        Consent.objects.filter(organisation=organisation, person=person)
        .select_related("purpose")
        .order_by("-given_at", "-pk")
    )
    purposes = list(
        ConsentPurpose.objects.filter(organisation=organisation, is_active=True).order_by(
            "position", "name", "pk"
        )
    )
    listed = {purpose.pk for purpose in purposes}
    for consent in consents:  # retired purposes with history stay visible
        if consent.purpose_id not in listed:
            purposes.append(consent.purpose)
            listed.add(consent.purpose_id)
    rows = []
    for purpose in purposes:
        history = [consent for consent in consents if consent.purpose_id == purpose.pk]
        current = next((consent for consent in history if consent.withdrawn_at is None), None)
        rows.append(
            {
                "purpose": purpose,
                "current": current,
                "latest": history[0] if history else None,
                "history": history,
            }
        )
    return rows


def _status_part(organisation: Any, person: Person) -> dict[str, Any]:
    history = list(
        StatusChange.objects.filter(organisation=organisation, person=person).order_by(
            "-created_at", "-pk"
        )
    )
    return {"status_history": history, "status_form": StatusForm(person=person)}


# --- identity number --------------------------------------------------------------------


@organisation_view("members.identity.reveal")
@require_POST
def member_reveal(request: OrganisationRequest, person_id: int) -> HttpResponse:
    """The full identity number, for those allowed; every reveal is in the audit log."""
    person = _get_person(request, person_id)
    number = services.reveal_identity_number(person, actor=_actor(request))
    template = (
        "members/member/_identity_revealed.html"
        if request.headers.get("HX-Request")
        else "members/member/identity.html"
    )
    response = render(request, template, {"person": person, "number": number})
    add_never_cache_headers(response)
    return response


# --- status -------------------------------------------------------------------------------


@organisation_view("members.status.change")
def member_status(request: OrganisationRequest, person_id: int) -> HttpResponse:
    person = _get_person(request, person_id)
    posted = request.method == "POST"
    form = StatusForm(request.POST if posted else None, person=person)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            services.change_status(
                person, data["status"], actor=_actor(request), on=data["on"], reason=data["reason"]
            )
        except services.RegisterError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("%(name)s is now “%(status)s”.")
                % {"name": person.full_name, "status": MemberStatus(data["status"]).label},
            )
            return redirect(_member_url(person, "status"))
    history = list(
        StatusChange.objects.filter(organisation=request.organisation, person=person).order_by(
            "-created_at", "-pk"
        )
    )
    return render(
        request,
        "members/member/status.html",
        {"person": person, "form": form, "status_history": history},
    )


# --- correspondence log ----------------------------------------------------------------


@organisation_view("members.person.change")
def member_note_add(request: OrganisationRequest, person_id: int) -> HttpResponse:
    person = _get_person(request, person_id)
    refused = _refuse_read_only(request, person)
    if refused is not None:
        return refused
    posted = request.method == "POST"
    form = NoteForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_note(
                person,
                actor=_actor(request),
                subject=data["subject"],
                body=data["body"],
                kind=data["kind"],
                files=data["attachments"],
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, _("The entry has been added to the log."))
            return redirect(_member_url(person, "notes"))
    return render(request, "members/member/note_form.html", {"person": person, "form": form})


@organisation_view("members.register.view")
def member_attachment(
    request: OrganisationRequest, person_id: int, attachment_id: int
) -> HttpResponse:
    """Download an attachment through the storage API, as a download, never inline."""
    attachment = get_object_or_404(
        NoteAttachment,
        organisation=request.organisation,
        note__person_id=person_id,
        pk=attachment_id,
    )
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@organisation_view("members.register.view")
def member_photo(request: OrganisationRequest, person_id: int) -> HttpResponse:
    """A member's photo, for those who may see the register (media is never public)."""
    person = get_object_or_404(
        Person.objects.filter(organisation=request.organisation).only("pk", "photo"),
        pk=person_id,
    )
    if not person.photo:
        raise Http404
    try:
        handle = person.photo.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    suffix = person.photo.name.rsplit(".", 1)[-1].lower()
    content_type = {"png": "image/png", "webp": "image/webp", "gif": "image/gif"}.get(
        suffix, "image/jpeg"
    )
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response


# --- groups, tags, consents ---------------------------------------------------------------


@organisation_view("members.person.change")
@require_POST
def member_groups(request: OrganisationRequest, person_id: int) -> HttpResponse:
    """Add to a group with a role, change the role, or remove from a group (REG-06)."""
    organisation = request.organisation
    person = _get_person(request, person_id)
    refused = _refuse_read_only(request, person)
    if refused is not None:
        return refused
    action = request.POST.get("action")
    actor = _actor(request)
    try:
        if action == "add":
            form = GroupAddForm(request.POST, organisation=organisation, person=person)
            if not form.is_valid():
                messages.error(request, _("Choose a group and a role."))
                return redirect(_member_url(person, "groups"))
            group = form.cleaned_data["group"]
            services.add_to_group(
                organisation, [person.pk], group, actor=actor, role=form.cleaned_data["role"]
            )
            messages.success(
                request,
                _("%(name)s has been added to %(group)s.")
                % {"name": person.full_name, "group": group.name},
            )
        elif action in ("role", "remove"):
            membership = get_object_or_404(
                GroupMembership.objects.select_related("group"),
                organisation=organisation,
                person=person,
                pk=request.POST.get("membership") or 0,
            )
            if action == "role":
                services.set_group_role(membership, request.POST.get("role", ""), actor=actor)
                messages.success(
                    request,
                    _("The role in %(group)s has been changed.") % {"group": membership.group.name},
                )
            else:
                services.remove_from_group(membership, actor=actor)
                messages.success(
                    request,
                    _("%(name)s has been removed from %(group)s.")
                    % {"name": person.full_name, "group": membership.group.name},
                )
        else:
            raise Http404
    except services.RegisterError as error:
        messages.error(request, str(error))
    return redirect(_member_url(person, "groups"))


@organisation_view("members.person.change")
@require_POST
def member_tags(request: OrganisationRequest, person_id: int) -> HttpResponse:
    """Tag with an existing or a new tag, or remove a tag (REG-06)."""
    organisation = request.organisation
    person = _get_person(request, person_id)
    refused = _refuse_read_only(request, person)
    if refused is not None:
        return refused
    action = request.POST.get("action")
    actor = _actor(request)
    if action == "add":
        form = TagAddForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the tag a name (at most 60 characters)."))
            return redirect(_member_url(person, "tags"))
        try:
            with transaction.atomic():  # one user action: the new tag and the tagging
                name = form.cleaned_data["name"]
                tag = services.get_or_create_tag(organisation, name, actor=actor)
                services.tag_people(organisation, [person.pk], tag, actor=actor)
        except ValidationError as error:
            messages.error(request, _error_text(error))
        except services.RegisterError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Tagged “%(tag)s”.") % {"tag": tag.name})
    elif action == "remove":
        tag = get_object_or_404(Tag, organisation=organisation, pk=request.POST.get("tag") or 0)
        services.untag_person(person, tag, actor=actor)
        messages.success(request, _("The tag “%(tag)s” has been removed.") % {"tag": tag.name})
    else:
        raise Http404
    return redirect(_member_url(person, "tags"))


@organisation_view("members.person.change")
@require_POST
def member_consents(request: OrganisationRequest, person_id: int) -> HttpResponse:
    """Record a consent given at the office, or its withdrawal (GDPR-01).

    A withdrawal is accepted on read-only records too: a former member may still take
    back a consent."""
    organisation = request.organisation
    person = _get_person(request, person_id)
    action = request.POST.get("action")
    purpose = get_object_or_404(
        ConsentPurpose, organisation=organisation, pk=request.POST.get("purpose") or 0
    )
    actor = _actor(request)
    if action == "give":
        refused = _refuse_read_only(request, person)
        if refused is not None:
            return refused
        if not purpose.is_active:
            messages.error(request, _("This purpose is no longer in use."))
            return redirect(_member_url(person, "consents"))
        try:
            services.give_consent(person, purpose, actor=actor)
        except services.RegisterError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("Consent recorded: %(purpose)s.") % {"purpose": purpose.name}
            )
    elif action == "withdraw":
        if services.withdraw_consent(person, purpose, actor=actor) is None:
            messages.info(request, _("There was no consent to withdraw."))
        else:
            messages.success(
                request, _("Consent withdrawn: %(purpose)s.") % {"purpose": purpose.name}
            )
    else:
        raise Http404
    return redirect(_member_url(person, "consents"))


# --- households and guardians ------------------------------------------------------------


def _search_words(text: str) -> list[str]:
    return [word for word in text.lower().split() if word][:5]


@organisation_view("members.person.change")
def member_household(request: OrganisationRequest, person_id: int) -> HttpResponse:
    """Move a person to another household, to a new one, or out of any (REG-04)."""
    organisation = request.organisation
    person = _get_person(request, person_id)
    refused = _refuse_read_only(request, person)
    if refused is not None:
        return refused
    default_name = _("The %(name)s family") % {"name": person.last_name or person.full_name}
    new_form = NewHouseholdForm(initial={"name": default_name})
    if request.method == "POST":
        action = request.POST.get("action")
        actor = _actor(request)
        if action == "new":
            new_form = NewHouseholdForm(request.POST)
        try:
            if action == "move":
                household = get_object_or_404(
                    Household, organisation=organisation, pk=request.POST.get("household") or 0
                )
                household_services.move_to_household(person, household, actor=actor)
                messages.success(
                    request,
                    _("%(name)s has moved to %(household)s.")
                    % {"name": person.full_name, "household": household.name},
                )
            elif action == "new":
                if new_form.is_valid():
                    household = household_services.create_household(
                        organisation,
                        actor=actor,
                        name=new_form.cleaned_data["name"],
                        people=[person],
                    )
                    messages.success(
                        request,
                        _("%(name)s is now in the new household %(household)s.")
                        % {"name": person.full_name, "household": household.name},
                    )
            elif action == "leave":
                household_services.move_to_household(person, None, actor=actor)
                messages.success(
                    request, _("%(name)s is no longer in a household.") % {"name": person.full_name}
                )
            else:
                raise Http404
        except ValidationError as error:
            if new_form.is_bound:
                add_validation_error(new_form, error)
            else:
                messages.error(request, _error_text(error))
        except (services.RegisterError, household_services.HouseholdError) as error:
            messages.error(request, str(error))
        if not (new_form.is_bound and new_form.errors):
            return redirect(_member_url(person, "household"))
    query = (request.GET.get("q") or "").strip()
    results: list[Household] = []
    if query:
        households = Household.objects.filter(organisation=organisation)
        for word in _search_words(query):
            households = households.filter(Q(name__icontains=word) | Q(street__icontains=word))
        results = list(
            households.exclude(pk=person.household_id or 0)
            .annotate(size=Count("members"))
            .order_by("name", "pk")[:SEARCH_LIMIT]
        )
    household_people = _household_part(person)["household_people"]
    return render(
        request,
        "members/member/household_move.html",
        {
            "person": person,
            "household": person.household,
            "household_people": household_people,
            "query": query,
            "results": results,
            "new_form": new_form,
        },
    )


@organisation_view("members.person.change")
def member_guardians(request: OrganisationRequest, person_id: int) -> HttpResponse:
    """Add a guardian found by searching the association's people, or remove one (REG-04)."""
    organisation = request.organisation
    person = _get_person(request, person_id)
    refused = _refuse_read_only(request, person)
    if refused is not None:
        return refused
    if request.method == "POST":
        action = request.POST.get("action")
        actor = _actor(request)
        try:
            if action == "add":
                guardian = get_object_or_404(
                    Person, organisation=organisation, pk=request.POST.get("guardian") or 0
                )
                services.add_guardian(person, guardian, actor=actor)
                messages.success(
                    request,
                    _("%(guardian)s is now a guardian of %(name)s.")
                    % {"guardian": guardian.full_name, "name": person.full_name},
                )
            elif action == "remove":
                link = get_object_or_404(
                    Guardianship.objects.select_related("guardian", "ward"),
                    organisation=organisation,
                    ward=person,
                    pk=request.POST.get("guardianship") or 0,
                )
                name = link.guardian.full_name
                services.remove_guardian(link, actor=actor)
                messages.success(
                    request,
                    _("%(guardian)s is no longer a guardian of %(name)s.")
                    % {"guardian": name, "name": person.full_name},
                )
            else:
                raise Http404
        except services.RegisterError as error:
            messages.error(request, str(error))
        return redirect(_member_url(person, "guardians"))
    links = _guardian_part(organisation, person)
    query = (request.GET.get("q") or "").strip()
    results: list[Person] = []
    if query:
        people = Person.objects.filter(organisation=organisation, anonymised_at__isnull=True)
        for word in _search_words(query):
            people = people.filter(search_text__contains=word)
        taken = [link.guardian_id for link in links["guardians"]]
        results = list(
            people.exclude(pk__in=[person.pk, *taken]).order_by("last_name", "first_name", "pk")[
                :SEARCH_LIMIT
            ]
        )
    return render(
        request,
        "members/member/guardians.html",
        {"person": person, "query": query, "results": results, **links},
    )


# --- applications ----------------------------------------------------------------------


@organisation_view("members.status.change")
def applications(request: OrganisationRequest) -> HttpResponse:
    """Applications for membership: approve or reject one by one or the ticked ones."""
    organisation = request.organisation
    if request.method == "POST":
        form = ApplicationDecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("The selection is not valid; reload the page."))
        else:
            _decide_applications(request, form)
        url = reverse("org:applications", kwargs={"org_slug": organisation.slug})
        page_number = request.GET.get("page")
        return redirect(f"{url}?page={page_number}" if page_number else url)
    applicants = (
        Person.objects.filter(organisation=organisation, status=MemberStatus.APPLIED)
        .select_related("membership_type")
        .order_by("status_since", "pk")
    )
    page = Paginator(applicants, APPLICATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = list(page.object_list)
    for person in rows:
        person.age = person.age_on(today)
        person.phone_label = phone_display(person.phone, organisation.country)
    return render(
        request,
        "members/member/applications.html",
        {"page": page, "applicants": rows, "reason_form": ApplicationDecisionForm()},
    )


def _decide_applications(request: OrganisationRequest, form: ApplicationDecisionForm) -> None:
    organisation = request.organisation
    wanted = form.selected_ids()
    ids = list(
        Person.objects.filter(
            organisation=organisation, status=MemberStatus.APPLIED, pk__in=wanted
        ).values_list("pk", flat=True)
    )
    if not ids:
        messages.warning(request, _("Tick at least one application."))
        return
    approve = form.action == "approve"
    result = services.change_status_many(
        organisation,
        ids,
        MemberStatus.ACTIVE if approve else MemberStatus.REJECTED,
        actor=_actor(request),
        reason="" if approve else form.cleaned_data["reason"],
    )
    count = len(result.changed)
    if count:
        if approve:
            text = ngettext(
                "%(count)d application approved.", "%(count)d applications approved.", count
            )
        else:
            text = ngettext(
                "%(count)d application rejected.", "%(count)d applications rejected.", count
            )
        messages.success(request, text % {"count": count})
    for person, reason in result.refused:
        messages.error(request, f"{person.full_name}: {reason}")
