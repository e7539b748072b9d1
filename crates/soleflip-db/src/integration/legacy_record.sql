-- What became of each legacy row this run moved (rejected rows are not recorded: a later run
-- considers them again). In key order, so that the primary key index is filled from left to
-- right.
insert into integration.legacy_price_migrations
    (legacy_table, legacy_id, outcome, price_source_id, price_history_id)
select legacy_table, legacy_id,
       case when outcome = 'merged' then 'merged' else 'migrated' end,
       landing_id, history_id
from legacy_stage
where outcome <> 'rejected'
order by legacy_table, legacy_id
