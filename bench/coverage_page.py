"""Benchmark: the coverage figures (覆盖统计) of a whole city, from the rollup against the raw tables.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/coverage_page.py
    (options: --workers 1000000 --units 50000 --runs 30 --raw-runs 10 --keep)

It never touches the project's database: it creates a fresh PostgreSQL database ``ningju_bench_cov`` on the
server of DATABASE_URL (dropped at the end unless --keep), migrates it and builds, with set-based SQL
(``INSERT ... SELECT generate_series``), a city of 10 counties, 100 towns and 2,000 villages, ``--units``
enterprises and stations (1 enterprise : 9 stations), ``--workers`` people (about 13 % Party members, a fifth of
them mobile), branches, joint branches and their links, instructors and assignments, a campaign and its
verified findings through the three channels. Encrypted columns hold dummy ciphertext.

Then it fills the rollup with ``coverage.rollup.refresh_all()`` and times, over ``--runs`` runs each,

  (a) ``coverage.selectors.figures`` — the selector the page /coverage/figures/ calls — for the city
      organisation department (whole city, grouped by county) and for one county's department;
  (b) the same figures straight from the raw tables (organisations, people, findings, links, assignments;
      coverage decided by EXISTS over the unit and its enterprise), ``--raw-runs`` runs each;
  (c) the whole page (/coverage/figures/ through Django's test client) for both users,

checks that (a) and (b) give the same numbers, and prints p50/p95.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

BENCH_DB = "ningju_bench_cov"
COUNTIES = ["410802", "410803", "410804", "410811", "410821", "410822", "410823", "410825", "410882", "410883"]
COUNTY_NAMES = ["解放区", "中站区", "马村区", "山阳区", "修武县", "博爱县", "武陟县", "温县", "沁阳市", "孟州市"]
TOWNS_PER_COUNTY = 10
VILLAGES_PER_TOWN = 20
INDUSTRIES = ["food_delivery", "express", "ride_hailing", "freight", "other"]
DISTRICT = 8  # 沁阳市


def prepare_database() -> callable:
    import psycopg

    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must point at a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + BENCH_DB))

    def drop():
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")

    return drop


def timed(label: str, fn):
    t0 = time.perf_counter()
    out = fn()
    print(f"  {label}: {time.perf_counter() - t0:.1f} s")
    return out


# --- the city, set-based ------------------------------------------------------------------------------------

def run(cur, sql: str, params=None) -> None:
    """Execute with parameter processing always on (``%%`` is a literal percent sign everywhere)."""
    cur.execute(sql, params if params is not None else {})


def build_city(cur, n_units: int, n_workers: int) -> dict:
    n_ent = n_units // 10
    n_st = n_units - n_ent
    n_towns = len(COUNTIES) * TOWNS_PER_COUNTY
    run(cur, """
        CREATE FUNCTION bench_b36(n bigint) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
        DECLARE chars text := '0123456789abcdefghijklmnopqrstuvwxyz'; out text := '';
        BEGIN LOOP out := substr(chars, (n %% 36)::int + 1, 1) || out; n := n / 36; EXIT WHEN n = 0; END LOOP;
        RETURN out; END $$""")
    # Divisions: city (id 1), counties (2..11), towns (100..), villages (1000..).
    run(cur, "INSERT INTO geo_division (id, code, name, level, parent_id, path) "
                "VALUES (1, '410800000000', '焦作市', 1, NULL, '410800000000/')")
    run(cur, """
        INSERT INTO geo_division (id, code, name, level, parent_id, path)
        SELECT 2 + c, (%(codes)s::text[])[c + 1] || '000000', (%(names)s::text[])[c + 1], 2, 1,
               '410800000000/' || (%(codes)s::text[])[c + 1] || '000000/'
        FROM generate_series(0, 9) c""", {"codes": COUNTIES, "names": COUNTY_NAMES})
    run(cur, """
        INSERT INTO geo_division (id, code, name, level, parent_id, path)
        SELECT 100 + t, (%(codes)s::text[])[t / %(tpc)s + 1] || lpad((t %% %(tpc)s + 1)::text, 3, '0') || '000',
               (%(names)s::text[])[t / %(tpc)s + 1] || '第' || (t %% %(tpc)s + 1) || '街道', 3, 2 + t / %(tpc)s,
               '410800000000/' || (%(codes)s::text[])[t / %(tpc)s + 1] || '000000/'
                 || (%(codes)s::text[])[t / %(tpc)s + 1] || lpad((t %% %(tpc)s + 1)::text, 3, '0') || '000/'
        FROM generate_series(0, %(n)s - 1) t""",
                {"codes": COUNTIES, "names": COUNTY_NAMES, "tpc": TOWNS_PER_COUNTY, "n": n_towns})
    run(cur, """
        INSERT INTO geo_division (id, code, name, level, parent_id, path)
        SELECT 1000 + v, left(t.code, 9) || (200 + v %% %(vpt)s + 1)::text,
               t.name || '第' || (v %% %(vpt)s + 1) || '社区', 4, t.id,
               t.path || left(t.code, 9) || (200 + v %% %(vpt)s + 1)::text || '/'
        FROM generate_series(0, %(n)s - 1) v JOIN geo_division t ON t.id = 100 + v / %(vpt)s""",
                {"vpt": VILLAGES_PER_TOWN, "n": n_towns * VILLAGES_PER_TOWN})

    org_cols = ("id, name, kind, industry, parent_id, division_id, path, contact_name, contact_phone, address, "
                "is_active, created_at, updated_at")
    blank = "'', '', '', true, now(), now()"
    # City committee (1) and its organisation department (2); county committees (10..19) and departments
    # (20..29); five industry departments per county (100..149); town Party committees (1000..).
    run(cur, f"INSERT INTO orgs_organisation ({org_cols}) VALUES "
                f"(1, '焦作市委', 'party_committee', '', NULL, 1, '1/', {blank}),"
                f"(2, '焦作市委组织部', 'org_department', '', 1, 1, '1/2/', {blank})")
    run(cur, f"""
        INSERT INTO orgs_organisation ({org_cols})
        SELECT 10 + c, (%(names)s::text[])[c + 1] || '委', 'party_committee', '', 1, 2 + c,
               '1/' || bench_b36(10 + c) || '/', {blank} FROM generate_series(0, 9) c""", {"names": COUNTY_NAMES})
    run(cur, f"""
        INSERT INTO orgs_organisation ({org_cols})
        SELECT 20 + c, (%(names)s::text[])[c + 1] || '委组织部', 'org_department', '', 10 + c, 2 + c,
               '1/' || bench_b36(10 + c) || '/' || bench_b36(20 + c) || '/', {blank}
        FROM generate_series(0, 9) c""", {"names": COUNTY_NAMES})
    run(cur, f"""
        INSERT INTO orgs_organisation ({org_cols})
        SELECT 100 + i, (%(names)s::text[])[i / 5 + 1] || '行业主管部门' || (i %% 5 + 1), 'industry_department', '',
               10 + i / 5, 2 + i / 5, '1/' || bench_b36(10 + i / 5) || '/' || bench_b36(100 + i) || '/', {blank}
        FROM generate_series(0, 49) i""", {"names": COUNTY_NAMES})
    run(cur, f"""
        INSERT INTO orgs_organisation ({org_cols})
        SELECT 1000 + t, d.name || '党工委', 'party_committee', '', 10 + t / %(tpc)s, d.id,
               '1/' || bench_b36(10 + t / %(tpc)s) || '/' || bench_b36(1000 + t) || '/', {blank}
        FROM generate_series(0, %(n)s - 1) t JOIN geo_division d ON d.id = 100 + t""",
                {"tpc": TOWNS_PER_COUNTY, "n": n_towns})
    # Enterprises (10000..): at the county, under the county's industry department of their industry.
    run(cur, f"""
        INSERT INTO orgs_organisation ({org_cols})
        SELECT 10000 + e, '平台企业' || e, 'platform_enterprise', (%(ind)s::text[])[e / 10 %% 5 + 1],
               100 + (e %% 10) * 5 + e / 10 %% 5, 2 + e %% 10,
               '1/' || bench_b36(10 + e %% 10) || '/' || bench_b36(100 + (e %% 10) * 5 + e / 10 %% 5) || '/'
                 || bench_b36(10000 + e) || '/', {blank}
        FROM generate_series(0, %(n)s - 1) e""", {"ind": INDUSTRIES, "n": n_ent})
    # Stations (100000..): nine per enterprise, in the villages of the enterprise's county.
    run(cur, f"""
        INSERT INTO orgs_organisation ({org_cols})
        SELECT 100000 + s, '站点' || s, 'station', e.industry, e.id,
               1000 + (((s / 9) %% 10) * %(tpc)s + s %% %(tpc)s) * %(vpt)s + (s / 10) %% %(vpt)s,
               e.path || bench_b36(100000 + s) || '/', {blank}
        FROM generate_series(0, %(n)s - 1) s JOIN orgs_organisation e ON e.id = 10000 + s / 9""",
                {"tpc": TOWNS_PER_COUNTY, "vpt": VILLAGES_PER_TOWN, "n": n_st})
    # Branches at every fifth station and every tenth enterprise; a joint branch per town.
    run(cur, f"""
        INSERT INTO orgs_organisation ({org_cols})
        SELECT 1000000 + o.id, o.name || '党支部', 'branch', '', o.id, o.division_id,
               o.path || bench_b36(1000000 + o.id) || '/', {blank}
        FROM orgs_organisation o
        WHERE (o.kind = 'station' AND o.id %% 5 = 0) OR (o.kind = 'platform_enterprise' AND o.id %% 10 = 3)""")
    run(cur, f"""
        INSERT INTO orgs_organisation ({org_cols})
        SELECT 900000 + t.id, t.name || '新就业群体联合党支部', 'joint_branch', '', t.id, t.division_id,
               t.path || bench_b36(900000 + t.id) || '/', {blank}
        FROM orgs_organisation t WHERE t.id BETWEEN 1000 AND 1999""")
    run(cur, "SELECT setval(pg_get_serial_sequence('orgs_organisation', 'id'), 3000000)")
    # Stations with every seventh id (and no branch) are attached to their town's joint branch.
    run(cur, """
        INSERT INTO coverage_jointbranchlink (organisation_id, joint_branch_id, since)
        SELECT s.id, 900000 + 1000 + (d.parent_id - 100), current_date
        FROM orgs_organisation s JOIN geo_division d ON d.id = s.division_id
        WHERE s.kind = 'station' AND s.id %% 7 = 3 AND s.id %% 5 <> 0""")
    # Instructors (appointed by the county departments; one in twenty off duty), at every eleventh station.
    run(cur, """
        INSERT INTO instructors_instructor (id, name, phone, title, appointed_by_id, user_id, active, created_at)
        SELECT i, '指导员' || i, '', '党建指导员', 20 + i %% 10, NULL, i %% 20 <> 0, now()
        FROM generate_series(1, 2200) i""")
    run(cur, "SELECT setval(pg_get_serial_sequence('instructors_instructor', 'id'), 3000)")
    run(cur, """
        INSERT INTO instructors_assignment (instructor_id, organisation_id, assigned_on, ended_on, assigned_by_id)
        SELECT 1 + (s.id / 11) %% 2200, s.id, current_date, NULL, NULL
        FROM orgs_organisation s WHERE s.kind = 'station' AND s.id %% 11 = 5""")

    # People: about 22 per station, one in fifty at an enterprise; 10 %% formal, 3 %% probationary members.
    run(cur, """
        INSERT INTO people_person (id, name, id_number, id_hash, phone, phone_hash, birth_date, gender,
                                   political_status, occupation, employer_id, home_division_id, employed_since,
                                   party_org_id, party_org_text, is_mobile_member, created_at, updated_at)
        SELECT i, '从业人员' || i, 'gAAAAABbenchdummyciphertext', md5('p' || i) || md5('q' || i), '', '',
               date '1990-01-01' + (i %% 7000)::int, CASE WHEN i %% 2 = 0 THEN 'M' ELSE 'F' END,
               CASE WHEN (i * 7919) %% 100 < 10 THEN 'member' WHEN (i * 7919) %% 100 < 13 THEN 'probationary'
                    ELSE 'masses' END,
               'rider',
               CASE WHEN i %% 50 = 0 THEN 10000 + (i / 50) %% %(ent)s ELSE 100000 + i %% %(st)s END,
               NULL, NULL, NULL, '',
               (i * 7919) %% 100 < 13 AND i %% 5 = 0, now(), now()
        FROM generate_series(1::bigint, %(n)s) i""", {"n": n_workers, "ent": n_ent, "st": n_st})
    run(cur, "SELECT setval(pg_get_serial_sequence('people_person', 'id'), %s)", [n_workers + 1])
    run(cur, """
        INSERT INTO coverage_campaign (id, name, organiser_id, starts_on, ends_on, industries, public_token, created_at)
        VALUES (1, '焦作市新就业群体全覆盖排查', 2, current_date - 30, current_date + 30, '[]', 'benchtoken', now())""")
    run(cur, "INSERT INTO coverage_campaign_divisions (campaign_id, division_id) VALUES (1, 1)")
    run(cur, """
        INSERT INTO coverage_campaignunit (campaign_id, organisation_id, checked_at, checked_by_id)
        SELECT 1, id, NULL, NULL FROM orgs_organisation WHERE kind IN ('platform_enterprise', 'station')""")
    # Findings: six in ten members found by the organisation (a tenth still pending), two in ten also
    # declared themselves, one in ten referred by a colleague.
    run(cur, """
        INSERT INTO coverage_finding (campaign_id, channel, status, person_id, employer_id, declared_name,
                                      declared_phone, member_status, relation_org_id, relation_text, referrer_id,
                                      member_record_id, note, created_at, reviewed_by_id, reviewed_at, review_reason)
        SELECT 1, ch.channel, CASE WHEN ch.channel = 'org_finds' AND p.id %% 10 = 5 THEN 'pending' ELSE 'verified' END,
               p.id, p.employer_id, p.name, '',
               CASE WHEN p.political_status = 'member' THEN 'formal' ELSE 'probationary' END, NULL, '', NULL, NULL, '',
               now(), NULL, now(), ''
        FROM people_person p
        JOIN (VALUES ('org_finds', 6), ('self_declared', 2), ('referred', 1)) AS ch(channel, share)
          ON (p.id / 3) %% 10 < ch.share
        WHERE p.political_status IN ('member', 'probationary')""")
    run(cur, "ANALYZE")
    run(cur, "SELECT count(*) FROM orgs_organisation WHERE kind IN ('platform_enterprise', 'station')")
    units = cur.fetchone()[0]
    run(cur, "SELECT count(*) FROM people_person")
    people = cur.fetchone()[0]
    run(cur, "SELECT count(*) FROM coverage_finding")
    findings = cur.fetchone()[0]
    return {"units": units, "people": people, "findings": findings}


# --- the same figures straight from the raw tables ---------------------------------------------------------

RAW_UNITS = """
WITH units AS (
  SELECT o.id, o.path, o.industry, d.path AS dpath, o.parent_id, p.kind AS parent_kind
  FROM orgs_organisation o
  JOIN geo_division d ON d.id = o.division_id
  LEFT JOIN orgs_organisation p ON p.id = o.parent_id
  WHERE o.kind IN ('platform_enterprise', 'station') AND d.path LIKE %(div)s
    AND ({scope})
), chain AS (
  SELECT id AS unit_id, id AS org_id FROM units
  UNION ALL SELECT id, parent_id FROM units WHERE parent_kind = 'platform_enterprise'
), covered AS (
  SELECT DISTINCT c.unit_id FROM chain c WHERE
    EXISTS (SELECT 1 FROM orgs_organisation b WHERE b.parent_id = c.org_id AND b.is_active
            AND b.kind IN ('party_committee', 'general_branch', 'branch', 'joint_branch'))
    OR EXISTS (SELECT 1 FROM coverage_jointbranchlink l WHERE l.organisation_id = c.org_id)
    OR EXISTS (SELECT 1 FROM instructors_assignment a JOIN instructors_instructor i ON i.id = a.instructor_id
               WHERE a.organisation_id = c.org_id AND a.ended_on IS NULL AND i.active)
), people AS (
  SELECT p.employer_id, count(*) AS workers,
         count(*) FILTER (WHERE p.political_status = 'member') AS formal,
         count(*) FILTER (WHERE p.political_status = 'probationary') AS probationary,
         count(*) FILTER (WHERE p.is_mobile_member AND p.political_status IN ('member', 'probationary')) AS mobile
  FROM people_person p JOIN units u ON u.id = p.employer_id GROUP BY p.employer_id
), found AS (
  SELECT p.employer_id,
         count(DISTINCT f.person_id) FILTER (WHERE f.channel = 'org_finds') AS found_org,
         count(DISTINCT f.person_id) FILTER (WHERE f.channel = 'self_declared') AS found_self,
         count(DISTINCT f.person_id) FILTER (WHERE f.channel = 'referred') AS found_referred,
         count(DISTINCT f.person_id) AS found_total
  FROM coverage_finding f JOIN people_person p ON p.id = f.person_id JOIN units u ON u.id = p.employer_id
  WHERE f.status = 'verified' GROUP BY p.employer_id
)
"""

RAW_GROUPS = RAW_UNITS + """
SELECT CASE WHEN GROUPING(substr(u.dpath, 1, %(width)s)) = 0 THEN 'division' WHEN GROUPING(u.industry) = 0
            THEN 'industry' ELSE 'total' END AS grp,
       substr(u.dpath, 1, %(width)s) AS bucket, u.industry,
       count(*) AS units, count(c.unit_id) AS covered,
       coalesce(sum(pe.workers), 0), coalesce(sum(pe.formal), 0), coalesce(sum(pe.probationary), 0),
       coalesce(sum(pe.mobile), 0), coalesce(sum(fo.found_org), 0), coalesce(sum(fo.found_self), 0),
       coalesce(sum(fo.found_referred), 0), coalesce(sum(fo.found_total), 0)
