#!/usr/bin/env python3
"""Fault suite (docs/RELIABILITY.md, "Fault suite"): the release binary under injected faults.

Each scenario starts `connect-my-home serve` on its own data directory (or PostgreSQL
database) and port, with a fake SMTP relay this script controls (up; down: port closed;
hung: accepts TCP and never answers), injects its fault and prints

    <scenario>: attempts N / lost L / duplicated D   (details, seconds)

lost: filings acknowledged by a 303 but missing from the database, offers acknowledged but
not stored, or outbox mails never delivered once the fault is over; duplicated: a Message-ID
delivered more than once, or a crew's day booked beyond its capacity.

Standard library only. usage: faults.py BIN scenario...
"""

import concurrent.futures
import datetime
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

PG_SERVER = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432")
OUT = os.environ.get("OUT", "/var/tmp/cmh-faults")
DRAIN_TIMEOUT = 100  # seconds for the outbox to empty once the fault is over
RAISED = "1000000000"  # throttles per client address and mailbox out of the way
DEMO_PASSWORD = "demo-connect-2026"
STARTED = []  # processes this script started, killed at exit if still running


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the fake relay -------------------------------------------------------------------------


class Relay:
    """An SMTP relay on a fixed port: `up` accepts every message, `down` closes the port,
    `hung` accepts connections and never says a word."""

    def __init__(self):
        self.port = free_port()
        self.mode = "down"
        self.lock = threading.Lock()
        self.received = []  # Message-IDs, one per delivered copy
        self.listener = None
        self.held = []

    def set(self, mode):
        with self.lock:
            self.mode = mode
            if mode == "down":
                if self.listener:
                    self.listener.close()
                    self.listener = None
                return
            if self.listener is None:
                listener = socket.socket()
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                listener.bind(("127.0.0.1", self.port))
                listener.listen(128)
                self.listener = listener
                threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            if self.mode == "hung":
                self.held.append(conn)  # open, silent
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            f = conn.makefile("rb")
            conn.sendall(b"220 relay.faults ESMTP\r\n")
            while True:
                line = f.readline()
                if not line:
                    return
                command = line.strip().upper()
                if command.startswith(b"EHLO") or command.startswith(b"HELO"):
                    conn.sendall(b"250-relay.faults\r\n250 8BITMIME\r\n")
                elif command == b"DATA":
                    conn.sendall(b"354 go ahead\r\n")
                    message_id = None
                    while True:
                        data = f.readline()
                        if not data or data == b".\r\n":
                            break
                        m = re.match(rb"(?i)message-id:\s*<([^>]+)>", data)
                        if m and message_id is None:
                            message_id = m.group(1).decode()
                    if not data:
                        return
                    with self.lock:
                        self.received.append(message_id)
                    conn.sendall(b"250 OK queued\r\n")
                elif command == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 OK\r\n")
        except OSError:
            return
        finally:
            conn.close()

    def copies(self):
        with self.lock:
            counts = {}
            for mid in self.received:
                counts[mid] = counts.get(mid, 0) + 1
            return counts


# --- the database ---------------------------------------------------------------------------


