"""Register pages: import (mounted under /o/<org_slug>/ by members.urls)."""

from django.urls import path

from forening.members.views import importing

urlpatterns = [
    path("office/members/import/", importing.import_upload, name="member-import"),
    path("office/members/import/<int:import_id>/", importing.import_map, name="member-import-map"),
    path(
        "office/members/import/<int:import_id>/preview/",
        importing.import_preview,
        name="member-import-preview",
    ),
    path(
        "office/members/import/<int:import_id>/discard/",
        importing.import_discard,
        name="member-import-discard",
    ),
]
