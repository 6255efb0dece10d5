#!/usr/bin/env python3
"""Acceptance check of Fanxing's outputs, read by real third-party readers.

    python3 scripts/check_outputs.py BASE_URL [--data-dir DIR]

BASE_URL is a running `fanxing serve --demo` (e.g. http://127.0.0.1:8080);
the check writes to it (revokes one certificate, registers the demo trainee
for one session), so point it at a throw-away data directory. It checks:

1. Certificates: the PDF embeds a subset Noto CJK font (poppler's pdffonts),
   its text is extractable (pdftotext), its QR code (pdftoppm + zbarimg)
   decodes to the absolute verify URL; /verify shows the certificate valid,
   then revoked after the office form's revoke (CSRF token from the page);
   unknown and malformed numbers give a plain 404 page.
2. The progress workbook (openpyxl): Chinese headers, frozen header row,
   every row and the total equal to GET /api/v1/programmes/{id}/progress,
   a native chart plotting those rows.
3. Calendars (icalendar): a session's .ics and the trainee's personal feed;
   DTSTART/DTEND equal the API's times in Asia/Shanghai; a wrong feed link
   gives 404/403.
4. Resource matching's monthly loan return (openpyxl): title with region and
   month, the return's headers, one row per city and a total equal to their
   sum, the demo's loans in it.

The certificate number comes from the demo trainee's /my/certificates; the
demo trainee holds none, and no office page or API lists certificates, so
with --data-dir the check falls back to reading one number from the SQLite
database there (read-only). --cert-number gives one directly.

Needs: Python 3.9+, openpyxl, icalendar; pdffonts, pdftotext, pdftoppm
(Debian poppler-utils) and zbarimg (zbar-tools). scripts/test.sh installs
them. Exits 0 when every check passed, 1 otherwise, naming each failure.
"""

import argparse
import datetime as dt
import glob
import html.parser
import http.cookiejar
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import zipfile

DEMO_PASSWORD = "fanxing-demo"
SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")  # no DST since 1991
CJK = re.compile(r"[\u4e00-\u9fff]")
TIMEOUT = 60


class CheckFailed(Exception):
    pass


PASSED = []


def ok(msg):
    PASSED.append(msg)
    print(f"  ok   {msg}", flush=True)


def check(cond, msg, detail=""):
    if not cond:
        raise CheckFailed(msg + (f": {detail}" if detail else ""))
    ok(msg)


# ---------------------------------------------------------------------------
# HTTP


class Response:
    def __init__(self, status, headers, body, url):
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)

    @property
    def content_type(self):
        return (self.headers.get("Content-Type") or "").lower()

    def summary(self):
        """A short account of the body: a page's alert or title, else its start."""
        if "html" in self.content_type:
            for pattern in (r'role="alert"[^>]*>(.*?)</', r"<title>(.*?)</title>"):
                m = re.search(pattern, self.text, re.S)
                if m:
                    return "page says " + repr(re.sub(r"\s+", " ", m.group(1)).strip())
        return repr(self.text[:200])


class Client:
    """A browser-like client: its own cookie jar, follows redirects."""

    def __init__(self, base, name="anonymous"):
        self.base = base
        self.name = name
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, path, data=None):
        url = path if path.startswith("http") else self.base + path
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body)
        try:
            with self.opener.open(req, timeout=TIMEOUT) as r:
                return Response(r.status, r.headers, r.read(), r.geturl())
        except urllib.error.HTTPError as e:
            return Response(e.code, e.headers, e.read(), e.geturl())

    def get(self, path, expect=200):
        r = self.request(path)
        if expect is not None and r.status != expect:
            raise CheckFailed(
                f"GET {path} as {self.name}: HTTP {r.status}, expected {expect}; {r.summary()}"
            )
        return r

    def get_json(self, path):
        r = self.get(path)
        try:
            return r.json()
        except ValueError:
            raise CheckFailed(f"GET {path}: not JSON: {r.text[:200]!r}")

    def post_form(self, path, data):
        return self.request(path, data)

    def login(self, username, password=DEMO_PASSWORD):
        page = self.get("/login")
        form = find_form(page.text, "/login")
        if form is None:
            raise CheckFailed("no log-in form on /login")
        fields = dict(form["fields"])
        fields.update({"login": username, "password": password, "next": "/"})
        r = self.post_form("/login", fields)
        if r.status != 200 or not any(c.name == "fx_session" for c in self.jar):
            raise CheckFailed(f"log-in as {username} failed: HTTP {r.status} at {r.url}")
        self.name = username
        return self


