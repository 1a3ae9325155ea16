"""The register's search page (REG-07), bulk actions, saved searches and export (REG-09).

The search page runs a fixed number of queries whatever the number of people: the
form's choice lists, the count, one page of rows and the saved searches.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django_scopes.forms import SafeModelChoiceField

from forening.core import policy
from forening.core.badges import member_status_badge
from forening.core.context import Actor
from forening.core.forms_base import BootstrapMixin, QuickSelect, choice, model_choice
from forening.core.models import Group, GroupRole, MemberStatus, Organisation, Person
from forening.core.views.base import OrganisationRequest, organisation_view
from forening.members import exporting
from forening.members import search as engine
from forening.members import services as register
from forening.members.forms import GroupChoiceField, phone_display
from forening.members.models import SavedSearch, Tag

BULK_REFUSALS_SHOWN = 10
EXPORT_SESSION_KEY = "members.export.{org}"

# The sortable columns of the results table: column → sort key.
SORTABLE = {
    "member_number": "member_number",
    "name": "name",
    "age": "age",
}


# --- forms --------------------------------------------------------------------------


class PersonIdsField(forms.Field):
    """A list of person ids from checkboxes (checked against the organisation later)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        try:
            return sorted({int(item) for item in values})
        except (TypeError, ValueError):
            raise ValidationError(_("Choose people from the list."), code="invalid") from None


class BulkForm(BootstrapMixin, forms.Form):
    """What to do with the chosen people (or with everyone the search finds)."""

    ACTIONS = (
        ("tag", gettext_lazy("Add a tag")),
        ("group", gettext_lazy("Add to a group")),
        ("status", gettext_lazy("Change status")),
    )
    SCOPES = (
        ("selected", gettext_lazy("The chosen people")),
        ("all", gettext_lazy("Everyone the search finds")),
    )

    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=ACTIONS, widget=QuickSelect)
    scope = forms.ChoiceField(
        label=gettext_lazy("Whom"), choices=SCOPES, initial="selected", widget=forms.RadioSelect
    )
    person = PersonIdsField(required=False)
    query = forms.CharField(required=False, widget=forms.HiddenInput)
    tag = SafeModelChoiceField(
        queryset=Tag.objects.none(),
        required=False,
        label=gettext_lazy("Tag"),
        empty_label=gettext_lazy("Choose a tag…"),
        widget=QuickSelect,
    )
    new_tag = forms.CharField(label=gettext_lazy("or a new tag"), required=False, max_length=60)
    group = GroupChoiceField(
        queryset=Group.objects.none(),
        required=False,
        label=gettext_lazy("Group"),
        empty_label=gettext_lazy("Choose a group…"),
        widget=QuickSelect,
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Role in the group"),
        choices=GroupRole.choices,
        initial=GroupRole.PARTICIPANT,
        required=False,
        widget=QuickSelect,
    )
    to_status = forms.ChoiceField(
        label=gettext_lazy("New status"),
        choices=[("", "—"), *MemberStatus.choices],
        required=False,
        widget=QuickSelect,
    )
    on = engine.NordicDateField(label=gettext_lazy("Date"), required=False)
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=200)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "bulk-%s")
        super().__init__(*args, **kwargs)
        # On the search page the fields sit inside the search form; they belong to the
        # bulk form (a separate element) through the `form` attribute.
        for field in self.fields.values():
            field.widget.attrs["form"] = "bulk-form"
        model_choice(self, "tag").queryset = Tag.objects.filter(organisation=organisation)
        model_choice(self, "group").queryset = Group.objects.filter(
            organisation=organisation, is_archived=False
        ).select_related("section")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        action = cleaned.get("action")
        if action == "tag" and not cleaned.get("tag") and not cleaned.get("new_tag", "").strip():
            self.add_error("tag", _("Choose a tag or name a new one."))
        if action == "group" and not cleaned.get("group") and "group" not in self.errors:
            self.add_error("group", _("Choose a group."))
        if action == "status" and not cleaned.get("to_status"):
            self.add_error("to_status", _("Choose the new status."))
        nobody = cleaned.get("scope") == "selected" and not cleaned.get("person")
        if nobody and "person" not in self.errors:
            self.add_error(None, _("Choose at least one person in the list."))
        return cleaned


