"""Why a benchmark target is missed, in the report's words, from a run's own
figures (docs/benchmarks.md's last sections)."""


def analysis(results):
    """Why a missed target is missed, from this run's own figures."""
    lines = []
    throughput, listing = results.get("throughput"), results.get("listing")
    # A failed run's cause is the refusal the summary names, not the stack.
    if throughput and not throughput["pass"] and not throughput.get("failed_run"):
        rates = [level["api"]["creates_per_second"] for level in throughput["levels"]]
        create = results.get("create", {})
        parts = {name.strip(): ms for name, ms, _ in create.get("profile_parts", [])}
        whole = parts.get("the whole request", 0)
        waiting = parts.get("waiting on PostgreSQL (all statements)", 0)
        statements = create.get("with key", {}).get("statements", "-")
        largest = max(
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
            default=(0, "-"),
        )
        before = results.get("before", {})
        before_statements = (
            before.get("create", {}).get("with key", {}).get("statements", "-")
        )
        before_rates = [
            level["api"]["creates_per_second"]
            for level in before.get("throughput", {}).get("levels", [])
        ]
        gain = f"{sum(rates) / sum(before_rates) - 1:+.0%}" if before_rates else "-"
        lines += [
            "### Why the throughput target is missed",
            "",
            f"API creates/s hardly change from 8 to 64 clients ({rates}): the "
            "server is saturated, and its bound is the two CPUs, which gunicorn, "
            "PostgreSQL and the load generator share. Raw psycopg spends about "
            "one round trip per statement and nothing else: 4 statements, no "
            "Python to speak of. A keyed create through the API runs "
            f"{statements} statements, and the profile above (section 2a) puts "
            f"{waiting} of its {whole} profiled ms on waiting for PostgreSQL; "
            "the rest is Python, spread over the parts listed there. The "
            f"largest single part is {largest[1]} ({largest[0]} ms), and what "
            "is left in each is Django's and DRF's own machinery (ORM query "
            "compilation, model instances, serializer fields, middleware), not "
            "a query or a loop of ours. Issue 17 took a keyed create from "
            f"{before_statements} statements to {statements} and replaced the "
            "throttle's growing pickled history with one counter row; creates/s "
            f"changed by {gain} over the three levels (the before/after table). "
            "A quarter of raw would need about three times less CPU per create, "
            "which means leaving the ORM and DRF on the write path and with "
            "them the single domain layer the design rests on. The ratio is a "
            "property of the stack; more CPUs scale the workers (see gunicorn "
            "workers).",
            "",
        ]
    memory = results.get("memory")
    if memory and not memory.get("pass", True):
        before = results.get("before", {}).get("memory", {})
        before_peak = max(before.get("gunicorn_workers_mib", {"-": "-"}).values())
        peak = max(memory["gunicorn_workers_mib"].values())
        lines += [
            "### Why the memory target is missed",
            "",
            f"The peak RSS of a worker is {peak} MiB after the throughput run; the "
            f"code before issue 17, measured the same way, peaked at {before_peak} "
            "MiB. Nearly all of it is there before the first request; importing "
            "the app in a fresh process adds, step by step (MiB of RSS):",
            "",
            *(
                f"- {name}: {mib}"
                for name, mib in memory.get("import_footprint_mib", [])
            ),
            "",
            "RSS counts the shared libraries in every worker; PSS, a worker's "
            "own pages plus its share of the shared ones, was "
            + ", ".join(
                f"{v} MiB" for v in memory.get("gunicorn_workers_pss_mib", {}).values()
            )
            + ". Issue 17's changes add no import to a worker (the Redis client "
            "is imported only when `REDIS_URL` is set).",
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
            "that replay skips planning; the same replay unprepared, the way "
            "Django sends every statement, takes "
            f"{unprepared_ms} ms. A request with no work at all costs "
            f"{listing['http_floor_health_endpoint']['p50_ms']} ms over the same "
            f"HTTP path, and the listing {listing['api']['p50_ms']} ms, so "
            f"{above_ms:.2f} ms above the floor: the unprepared SQL, then Django "
            "and DRF (building the query, parsing the filters, rendering 20 "
            "slots and their times). Before issue 17 the page took three "
            "statements (a service look-up, a count, the page) and the ratio "
            f"was {before_ratio}, because the raw side lost the count too: the "
            "request got faster, not relatively cheaper. Getting under 2.5 x "
            f"means about {above_ms - 2.5 * sql_ms:.1f} ms less per request. The "
            "nearest lever is letting psycopg prepare Django's statements (the "
            "database option `server_side_binding`). It is off: it does not "
            "work behind PgBouncer's transaction pooling, and measured "
            "in-process it slowed a create without a key by about as much as it "
            "saved on this page. The rest is Django's and DRF's own machinery "
            "(building the query, the filters, the page), short of writing the "
            "page's SQL and rendering by hand beside the ORM.",
            "",
        ]
    return lines
