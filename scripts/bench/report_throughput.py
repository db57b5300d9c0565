"""docs/benchmarks.md's throughput parts: the summary row, section 2c with
the floors, and the before/after table of a run that served BENCH_BEFORE_REF."""

from harness import MAX_4XX_SHARE

VARIANTS = (
    ("api", "API, own addresses"),
    ("api_one_address", "API, one address"),
    ("f2", "F2 (DRF)"),
    ("f1", "F1 (Django)"),
    ("before", "before"),
    ("raw_psycopg", "raw psycopg"),
)


def _share(level, name):
    """'0.81 (0.78-0.84)': a median share over the rounds and its range."""
    value = level.get(f"api_share_of_{name}")
    if value is None:
        return "-"
    low, high = level.get(f"api_share_of_{name}_spread") or (value, value)
    return f"{value:.2f} ({low:.2f}-{high:.2f})"


def summary_row(throughput, refusal, verdict):
    """The summary table's row: the shares of F2 and F1, or of raw (old runs)."""
    levels = throughput["levels"]
    if levels and "api_share_of_f2" in levels[0]:
        shares = "; ".join(
            f"{level['clients']}: {_share(level, 'f2')} x F2, "
            f"{_share(level, 'f1')} x F1, CPU {_cpu(level)} x F2"
            for level in levels
        )
        result = refusal(throughput) or f"API by clients (median, range): {shares}"
        target = ">= 0.8 x F2, >= 0.6 x F1 at 8 and 32 clients; CPU <= 1.25 x F2"
    else:
        shares = ", ".join(
            f"{level['clients']}: {level['api_share_of_raw']:.0%}" for level in levels
        )
        result = refusal(throughput) or f"API share of raw by clients: {shares}"
        target = ">= 25% of raw"
    return f"| 2c. throughput | {result} | {target} | {verdict(throughput)} |"


def details(throughput, refusal):
    lines = ["### 2c. Booking throughput over distinct free slots", ""]
    if refusal(throughput):
        return [
            *lines,
            f"{refusal(throughput)}. The rate of a refused load is no figure: "
            "none is given.",
            "",
        ]
    levels = throughput["levels"]
    shown = [(key, title) for key, title in VARIANTS if levels and key in levels[0]]
    lines += [
        f"{throughput.get('rounds', 1)} rounds; in each, every level, and within "
        "a level every variant in an order rotated by round and level. Creates/s "
        "(committed bookings) are medians over the rounds; a share is the median "
        "of the per-round ratios, with their range in brackets.",
        "",
        "| clients | " + " | ".join(title for _, title in shown) + " | API / F2 | "
        "API / F1 | API / raw | API, one address / own |",
        "| --- | " + " | ".join("---" for _ in shown) + " | --- | --- | --- | --- |",
    ]
    for level in levels:
        rates = " | ".join(str(level[key]["creates_per_second"]) for key, _ in shown)
        one = level.get("api_share_of_api_one_address")
        lines.append(
            f"| {level['clients']} | {rates} | {_share(level, 'f2')} | "
            f"{_share(level, 'f1')} | {_share(level, 'raw')} | "
            f"{f'{1 / one:.2f}' if one else '-'} |"
        )
    served = [(key, title) for key, title in shown if key != "raw_psycopg"]
    lines += [
        "",
        "Server CPU per create (ms; the gunicorn workers' user and system time "
        "over the level, including workers recycled meanwhile) and latency "
        "(p50 / p99 ms over all rounds):",
        "",
        "| clients | "
        + " | ".join(f"{title} CPU" for _, title in served)
        + " | API CPU / F2 | "
        + " | ".join(f"{title} p50 / p99" for _, title in shown)
        + " |",
        "| --- | "
        + " | ".join("---" for _ in served)
        + " | --- | "
        + " | ".join("---" for _ in shown)
        + " |",
    ]
    for level in levels:
        cpu = " | ".join(str(level[key].get("cpu_ms_per_create")) for key, _ in served)
        latency = " | ".join(
            f"{level[key]['p50_ms']} / {level[key]['p99_ms']}" for key, _ in shown
        )
        lines.append(f"| {level['clients']} | {cpu} | {_cpu(level)} | {latency} |")
    if any("api_db_cpu_share_of_f2" in level for level in levels):
        lines += [
            "",
            "Database CPU per create (ms; every PostgreSQL process's user and "
            "system time over the level, so on a quiet machine what the "
            "variant's statements cost the server: planning, execution, "
            "commits):",
            "",
            "| clients | "
            + " | ".join(f"{title} DB CPU" for _, title in served)
            + " | API DB CPU / F2 |",
            "| --- | " + " | ".join("---" for _ in served) + " | --- |",
        ]
        for level in levels:
            db_cpu = " | ".join(
                str(level[key].get("db_cpu_ms_per_create")) for key, _ in served
            )
            ratio = _cpu(level, "api_db_cpu_share_of_f2")
            lines.append(f"| {level['clients']} | {db_cpu} | {ratio} |")
    lines += [
        "",
        "F1 and F2 are the framework's floors (`scripts/bench/floors`): the "
        "same transaction as raw psycopg (lock the slot with its staff member, "
        "check it, insert the booking and its audit event, flag the slot, "
        "answer 201 JSON) through the ORM on the project's tables and models, "
        "served by gunicorn with the same `gunicorn.conf.py`; F1 is a plain "
        "Django view without middleware, F2 a DRF APIView with a serializer in "
        "and one out, behind the project's middleware and REST_FRAMEWORK "
        "settings. 'Own addresses': each client sends its own address in "
        "X-Forwarded-For, which the server reads with DJANGO_NUM_PROXIES=1 as "
        "production does behind its proxy; 'one address': every client sends "
        "the same one, so they share its per-client lock and throttle row. The "
        "per-client limits are lifted for the run (a client books hundreds of "
        f"slots). A run with no booking committed, or more than {MAX_4XX_SHARE:.0%}"
        " of creates refused (4xx), is a failed run and shows no rate.",
        "",
    ]
    return lines


