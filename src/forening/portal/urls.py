"""My pages and the leader pages, inside the "org" namespace: /o/<org_slug>/my/…, leader/…"""

from django.urls import path

from forening.portal import leader, views

urlpatterns = [
    path("leader/", leader.my_groups, name="leader"),
    path("leader/groups/<int:group_id>/", leader.group_detail, name="leader-group"),
    path("my/", views.my_pages, name="portal"),
    path("my/people/<int:person_id>/", views.person_edit, name="portal-person"),
    path("my/people/<int:person_id>/consents/", views.person_consents, name="portal-consents"),
]
