"""The office pages of the association itself, inside the "org" namespace: /o/<org_slug>/…"""

from django.urls import path

from forening.office import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("office/settings/", views.organisation_settings, name="settings"),
    path("office/groups/", views.groups, name="groups"),
    path("office/sections/new/", views.section_edit, name="section-create"),
    path("office/sections/<int:section_id>/", views.section_edit, name="section-edit"),
    path("office/groups/new/", views.group_edit, name="group-create"),
    path("office/groups/<int:group_id>/", views.group_edit, name="group-edit"),
    path("office/roles/", views.roles, name="roles"),
    path("office/roles/grant/", views.role_grant, name="role-grant"),
    path("office/roles/<int:assignment_id>/revoke/", views.role_revoke, name="role-revoke"),
    path("office/audit/", views.audit_log, name="audit"),
    path("office/units/", views.units, name="units"),
    path("office/units/new/", views.unit_create, name="unit-create"),
]
