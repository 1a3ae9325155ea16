"""Panels that apps add to a page another app owns: the extension point of the member page
and the invoice page.

A page that shows several apps' data (the member page shows invoices, later courses,
attendance and cards) asks this registry instead of importing those apps, so the layers
stay one-way (see docs/architecture.md). An app registers its panels in its
`AppConfig.ready()`:

    panels.register(
        panels.Panel(
            page="member",
            name="billing",
            template="billing/_member_panel.html",
            context=member_panel,
            order=30,
        )
    )

The contract of `context(request, obj, **state)`:

- it receives the `OrganisationRequest` (its `organisation` and `access`), the page's
  object (a `Person` on "member", an `Invoice` on "invoice") and the keyword arguments
  the page passes on (the state of a failed POST, such as a bound form under the name the
  panel chose; a panel ignores what it does not know);
- it returns the panel's template context, or `None` to leave the panel out, which is
  what it must do when the user may not see it (ask `core.policy`, never assume);
- it only reads: no writes, no messages, no redirects, nothing enqueued; and it runs a
  fixed number of queries whatever the data, because the page has a query ceiling.

The page renders each shown panel's template with the panel's context as `panel`, inside
the page's own context (so `request`, `csrf_token` and `current_organisation` are there).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PanelContext = Callable[..., dict[str, Any] | None]


@dataclass(frozen=True)
class Panel:
    page: str  # the page that shows it: "member", "invoice"
    name: str  # unique on its page; also the key of the state the page passes on
    template: str
    context: PanelContext
    order: int = 100  # smaller first


@dataclass(frozen=True)
class ShownPanel:
    name: str
    template: str
    context: dict[str, Any]


_panels: dict[tuple[str, str], Panel] = {}


def register(panel: Panel) -> None:
    """Add a panel to its page (apps call this once, from `ready()`)."""
    key = (panel.page, panel.name)
    if key in _panels:
        raise ValueError(f"panel {panel.name!r} registered twice on page {panel.page!r}")
    _panels[key] = panel


def unregister(page: str, name: str) -> Panel:
    """Take a panel off its page again and return it (for tests of the page without it)."""
    return _panels.pop((page, name))


def for_page(page: str) -> list[Panel]:
    """The panels registered on `page`, in their order."""
    return sorted(
        (panel for panel in _panels.values() if panel.page == page),
        key=lambda panel: (panel.order, panel.name),
    )


def collect(page: str, request: Any, obj: Any, **state: Any) -> list[ShownPanel]:
    """The panels of `page` that want to be shown for `obj`, with their contexts."""
    shown = []
    for panel in for_page(page):
        context = panel.context(request, obj, **state)
        if context is not None:
            shown.append(ShownPanel(panel.name, panel.template, context))
    return shown