FROM units u
LEFT JOIN covered c ON c.unit_id = u.id
LEFT JOIN people pe ON pe.employer_id = u.id
LEFT JOIN found fo ON fo.employer_id = u.id
GROUP BY GROUPING SETS ((substr(u.dpath, 1, %(width)s)), (u.industry), ())
"""

RAW_UNCOVERED = RAW_UNITS + """
SELECT u.id, u.path, count(*) OVER () FROM units u WHERE NOT EXISTS (SELECT 1 FROM covered c WHERE c.unit_id = u.id)
ORDER BY u.path LIMIT 200
"""

RAW_INSTRUCTORS = """
SELECT CASE WHEN GROUPING(substr(d.path, 1, %(width)s)) = 0 THEN 'division' WHEN GROUPING(o.industry) = 0
            THEN 'industry' ELSE 'total' END, substr(d.path, 1, %(width)s), o.industry, count(DISTINCT a.instructor_id)
FROM instructors_assignment a
JOIN instructors_instructor i ON i.id = a.instructor_id
JOIN orgs_organisation o ON o.id = a.organisation_id
JOIN geo_division d ON d.id = o.division_id
WHERE a.ended_on IS NULL AND i.active AND o.kind IN ('platform_enterprise', 'station') AND d.path LIKE %(div)s
  AND ({scope})
