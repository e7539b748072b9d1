-- Triggers of the user tables (internal ones left out). $1: do not wait for locks (a table
-- another session holds in ACCESS EXCLUSIVE mode gets no definition).
select n.nspname::text as "schema!", c.relname::text as "relation!", t.tgname::text as "name!",
       case when $1 and exists (select 1 from pg_locks l
                                where l.relation = c.oid
                                  and l.mode = 'AccessExclusiveLock'
                                  and l.pid <> pg_backend_pid())
            then '(not read: the table is locked)'
            else pg_get_triggerdef(t.oid, true) end as "definition!"
from pg_trigger t join pg_class c on c.oid = t.tgrelid
join pg_namespace n on n.oid = c.relnamespace
where not t.tgisinternal
  and not c.relispartition
  and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
  and not exists (select 1 from pg_depend d
                  where d.classid = 'pg_class'::regclass and d.objid = c.oid
                    and d.deptype = 'e')
