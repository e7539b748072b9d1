-- Functions, procedures and window functions of the user schemas (`returns` is null for a
-- procedure).
select n.nspname::text as "schema!",
       p.proname::text || '(' || pg_get_function_identity_arguments(p.oid) || ')' as "signature!",
       pg_get_function_result(p.oid) as "returns?", l.lanname::text as "language!",
       obj_description(p.oid, 'pg_proc') as "comment?"
from pg_proc p join pg_namespace n on n.oid = p.pronamespace
join pg_language l on l.oid = p.prolang
where p.prokind in ('f', 'p', 'w')
  and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
  and not exists (select 1 from pg_depend d
                  where d.classid = 'pg_proc'::regclass and d.objid = p.oid
                    and d.deptype = 'e')
