-- The sums of the lines imported now (outcome NULL; $1 = 'imported') or of every accepted line of the file
-- (imported now or already present), per currency.
select currency, count(*) as orders,
       coalesce(sum(price), 0.00) as sale_price,
       coalesce(sum(f1_amount), 0.00) as transaction_fee,
       coalesce(sum(f2_amount), 0.00) as payment_processing,
       coalesce(sum(f3_amount), 0.00) as shipping,
       coalesce(sum(f4_amount), 0.00) as minimum_fee_topup,
       coalesce(sum(f5_amount), 0.00) as cash_out,
       coalesce(sum(f6_amount), 0.00) as other,
       coalesce(sum(payout), 0.00) as payout
  from pg_temp.import_sales
 where outcome is null or ($1 = 'file' and outcome = 'present')
 group by currency
 order by currency
