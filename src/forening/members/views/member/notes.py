"""The correspondence log (REG-08): adding an entry and downloading its attachments."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from forening.core.forms_base import add_validation_error
from forening.core.views.base import OrganisationRequest, organisation_view
from forening.members import services
from forening.members.forms import NoteForm
from forening.members.models import NoteAttachment
from forening.members.views.member.access import (
    get_person,
    member_url,
    refuse_read_only,
    request_actor,
)


@organisation_view("members.person.change")
def member_note_add(request: OrganisationRequest, person_id: int) -> HttpResponse:
    person = get_person(request, person_id)
    refused = refuse_read_only(request, person)
    if refused is not None:
        return refused
    posted = request.method == "POST"
    form = NoteForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_note(
                person,
                actor=request_actor(request),
                subject=data["subject"],
                body=data["body"],
                kind=data["kind"],
                files=data["attachments"],
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, _("The entry has been added to the log."))
            return redirect(member_url(person, "notes"))
    return render(request, "members/member/note_form.html", {"person": person, "form": form})


@organisation_view("members.register.view")
def member_attachment(
    request: OrganisationRequest, person_id: int, attachment_id: int
) -> FileResponse:
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