class FormParser(html.parser.HTMLParser):
    """Collects forms: action, method and the value each field would submit."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._form = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "method": (a.get("method") or "get").lower(),
                "fields": [],
                "selects": {},
            }
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._form["fields"].append((a["name"], a.get("value") or ""))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form["selects"][self._select] = []
        elif tag == "option" and self._select:
            self._form["selects"][self._select].append((a.get("value") or "", "selected" in a))

    def handle_endtag(self, tag):
        if tag == "form":
            self._finish_selects()
            self._form = None
        elif tag == "select":
            self._select = None

    def _finish_selects(self):
        if not self._form:
            return
        for name, options in self._form["selects"].items():
            chosen = [v for v, sel in options if sel] or [v for v, _ in options[:1]]
            self._form["fields"].extend((name, v) for v in chosen[:1])
        self._form["selects"] = {}


def find_form(page_html, action):
    p = FormParser()
    p.feed(page_html)
    p.close()
    for f in p.forms:
        if f["action"] == action:
            return f
    return None


# ---------------------------------------------------------------------------
# Tools


def tool(name, package):
    path = shutil.which(name)
    if not path:
        raise CheckFailed(f"`{name}` not found: install Debian's {package}")
    return path


def run(cmd, what):
    p = subprocess.run(cmd, capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


# ---------------------------------------------------------------------------
# 1. Certificates


def find_certificate(base, trainee, args):
    """A certificate number that is not revoked, and where it came from."""
    if args.cert_number:
        return args.cert_number, "--cert-number"
    page = trainee.get("/my/certificates").text
    numbers = re.findall(r'href="/certificates/([^"/]+)/pdf"', page)
    for n in numbers:
        v = Client(base).get(f"/verify/{urllib.parse.quote(n)}")
        if "status-valid" in v.text:
            return urllib.parse.unquote(n), "the demo trainee's /my/certificates"
    if args.data_dir:
        db = os.path.join(args.data_dir, "fanxing.db")
        if not os.path.exists(db):
            raise CheckFailed(f"no certificate on /my/certificates and no SQLite database at {db}")
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            row = con.execute(
                "SELECT number FROM certificates WHERE revoked_at IS NULL ORDER BY id LIMIT 1"
            ).fetchone()
        finally:
            con.close()
        if row:
            return row[0], f"the SQLite database in {args.data_dir} (the demo trainee holds none)"
    raise CheckFailed(
        "no unrevoked certificate found: the demo trainee's /my/certificates lists none; "
        "pass --data-dir (SQLite) or --cert-number"
    )


def parse_pdffonts(out):
    """Rows of `pdffonts` as dicts (name, emb, sub, uni)."""
    lines = out.splitlines()
    rows = []
    try:
        start = next(i for i, l in enumerate(lines) if l.startswith("----")) + 1
    except StopIteration:
        return rows
    for line in lines[start:]:
        t = line.split()
        if len(t) < 6:
            continue
        # name type... encoding emb sub uni objnum gen
        rows.append({"name": t[0], "emb": t[-5], "sub": t[-4], "uni": t[-3]})
    return rows


def check_certificates(base, office, trainee, args):
    number, source = find_certificate(base, trainee, args)
    print(f"  certificate {number} (from {source})")
    q = urllib.parse.quote(number, safe="")
    first = office.get_json("/api/v1/programmes")[0]
    programme, issuer = first["name"], first["issuer"]

    r = office.get(f"/certificates/{q}/pdf")
    check(
        r.content_type.startswith("application/pdf") and r.body.startswith(b"%PDF-"),
        f"GET /certificates/{number}/pdf as {office.name} is a PDF ({len(r.body)} bytes)",
        f"{r.content_type}, starts {r.body[:8]!r}",
    )
    with tempfile.TemporaryDirectory(prefix="fx-cert-") as tmp:
        pdf = os.path.join(tmp, "cert.pdf")
        with open(pdf, "wb") as f:
            f.write(r.body)

        rc, out, err = run([tool("pdffonts", "poppler-utils"), pdf], "pdffonts")
        check(rc == 0, "pdffonts reads the PDF", err.strip())
        fonts = parse_pdffonts(out)
        cjk = [f for f in fonts if re.search(r"Noto\w*CJK", f["name"], re.I)]
        check(cjk, "pdffonts lists a Noto CJK font", out.strip())
        check(
            all(f["emb"] == "yes" for f in cjk),
            "the Noto CJK font is embedded (emb yes): " + ", ".join(f["name"] for f in cjk),
            out.strip(),
        )
        check(
            all(f["sub"] == "yes" and re.match(r"^[A-Z]{6}\+", f["name"]) for f in cjk),
            "the Noto CJK font is a subset (sub yes, ABCDEF+ tag)",
            out.strip(),
        )
        check(
            all(f["emb"] == "yes" for f in fonts),
            f"every font in the PDF is embedded ({len(fonts)} font(s))",
            out.strip(),
        )

        rc, out, err = run([tool("pdfinfo", "poppler-utils"), pdf], "pdfinfo")
        pages = re.search(r"^Pages:\s+(\d+)", out, re.M)
        size = re.search(r"^Page size:\s+(.*)$", out, re.M)
        check(
            rc == 0 and pages and pages.group(1) == "1" and size and "A4" in size.group(1),
            f"pdfinfo: one A4 page ({size.group(1).strip() if size else '?'})",
            out.strip(),
        )

        rc, out, err = run([tool("pdftotext", "poppler-utils"), pdf, "-"], "pdftotext")
        text = re.sub(r"\s+", "", out)
        check(
            rc == 0
            and number in text
            and programme in text
            and issuer in text
            and len(CJK.findall(text)) >= 10,
            f"pdftotext extracts the number, the programme name ({programme}), "
            f"the issuing authority ({issuer}) and Chinese text",
            out.strip()[:300],
        )

        rc, out, err = run(
            [tool("pdftoppm", "poppler-utils"), "-r", "150", "-png", pdf, os.path.join(tmp, "page")],
            "pdftoppm",
        )
        pngs = sorted(glob.glob(os.path.join(tmp, "page*.png")))
        check(rc == 0 and len(pngs) == 1, "pdftoppm -r 150 renders the page to PNG", err.strip())

        rc, out, err = run([tool("zbarimg", "zbar-tools"), "--quiet", "--raw", pngs[0]], "zbarimg")
        codes = [l.strip() for l in out.splitlines() if l.strip()]
        want = f"{base}/verify/{number}"
        check(rc == 0 and len(codes) == 1, "zbarimg finds one QR code on the page", f"rc {rc}, {codes}")
        check(codes[0] == want, f"the QR code decodes to {want}", f"got {codes[0]!r}")

    anon = Client(base)
    v = anon.get(codes[0])
    check(
        "status-valid" in v.text and "status-revoked" not in v.text and number in v.text,
        f"GET {codes[0]} (anonymous) shows the certificate valid",
    )
    check(
        f"/certificates/{number}/revoke" not in v.text,
        "the anonymous verify page offers no revoke form",
    )

    # Revoke as the office, with the page's CSRF token.
    page = office.get(f"/verify/{q}")
    form = find_form(page.text, f"/certificates/{number}/revoke")
    check(form is not None and form["method"] == "post", "the office's verify page has the revoke form")
    fields = dict(form["fields"])
    check(len(fields.get("csrf", "")) >= 32, "the revoke form carries a CSRF token")

    forged = dict(fields, csrf="0" * 64, reason="forged")
    r = office.post_form(f"/certificates/{q}/revoke", forged)
    check(r.status == 403, f"revoking with a wrong CSRF token is refused (HTTP {r.status})")
    check("status-valid" in anon.get(f"/verify/{q}").text, "... and the certificate stays valid")

    reason = f"验收检查 {int(time.time())}"
    r = office.post_form(f"/certificates/{q}/revoke", dict(fields, reason=reason))
    check(
        r.status == 200 and urllib.parse.urlparse(r.url).path.endswith(f"/verify/{q}"),
        "POST /certificates/{n}/revoke with a reason redirects to the verify page",
        f"HTTP {r.status} at {r.url}",
    )
    v = anon.get(f"/verify/{q}")
    check(
        "status-revoked" in v.text and "status-valid" not in v.text and reason in v.text,
        "GET /verify/{n} (anonymous) now shows it revoked, with the reason",
        v.summary(),
    )
    r = office.post_form(f"/certificates/{q}/revoke", dict(fields, reason="again"))
    check(r.status < 500, f"revoking it a second time does not fail with a server error (HTTP {r.status})")
    check(reason in anon.get(f"/verify/{q}").text, "... and keeps the first reason")

    # Unknown and malformed numbers: a plain not-found page.
    last = "A" if number[-1] != "A" else "B"
    bad = [
        number[:-1] + last,
        "FX0000-00000000",
        "abc",
        "x" * 300,
        urllib.parse.quote("证书-1", safe=""),
        urllib.parse.quote("' OR '1'='1", safe=""),
        urllib.parse.quote("../../etc/passwd", safe=""),
        "%20",
    ]
    for b in bad:
        r = anon.get(f"/verify/{b}", expect=None)
        shown = b if len(b) < 40 else b[:20] + f"…({len(b)} chars)"
        check(
            r.status == 404
            and r.content_type.startswith("text/html")
            and 'role="alert"' in r.text
            and "status-valid" not in r.text
            and "status-revoked" not in r.text,
            f"GET /verify/{shown} is a plain not-found page (HTTP {r.status})",
            r.summary(),
        )
    r = office.get(f"/certificates/{urllib.parse.quote(bad[0])}/pdf", expect=None)
    check(r.status == 404, f"GET /certificates/{bad[0]}/pdf (unknown) is 404 (HTTP {r.status})")


# ---------------------------------------------------------------------------
# 2. The progress workbook


REF = re.compile(r"!\$?([A-Z]+)\$?(\d+):\$?([A-Z]+)\$?(\d+)$")


def col_index(letters):
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def check_workbook(office, programme, region):
    try:
        import openpyxl
    except ImportError:
        raise CheckFailed("Python package openpyxl missing (pip install openpyxl)")
    suffix = f"?region={region}" if region else ""
    api = office.get_json(f"/api/v1/programmes/{programme}/progress{suffix}")
    label = f"/programmes/{programme}/report.xlsx{suffix}"
    r = office.get(f"/programmes/{programme}/report.xlsx{suffix}")
    check(
        "spreadsheetml" in r.content_type and r.body.startswith(b"PK"),
        f"GET {label} is an .xlsx ({len(r.body)} bytes, {api['name']})",
        r.content_type,
    )
    names = zipfile.ZipFile(io.BytesIO(r.body)).namelist()
    charts = [n for n in names if re.match(r"xl/charts/chart\d+\.xml$", n)]
    check(charts, f"the .xlsx holds a native chart ({', '.join(charts)})", str(names))

    wb = openpyxl.load_workbook(io.BytesIO(r.body))
    ws = wb.worksheets[0]
    check(bool(CJK.search(ws.title)), f"openpyxl opens it; sheet {ws.title!r}")
    header = [c.value for c in ws[1]]
    check(
        len(header) >= 7
        and all(isinstance(h, str) and CJK.search(h) and not re.search(r"[A-Za-z]", h) for h in header),
        "the header row is Chinese: " + " | ".join(map(str, header)),
        str(header),
    )
    check(ws.freeze_panes == "A2", f"the header row is frozen (freeze_panes {ws.freeze_panes})")

    rows = [row for row in ws.iter_rows(min_row=2, values_only=True) if row and row[0] is not None]
    children = api["children"]
    check(
        len(rows) == len(children) + 1,
        f"{len(rows)} data rows: {len(children)} regions and the total",
        f"{len(rows)} rows",
    )

    def numbers(node):
        t, a = node["targets"]["total"], node["actuals"]["total"]
        return [t["sessions"], a["sessions"], t["attendances"], a["attendances"]]

    def row_numbers(row):
        return [row[1], row[2], row[4], row[5]]

    def rate(a, t):
        return a / t if t else None

    def rates_ok(row):
        ok_ = True
        for (a_col, t_col, r_col) in ((2, 1, 3), (5, 4, 6)):
            want = rate(row[a_col], row[t_col])
            got = row[r_col]
            ok_ &= (got is None and want is None) or (
                got is not None and want is not None and abs(got - want) < 1e-9
            )
        return ok_

    by_name = {row[0]: row for row in rows[:-1]}
    bad = []
    for c in children:
        row = by_name.get(c["name"])
        if row is None or row_numbers(row) != numbers(c) or not rates_ok(row):
            bad.append((c["name"], numbers(c), row))
    check(not bad, f"every region's row equals the API's targets and actuals ({len(children)} regions)", str(bad[:3]))
    total = rows[-1]
    check(
        str(total[0]).startswith(api["name"]) and row_numbers(total) == numbers(api) and rates_ok(total),
        f"the total row equals the API: {total[0]} targets {api['targets']['total']} actuals {api['actuals']['total']}",
        f"row {total}, API {numbers(api)}",
    )
    check(
        all(isinstance(v, (int, float)) for row in rows for v in row_numbers(row)),
        "numbers are stored as numbers",
    )

    check(len(ws._charts) >= 1, f"openpyxl sees {len(ws._charts)} chart(s) on the sheet")
    chart = ws._charts[0]
    series = []
    for s in chart.series:
        ref = s.val.numRef.f if s.val and s.val.numRef else ""
        m = REF.search(ref or "")
        if not m:
            raise CheckFailed(f"chart series without a cell range: {ref!r}")
        c1, r1, c2, r2 = col_index(m.group(1)), int(m.group(2)), col_index(m.group(3)), int(m.group(4))
        values = [
            ws.cell(row=rr, column=cc).value for rr in range(r1, r2 + 1) for cc in range(c1, c2 + 1)
        ]
        series.append(values)
    want_actual = [c["actuals"]["total"]["attendances"] for c in children]
    want_target = [c["targets"]["total"]["attendances"] for c in children]
    check(
        want_actual in series and want_target in series,
        f"the chart ({type(chart).__name__}) plots each region's attendances against its target",
        f"series values {series}",
    )


def check_workbooks(office):
    programmes = office.get_json("/api/v1/programmes")
    check(programmes, f"GET /api/v1/programmes lists {len(programmes)} programme(s)")
    pid = programmes[0]["id"]
    check_workbook(office, pid, None)
    province = office.get_json(f"/api/v1/programmes/{pid}/progress")
    cities = [c["region"] for c in province["children"]]
    if cities:
        # A city's report too (Suzhou if present, else the first city).
        check_workbook(office, pid, "320500" if "320500" in cities else cities[0])


# ---------------------------------------------------------------------------
# 3. Calendars


def upcoming_sessions(office):
    """Published sessions still to start (the list has no status filter and
    runs oldest first, so read it from the last page back)."""
    now = time.time()
    first = office.get_json("/api/v1/sessions")
    total, limit = first["total"], max(first["limit"], 1)
    pages = (total + limit - 1) // limit
    found = []
    for page in range(pages, 0, -1):
        items = first["items"] if page == 1 else office.get_json(f"/api/v1/sessions?page={page}")["items"]
        here = [s for s in items if s["status"] == "published" and s["starts_at"] > now]
        if found and not here:
            break
        found.extend(here)
    return sorted(found, key=lambda s: s["starts_at"])


def upcoming_registration(office, trainee):
    """An upcoming session the trainee is registered for (registering if needed)."""
    now = time.time()
    for m in trainee.get_json("/api/v1/me/registrations"):
        s = m["session"]
        if m["registration"]["status"] in ("registered", "waitlisted") and s["starts_at"] > now and s["status"] == "published":
            return s["id"], "already registered"
    candidates = upcoming_sessions(office)
    for s in candidates[:40]:
        page = trainee.get(f"/sessions/{s['id']}")
        form = find_form(page.text, f"/sessions/{s['id']}/register")
        if form is None:
            continue
        r = trainee.post_form(form["action"], dict(form["fields"]))
        if r.status == 200 and re.search(r"done=(registered|waitlisted)", r.url):
            return s["id"], "registered through the session page's form"
    raise CheckFailed(f"the demo trainee could not register for any of {len(candidates)} upcoming sessions")


def ics_events(body, what):
    try:
        import icalendar
    except ImportError:
        raise CheckFailed("Python package icalendar missing (pip install icalendar)")
    try:
        cal = icalendar.Calendar.from_ical(body)
    except Exception as e:  # noqa: BLE001 - any parse error fails the check
        raise CheckFailed(f"icalendar cannot parse {what}: {e}")
    return cal, cal.walk("VEVENT")


def local_time(ts):
    return dt.datetime.fromtimestamp(ts, SHANGHAI)


def event_matches(ev, session):
    """Problems with one VEVENT against the API's session (empty if none)."""
    problems = []
    for prop, key in (("DTSTART", "starts_at"), ("DTEND", "ends_at")):
        p = ev.get(prop)
        if p is None:
            problems.append(f"no {prop}")
            continue
        value = p.dt
        want = local_time(session[key])
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            problems.append(f"{prop} {value!r} is not a zoned date-time")
            continue
        tzid = p.params.get("TZID")
        if tzid != "Asia/Shanghai":
            problems.append(f"{prop} TZID {tzid!r}")
        if value.replace(tzinfo=None) != want.replace(tzinfo=None) or value.timestamp() != session[key]:
            problems.append(f"{prop} {value.isoformat()} != {want.isoformat()}")
    if str(ev.get("SUMMARY")) != session["title"]:
        problems.append(f"SUMMARY {str(ev.get('SUMMARY'))!r} != {session['title']!r}")
    return problems


