"""Schedules: `services.<name>.schedules[i]` run on a cron expression or every interval, once per
cluster however many workers run them.

Every worker computes the same slots (cron times, or multiples of the interval since the Unix
epoch, in UTC) and, when one is due, tries to claim it with a row in `hyp_schedule_runs` in the
project's database (primary key: schedule and slot). Exactly one insert succeeds, and only that
worker runs the slot. A slot that passed while no worker was running is not run afterwards (missed
runs are skipped); a run still going when the next slot comes does not delay that slot.
"""

from __future__ import annotations

import asyncio
import datetime
import math
import os
import socket
import time

from hypnoscript.services.events.consumer import ScheduleInfo
from hypnoscript.services.handlers import TIMED_OUT, Job

RUNS = "hyp_schedule_runs"
_DDL = (f"CREATE TABLE IF NOT EXISTS {RUNS} (schedule VARCHAR(200) NOT NULL, slot VARCHAR(40) NOT NULL, "
        "worker VARCHAR(200) NOT NULL, started_at DOUBLE PRECISION NOT NULL, finished_at DOUBLE PRECISION, "
        "outcome VARCHAR(16), error TEXT, PRIMARY KEY (schedule, slot))")
KEEP_DAYS = 7


def next_slot(spec, after: float) -> float:
    """The first slot of `spec` strictly after the time `after` (seconds since the epoch)."""
    if spec.interval is not None:
        return (math.floor(after / spec.interval) + 1) * spec.interval
    from croniter import croniter

    start = datetime.datetime.fromtimestamp(after, datetime.timezone.utc)
    return croniter(spec.cron, start).get_next(float)


def slot_text(slot: float) -> str:
    return datetime.datetime.fromtimestamp(slot, datetime.timezone.utc).isoformat(timespec="milliseconds")


class Claims:
    """Slots claimed through the project's database."""

    def __init__(self, database) -> None:
        self.database = database
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        with database.engine.begin() as conn:
            conn.exec_driver_sql(_DDL)

    def claim(self, schedule: str, slot: str) -> bool:
        import sqlalchemy

        try:
            with self.database.engine.begin() as conn:
                conn.execute(sqlalchemy.text(f"INSERT INTO {RUNS} (schedule, slot, worker, started_at) "
                                             "VALUES (:schedule, :slot, :worker, :now)"),
                             {"schedule": schedule, "slot": slot, "worker": self.worker, "now": time.time()})
            return True
        except sqlalchemy.exc.IntegrityError:
            return False

    def finish(self, schedule: str, slot: str, outcome: str, error: str | None) -> None:
        import sqlalchemy

        with self.database.engine.begin() as conn:
            conn.execute(sqlalchemy.text(f"UPDATE {RUNS} SET finished_at = :now, outcome = :outcome, error = :error "
                                         "WHERE schedule = :schedule AND slot = :slot"),
                         {"now": time.time(), "outcome": outcome, "error": error, "schedule": schedule,
                          "slot": slot})
            conn.execute(sqlalchemy.text(f"DELETE FROM {RUNS} WHERE started_at < :old"),
                         {"old": time.time() - KEEP_DAYS * 86400})


class Scheduler:
    """Runs one schedule's slots (the claim, then the handler on the handler threads)."""

    def __init__(self, spec, call, claims: Claims, pool, metrics, logs) -> None:
        self.spec = spec
        self.call = call
        self.claims = claims
        self.pool = pool
        self.metrics = metrics
        self.logs = logs
        self.stopping = asyncio.Event()
        self.running: set[asyncio.Task] = set()

    async def run(self) -> None:
        slot = next_slot(self.spec, time.time())
        while not self.stopping.is_set():
            try:
                await asyncio.wait_for(self.stopping.wait(), max(0.0, slot - time.time()))
                return
            except asyncio.TimeoutError:
                pass
            if time.time() < slot:
                continue  # the loop's timer woke a little early (its clock is not the wall clock)
            task = asyncio.create_task(self._fire(slot))
            self.running.add(task)
            task.add_done_callback(self.running.discard)
            slot = next_slot(self.spec, max(slot, time.time()))

    async def _fire(self, slot: float) -> None:
        spec = self.spec
        name, when = spec.name, slot_text(slot)
        try:
            claimed = await asyncio.to_thread(self.claims.claim, name, when)
        except Exception as error:  # noqa: BLE001 - the database is away: this slot is lost, say so
            self.logs.event("error", "schedule claim failed", schedule=name, slot=when, error=str(error))
            return
        if not claimed:
            self.metrics.schedule_run(name, "skipped")
            return
        info = ScheduleInfo(spec.service, name, when)
        job = Job(self.call, (None, info, None), self.pool.loop().create_future(), spec.timeout)
        started = time.perf_counter()
        self.pool.submit(job)
        report = await job.future
        if report is TIMED_OUT:
            report = {"error": f"the handler did not finish within {spec.timeout:g} s"}
        outcome = "ok" if report is None else "error"
        self.metrics.schedule_run(name, outcome)
        duration = round((time.perf_counter() - started) * 1000, 3)
        if report is None:
            self.logs.event("info", "schedule ran", **info.ids(), duration_ms=duration)
        else:
            self.logs.event("error", "schedule failed", **info.ids(), **report, duration_ms=duration)
        try:
            await asyncio.to_thread(self.claims.finish, name, when, outcome, None if report is None else report["error"])
        except Exception as error:  # noqa: BLE001 - the run happened; only its record is missing
            self.logs.event("warning", "schedule record failed", schedule=name, slot=when, error=str(error))

    async def stop(self) -> None:
        self.stopping.set()
        if self.running:
            await asyncio.gather(*self.running, return_exceptions=True)
