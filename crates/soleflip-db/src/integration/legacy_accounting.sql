-- Per legacy table, after this run wrote: the rows it staged (each legacy row once?), how many
-- it accepted and rejected, and how many of the accepted it recorded in
-- legacy_price_migrations (all of them?). The checks are made by the caller against
-- legacy_counts.sql.
select s.legacy_table,
       count(*) as staged,
       count(distinct s.legacy_id) as distinct_ids,
       count(*) filter (where s.outcome <> 'rejected') as accepted,
       count(*) filter (where s.outcome = 'rejected') as rejected,
       count(l.legacy_id) filter (where s.outcome <> 'rejected') as recorded
from legacy_stage s
left join integration.legacy_price_migrations l
  on l.legacy_table = s.legacy_table and l.legacy_id = s.legacy_id
group by s.legacy_table
order by s.legacy_table
