-- Every index of a user table with its size, how often it was scanned since the statistics
-- were last reset, whether a constraint needs it (primary key, unique, exclusion: such an
-- index enforces a rule even when no query reads it), and how busy its table is. The size is
-- left null while another session holds or awaits the index or its table in ACCESS EXCLUSIVE
-- mode: reading it would wait.
select n.nspname::text || '.' || ic.relname::text as name,
       n.nspname::text || '.' || c.relname::text as table_name,
       case when not exists (select 1 from pg_locks l
                             where l.relation in (ic.oid, c.oid)
                               and l.mode = 'AccessExclusiveLock'
                               and l.pid <> pg_backend_pid())
            then pg_relation_size(ic.oid) end as bytes,
       coalesce(s.idx_scan, 0) as scans,
       i.indisunique as is_unique,
       exists (select 1 from pg_constraint co
               where co.conindid = i.indexrelid and co.conrelid = i.indrelid
                 and co.contype in ('p', 'u', 'x')) as backs_constraint,
       coalesce(t.seq_scan, 0) + coalesce(t.idx_scan, 0) as table_scans,
       coalesce(t.n_tup_ins + t.n_tup_upd + t.n_tup_del, 0) as table_writes
from pg_index i
join pg_class ic on ic.oid = i.indexrelid
join pg_class c on c.oid = i.indrelid
join pg_namespace n on n.oid = c.relnamespace
left join pg_stat_user_indexes s on s.indexrelid = i.indexrelid
left join pg_stat_user_tables t on t.relid = i.indrelid
where c.relkind in ('r', 'p', 'm')
  and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
