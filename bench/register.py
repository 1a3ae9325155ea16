# ruff: noqa: T201, S311 - a command-line report; made-up data
"""`make bench`: the member register's performance on 400,000 people (issue 3).

    python -m bench.register [--rebuild] [--runs 50]

On PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/forening_bench; the
database is created and migrated when missing) it builds five associations of 100,000 +
4 × 75,000 people (see bench/dataset.py; an existing build is reused), then measures on
the 100,000-person association and prints a table with the targets:

- search with three filters (active, age 10–20, one group): count + first page; median, p95
- the search page and a member page, rendered through Django's test client as an admin
- import of a generated 10,000-row .xlsx (validated and written, then rolled back)
- export of 10,000 and 100,000 rows to .xlsx and .csv: time and peak memory (the growth of
  the process's peak resident memory during the export; it must not grow with the rows)

A benchmark, not a test: the numbers depend on the machine. Exit status 1 when a row fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/forening_bench"
SEARCH_P95_MS = 50
RENDER_P95_MS = 150
IMPORT_S = 20
EXPORT_S = 20
IMPORT_ROWS = 10_000


@dataclass
class Row:
    what: str
    result: str
    target: str
    ok: bool | None  # None: informational


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the data")
    parser.add_argument("--runs", type=int, default=50, help="runs per timed search")
    parser.add_argument("--render-runs", type=int, default=30, help="runs per page render")
    # Internal: one export in a fresh process (see Measurements.exports).
    parser.add_argument("--export", nargs=2, metavar=("FORMAT", "ROWS"), help=argparse.SUPPRESS)
    parser.add_argument("--organisation", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    url = os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        print("The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    # Static files from the apps and no HTTPS redirects, as in tests; no DEBUG query log.
    os.environ.setdefault("FORENING_TESTING", "1")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forening.settings")
    if args.export:
        import django

        django.setup()
        fmt, count = args.export
        print(json.dumps(export_once(args.organisation, fmt, int(count))))
        return 0
    prepare_database(url, drop=args.rebuild)

    import django

    django.setup()
    from django.core.management import call_command

    print(f"Database: {redact(url)}")
    call_command("migrate", verbosity=0, interactive=False)

    from bench import dataset

    started = time.perf_counter()
    have = dataset.existing()
    if len(have) == len(dataset.SIZES):
        print(f"Reusing the build: {sum(have.values()):,} people in {len(have)} associations.")
    else:
        print("Building the register (once; later runs reuse it) …")
    organisations = dataset.build()
    if len(have) < len(dataset.SIZES):
        print(f"Built in {time.perf_counter() - started:.0f} s.")

    rows = Measurements(organisations[0], args).run()
    print_table(rows)
    return 0 if all(row.ok is not False for row in rows) else 1


def redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def prepare_database(url: str, *, drop: bool) -> None:
    """Create the benchmark database when it does not exist (dropping it first with
    --rebuild), connecting to the server's `postgres` database."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    name = config["NAME"]
    params = {
        "dbname": "postgres",
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and drop:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


# --- measuring -----------------------------------------------------------------------------


def timed(fn: Callable[[], Any], runs: int, *, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def latency_row(what: str, times: list[float], limit_ms: float) -> Row:
    median, high = statistics.median(times), p95(times)
    return Row(
        what,
        f"median {median:.1f} ms, p95 {high:.1f} ms ({len(times)} runs)",
        f"p95 < {limit_ms:.0f} ms",
        high < limit_ms,
    )


class PeakMemory:
    """The growth of the process's peak resident memory while the block runs (Linux:
    the peak is reset through /proc/self/clear_refs); elsewhere tracemalloc's peak."""

    def __enter__(self) -> PeakMemory:
        self.linux = self._reset()
        if self.linux:
            self.start = self._status("VmRSS")
        else:
            tracemalloc.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.linux:
            self.peak_kib = self._status("VmHWM") - self.start
        else:
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            self.peak_kib = peak // 1024

    @property
    def mib(self) -> float:
        return self.peak_kib / 1024

    @staticmethod
    def _reset() -> bool:
        try:
            Path("/proc/self/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    @staticmethod
    def _status(field: str) -> int:
        text = Path("/proc/self/status").read_text()
        match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
        return int(match[1]) if match else 0


class Measurements:
    def __init__(self, organisation: Any, args: argparse.Namespace) -> None:
        self.organisation = organisation
        self.args = args

    def run(self) -> list[Row]:
        from django_scopes import scope

        rows: list[Row] = []
        with scope(organisation=self.organisation.pk):
            self.prepare()
            for step in (self.search, self.free_text, self.renders, self.imports, self.exports):
                print(f"  measuring {step.__name__.replace('_', ' ')} …", flush=True)
                rows += step()
        return rows

    def prepare(self) -> None:
        from django.db.models import Count, Q
        from django.utils import timezone

        from forening.core.models import Group, MemberStatus, Person, Role, RoleAssignment

        org = self.organisation
        # The ten teams with the most 10–20-year-olds: what a leader or the office looks for.
        today = timezone.localdate()
        youth = Q(
            memberships__person__birth_date__gt=today - dt.timedelta(days=round(21 * 365.25)),
            memberships__person__birth_date__lte=today - dt.timedelta(days=round(10 * 365.25)),
        )
        self.groups = list(
            Group.objects.filter(organisation=org)
            .annotate(n=Count("memberships", filter=youth))
            .order_by("-n", "pk")
            .values_list("pk", flat=True)[:10]
        )
        self.admin = RoleAssignment.objects.filter(organisation=org, role=Role.ADMIN).first().user
        # A member with much on the page: household, groups, tags, custom fields, consents.
        self.person = (
            Person.objects.filter(
                organisation=org,
                status=MemberStatus.ACTIVE,
                household__isnull=False,
                group_memberships__isnull=False,
                taggings__isnull=False,
                attribute_values__isnull=False,
                consents__isnull=False,
            )
            .exclude(identity_number_index="")
            .order_by("pk")
            .first()
        )

    def search(self) -> list[Row]:
        from forening.members import search as engine

        org, groups = self.organisation, self.groups
        runs = iter(range(10**9))
        found: list[int] = []

        def one() -> None:
            group = groups[next(runs) % len(groups)]
            params = {
                "status": ["active"],
                "age_min": ["10"],
                "age_max": ["20"],
                "group": [str(group)],
            }
            people = engine.search_people(org, params)
            found.append(people.count())
            list(people[: engine.PAGE_SIZE])

        times = timed(one, self.args.runs)
        row = latency_row(
            "Search: active + age 10–20 + group (count + first page)", times, SEARCH_P95_MS
        )
        row.result += f", {statistics.median(found):.0f} found"
        return [row]

    def free_text(self) -> list[Row]:
        from forening.core.models import Person
        from forening.members import search as engine

        org = self.organisation
        names = list(
            Person.objects.filter(organisation=org)
            .order_by("pk")
            .values_list("last_name", "first_name")[:50]
        )
        runs = iter(range(10**9))

        def one() -> None:
            last, first = names[next(runs) % len(names)]
            people = engine.search_people(org, {"q": [f"{first} {last}"]})
            people.count()
            list(people[: engine.PAGE_SIZE])

        times = timed(one, self.args.runs)
        row = latency_row(
            'Search: free text "first last" (count + first page)', times, SEARCH_P95_MS
        )
        return [row]

    def renders(self) -> list[Row]:
        from django.test import Client
        from django.urls import reverse

        org = self.organisation
        client = Client()
        client.force_login(self.admin)
        search_url = reverse("org:members", args=[org.slug])
        member_url = reverse(
            "org:member", kwargs={"org_slug": org.slug, "person_id": self.person.pk}
        )

        def get(url: str) -> Callable[[], None]:
            def one() -> None:
                response = client.get(url)
                if response.status_code != 200:
                    raise RuntimeError(f"GET {url} gave {response.status_code}")

            return one

        runs = self.args.render_runs
        return [
            latency_row(
                "Render: search page, first page (admin)",
                timed(get(search_url), runs),
                RENDER_P95_MS,
            ),
            latency_row("Render: member page (admin)", timed(get(member_url), runs), RENDER_P95_MS),
        ]

    def imports(self) -> list[Row]:
        from django.db import transaction

        from forening.core.context import Actor
        from forening.members import importing

        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "medlemmar.xlsx"
            write_import_file(path, IMPORT_ROWS)
            started = time.perf_counter()
            with transaction.atomic():
                report = importing.import_members(
                    self.organisation,
                    path,
                    filename=path.name,
                    actor=Actor.system("bench"),
                )
                elapsed = time.perf_counter() - started
                transaction.set_rollback(True)
        errors = len(report.errors)
        ok = elapsed < IMPORT_S and errors == 0 and report.created == IMPORT_ROWS
        return [
            Row(
                f"Import: {IMPORT_ROWS:,}-row .xlsx (validate + write, rolled back)",
                f"{elapsed:.1f} s, {report.created:,} created, {errors} errors",
                f"< {IMPORT_S} s",
                ok,
            )
        ]

    def exports(self) -> list[Row]:
        """Each export runs in a fresh Python process, so its peak memory is its own and
        not hidden in memory the earlier steps left behind."""
        from bench.dataset import SIZES

        counts = (min(10_000, SIZES[0] // 2), SIZES[0])
        rows: list[Row] = []
        for fmt in ("xlsx", "csv"):
            peaks = []
            for count in counts:
                result = export_in_child(self.organisation.pk, fmt, count)
                peaks.append(result["peak_mib"])
                rows.append(
                    Row(
                        f"Export: {result['rows']:,} rows to .{fmt} ({result['columns']} columns)",
                        f"{result['seconds']:.1f} s, peak +{result['peak_mib']:.0f} MiB "
                        f"({result['memory']}), file {result['file_mb']:.0f} MB",
                        f"< {EXPORT_S} s",
                        result["seconds"] < EXPORT_S if count == counts[1] else None,
                    )
                )
            rows.append(
                Row(
                    f"Export .{fmt}: peak memory, {counts[0]:,} vs {counts[1]:,} rows",
                    f"+{peaks[0]:.0f} MiB vs +{peaks[1]:.0f} MiB",
                    "no growth with rows",
                    peaks[1] <= 1.5 * peaks[0] + 16,
                )
            )
        return rows


def export_in_child(organisation_id: int, fmt: str, count: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.register", "--export", fmt, str(count)]
    command += ["--organisation", str(organisation_id)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"export {fmt} {count} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def export_once(organisation_id: int, fmt: str, count: int) -> dict[str, Any]:
    """Export the first `count` people (by id; all statuses) of the association with the
    usual columns plus groups, tags, consents and every custom field; in the child."""
    from django_scopes import scope

    from forening.core.context import Actor
    from forening.core.models import Organisation, Person
    from forening.members import exporting
    from forening.members import search as engine

    org = Organisation.objects.get(pk=organisation_id)
    with scope(organisation=org.pk), tempfile.TemporaryDirectory() as directory:
        columns = [*exporting.DEFAULT_COLUMNS, "identity_number_masked", "household"]
        columns += ["groups", "tags", "consents"]
        columns += [f"attr_{pk}" for pk in org_attribute_ids(org)]
        people = engine.search_people(org, {"status": ["all"]})
        ids = Person.objects.filter(organisation=org).order_by("pk").values_list("pk", flat=True)
        last = ids[count - 1]
        people = people.filter(pk__lte=last)
        path = Path(directory) / f"export.{fmt}"
        with path.open("wb") as out, PeakMemory() as memory:
            started = time.perf_counter()
            written = exporting.write_export(
                people,
                organisation=org,
                columns=columns,
                fmt=fmt,
                out=out,
                actor=Actor.system("bench"),
            )
            seconds = time.perf_counter() - started
        return {
            "rows": written,
            "columns": len(columns),
            "seconds": seconds,
            "peak_mib": memory.mib,
            "memory": "peak RSS" if memory.linux else "tracemalloc",
            "file_mb": path.stat().st_size / 1024 / 1024,
        }


def org_attribute_ids(organisation: Any) -> list[int]:
    from forening.members.models import AttributeDefinition

    return list(
        AttributeDefinition.objects.filter(organisation=organisation)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def write_import_file(path: Path, count: int) -> None:
    """A realistic export from another system: Swedish headers, 12-digit personnummer
    (birth numbers 900–999, which the built register does not use), households by address."""
    import random

    import openpyxl
    from django.utils import timezone
    from stdnum import luhn

    from bench.dataset import FIRST_FEMALE, FIRST_MALE, LAST, STREETS, TOWNS

    rng = random.Random(7)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Medlemmar")
    sheet.append(
        [
            "Förnamn",
            "Efternamn",
            "Personnummer",
            "E-post",
            "Mobil",
            "Gatuadress",
            "Postnummer",
            "Ort",
            "Medlem sedan",
        ]
    )
    today = timezone.localdate()
    used: set[str] = set()
    written = 0
    while written < count:
        town, prefix = rng.choice(TOWNS)
        street = f"{rng.choice(STREETS)} {rng.randint(1, 120)}"
        postal = f"{prefix}{rng.randrange(100):02d}"
        family = rng.choice(LAST)
        for _ in range(min(rng.choice((1, 1, 2, 3, 4)), count - written)):
            male = rng.random() < 0.5
            first = rng.choice(FIRST_MALE if male else FIRST_FEMALE)
            born = dt.date(rng.randint(1945, today.year - 5), 1, 1) + dt.timedelta(
                days=rng.randrange(365)
            )
            while True:
                serial = f"9{rng.randrange(10)}{rng.choice('13579' if male else '02468')}"
                short = f"{born:%y%m%d}{serial}"
                number = f"{born:%Y%m%d}{serial}{luhn.calc_check_digit(short)}"
                if number not in used:
                    used.add(number)
                    break
            email = f"{first}.{family}.{written}@example.org".lower().translate(
                str.maketrans("åäöé", "aaoe")
            )
            sheet.append(
                [
                    first,
                    family,
                    number,
                    email,
                    f"07{rng.choice('0236')}-{rng.randrange(10**7):07d}",
                    street,
                    postal,
                    town,
                    today - dt.timedelta(days=rng.randrange(3000)),
                ]
            )
            written += 1
    workbook.save(path)


def print_table(rows: list[Row]) -> None:
    widths = [
        max(len(r.what) for r in rows),
        max(len(r.result) for r in rows),
        max(len(r.target) for r in rows),
    ]
    header = ("Measurement", "Result", "Target", "")
    line = "  ".join("-" * w for w in widths) + "  ----"
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=False)) + "  ")
    print(line)
    for row in rows:
        verdict = "" if row.ok is None else ("PASS" if row.ok else "FAIL")
        cells = (row.what, row.result, row.target)
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)), verdict)


if __name__ == "__main__":
    sys.exit(main())