class ExportForm(BootstrapMixin, forms.Form):
    format = forms.ChoiceField(
        label=gettext_lazy("File type"),
        choices=(
            ("xlsx", gettext_lazy("Excel (.xlsx)")),
            ("csv", gettext_lazy("CSV (.csv, separated by semicolons)")),
        ),
        initial="xlsx",
        widget=forms.RadioSelect,
    )
    columns = forms.MultipleChoiceField(
        label=gettext_lazy("Columns"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one column.")},
    )

    def __init__(self, *args: Any, columns: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice(self, "columns").choices = list(columns.items())


# --- helpers ------------------------------------------------------------------------


def _without(params: QueryDict, remove: tuple[tuple[str, str | None], ...]) -> str:
    """The query string of `params` without the given (parameter, value) pairs or page."""
    query = params.copy()
    query.pop("page", None)
    for name, value in remove:
        if value is None:
            query.pop(name, None)
        else:
            query.setlist(name, [item for item in query.getlist(name) if item != value])
    return query.urlencode()


def _members_url(organisation: Organisation, query: str = "") -> str:
    url = reverse("org:members", kwargs={"org_slug": organisation.slug})
    return f"{url}?{query}" if query else url


def _safe_query(raw: str) -> QueryDict:
    """A query string posted back by the page, reduced to search parameters."""
    parsed = QueryDict(raw or "")
    query = QueryDict(mutable=True)
    for name in parsed:
        if engine.is_search_parameter(name):
            query.setlist(name, parsed.getlist(name))
    return query


def _sort_links(params: QueryDict, current: str) -> dict[str, dict[str, str]]:
    links = {}
    for column, key in SORTABLE.items():
        active = current.lstrip("-") == key
        descending = current.startswith("-")
        next_sort = f"-{key}" if active and not descending else key
        query = params.copy()
        query.pop("page", None)
        query["sort"] = next_sort
        links[column] = {
            "url": f"?{query.urlencode()}",
            "direction": ("desc" if descending else "asc") if active else "",
        }
    return links


# --- the search page ----------------------------------------------------------------


def _filter_panels(
    form: engine.SearchForm, params: QueryDict, *, show_gender: bool
) -> list[dict[str, Any]]:
    """The filter form in collapsible groups; a group is open when it has a value."""

    def has_value(name: str) -> bool:
        return any(value.strip() for value in params.getlist(name)) or name in form.errors

    panels: list[tuple[str, list[list[str]], str]] = [
        (_("Status"), [["status"]], ""),
        (
            _("Membership"),
            [["membership_type"], ["joined_from", "joined_to"]],
            _("No membership types yet."),
        ),
        (
            _("Age"),
            [["age_min", "age_max"], ["born_from", "born_to"]]
            + ([["gender"]] if show_gender or has_value("gender") else []),
            "",
        ),
        (_("Sections and groups"), [["section"], ["group"]], _("None yet.")),
        (_("Tags"), [["tag"]], _("No tags yet.")),
        (_("Contact details"), [["missing"]], ""),
        (_("Consents"), [["consent_given"], ["consent_withdrawn"]], _("No consent purposes yet.")),
    ]
    attribute_rows = [list(attribute.names) for attribute in form.attribute_filters]
    if attribute_rows:
        panels.append((_("Custom fields"), attribute_rows, _("No choices.")))
    result = []
    for index, (title, rows, empty_text) in enumerate(panels):
        names = [name for row in rows for name in row]
        result.append(
            {
                "title": title,
                "rows": [[form[name] for name in row] for row in rows],
                "open": index == 0 or any(has_value(name) for name in names),
                "single": len(names) == 1,
                "empty_text": empty_text,
            }
        )
    return result


def _rows_html(
    organisation: Any, rows: list[Person], today: dt.date, *, selectable: bool
) -> SafeString:
    """The result table's rows, built here rather than in the template: fifty rows of
    eight cells through the template engine were a third of the page's time. Every value
    goes through `format_html`, so names and addresses are escaped as in a template."""
    sentinel = 987654321
    member_url = reverse(
        "org:member", kwargs={"org_slug": organisation.slug, "person_id": sentinel}
    )
    before, after = member_url.split(str(sentinel))
    no_name = _("(no name)")
    html = []
    for person in rows:
        age = person.age_on(today)
        number = person.member_number
        check = (
            format_html(
                '<td class="col-check"><input class="form-check-input" type="checkbox" '
                'name="person" value="{}" form="bulk-form" data-row-check aria-label="{}"></td>',
                person.pk,
                _("Choose %(name)s") % {"name": person.full_name},
            )
            if selectable
            else ""
        )
        small = format_html(
            "{}{}",
            format_html('<span class="d-sm-none">#{} · </span>', number) if number else "",
            _("%(age)s years") % {"age": age} if age is not None else "",
        )
        email = person.email
        phone = person.phone
        html.append(
            format_html(
                "<tr>{check}"
                '<td class="d-none d-sm-table-cell text-nowrap">{number}</td>'
                '<td class="text-break"><a class="fw-semibold" href="{url}">{name}</a>'
                '<div class="small text-body-secondary d-md-none">{small}{email_line}</div></td>'
                '<td class="d-none d-md-table-cell">{age}</td>'
                '<td><span class="badge {badge}">{status}</span></td>'
                '<td class="d-none d-lg-table-cell">{membership_type}</td>'
                '<td class="d-none d-md-table-cell text-break">{email_link}</td>'
                '<td class="d-none d-xl-table-cell text-nowrap">{phone_link}</td>'
                "</tr>",
                check=check,
                number=number if number else "–",
                url=f"{before}{person.pk}{after}",
                name=person.sort_name or no_name,
                small=small,
                email_line=format_html('<div class="text-break">{}</div>', email) if email else "",
                age="" if age is None else age,
                badge=member_status_badge(person.status, default="text-bg-light"),
                status=person.get_status_display(),
                membership_type=person.membership_type.name if person.membership_type else "",
                email_link=format_html('<a href="mailto:{}">{}</a>', email, email) if email else "",
                phone_link=(
                    format_html(
                        '<a href="tel:{}">{}</a>',
                        phone,
                        phone_display(phone, organisation.country or "SE"),
                    )
                    if phone
                    else ""
                ),
            )
        )
    return mark_safe("".join(html))  # noqa: S308 - each row is built by format_html


@organisation_view("members.register.view")
def search(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    organisation = request.organisation
    params = request.GET
    form = engine.SearchForm(params, organisation=organisation)
    people = form.people().select_related("membership_type")
    page = Paginator(people, engine.PAGE_SIZE).get_page(params.get("page"))
    today = timezone.localdate()
    rows = list(page.object_list)
    query = engine.query_string(params)
    current_query = engine.clean_query(params)
    saved_searches = [
        {
            "search": saved,
            "url": _members_url(organisation, engine.query_string(saved.query)),
            "is_current": saved.query == current_query,
        }
        for saved in SavedSearch.objects.filter(organisation=organisation)
    ]
    chips = [
        {"label": active.label, "url": _members_url(organisation, _without(params, active.remove))}
        for active in form.filters()
    ]
    can_change = policy.can(request.access, "members.person.change")
    can_change_status = policy.can(request.access, "members.status.change")
    bulk_form = None
    bulk_actions = [key for key, _label in BulkForm.ACTIONS]
    if not can_change_status:
        bulk_actions.remove("status")
    if can_change:
        bulk_form = BulkForm(organisation=organisation, initial={"query": query})
        choice(bulk_form, "action").choices = [c for c in BulkForm.ACTIONS if c[0] in bulk_actions]
    return render(
        request,
        "members/search/search.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "rows_html": _rows_html(organisation, rows, today, selectable=bulk_form is not None),
            "count": page.paginator.count,
            "query": query,
            "chips": chips,
            "is_filtered": bool(current_query),
            "uses_default_status": form.is_valid() and form.uses_default_status,
            "all_statuses_url": _members_url(
                organisation, engine.query_string(params, status="all")
            ),
            "sort_links": _sort_links(params, (form.cleaned_data.get("sort") or "name")),
            "saved_searches": saved_searches,
            "bulk_form": bulk_form,
            "bulk_actions": bulk_actions,
            "panels": _filter_panels(form, params, show_gender=organisation.records_gender),
            "has_errors": form.is_bound and bool(form.errors),
            "can_export": policy.can(request.access, "members.export"),
            "can_change": can_change,
        },
    )


# --- bulk actions -------------------------------------------------------------------


def _bulk_people(organisation: Organisation, cleaned: dict[str, Any]) -> Any:
    """The ids the action applies to: the ticked people, or everyone the search finds as
    a subquery (the services never receive the whole list)."""
    if cleaned["scope"] == "all":
        query = _safe_query(cleaned.get("query") or "")
        return engine.search_people(organisation, query).order_by().values("pk")
    return list(cleaned.get("person") or [])


def _report_refusals(request: OrganisationRequest, refused: list[tuple[Any, str]]) -> None:
    if not refused:
        return
    shown = "; ".join(
        f"{person.full_name or person.member_number or person.pk}: {reason}"
        for person, reason in refused[:BULK_REFUSALS_SHOWN]
    )
    more = len(refused) - BULK_REFUSALS_SHOWN
    message = ngettext(
        "%(count)d person was not changed: %(list)s",
        "%(count)d people were not changed: %(list)s",
        len(refused),
    ) % {"count": len(refused), "list": shown}
    if more > 0:
        message += " " + ngettext("and %(count)d more.", "and %(count)d more.", more) % {
            "count": more
        }
    messages.warning(request, message)


@organisation_view("members.person.change")
@require_POST
def bulk(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    organisation = request.organisation
    form = BulkForm(request.POST, organisation=organisation)
    back = _members_url(organisation, _safe_query(request.POST.get("query", "")).urlencode())
    if not form.is_valid():
        errors = [str(error) for field_errors in form.errors.values() for error in field_errors]
        messages.error(request, " ".join(errors))
        return redirect(back)
    cleaned = form.cleaned_data
    actor = Actor.from_request(request)
    action = cleaned["action"]
    if action == "status":
        policy.require(request.access, "members.status.change")
    ids = _bulk_people(organisation, cleaned)
    if not (ids.exists() if isinstance(ids, QuerySet) else ids):
        messages.info(request, _("Nobody to change."))
        return redirect(back)
    try:
        with transaction.atomic():
            if action == "tag":
                tag = cleaned["tag"] or register.get_or_create_tag(
                    organisation, cleaned["new_tag"], actor=actor
                )
                added = register.tag_people(organisation, ids, tag, actor=actor)
                messages.success(
                    request,
                    ngettext(
                        "Tagged %(count)d person with “%(tag)s”.",
                        "Tagged %(count)d people with “%(tag)s”.",
                        added,
                    )
                    % {"count": added, "tag": tag.name},
                )
            elif action == "group":
                group = cleaned["group"]
                role = cleaned.get("role") or GroupRole.PARTICIPANT
                added = register.add_to_group(organisation, ids, group, actor=actor, role=role)
                messages.success(
                    request,
                    ngettext(
                        "Added %(count)d person to %(group)s.",
                        "Added %(count)d people to %(group)s.",
                        added,
                    )
                    % {"count": added, "group": group.name},
                )
            else:
                result = register.change_status_many(
                    organisation,
                    ids,
                    cleaned["to_status"],
                    actor=actor,
                    on=cleaned.get("on"),
                    reason=cleaned.get("reason", ""),
                )
                changed = len(result.changed)
                messages.success(
                    request,
                    ngettext(
                        "Changed the status of %(count)d person to “%(status)s”.",
                        "Changed the status of %(count)d people to “%(status)s”.",
                        changed,
                    )
                    % {"count": changed, "status": MemberStatus(cleaned["to_status"]).label},
                )
                _report_refusals(request, result.refused)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except register.RegisterError as error:
        messages.error(request, str(error))
    return redirect(back)


# --- saved searches -----------------------------------------------------------------


class SavedSearchForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name of the search"), max_length=120)
    query = forms.CharField(required=False, widget=forms.HiddenInput)


@organisation_view("members.register.view")
def saved_searches(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    organisation = request.organisation
    form = SavedSearchForm(request.POST or None)
    if request.method == "POST":
        query = _safe_query(request.POST.get("query", ""))
        if form.is_valid():
            try:
                saved = engine.save_search(
                    organisation,
                    form.cleaned_data["name"],
                    query,
                    actor=Actor.from_request(request),
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request, _("The search “%(name)s” has been saved.") % {"name": saved.name}
                )
                return redirect(_members_url(organisation, engine.query_string(saved.query)))
        else:
            messages.error(request, _("Give the search a name."))
        return redirect(_members_url(organisation, query.urlencode()))
    choices = engine.SearchChoices.load(organisation)
    rows = [
        {
            "search": saved,
            "url": _members_url(organisation, engine.query_string(saved.query)),
            "filters": engine.describe(saved.query, organisation, choices=choices),
        }
        for saved in SavedSearch.objects.filter(organisation=organisation)
    ]
    return render(
        request,
        "members/search/saved_searches.html",
        {"rows": rows, "can_change": policy.can(request.access, "members.person.change")},
    )


@organisation_view("members.person.change")
@require_POST
def saved_search_delete(
    request: OrganisationRequest, search_id: int, **kwargs: Any
) -> HttpResponse:
    organisation = request.organisation
    saved = get_object_or_404(SavedSearch, organisation=organisation, pk=search_id)
    name = saved.name
    engine.delete_saved_search(saved, actor=Actor.from_request(request))
    messages.success(request, _("The search “%(name)s” has been deleted.") % {"name": name})
    return redirect("org:saved-searches", org_slug=organisation.slug)


# --- export -------------------------------------------------------------------------


@organisation_view("members.export")
def export(request: OrganisationRequest, **kwargs: Any) -> HttpResponseBase:
    organisation = request.organisation
    params = request.GET
    search_form = engine.SearchForm(params, organisation=organisation)
    columns = exporting.available_columns(
        organisation, definitions=search_form.attribute_definitions
    )
    session_key = EXPORT_SESSION_KEY.format(org=organisation.pk)
    remembered = request.session.get(session_key) or {}
    initial = {
        "format": remembered.get("format", "xlsx"),
        "columns": [
            c for c in remembered.get("columns", exporting.DEFAULT_COLUMNS) if c in columns
        ],
    }
    form = ExportForm(request.POST or None, columns=columns, initial=initial)
    if request.method == "POST" and form.is_valid() and search_form.is_valid():
        fmt = form.cleaned_data["format"]
        chosen = form.cleaned_data["columns"]
        request.session[session_key] = {"format": fmt, "columns": chosen}
        out = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
        try:
            exporting.write_export(
                search_form.people(),
                organisation=organisation,
                columns=chosen,
                fmt=fmt,
                out=out,
                actor=Actor.from_request(request),
                search=engine.query_string(params),
            )
        except BaseException:
            out.close()
            raise
        out.seek(0)
        filename = f"{organisation.slug}-{_('members')}-{timezone.localdate():%Y-%m-%d}.{fmt}"
        return FileResponse(
            out,
            as_attachment=True,
            filename=filename,
            content_type=exporting.CONTENT_TYPES[fmt],
        )
    count = search_form.people().count() if search_form.is_valid() else 0
    return render(
        request,
        "members/search/export.html",
        {
            "form": form,
            "search_form": search_form,
            "count": count,
            "chips": [active.label for active in search_form.filters()],
            "query": engine.query_string(params),
            "back_url": _members_url(organisation, engine.query_string(params)),
        },
    )
