-- Per source and currency: the legacy rows this run accepted, each at its documented price
-- (the legacy value, rounded half up to cents), against what they became according to
-- legacy_price_migrations: the price source whose current observation they are, or the
-- history row of it they were merged into. Equal counts and sums mean no row was lost,
-- doubled, repriced, or moved to another source or currency on the way.
with legacy as (
    select source_type::text as source, currency, count(*) as n,
           sum(round(legacy_price * 100)) as cents
    from legacy_stage
    where outcome <> 'rejected'
    group by 1, 2
), became as (
    select ps.source_type::text as source,
           case when l.outcome = 'merged' then h.currency else ps.currency end as currency,
           case when l.outcome = 'merged' then h.price_cents else ps.price_cents end as cents
    from legacy_stage s
    join integration.legacy_price_migrations l
      on l.legacy_table = s.legacy_table and l.legacy_id = s.legacy_id
    join integration.price_sources ps on ps.id = l.price_source_id
    -- recorded_at (the observation's time, as legacy_history.sql wrote it) names the month
    -- partition of price_history the row is in: one index probe per row instead of one per
    -- partition.
    left join integration.price_history h
      on h.id = l.price_history_id and h.price_source_id = l.price_source_id
     and h.recorded_at = s.observed_at
    where s.outcome <> 'rejected'
), migrated as (
    select source, currency, count(cents) as n, sum(cents) as cents
    from became
    group by 1, 2
)
select coalesce(a.source, b.source) as source,
       coalesce(a.currency, b.currency, '') as currency,
       coalesce(a.n, 0) as legacy_rows,
       coalesce(a.cents, 0)::bigint as legacy_cents,
       coalesce(b.n, 0) as migrated_rows,
       coalesce(b.cents, 0)::bigint as migrated_cents
from legacy a
full join migrated b
  on b.source = a.source and coalesce(b.currency, '') = coalesce(a.currency, '')
order by 1, 2
