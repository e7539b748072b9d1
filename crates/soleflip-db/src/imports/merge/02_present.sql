-- Orders already in the ledger (same platform and order number): nothing is added for them.
update pg_temp.import_sales s
   set outcome = 'present', order_id = o.id
  from pg_temp.import_run r, transactions.orders o
 where s.outcome is null
   and o.platform_id = r.platform_id and o.order_number = s.order_number
