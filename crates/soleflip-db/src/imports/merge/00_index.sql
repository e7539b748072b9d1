-- The staged lines are looked up by line and order number; statistics for the planner.
create unique index on pg_temp.import_sales (line_no);
create index on pg_temp.import_sales (order_number);
update pg_temp.import_sales set outcome = 'rejected' where rejected is not null;
analyze pg_temp.import_sales
