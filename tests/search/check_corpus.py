#!/usr/bin/env python3
"""Checks the knowledge library's demo corpus and the judged query set.

Run from the repository root (plain python3, no packages):

    python3 tests/search/check_corpus.py

Exits non-zero and lists every problem if anything is off.
"""
import csv
import json
import os
import re
import sys
from collections import Counter

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KNOW = os.path.join(ROOT, "crates", "fanxing-demo", "data", "knowledge")
DIVISIONS = os.path.join(ROOT, "crates", "fanxing-core", "data", "jiangsu-divisions.csv")
QUERIES = os.path.join(ROOT, "tests", "search", "queries.jsonl")

INDUSTRIES = {"服装", "食品", "美妆", "家居", "农产品", "母婴", "数码家电", "珠宝饰品", "鞋靴箱包", "纺织家纺",
              "酒水茶饮", "图书文创", "宠物用品", "运动户外", "本地生活"}
TIERS = {"cadre", "company_head", "operator"}
COMPETENCIES = {"product_selection", "content_planning", "live_operation", "domain_linkage", "strategy_brand", "data_analysis"}
VISIBILITY = {"public", "trainees", "offices"}
PLATFORMS = {"douyin", "kuaishou", "channels", "taobao", "other"}
STAGES = {"S1", "S2", "S3"}
FORMATS = {"pptx", "pdf", "docx", "md"}
METRICS = {"monthly_gmv_yuan", "click_to_order", "avg_watch_s", "followers"}
STYLES = {"plain", "typo", "slang", "traditional", "pinyin", "initials", "abbrev", "question"}
MIN_PER_STYLE = {"plain": 8, "typo": 8, "slang": 8, "traditional": 5, "pinyin": 5, "initials": 5, "abbrev": 5, "question": 5}

FILES = {
    "cases.jsonl": ("case", 300, (300, 1200), "case-"),
    "materials.jsonl": ("material", 100, (500, 2000), "mat-"),
    "policies.jsonl": ("policy", 40, (300, 1000), "pol-"),
    "qa.jsonl": ("qa", 60, (80, 500), "qa-"),
}
COMMON = ["slug", "kind", "title", "summary", "body", "industry", "region", "tiers", "competencies", "tags", "visibility", "example"]
SPECIFIC = {
    "case": ["enterprise", "platform", "stage", "before", "after"],
    "material": ["course", "format", "lecture"],
    "policy": ["issuer", "doc_number", "issued_on", "valid_until", "beneficiaries", "amount"],
    "qa": [],
}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SLUG = re.compile(r"^[a-z]+-\d{4}$")

errors = []


def err(where, msg):
    errors.append(f"{where}: {msg}")


def load_regions():
    with open(DIVISIONS, encoding="utf-8") as f:
        return {r["code"] for r in csv.DictReader(f)}


def check_subset(where, name, value, allowed):
    if not isinstance(value, list) or not value:
        err(where, f"{name} must be a non-empty list")
        return
    if len(set(value)) != len(value):
        err(where, f"{name} has duplicates")
    for v in value:
        if v not in allowed:
            err(where, f"{name} value {v!r} not allowed")


def check_metrics(where, name, m):
    if not isinstance(m, dict) or not m:
        err(where, f"{name} must be a non-empty object")
        return
    for k, v in m.items():
        if k not in METRICS:
            err(where, f"{name}.{k} is not a known metric")
        elif k == "click_to_order":
            if not isinstance(v, (int, float)) or not 0 <= v <= 1:
                err(where, f"{name}.click_to_order must be within 0..1")
        elif not isinstance(v, int) or v < 0:
            err(where, f"{name}.{k} must be a non-negative integer")


def check_doc(where, d, kind, body_range, prefix, regions):
    for f in COMMON + SPECIFIC[kind]:
        if f not in d:
            err(where, f"missing field {f}")
    if d.get("kind") != kind:
        err(where, f"kind must be {kind}")
    slug = d.get("slug", "")
    if not SLUG.match(slug) or not slug.startswith(prefix):
        err(where, f"bad slug {slug!r}")
    title = d.get("title", "")
    if not isinstance(title, str) or not title.strip() or len(title) > 40:
        err(where, f"title must be 1..40 characters (has {len(title)})")
    if not isinstance(d.get("summary"), str) or not d["summary"].strip():
        err(where, "empty summary")
    body = d.get("body", "")
    lo, hi = body_range
    if not isinstance(body, str) or not lo <= len(body) <= hi:
        err(where, f"body length {len(body)} outside {lo}..{hi}")
    ind = d.get("industry")
    if ind is not None and ind not in INDUSTRIES:
        err(where, f"industry {ind!r} not allowed")
    if kind == "case" and ind is None:
        err(where, "a case needs an industry")
    if d.get("region") not in regions:
        err(where, f"region {d.get('region')!r} not in divisions")
    check_subset(where, "tiers", d.get("tiers"), TIERS)
    check_subset(where, "competencies", d.get("competencies"), COMPETENCIES)
    tags = d.get("tags")
    if not isinstance(tags, list) or not 2 <= len(tags) <= 6 or any(not isinstance(t, str) or not t or len(t) > 20 for t in tags):
        err(where, "tags must be 2..6 short strings")
    elif len(set(tags)) != len(tags):
        err(where, "tags have duplicates")
    if d.get("visibility") not in VISIBILITY:
        err(where, f"visibility {d.get('visibility')!r} not allowed")
    if d.get("example") is not True:
        err(where, "example must be true")
    if kind == "case":
        ent = d.get("enterprise", "")
        if not isinstance(ent, str) or not ent.startswith("示例："):
            err(where, "enterprise must be marked 示例：")
        if d.get("platform") not in PLATFORMS:
            err(where, f"platform {d.get('platform')!r} not allowed")
        if d.get("stage") not in STAGES:
            err(where, f"stage {d.get('stage')!r} not allowed")
        check_metrics(where, "before", d.get("before"))
        check_metrics(where, "after", d.get("after"))
    elif kind == "material":
        c = d.get("course", "")
        if not isinstance(c, str) or not (c.startswith("《") and c.endswith("》")):
            err(where, "course must be a title in 《》")
        if d.get("format") not in FORMATS:
            err(where, f"format {d.get('format')!r} not allowed")
        if not isinstance(d.get("lecture"), int) or d["lecture"] < 1:
            err(where, "lecture must be a positive integer")
    elif kind == "policy":
        for f in ("issuer", "doc_number", "beneficiaries", "amount"):
            if not isinstance(d.get(f), str) or not d[f].strip():
                err(where, f"{f} must be a non-empty string")
        if not isinstance(d.get("issued_on"), str) or not DATE.match(d["issued_on"]):
            err(where, "issued_on must be YYYY-MM-DD")
        vu = d.get("valid_until")
        if vu is not None and (not isinstance(vu, str) or not DATE.match(vu)):
            err(where, "valid_until must be YYYY-MM-DD or null")
        if isinstance(vu, str) and isinstance(d.get("issued_on"), str) and vu < d["issued_on"]:
            err(where, "valid_until before issued_on")


