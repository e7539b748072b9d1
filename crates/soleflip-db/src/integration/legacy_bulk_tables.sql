-- The tables this run is about to write at least as many rows into as they hold (and at least
-- one): prices migrate-legacy bulk loads them (legacy_bulk_drop.sql). Needs legacy_stage,
-- read once.
with incoming as (
    select count(*) filter (where outcome = 'inserted') as sources,
           count(*) filter (where outcome = 'merged') as history,
           count(*) filter (where outcome <> 'rejected') as records
    from legacy_stage
)
select t.name
from incoming i
cross join lateral (values
    ('integration.price_sources', i.sources,
     (select count(*) from integration.price_sources)),
    ('integration.price_history', i.history,
     (select count(*) from integration.price_history)),
    ('integration.legacy_price_migrations', i.records,
     (select count(*) from integration.legacy_price_migrations))
) t(name, incoming, present)
where t.incoming > 0 and t.incoming >= t.present
order by t.name
