"""Register pages: search (mounted under /o/<org_slug>/ by members.urls)."""

from django.urls import path

from forening.members.views import search

urlpatterns = [
    path("office/members/", search.search, name="members"),
    path("office/members/bulk/", search.bulk, name="members-bulk"),
    path("office/members/export/", search.export, name="members-export"),
    path("office/members/searches/", search.saved_searches, name="saved-searches"),
    path(
        "office/members/searches/<int:search_id>/delete/",
        search.saved_search_delete,
        name="saved-search-delete",
    ),
]
