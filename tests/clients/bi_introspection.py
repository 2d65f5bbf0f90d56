"""What DBeaver, Metabase and Grafana send on connect and while listing a
database, replayed through psycopg against `convlake serve`, each query in
the simple protocol (text) and the extended one (binary results). The
queries are the tools' own, as datafusion-postgres 0.19 recorded them in its
tests/dbeaver.rs, metabase.rs and grafana.rs (Apache-2.0), with Grafana's
example table replaced by ours and DBeaver's keyword list shortened.
Exits non-zero naming the query or check.

    python3 bi_introspection.py PORT USER PASSWORD EXPECTED_JSON

EXPECTED_JSON: {"tables": [...], "views": [...], "list_columns": [...]},
the lake's tables, every view, and conversation_list's columns.
"""
import json
import sys

import psycopg

port, user, password, expected = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
dsn = f"host=127.0.0.1 port={port} user={user} password={password} dbname=convlake sslmode=disable"

DBEAVER = [
    "SET extra_float_digits = 3",
    "SET application_name = 'PostgreSQL JDBC Driver'",
    "SET application_name = 'DBeaver 25.1.5 - Main <postgres>'",
    "SELECT current_schema(),session_user",
    "SELECT n.oid,n.*,d.description FROM pg_catalog.pg_namespace n LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=n.oid AND d.objsubid=0 AND d.classoid='pg_namespace'::regclass ORDER BY nspname",
    "SELECT n.nspname = ANY(current_schemas(true)), n.nspname, t.typname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON t.typnamespace = n.oid WHERE t.oid = 1034",
    "SELECT typinput='pg_catalog.array_in'::regproc as is_array, typtype, typname, pg_type.oid   FROM pg_catalog.pg_type   LEFT JOIN (select ns.oid as nspoid, ns.nspname, r.r           from pg_namespace as ns           join ( select s.r, (current_schemas(false))[s.r] as nspname                    from generate_series(1, array_upper(current_schemas(false), 1)) as s(r) ) as r          using ( nspname )        ) as sp     ON sp.nspoid = typnamespace  WHERE pg_type.oid = 1034  ORDER BY sp.r, pg_type.oid DESC",
    "SHOW search_path",
    "SELECT db.oid,db.* FROM pg_catalog.pg_database db WHERE datname='postgres'",
    "SELECT * FROM pg_catalog.pg_settings where name='standard_conforming_strings'",
    "SELECT string_agg(word, ',' ) from pg_catalog.pg_get_keywords() where word <> ALL ('{a,abs,absolute,action,ada,add,admin,after,all,allocate,alter,and,any,are,array,as,asc,zone}'::text[])",
    "SELECT version()",
    "SELECT * FROM pg_catalog.pg_enum WHERE 1<>1 LIMIT 1",
    "SELECT reltype FROM pg_catalog.pg_class WHERE 1<>1 LIMIT 1",
    "SELECT t.oid,t.*,c.relkind,format_type(nullif(t.typbasetype, 0), t.typtypmod) as base_type_name, d.description FROM pg_catalog.pg_type t LEFT OUTER JOIN pg_catalog.pg_type et ON et.oid=t.typelem LEFT OUTER JOIN pg_catalog.pg_class c ON c.oid=t.typrelid LEFT OUTER JOIN pg_catalog.pg_description d ON t.oid=d.objoid WHERE t.typname IS NOT NULL AND (c.relkind IS NULL OR c.relkind = 'c') AND (et.typcategory IS NULL OR et.typcategory <> 'C')",
    """SELECT c.oid,c.*,d.description,pg_catalog.pg_get_expr(c.relpartbound, c.oid) as partition_expr,  pg_catalog.pg_get_partkeydef(c.oid) as partition_key
    FROM pg_catalog.pg_class c
    LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_class'::regclass
    WHERE c.relnamespace=11 AND c.relkind not in ('i','I','c')""",
    """select c.oid,pg_catalog.pg_total_relation_size(c.oid) as total_rel_size,pg_catalog.pg_relation_size(c.oid) as rel_size
     FROM pg_class c
     WHERE c.relnamespace='public'""",
    """SELECT i.*,i.indkey as keys,c.relname,c.relnamespace,c.relam,c.reltablespace,tc.relname as tabrelname,dsc.description,pg_catalog.pg_get_expr(i.indpred, i.indrelid) as pred_expr,pg_catalog.pg_get_expr(i.indexprs, i.indrelid, true) as expr,pg_catalog.pg_relation_size(i.indexrelid) as index_rel_size,pg_catalog.pg_stat_get_numscans(i.indexrelid) as index_num_scans FROM pg_catalog.pg_index i
    INNER JOIN pg_catalog.pg_class c ON c.oid=i.indexrelid
    INNER JOIN pg_catalog.pg_class tc ON tc.oid=i.indrelid
    LEFT OUTER JOIN pg_catalog.pg_description dsc ON i.indexrelid=dsc.objoid
    WHERE  i.indrelid=1 ORDER BY tabrelname, c.relname""",
    """SELECT c.oid,c.*,t.relname as tabrelname,rt.relnamespace as refnamespace,d.description, case when c.contype='c' then "substring"(pg_get_constraintdef(c.oid), 7) else null end consrc_copy
    FROM pg_catalog.pg_constraint c
    INNER JOIN pg_catalog.pg_class t ON t.oid=c.conrelid
    LEFT OUTER JOIN pg_catalog.pg_class rt ON rt.oid=c.confrelid
    LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_constraint'::regclass
    WHERE c.conrelid=1
    ORDER BY c.oid""",
]