class Database:
    def __init__(self, engine):
        self.engine = engine
        self.data_dir = tempfile.mkdtemp(prefix="cmh-faults-", dir=OUT)
        if engine == "postgres":
            self.name = "cmh_faults_" + uuid.uuid4().hex[:12]
            psql(f"{PG_SERVER}/postgres", f"CREATE DATABASE {self.name}")
            self.url = f"{PG_SERVER}/{self.name}"
        else:
            self.url = None

    def rows(self, sql):
        if self.engine == "postgres":
            out = psql(self.url, sql)
            return [tuple(line.split("|")) for line in out.splitlines() if line]
        path = os.path.join(self.data_dir, "connect-my-home.db")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            return [tuple(str(v) for v in row) for row in conn.execute(sql).fetchall()]
        finally:
            conn.close()

    def scalar(self, sql):
        return int(self.rows(sql)[0][0])

    def drop(self):
        if self.engine == "postgres":
            psql(f"{PG_SERVER}/postgres", f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        if not os.environ.get("KEEP"):
            shutil.rmtree(self.data_dir, ignore_errors=True)


def psql(url, sql):
    return subprocess.run(
        ["psql", url, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True, capture_output=True, text=True,
    ).stdout


def quoted(values):
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values) or "''"


# --- the application ------------------------------------------------------------------------


class App:
    def __init__(self, bin_path, db, relay, seed_demo=False, label="app"):
        self.bin = bin_path
        self.db = db
        self.relay = relay
        self.seed_demo = seed_demo
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = os.path.join(db.data_dir, f"{label}.log")
        self.proc = None

    def start(self, wait=True):
        env = dict(os.environ)
        env.update({
            "CMH_BIND": f"127.0.0.1:{self.port}",
            "CMH_BASE_URL": self.url,
            "CMH_DATA_DIR": self.db.data_dir,
            "CMH_SEED_DEMO": "true" if self.seed_demo else "false",
            "CMH_MAIL_TRANSPORT": "smtp",
            "CMH_SMTP_HOST": "127.0.0.1",
            "CMH_SMTP_PORT": str(self.relay.port),
            "CMH_MAIL_SEND_TIMEOUT_SECS": "3",
            "CMH_MAIL_CLAIM_SECS": "8",
            "CMH_OUTBOX_POLL_MS": "200",
            "CMH_SHUTDOWN_GRACE_SECS": "10",
            "CMH_FILINGS_PER_ADDRESS_PER_HOUR": RAISED,
            "CMH_FILING_MAILS_PER_RECIPIENT_PER_DAY": RAISED,
            "CMH_SIGN_IN_ATTEMPTS_PER_ADDRESS": RAISED,
            "CMH_LINK_MAILS_PER_ADDRESS_PER_HOUR": RAISED,
            "CMH_ESTIMATES_PER_ADDRESS_PER_MINUTE": RAISED,
            "RUST_LOG": "warn",
        })
        env.pop("DATABASE_URL", None)
        if self.db.url:
            env["DATABASE_URL"] = self.db.url
        log = open(self.log, "ab")
        self.proc = subprocess.Popen([self.bin, "serve"], env=env, stdout=log, stderr=log)
        STARTED.append(self.proc)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the app exited at start, see {self.log}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=2) as r:
                    if r.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.2)
        raise SystemExit(f"the app never got ready, see {self.log}")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def terminate(self, within=30):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=within)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """A browser without JavaScript: a cookie jar, no redirects followed."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )

    def request(self, path, form=None, timeout=30):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(self.base + path, data=data, timeout=timeout) as r:
                return r.status, r.read().decode(), r.headers.get("Location")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace"), e.headers.get("Location")

    def sign_in(self, email):
        _, page, _ = self.request("/login")
        status, _, _ = self.request("/login", {
            "csrf_token": hidden(page, "csrf_token"), "email": email,
            "password": DEMO_PASSWORD, "next": "/",
        })
        assert status == 303, f"sign-in of {email}: {status}"
        return self


def hidden(html, name):
    m = re.search(f'name="{name}" value="([^"]*)"', html)
    if not m:
        raise ValueError(f"no hidden field {name}")
    return m.group(1)


def filing(n):
    """A complete request in Namur (the journey of Marie in the tests), one mailbox each."""
    start = datetime.date.today() + datetime.timedelta(days=40)
    return {
        "applicant_kind": "natural", "name": f"Client {n}", "email": f"client{n}@example.be",
        "phone": "+32 81 23 45 67", "language": "fr", "street": "Rue des Tanneries",
        "house_number": str(10 + n), "postcode": "5000", "building": "house",
        "electricity": "on", "electricity_band": "3x25", "gas": "on", "water": "on",
        "proximus": "on", "voo": "on", "wished_from": start.isoformat(),
        "wished_to": (start + datetime.timedelta(days=60)).isoformat(),
        "remarks": "Fault suite",
    }


def prepared_filing(app, n):
    """The form opened (CSRF cookie and field, idempotency key) and filled; posted later."""
    client = Client(app.url)
    _, page, _ = client.request("/request/new")
    form = dict(filing(n))
    form["csrf_token"] = hidden(page, "csrf_token")
    form["idempotency_key"] = hidden(page, "idempotency_key")
    return client, form


def file_burst(apps, count, threads=8, prepared=None, fault=None, fault_after=0):
    """Posts `count` filings across `apps` at once; returns (acknowledged keys, errors).
    `fault` is called (in its own thread) once `fault_after` filings are acknowledged."""
    prepared = prepared or [prepared_filing(apps[i % len(apps)], i) for i in range(count)]
    acknowledged, errors = [], []
    lock = threading.Lock()
    injected = []

    def post(item):
        client, form = item
        try:
            status, _, location = client.request("/request", form)
        except OSError as e:  # refused, reset or cut: not acknowledged
            reason = getattr(e, "reason", e)
            with lock:
                errors.append("refused" if isinstance(reason, ConnectionRefusedError)
                          else f"cut ({type(reason).__name__})")
            return
        with lock:
            if status == 303 and location and location.startswith("/request/filed/"):
                acknowledged.append(form["idempotency_key"])
                if fault and len(acknowledged) == fault_after:
                    injected.append(threading.Thread(target=fault))
                    injected[0].start()
            else:
                errors.append(str(status))

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(post, prepared))
    for thread in injected:
        thread.join()
    return acknowledged, errors


def lost_filings(db, keys):
    if not keys:
        return 0
    found = db.scalar(f"SELECT COUNT(*) FROM requests WHERE idempotency_key IN ({quoted(keys)})")
    return len(keys) - found


def drain_mail(db, relay, timeout=DRAIN_TIMEOUT):
    """Waits until no mail is pending; returns (mails, lost, duplicated)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if db.scalar("SELECT COUNT(*) FROM outbox WHERE status = 'pending'") == 0:
            break
        time.sleep(0.5)
    time.sleep(1)  # a copy still on its way to the relay
    ids = [r[0] for r in db.rows("SELECT id FROM outbox")]
    copies = relay.copies()
    lost = sum(1 for i in ids if copies.get(f"{i}@connect-my-home.be", 0) == 0)
    duplicated = sum(n - 1 for n in copies.values() if n > 1)
    return len(ids), lost, duplicated