def before_and_after(results):
    """The project at BENCH_BEFORE_REF beside this checkout, in the same run."""
    levels = results.get("throughput", {}).get("levels", [])
    before_memory = results.get("memory", {}).get("before")
    if not levels or "before" not in levels[0]:
        return []
    memory = results["memory"]
    rows = []
    for level in levels:
        clients = level["clients"]
        rows += [
            (
                f"creates/s at {clients} clients (own addresses)",
                level["before"]["creates_per_second"],
                f"{level['api']['creates_per_second']} "
                f"({_share(level, 'before')} x before)",
            ),
            (
                f"share of F2 at {clients} clients",
                _ratio(level["before"], level.get("f2")),
                _share(level, "f2"),
            ),
            (
                f"server CPU ms per create at {clients} clients",
                level["before"].get("cpu_ms_per_create"),
                level["api"].get("cpu_ms_per_create"),
            ),
        ]
    if before_memory:
        rows += [
            (
                "worker PSS after the throughput run, MiB",
                _values(before_memory["gunicorn_workers_pss_mib"]),
                _values(memory["gunicorn_workers_pss_mib"]),
            ),
            (
                "worker peak RSS, MiB",
                _values(before_memory["gunicorn_workers_mib"]),
                _values(memory["gunicorn_workers_mib"]),
            ),
        ]
    ref = (before_memory or {}).get("ref") or "BENCH_BEFORE_REF"
    return [
        f"### Before and after: {ref} and this checkout, in the same run",
        "",
        f"`BENCH_BEFORE_REF={ref}` served that commit's code from a git "
        "worktree (its own `gunicorn.conf.py`, on a database its own migrations "
        "made), as one more variant of the throughput benchmark's rotated "
        "rounds; its workers' memory was read at the same moment as this "
        "checkout's.",
        "",
        "| figure | before | after |",
        "| --- | --- | --- |",
        *(f"| {name} | {old} | {new} |" for name, old, new in rows),
        "",
    ]


def _cpu(level, key="api_cpu_share_of_f2"):
    """The API's server (or database) CPU per create over F2's: median (range)."""
    ratio = level.get(key)
    if ratio is None:
        return "-"
    low, high = level.get(f"{key}_spread") or (ratio, ratio)
    return f"{ratio:.2f} ({low:.2f}-{high:.2f})"


def _ratio(variant, floor):
    if not floor or not floor.get("creates_per_second"):
        return "-"
    return f"{variant['creates_per_second'] / floor['creates_per_second']:.2f}"


def _values(per_worker):
    return ", ".join(str(value) for value in per_worker.values()) or "-"