METABASE = [
    "SET extra_float_digits = 2",
    "SET application_name = 'Metabase v0.55.1 [f8f63fdf-d8f8-4573-86ea-4fe4a9548041]'",
    "SHOW TRANSACTION ISOLATION LEVEL",
    "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ UNCOMMITTED",
    """SELECT nspname AS "TABLE_SCHEM", current_database() AS "TABLE_CATALOG" FROM pg_catalog.pg_namespace  WHERE nspname <> 'pg_toast' AND (nspname !~ '^pg_temp_'  OR nspname = (pg_catalog.current_schemas(true))[1]) AND (nspname !~ '^pg_toast_temp_'  OR nspname = replace((pg_catalog.current_schemas(true))[1], 'pg_temp_', 'pg_toast_temp_'))  ORDER BY "TABLE_SCHEM\"""",
    """with table_privileges as (
         select
           NULL as role,
           t.schemaname as schema,
           t.objectname as table,
           pg_catalog.has_any_column_privilege(current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'update') as update,
           pg_catalog.has_any_column_privilege(current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'select') as select,
           pg_catalog.has_any_column_privilege(current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'insert') as insert,
           pg_catalog.has_table_privilege(     current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'delete') as delete
         from (
           select schemaname, tablename as objectname from pg_catalog.pg_tables
           union
           select schemaname, viewname as objectname from pg_catalog.pg_views
           union
           select schemaname, matviewname as objectname from pg_catalog.pg_matviews
         ) t
         where t.schemaname !~ '^pg_'
           and t.schemaname <> 'information_schema'
           and pg_catalog.has_schema_privilege(current_user, t.schemaname, 'usage')
        )
        select t.*
        from table_privileges t""",
    """SELECT "n"."nspname" AS "schema", "c"."relname" AS "name", CASE "c"."relkind" WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'v' THEN 'VIEW' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE NULL END AS "type", "d"."description" AS "description", "stat"."n_live_tup" AS "estimated_row_count" FROM "pg_catalog"."pg_class" AS "c" INNER JOIN "pg_catalog"."pg_namespace" AS "n" ON "c"."relnamespace" = "n"."oid" LEFT JOIN "pg_catalog"."pg_description" AS "d" ON ("c"."oid" = "d"."objoid") AND ("d"."objsubid" = '0') AND ("d"."classoid" = 'pg_class'::regclass) LEFT JOIN "pg_stat_user_tables" AS "stat" ON ("n"."nspname" = "stat"."schemaname") AND ("c"."relname" = "stat"."relname") WHERE ("c"."relnamespace" = "n"."oid") AND ("n"."nspname" !~ '^pg_') AND ("n"."nspname" <> 'information_schema') AND c.relkind in ('r', 'p', 'v', 'f', 'm') AND ("n"."nspname" IN ('public')) ORDER BY "type" ASC, "schema" ASC, "name" ASC""",
    "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED",
    "show timezone",
]

