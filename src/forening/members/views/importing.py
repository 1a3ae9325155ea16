"""Register views: import (REG-09). Upload a spreadsheet → map its columns → preview what
will happen → commit. The work is done by `members.importing`; these views are adapters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from forening.core.context import Actor
from forening.core.forms_base import BootstrapMixin
from forening.core.views.base import OrganisationRequest, organisation_view
from forening.members import importing
from forening.members.models import ImportStatus, MemberImport
from forening.members.services import RegisterError

RECENT_IMPORTS = 15
MAP_SAMPLE_ROWS = 50
ERRORS_SHOWN = 1000


class ImportUploadForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        help_text=gettext_lazy(
            "An Excel file (.xlsx) or a CSV file, with the column names in the first row."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.txt"}),
    )


class ImportMappingForm(BootstrapMixin, forms.Form):
    """One select per column of the file (which register field it goes to), and whether
    invalid rows are skipped."""

    skip_invalid = forms.BooleanField(
        label=gettext_lazy("Skip invalid rows and import the others"),
        help_text=gettext_lazy("Otherwise nothing is imported while any row has an error."),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        headers: list[str],
        samples: list[list[str]],
        choices: list[tuple[str, str]],
        mapping: dict[int, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        options = [("", _("Do not import")), *choices]
        self.columns: list[tuple[forms.BoundField, str, list[str]]] = []
        for index, header in enumerate(headers):
            name = f"column_{index}"
            self.fields[name] = forms.ChoiceField(
                label=header or _("Column %(number)d") % {"number": index + 1},
                choices=options,
                required=False,
                initial=mapping.get(index, ""),
                widget=forms.Select(attrs={"class": "form-select"}),
            )
        for index, header in enumerate(headers):
            self.columns.append((self[f"column_{index}"], header, samples[index]))

    def mapping(self) -> dict[int, str]:
        return {
            int(name.removeprefix("column_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("column_") and value
        }


def _get_import(request: OrganisationRequest, import_id: int) -> MemberImport:
    return get_object_or_404(
        MemberImport.objects.select_related("uploaded_by"),
        pk=import_id,
        organisation=request.organisation,
    )


@organisation_view("members.import")
def import_upload(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            member_import, _sheet = importing.create_import(
                organisation, form.cleaned_data["file"], actor=Actor.from_request(request)
            )
        except importing.ImportFileError as error:
            form.add_error("file", str(error))
        else:
            return redirect(
                "org:member-import-map", org_slug=organisation.slug, import_id=member_import.pk
            )
    recent = MemberImport.objects.filter(organisation=organisation).select_related("uploaded_by")[
        :RECENT_IMPORTS
    ]
    return render(
        request,
        "members/import/upload.html",
        {
            "form": form,
            "imports": recent,
            "max_mb": importing.max_import_bytes() // (1024 * 1024),
            "fields": [str(target.label) for target in importing.TARGET_FIELDS],
        },
    )


@organisation_view("members.import")
def import_map(request: OrganisationRequest, import_id: int) -> HttpResponse:
    organisation = request.organisation
    member_import = _get_import(request, import_id)
    if gone := _discarded(request, member_import):
        return gone
    if member_import.status != ImportStatus.UPLOADED:
        return redirect(
            "org:member-import-preview", org_slug=organisation.slug, import_id=member_import.pk
        )
    try:
        sheet = importing.read_import(member_import, limit=MAP_SAMPLE_ROWS)
    except importing.ImportFileError as error:
        messages.error(request, str(error))
        return redirect("org:member-import", org_slug=organisation.slug)
    form = ImportMappingForm(
        request.POST or None,
        headers=sheet.headers,
        samples=sheet.samples(),
        choices=importing.field_choices(organisation),
        mapping=importing.stored_mapping(member_import),
        initial={"skip_invalid": member_import.skip_invalid},
    )
    if request.method == "POST" and form.is_valid():
        try:
            importing.set_import_mapping(
                member_import,
                form.mapping(),
                skip_invalid=form.cleaned_data["skip_invalid"],
                actor=Actor.from_request(request),
            )
        except RegisterError as error:
            form.add_error(None, str(error))
        else:
            return redirect(
                "org:member-import-preview",
                org_slug=organisation.slug,
                import_id=member_import.pk,
            )
    return render(
        request,
        "members/import/map.html",
        {"form": form, "member_import": member_import, "sheet": sheet},
    )


@organisation_view("members.import")
@require_POST
def import_discard(request: OrganisationRequest, import_id: int) -> HttpResponse:
    organisation = request.organisation
    member_import = _get_import(request, import_id)
    try:
        importing.discard_import(member_import, actor=Actor.from_request(request))
    except RegisterError as error:
        messages.info(request, str(error))
    else:
        messages.success(request, _("The import was cancelled and the file deleted."))
    return redirect("org:member-import", org_slug=organisation.slug)


def _discarded(request: OrganisationRequest, member_import: MemberImport) -> HttpResponse | None:
    if member_import.status != ImportStatus.DISCARDED:
        return None
    messages.info(request, _("This import was cancelled and its file deleted. Upload it again."))
    return redirect("org:member-import", org_slug=request.organisation.slug)


@organisation_view("members.import")
def import_preview(request: OrganisationRequest, import_id: int) -> HttpResponse:
    organisation = request.organisation
    member_import = _get_import(request, import_id)
    actor = Actor.from_request(request)
    if gone := _discarded(request, member_import):
        return gone
    if member_import.status != ImportStatus.UPLOADED:
        if request.method == "POST":
            messages.info(request, _("This file has already been imported."))
            return redirect("org:members", org_slug=organisation.slug)
        return render(
            request,
            "members/import/done.html",
            {"member_import": member_import, "result": member_import.result},
        )
    try:
        if request.method == "POST":
            report = importing.commit_import(member_import, actor=actor)
        else:
            report = importing.preview_import(member_import, actor=actor)
    except RegisterError as error:
        # An unreadable file, a mapping to a field since removed, or a second commit in
        # another tab: the column page sorts out which (or shows the finished import).
        messages.error(request, str(error))
        return redirect(
            "org:member-import-map", org_slug=organisation.slug, import_id=member_import.pk
        )
    if report.committed:
        messages.success(
            request,
            _(
                "The import is done: %(created)d added, %(updated)d updated, "
                "%(unchanged)d unchanged, %(skipped)d skipped."
            )
            % {
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "skipped": report.skipped,
            },
        )
        return redirect("org:members", org_slug=organisation.slug)
    if request.method == "POST":
        messages.error(request, _("Nothing was imported: correct the errors below first."))
    return render(
        request,
        "members/import/preview.html",
        {
            "member_import": member_import,
            "report": report,
            "errors": report.errors[:ERRORS_SHOWN],
            "more_errors": max(0, len(report.errors) - ERRORS_SHOWN),
            "can_commit": not report.stopped and bool(report.created or report.updated),
        },
    )
