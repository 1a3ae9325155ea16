"""The menu bar inside an association: the extension point every app adds its pages to.

The base template draws the menus; it knows no app. Each app registers, in its
`AppConfig.ready()`, the menus it owns and the links it puts in any menu:

    navigation.register_menu(
        navigation.Menu("invoicing", _("Invoicing"), icon="receipt", order=30,
                        active_paths=("/office/billing/",))
    )
    navigation.register_link(
        navigation.Link("invoicing", _("Invoices"), "invoices", action="billing.view",
                        order=10)
    )

The contract:

- a `Menu` is a top-level entry of the bar; with one link and `is_dropdown=False` it is a
  plain link, otherwise a dropdown of its links;
- a `Link` names a URL of the "org" namespace that takes only `org_slug`, and the policy
  action that guards the page: the link is shown exactly when `core.policy.can(access,
  action)` allows it, so the menu never offers a page that would answer 403;
- links are ordered by `(section, order)` and a divider separates two sections; a menu
  with no visible link is not shown; a link's `short_label` names it in the menu's row of
  tabs, and `also_current` names the other pages under it (an invoice under "Invoices");
- registering does no work; `build()` runs per page, reads only the request's `Access`
  (no queries) and reverses each URL once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import NoReverseMatch, reverse

from forening.core import policy


@dataclass(frozen=True)
class Menu:
    key: str
    label: Any  # a lazy translation
    icon: str = ""  # a Bootstrap icon name, without "bi-"
    order: int = 100
    is_dropdown: bool = True
    # The page is in this menu when its path contains one of `active_paths` and none of
    # `inactive_paths`.
    active_paths: tuple[str, ...] = ()
    inactive_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class Link:
    menu: str
    label: Any
    url_name: str  # in the "org" namespace, taking only org_slug
    action: str  # the policy action of the page
    order: int = 100
    section: int = 0
    # The label in the menu's row of tabs (pages of the menu show them), when shorter.
    short_label: Any = None
    # Other URL names of pages that belong under this link (its tab is current there).
    also_current: tuple[str, ...] = ()


@dataclass
class ShownMenu:
    key: str
    label: Any
    icon: str
    is_dropdown: bool
    is_active: bool
    url: str = ""  # a plain link's address
    entries: list[ShownLink | Divider] = field(default_factory=list)

    @property
    def tabs(self) -> list[ShownLink]:
        """The links without dividers, for a row of tabs."""
        return [entry for entry in self.entries if isinstance(entry, ShownLink)]


@dataclass(frozen=True)
class ShownLink:
    label: Any
    url: str
    tab_label: Any
    is_current: bool

    @property
    def is_divider(self) -> bool:
        return False


@dataclass(frozen=True)
class Divider:
    is_divider: bool = True


_menus: dict[str, Menu] = {}
_links: dict[tuple[str, str], Link] = {}


def register_menu(menu: Menu) -> None:
    """Add a menu. Registering the same menu again does nothing (Django runs `ready()`
    again when a test changes INSTALLED_APPS); another menu under a taken key is an error."""
    if _menus.get(menu.key, menu) != menu:
        raise ValueError(f"menu {menu.key!r} registered twice")
    _menus[menu.key] = menu


def register_link(*links: Link) -> None:
    """Add links to menus; the same link again does nothing, as with `register_menu`."""
    for link in links:
        if link.action not in policy.RULES:
            raise ValueError(f"menu link {link.url_name!r} names unknown action {link.action!r}")
        key = (link.menu, link.url_name)
        if _links.get(key, link) != link:
            raise ValueError(f"link to {link.url_name!r} registered twice in {link.menu!r}")
        _links[key] = link


def _is_active(menu: Menu, path: str) -> bool:
    return any(part in path for part in menu.active_paths) and not any(
        part in path for part in menu.inactive_paths
    )


def build(request: Any) -> list[ShownMenu]:
    """The menus the user of `request` may use in its organisation, in order.

    Templates read it as `navigation` (the menu bar) and a page of a menu draws that
    menu's `tabs` (see billing/_nav.html)."""
    organisation = getattr(request, "organisation", None)
    access = getattr(request, "access", None)
    if organisation is None or access is None:
        return []
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match is not None else None
    shown = []
    for menu in sorted(_menus.values(), key=lambda menu: (menu.order, menu.key)):
        links = sorted(
            (link for link in _links.values() if link.menu == menu.key),
            key=lambda link: (link.section, link.order),
        )
        entries: list[ShownLink | Divider] = []
        section = None
        for link in links:
            if not policy.can(access, link.action):
                continue
            try:
                url = reverse(f"org:{link.url_name}", kwargs={"org_slug": organisation.slug})
            except NoReverseMatch:  # the page is not mounted in this installation
                continue
            if section is not None and link.section != section:
                entries.append(Divider())
            section = link.section
            entries.append(
                ShownLink(
                    label=link.label,
                    url=url,
                    tab_label=link.short_label or link.label,
                    is_current=current in (link.url_name, *link.also_current),
                )
            )
        if not entries:
            continue
        first = entries[0]
        assert isinstance(first, ShownLink)  # noqa: S101 - a divider never comes first
        shown.append(
            ShownMenu(
                key=menu.key,
                label=menu.label,
                icon=menu.icon,
                is_dropdown=menu.is_dropdown,
                is_active=_is_active(menu, request.path)
                or (not menu.is_dropdown and request.path == first.url),
                url=first.url,
                entries=entries,
            )
        )
    return shown