SEARCH_PATH = """SELECT
                CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
              FROM
                generate_series(
                  array_lower(string_to_array(current_setting('search_path'),','),1),
                  array_upper(string_to_array(current_setting('search_path'),','),1)
                ) as i,
                string_to_array(current_setting('search_path'),',') s"""

GRAFANA_TABLES = f"""SELECT
        CASE WHEN quote_ident(table_schema) IN ({SEARCH_PATH})
          THEN quote_ident(table_name)
          ELSE quote_ident(table_schema) || '.' || quote_ident(table_name)
        END AS "table"
        FROM information_schema.tables
        WHERE quote_ident(table_schema) NOT IN ('information_schema', 'pg_catalog',
                                 '_timescaledb_cache', '_timescaledb_catalog',
                                 '_timescaledb_internal', '_timescaledb_config',
                                 'timescaledb_information', 'timescaledb_experimental')
        ORDER BY CASE WHEN quote_ident(table_schema) IN ({SEARCH_PATH}) THEN 0 ELSE 1 END, 1"""

GRAFANA_COLUMNS = f"""SELECT quote_ident(column_name) AS "column", data_type AS "type"
        FROM information_schema.columns
        WHERE
          CASE WHEN array_length(parse_ident('public.conversation_list'),1) = 2
            THEN quote_ident(table_schema) = (parse_ident('public.conversation_list'))[1]
              AND quote_ident(table_name) = (parse_ident('public.conversation_list'))[2]
            ELSE quote_ident(table_name) = 'public.conversation_list'
              AND quote_ident(table_schema) IN ({SEARCH_PATH})
          END"""


def fail(what, detail):
    sys.exit(f"{what}: {detail}")


def run(conn, query, binary):
    """The rows of `query`, simple protocol (text) or extended (binary)."""
    try:
        cur = conn.cursor(binary=binary)
        cur.execute(query)
        return cur.fetchall() if cur.description else []
    except psycopg.Error as err:
        fail(f"{'extended/binary' if binary else 'simple/text'}: {query[:90]!r}", err)


with psycopg.connect(dsn, autocommit=True) as conn:
    results = {}
    for binary in (False, True):
        for query in DBEAVER + METABASE + [GRAFANA_TABLES, GRAFANA_COLUMNS]:
            results[(query, binary)] = run(conn, query, binary)
    for binary in (False, True):
        # Metabase's table list: the lake's tables as TABLE, every view as VIEW.
        listed = results[(next(q for q in METABASE if '"estimated_row_count"' in q), binary)]
        tables = sorted(name for schema, name, kind, _, _ in listed if kind == "TABLE")
        views = sorted(name for schema, name, kind, _, _ in listed if kind == "VIEW")
        if tables != sorted(expected["tables"]):
            fail("Metabase tables", tables)
        if views != sorted(expected["views"]):
            fail("Metabase views", sorted(set(expected["views"]) ^ set(views)))
        # Grafana's table picker holds them all (qualified: DataFusion
        # cannot read its search-path subquery, a function in FROM); its
        # column picker lists conversation_list's.
        names = [row[0].removeprefix("public.") for row in results[(GRAFANA_TABLES, binary)]]
        missing = set(expected["tables"] + expected["views"]) - set(names)
        if missing:
            fail("Grafana tables", f"missing {sorted(missing)}")
        columns = sorted(row[0] for row in results[(GRAFANA_COLUMNS, binary)])
        if columns != sorted(expected["list_columns"]):
            fail("Grafana columns", columns)
        # With PostgreSQL's type names, by which Grafana tells time and
        # number columns (SPEC.md: instants, durations in seconds, counts).
        types = dict(results[(GRAFANA_COLUMNS, binary)])
        for column, wanted in [("closed_at", "timestamp with time zone"),
                               ("conversation_id", "text"),
                               ("first_response_time_seconds", "double precision"),
                               ("incoming_messages", "bigint")]:
            if types.get(column) != wanted:
                fail(f"Grafana column type of {column}", types.get(column))
        # DBeaver's first question, and the version it parses.
        first = results[("SELECT current_schema(),session_user", binary)]
        if first != [("public", user)]:
            fail("DBeaver current_schema, session_user", first)
        version = results[("SELECT version()", binary)]
        if not version[0][0].startswith("PostgreSQL 16."):
            fail("version()", version)
print("ok")
