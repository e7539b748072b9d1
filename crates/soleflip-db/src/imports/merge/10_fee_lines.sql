insert into transactions.order_fee_lines
    (order_id, kind, amount, currency, source, rate_pct, schedule_row, import_batch_id)
select s.order_id, f.kind, f.amount, s.currency, f.source, f.rate, f.schedule_row, r.batch_id
  from pg_temp.import_sales s
 cross join pg_temp.import_run r
 cross join lateral (values
        ('transaction_fee', s.f1_amount, s.f1_source, s.f1_rate, s.f1_row),
        ('payment_processing', s.f2_amount, s.f2_source, s.f2_rate, s.f2_row),
        ('shipping', s.f3_amount, s.f3_source, s.f3_rate, s.f3_row),
        ('minimum_fee_topup', s.f4_amount, s.f4_source, s.f4_rate, s.f4_row),
        ('cash_out', s.f5_amount, s.f5_source, s.f5_rate, s.f5_row),
        ('other', s.f6_amount, s.f6_source, s.f6_rate, s.f6_row)
      ) as f (kind, amount, source, rate, schedule_row)
 where s.outcome is null and f.amount is not null
