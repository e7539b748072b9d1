-- The tables this run is about to write at least as many rows into as they hold (and at least
-- one): prices migrate-legacy bulk loads them (legacy_bulk_drop.sql). Needs legacy_stage.
select t.name
from (values
    ('integration.price_sources',
     (select count(*) from legacy_stage where outcome = 'inserted'),
     (select count(*) from integration.price_sources)),
    ('integration.price_history',
     (select count(*) from legacy_stage where outcome = 'merged'),
     (select count(*) from integration.price_history)),
    ('integration.legacy_price_migrations',
     (select count(*) from legacy_stage where outcome <> 'rejected'),
     (select count(*) from integration.legacy_price_migrations))
) t(name, incoming, present)
where incoming > 0 and incoming >= present
order by t.name
