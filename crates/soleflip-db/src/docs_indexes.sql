-- Indexes of the user tables and materialized views: key columns in order (an expression
-- column as its text), the predicate of a partial index, and the constraint it backs if any.
-- (The quoted aliases tell sqlx's query macros which columns may be null.)
select n.nspname::text as "schema!",
       c.relname::text as "relation!",
       ic.relname::text as "name!",
       am.amname::text as "method!",
       i.indisunique as "is_unique!",
       case when lk.locked then i.indpred::text
            else pg_get_expr(i.indpred, i.indrelid) end as "predicate?",
       array(select case when k.attnum = 0 and lk.locked
                         then 'expression ' || k.ord || ' of ' || i.indexprs::text
                         when k.attnum = 0
                         then pg_get_indexdef(i.indexrelid, k.ord::int, true)
                         else (select a.attname::text from pg_attribute a
                               where a.attrelid = i.indrelid and a.attnum = k.attnum)
                    end
             from unnest(i.indkey::int2[]) with ordinality k(attnum, ord)
             where k.ord <= i.indnkeyatts
             order by k.ord) as "columns!",
       (select co.contype::text from pg_constraint co
        where co.conindid = i.indexrelid and co.conrelid = i.indrelid
          and co.contype in ('p', 'u', 'x')
        limit 1) as "backs?",
       case when lk.locked then '(not read: the table is locked)'
            else pg_get_indexdef(i.indexrelid) end as "definition!"
from pg_index i
join pg_class ic on ic.oid = i.indexrelid
join pg_class c on c.oid = i.indrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_am am on am.oid = ic.relam
cross join lateral (
    -- $1: do not wait for locks. Deparsing an expression takes a lock on its table, so for a
    -- table another session holds or awaits in ACCESS EXCLUSIVE mode the raw catalog form is
    -- used instead (comparable, not printable).
    select $1 and exists (select 1 from pg_locks l
                          where l.relation = c.oid and l.mode = 'AccessExclusiveLock'
                            and l.pid <> pg_backend_pid()) as locked
) lk
where c.relkind in ('r', 'p', 'm')
  and not c.relispartition
  and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
  and not exists (select 1 from pg_depend d
                  where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