def check_calendars(base, office, trainee):
    sid, how = upcoming_registration(office, trainee)
    session = office.get_json(f"/api/v1/sessions/{sid}")
    start = local_time(session["starts_at"])
    print(f"  session {sid} {session['title']} at {start:%Y-%m-%d %H:%M} Asia/Shanghai ({how})")

    r = trainee.get(f"/sessions/{sid}/calendar.ics")
    check(r.content_type.startswith("text/calendar"), f"GET /sessions/{sid}/calendar.ics is text/calendar", r.content_type)
    cal, events = ics_events(r.body, f"/sessions/{sid}/calendar.ics")
    check(len(events) == 1 and str(events[0].get("UID")) == f"session-{sid}@fanxing", "icalendar parses it: one event for the session")
    problems = event_matches(events[0], session)
    check(
        not problems,
        f"its DTSTART/DTEND equal the API's {start:%H:%M}–{local_time(session['ends_at']):%H:%M} in Asia/Shanghai, SUMMARY the title",
        "; ".join(problems),
    )

    page = trainee.get("/my/sessions").text
    m = re.search(r'href="(/calendar/[^"]+)"', page)
    check(m, "the trainee's /my/sessions links a personal calendar feed")
    feed = m.group(1)
    anon = Client(base)
    r = anon.get(feed)  # calendar apps fetch the feed without logging in
    check(r.content_type.startswith("text/calendar"), "the feed is text/calendar without logging in", r.content_type)
    cal, events = ics_events(r.body, "the feed")
    uids = [str(e.get("UID")) for e in events]
    check(f"session-{sid}@fanxing" in uids, f"icalendar parses the feed: {len(events)} event(s), including session {sid}", str(uids))
    mine = {m["session"]["id"] for m in trainee.get_json("/api/v1/me/registrations") if m["registration"]["status"] != "cancelled"}
    feed_ids = set()
    bad = []
    for ev in events:
        um = re.match(r"session-(\d+)@fanxing$", str(ev.get("UID")))
        if not um:
            bad.append(f"UID {ev.get('UID')!r}")
            continue
        feed_ids.add(int(um.group(1)))
        problems = event_matches(ev, office.get_json(f"/api/v1/sessions/{um.group(1)}"))
        if problems:
            bad.append(f"session {um.group(1)}: " + "; ".join(problems))
    check(not bad, "every feed event's DTSTART/DTEND/SUMMARY equal the API's session", "; ".join(bad[:5]))
    check(feed_ids == mine, f"the feed holds exactly the trainee's {len(mine)} registration(s)", f"feed {sorted(feed_ids)}, API {sorted(mine)}")

    fm = re.match(r"^/calendar/(\d+)-([^.]+)(\.ics)?$", feed)
    check(fm, f"the feed link has the form /calendar/PERSON-SECRET.ics ({feed})")
    person, secret = fm.group(1), fm.group(2)
    flipped = secret[:-1] + ("0" if secret[-1] != "0" else "1")
    wrong = [
        f"/calendar/{person}-{flipped}.ics",
        f"/calendar/{int(person) + 1}-{secret}.ics",
        f"/calendar/{person}-.ics",
        f"/calendar/{person}.ics",
        "/calendar/nonsense",
    ]
    for w in wrong:
        r = anon.get(w, expect=None)
        check(
            r.status in (403, 404) and b"BEGIN:VCALENDAR" not in r.body,
            f"GET {w} (wrong feed link) is refused (HTTP {r.status})",
        )
    r = anon.get("/sessions/999999999/calendar.ics", expect=None)
    check(r.status == 404, f"GET /sessions/999999999/calendar.ics is 404 (HTTP {r.status})")


