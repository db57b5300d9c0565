"""Why a benchmark target is missed, in the report's words, from a run's own
figures (docs/benchmarks.md's last sections)."""


def analysis(results):
    """Why a missed target is missed, from this run's own figures."""
    lines = []
    throughput, listing = results.get("throughput"), results.get("listing")
    # A failed run's cause is the refusal the summary names, not the stack.
    if throughput and not throughput["pass"] and not throughput.get("failed_run"):
        lines += throughput_missed(results)
    memory = results.get("memory")
    if memory and not memory.get("pass", True):
        before = results.get("before", {}).get("memory", {})
        before_peak = max(before.get("gunicorn_workers_mib", {"-": "-"}).values())
        peak = max(memory["gunicorn_workers_mib"].values())
        pss = memory.get("gunicorn_workers_pss_mib", {})
        lines += [
            "### Why the memory target is missed",
            "",
            f"A worker's PSS after the throughput run is "
            f"{', '.join(f'{v} MiB' for v in pss.values())} (peak RSS "
            f"{peak} MiB; the code before issue 17 peaked at {before_peak} MiB). "
            "gunicorn preloads the app in its master and freezes its objects "
            "before forking (`gunicorn.conf.py`), so the workers share the "
            "imported code's pages until they write to them; what a worker "
            "holds of its own is what it wrote since. Importing the app in a "
            "fresh process adds, step by step (MiB of RSS):",
            "",
            *(
                f"- {name}: {mib}"
                for name, mib in memory.get("import_footprint_mib", [])
            ),
            "",
        ]
    if listing and not listing["pass"]:
        sql_ms = listing["raw_psycopg_same_sql"]["p50_ms"]
        unprepared_ms = listing.get("raw_psycopg_unprepared", {}).get("p50_ms", "-")
        before_ratio = (
            results.get("before", {})
            .get("listing", {})
            .get("p50_ratio_above_http_floor", "-")
        )
        above_ms = (
            listing["api"]["p50_ms"] - listing["http_floor_health_endpoint"]["p50_ms"]
        )
        lines += [
            "### Why the listing target is missed",
            "",
            f"The page is one statement, {sql_ms} ms replayed through psycopg "
            "(no sequential scan: it walks the partial index on free slots' "
            "start times). psycopg prepares a statement it has run five times, so "
            "that replay skips parsing and planning; the same replay unprepared, "
            "the way Django sends every statement, takes "
            f"{unprepared_ms} ms. A request with no work at all costs "
            f"{listing['http_floor_health_endpoint']['p50_ms']} ms over the same "
            f"HTTP path, and the listing {listing['api']['p50_ms']} ms, so "
            f"{above_ms:.2f} ms above the floor"
            + (
                f" ({above_ms / unprepared_ms:.2f} x the unprepared replay)"
                if isinstance(unprepared_ms, int | float) and unprepared_ms
                else ""
            )
            + ": the unprepared SQL, then Django and DRF (parsing the filters, "
            "the page's links, rendering 20 slots and their times). The "
            "statement's text is built once (apps/availability/bookable_page.py), "
            "so no request builds or compiles an ORM query, and it joins only "
            "what it must, to be cheap to plan. Before issue 17 the page took "
            "three statements (a service look-up, a count, the page) and the "
            f"ratio was {before_ratio}, because the raw side lost the count too. "
            f"Getting under 2.5 x means about {above_ms - 2.5 * sql_ms:.1f} ms "
            "less per request, while parsing and planning the statement (which "
            "the prepared replay skips) take about "
            + (
                f"{unprepared_ms - sql_ms:.2f} ms"
                if isinstance(unprepared_ms, int | float)
                else "-"
            )
            + " of every request. The lever left on the database side is a prepared "
            "statement, and the app prepares none: PgBouncer 1.18 in transaction "
            "mode (the production topology) hands each transaction any server "
            "connection, so a statement prepared on one is missing on the next "
            "(docs/operations.md).",
            "",
        ]
    return lines


def throughput_missed(results):
    """Why the create misses its floor targets, from this run's own figures."""
    levels = results["throughput"]["levels"]
    if not levels or "f2" not in levels[0]:
        return []
    create = results.get("create", {})
    parts = {name.strip(): ms for name, ms, _ in create.get("profile_parts", [])}
    largest = sorted(
        (
            (ms, name)
            for name, ms in parts.items()
            if name
            not in (
                "the whole request",
                "booking_create, in all",
                "waiting on PostgreSQL (all statements)",
            )
        ),
        reverse=True,
    )[:3]
    rows = ", ".join(
        f"{level['clients']} clients: {level['api']['cpu_ms_per_create']} ms "
        f"against F2's {level['f2']['cpu_ms_per_create']} and F1's "
        f"{level['f1']['cpu_ms_per_create']}"
        for level in levels
    )
    return [
        "### Why the throughput target is missed",
        "",
        "Every variant runs on the same two CPUs with the same workers, so "
        "creates/s follow the server's CPU per create: " + rows + ". The "
        "floors run the same transaction through the same ORM, DRF and "
        "middleware; what the API spends beyond F2 is work the project asks "
        "for (section 2a's profile: "
        + (", ".join(f"{name} {ms} ms" for ms, name in largest) or "not run")
        + ", profiled). The guest email rendered in the request, the 201 "
        "through a ModelSerializer, the unpaid-limit aggregate and the phone "
        "parsed again are the levers issue 35 names.",
        "",
    ]