GROUP BY GROUPING SETS ((substr(d.path, 1, %(width)s)), (o.industry), ())
"""

KEYS = ["units", "covered", "workers", "formal", "probationary", "mobile", "found_org", "found_self",
        "found_referred", "found_total"]


def raw_figures(cursor, user, division) -> dict:
    from ningju.core.scoping import scope_of

    scope = scope_of(user)
    conds, params = [], {"div": division.path + "%", "width": len(division.path) + 13}
    for i, p in enumerate(scope.division_paths):
        conds.append(f"d.path LIKE %(sd{i})s")
        params[f"sd{i}"] = p + "%"
    for i, p in enumerate(scope.org_paths):
        conds.append(f"o.path LIKE %(so{i})s")
        params[f"so{i}"] = p + "%"
    scope_sql = " OR ".join(conds) or "false"
    out = {"total": None, "division": {}, "industry": {}}
    cursor.execute(RAW_GROUPS.format(scope=scope_sql), params)
    for grp, bucket, industry, *values in cursor.fetchall():
        row = dict(zip(KEYS, values, strict=True))
        if grp == "total":
            out["total"] = row
        else:
            out[grp][bucket if grp == "division" else industry] = row
    cursor.execute(RAW_INSTRUCTORS.format(scope=scope_sql), params)
    for grp, bucket, industry, n in cursor.fetchall():
        target = out["total"] if grp == "total" else out[grp].get(bucket if grp == "division" else industry)
        if target is not None:
            target["instructors"] = n
    cursor.execute(RAW_UNCOVERED.format(scope=scope_sql), params)
    rows = cursor.fetchall()
    out["uncovered_count"] = rows[0][2] if rows else 0
    out["uncovered_ids"] = [r[0] for r in rows]
    return out


def compare(fig, raw) -> list[str]:
    problems = []
    keys = [*KEYS, "instructors"]
    if {k: fig.totals[k] for k in keys} != {k: raw["total"].get(k, 0) for k in keys}:
        problems.append(f"totals differ: {fig.totals} vs {raw['total']}")
    for row in fig.by_division or []:
        path = row["division"].path if row["division"] else None
        other = raw["division"].get(path)
        if other is None or any(row[k] != other.get(k, 0) for k in keys):
            problems.append(f"division {row['label']} differs")
    for row in fig.by_industry:
        other = raw["industry"].get(row["industry"])
        if other is None or any(row[k] != other.get(k, 0) for k in keys):
            problems.append(f"industry {row['label']} differs")
    if fig.uncovered_count != raw["uncovered_count"]:
        problems.append(f"uncovered {fig.uncovered_count} vs {raw['uncovered_count']}")
    if [uc.organisation_id for uc in fig.uncovered] != raw["uncovered_ids"]:
        problems.append("uncovered list differs")
    return problems


def percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, max(0, round(0.95 * len(ms)) - 1))]
    return f"p50 {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   (n={len(ms)})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--raw-runs", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    drop = prepare_database()
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic here
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ningju.settings")
    os.environ.setdefault("NINGJU_DEBUG", "0")
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.test.utils import override_settings

        from ningju.accounts.models import User
        from ningju.coverage import rollup, selectors
        from ningju.geo.models import Division

        print(f"database: {connection.settings_dict['NAME']} on PostgreSQL "
              f"{connection.cursor().connection.info.server_version}")
        timed("migrate", lambda: call_command("migrate", verbosity=0))
        print("building the city (set-based SQL):")
        with connection.cursor() as cur:
            counts = timed("insert", lambda: build_city(cur, args.units, args.workers))
        print(f"  {counts['units']:,} enterprises and stations, {counts['people']:,} people, "
              f"{counts['findings']:,} findings")
        rows = timed("rollup.refresh_all()", rollup.refresh_all)
        print(f"  {rows:,} coverage rows")
        with connection.cursor() as cur:
            cur.execute("ANALYZE coverage_unitcoverage")

        city_user = User.objects.create(phone="13700000001", name="市委组织部", role="city_org", organisation_id=2)
        county_user = User.objects.create(phone="13700000002", name="沁阳市委组织部", role="district_org",
                                          organisation_id=20 + DISTRICT)
        city = Division.objects.get(code="410800000000")
        county = Division.objects.get(code=COUNTIES[DISTRICT] + "000000")
        cases = [("city (焦作市, by county)", city_user.pk, city), ("county (沁阳市, by town)", county_user.pk, county)]

        print("\nchecking the rollup figures against the raw tables:")
        for label, user_id, division in cases:
            user = User.objects.get(pk=user_id)
            fig = selectors.figures(user=user, division=division)
            with connection.cursor() as cur:
                problems = compare(fig, raw_figures(cur, user, division))
            t = fig.totals
            print(f"  {label}: {t['units']:,} units, {t['covered']:,} covered ({t['rate']} %), "
                  f"{t['formal']:,} formal / {t['probationary']:,} probationary / {t['mobile']:,} mobile, "
                  f"{t['found_total']:,} found, {t['instructors']:,} instructors — "
                  + ("same as raw" if not problems else "DIFFERENT: " + "; ".join(problems[:5])))
            if problems:
                sys.exit(1)

        print(f"\ntimings (coverage figures, {args.runs} runs; raw {args.raw_runs} runs):")
        client = Client()
        for label, user_id, division in cases:
            samples = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                user = User.objects.get(pk=user_id)  # a fresh user per run, as per request (scope not cached)
                selectors.figures(user=user, division=division)
                samples.append(time.perf_counter() - t0)
            print(f"  rollup selector  {label:28s} {percentiles(samples)}")
            raw_samples = []
            for _ in range(args.raw_runs):
                t0 = time.perf_counter()
                user = User.objects.get(pk=user_id)
                with connection.cursor() as cur:
                    raw_figures(cur, user, division)
                raw_samples.append(time.perf_counter() - t0)
            print(f"  raw tables       {label:28s} {percentiles(raw_samples)}   "
                  f"x{statistics.median(raw_samples) / statistics.median(samples):.0f} slower (p50)")
            client.force_login(User.objects.get(pk=user_id))
            url = f"/coverage/figures/{division.code}/"
            page_samples = []
            # DEBUG stays off (no query log); static URLs without the collectstatic manifest.
            with override_settings(STORAGES={**settings.STORAGES, "staticfiles": {
                    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}):
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    response = client.get(url)
                    page_samples.append(time.perf_counter() - t0)
                    assert response.status_code == 200, response.status_code
            print(f"  whole page       {label:28s} {percentiles(page_samples)}")
    finally:
        if args.keep:
            print(f"kept database {BENCH_DB}")
        else:
            drop()


if __name__ == "__main__":
    main()
