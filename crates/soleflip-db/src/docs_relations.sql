-- Tables, partitioned tables, views and materialized views of the user schemas, with their
-- comments; relations that belong to an extension, and partitions (one per month of a
-- partitioned table: described by the partitioned table's comment), are left out.
select n.nspname::text as "schema!", c.relname::text as "name!", c.relkind::text as "kind!",
       obj_description(c.oid, 'pg_class') as "comment?"
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p', 'v', 'm')
  and not c.relispartition
  and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
  and not exists (select 1 from pg_depend d
                  where d.classid = 'pg_class'::regclass and d.objid = c.oid
                    and d.deptype = 'e')
