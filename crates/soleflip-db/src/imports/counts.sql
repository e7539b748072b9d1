-- What the merge did with the staged lines.
select count(*) filter (where outcome is null) as imported,
       count(*) filter (where outcome = 'present') as present,
       count(*) filter (where outcome = 'rejected') as rejected,
       0::bigint as products_created,
       count(*) filter (where outcome is null and pair_state is not null) as pairs_matched,
       count(*) filter (where outcome is null and pair_state is null) as pairs_created
  from pg_temp.import_sales
