-- One row per catalog object of the user schemas: (kind, key, value). The verify report and
-- the manifests are built from this. Left out: our version table (it is the runner's, not the
-- schema's) and the old system's Alembic table as adoption retired it (kept data), extensions and what they own (they belong to the server's set-up), and the
-- relations of the schema `archive` (tables retired there are kept data, not schema; see
-- retired_tables in catalog.rs), and the partitions of partitioned tables (which months exist
-- depends on the data and the date; what is promised is the partitioned table, its partition
-- key and whether it has a default partition: the entry of kind 'partitioning').
with ns as (
    select oid, nspname from pg_namespace
    where nspname !~ '^pg_' and nspname <> 'information_schema'
), rel as (
    select c.oid, n.nspname, c.relname, c.relkind
    from pg_class c join ns n on n.oid = c.relnamespace
    where not (n.nspname = 'public'
               and c.relname in ('soleflip_migrations', 'alembic_version_adopted'))
      and n.nspname <> 'archive'
      and c.relkind in ('r', 'p', 'v', 'm', 'S')
      and not c.relispartition
      and not exists (select 1 from pg_depend d
                      where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
)
-- (The quoted aliases tell sqlx's query macros which columns are never null.)
select 'schema' as "kind!", nspname::text as "key!", coalesce(obj_description(oid, 'pg_namespace'), '') as value from ns
union all
select 'enum', n.nspname || '.' || t.typname,
       (select string_agg(e.enumlabel, ', ' order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid)
from pg_type t join ns n on n.oid = t.typnamespace
where t.typtype = 'e'
  and not exists (select 1 from pg_depend d
                  where d.classid = 'pg_type'::regclass and d.objid = t.oid and d.deptype = 'e')
union all
select case relkind when 'v' then 'view' when 'm' then 'matview' when 'S' then 'sequence' else 'table' end,
       nspname || '.' || relname, coalesce(obj_description(oid, 'pg_class'), '')
from rel
union all
select 'partitioning', r.nspname || '.' || r.relname,
       pg_get_partkeydef(r.oid)
       || coalesce((select ', default partition ' || d.relname
                    from pg_partitioned_table pt join pg_class d on d.oid = pt.partdefid
                    where pt.partrelid = r.oid), '')
from rel r
where r.relkind = 'p'
union all
select 'storage', r.nspname || '.' || r.relname, array_to_string(c.reloptions, ', ')
from rel r join pg_class c on c.oid = r.oid
where c.reloptions is not null
union all
select 'column', r.nspname || '.' || r.relname || '.' || a.attname,
       row_number() over (partition by r.oid order by a.attnum) || ': '
       || format_type(a.atttypid, a.atttypmod)
       || case when a.attnotnull then ' not null' else ' null' end
       || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '')
       || coalesce(' -- ' || col_description(r.oid, a.attnum), '')
from rel r
join pg_attribute a on a.attrelid = r.oid and a.attnum > 0 and not a.attisdropped
left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
where r.relkind <> 'S'
union all
select 'constraint', r.nspname || '.' || r.relname || '.' || co.conname, pg_get_constraintdef(co.oid, true)
from pg_constraint co join rel r on r.oid = co.conrelid
union all
select 'index', r.nspname || '.' || ic.relname, pg_get_indexdef(i.indexrelid)
from pg_index i join rel r on r.oid = i.indrelid join pg_class ic on ic.oid = i.indexrelid
union all
select 'trigger', r.nspname || '.' || r.relname || '.' || t.tgname, pg_get_triggerdef(t.oid, true)
from pg_trigger t join rel r on r.oid = t.tgrelid
where not t.tgisinternal
union all
select 'function', n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       'returns ' || pg_get_function_result(p.oid) || ' language ' || l.lanname
from pg_proc p join ns n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang
where p.prokind in ('f', 'p', 'w')
  and not exists (select 1 from pg_depend d
                  where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
