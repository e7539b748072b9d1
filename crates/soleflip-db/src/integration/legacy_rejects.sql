-- The legacy rows refused, with why.
select legacy_table, legacy_id, reason
from legacy_stage
where outcome = 'rejected'
order by legacy_table, reason, legacy_id
