"""A local Athena: the product's real Athena SQL executed by DuckDB over the tables' objects in the
local S3, as botocore `before-call` hooks (dev and tests only; nothing in chalicelib imports it).

    errors.py    Athena's API errors and query failures (the wording of StateChangeReason)
    types.py     Glue (Hive) column types to DuckDB, DuckDB result types to Athena's, values as Athena writes them
    catalog.py   a Glue table read from the Glue catalog: format, columns, partition projection, its files in S3
    sql.py       a statement parsed in Athena's dialect (sqlglot): tables, columns, parameters, pruning, UNLOAD
    engine.py    one statement run by DuckDB: files fetched, views registered, bytes scanned, result or UNLOAD
    results.py   the result files as Athena writes them (<id>.csv, <id>.csv.metadata) and their paging
    service.py   LocalAthena (Start/Get/GetResults/Stop/BatchGet, executions, counters, faults) and its hook
"""
