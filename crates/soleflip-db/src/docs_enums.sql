-- Enum types of the user schemas with their labels in order.
select n.nspname::text as "schema!", t.typname::text as "name!",
       array(select e.enumlabel::text from pg_enum e where e.enumtypid = t.oid
             order by e.enumsortorder) as "labels!"
from pg_type t join pg_namespace n on n.oid = t.typnamespace
where t.typtype = 'e'
  and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
  and not exists (select 1 from pg_depend d
                  where d.classid = 'pg_type'::regclass and d.objid = t.oid
                    and d.deptype = 'e')
