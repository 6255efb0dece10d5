"""Fanxing's analytics against DuckDB over the same export files.

Loads the CSV exports written by `fanxing demo analytics` into DuckDB,
asks both engines the dashboard's questions, prints the timings side by
side with their ratios, and checks that the city x month statistics are
exactly equal.

Usage: compare.py --base URL --token TOKEN --exports DIR
"""
import argparse
import glob
import json
import os
import resource
import statistics
import sys
import time
import urllib.request

import duckdb

COLUMNS = [
    ("account_id", "VARCHAR"), ("session_id", "VARCHAR"), ("started", "VARCHAR"),
    ("duration", "VARCHAR"), ("views", "BIGINT"), ("viewers", "BIGINT"),
    ("peak_online", "BIGINT"), ("avg_watch", "BIGINT"), ("comment_users", "BIGINT"),
    ("likes", "BIGINT"), ("new_followers", "BIGINT"), ("exposure_users", "BIGINT"),
    ("click_users", "BIGINT"), ("buyers", "BIGINT"), ("orders", "BIGINT"),
    ("gmv", "DECIMAL(18,2)"), ("refund", "DECIMAL(18,2)"), ("ad_spend", "DECIMAL(18,2)"),
]


def api(base, token, path):
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=600) as r:
        body = json.load(r)
    return body, time.perf_counter() - t


def timed(fn, runs=5):
    times = []
    out = None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--exports", required=True)
    ap.add_argument("--room", type=int, default=1)
    ap.add_argument("--city", default="320500")
    ap.add_argument("--import-seconds", type=float, default=None,
                    help="Fanxing's import time (files read, checked, stored with rollups), printed beside DuckDB's load")
    a = ap.parse_args()

    con = duckdb.connect()
    files = sorted(f for f in glob.glob(os.path.join(a.exports, "*.csv")) if not f.endswith("rooms.csv"))
    cols = ", ".join(f"'{n}': '{t}'" for n, t in COLUMNS)
    t = time.perf_counter()
    con.execute(
        f"CREATE TABLE s AS SELECT * FROM read_csv({files!r}, header=true, columns={{{cols}}}, filename=true)"
    )
    con.execute(
        "CREATE TABLE rooms AS SELECT * FROM read_csv(?, header=true, "
        "columns={'platform': 'VARCHAR', 'account_id': 'VARCHAR', 'industry': 'VARCHAR', "
        "'size_tier': 'VARCHAR', 'region': 'BIGINT'})",
        [os.path.join(a.exports, "rooms.csv")],
    )
    load_s = time.perf_counter() - t
    n = con.execute("SELECT COUNT(*) FROM s").fetchone()[0]
    print(f"DuckDB load: {n} sessions from {len(files)} files in {load_s:.1f} s")
    if a.import_seconds:
        r = a.import_seconds / load_s
        print(f"Fanxing import {a.import_seconds:.1f} s / DuckDB load {load_s:.1f} s = {r:.1f}x"
              f" (goal <= 5x: {'PASS' if r <= 5 else 'MISS'})")

    base_sql = (
        "FROM s JOIN rooms r ON r.account_id = s.account_id "
        "AND regexp_extract(s.filename, '([a-z]+)-[0-9]+\\.csv$', 1) = r.platform"
    )
    q_city_month = (
        f"SELECT (r.region // 100) * 100 AS city, "
        f"CAST(replace(substr(started, 1, 7), '-', '') AS BIGINT) AS month, "
        f"COUNT(DISTINCT r.platform || r.account_id) AS rooms, COUNT(*) AS sessions, "
        f"SUM(views) AS views, CAST(SUM(gmv) * 100 AS BIGINT) AS gmv_fen {base_sql} "
        f"GROUP BY 1, 2 ORDER BY 1, 2"
    )
    q_industries = (
        f"SELECT r.industry, CAST(SUM(gmv) * 100 AS BIGINT) AS gmv_fen, COUNT(*) {base_sql} "
        f"GROUP BY 1 ORDER BY 2 DESC"
    )
    q_peers = (
        f"WITH per AS (SELECT r.platform || r.account_id AS room, SUM(gmv) / NULLIF(SUM(views), 0) * 1000 AS gpm "
        f"{base_sql} WHERE r.industry = (SELECT industry FROM rooms LIMIT 1) "
        f"AND r.size_tier = (SELECT size_tier FROM rooms LIMIT 1) GROUP BY 1) "
        f"SELECT quantile_cont(gpm, 0.5), quantile_cont(gpm, 0.9), COUNT(*) FROM per"
    )
    q_weekly = (
        f"SELECT r.platform || r.account_id AS room, "
        f"date_trunc('week', CAST(substr(started, 1, 10) AS DATE)) AS w, SUM(gmv) {base_sql} "
        f"WHERE (r.region // 100) * 100 = {int(a.city)} GROUP BY 1, 2"
    )

    questions = [
        ("statistics by city x month", q_city_month, "/api/v1/live-stats?region=320000&group=city_month"),
        ("top industries", q_industries, "/api/v1/live-stats?region=320000&group=industry"),
        ("one room's peer percentiles", q_peers, f"/api/v1/rooms/{a.room}/diagnosis"),
        ("one city's impact estimate", q_weekly, f"/api/v1/live-impact?region={a.city}"),
    ]
    print()
    print(f"{'question':<32} {'Fanxing s':>10} {'DuckDB s':>10} {'ratio':>8}")
    results = {}
    for name, sql, path in questions:
        # Impact estimates are cached for minutes: time the first request only.
        runs = 1 if "impact" in path else 3
        (fx, _), fx_s = timed(lambda: api(a.base, a.token, path), runs=runs)
        dk, dk_s = timed(lambda: con.execute(sql).fetchall(), runs=3)
        results[name] = (fx, dk)
        verdict = "PASS" if fx_s <= dk_s else "MISS"
        print(f"{name:<32} {fx_s:>10.3f} {dk_s:>10.3f} {fx_s / dk_s:>7.2f}x  {verdict}")
    print("(ratio = Fanxing / DuckDB, goal: no slower; Fanxing over HTTP with JSON, DuckDB in"
          " process; the impact row times DuckDB's weekly aggregation only, Fanxing's whole estimate,"
          " uncached)")

    est, _ = results["one city's impact estimate"]
    print()
    print(f"impact estimate for {a.city} (log GMV): effect {est['att']:+.3f} "
          f"(95% {est['lo']:+.3f} … {est['hi']:+.3f}), naive before/after {est['naive']:+.3f}, "
          f"{est['treated']} trained rooms, {est['controls']} controls: {est['verdict']}")

    fx, dk = results["statistics by city x month"]
    mine = sorted(
        (int(l["key"]), int(l["month"]), l["rooms"], l["sums"]["sessions"], l["sums"]["views"], l["sums"]["gmv_fen"])
        for l in fx
    )
    theirs = sorted(tuple(int(x) for x in row) for row in dk)
    equal = mine == theirs
    print()
    print(f"city x month statistics: {len(mine)} lines; equal to DuckDB's exactly: {'PASS' if equal else 'MISS'}")
    if not equal:
        for m, t in zip(mine, theirs):
            if m != t:
                print(f"  first difference: Fanxing {m} DuckDB {t}")
                break
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"DuckDB process peak RSS: {peak:.0f} MB")
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())
