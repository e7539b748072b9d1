-- Primary keys, unique, check, exclusion and foreign key constraints of the user tables, with
-- their columns in key order and, for foreign keys, the referenced table and the rules.
-- (The quoted aliases tell sqlx's query macros which columns may be null.)
select n.nspname::text as "schema!",
       c.relname::text as "relation!",
       co.conname::text as "name!",
       co.contype::text as "kind!",
       array(select a.attname::text
             from unnest(co.conkey) with ordinality k(attnum, ord)
             join pg_attribute a on a.attrelid = co.conrelid and a.attnum = k.attnum
             order by k.ord) as "columns!",
       fn.nspname::text || '.' || fc.relname::text as "ref_table?",
       array(select a.attname::text
             from unnest(co.confkey) with ordinality k(attnum, ord)
             join pg_attribute a on a.attrelid = co.confrelid and a.attnum = k.attnum
             order by k.ord) as "ref_columns!",
       co.confdeltype::text as "on_delete!",
       co.confupdtype::text as "on_update!",
       pg_get_constraintdef(co.oid, true) as "definition!"
from pg_constraint co
join pg_class c on c.oid = co.conrelid
join pg_namespace n on n.oid = c.relnamespace
left join pg_class fc on fc.oid = co.confrelid
left join pg_namespace fn on fn.oid = fc.relnamespace
where co.contype in ('p', 'u', 'c', 'x', 'f')
  and c.relkind in ('r', 'p')
  and not c.relispartition
  and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
  and not exists (select 1 from pg_depend d
                  where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
