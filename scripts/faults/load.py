"""The clients of the fault matrix: threads that book under load as docs/api.md
tells a client to, and what they saw.

Every client books distinct slots, one `Idempotency-Key` per submission (with
a guest of its own from `harness.guest`, so a booking maps back to its key),
and retries the same key on a network error, a 5xx or 409
`request_in_progress`, waiting `Retry-After` (1 s, then doubling to 4 s, on a
network error). A client gives up on a submission after GIVE_UP_SECONDS of
retrying.
"""

import http.client
import itertools
import json
import threading
import time
import uuid
from collections import Counter

from harness import answer_kind, guest, percentile

GIVE_UP_SECONDS = 30
RETRIED_CONFLICT = "409 request_in_progress"


class Load:
    """`clients` threads booking distinct slots, retrying as docs/api.md says."""

    def __init__(self, api, service_id, slot_ids, clients, tag):
        self.api, self.service_id, self.tag = api, service_id, tag
        self.slots = iter(slot_ids)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.attempts = []  # (started, finished, kind)
        self.told = {}  # key -> booking id the client was given
        self.final = Counter()  # submissions by how they ended
        self.threads = [
            threading.Thread(target=self._client, args=(i,), daemon=True)
            for i in range(clients)
        ]

    def start(self):
        self.started = time.monotonic()
        for thread in self.threads:
            thread.start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(GIVE_UP_SECONDS + 60)
        self.finished = time.monotonic()

    def _client(self, index):
        number = 0
        while not self.stop.is_set():
            with self.lock:
                slot_id = next(self.slots, None)
            if slot_id is None:
                return
            number += 1
            self._submit(slot_id, f"{self.tag}-{index}-{number}")

    def _submit(self, slot_id, name):
        key = str(uuid.uuid4())
        payload = guest(self.service_id, slot_id, name)
        give_up_at = time.monotonic() + GIVE_UP_SECONDS
        network_wait = 1.0
        while True:
            started = time.monotonic()
            try:
                status, headers, body, _ = self.api.send(
                    "POST", "/api/bookings/", payload, {"Idempotency-Key": key}
                )
                kind = answer_kind(status, body)
            except (OSError, http.client.HTTPException) as error:
                status, headers = None, {}
                kind = f"network: {type(error).__name__}"
            with self.lock:
                self.attempts.append((started, time.monotonic(), kind))
            if status == 201:
                with self.lock:
                    self.told[key] = json.loads(body)["id"]
                    self.final["booked"] += 1
                return
            retriable = status is None or status >= 500 or kind == RETRIED_CONFLICT
            if not retriable:
                with self.lock:
                    self.final[f"refused: {kind}"] += 1
                return
            if time.monotonic() > give_up_at:
                with self.lock:
                    self.final["gave up"] += 1
                return
            if "Retry-After" in headers:
                time.sleep(float(headers["Retry-After"]))
            else:
                time.sleep(network_wait)
                network_wait = min(network_wait * 2, 4.0)

    def figures(self, windows):
        """What the clients saw; `windows` are the faults' (start, end) times."""
        kinds = Counter(kind for _, _, kind in self.attempts)
        successes = sorted(f for _, f, kind in self.attempts if kind == "201")
        latencies = [f - s for s, f, kind in self.attempts if kind == "201"]
        recovery = []
        for _, end in windows:
            after = [t for t in successes if t >= end]
            recovery.append(round(after[0] - end, 2) if after else None)
        gaps = [b - a for a, b in itertools.pairwise(successes)]
        errors = sorted(kind for kind in kinds if kind != "201")
        return {
            "seconds": round(self.finished - self.started, 1),
            "requests": len(self.attempts),
            "submissions": self.final.total(),
            "booked": self.final["booked"],
            "per_second": round(len(successes) / (self.finished - self.started), 1),
            "p50_ms": round(percentile(latencies, 50) * 1000) if latencies else None,
            "p99_ms": round(percentile(latencies, 99) * 1000) if latencies else None,
            "errors": {kind: kinds[kind] for kind in errors},
            # When each kind of error was seen (seconds into the scenario).
            "errors_between_s": {kind: self._seen_between(kind) for kind in errors},
            "status_500": sum(v for k, v in kinds.items() if k.startswith("500")),
            "gave_up": self.final["gave up"],
            "refused": {k: v for k, v in self.final.items() if k.startswith("refused")},
            "fault_windows_s": [round(end - start, 2) for start, end in windows],
            "recovery_s": recovery,
            "longest_gap_s": round(max(gaps), 2) if gaps else None,
        }

    def _seen_between(self, kind):
        seen = [(s, f) for s, f, k in self.attempts if k == kind]
        return [
            round(min(s for s, _ in seen) - self.started, 1),
            round(max(f for _, f in seen) - self.started, 1),
        ]
