-- The staged lines are looked up by line and order number; statistics for the planner; no
-- JIT (its compile time is spent on every statement and won back by none); memory for the
-- sorts and hashes of a million lines.
create unique index on pg_temp.import_sales (line_no);
create index on pg_temp.import_sales (order_number);
update pg_temp.import_sales set outcome = 'rejected' where rejected is not null;
analyze pg_temp.import_sales;
analyze pg_temp.import_run;
set local jit = off;
set local work_mem = '256MB'
