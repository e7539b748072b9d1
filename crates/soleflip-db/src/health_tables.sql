-- Every user table with its size and its statistics since they were last reset: rows (live,
-- dead, changed since the last analyze), scans, writes, and the last (auto)vacuum and analyze.
-- The size of a table that another session holds or awaits in ACCESS EXCLUSIVE mode is left
-- null: reading it would wait for that session.
select n.nspname::text || '.' || c.relname::text as name,
       case when not locked then pg_total_relation_size(c.oid) end as total_bytes,
       case when not locked then pg_relation_size(c.oid) end as table_bytes,
       case when not locked then pg_indexes_size(c.oid) end as index_bytes,
       coalesce(s.n_live_tup, 0) as live_rows,
       coalesce(s.n_dead_tup, 0) as dead_rows,
       coalesce(s.n_mod_since_analyze, 0) as changed_since_analyze,
       coalesce(s.seq_scan, 0) as seq_scans,
       coalesce(s.idx_scan, 0) as index_scans,
       coalesce(s.n_tup_ins + s.n_tup_upd + s.n_tup_del, 0) as row_writes,
       to_char(greatest(s.last_vacuum, s.last_autovacuum) at time zone 'UTC',
               'YYYY-MM-DD"T"HH24:MI:SS"Z"') as last_vacuum,
       case when s.last_autovacuum >= coalesce(s.last_vacuum, s.last_autovacuum) then 'auto'
            when s.last_vacuum is not null then 'manual' end as last_vacuum_by,
       to_char(greatest(s.last_analyze, s.last_autoanalyze) at time zone 'UTC',
               'YYYY-MM-DD"T"HH24:MI:SS"Z"') as last_analyze,
       case when s.last_autoanalyze >= coalesce(s.last_analyze, s.last_autoanalyze) then 'auto'
            when s.last_analyze is not null then 'manual' end as last_analyze_by
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
left join pg_stat_user_tables s on s.relid = c.oid
cross join lateral (
    select exists (select 1 from pg_locks l
                   where l.relation = c.oid and l.mode = 'AccessExclusiveLock'
                     and l.pid <> pg_backend_pid()) as locked
) lk
where c.relkind in ('r', 'p', 'm')
  and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