# ---------------------------------------------------------------------------


def check_loan_return(office):
    """The monthly e-commerce loan return of resource matching: openpyxl reads
    it; a title with the region and month, the headers offices file, one row
    per city and the province's total, which equals the sum of the cities."""
    try:
        import openpyxl
    except ImportError:
        raise CheckFailed("Python package openpyxl missing (pip install openpyxl)")
    month = time.strftime("%Y-%m", time.gmtime(time.time() + 8 * 3600))
    r = office.get(f"/match/return.xlsx?month={month}")
    check(
        "spreadsheetml" in r.content_type and r.body.startswith(b"PK"),
        f"GET /match/return.xlsx?month={month} is an .xlsx ({len(r.body)} bytes)",
        r.content_type,
    )
    ws = openpyxl.load_workbook(io.BytesIO(r.body)).worksheets[0]
    title = str(ws.cell(1, 1).value or "")
    check("电商贷投放情况月报" in title and month in title, f"title {title!r}")
    headers = [ws.cell(2, c).value for c in range(1, 9)]
    check(
        headers[2] == "累计放款金额（万元）" and headers[3] == "贷款余额（万元）" and headers[5] == "本月新增金额（万元）",
        f"headers {headers[1:]}",
    )
    rows = [[ws.cell(r_, c).value for c in range(1, 9)] for r_ in range(3, ws.max_row + 1)]
    check(len(rows) == 14, f"{len(rows) - 1} cities and the total", str([r_[0] for r_ in rows]))
    total, cities = rows[-1], rows[:-1]
    check(total[0] == "江苏省", f"the last row is the province's total ({total[0]})")
    for c in range(1, 8):
        s_ = sum(float(r_[c] or 0) for r_ in cities)
        check(abs(s_ - float(total[c] or 0)) < 0.005, f"column {headers[c]}: cities sum to the total ({s_:.2f})")
    check(float(total[1] or 0) > 0 and float(total[2] or 0) > 0, f"the demo's loans are in it ({total[1]} loans, {total[2]} 万元)")
    check(float(total[3] or 0) <= float(total[2] or 0), "the balance is at most what was disbursed")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("base_url", help="e.g. http://127.0.0.1:8080 (a demo server with throw-away data)")
    ap.add_argument("--data-dir", help="the server's SQLite data dir, to find a certificate number")
    ap.add_argument("--cert-number", help="check this certificate (it gets revoked)")
    ap.add_argument("--office", default="admin", help="office log-in (default admin)")
    ap.add_argument("--trainee", default="trainee", help="trainee log-in (default trainee)")
    args = ap.parse_args()
    base = args.base_url.rstrip("/")

    started = time.monotonic()
    failures = []
    try:
        office = Client(base).login(args.office)
        trainee = Client(base).login(args.trainee)
        ok(f"logged in as {args.office} and {args.trainee} on {base}")
    except (CheckFailed, OSError) as e:
        print(f"check_outputs: FAIL: cannot log in at {base}: {e}", file=sys.stderr)
        return 1

    sections = [
        ("Certificate PDF, QR code, verify and revoke", lambda: check_certificates(base, office, trainee, args)),
        ("Excel progress report", lambda: check_workbooks(office)),
        ("Calendar files and personal feed", lambda: check_calendars(base, office, trainee)),
        ("Matching: the monthly loan return", lambda: check_loan_return(office)),
    ]
    for title, fn in sections:
        print(f"-- {title}", flush=True)
        try:
            fn()
        except CheckFailed as e:
            print(f"  FAIL {e}", flush=True)
            failures.append(f"{title}: {e}")
        except Exception as e:  # noqa: BLE001 - report and go on with the next section
            traceback.print_exc()
            print(f"  FAIL unexpected {type(e).__name__}: {e}", flush=True)
            failures.append(f"{title}: unexpected {type(e).__name__}: {e}")

    secs = time.monotonic() - started
    print(f"-- done in {secs:.1f} s")
    print(f"check_outputs: {len(PASSED)} passed, {len(failures)} failed")
    for f in failures:
        print(f"check_outputs: FAIL: {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
