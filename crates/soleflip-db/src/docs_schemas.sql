-- The user schemas and their comments.
-- (The quoted aliases here and in the other docs_*.sql tell sqlx's query macros which columns
-- may be null.)
select nspname::text as "name!", obj_description(oid, 'pg_namespace') as "comment?"
from pg_namespace
where nspname !~ '^pg_' and nspname <> 'information_schema'