def over_booked(db):
    """Crew days booked beyond capacity, and booking counters out of step with reservations."""
    beyond = db.scalar(
        "SELECT COUNT(*) FROM (SELECT r.crew_id, r.day, COUNT(*) AS n, MAX(c.daily_capacity) AS cap "
        "FROM reservations r JOIN crews c ON c.id = r.crew_id GROUP BY r.crew_id, r.day) t "
        "WHERE n > cap")
    skewed = db.scalar(
        "SELECT COUNT(*) FROM crew_days d WHERE d.booked <> (SELECT COUNT(*) FROM reservations r "
        "WHERE r.crew_id = d.crew_id AND r.day = d.day)")
    return beyond + skewed


# Mails sent at once (CMH_MAIL_CONCURRENCY's default): a `kill -9` can catch at most this many
# between the relay's "250" and the row's "sent", each sent again after the restart.
IN_FLIGHT = 4


def report(name, attempts, lost, duplicated, started, details="", mail_dup_allowed=0):
    """Prints the line; true when nothing was lost and nothing duplicated beyond what a crash
    may (`mail_dup_allowed`: copies of mails in flight at a `kill -9`)."""
    line = (f"{name}: attempts {attempts} / lost {lost} / duplicated {duplicated}"
            f"   ({details}{', ' if details else ''}{time.time() - started:.0f} s)")
    print(line, flush=True)
    return lost == 0 and duplicated <= mail_dup_allowed


# --- the scenarios ---------------------------------------------------------------------------


def relay_down_up(bin_path, engine="sqlite"):
    """The relay is down while 20 requests are filed, then comes back."""
    started = time.time()
    relay, db = Relay(), Database(engine)
    app = App(bin_path, db, relay).start()
    keys, errors = file_burst([app], 20, threads=4)
    time.sleep(3)
    failed_first = db.scalar("SELECT COUNT(*) FROM outbox WHERE attempts >= 1 AND status = 'pending'")
    relay.set("up")
    lost_ack = lost_filings(db, keys)
    mails, lost_mail, dup = drain_mail(db, relay)
    app.terminate()
    db.drop()
    return report("relay_down_up", f"{len(keys) + len(errors)} filings, {mails} mails",
                  lost_ack + lost_mail, dup, started,
                  f"{failed_first} mails failed while down, retried after the 30 s backoff")


