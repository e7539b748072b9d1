-- The month partitions of integration.price_history (the default partition left out), oldest
-- first, with their bounds read back from the catalog (printed with their UTC offset, so the
-- cast back is exact whatever the session's TimeZone) and the planner's row estimate (NULL
-- while the partition was never analyzed).
select c.relname::text as name,
       b[1]::timestamptz as starts,
       b[2]::timestamptz as ends,
       case when c.reltuples >= 0 then c.reltuples::bigint end as estimated_rows
from pg_inherits i
join pg_class c on c.oid = i.inhrelid
cross join lateral regexp_match(pg_get_expr(c.relpartbound, c.oid),
                                'FROM \(''([^'']+)''\) TO \(''([^'']+)''\)') b
where i.inhparent = 'integration.price_history'::regclass
  and b is not null
order by 2
