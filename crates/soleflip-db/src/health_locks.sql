-- Lock requests of sessions on this database that are waiting, with how long they have waited
-- (waitstart is briefly null right after a wait begins) and who blocks them.
select l.pid,
       coalesce(a.usename::text, '') as user_name,
       l.mode,
       l.locktype || coalesce(' ' || l.relation::regclass::text, '') as object,
       coalesce(extract(epoch from now() - l.waitstart)::float8, 0) as wait_seconds,
       pg_blocking_pids(l.pid) as blocked_by
from pg_locks l
join pg_stat_activity a on a.pid = l.pid
where not l.granted
  and a.datname = current_database()