def relay_hung(bin_path, engine="sqlite"):
    """The relay accepts and never answers for 8 s while requests are filed; then it is up."""
    started = time.time()
    relay, db = Relay(), Database(engine)
    relay.set("hung")
    app = App(bin_path, db, relay).start()
    keys, errors = file_burst([app], 20, threads=4)
    time.sleep(8)
    timed_out = db.scalar(
        "SELECT COUNT(*) FROM outbox WHERE last_error LIKE 'no answer from the mail relay%'")
    relay.set("up")
    lost_ack = lost_filings(db, keys)
    mails, lost_mail, dup = drain_mail(db, relay)
    app.terminate()
    db.drop()
    return report("relay_hung", f"{len(keys) + len(errors)} filings, {mails} mails",
                  lost_ack + lost_mail, dup, started,
                  f"{timed_out} attempts timed out at 3 s while hung")


def kill9_filings(bin_path, engine="sqlite"):
    """`kill -9` in the middle of a burst of 300 filings (once 100 are acknowledged); restart
    on the same database."""
    started = time.time()
    relay, db = Relay(), Database(engine)
    relay.set("up")
    app = App(bin_path, db, relay).start()
    prepared = [prepared_filing(app, i) for i in range(300)]
    keys, errors = file_burst([app], len(prepared), threads=8, prepared=prepared,
                              fault=app.kill9, fault_after=100)
    app.start()
    lost_ack = lost_filings(db, keys)
    mails, lost_mail, dup = drain_mail(db, relay)
    app.terminate()
    db.drop()
    return report("kill9_filings", f"{len(prepared)} filings ({len(keys)} acknowledged), {mails} mails",
                  lost_ack + lost_mail, dup, started,
                  f"{len(errors)} cut by the kill; duplicates are mails the relay had accepted "
                  f"when the process died", mail_dup_allowed=IN_FLIGHT)


def kill9_send_offer(bin_path, engine="sqlite"):
    """`kill -9` while the case officer sends offers for 16 assessed requests at once."""
    started = time.time()
    relay, db = Relay(), Database(engine)
    relay.set("up")
    app = App(bin_path, db, relay, seed_demo=True).start()
    keys, _ = file_burst([app], 16, threads=4)
    ids = wait_assessed(db, keys)
    officer = Client(app.url).sign_in("julien@ores.demo")
    forms = []
    for request_id in ids:
        _, page, _ = officer.request(f"/backoffice/requests/{request_id}")
        forms.append((request_id, {"csrf_token": hidden(page, "csrf_token"), "key": hidden(page, "key")}))
    sent, errors = [], []
    lock = threading.Lock()

    def send(item):
        request_id, form = item
        try:
            status, _, _ = officer.request(f"/backoffice/requests/{request_id}/offer", form)
        except OSError as e:
            with lock:
                errors.append(str(e))
            return
        with lock:
            if status == 303:
                sent.append(form["key"])
                # Killed once a third is acknowledged: the rest are in flight or not yet sent.
                if len(sent) == len(forms) // 3:
                    threading.Thread(target=app.kill9).start()
            else:
                errors.append(str(status))

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(send, forms))
    app.proc.wait()
    app.start()
    stored = db.scalar(f"SELECT COUNT(*) FROM offers WHERE idempotency_key IN ({quoted(sent)})") if sent else 0
    twice = db.scalar("SELECT COUNT(*) FROM (SELECT request_id FROM offers GROUP BY request_id "
                      "HAVING COUNT(*) > 1) t")
    mails, lost_mail, dup = drain_mail(db, relay)
    app.terminate()
    db.drop()
    return report("kill9_send_offer", f"{len(forms)} offers ({len(sent)} acknowledged), {mails} mails",
                  len(sent) - stored + lost_mail, dup + twice, started,
                  f"{len(errors)} cut by the kill, {twice} requests with two offers",
                  mail_dup_allowed=IN_FLIGHT if twice == 0 else 0)


