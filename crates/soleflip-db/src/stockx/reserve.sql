-- Reserves the next request to API $1 in the shared budget (integration.api_budgets): at least
-- $2 milliseconds after the one reserved before it, at most $3 in a 24-hour window. The row is
-- locked (for update), so concurrent callers are served one after the other, each seeing the
-- slot the previous one moved on. Returns: granted, the slot, the window's count, and when
-- the window ends (when requests resume once the limit is spent). Its commit does not wait for
-- the disk (synchronous_commit off for this transaction only): a reservation lost in a crash
-- costs one request of the day at most, and the lock still orders every process's reservations.
with quick as (
    select set_config('synchronous_commit', 'off', true) as setting
), cur as (
    select b.api,
           greatest(b.next_slot, clock_timestamp()) as slot,
           b.window_start,
           b.window_count
      from integration.api_budgets b
     where b.api = $1
       for update
), decided as (
    select cur.*,
           cur.slot >= cur.window_start + interval '24 hours' as rolled,
           (cur.slot < cur.window_start + interval '24 hours'
            and cur.window_count >= $3::integer) as spent
      from cur, quick
)
update integration.api_budgets b
   set next_slot = case when d.spent then b.next_slot
                        else d.slot + make_interval(secs => $2::bigint::float8 / 1000) end,
       window_start = case when d.rolled then d.slot else b.window_start end,
       window_count = case when d.spent then b.window_count
                           when d.rolled then 1
                           else b.window_count + 1 end
  from decided d
 where b.api = d.api
returning not d.spent,
          d.slot,
          b.window_count,
          case when d.rolled then d.slot else d.window_start end + interval '24 hours'
