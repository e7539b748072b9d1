-- How many legacy rows of each table this run inserted, updated, merged and rejected.
select legacy_table, outcome, count(*) as n
from legacy_stage
group by legacy_table, outcome
order by legacy_table, outcome