def main():
    regions = load_regions()
    docs = {}
    counts = {}
    for name, (kind, minimum, body_range, prefix) in FILES.items():
        path = os.path.join(KNOW, name)
        n = 0
        with open(path, encoding="utf-8") as f:
            for i, line in enumerate(f, 1):
                where = f"{name}:{i}"
                if not line.strip():
                    err(where, "empty line")
                    continue
                try:
                    d = json.loads(line)
                except json.JSONDecodeError as e:
                    err(where, f"invalid JSON ({e})")
                    continue
                n += 1
                check_doc(where, d, kind, body_range, prefix, regions)
                slug = d.get("slug")
                if slug in docs:
                    err(where, f"duplicate slug {slug}")
                docs[slug] = d
        counts[name] = n
        if n < minimum:
            err(name, f"{n} documents, at least {minimum} needed")
    # enterprise names must be marked; policy numbers unique
    nums = Counter(d["doc_number"] for d in docs.values() if d.get("kind") == "policy")
    for k, v in nums.items():
        if v > 1:
            err("policies.jsonl", f"doc_number {k} used {v} times")

    # queries
    styles = Counter()
    graded = []
    ids = set()
    with open(QUERIES, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            where = f"queries.jsonl:{i}"
            if not line.strip():
                continue
            try:
                q = json.loads(line)
            except json.JSONDecodeError as e:
                err(where, f"invalid JSON ({e})")
                continue
            for fld in ("id", "query", "style", "relevant"):
                if fld not in q:
                    err(where, f"missing field {fld}")
            if q.get("id") in ids:
                err(where, f"duplicate id {q.get('id')}")
            ids.add(q.get("id"))
            if not isinstance(q.get("query"), str) or not q["query"].strip():
                err(where, "empty query")
            if q.get("style") not in STYLES:
                err(where, f"style {q.get('style')!r} not allowed")
            styles[q.get("style")] += 1
            rel = q.get("relevant") or {}
            if not isinstance(rel, dict) or not rel:
                err(where, "relevant must be a non-empty object")
                continue
            if 3 not in rel.values():
                err(where, "no grade-3 document")
            for slug, g in rel.items():
                if g not in (1, 2, 3):
                    err(where, f"grade {g!r} for {slug} not in 1..3")
                if slug not in docs:
                    err(where, f"unknown slug {slug}")
                elif docs[slug]["visibility"] == "offices":
                    err(where, f"{slug} is visible to offices only; a trainee cannot find it")
            graded.append(len(rel))
    for s, m in MIN_PER_STYLE.items():
        if styles[s] < m:
            err("queries.jsonl", f"style {s}: {styles[s]} queries, at least {m} needed")
    if len(graded) < 60:
        err("queries.jsonl", f"{len(graded)} queries, at least 60 needed")
    avg = sum(graded) / len(graded) if graded else 0
    if not 3 <= avg <= 8:
        err("queries.jsonl", f"average graded documents per query {avg:.1f} outside 3..8")

    print("documents:", ", ".join(f"{k} {v}" for k, v in counts.items()))
    inds = Counter(d["industry"] or "(general)" for d in docs.values())
    print("industries:", ", ".join(f"{k} {v}" for k, v in inds.most_common()))
    vis = Counter(f"{d['kind']}/{d['visibility']}" for d in docs.values())
    print("visibility:", ", ".join(f"{k} {v}" for k, v in sorted(vis.items())))
    cases = [d for d in docs.values() if d["kind"] == "case"]
    print("case platforms:", dict(Counter(d["platform"] for d in cases)))
    print("case stages:", dict(sorted(Counter(d["stage"] for d in cases).items())))
    print("case competencies:", dict(Counter(c for d in cases for c in d["competencies"])))
    print(f"queries: {len(graded)}, styles:", dict(styles), f"average graded per query {avg:.1f}")
    if errors:
        print(f"\n{len(errors)} problem(s):")
        for e in errors:
            print("  " + e)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
