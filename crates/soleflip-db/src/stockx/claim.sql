-- Claims the sending of a request to API $1 now, if the last request sent was at least $2
-- milliseconds ago: returns 0 (claimed: last_sent is now), or the milliseconds to wait before
-- claiming again (nothing changed). The row is locked while it is read and moved on.
with cur as (
    select b.api, b.last_sent, clock_timestamp() as now
      from integration.api_budgets b
     where b.api = $1
       for update
), decided as (
    select cur.*, cur.last_sent + make_interval(secs => $2::bigint::float8 / 1000) as free_at
      from cur
)
update integration.api_budgets b
   set last_sent = case when d.free_at <= d.now then d.now else b.last_sent end
  from decided d
 where b.api = d.api
returning greatest(0, ceil(extract(epoch from (d.free_at - d.now)) * 1000))::bigint
