-- Client sessions on this database other than our own: how long their transaction and their
-- current query have run. Query text is not read: it may hold literal secrets.
select pid,
       coalesce(usename::text, '') as user_name,
       coalesce(application_name, '') as application,
       coalesce(state, '') as state,
       coalesce(wait_event_type || ':' || wait_event, '') as wait,
       extract(epoch from now() - xact_start)::float8 as transaction_seconds,
       case when state = 'active' then extract(epoch from now() - query_start)::float8 end
           as query_seconds
from pg_stat_activity
where datname = current_database()
  and pid <> pg_backend_pid()
  and backend_type = 'client backend'