def wait_assessed(db, keys, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        rows = db.rows(f"SELECT id, state FROM requests WHERE idempotency_key IN ({quoted(keys)})")
        if rows and all(state == "assessed" for _, state in rows):
            return [request_id for request_id, _ in rows]
        time.sleep(0.5)
    raise SystemExit("the requests were never assessed")


def sigterm_burst(bin_path, engine="sqlite"):
    """SIGTERM in the middle of a burst of 300 filings (once 100 are acknowledged): in-flight
    ones are answered, the process exits 0; restart on the same database."""
    started = time.time()
    relay, db = Relay(), Database(engine)
    relay.set("up")
    app = App(bin_path, db, relay).start()
    prepared = [prepared_filing(app, i) for i in range(300)]
    codes = []
    keys, errors = file_burst([app], len(prepared), threads=8, prepared=prepared,
                              fault=lambda: codes.append(app.terminate()), fault_after=100)
    app.start()
    lost_ack = lost_filings(db, keys)
    mails, lost_mail, dup = drain_mail(db, relay)
    app.terminate()
    db.drop()
    return report("sigterm_burst", f"{len(prepared)} filings ({len(keys)} acknowledged), {mails} mails",
                  lost_ack + lost_mail, dup, started,
                  f"exit status {codes[0] if codes else '?'}, not acknowledged: "
                  + ", ".join(f"{e}×{errors.count(e)}" for e in sorted(set(errors))))


def two_instances_pg(bin_path, engine="postgres"):
    """Two instances on one new PostgreSQL database, started together: filings spread over
    both, then the officer reserves the joint day of each request from both at once."""
    started = time.time()
    relay, db = Relay(), Database("postgres")
    relay.set("up")
    a = App(bin_path, db, relay, seed_demo=True, label="a").start(wait=False)
    b = App(bin_path, db, relay, seed_demo=True, label="b").start(wait=False)
    a.wait_ready()
    b.wait_ready()
    keys, errors = file_burst([a, b], 60, threads=8)
    lost_ack = lost_filings(db, keys)
    ids = wait_assessed(db, keys[:20])
    officers = [Client(a.url).sign_in("julien@ores.demo"), Client(b.url).sign_in("julien@ores.demo")]
    answers = []

    def page_of(officer, request_id):
        _, page, _ = officer.request(f"/backoffice/requests/{request_id}")
        return {"csrf_token": hidden(page, "csrf_token"), "day": hidden(page, "day")}

    def reserve(item):
        officer, request_id, form = item
        status, _, _ = officer.request(f"/backoffice/requests/{request_id}/day", form)
        answers.append(status)

    # Contention: ten requests, each clicked on both instances, all for the same first day.
    clicks = [(o, r, page_of(o, r)) for r in ids[:10] for o in officers]
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(reserve, clicks))
    # A double click across instances: each of ten more requests, its day as offered now.
    for request_id in ids[10:]:
        pair = [(o, request_id, page_of(o, request_id)) for o in officers]
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            list(pool.map(reserve, pair))
        clicks += pair
    reserved = db.scalar(
        f"SELECT COUNT(DISTINCT request_id) FROM reservations WHERE request_id IN ({quoted(ids)})")
    booked = over_booked(db)
    reserved_twice = db.scalar(
        "SELECT COUNT(*) FROM (SELECT request_id FROM reservations GROUP BY request_id "
        "HAVING COUNT(DISTINCT day) > 1) t")
    server_errors = sum(1 for s in answers if s >= 500)
    mails, lost_mail, dup = drain_mail(db, relay)
    a.terminate()
    b.terminate()
    db.drop()
    statuses = ", ".join(f"{s}×{answers.count(s)}" for s in sorted(set(answers)))
    ok = report("two_instances_pg",
                f"{len(keys) + len(errors)} filings, {len(clicks)} reservation clicks, {mails} mails",
                lost_ack + lost_mail, dup + booked + reserved_twice, started,
                f"reservation answers {statuses}, {reserved} of 20 requests reserved; "
                f"{server_errors} server errors")
    return ok and server_errors == 0


SCENARIOS = {
    "relay_down_up": relay_down_up,
    "relay_hung": relay_hung,
    "kill9_filings": kill9_filings,
    "kill9_send_offer": kill9_send_offer,
    "sigterm_burst": sigterm_burst,
    "two_instances_pg": two_instances_pg,
}


def main():
    if len(sys.argv) < 2:
        raise SystemExit(f"usage: {sys.argv[0]} BIN [scenario...]  ({', '.join(SCENARIOS)})")
    bin_path, names = sys.argv[1], sys.argv[2:] or list(SCENARIOS)
    engine = os.environ.get("ENGINE", "sqlite")
    os.makedirs(OUT, exist_ok=True)
    failed = []
    try:
        for name in names:
            if name not in SCENARIOS:
                raise SystemExit(f"unknown scenario {name}: {', '.join(SCENARIOS)}")
            if not SCENARIOS[name](bin_path, engine):
                failed.append(name)
    finally:
        for proc in STARTED:
            if proc.poll() is None:
                proc.kill()
    if failed:
        print(f"lost or duplicated in: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
